"""Every option of a drawing, held once: :class:`DrawOptions`.

``engine.draw(root, **options)``, ``engine.frames``, ``engine.slider`` and ``engine.animate`` all
read their drawing options through one ``DrawOptions``, checked when it is made:

    >>> DrawOptions(rankdir="TB", digits=3).digits
    3
    >>> DrawOptions(rankdir="RL")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: rankdir must be 'LR' (left to right), 'TB' (top to bottom) or None (whichever fits ...
"""

import warnings
from dataclasses import dataclass, fields
from typing import Any

from ... import numbers
from ...vocab import DIGITS

FULL_LIMIT = 200  # Values: above this, draw() collapses the graph by default


@dataclass(frozen=True)
class DrawOptions:
    """What a drawing shows and how (see :func:`engine.draw` for each option's meaning).

    ``highlight`` holds Values, ``highlight_edges`` pairs ``(a, b)`` of Values; ``only`` is a
    parameter (a Value or its label) whose paths alone are drawn. ``digits`` is the decimals of
    every number (``precision``, its old name, still works for one release, with a warning).
    """

    rankdir: str | None = None  # None: "LR" unless that would be too wide for a notebook cell
    edge_labels: bool | None = None
    formulas: bool = False
    highlight: Any = ()
    highlight_edges: Any = ()
    collapse: bool | None = None
    max_nodes: int = FULL_LIMIT
    digits: int = DIGITS
    legend: bool = True
    headline: bool = True
    only: Any = None
    focus: bool | None = None  # a step's frame: its node, parents and path to the root at full size

    def __post_init__(self) -> None:
        if self.rankdir not in ("LR", "TB", None):
            raise ValueError(
                f"rankdir must be 'LR' (left to right), 'TB' (top to bottom) or None (whichever fits a "
                f"notebook cell), not {self.rankdir!r}"
            )
        n = numbers.count(self.digits, "digits (a number of decimals)", minimum=0)
        if not 1 <= n <= 17:
            raise ValueError(f"digits is a number of decimals from 1 to 17, not {self.digits!r}")
        object.__setattr__(self, "digits", n)
        object.__setattr__(self, "max_nodes", numbers.count(self.max_nodes, "max_nodes", minimum=0))
        for name in ("formulas", "legend", "headline"):
            if not isinstance(getattr(self, name), bool):
                what = {"headline": "a step's frame says what it did"}.get(name, "on")
                raise TypeError(f"{name} is True ({what}) or False, not {getattr(self, name)!r}")
        for name in ("edge_labels", "collapse", "focus"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, bool):
                raise TypeError(f"{name} is True, False or None (decided by the graph's size), not {value!r}")
        marked, pairs = self.highlight, self.highlight_edges
        if hasattr(marked, "parents"):
            marked = (marked,)  # one Value given on its own
        if isinstance(pairs, tuple) and len(pairs) == 2 and all(hasattr(x, "parents") for x in pairs):
            pairs = (pairs,)  # one pair given on its own
        for name, value in (("highlight", marked), ("highlight_edges", pairs)):
            try:  # tuples: hashable, fixed once made
                object.__setattr__(self, name, tuple(value))
            except TypeError:
                raise TypeError(
                    f"{name} takes a list of Values (or of pairs of them), not {value!r}"
                ) from None

    def replace(self, **changes: Any) -> "DrawOptions":
        """These options with ``changes`` (checked as when made)."""
        return make(self, **changes)


NAMES = frozenset(f.name for f in fields(DrawOptions))


def make(base: DrawOptions | None = None, /, **options: Any) -> DrawOptions:
    """``options`` (keywords of :func:`engine.draw`) over ``base``; an unknown keyword is an error.

    ``precision=`` is the old name of ``digits=``: accepted with a DeprecationWarning.
    """
    if "precision" in options:
        warnings.warn(
            "draw(precision=...) is now digits=..., the word every view uses for decimals; "
            "precision= goes in the next release",
            DeprecationWarning,
            stacklevel=3,
        )
        precision = options.pop("precision")
        if "digits" in options and options["digits"] != precision:
            raise TypeError("give digits= (decimals) only; precision= is its old name")
        options["digits"] = precision
    unknown = sorted(set(options) - NAMES)
    if unknown:
        raise TypeError(f"draw() has no option {unknown[0]!r}; its options are {', '.join(sorted(NAMES))}")
    if base is None:
        return DrawOptions(**options)
    values = {f.name: getattr(base, f.name) for f in fields(DrawOptions)}
    return DrawOptions(**{**values, **options})


__all__ = ["DrawOptions", "FULL_LIMIT"]
