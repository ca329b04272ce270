"""Live training: the loss curve and the decision boundary, redrawn in place while ``fit`` runs.

``fit(..., live=True)`` inside Jupyter shows ONE picture and redraws it in place (one
display handle, a PNG drawn by matplotlib's Agg renderer: no flicker, no growing output):
the loss per iteration and per epoch and, for a model with 2 inputs, the regions it
assigns to each class with the data on top (one output: score > 0, or for a loss
without classes such as mse score > halfway between the labels; one output per class:
the arg-max class). Outside Jupyter there is nothing to draw in, and ``fit``
shows its progress bar instead.

How often: ``live_every=k`` redraws every k updates; by default (None) the drawing's time,
the first picture included, is kept within ``SHARE`` (10%) of the training's time, but
spent early: after update n of N the pictures may have taken ``SHARE × T × front(n / N)``,
where T is the whole training's time projected from the pace so far and ``front`` rises
like a logarithm (a quarter of the allowance is there by a twentieth of the updates). The
boundary changes fastest in the first updates, so those are redrawn most often (the gaps
grow about geometrically); later ones less often. A redraw is assumed to cost what the
last one did. The first update's picture and the last one's are always drawn, so on top
of that share comes one picture's cost at the end.

``fit(..., snapshots=k)`` keeps the weights (plain floats) before training, every k
updates and after the last, so that ``history.animate("training.gif")`` draws the
boundary's evolution later, one frame per snapshot, the same picture as the live view.

The boundary is computed from the weights' numbers (``p.data``) with numpy, never
through Values: drawing records no graph and changes no weight or gradient.

``fit(..., live=True, watch=i)`` adds the graph of sample i's loss (:mod:`nn._watch`): laid out
and rendered once before training, then at every redraw filled with that sample's numbers, read
from a recorded pass of it (``engine.trace``'s record, which changes no ``.grad``), with the
sample ringed on the boundary and the optimizer's state per parameter beside it; the picture, the
graph and the table are one HTML output updated in place. The snapshots also keep a copy of the
model and the optimizer's numbers, so that ``history.animate("train.html", watch=i)`` writes the
page of that sample's training and ``.gif`` its GIF.
"""

import copy
import io
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.files import write_atomic

from . import _watch
from ._picture import Picture, Scene, png
from ._scores import Layers, activations, scores, weights

SHARE = 0.1  # by default, drawing takes at most this share of the time (plus the last picture)
GIF_LONGEST = 655.35  # seconds: a GIF frame's longest time (65535 hundredths of a second)
EARLY = 30.0  # how much the allowance is spent early: front(x) = log(1 + EARLY·x) / log(1 + EARLY)


def front(x: float) -> float:
    """The share of the drawing allowance that may be spent when a share ``x`` of the updates is done."""
    return math.log1p(EARLY * x) / math.log1p(EARLY)


def check(live: Any, live_every: Any, snapshots: Any) -> None:
    """Raise a clear error for a bad ``live``, ``live_every`` or ``snapshots`` argument of ``fit``."""
    if not isinstance(live, bool):
        raise TypeError(f"live must be True or False, got {live!r}")
    for name, value, meaning in (
        ("live_every", live_every, "None (redraw as often as keeps drawing to 10% of the time)"),
        ("snapshots", snapshots, "None (keep no weights)"),
    ):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"{name} must be {meaning} or a whole number of updates >= 1, got {value!r}")


def in_jupyter() -> bool:
    """True inside a Jupyter (IPython) kernel, where a picture can be displayed and updated."""
    IPython = sys.modules.get("IPython")  # a kernel has always imported it; don't import it otherwise
    if IPython is None:
        return False
    shell = IPython.get_ipython()
    return shell is not None and (getattr(shell, "kernel", None) is not None or "IPKernelApp" in shell.config)


def text_progress_file() -> Any:
    """Where a text progress bar writes: stdout inside Jupyter (a notebook shows stderr as a pink
    warning block, and a progress bar is no warning), else None (tqdm's default, stderr)."""
    return sys.stdout if in_jupyter() else None


class Display:
    """One picture in the notebook, shown once and then updated in place (one display handle)."""

    def __init__(self) -> None:
        self.handle: Any = None

    def show(self, data: bytes) -> None:
        """Show the PNG ``data``: the first time as a new output, then replacing that output."""
        from IPython.display import Image, display

        image = Image(data=data, format="png")
        if self.handle is None:
            self.handle = display(image, display_id=True)
        else:
            self.handle.update(image)

    def show_html(self, text: str) -> None:
        """Show the HTML ``text`` (the watched sample's view), then replace it in place."""
        from IPython.display import HTML, display

        page = HTML(text)
        if self.handle is None:
            self.handle = display(page, display_id=True)
        else:
            self.handle.update(page)


