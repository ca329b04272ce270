"""Live training: the loss curve and the decision boundary, redrawn in place while ``fit`` runs.

``fit(..., live=True)`` inside Jupyter shows ONE picture and redraws it in place (one
display handle, a PNG drawn by matplotlib's Agg renderer: no flicker, no growing output):
the loss per iteration and per epoch and, for a model with 2 inputs, the regions it
assigns to each class with the data on top (one output: score > 0, or for a loss
without classes such as mse score > halfway between the labels; one output per class:
the arg-max class). Outside Jupyter there is nothing to draw in, and ``fit``
shows its progress bar instead.

How often: ``live_every=k`` redraws every k updates; by default (None) the picture is
redrawn whenever that keeps the time spent drawing, the first picture included, within
``SHARE`` (10%) of the time since training began (a redraw is assumed to cost what the
last one did). The first update's picture and the last one's are always drawn, so on
top of that share comes one picture's cost at the end.

``fit(..., snapshots=k)`` keeps the weights (plain floats) before training, every k
updates and after the last, so that ``history.animate("training.gif")`` draws the
boundary's evolution later, one frame per snapshot, the same picture as the live view.

The boundary is computed from the weights' numbers (``p.data``) with numpy, never
through Values: drawing records no graph and changes no weight or gradient.
"""

import functools
import io
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.files import write_atomic

SHARE = 0.1  # by default, drawing takes at most this share of the time (plus the last picture)
GRID = 160  # points per side of the grid the regions are computed on
SIZE, DPI = (9.6, 4.0), 100  # inches and pixels per inch: a 960×400 picture, 10-point text is 14 px
REGIONS = ["#f4b6b6", "#b6d0f4", "#bfe3b4", "#f6dfa6", "#d9c2ec"]  # class 0 (or −), 1 (or +), 2, ...: fills
POINTS = ["#c62828", "#1565c0", "#2e7d32", "#ef8f00", "#6a1b9a"]  # and the data points of each class

# The picture's own look, whatever style the notebook set (its margins are fixed: a redraw lays out nothing)
STYLE = {"font.size": 10, "axes.titlesize": 12, "axes.labelsize": 10, "xtick.labelsize": 10,
         "ytick.labelsize": 10, "legend.fontsize": 10, "figure.titlesize": 13,
         "axes.formatter.limits": (-3, 4)}  # fmt: skip # ticks of 5 digits or more: × 10^n, they stay narrow

Layers = list[tuple[list[list[float]], list[float]]]  # per layer: the weights (one row per neuron), biases


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


def weights(model: Any) -> Layers | None:
    """The model's weights and biases as plain floats, layer by layer (None unless an MLP of neurons)."""
    try:
        return [([[w.data for w in n.w] for n in layer.neurons], [n.b.data for n in layer.neurons])
                for layer in model.layers]  # fmt: skip
    except (AttributeError, TypeError):
        return None


def activations(model: Any) -> list[str] | None:
    """Each layer's activation name ("relu", "tanh", "sigmoid", "linear"), or None for another model."""
    try:
        names = [[n.activation for n in layer.neurons] for layer in model.layers]
    except (AttributeError, TypeError):
        return None
    if any(len(set(layer)) != 1 for layer in names) or not all(n[0] in _ACTIVATIONS for n in names):
        return None
    return [layer[0] for layer in names]


