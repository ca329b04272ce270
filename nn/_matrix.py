"""Training in layer form: ``nn.fit(..., compile="layers")`` runs :func:`nn.layer_code` over each batch.

The model's weights are copied once into one float64 array θ, in which every W^(l) and
b^(l) is a view; the layer code (:func:`nn.layers.layer_code`, generated once per
architecture and loss) computes the batch loss and the gradients as matrices, and the L2
penalty l2·Σp² is added over θ at once (E + l2·θ·θ, ∂/∂θ = 2·l2·θ: what the printed
code's per-layer penalty lines add);
the optimizer's update (SGD, Adam or AdamW: the same formulas as :mod:`nn.optim`, one
array operation each) changes θ; and at the end the trained numbers are written back
into the model's Values (and the last gradients into their ``.grad``, the optimizer's
step count and moments into the optimizer). The loop is ``fit``'s: the same batches,
shuffles, History, early stopping, divergence guard, validation and progress bar, so the
losses are the graph path's, equal up to rounding (the sums over a batch run in another
order).

    >>> import random, nn
    >>> random.seed(0)
    >>> model = nn.MLP(3, [5, 2], activation="sigmoid")
    >>> X, y = nn.data.seed003()
    >>> net = MatrixNet(model, "half_sse")
    >>> E, out = net(net.inputs(X), net.targets(y))
    >>> out.shape  # two outputs, one column per sample
    (2, 6)
"""

import math
import random
import sys
import warnings
from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from engine.tools.compiling import run_source

from . import layers as _layers
from . import live as _live
from .multiclass import label as _class_label
from .optim import SGD, Adam, AdamW, Optimizer

_CACHE: dict = {}  # (shapes, loss) -> (source, function)
_THRESHOLDS = {"hinge": 0.0, "bce": 0.5}  # a row is right when (score > 0) == (label > threshold)


class MatrixNet:
    """``model``'s weights as arrays and its layer code: ``net(a0, Y)`` -> (E, a^(L)), gradients in ``grad``.

    ``theta`` holds every parameter (``params``, in layer order), ``arrays`` the views
    W1, b1, W2, ... into it, ``grad`` and ``grad_arrays`` the same for the gradients of
    the last call; ``source`` is the generated code. Raises :class:`nn.layers.LayerFormError`
    for a network or loss the layer form cannot express.
    """

    def __init__(self, model: Any, loss: Any, l2: float = 0.0) -> None:
        self.shapes = _layers.shapes(model)
        self.loss = _layers.loss_name(loss)
        self.l2 = float(l2)
        self.params: list = []
        for shape, layer in zip(self.shapes, model.layers):
            if shape.shared_bias:
                self.params += [w for n in layer.neurons for w in n.w] + [layer.bias]
            else:
                self.params += [v for n in layer.neurons for v in (*n.w, n.b)]
        self.theta = np.array([p.data for p in self.params], dtype=float)
        self.grad = np.zeros_like(self.theta)
        self.arrays, self.grad_arrays = self._views(self.theta), self._views(self.grad)
        key = (tuple(self.shapes), self.loss)
        if key not in _CACHE:
            source = _layers.layer_code(model, self.loss)  # the penalty is added over θ, in __call__
            _CACHE[key] = source, run_source(source, "forward_backward", "<nn.layer_code>")
        self.source, self.function = _CACHE[key]

    def _views(self, flat):
        out, start = [], 0
        for s in self.shapes:
            if s.shared_bias:
                W = flat[start : start + s.nout * s.nin].reshape(s.nout, s.nin)
                start += s.nout * s.nin
                b = flat[start : start + 1].reshape(1, 1)
                start += 1
            else:  # per neuron: its weights, then its bias (the order of model.parameters())
                block = flat[start : start + s.nout * (s.nin + 1)].reshape(s.nout, s.nin + 1)
                W, b = block[:, : s.nin], block[:, s.nin :]
                start += s.nout * (s.nin + 1)
            out += [W, b]
        return out

    def __call__(self, a0: Any, Y: Any) -> tuple[float, Any]:
        E, out, grads = self.function(*self.arrays, a0, Y)
        for into, g in zip(self.grad_arrays, grads):
            into[...] = g
        if self.l2:
            theta = self.theta
            E = E + self.l2 * float(theta @ theta)
            self.grad += (2.0 * self.l2) * theta
        return float(E), out

    def inputs(self, X: Sequence[Sequence[Any]]) -> Any:
        """Rows of numbers (or Values) as the input matrix a^(0): one column per row."""
        return np.array([[float(v) for v in row] for row in X], dtype=float).T.copy()

    def targets(self, y: Sequence[Any]) -> Any:
        """Targets as the matrix Y the code takes: one column per row (one-hot for cross_entropy)."""
        return _layers.targets_matrix(self.loss, y, self.shapes[-1].nout)

    def labels(self, y: Sequence[Any]) -> Any:
        """Class labels as an int array (cross_entropy)."""
        return np.array([_class_label(t) for t in y], dtype=int)

    def write_back(self) -> None:
        """Put the numbers of θ into the model's Values."""
        for p, v in zip(self.params, self.theta.tolist()):
            p.data = v

    def write_grads(self, zero: bool = False) -> None:
        """Put the last gradients (or 0) into the Values' ``.grad``."""
        for p, g in zip(self.params, self.grad.tolist()):
            p.grad = 0.0 if zero else g