@dataclass
class Snapshots:
    """Weights kept by ``fit(..., snapshots=k)``: ``weights[i]`` after ``steps[i]`` updates."""

    scene: Scene
    every: int
    steps: list[int] = field(default_factory=list)
    weights: list[Layers] = field(default_factory=list)
    # for animate(path, watch=i): a copy of the model (its weights are set from a snapshot to record a
    # sample's pass), the loss of one sample, the optimizer's parameters' names and, per snapshot,
    # their value, grad and the optimizer's own state (nn._watch.optimizer_state)
    model: Any = None
    loss_fn: Any = None
    names: list[str] = field(default_factory=list)
    optimizer: list[dict[str, list[float]]] = field(default_factory=list)
    same: bool = False  # the optimizer holds exactly the model's parameters, in its order
    unwatchable: str | None = None  # why animate(watch=i) cannot play these snapshots, if it cannot


class Watch:
    """What ``fit`` calls after each update and once at the end: the live view and the snapshots."""

    def __init__(
        self, model: Any, X: Sequence[Sequence[float]], y: Sequence[Any], loss_fn: Any, history: Any,
        epochs: int, *, live: bool, every: int | None, snapshots: int | None, l2: float = 0.0,
        optimizer: Any = None, watch: int | None = None,
    ) -> None:  # fmt: skip
        self.model, self.history, self.optimizer = model, history, optimizer
        self.scene = Scene.of(model, X, y, loss_fn, l2)
        self.total = epochs * history.iterations_per_epoch
        self.live = live and in_jupyter()
        self.every = every
        self.draws = 0  # pictures drawn so far
        self.drawn_at = -1  # the update the picture shows
        self.cost, self.spent = 0.0, 0.0  # the last redraw's seconds, and all redraws' seconds
        self.sample: Any = None
        if self.live:  # matplotlib is imported and the figure made here, not timed as a redraw
            self.picture: Any = self.scene.picture(history.iterations_per_epoch, self.total)
            self.display = Display()
            if watch is not None:  # the sample's graph, laid out once
                self.sample = _watch.Sample(model, X[watch], y[watch], loss_fn, watch)
                self.names = _watch.param_names(optimizer)
                _watch.mark(self.picture, X[watch])
            self.began = time.perf_counter()
        if snapshots:
            history.snapshots = Snapshots(self.scene, snapshots)
            if self.scene.acts is not None and optimizer is not None:
                history.snapshots.model = copy.deepcopy(model)
                history.snapshots.loss_fn = loss_fn
                history.snapshots.names = _watch.param_names(optimizer)
                history.snapshots.same = [id(p) for p in optimizer.params] == [
                    id(p) for p in model.parameters()
                ]
            self.keep(0)

    def keep(self, step: int) -> None:
        """Keep the weights now, after ``step`` updates."""
        snaps = self.history.snapshots
        snaps.steps.append(step)
        snaps.weights.append(weights(self.model) if self.scene.acts else [])
        if snaps.model is not None:
            snaps.optimizer.append(_watch.optimizer_state(self.optimizer))

    def step(self) -> None:
        """After an update: keep a snapshot or redraw when one is due."""
        n = len(self.history.loss)
        snaps = self.history.snapshots
        if snaps is not None and n % snaps.every == 0:
            self.keep(n)
        if self.live:
            if self.every is None:  # drawing stays within SHARE of the training's time, spent early
                training = time.perf_counter() - self.began - self.spent
                projected = training / n * self.total  # the whole training's time, at this pace
                due = self.spent + self.cost <= SHARE * projected * front(n / self.total)
            else:
                due = n % self.every == 0
            if (due or n == 1) and n < self.total:  # the last update's picture is drawn by end()
                self.redraw(n)

    def end(self) -> None:
        """After the last update: keep the last weights, draw the last picture, let the figure go."""
        n = len(self.history.loss)
        snaps = self.history.snapshots
        if snaps is not None and snaps.steps[-1] != n:
            self.keep(n)
        if self.live:
            if self.drawn_at != n:  # the last picture, with the last epoch's mean loss too
                self.redraw(n)
            del self.picture  # the figure is not pyplot's: nothing else holds it

    def redraw(self, n: int) -> None:
        """Draw the picture after ``n`` updates and show it in place of the last one."""
        start = time.perf_counter()
        h = self.history
        layers = weights(self.model) if self.scene.boundary else None
        self.picture.update(layers, h.loss, h.epoch_loss)
        if self.sample is None:
            self.display.show(self.picture.png())
        else:  # the picture, the sample's graph at these weights and the optimizer's state: one output
            numbers = self.sample.numbers(self.model)
            caption = _watch.caption(self.sample, numbers, n, self.total)
            state = _watch.optimizer_state(self.optimizer)
            self.display.show_html(_watch.live_html(self.picture.png(), self.sample, numbers, self.names,
                                                    state, caption))  # fmt: skip
        self.draws += 1
        self.drawn_at = n
        self.cost = time.perf_counter() - start
        self.spent += self.cost


