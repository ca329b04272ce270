"""The picture of training: the loss curve and, for 2 inputs, the decision boundary (matplotlib).

:class:`Scene` holds what a picture shows besides the weights (the data, its classes,
the loss's name); :class:`Picture` is one Figure made once and updated in place. The
live view and ``History.animate`` (:mod:`nn.live`) both draw with it.
"""

import functools
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ._scores import Layers, activations, scores

GRID = 160  # points per side of the grid the regions are computed on
SIZE, DPI = (9.6, 4.0), 100  # inches and pixels per inch: a 960×400 picture, 10-point text is 14 px
REGIONS = ["#f4b6b6", "#b6d0f4", "#bfe3b4", "#f6dfa6", "#d9c2ec"]  # class 0 (or −), 1 (or +), 2, ...: fills
POINTS = ["#c62828", "#1565c0", "#2e7d32", "#ef8f00", "#6a1b9a"]  # and the data points of each class


def palette(k: int) -> tuple[list[str], list[str]]:
    """The fills of ``k`` classes' regions and the colours of their points: REGIONS and POINTS
    first, then as many more as needed, at hues spaced evenly between them (any number of classes)."""
    import colorsys

    fills, points = REGIONS[:k], POINTS[:k]
    more = k - len(fills)
    for i in range(more):
        hue = (0.13 + i / more) % 1.0 if more else 0.0
        fills.append(_hex(colorsys.hls_to_rgb(hue, 0.84, 0.55)))
        points.append(_hex(colorsys.hls_to_rgb(hue, 0.38, 0.75)))
    return fills, points


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgb)


# The picture's own look, whatever style the notebook set (its margins are fixed: a redraw lays out nothing)
STYLE = {"font.size": 10, "axes.titlesize": 12, "axes.labelsize": 10, "xtick.labelsize": 10,
         "ytick.labelsize": 10, "legend.fontsize": 10, "figure.titlesize": 13,
         "axes.formatter.limits": (-3, 4)}  # fmt: skip # ticks of 5 digits or more: × 10^n, they stay narrow


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
        fills, colours = palette(k)
        self.fills = np.array([[int(c[i : i + 2], 16) / 255 for i in (1, 3, 5)] for c in fills])
        self.regions = ax.imshow(np.ones((GRID, GRID, 3)), origin="lower", extent=(x0, x1, y0, y1),
                                 aspect="auto", interpolation="nearest")  # fmt: skip
        self.line: Any = None
        handles = []
        if scene.classes == 1:
            handles += ax.plot([], [], color="k", lw=1, label=f"boundary (score {scene.level:g})")
        names = scene.names()
        for c in range(k):
            mask = self.labels == c
            handles.append(ax.scatter(X[mask, 0], X[mask, 1], s=18, color=colours[c], edgecolors="white",
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
