"""``chainrule demo``: train an MLP on a 2-D dataset, then plot its loss and decision boundary.

The recipe is micrograd's demo: MLP(2, [16, 16, 1]) with ReLU, hinge loss plus
1e-4·L2, SGD whose learning rate falls linearly from --lr to --lr/10. It prints
the final loss and accuracy and writes, into the output folder (created if
needed): ``loss.png`` (loss per iteration and per epoch), ``boundary.png`` (the
decision regions with the data) and ``model.json`` (the weights; reload them
with ``nn.load_model``).

``--animate`` also writes ``training.gif``: the decision boundary and the loss as the
model trains, about 50 frames (``nn.fit(snapshots=k)`` and ``History.animate``). It
draws 2-D data, so ``--dataset digits --animate`` is refused as a usage error.
``--animate --watch I`` also writes ``training.html``: sample I's graph, its gradients and the
optimizer's state at every update (about 100 snapshots), one page that needs no network.

The three-class sets (spiral, yin_yang) use the same recipe with one output per
class and the cross-entropy loss; ``boundary.png`` then shows the three regions.
``--dataset digits`` trains a digit classifier instead (see :mod:`chainrule.digits`).

    chainrule demo --dataset circles --hidden 8,8 --epochs 50 --out runs/circles
    chainrule demo --dataset spiral --samples 150 --out runs/spiral
"""

import argparse
import io
import math
import random
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import engine
from engine.files import check_writable, write_all
from nn import MLP, SGD, History, LinearDecay, cross_entropy, data, fit, predict

from . import args as types
from . import digits

if TYPE_CHECKING:
    from matplotlib.figure import Figure

HELP = (
    "train a small MLP on moons, circles, xor, spiral, yin_yang or the handwritten digits "
    "with a progress bar; save loss and boundary (digits: confusion) plots"
)

DATASETS: dict[str, Callable[[int, int], tuple[list[list[float]], list[int]]]] = {
    "moons": lambda n, seed: data.moons(n, noise=0.1, seed=seed),
    "circles": lambda n, seed: data.circles(n, noise=0.08, factor=0.5, seed=seed),
    "xor": lambda n, seed: data.xor(n, noise=0.15, seed=seed),
    "spiral": lambda n, seed: data.spiral(n, classes=3, seed=seed),
    "yin_yang": lambda n, seed: data.yin_yang(n, seed=seed),
}
CLASSES = {"spiral": 3, "yin_yang": 3}  # multi-class sets: one output per class, cross-entropy loss
L2 = 1e-4
# The defaults of --hidden, --epochs, --lr and --batch-size: the 2-D sets', and the digits'
RECIPE = {"hidden": [16, 16], "epochs": 100, "lr": 1.0, "batch_size": None}
DIGITS_RECIPE = {"hidden": [32], "epochs": 10, "lr": 0.01, "batch_size": 32}
FRAMES = 50  # about this many snapshots in training.gif (--animate), plus the first
WATCH_FRAMES = 100  # with --watch: about this many (training.html steps through every one)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The demo's options (argparse reports a bad one as a usage error)."""
    parser.add_argument(
        "--dataset", choices=sorted([*DATASETS, "digits"]), default="moons", help="default: moons"
    )
    parser.add_argument(
        "--samples",
        type=types.whole(3, 100_000, example="100"),
        default=100,
        metavar="N",
        help="points (default 100; digits: all 1,797 images)",
    )
    parser.add_argument(
        "--hidden",
        type=types.sizes,
        default=None,
        metavar="SIZES",
        help="hidden layer sizes (default 16,16; digits: 32)",
    )
    parser.add_argument(
        "--activation",
        choices=("relu", "tanh", "sigmoid"),
        default="relu",
        help="hidden layers' (default relu)",
    )
    parser.add_argument(
        "--epochs",
        type=types.whole(1, example="100"),
        default=None,
        metavar="N",
        help="passes over the data (default 100; digits: 10)",
    )
    parser.add_argument(
        "--batch-size",
        type=types.whole(1, example="100"),
        default=None,
        metavar="N",
        help="rows per update: 1 is stochastic, N mini-batch (default: all rows, batch gradient descent; "
        "digits: 32)",
    )
    parser.add_argument(
        "--lr",
        type=types.positive(),
        default=None,
        help="starting learning rate, decaying linearly to lr/10 (default 1.0; digits: Adam's, 0.01)",
    )
    parser.add_argument("--seed", type=int, default=1337, help="for the data, the weights and shuffling")
    parser.add_argument(
        "--out",
        type=types.folder,
        default=Path("chainrule-demo"),
        metavar="DIR",
        help="output folder (default ./chainrule-demo)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument(
        "--compile", action="store_true",
        help="train with the step generated once as Python (nn.fit(compile=True)): same numbers, faster",
    )  # fmt: skip
    parser.add_argument(
        "--animate", action="store_true",
        help="also write training.gif: the decision boundary and the loss as it trains (not for digits)",
    )  # fmt: skip
    parser.add_argument(
        "--watch", type=types.whole(0, example="0"), default=None, metavar="I",
        help="with --animate, also write training.html: sample I's graph, gradients and optimizer state "
        "at every update, one offline page",
    )  # fmt: skip


