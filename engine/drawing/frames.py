"""The backward pass as pictures: one drawing after each chain-rule step, and a slider.

>>> import engine
>>> a = engine.Value(2.0, label="a")
>>> L = a * a; L.label = "L"
>>> f = frames(L)
>>> len(f), f[1]
(3, <Drawing of L: 2 values, full view, after step 1>)
"""

from collections.abc import Sequence
from typing import Any

from ..tracing import record
from . import draw


class Frames(Sequence):
    """The drawings of ``root``'s backward pass after each step: ``frames[i]`` is step i.

    ``frames[0]`` is the start; there are ``len(trace) + 1`` frames. All of them read one
    recorded backward pass, ``self.trace`` (made from a Value with ``engine.trace.record``,
    which changes no ``.grad``, or given); frame i is ``engine.draw(trace, step=i, **options)``,
    made when first asked for. In Jupyter a Frames shows a slider when ipywidgets is
    installed, and otherwise every frame in turn.
    """

    def __init__(self, root, **options):
        self.trace = record(root)
        self.root, self.options = self.trace.root, options
        self._n = len(self.trace) + 1
        self._cache = {}

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
        """An ipywidgets slider that scrubs through the frames (needs ipywidgets)."""
        return slider(self)

    def _ipython_display_(self):
        from IPython.display import display

        try:
            display(self.slider())
        except ImportError:
            for k in range(min(self._n, 50)):
                display(self[k])
            if self._n > 50:
                print(f"... {self._n - 50} more frames: index them, frames[i]")


def frames(root: Any, **options: Any) -> Frames:
    """Drawings of the backward pass after each step, as a list-like :class:`Frames`.

    ``options`` go to ``engine.draw``. Without ipywidgets it is still a plain sequence:
    ``frames(L)[3]`` is the drawing after step 3.
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
