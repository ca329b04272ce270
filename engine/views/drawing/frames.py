"""The backward pass as pictures: one drawing after each chain-rule step, and a slider.

>>> import engine
>>> a = engine.Value(2.0, label="a")
>>> L = a * a; L.label = "L"
>>> f = frames(L)
>>> len(f), f[1]
(3, <Drawing of L: 2 values, full view, after step 1>)
"""

import html
import math
import os
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ... import walks
from ...record.forward import ForwardTrace
from ...record.tracing import Trace, record
from ...walks import Node
from . import drawing, scene_of
from . import render as _render
from ._base import Drawing
from ._full import full
from ._state import cached
from .options import make


class Frames(Sequence):
    """The drawings of ``root``'s backward pass after each step: ``frames[i]`` is step i.

    ``frames[0]`` is the start; there are ``len(trace) + 1`` frames. All of them read one
    recorded backward pass, ``self.trace`` (made from a Value with ``engine.trace.record``,
    which changes no ``.grad``, or given); frame i is ``engine.draw(trace, step=i, **options)``,
    made when first asked for (``options`` are held in one DrawOptions, ``self.settings``), with
    every box whole (``focus=False`` unless given): one layout for every frame.

    In Jupyter a Frames shows the HTML player of :func:`engine.animate` (play, slider,
    previous/next, arrow keys; no kernel needed), with a PNG of the first and last frames
    for viewers that strip scripts; ``scale`` sizes its pictures (they never get wider than
    the cell). :meth:`slider` gives the ipywidgets slider instead.

    ``forward=True`` puts the forward pass first: frames ``0 .. offset - 1`` compute one value
    each (:func:`forward_frame`), then frame ``offset + i`` is step i of the backward pass.
    A filtered trace (``trace.to("w5")``) has a frame per step it keeps: ``numbers`` are the
    steps' numbers as its table gives them (0 for the start), ``draw(trace, step=n)`` each.
    """

    def __init__(self, root: Any, *, scale: float = 1.0, forward: bool = False, **options: Any) -> None:
        if "precision" in options:  # the old name of digits: said once, here, not once per frame
            warnings.warn("precision= is now digits= (decimals); precision= goes in the next release",
                          DeprecationWarning, stacklevel=3)  # fmt: skip
            options = {**options}
            options.setdefault("digits", options.pop("precision"))
        # one layout for every frame (the player and the slider follow the step in it): no focus view
        options = {"focus": False, **options}
        self.settings = make(**options)  # checked now: a bad option is an error before any frame
        self.trace = record(root)
        self.root, self.options = self.trace.root, options
        self.numbers = [0] + [s.number for s in self.trace.steps]
        self.scale = _positive(scale, "scale")
        if not isinstance(forward, bool):
            raise TypeError(f"forward is True (the forward pass first) or False, not {forward!r}")
        self.forward = forward
        # with forward=True: frame k < offset computes the k-th value; then frame offset + i is step i
        self.computed = [v for v in walks.forward_order(self.root) if v.parents] if forward else []
        self.offset = len(self.computed) + 1 if forward else 0
        self._n = self.offset + len(self.trace) + 1
        self._cache: dict = {}
        self._rendered: dict = {}  # (fmt, dpi, k) -> bytes
        self._fitted = None  # the same frames in the orientation that fits a page (see the player)
        self._bare = None  # the same frames without headlines: the player's caption says it once

    def __len__(self):
        return self._n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self._n))]
        k = i + self._n if i < 0 else i
        if not 0 <= k < self._n:
            raise IndexError(f"frame {i} does not exist: there are {self._n} frames (steps 0..{self._n - 1})")
        if k not in self._cache:
            if k < self.offset:
                self._cache[k] = forward_frame(self.trace, k, self.computed, **self.options)
            else:
                self._cache[k] = drawing(self.trace, self.settings, self.numbers[k - self.offset])
        return self._cache[k]

    def __repr__(self):
        t, names = self.trace, self.trace.names
        if isinstance(t, ForwardTrace):
            pass_ = f"the forward-mode pass from {names[t.wrt]} up to {names[t.root]}"
            return f"<Frames: {self._n} drawings of {pass_}>"
        return f"<Frames: {self._n} drawings of the backward pass from {names[self.root]}>"

    def slider(self) -> Any:
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
        from ._player import bare, fitted, player

        f = fitted(bare(self))  # top to bottom when that fits the page better (unless rankdir was given)
        return player(f, f.render("svg"), duration=duration, digits=digits, scale=self.scale)

    def _repr_html_(self):
        return self.player()

    def _repr_mimebundle_(self, include=None, exclude=None):
        from ._player import MAX_FRAMES, still, too_many

        if self._n > MAX_FRAMES:  # say what to do rather than render for minutes
            return {"text/plain": f"{self!r}: {too_many(self, 'engine.frames(engine.trace({L}).to(w))')}"}
        return {"text/html": self.player(), "image/png": still(self), "text/plain": repr(self)}


