"""``chainrule demo --dataset digits``: a classifier of the 8×8 handwritten digits, and its pictures.

scikit-learn's 1,797 digits (``nn.data.digits``: a stratified, seeded split, 1,438
training and 359 test images, pixels scaled to [0, 1]) train an MLP with 64
inputs, one output per digit and the cross-entropy loss, with Adam on
mini-batches, every weight a Value and every step a node of the graph. After
each epoch the test images are scored. It prints the test accuracy and writes,
into the output folder: ``loss.png`` (the train and test loss per epoch, and the
accuracies), ``confusion.png`` (the confusion matrix of the test images),
``misclassified.png`` (the test images it got wrong, true → predicted) and
``model.json`` (the weights).

    chainrule demo --dataset digits --hidden 32 --epochs 10 --out runs/digits
"""

import argparse
import io
import random
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, cast

from engine.numbers import count
from nn import MLP, Adam, History, data, fit, predict

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SIDE = 8  # the images are 8 × 8 pixels
SHOWN = 24  # misclassified.png shows at most this many images
FILES = ("loss.png", "confusion.png", "misclassified.png", "model.json")  # what the demo writes


def run(args: argparse.Namespace, write: Callable[..., int]) -> int:
    """Train on the digits, report the test accuracy, write the plots; returns the exit status.

    ``write(folder, paths, pictures, model)`` is the demo's writer (``chainrule.demo.write_outputs``:
    every output checked, then all written or none), given by the demo that calls this.
    """
    try:
        X, y, X_test, y_test = data.digits(test_size=0.2, seed=args.seed)
    except ImportError as exc:
        print(f"chainrule demo: error: {exc}", file=sys.stderr)
        return 1
    random.seed(args.seed)
    model = MLP(SIDE * SIDE, [*args.hidden, 10], activation=args.activation)
    print(
        f"training {model} on the digits ({len(X)} training and {len(X_test)} test images), "
        f"{len(model.parameters())} parameters"
    )
    history = fit(
        model,
        X,
        y,
        loss="cross_entropy",
        optimizer=Adam(model.parameters(), lr=args.lr),
        epochs=args.epochs,
        batch_size=args.batch_size,
        seed=args.seed,
        validation=(X_test, y_test),
        progress=not args.no_progress,
        compile=getattr(args, "compile", False),
    )
    predicted = predict(model, X_test, classes=True)
    accuracy = sum(p == t for p, t in zip(predicted, y_test)) / len(y_test)
    print(
        f"test accuracy {accuracy:.1%} ({sum(p != t for p, t in zip(predicted, y_test))} of {len(y_test)} "
        f"wrong), test loss {cast(list, history.val_loss)[-1]:.4f}, after {history.iterations} updates"
    )
    pictures = [
        _png(plot_curves(history)),
        _png(plot_confusion(confusion(y_test, predicted), accuracy)),
        _png(plot_misclassified(X_test, y_test, predicted)),
    ]
    return write(args.out, [args.out / name for name in FILES], pictures, model)


def confusion(true: Sequence[int], predicted: Sequence[int], classes: int = 10) -> list[list[int]]:
    """The confusion matrix as a list of rows: ``matrix[t][p]`` counts images of digit t predicted p.

    >>> confusion([0, 1, 1], [0, 1, 0], classes=2)
    [[1, 0], [1, 1]]
    """
    classes = count(classes, "confusion's classes", minimum=1)
    true, predicted = list(true), list(predicted)
    if len(true) != len(predicted):
        raise ValueError(
            f"confusion needs one prediction per label, got {len(true)} labels and {len(predicted)}"
        )
    matrix = [[0] * classes for _ in range(classes)]
    for t, p in zip(true, predicted):
        t, p = count(t, "a true label", minimum=0), count(p, "a predicted label", minimum=0)
        if t >= classes or p >= classes:
            raise ValueError(f"confusion counts the classes 0 to {classes - 1}; got the label {max(t, p)}")
        matrix[t][p] += 1
    return matrix


def plot_curves(history: History) -> "Figure":
    """The train and test cross-entropy per epoch, and the accuracies, side by side."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 3.6), layout="constrained")
    loss, acc = fig.subplots(1, 2)
    epochs = range(1, history.epochs + 1)
    loss.plot(epochs, history.epoch_loss, marker="o", label="train (mean over the epoch)")
    loss.plot(epochs, history.val_loss, marker="o", label="test (after the epoch)")
    loss.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    acc.plot(epochs, history.accuracy, marker="o", label="train")
    acc.plot(epochs, history.val_accuracy, marker="o", label="test")
    acc.set(xlabel="epoch", ylabel="arg-max accuracy", title="accuracy", ylim=(0, 1))
    for ax in (loss, acc):
        ax.legend()
        ax.grid(alpha=0.3)
    return fig


def plot_confusion(matrix: Sequence[Sequence[int]], accuracy: float) -> "Figure":
    """The confusion matrix as a heat map with its counts; the diagonal holds the right answers."""
    from matplotlib.figure import Figure

    k = len(matrix)
    fig = Figure(figsize=(5.4, 5), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(matrix, cmap="Blues")
    top = max(max(row) for row in matrix)
    for t in range(k):
        for p in range(k):
            if matrix[t][p]:
                color = "white" if matrix[t][p] > top / 2 else "black"
                ax.text(p, t, str(matrix[t][p]), ha="center", va="center", color=color, fontsize=10)
    ax.set(xticks=range(k), yticks=range(k), xlabel="predicted digit", ylabel="true digit")
    ax.set_title(f"test images: accuracy {accuracy:.1%}")
    fig.colorbar(image, ax=ax, shrink=0.8, label="images")
    return fig


def plot_misclassified(
    X: Sequence[Sequence[float]], y: Sequence[int], predicted: Sequence[int], limit: int = SHOWN
) -> "Figure":
    """The test images the model got wrong (at most ``limit``), each titled true → predicted."""
    from matplotlib.figure import Figure

    wrong = [i for i, (t, p) in enumerate(zip(y, predicted)) if t != p][:limit]
    cols = 8
    rows = max(1, -(-len(wrong) // cols))
    fig = Figure(figsize=(cols * 1.1, rows * 1.3 + 0.4), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    for n, ax in enumerate(ax for row in axes for ax in row):
        ax.set_axis_off()
        if n < len(wrong):
            i = wrong[n]
            pixels = [X[i][r * SIDE : (r + 1) * SIDE] for r in range(SIDE)]
            ax.imshow(pixels, cmap="gray_r", vmin=0.0, vmax=1.0)
            ax.set_title(f"{y[i]} → {predicted[i]}", fontsize=10, color="#c62828")
    what = f"{len(wrong)} misclassified test image(s), true → predicted" if wrong else "no test image wrong"
    fig.suptitle(what)
    return fig


def _png(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()
