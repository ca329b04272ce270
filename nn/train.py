"""Training: ``fit`` runs epochs of forward, backward and update, in the three regimes.

An epoch is one pass over the data, an iteration one update, and the batch size
says how the rows are grouped (seed 003):

- ``batch_size=None``: batch gradient descent, all rows in one batch, 1 iteration per epoch;
- ``batch_size=1``: stochastic gradient descent, one row per iteration (n per epoch);
- ``batch_size=k``: mini-batch gradient descent, ⌈n/k⌉ iterations per epoch. When k does
  not divide n the last batch is short (n mod k rows) and is kept; as every batch's,
  its loss is the mean over its own rows.

The loss of a batch is the mean of the per-sample losses, plus the optional L2
penalty over all the model's parameters. Rows are shuffled at every epoch by a
``random.Random(seed)`` of their own (the global ``random`` is not touched), except
in batch gradient descent where the order cannot matter and the rows stay in order.

Early stopping: with ``tol=τ`` training stops after the first epoch in which no
trained parameter moved by more than τ, i.e. max ``|Δp|`` over the epoch < τ: the
update is no longer significant (seed 003's τ; seed 000's "step size close to 0").

Divergence: an iteration whose loss is not finite, or is over 1e6 × max(1, the
first iteration's loss) (``DIVERGED_FACTOR``), or whose forward or backward pass
makes the engine raise OverflowError or FloatingPointError, or an update that
leaves a weight inf or NaN (checked once per epoch), stops training with
:class:`TrainingDiverged`. The trained parameters are first put back to the
last good weights, those that gave the last loss in the history (as they were
before that iteration's update), and their gradients are zeroed. The
optimizer's own state (its step count, momentum, moments) is not rolled back:
make a new optimizer with a lower learning rate to go on.

Accuracy is recorded for losses that carry an ``is_right(pred, target)`` rule, or a
``label_threshold`` (hinge: labels ±1, bce: labels 0/1): then a row counts as right when
every output's score is > 0 exactly when its label is > the threshold. A loss's
``check_targets(y)``, if it has one, checks the targets before training.

The steps (forward, backward) are :mod:`nn.steps`' ``GraphStep`` or, with
``compile=True``, ``CompiledStep``; around each graph step Python's cyclic garbage
collector is paused (a graph of Values has no cycles: reference counting frees it), and
put back as it was, also when training fails or is interrupted.

Before any training, ``fit`` checks its arguments and its data (rows of equal
length of finite numbers, targets the loss accepts, the model's output against
the first target, no ``engine.no_grad()`` around it), so a mistake raises a
clear error and leaves the model untouched.

    >>> import random; from nn import MLP, data
    >>> random.seed(0)
    >>> X, y = data.seed003()
    >>> model = MLP(3, [5, 2], activation="sigmoid")
    >>> [fit(model, X, y, loss="half_sse", epochs=1, batch_size=b, progress=False).iterations_per_epoch
    ...  for b in (None, 1, 2)]
    [1, 6, 3]
"""

import math
import random
import sys
import warnings
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import engine
from engine import Value
from engine.numbers import count, is_real, real, setting

from . import live as _live
from . import losses as _losses
from .module import MLP
from .optim import SGD, Optimizer
from .steps import CompiledStep, GraphStep, Step, collector_paused

DIVERGED_FACTOR = 1e6  # a loss over this × max(1, the first loss) has exploded


class TrainingDiverged(FloatingPointError):
    """Training stopped because the loss diverged (see the module notes); the weights were restored.

    ``epoch`` and ``step`` (both counted from 1) say where, ``loss`` is the bad
    loss (None when the engine raised before there was one), ``lr`` the learning
    rate of the last update, and ``history`` what was recorded until then.
    """

    def __init__(
        self, message: str, *, epoch: int, step: int, loss: float | None, lr: float | None, history: "History"
    ) -> None:
        super().__init__(message)
        self.epoch, self.step, self.loss, self.lr, self.history = epoch, step, loss, lr, history