def forward_frame(trace: Trace, k: int, computed: Sequence, **options: Any) -> Drawing:
    """The drawing after the forward pass has computed ``k`` values (``computed[:k]``); no gradient yet.

    It is the layout of ``draw(trace, step=0)`` in another state: the values not computed yet
    greyed (``data ?``), the root's gradient not set yet, and the value just computed and the
    edges into it in orange.
    """
    settings = make(**options)
    if settings.only is not None:
        raise ValueError(
            "the forward pass is drawn whole: only= draws one parameter's paths of the backward pass"
        )
    scene = cached(trace, settings, lambda: scene_of(trace, settings))
    return full(scene.layout, scene.forward(k, list(computed)))


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


def frames(root: "Node | Trace", **options: Any) -> Frames:
    """Drawings of the backward pass after each step, as a list-like :class:`Frames`.

    ``options`` go to ``engine.draw`` (and ``scale=`` sizes the player's pictures). It is a
    plain sequence: ``frames(L)[3]`` is the drawing after step 3; Jupyter shows the player.
    """
    return Frames(root, **options)


def slider(root_or_frames: Any, **options: Any) -> Any:
    """A Jupyter widget that steps through the frames with a live kernel, in the HTML player's look.

    Previous / play / next buttons and a slider as wide as the cell, a step counter, one
    caption (the step's sentence, as the trace writes it), the picture (the player's frame,
    ``draw(root, step=i)`` without its own headline, in the orientation that fits) cropped to a
    window around the step's edge and fitted to the cell, and the step's row of the trace table.
    Raises ImportError with what to do when ipywidgets is not installed, and RuntimeError outside a Jupyter
    kernel (widgets have nothing to show them there); ``frames(root)`` works without either
    (and its HTML player, ``engine.animate(root, "steps.html")``, needs no kernel at all).
    """
    try:
        import ipywidgets as widgets
    except ImportError:
        raise ImportError(
            "the step slider needs ipywidgets (pip install 'chainrule[widgets]'); without it, "
            "index frames(root)[i] to see the drawing after step i"
        ) from None
    if not live_kernel():
        raise RuntimeError(
            "engine.slider() shows ipywidgets, which need a live Jupyter kernel (a notebook) to be seen; "
            "here there is none. Outside Jupyter, engine.animate(root, 'steps.html') writes the same "
            "player as a page that opens in any browser, and engine.frames(root)[i] is the drawing "
            "after step i (.save('step.png'))"
        )
    from ._player import (
        NARROW_WINDOW,
        bare,
        captions,
        counters,
        fitted,
        slider_picture,
        slider_row,
        table_rows,
        windows,
    )

    f = root_or_frames if isinstance(root_or_frames, Frames) else Frames(root_or_frames, **options)
    # the player's frames (no headline: the caption above says what the step did), in the orientation
    # that fits, each cropped to a window around its step: what changed is in view at every step
    shown = fitted(bare(f))
    svgs = [s.decode("utf-8") for s in shown.render("svg")]
    pictures = list(zip(windows(svgs), windows(svgs, NARROW_WINDOW)))  # for a wide cell, a narrow one
    digits = f.settings.digits
    texts, counts, (head, rows) = captions(f, digits), counters(f), table_rows(f, digits)
    last = len(f) - 1
    button = widgets.Layout(width="3em")
    back = widgets.Button(description="◀", tooltip="previous step", layout=button)
    ahead = widgets.Button(description="▶", tooltip="next step", layout=button)
    play = widgets.Play(value=0, min=0, max=last, interval=800, show_repeat=False, tooltip="play / pause")
    wide = widgets.Layout(flex="1 1 auto", width="auto", min_width="12em")  # on a line of its own if need be
    control = widgets.IntSlider(value=0, min=0, max=last, readout=False, description="step", layout=wide)
    widgets.link((play, "value"), (control, "value"))  # play moves the slider, the slider moves play
    count = widgets.Label(counts[0])
    caption = widgets.HTML()
    out = widgets.HTML(layout=widgets.Layout(width="100%"))
    row = widgets.HTML(layout=widgets.Layout(width="100%"))

    def show(k):
        count.value = counts[k]
        caption.value = f"<b>{html.escape(texts[k])}</b>"
        row.value = slider_row(head, rows[k])
        wide, narrow = pictures[k]
        out.value = slider_picture(wide, narrow, texts[k])

    back.on_click(lambda _: setattr(control, "value", max(0, control.value - 1)))
    ahead.on_click(lambda _: setattr(control, "value", min(last, control.value + 1)))
    control.observe(lambda change: show(change["new"]), names="value")
    show(0)
    bar = widgets.HBox(
        [back, play, ahead, control, count], layout=widgets.Layout(width="100%", flex_flow="row wrap")
    )
    box = widgets.VBox([bar, caption, out, row], layout=widgets.Layout(width="100%"))
    box.frames = f
    return box


def live_kernel() -> bool:
    """Whether this runs in a Jupyter kernel, where widgets have a front end to show them."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


__all__ = ["Frames", "frames", "slider"]