def recipe(args: argparse.Namespace) -> argparse.Namespace:
    """The options with the dataset's defaults filled in where none was given."""
    defaults = DIGITS_RECIPE if args.dataset == "digits" else RECIPE
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


def run(args: argparse.Namespace) -> int:
    """Train, report, plot; returns the exit status. A run that fails (an output that cannot
    be written, training that diverges) leaves no new folder behind."""
    made = [] if args.out.exists() or args.out.is_symlink() else [args.out, *args.out.parents]
    made = [folder for folder in made if not folder.exists()]  # the folders this run creates
    status = 1
    try:
        status = _run(args)
        return status
    finally:
        if status != 0:
            for folder in made:
                try:
                    folder.rmdir()  # only if still empty
                except OSError:
                    break


def _run(args: argparse.Namespace) -> int:
    args = recipe(args)
    animate = getattr(args, "animate", False)
    if animate and args.dataset == "digits":
        print(
            "chainrule demo: error: --animate draws the decision boundary of 2-D data; digits has 64 "
            "pixels per image: drop --animate or choose another --dataset",
            file=sys.stderr,
        )
        return 2
    watch = getattr(args, "watch", None)
    if watch is not None and (not animate or watch >= args.samples):
        why = (
            "--watch I needs --animate"
            if not animate
            else f"--watch {watch} is not one of the {args.samples} samples"
        )
        print(f"chainrule demo: error: {why} (sample I is 0 to --samples - 1)", file=sys.stderr)
        return 2
    names = digits.FILES if args.dataset == "digits" else ("loss.png", "boundary.png", "model.json")
    paths = [args.out / name for name in names] + ([args.out / "training.gif"] if animate else [])
    paths += [args.out / "training.html"] if watch is not None else []
    problem = writable(args.out, paths)  # before training, not after
    if problem:
        print(f"chainrule demo: error: cannot write to {args.out}: {problem}", file=sys.stderr)
        return 1
    if args.dataset == "digits":
        return digits.run(args, write_outputs)
    X, y = DATASETS[args.dataset](args.samples, args.seed)
    classes = CLASSES.get(args.dataset)
    random.seed(args.seed)  # the initial weights, drawn as micrograd draws them
    model = MLP(2, [*args.hidden, classes or 1], activation=args.activation)
    optimizer = SGD(model.parameters(), lr=LinearDecay(args.lr, args.lr / 10, args.epochs))
    print(f"training {model} on {args.dataset} ({len(X)} points), {len(model.parameters())} parameters")
    updates = args.epochs * math.ceil(len(X) / min(args.batch_size or len(X), len(X)))
    history = fit(
        model,
        X,
        y,
        loss="cross_entropy" if classes else "hinge",
        optimizer=optimizer,
        epochs=args.epochs,
        batch_size=args.batch_size,
        l2=L2,
        seed=args.seed,
        progress=not args.no_progress,
        compile=args.compile,
        snapshots=max(1, round(updates / (WATCH_FRAMES if watch is not None else FRAMES)))
        if animate
        else None,
    )
    loss, accuracy = evaluate(model, X, y)
    # evaluate() gives the loss after the last update; the bar and loss.png, each epoch's while it trained
    last = history.epoch_loss[-1] if history.epoch_loss else None
    during = f"; the bar and loss.png end at {last:.4g}, the last epoch's" if last is not None else ""
    print(f"final loss {loss:.4g}, accuracy {accuracy:.1%} (after {history.iterations} updates{during})")

    pictures = [
        _png(plot_loss(history, "cross-entropy + L2" if classes else "hinge + L2")),
        _png(plot_boundary(model, X, y, f"{args.dataset}: accuracy {accuracy:.1%}")),
    ]
    return write_outputs(args.out, paths, pictures, model, history if animate else None, watch)