@dataclass
class History:
    """What ``fit`` measured.

    ``loss``: the loss of every iteration (its batch's loss, before its update);
    ``lr``: the learning rate of every iteration; ``epoch_loss``: per epoch, the
    mean of its iterations' losses weighted by their rows (the mean per-row loss
    seen during the epoch); ``accuracy``: per epoch, the fraction of rows
    classified right as they were seen (None for regression losses); ``update``:
    per epoch, the largest change of any trained parameter, max ``|Δp|``.

    With ``fit(..., validation=(X_val, y_val))``: ``val_loss``, per epoch, the
    mean per-row loss on the validation rows with the weights at the end of the
    epoch (plus the L2 penalty, as in ``epoch_loss``), and ``val_accuracy``
    (classification only); both None without validation.

    With ``fit(..., snapshots=k)``: ``snapshots``, the weights every k updates
    (:class:`nn.live.Snapshots`) that :meth:`animate` draws; else None.
    """

    iterations_per_epoch: int
    loss: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    epoch_loss: list = field(default_factory=list)
    accuracy: list | None = None
    update: list = field(default_factory=list)
    stopped_early: bool = False
    val_loss: list | None = None
    val_accuracy: list | None = None
    snapshots: "_live.Snapshots | None" = None

    @property
    def epochs(self) -> int:
        """How many epochs ran."""
        return len(self.epoch_loss)

    @property
    def iterations(self) -> int:
        """How many updates were made."""
        return len(self.loss)

    def animate(
        self, path: str | Path, *, duration: float = 0.1, pause: float = 2.0, watch: int | None = None
    ) -> Path:
        """Write the decision boundary's evolution as an animated GIF at ``path``; returns the Path.

        One frame per snapshot (``fit(..., snapshots=k)`` keeps the weights every k
        updates): the loss so far and the boundary, as the live view draws them;
        ``duration`` seconds per frame, ``pause`` more on the last. Needs a model with
        2 inputs; the file is written whole or not at all.

        ``watch=i`` plays the training of sample i: a ``.html`` path gets one self-contained page
        (no network, no kernel) with a slider over the snapshots (``input#update``), play/pause, the
        boundary with the sample ringed, the loss, the sample's graph (its boxes' data and grad and
        its edges' ∂out/∂in at each snapshot, hooked ``data-node``, ``data-data``, ``data-grad``) and
        the optimizer's state per parameter (rows ``data-param`` with ``data-grad``, ``data-m``,
        ``data-v`` or ``data-velocity``); a ``.gif`` path the picture with the graph below it.
        """
        return _live.animate(self, path, duration=duration, pause=pause, watch=watch)