def scores(layers: Layers, acts: Sequence[str], points: Any) -> Any:
    """The network's outputs for ``points`` (n rows) as a numpy array of n rows, computed on floats."""
    import numpy as np

    a = np.asarray(points, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        for (W, b), act in zip(layers, acts):
            a = _ACTIVATIONS[act](a @ np.asarray(W, dtype=float).T + np.asarray(b, dtype=float))
    return a


def _sigmoid(z):
    import numpy as np

    return 0.5 * (1.0 + np.tanh(0.5 * z))  # = 1/(1 + e^-z), without overflow


def _relu(z):
    import numpy as np

    return np.maximum(z, 0.0)


def _tanh(z):
    import numpy as np

    return np.tanh(z)


_ACTIVATIONS: dict[str, Callable[[Any], Any]] = {
    "relu": _relu, "tanh": _tanh, "sigmoid": _sigmoid, "linear": lambda z: z,
}  # fmt: skip


@dataclass
class Scene:
    """What a picture of training shows besides the weights: the data, its classes, the loss's name.

    ``X`` and ``y`` are the training rows and targets (references, not copies); ``acts``
    the layers' activations (None: the model is not an MLP of 2 inputs, so no boundary);
    ``threshold`` the label above which a one-output model's target counts as the +
    class and ``level`` the score above which its prediction does (the boundary);
    ``what`` names the loss on the curve's axis.
    """

    X: Sequence[Sequence[float]]
    y: Sequence[Any]
    acts: list[str] | None
    threshold: float = 0.0
    what: str = "loss"
    classes: int = 1  # outputs of the model: 1 (a score, > level is the + class) or one per class
    level: float = 0.0

    @classmethod
    def of(
        cls, model: Any, X: Sequence[Sequence[float]], y: Sequence[Any], loss_fn: Any, l2: float
    ) -> "Scene":
        """The scene of ``fit(model, X, y, loss_fn, l2=l2)``.

        A classification loss says its labels' threshold (hinge: 0 for labels ±1, bce: 0.5
        for 0/1) and its boundary is score 0; for another loss (mse on two labels, say)
        both are halfway between the smallest and largest target.
        """
        acts = activations(model)
        outputs = len(model.layers[-1].neurons) if acts else 1
        what = getattr(loss_fn, "__name__", "loss") + (" + L2" if l2 else "")
        scene = cls(X, y, acts, 0.0, what, outputs)
        threshold = getattr(loss_fn, "label_threshold", None)
        try:
            if threshold is not None:
                scene.threshold = float(threshold)
            elif outputs == 1:
                values = [scene.value(t) for t in y]
                scene.threshold = scene.level = (min(values) + max(values)) / 2
            scene.labels()
        except (
            TypeError,
            ValueError,
            IndexError,
        ):  # targets that are not labels (a custom loss's): no boundary
            scene.acts = None
        return scene

    @staticmethod
    def value(t: Any) -> float:
        """A one-output target as a number (its first entry if it is a list)."""
        return float(t[0] if isinstance(t, (list, tuple)) else t)

    def names(self) -> list[str]:
        """The legend's name of each class: "class c", or for one output the two labels (y = −1, y = +1)."""
        if self.classes > 1:
            return [f"class {c}" for c in range(self.classes)]
        values = sorted({self.value(t) for t in self.y})
        if len(values) == 2:
            sign = "+" if values[0] < 0 else ""  # y = −1, y = +1; y = 0, y = 1
            return [f"y = {v:{sign}g}".replace("-", "−") for v in values]
        return [f"y ≤ {self.threshold:g}", f"y > {self.threshold:g}"]

    @property
    def boundary(self) -> bool:
        """True when the picture has the decision boundary: a network of neurons with 2 inputs."""
        return self.acts is not None and len(self.X[0]) == 2

    def labels(self) -> list[int]:
        """Each row's class: its target for one output per class, target > threshold (0 or 1) for one."""
        if self.classes == 1:
            return [int(self.value(t) > self.threshold) for t in self.y]
        return [
            max(range(len(t)), key=[float(v) for v in t].__getitem__)
            if isinstance(t, (list, tuple))
            else int(t)
            for t in self.y
        ]  # a target vector's class is its largest entry

    def picture(self, per_epoch: int, total: int) -> "Picture":
        """A new picture of this training (``per_epoch`` updates an epoch, ``total`` in all)."""
        return Picture(self, per_epoch, total)


def _styled(method: Callable) -> Callable:
    """Run ``method`` in matplotlib's default style with STYLE's text sizes (tick labels are made at draw)."""

    @functools.wraps(method)
    def run(*args, **kwargs):
        import matplotlib.style

        with matplotlib.style.context(["default", STYLE]):
            return method(*args, **kwargs)

    return run


class Picture:
    """One matplotlib Figure of training: the loss curve and (2-D) the boundary, updated in place.

    The axes, the data points and the legends are made once; ``update`` changes only
    what moves (the curves, the regions, the boundary line, the captions), so a redraw
    costs little. The live view and ``History.animate`` draw with it: the same picture.
    """

    @_styled
    def __init__(self, scene: Scene, per_epoch: int, total: int) -> None:
        import numpy as np
        from matplotlib.figure import Figure

        self.scene, self.per_epoch, self.total = scene, per_epoch, max(total, 1)
        boundary = scene.boundary
        self.fig = Figure(figsize=SIZE if boundary else (SIZE[0] / 2, SIZE[1]), dpi=DPI)
        axes = self.fig.subplots(1, 2 if boundary else 1, squeeze=False)[0]
        self.fig.subplots_adjust(
            left=0.07 if boundary else 0.14, right=0.98, bottom=0.13, top=0.85, wspace=0.22
        )
        self.caption = self.fig.suptitle("")
        ax = self.curve = axes[0]  # the loss: per iteration (thin), per epoch (thick, at its last update)
        self.per_iteration = ax.plot([], [], lw=0.8, alpha=0.5, color="#1565c0", label="per iteration")[0]
        self.per_iteration.set_visible(per_epoch > 1)
        each = "per epoch (mean)" if per_epoch > 1 else "per epoch"
        self.per_epoch_line = ax.plot([], [], lw=2, color="#ef6c00", label=each)[0]
        ax.set_xlim(0, self.total)
        ax.set_xlabel("iteration (update)")
        ax.set_ylabel(f"loss ({scene.what})")
        ax.set_title("training loss", y=1.01)  # a fixed place: no title layout at every redraw
        ax.legend(handles=[self.per_iteration, self.per_epoch_line][per_epoch <= 1 :], loc="upper right")
        self.regions: Any = None
        if not boundary:
            return
        ax = self.board = axes[1]  # the regions, the boundary and the points
        X = self.X = np.asarray(scene.X, dtype=float)
        self.labels = np.asarray(scene.labels())
        (x0, y0), (x1, y1) = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
        self.gx, self.gy = np.linspace(x0, x1, GRID), np.linspace(y0, y1, GRID)
        self.points = np.stack(np.meshgrid(self.gx, self.gy), axis=-1).reshape(-1, 2)
        k = self.k = max(scene.classes, 2)
        self.fills = np.array([[int(c[i : i + 2], 16) / 255 for i in (1, 3, 5)] for c in REGIONS[:k]])
        self.regions = ax.imshow(np.ones((GRID, GRID, 3)), origin="lower", extent=(x0, x1, y0, y1),
                                 aspect="auto", interpolation="nearest")  # fmt: skip
        self.line: Any = None
        handles = []
        if scene.classes == 1:
            handles += ax.plot([], [], color="k", lw=1, label=f"boundary (score {scene.level:g})")
        names = scene.names()
        for c in range(k):
            mask = self.labels == c
            handles.append(ax.scatter(X[mask, 0], X[mask, 1], s=18, color=POINTS[c], edgecolors="white",
                                      linewidths=0.5, label=names[c], zorder=3))  # fmt: skip
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_xlabel("x_1")
        ax.set_ylabel("x_2")
        self.board_title = ax.set_title("decision boundary", y=1.01)
        ax.legend(handles=handles, loc=_emptiest_corner(X, x0, x1, y0, y1), framealpha=0.8)

    @_styled
    def update(self, layers: Layers | None, loss: Sequence[float], epoch_loss: Sequence[float]) -> None:
        """Show the loss of the first ``len(loss)`` updates and the boundary the weights ``layers`` draw."""
        step, per_epoch = len(loss), self.per_epoch
        caption = f"update {step} of {self.total}, epoch {math.ceil(step / per_epoch)} of "
        caption += f"{math.ceil(self.total / per_epoch)}" + (f": loss {loss[-1]:.4g}" if step else "")
        self.caption.set_text(caption)
        self.per_iteration.set_data(range(1, step + 1), loss)
        self.per_epoch_line.set_data([per_epoch * (e + 1) for e in range(len(epoch_loss))], epoch_loss)
        if not step:
            self.curve.set_ylim(0, 1)  # no loss yet
        else:
            top = max(max(loss), max(epoch_loss, default=0.0))
            low = min(0.0, min(loss))
            if math.isfinite(top) and math.isfinite(low) and top > low:
                self.curve.set_ylim(low, low + (top - low) * 1.05)
        if self.regions is None or layers is None:
            return
        acts = self.scene.acts or []
        grid, mine = scores(layers, acts, self.points), scores(layers, acts, self.X)
        if self.scene.classes > 1:  # one output per class: the arg-max class's region
            region, right = grid.argmax(axis=1), mine.argmax(axis=1) == self.labels
        else:  # one score: + where it is > the level (0 for a classification loss)
            level = self.scene.level
            region, right = (grid[:, 0] > level).astype(int), (mine[:, 0] > level).astype(int) == self.labels
        region = region.reshape(GRID, GRID)
        self.regions.set_data(self.fills[region])
        if self.line is not None:
            self.line.remove()
            self.line = None
        if self.scene.classes == 1 and region.min() != region.max():
            score = grid[:, 0].reshape(GRID, GRID)
            self.line = self.board.contour(self.gx, self.gy, score, levels=[level], colors="k", linewidths=1)
        self.board_title.set_text(f"decision boundary: {right.mean():.0%} of the points right")

    @_styled
    def png(self) -> bytes:
        """The picture as PNG bytes."""
        return png(self.fig)


def _emptiest_corner(X: Any, x0: float, x1: float, y0: float, y1: float) -> str:
    """The corner of the panel with the fewest points in its third, for the legend (fixed: no jumping)."""
    left, low = X[:, 0] < x0 + (x1 - x0) / 3, X[:, 1] < y0 + (y1 - y0) / 3
    right, high = X[:, 0] > x1 - (x1 - x0) / 3, X[:, 1] > y1 - (y1 - y0) / 3
    corners = {"upper right": right & high, "upper left": left & high, "lower right": right & low,
               "lower left": left & low}  # fmt: skip
    return min(corners, key=lambda c: int(corners[c].sum()))


def png(fig: Any) -> bytes:
    """The figure rendered by matplotlib's Agg renderer as PNG bytes (no pyplot, so nothing to close)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    buffer = io.BytesIO()
    FigureCanvasAgg(fig).print_png(buffer, pil_kwargs={"compress_level": 1})  # fast: half the time of 6
    return buffer.getvalue()


def in_jupyter() -> bool:
    """True inside a Jupyter (IPython) kernel, where a picture can be displayed and updated."""
    IPython = sys.modules.get("IPython")  # a kernel has always imported it; don't import it otherwise
    if IPython is None:
        return False
    shell = IPython.get_ipython()
    return shell is not None and (getattr(shell, "kernel", None) is not None or "IPKernelApp" in shell.config)


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


@dataclass
class Snapshots:
    """Weights kept by ``fit(..., snapshots=k)``: ``weights[i]`` after ``steps[i]`` updates."""

    scene: Scene
    every: int
    steps: list[int] = field(default_factory=list)
    weights: list[Layers] = field(default_factory=list)


class Watch:
    """What ``fit`` calls after each update and once at the end: the live view and the snapshots."""

    def __init__(
        self, model: Any, X: Sequence[Sequence[float]], y: Sequence[Any], loss_fn: Any, history: Any,
        epochs: int, *, live: bool, every: int | None, snapshots: int | None, l2: float = 0.0,
    ) -> None:  # fmt: skip
        self.model, self.history = model, history
        self.scene = Scene.of(model, X, y, loss_fn, l2)
        self.total = epochs * history.iterations_per_epoch
        self.live = live and in_jupyter()
        self.every = every
        self.draws = 0  # pictures drawn so far
        self.drawn_at = -1  # the update the picture shows
        self.cost, self.spent = 0.0, 0.0  # the last redraw's seconds, and all redraws' seconds
        if self.live:  # matplotlib is imported and the figure made here, not timed as a redraw
            self.picture: Any = self.scene.picture(history.iterations_per_epoch, self.total)
            self.display = Display()
            self.began = time.perf_counter()
        if snapshots:
            history.snapshots = Snapshots(self.scene, snapshots)
            self.keep(0)

    def keep(self, step: int) -> None:
        """Keep the weights now, after ``step`` updates."""
        snaps = self.history.snapshots
        snaps.steps.append(step)
        snaps.weights.append(weights(self.model) if self.scene.acts else [])

    def step(self) -> None:
        """After an update: keep a snapshot or redraw when one is due."""
        n = len(self.history.loss)
        snaps = self.history.snapshots
        if snaps is not None and n % snaps.every == 0:
            self.keep(n)
        if self.live:
            if self.every is None:  # the time spent drawing stays within SHARE of the time so far
                due = self.spent + self.cost <= SHARE * (time.perf_counter() - self.began)
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
        self.display.show(self.picture.png())
        self.draws += 1
        self.drawn_at = n
        self.cost = time.perf_counter() - start
        self.spent += self.cost


def animate(history: Any, path: str | Path, *, duration: float = 0.1, pause: float = 2.0) -> Path:
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
    if path.suffix.lower() != ".gif":
        raise ValueError(f"animate writes an animated GIF: name the file .gif, not {str(path)!r}")
    if not path.parent.is_dir():
        raise FileNotFoundError(
            f"cannot write {str(path)!r}: the directory {str(path.parent)!r} does not exist"
        )
    for what, value in (("duration (seconds a frame)", duration), ("pause (more on the last)", pause)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
            raise ValueError(f"{what} must be a number >= 0, got {value!r}")
    per_epoch, frames = history.iterations_per_epoch, []
    picture = snaps.scene.picture(per_epoch, history.iterations)
    for step, layers in zip(snaps.steps, snaps.weights):
        picture.update(layers, history.loss[:step], history.epoch_loss[: step // per_epoch])
        frames.append(Image.open(io.BytesIO(picture.png())).convert("RGB"))
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


__all__ = ["Picture", "Scene", "Snapshots", "Watch", "animate", "check", "in_jupyter", "png", "scores",
           "weights"]  # fmt: skip
