"""Keyword arguments renamed in 0.3 (one word per idea), still accepted for one release.

``wrt`` is the one name for "with respect to" and ``root`` the one name for what is
differentiated; a call that still spells them the 0.2 way works and warns.
"""

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def renamed(**old_to_new: str) -> Callable[[F], F]:
    """A decorator: a keyword ``old`` given to the function is passed on as ``new``, with a warning."""

    def wrap(f: F) -> F:
        @functools.wraps(f)
        def call(*args: Any, **kwargs: Any) -> Any:
            for old, new in old_to_new.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(f"{f.__name__}() got both {old}= and {new}=; give {new}= only")
                    warnings.warn(
                        f"{f.__name__}({old}=...) is deprecated: the argument is called {new}= now",
                        DeprecationWarning,
                        stacklevel=2,
                    )
                    kwargs[new] = kwargs.pop(old)
            return f(*args, **kwargs)

        return call  # type: ignore[return-value]

    return wrap