def fit(
    model: MLP,
    X: Sequence[Sequence[float]],
    y: Sequence[Any],
    loss: str | Callable[..., Value] = "mse",
    optimizer: Optimizer | None = None,
    epochs: int = 100,
    batch_size: int | None = None,
    *,
    lr: float | Callable[[int], float] = 0.1,
    params: Iterable[Value] | None = None,
    l2: float = 0.0,
    shuffle: bool = True,
    seed: int | None = 0,
    tol: float | None = None,
    validation: tuple[Sequence[Sequence[float]], Sequence[Any]] | None = None,
    progress: bool | str = True,
    compile: bool | str = False,
    live: bool = False,
    live_every: int | None = None,
    snapshots: int | None = None,
    watch: int | None = None,
) -> History:
    """Train ``model`` on rows ``X`` with targets ``y``; returns a :class:`History`.

    ``loss`` is a function of (prediction, target) for one sample, or a name:
    "mse", "half_sse", "bce", "hinge" or "cross_entropy" (integer class labels).
    ``optimizer`` defaults to ``SGD(params, lr)``, where ``params`` defaults to
    all the model's parameters: pass
    ``params=[bias]`` to train only that bias (the others stay fixed). ``l2`` adds
    l2·Σp² over all parameters. ``tol`` stops early (see the module notes).
    ``validation=(X_val, y_val)`` records the loss (and accuracy) on those rows
    after every epoch. ``progress=False`` hides the progress bar (tqdm: a widget
    inside Jupyter); ``progress="text"`` asks for tqdm's text bar even there. ``compile=True``
    trains with one sample's forward and backward pass generated once as Python
    (:mod:`nn.compiled`): the same losses and updates as the graph, many times faster
    (losses mse, half_sse, hinge; cross_entropy equal to the graph's up to rounding).
    ``compile="layers"`` trains with seed 001's layer formulas as NumPy matrices
    (:mod:`nn.layers`, :mod:`nn._matrix`): the graph's losses up to rounding, much faster again.

    ``live=True`` inside Jupyter shows, instead of the progress bar, one picture redrawn in
    place: the loss curve and, for 2 inputs, the decision boundary (:mod:`nn.live`), every
    ``live_every`` updates, or by default as often as keeps drawing to about 10% of the
    time. Outside Jupyter ``live=True`` changes nothing: the progress bar shows as usual.
    ``snapshots=k`` keeps the weights every k updates in ``history.snapshots`` for
    :meth:`History.animate`. ``watch=i`` (with ``live=True``) adds sample i's graph to the live
    view, laid out once, its boxes showing that sample's data and gradients at each redraw (read
    from a recorded pass of that sample; no weight or gradient changes), and a table of the
    optimizer's state per parameter (value, grad, and m and v, or velocity).
    Accuracy, the targets' checks and divergence (:class:`TrainingDiverged`): see the module notes.
    """
    if isinstance(compile, str) and compile != "layers":
        raise ValueError(f"compile must be False, True or 'layers', got {compile!r}")
    run = check_settings(model, X, y, loss, optimizer, epochs, batch_size, lr=lr, params=params, l2=l2,
                         shuffle=shuffle, seed=seed, tol=tol, validation=validation, live=live,
                         live_every=live_every, snapshots=snapshots)  # fmt: skip
    _live.check_watch(watch, len(run.X), live, compile)
    if compile == "layers":  # seed 001's layer formulas over each batch, the weights as arrays (nn._matrix)
        from ._matrix import fit_layers

        history = run.history()
        with Monitor(model, run, history, progress, live, live_every, snapshots, watch) as monitor:
            if history.snapshots is not None:  # its gradients and optimizer state are not the Values'
                history.snapshots.model, history.snapshots.optimizer = None, []
                history.snapshots.unwatchable = _live.LAYERS
            fit_layers(model, run, history, DivergenceGuard(run.trained, run.to_zero, history), monitor)
        return history
    step = (CompiledStep if compile else GraphStep)(model, run.loss_fn, run.X, run.y, run.l2, run.to_zero)
    history = run.history()
    guard = DivergenceGuard(run.trained, run.to_zero, history)
    rng, order = random.Random(run.seed), list(range(len(run.X)))
    with Monitor(model, run, history, progress, live, live_every, snapshots, watch) as monitor:
        for epoch in range(1, run.epochs + 1):
            if run.shuffle and len(run.batches) > 1:
                rng.shuffle(order)
            if _epoch(run, step, guard, monitor, history, epoch, order):
                history.stopped_early = True
                break
    return history


@dataclass(frozen=True)
class Settings:
    """fit's arguments, checked (:func:`check_settings`): what one training run needs."""

    loss_fn: Callable[..., Value]
    X: list
    y: list
    epochs: int
    batches: list  # the row positions of each batch (ranges over the epoch's order)
    optimizer: Optimizer
    trained: list  # the Values the optimizer updates
    to_zero: list  # the Values whose gradients backward sets: the model's and the trained ones
    all_params: list
    l2: float
    tol: float | None
    shuffle: bool
    seed: int | None
    is_right: Callable[[Any, Any], bool] | None  # classification: is a row right; None: regression
    validation: tuple[list, list] | None

    def history(self) -> History:
        """An empty History for this run: accuracy lists for classification, validation lists if asked."""
        history = History(len(self.batches), accuracy=[] if self.is_right else None)
        if self.validation is not None:
            history.val_loss, history.val_accuracy = [], [] if self.is_right else None
        return history