LAYERS = (
    "compile='layers' keeps the gradients and the optimizer's state in arrays of its own, not in the "
    "parameters and the optimizer the table reads: train with compile=False or compile=True to watch a sample"
)


def check_watch(watch: Any, rows: int, live: bool, compile: Any = False) -> None:
    """Raise a clear error for a bad ``watch`` argument of ``fit`` (the row whose learning is shown)."""
    if watch is None:
        return
    if isinstance(watch, bool) or not isinstance(watch, int) or not 0 <= watch < rows:
        raise ValueError(f"watch must be the index of a training row, 0 to {rows - 1}, got {watch!r}")
    if not live:
        raise ValueError(
            "watch=i shows sample i in the live view: pass live=True too (or keep snapshots=k and "
            "write the page afterwards with history.animate('train.html', watch=i))"
        )
    if compile == "layers":
        raise ValueError(f"watch=i: {LAYERS}")


def animate(
    history: Any, path: str | Path, *, duration: float = 0.1, pause: float = 2.0, watch: int | None = None
) -> Path:
    """Write ``history``'s snapshots as an animated GIF at ``path``; see ``History.animate``."""
    from PIL import Image

    snaps = history.snapshots
    if snaps is None or not snaps.steps:
        raise ValueError(
            "no snapshots were recorded: pass snapshots=k to fit to keep the weights every k updates"
        )
    if snaps.scene.acts is None:
        raise ValueError(
            "animate draws the decision boundary of a network of neurons such as nn.MLP, "
            "trained on targets that are numbers or class labels"
        )
    if not snaps.scene.boundary:
        raise ValueError(
            "animate draws the decision boundary of a network with 2 inputs; "
            f"this one was trained on rows of {len(snaps.scene.X[0])} numbers"
        )
    path = Path(path)
    kinds = (".gif", ".html", ".htm") if watch is not None else (".gif",)
    if path.suffix.lower() not in kinds:
        if watch is not None:
            raise ValueError(f"animate(watch=i) writes a page (.html) or a GIF (.gif), not {str(path)!r}")
        raise ValueError(f"animate writes an animated GIF: name the file .gif, not {str(path)!r}")
    if not path.parent.is_dir():
        raise FileNotFoundError(
            f"cannot write {str(path)!r}: the directory {str(path.parent)!r} does not exist"
        )
    for what, value in (("duration (seconds a frame)", duration), ("pause (more on the last)", pause)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
            raise ValueError(f"{what} must be a number >= 0, got {value!r}")
    if max(duration, 0.02) + pause > GIF_LONGEST:
        raise ValueError(
            f"duration + pause (the last frame's time) is {duration + pause:g} s, more than a GIF frame can "
            f"show: at most {GIF_LONGEST:g} s (a GIF keeps a frame's time in hundredths of a second)"
        )
    if watch is not None:
        rows = len(snaps.scene.X)
        if isinstance(watch, bool) or not isinstance(watch, int) or not 0 <= watch < rows:
            raise ValueError(f"watch must be the index of a training row, 0 to {rows - 1}, got {watch!r}")
        if snaps.model is None or not snaps.optimizer:
            raise ValueError(
                f"animate(watch=i): {snaps.unwatchable or 'these snapshots hold no copy of the model'}"
            )
        if path.suffix.lower() != ".gif":
            write_atomic(path, _watch.page(history, watch, duration=max(duration, 0.05)).encode("utf-8"))
            return path
    per_epoch, frames = history.iterations_per_epoch, []
    picture = snaps.scene.picture(per_epoch, history.iterations)
    graph = None
    if watch is not None:  # the GIF shows the sample's graph below the picture, each frame drawn by Graphviz
        _watch.mark(picture, snaps.scene.X[watch])
        graph = _watch.GifGraph(snaps, watch)
    for step, layers in zip(snaps.steps, snaps.weights):
        picture.update(layers, history.loss[:step], history.epoch_loss[: step // per_epoch])
        frame = Image.open(io.BytesIO(picture.png())).convert("RGB")
        if graph is not None:
            frame = graph.below(frame, layers)
        frames.append(frame)
    both = Image.new("RGB", (frames[0].width, frames[0].height * 2))  # the first and last hold every colour
    both.paste(frames[0], (0, 0))
    both.paste(frames[-1], (0, frames[0].height))
    palette = both.quantize(colors=128, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    images = [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in frames]
    ms = max(20, round(duration * 1000))
    times = [ms] * (len(images) - 1) + [ms + round(pause * 1000)]
    out = io.BytesIO()
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=times, loop=0,
                   optimize=False, disposal=1)  # fmt: skip
    write_atomic(path, out.getvalue())
    return path


__all__ = ["Picture", "Scene", "Snapshots", "Watch", "activations", "animate", "check", "check_watch",
           "front", "in_jupyter", "png", "scores", "text_progress_file", "weights"]  # fmt: skip
