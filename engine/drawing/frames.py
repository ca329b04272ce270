"""The backward pass as pictures: one drawing after each chain-rule step, and a slider.

>>> import engine
>>> a = engine.Value(2.0, label="a")
>>> L = a * a; L.label = "L"
>>> f = frames(L)
>>> len(f), f[1]
(3, <Drawing of L: 2 values, full view, after step 1>)
"""

import math
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..tracing import record
from . import draw
from . import render as _render


class Frames(Sequence):
    """The drawings of ``root``'s backward pass after each step: ``frames[i]`` is step i.

    ``frames[0]`` is the start; there are ``len(trace) + 1`` frames. All of them read one
    recorded backward pass, ``self.trace`` (made from a Value with ``engine.trace.record``,
    which changes no ``.grad``, or given); frame i is ``engine.draw(trace, step=i, **options)``,
    made when first asked for.

    In Jupyter a Frames shows the HTML player of :func:`engine.animate` (play, slider,
    previous/next, arrow keys; no kernel needed), with a PNG of the first and last frames
    for viewers that strip scripts; ``scale`` sizes its pictures (they never get wider than
    the cell). :meth:`slider` gives the ipywidgets slider instead.
    """

    def __init__(self, root, *, scale: float = 1.0, **options):
        self.trace = record(root)
        self.root, self.options = self.trace.root, options
        self.scale = _positive(scale, "scale")
        self._n = len(self.trace) + 1
        self._cache = {}
        self._rendered = {}  # (fmt, dpi, k) -> bytes
        self._fitted = None  # the same frames in the orientation that fits a page (see the player)

    def __len__(self):
        return self._n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self._n))]
        k = i + self._n if i < 0 else i
        if not 0 <= k < self._n:
            raise IndexError(f"frame {i} does not exist: there are {self._n} frames (steps 0..{self._n - 1})")
        if k not in self._cache:
            self._cache[k] = draw(self.trace, step=k, **self.options)
        return self._cache[k]

    def __repr__(self):
        return f"<Frames: {self._n} drawings of the backward pass from {self.trace.names[self.root]}>"

    def slider(self):
        """An ipywidgets slider that scrubs through the frames (needs ipywidgets and a live kernel)."""
        return slider(self)

    def render(self, fmt: str = "svg", dpi: float | None = None) -> list:
        """Every frame rendered to ``fmt`` ("svg" or "png"), as bytes; ``dpi`` sets a PNG's resolution.

        The frames are rendered in parallel (one Graphviz process each) and kept, so asking
        again costs nothing.
        """
        missing = [k for k in range(self._n) if (fmt, dpi, k) not in self._rendered]
        sources = {k: _with_dpi(self[k], dpi) for k in missing}
        workers = min(len(missing), os.cpu_count() or 1, 8)
        if workers > 1:
            with ThreadPoolExecutor(workers) as pool:  # each render is a subprocess: threads suffice
                done = dict(zip(missing, pool.map(lambda k: _render.pipe(sources[k], fmt), missing)))
        else:
            done = {k: _render.pipe(sources[k], fmt) for k in missing}
        for k, data in done.items():
            self._rendered[fmt, dpi, k] = data
        return [self._rendered[fmt, dpi, k] for k in range(self._n)]

    def render_one(self, k: int, fmt: str = "svg", dpi: float | None = None) -> bytes:
        """Frame ``k`` rendered to ``fmt`` (kept, like :meth:`render`)."""
        k = k + self._n if k < 0 else k
        if (fmt, dpi, k) not in self._rendered:
            self._rendered[fmt, dpi, k] = _render.pipe(_with_dpi(self[k], dpi), fmt)
        return self._rendered[fmt, dpi, k]

    def player(self, *, duration: float = 0.8, digits: int = 5) -> str:
        """The HTML player (inline SVG and script) for a notebook or a page: see :func:`engine.animate`."""
        from ._player import fitted, player

        f = fitted(self)  # top to bottom when that fits the page better (unless rankdir was given)
        return player(f, f.render("svg"), duration=duration, digits=digits, scale=self.scale)

    def _repr_html_(self):
        return self.player()

    def _repr_mimebundle_(self, include=None, exclude=None):
        from ._player import MAX_FRAMES, still, too_many

        if self._n > MAX_FRAMES:  # say what to do rather than render for minutes
            return {"text/plain": f"{self!r}: {too_many(self, 'engine.frames(engine.trace({L}).to(w))')}"}
        return {"text/html": self.player(), "image/png": still(self), "text/plain": repr(self)}


def _positive(x, name):
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x) or x <= 0:
        raise ValueError(f"{name} must be a positive number (1 is natural size), not {x!r}")
    return float(x)


def _with_dpi(drawing, dpi):
    """The DOT text of ``drawing``, at ``dpi`` dots per inch when given (sizes a PNG)."""
    if dpi is None:
        return drawing.source
    g = drawing.copy()
    g.attr(dpi=f"{dpi:g}")
    return g.source


def frames(root: Any, **options: Any) -> Frames:
    """Drawings of the backward pass after each step, as a list-like :class:`Frames`.

    ``options`` go to ``engine.draw`` (and ``scale=`` sizes the player's pictures). It is a
    plain sequence: ``frames(L)[3]`` is the drawing after step 3; Jupyter shows the player.
    """
    return Frames(root, **options)


def slider(root_or_frames: Any, **options: Any) -> Any:
    """A Jupyter slider (ipywidgets) that shows ``engine.draw(root, step=i)`` as i moves.

    Raises ImportError with what to do when ipywidgets is not installed; ``frames(root)``
    works without it.
    """
    try:
        import ipywidgets as widgets
    except ImportError:
        raise ImportError(
            "the step slider needs ipywidgets (pip install 'chainrule[widgets]'); without it, "
            "index frames(root)[i] to see the drawing after step i"
        ) from None
    from IPython.display import display

    f = root_or_frames if isinstance(root_or_frames, Frames) else Frames(root_or_frames, **options)
    steps = f.trace.steps  # the captions read the same recorded pass as the pictures
    control = widgets.IntSlider(value=0, min=0, max=len(f) - 1, description="step")
    caption = widgets.Label()
    out = widgets.Output()

    def show(k):
        caption.value = str(steps[k - 1]) if k else "step 0: start, only the root's gradient is known"
        with out:
            out.clear_output(wait=True)
            display(f[k])

    control.observe(lambda change: show(change["new"]), names="value")
    show(0)
    box = widgets.VBox([control, caption, out])
    box.frames = f
    return box


__all__ = ["Frames", "frames", "slider"]