def check_settings(
    model: MLP,
    X: Sequence[Sequence[float]],
    y: Sequence[Any],
    loss: str | Callable[..., Value],
    optimizer: Optimizer | None,
    epochs: int,
    batch_size: int | None,
    *,
    lr: float | Callable[[int], float],
    params: Iterable[Value] | None,
    l2: float,
    shuffle: bool,
    seed: int | None,
    tol: float | None,
    validation: tuple[Sequence[Sequence[float]], Sequence[Any]] | None,
    live: bool,
    live_every: int | None,
    snapshots: int | None,
) -> Settings:
    """Check fit's arguments and data (see fit); a clear error before any training, else the Settings."""
    if not engine.is_recording():  # inside no_grad(): backward would find no graph
        raise RuntimeError(
            "fit needs the graph recorded; it was called inside engine.no_grad(): call it outside that block"
        )
    if not callable(model) or not hasattr(model, "parameters"):
        raise TypeError(f"fit trains a model such as nn.MLP (with parameters()), got {type(model).__name__}")
    loss_fn = _losses.LOSSES.get(loss) if isinstance(loss, str) else loss
    if not callable(loss_fn):
        raise ValueError(
            f"unknown loss {loss!r}; choose one of {', '.join(_losses.LOSSES)} or pass a function"
        )
    epochs = count(epochs, "fit's epochs")
    if batch_size is not None:
        batch_size = count(batch_size, "fit's batch_size (None for the whole set)")
    if optimizer is not None and params is not None:
        raise ValueError("give params to the optimizer (SGD(params, lr)) or to fit, not both")
    if optimizer is not None and not all(hasattr(optimizer, a) for a in ("params", "lr", "step")):
        raise TypeError(
            f"optimizer must be one such as nn.SGD(model.parameters(), lr=0.1), got {optimizer!r}"
        )
    tol = None if tol is None else setting(tol, "fit's tol")
    l2 = _losses.check_penalty(l2, "fit's l2 (the penalty weight)")
    _live.check(live, live_every, snapshots)
    rows, targets = _check_data(model, loss_fn, X, y)
    checked = None
    if validation is not None:
        if not (isinstance(validation, (tuple, list)) and len(validation) == 2):
            size = f" of {len(validation)}" if isinstance(validation, (tuple, list)) else ""
            raise ValueError(
                "validation must be a pair (X_val, y_val) of rows and their targets, "
                f"got a {type(validation).__name__}{size}"
            )
        checked = _check_data(model, loss_fn, *validation, names=("X_val", "y_val"), width=len(rows[0]))
    all_params = model.parameters()
    if optimizer is None:
        optimizer = SGD(all_params if params is None else params, lr)
    trained = optimizer.params
    in_model = set(map(id, all_params))
    to_zero = all_params + [p for p in trained if id(p) not in in_model]
    n = len(rows)
    size = n if batch_size is None else min(batch_size, n)
    batches = [range(start, min(start + size, n)) for start in range(0, n, size)]
    is_right: Any = getattr(loss_fn, "is_right", None)
    threshold = getattr(loss_fn, "label_threshold", None)
    if is_right is None and threshold is not None:
        is_right = lambda pred, target: _is_right(pred, target, threshold)
    return Settings(loss_fn, rows, targets, epochs, batches, optimizer, trained, to_zero, all_params, l2, tol,
                    shuffle, seed, is_right, checked)  # fmt: skip


def _epoch(run, step, guard, monitor, history, epoch, order):
    """One pass over the data, its numbers recorded in ``history``; True when training stops early."""
    before = guard.weights()
    total, right = 0.0, 0
    for k, batch in enumerate(run.batches, 1):
        rows = [order[i] for i in batch]
        with collector_paused() if step.pauses_collector else nullcontext():
            loss = guard.step(step, rows, epoch, k)  # forward, the loss checked, backward
            lr = run.optimizer.lr  # a schedule gone bad raises here, before this step is recorded
            history.loss.append(loss)
            history.lr.append(lr)
            guard.remember()
            run.optimizer.step()
            if run.is_right is not None:
                right += sum(run.is_right(p, run.y[r]) for p, r in zip(step.outputs, rows))
            step.release()  # the graph goes while the collector is paused: nothing left to walk
        monitor.update()
        total += loss * len(rows)
    history.update.append(guard.check_update(epoch, len(run.batches), before))
    n = len(run.X)
    history.epoch_loss.append(total / n)
    postfix = {"loss": f"{total / n:.4g}"}
    if run.is_right is not None:
        cast(list, history.accuracy).append(right / n)
        postfix["accuracy"] = f"{right / n:.1%}"
    if run.validation is not None:
        X_val, y_val = run.validation
        val_loss, val_right = _evaluate(step.model, run.loss_fn, X_val, y_val, run.is_right, run.l2,
                                        run.all_params)  # fmt: skip
        cast(list, history.val_loss).append(val_loss)
        postfix["val_loss"] = f"{val_loss:.4g}"
        if run.is_right is not None:
            cast(list, history.val_accuracy).append(val_right / len(X_val))
    monitor.epoch(postfix)
    return run.tol is not None and history.update[-1] < run.tol