class ArrayOptimizer:
    """An ``nn.SGD``, ``nn.Adam`` or ``nn.AdamW`` acting on θ: the same update, one array operation each.

    Its state (velocity, moments) starts from the optimizer's and is written back by
    :meth:`write_back`; the step count ``k`` is the optimizer's own, counted at every step.
    """

    def __init__(self, optimizer: Optimizer, net: MatrixNet) -> None:
        if type(optimizer) not in (SGD, Adam, AdamW):
            raise _layers.LayerFormError(
                f"compile='layers' updates the weights as arrays with the rules of nn.SGD, nn.Adam and "
                f"nn.AdamW; {type(optimizer).__name__} is none of them: train with compile=False (the graph)"
            )
        where = {id(p): i for i, p in enumerate(net.params)}
        if any(id(p) not in where for p in optimizer.params):
            raise _layers.LayerFormError(
                "the optimizer holds Values that are not this model's weights; compile='layers' trains only "
                "the model's own parameters: train with compile=False (the graph)"
            )
        index = np.array([where[id(p)] for p in optimizer.params], dtype=int)
        self.index = None if np.array_equal(index, np.arange(len(net.params))) else index
        self.opt, self.kind = optimizer, type(optimizer)
        if self.kind is SGD:
            self.velocity = np.array(cast(SGD, optimizer).velocity, dtype=float)
        else:
            adam = cast(Adam, optimizer)
            self.m, self.v = np.array(adam.m, dtype=float), np.array(adam.v, dtype=float)

    def trained(self, theta: Any) -> Any:
        """The trained parameters' numbers (a copy)."""
        return theta.copy() if self.index is None else theta[self.index]

    def step(self, theta: Any, grad: Any, lr: float) -> None:
        """One update of θ from ``grad`` with learning rate ``lr``, then count the step."""
        p = theta if self.index is None else theta[self.index]
        g = grad if self.index is None else grad[self.index]
        opt = self.opt
        if self.kind is SGD:
            sgd = cast(SGD, opt)
            mu, wd = sgd.momentum, sgd.weight_decay
            if mu:
                self.velocity = mu * self.velocity + (g + wd * p if wd else g)
                p -= lr * self.velocity
            elif wd:
                p -= lr * (g + wd * p)
            else:
                p -= lr * g
        else:
            adam = cast(Adam, opt)
            if self.kind is AdamW and cast(AdamW, opt).weight_decay:
                p *= 1.0 - lr * cast(AdamW, opt).weight_decay
            (b1, b2), eps, t = adam.betas, adam.eps, adam.k + 1
            step_size = lr / (1.0 - b1**t)
            root_c2 = math.sqrt(1.0 - b2**t)
            self.m = b1 * self.m + (1.0 - b1) * g
            self.v = b2 * self.v + (1.0 - b2) * g * g
            p -= step_size * self.m / (np.sqrt(self.v) / root_c2 + eps)
        if self.index is not None:
            theta[self.index] = p
        opt.k += 1

    def write_back(self) -> None:
        """Put the velocity or moments back into the optimizer (its step count is already its own)."""
        if self.kind is SGD:
            cast(SGD, self.opt).velocity = self.velocity.tolist()
        else:
            adam = cast(Adam, self.opt)
            adam.m, adam.v = self.m.tolist(), self.v.tolist()