def write_outputs(
    folder: Path,
    paths: Sequence[Path],
    pictures: Sequence[bytes],
    model: MLP,
    history: History | None = None,
    watch: int | None = None,
) -> int:
    """Write the pictures, then the model's weights (then ``history``'s GIF) to ``paths``: all or none.

    Everything is made in memory (the weights and the GIF through a scratch folder)
    before any output is touched, every output is checked, and a failure puts back
    the ones already written; returns the exit status (1, said on stderr, on failure).
    """
    try:
        with tempfile.TemporaryDirectory() as scratch:
            model.save(Path(scratch) / "model.json")
            made = [*pictures, (Path(scratch) / "model.json").read_bytes()]
            if history is not None:
                made.append(history.animate(Path(scratch) / "training.gif").read_bytes())
            if history is not None and watch is not None:  # sample `watch`'s training, one page
                made.append(history.animate(Path(scratch) / "training.html", watch=watch).read_bytes())
        folder.mkdir(parents=True, exist_ok=True)
        write_all(dict(zip(paths, made, strict=True)))
    except OSError as exc:
        where = exc.filename or folder
        print(f"chainrule demo: error: cannot write to {where}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"wrote {', '.join(p.name for p in paths)} to {folder.resolve()}")
    return 0


def writable(folder: Path, paths: Sequence[Path]) -> str | None:
    """Why ``paths`` in ``folder`` cannot be written (None if they can): the folder is tried with a
    scratch file, and every path is checked as the writer will check it (engine.files.check_writable)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        if folder.is_symlink() and not folder.exists():
            return "it is a symbolic link to nowhere (or a loop of links); fix it or choose another --out"
        return exc.strerror or str(exc)
    for path in paths:
        try:
            check_writable(path)
        except OSError as exc:
            return f"{path.name}: {exc.strerror or exc}"
    return None


def evaluate(model: MLP, X: Sequence[Sequence[float]], y: Sequence[int]) -> tuple[float, float]:
    """The training objective (mean hinge or cross-entropy, + L2) and the accuracy of ``model`` on (X, y)."""
    scores = predict(model, X)
    if isinstance(scores[0], list):  # one output per class: cross-entropy, arg-max accuracy
        with engine.no_grad():
            loss = math.fsum(cross_entropy(model(x), t).data for x, t in zip(X, y)) / len(y)
            penalty = L2 * sum(p.data * p.data for p in model.parameters())
        right = sum(c == t for c, t in zip(predict(model, X, classes=True), y))
        return loss + penalty, right / len(y)
    with engine.no_grad():
        hinge = sum(max(0.0, 1.0 - t * s) for s, t in zip(scores, y)) / len(y)
        penalty = L2 * sum(p.data * p.data for p in model.parameters())
    accuracy = sum((s > 0) == (t > 0) for s, t in zip(scores, y)) / len(y)
    return hinge + penalty, accuracy


def plot_loss(history: History, what: str = "hinge + L2") -> "Figure":
    """A matplotlib Figure of the loss per iteration and per epoch."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.subplots()
    per_epoch = history.iterations_per_epoch
    ends = [per_epoch * (e + 1) for e in range(history.epochs)]  # the iteration ending each epoch
    if per_epoch > 1:
        ax.plot(range(1, history.iterations + 1), history.loss, lw=0.8, alpha=0.5, label="per iteration")
    ax.plot(ends, history.epoch_loss, lw=2, label="per epoch (mean)" if per_epoch > 1 else "per epoch")
    ax.set(xlabel="iteration (update)", ylabel=f"loss ({what})", title="training loss")
    ax.legend()
    return fig


def plot_boundary(
    model: MLP, X: Sequence[Sequence[float]], y: Sequence[int], title: str, steps: int = 60
) -> "Figure":
    """A matplotlib Figure of the regions the model assigns to each class, with the data on top."""
    from matplotlib.figure import Figure

    xs, ys = [r[0] for r in X], [r[1] for r in X]
    x0, x1, y0, y1 = min(xs) - 0.5, max(xs) + 0.5, min(ys) - 0.5, max(ys) + 0.5
    gx = [x0 + (x1 - x0) * i / (steps - 1) for i in range(steps)]
    gy = [y0 + (y1 - y0) * j / (steps - 1) for j in range(steps)]
    points = [[a, b] for b in gy for a in gx]
    fig = Figure(figsize=(5, 5), layout="constrained")
    ax = fig.subplots()
    if len(model.layers[-1].neurons) > 1:  # one output per class: the arg-max class's region
        k = len(model.layers[-1].neurons)
        classes = predict(model, points, classes=True)
        grid = [classes[j * steps : (j + 1) * steps] for j in range(steps)]
        levels = [c - 0.5 for c in range(k + 1)]
        ax.contourf(gx, gy, grid, levels=levels, colors=REGIONS[:k], alpha=0.8)  # no lines: 0|2 would be two
        colors = [POINTS[int(t)] for t in y]
    else:
        scores = predict(model, points)
        grid = [scores[j * steps : (j + 1) * steps] for j in range(steps)]
        ax.contourf(gx, gy, grid, levels=[-1e300, 0.0, 1e300], colors=["#f4b6b6", "#b6d0f4"], alpha=0.8)
        ax.contour(gx, gy, grid, levels=[0.0], colors="k", linewidths=1)
        colors = ["#c62828" if t <= 0 else "#1565c0" for t in y]
    ax.scatter(xs, ys, c=colors, s=18, edgecolors="white", linewidths=0.5)
    ax.set(title=title, xlabel="x_1", ylabel="x_2")
    return fig


REGIONS = ["#f4b6b6", "#b6d0f4", "#bfe3b4", "#f6dfa6", "#d9c2ec"]  # class 0, 1, 2, ...: light fills
POINTS = ["#c62828", "#1565c0", "#2e7d32", "#ef8f00", "#6a1b9a"]  # and the data points of each class


def _png(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()