class DivergenceGuard:
    """Watches every iteration's loss and every epoch's update; on divergence puts back the last
    good weights, zeroes the gradients and raises :class:`TrainingDiverged` (see the module notes)."""

    def __init__(self, trained: list, to_zero: list, history: History) -> None:
        self.trained, self.to_zero, self.history = trained, to_zero, history
        self.limit = sys.float_info.max  # until the first loss sets it: NaN and ±inf fail `loss <= limit`
        self.good = self.weights()  # the weights that gave the last good loss, before its update

    def weights(self) -> list[float]:
        """The trained parameters' values now."""
        return [p.data for p in self.trained]

    def step(self, step: Step, rows: list[int], epoch: int, k: int) -> float:
        """``step``'s forward and backward on ``rows``, the loss checked in between; returns the loss."""
        try:
            loss = step.forward(rows)
        except (OverflowError, FloatingPointError) as exc:
            raise self.diverged(epoch, k, f"the forward pass raised {type(exc).__name__}: {exc}") from exc
        if not loss <= self.limit:  # NaN, ±inf, or exploded
            raise self.diverged(epoch, k, f"loss = {loss:.6g}", loss)
        try:
            step.backward()
        except (OverflowError, FloatingPointError) as exc:
            why = f"the backward pass raised {type(exc).__name__}: {exc}"
            raise self.diverged(epoch, k, why, loss) from exc
        if self.limit == sys.float_info.max:
            self.limit = DIVERGED_FACTOR * max(1.0, loss)
        return loss

    def remember(self) -> None:
        """The weights now gave a good loss: they are the ones to put back."""
        self.good = self.weights()

    def check_update(self, epoch: int, k: int, before: list[float]) -> float:
        """The largest change of a trained parameter since ``before``; divergence if one is not finite."""
        changes = [abs(p.data - b) for p, b in zip(self.trained, before)]
        if not math.isfinite(sum(changes)):  # the last update left a weight inf or NaN
            raise self.diverged(epoch, k, "the update left a weight that is not finite")
        return max(changes)

    def diverged(self, epoch: int, k: int, why: str, loss: float | None = None) -> TrainingDiverged:
        """Put back the last good weights, zero the gradients, and make the error to raise."""
        for p, v in zip(self.trained, self.good):
            p.data = v
        for p in self.to_zero:
            p.grad = 0.0
        history = self.history
        last_lr = history.lr[-1] if history.lr else None
        advice = (
            f"lower the learning rate (it was {last_lr:g})"
            if last_lr is not None
            else "before any update, so check the inputs, the targets and the initial weights"
        )
        return TrainingDiverged(
            f"training diverged at epoch {epoch}, step {k} ({why}); {advice}; "
            "the parameters are restored to the weights of the last good step",
            epoch=epoch, step=k, loss=loss, lr=last_lr, history=history,
        )  # fmt: skip


class Monitor:
    """What the user sees of training: the progress bar, or the live view (nn.live), and the snapshots.

    ``update()`` after every update, ``epoch(postfix)`` after every epoch (the numbers beside
    the bar); used as a context manager, it closes the bar however training ends and finishes
    the live view when it ends well.
    """

    def __init__(
        self,
        model: MLP,
        run: Settings,
        history: History,
        progress: bool | str,
        live: bool,
        live_every: int | None,
        snapshots: int | None,
        watch: int | None = None,
    ) -> None:
        self.watch = None
        if live or snapshots:  # the live view and the snapshots (nn.live)
            self.watch = _live.Watch(model, run.X, run.y, run.loss_fn, history, run.epochs, live=live,
                                     every=live_every, snapshots=snapshots, l2=run.l2,
                                     optimizer=run.optimizer, watch=watch)  # fmt: skip
        shown = progress and not (self.watch and self.watch.live)  # the live picture replaces the bar
        self.bar = _progress_bar(progress, total=run.epochs, disable=not shown, desc="training", unit="epoch")

    def update(self) -> None:
        if self.watch:
            self.watch.step()

    def epoch(self, postfix: dict) -> None:
        self.bar.set_postfix(postfix, refresh=False)
        self.bar.update(1)

    def __enter__(self) -> "Monitor":
        return self

    def __exit__(self, kind, error, traceback) -> None:
        self.bar.close()
        if kind is None and self.watch:
            self.watch.end()


