"""The one rule for numbers: what a Value can hold, and what a setting or a count may be.

Every part of the library that takes a number from a user asks this module, so they all
accept the same numbers and refuse the rest with the same words: ``Value()``, the nn
layer (``Neuron(w=...)``, ``from_weights``, ``fit`` on the graph or compiled), the
optimizers' settings, ``gradcheck``, the formula parser and forward mode's tangents.

A **real** is a finite real number of any kind Python or numpy has: ``int``, ``float``,
``bool`` (``True`` is 1, as in arithmetic), ``fractions.Fraction``, ``decimal.Decimal``,
numpy's integer and float scalars. A string, a complex number, NaN and ±inf are refused.
A **setting** (a learning rate, a tolerance) is a real that is not a bool. A **count**
(epochs, a batch size, a layer's width) is an integer that is not a bool.

    >>> import fractions
    >>> real(fractions.Fraction(1, 4)), real(True), setting(0.1, "lr", positive=True)
    (0.25, 1.0, 0.1)
    >>> real("2")
    Traceback (most recent call last):
    ...
    TypeError: Value() takes a real number, not str '2' (parse it first: Value(float(s)))
"""

import decimal
import math
import numbers

_isfinite = math.isfinite


def is_real(x: object) -> bool:
    """Whether ``x`` is a number a Value can hold: a finite real (see the module's rule)."""
    if x.__class__ is float:
        return x - x == 0.0
    if isinstance(x, (str, bytes)) or not isinstance(x, (numbers.Real, decimal.Decimal)):
        return False
    try:
        return _isfinite(float(x))
    except (OverflowError, ValueError):
        return False


def real(x: object, where: str = "Value()") -> float:
    """``x`` as a finite float, or a TypeError (not a real number) or ValueError (not finite)
    whose text names ``where`` it was given and what to do."""
    if x.__class__ is float and x - x == 0.0:
        return x
    if isinstance(x, (str, bytes)) or not isinstance(x, (numbers.Real, decimal.Decimal)):
        call = f"{where[:-1]}float(s))" if where.endswith("()") else "float(s)"
        hint = f" (parse it first: {call})" if isinstance(x, str) else ""
        raise TypeError(f"{where} takes a real number, not {type(x).__name__} {x!r}{hint}")
    try:
        f = float(x)
    except OverflowError:
        digits = int(x.bit_length() * 0.30103) if isinstance(x, int) else "many"
        raise ValueError(
            f"{where}: the {type(x).__name__} given is too large for a float (about {digits} digits; "
            "the largest float is about 1.8e308); rescale your inputs"
        ) from None
    except ValueError:  # a Decimal NaN that signals
        f = math.nan
    if not _isfinite(f):
        raise ValueError(f"{where}: only finite numbers can be held; got {f}")
    return f


def setting(
    x: object,
    where: str,
    positive: bool = False,
    below: float = math.inf,
) -> float:
    """A setting such as a learning rate: a real that is not a bool, at least 0 (above 0 when
    ``positive``) and below ``below``, as a float; otherwise a clear error naming ``where``."""
    if isinstance(x, bool):
        raise TypeError(f"{where} takes a number, not the bool {x!r}")
    f = real(x, where)
    if not ((f > 0 if positive else f >= 0) and f < below):
        low = "above 0" if positive else "at least 0"
        high = "" if below == math.inf else f" and below {below:g}"
        raise ValueError(f"{where} must be {low}{high}, not {x!r}")
    return f


def count(x: object, where: str, minimum: int = 1) -> int:
    """A count such as a number of epochs: an integer (Python's or numpy's, not a bool) of at
    least ``minimum``, as an int; otherwise a clear error naming ``where``."""
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise TypeError(f"{where} takes a whole number (at least {minimum}), not {type(x).__name__} {x!r}")
    n = int(x)
    if n < minimum:
        raise ValueError(f"{where} must be at least {minimum}, not {n}")
    return n


__all__ = ["is_real", "real", "setting", "count"]