def fit_layers(
    model: Any,
    X: Sequence[Sequence[Any]],
    y: Sequence[Any],
    loss_fn: Any,
    optimizer: Optimizer,
    *,
    epochs: int,
    batch_size: int | None,
    l2: float,
    shuffle: bool,
    seed: int | None,
    tol: float | None,
    validation: tuple[Sequence[Sequence[Any]], Sequence[Any]] | None,
    progress: bool | str,
    live: bool,
    live_every: int | None,
    snapshots: int | None,
    history_type: Any,
    diverged_type: Any,
    diverged_factor: float,
) -> Any:
    """``fit``'s loop in layer form, on arguments ``fit`` has checked (see the module notes).

    ``fit`` passes its History and TrainingDiverged classes and its divergence factor
    (nn.train imports this module, so this module does not import nn.train).
    """
    History, TrainingDiverged, DIVERGED_FACTOR = history_type, diverged_type, diverged_factor
    net = MatrixNet(model, loss_fn, l2)
    opt = ArrayOptimizer(optimizer, net)
    loss = net.loss
    A0, Y = net.inputs(X), net.targets(y)
    labels = net.labels(y) if loss == "cross_entropy" else None
    n = len(X)
    size = n if batch_size is None else min(batch_size, n)
    batches = [range(start, min(start + size, n)) for start in range(0, n, size)]
    threshold = _THRESHOLDS.get(loss)
    classifies = threshold is not None or loss == "cross_entropy"
    history = History(len(batches), accuracy=[] if classifies else None)
    if validation is not None:
        history.val_loss, history.val_accuracy = [], [] if classifies else None
        X_val, y_val = validation
        A0_val, Y_val = net.inputs(X_val), net.targets(y_val)
        labels_val = net.labels(y_val) if loss == "cross_entropy" else None

    def right_of(out, Yb, lab):
        if loss == "cross_entropy":
            return int(np.count_nonzero(np.argmax(out, axis=0) == lab))
        return int(np.count_nonzero(((out > 0.0) == (Yb > threshold)).all(axis=0)))

    order = list(range(n))
    rng = random.Random(seed)
    limit = sys.float_info.max
    theta = net.theta
    good = theta.copy()

    def diverged(epoch, step, why, loss_now=None):
        theta[...] = good
        net.write_back()
        net.write_grads(zero=True)
        last_lr = history.lr[-1] if history.lr else None
        advice = (
            f"lower the learning rate (it was {float(last_lr):g})"
            if history.lr
            else "before any update, so check the inputs, the targets and the initial weights"
        )
        return TrainingDiverged(
            f"training diverged at epoch {epoch}, step {step} ({why}); {advice}; "
            "the parameters are restored to the weights of the last good step",
            epoch=epoch, step=step, loss=loss_now, lr=cast(float, last_lr), history=history,
        )  # fmt: skip

    watch = None
    if live or snapshots:
        watch = _live.Watch(model, X, y, loss_fn, history, epochs, live=live, every=live_every,
                            snapshots=snapshots, l2=l2)  # fmt: skip
    shown = progress and not (watch and watch.live)
    bar = _progress_bar(progress, total=epochs, disable=not shown, desc="training", unit="epoch")
    whole = len(batches) == 1  # batch gradient descent: the rows in order, no copy
    failed = False
    try:
        with np.errstate(all="ignore"):  # inf and nan are caught below, as divergence
            for epoch in range(1, epochs + 1):
                if shuffle and len(batches) > 1:
                    rng.shuffle(order)
                before = opt.trained(theta)
                total, right = 0.0, 0
                for step, batch in enumerate(batches, 1):
                    if whole:
                        a0, Yb, lab, count = A0, Y, labels, n
                    else:
                        rows = [order[i] for i in batch]
                        a0, Yb, count = A0[:, rows], Y[:, rows], len(rows)
                        lab = labels[rows] if labels is not None else None
                    loss_now, out = net(a0, Yb)
                    if not loss_now <= limit:  # NaN, ±inf, or exploded
                        failed = True
                        raise diverged(epoch, step, f"loss = {loss_now:.6g}", loss_now)
                    if not np.isfinite(net.grad).all():
                        failed = True
                        raise diverged(
                            epoch, step, "the backward pass gave gradients that are not finite", loss_now
                        )
                    if limit == sys.float_info.max:
                        limit = min(limit, DIVERGED_FACTOR * max(1.0, loss_now))
                    lr_now = optimizer.lr  # a schedule gone bad raises here, before this step is recorded
                    history.loss.append(loss_now)
                    history.lr.append(lr_now)
                    good[...] = theta
                    opt.step(theta, net.grad, lr_now)
                    if watch:
                        net.write_back()
                        watch.step()
                    total += loss_now * count
                    if classifies:
                        right += right_of(out, Yb, lab)
                changes = np.abs(opt.trained(theta) - before)
                if not math.isfinite(float(np.sum(changes))):
                    failed = True
                    raise diverged(epoch, len(batches), "the update left a weight that is not finite")
                history.epoch_loss.append(total / n)
                history.update.append(float(np.max(changes)))
                postfix = {"loss": f"{total / n:.4g}"}
                if classifies:
                    cast(list, history.accuracy).append(right / n)
                    postfix["accuracy"] = f"{right / n:.1%}"
                if validation is not None:
                    saved = net.grad.copy()  # the validation pass must not change the last gradients
                    val_loss, out_val = net(A0_val, Y_val)
                    net.grad[...] = saved
                    cast(list, history.val_loss).append(val_loss if math.isfinite(val_loss) else math.inf)
                    postfix["val_loss"] = f"{val_loss:.4g}"
                    if classifies:
                        cast(list, history.val_accuracy).append(
                            right_of(out_val, Y_val, labels_val) / len(X_val)
                        )
                if shown:  # a hidden bar's bookkeeping costs more than a step
                    bar.set_postfix(postfix, refresh=False)
                    bar.update(1)
                if tol is not None and history.update[-1] < tol:
                    history.stopped_early = True
                    break
    finally:
        bar.close()
        opt.write_back()
        if not failed:
            net.write_back()
            net.write_grads()
    if watch:
        watch.end()
    return history


def _progress_bar(kind, **options):
    """A tqdm bar as ``fit`` shows it: the notebook widget inside Jupyter, else the text bar."""
    from tqdm import TqdmWarning
    from tqdm import tqdm as text_bar

    if kind == "text":
        return text_bar(**options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TqdmWarning)
        from tqdm.auto import tqdm as auto_bar
    try:
        return auto_bar(**options)
    except ImportError:
        return text_bar(**options)


__all__ = ["MatrixNet", "ArrayOptimizer", "fit_layers"]