def _check_data(model, loss_fn, X, y, names=("X", "y"), width=None):
    """X and y as lists, checked: rows of one width of finite numbers, targets the loss accepts,
    the model's output against the first target. Raises ValueError naming the row otherwise."""
    xname, yname = names
    try:
        X, y = list(X), list(y)
    except TypeError:
        raise ValueError(f"{xname} and {yname} must be sequences: rows and their targets") from None
    if len(X) != len(y):
        raise ValueError(
            f"{xname} has {len(X)} rows but {yname} has {len(y)} targets; give one target per row"
        )
    if not X:
        raise ValueError(f"fit needs at least one row of data; {xname} is empty")
    reference = f"{xname}[0] has" if width is None else "the training rows have"
    for r, row in enumerate(X):
        if isinstance(row, (str, bytes)) or not hasattr(row, "__len__") or not hasattr(row, "__iter__"):
            raise ValueError(f"{xname}[{r}] is {row!r}, not a row of numbers; give each row as a list")
        if width is None:
            width = len(row)
        if len(row) != width:
            raise ValueError(
                f"{xname}[{r}] has {len(row)} values but {reference} {width}; "
                "every row needs the same number of inputs"
            )
        for i, v in enumerate(row):
            if not isinstance(v, Value) and not is_real(v):
                real(v, f"fit's {xname}[{r}][{i}]")  # the number rule's error
    shape = _width(y[0])
    for r, t in enumerate(y):
        if _width(t) != shape:
            raise ValueError(
                f"{yname}[{r}] is {t!r} but {yname}[0] is {y[0]!r}; every target needs the same shape"
            )
    check = getattr(loss_fn, "check_targets", None)
    if check is not None:
        check(y)
    with engine.no_grad():  # one forward pass: the model's inputs and outputs fit the data
        try:
            loss_fn(model(X[0]), y[0])
        except (OverflowError, FloatingPointError):  # numbers, not shapes: training reports it as divergence
            pass
    check_outputs = getattr(loss_fn, "check_outputs", None)  # every target against the model's outputs
    if check_outputs is not None:  # (cross_entropy: each label 0 <= y < k for k outputs)
        with engine.no_grad():
            check_outputs(model(X[0]), y)
    return X, y


def _width(target):
    return len(target) if isinstance(target, (list, tuple)) else None


def _evaluate(model, loss_fn, X, y, is_right, l2, all_params):
    """The mean loss (plus the L2 penalty) and the number of rows right, without recording a graph."""
    with engine.no_grad():
        preds = [model(x) for x in X]
        right = sum(is_right(p, t) for p, t in zip(preds, y)) if is_right is not None else 0
        try:
            loss = math.fsum(loss_fn(p, t).data for p, t in zip(preds, y)) / len(X)
            if l2:
                loss += _losses.l2(all_params, l2).data
        except (OverflowError, FloatingPointError):  # an output too large for the loss: it is inf
            loss = math.inf
    return loss, right


def predict(model: MLP, X: Sequence[Sequence[float]], classes: bool = False) -> list[Any]:
    """The model's outputs for rows ``X`` as plain floats (or lists of floats), with no graph kept.

    With ``classes=True`` (a model with one output per class, as trained with
    ``loss="cross_entropy"``) each row's class instead: the index of its largest output.

    >>> from nn import MLP
    >>> predict(MLP.from_weights([[[2.0]]], [[1.0]]), [[0.5], [1.0]])
    [2.0, 3.0]
    >>> predict(MLP.from_weights([[[1.0], [-1.0]]], [[0.0, 0.0]]), [[0.5], [-2.0]], classes=True)
    [0, 1]
    """
    with engine.no_grad():
        outs: list[Any] = [model(x) for x in X]
    if classes:
        if any(not isinstance(out, list) for out in outs):
            raise ValueError("predict(classes=True) needs a model with one output per class (2 or more)")
        return [
            max(range(len(out)), key=cast(Callable[[int], float], lambda k, out=out: out[k].data))
            for out in outs
        ]
    return [[v.data for v in out] if isinstance(out, list) else out.data for out in outs]


def _is_right(pred, target, threshold):
    preds = pred if isinstance(pred, list) else [pred]
    targets = target if isinstance(target, (list, tuple)) else [target]
    return all((float(p) > 0.0) == (float(t) > threshold) for p, t in zip(preds, targets))


def _progress_bar(kind, **options):
    """A tqdm bar: the notebook widget inside Jupyter, else (or without ipywidgets) the text bar."""
    from tqdm import TqdmWarning
    from tqdm import tqdm as text_bar

    if kind == "text":  # a text bar even in Jupyter: it stays readable in saved notebooks (on stdout there)
        return text_bar(file=_live.text_progress_file(), **options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TqdmWarning)  # Jupyter without ipywidgets: the text bar is fine
        from tqdm.auto import tqdm as auto_bar
    try:
        return auto_bar(**options)
    except ImportError:  # the notebook bar could not make its widget
        return text_bar(**options)
