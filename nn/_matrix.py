"""Training in layer form: ``nn.fit(..., compile="layers")`` runs :func:`nn.layer_code` over each batch.

The model's weights are copied once into one float64 array θ, in which every W^(l) and
b^(l) is a view (:class:`MatrixNet`). The layer code (:func:`nn.layers.layer_code`,
generated once per architecture and loss) computes a batch's loss and gradients as
matrices; the L2 penalty l2·Σp² is added over θ at once (E + l2·θ·θ, ∂/∂θ = 2·l2·θ, what
the printed code's per-layer penalty lines add); the optimizer's update (SGD, Adam or
AdamW: the same formulas as :mod:`nn.optim`, one array operation each,
:class:`ArrayOptimizer`) changes θ. At the end the trained numbers are written back into
the model's Values, the last gradients into their ``.grad`` and the step count and
moments into the optimizer.

:func:`fit_layers` is ``fit``'s loop on those arrays: the same Settings, batches, shuffles,
History, early stopping and progress (fit's Monitor); every loss goes through fit's
DivergenceGuard, and a batch whose loss or gradients are not finite is done again on the
graph through it, so divergence is reported as the graph reports it. The losses are the
graph path's up to rounding (the sums over a batch run in another order).
:class:`LayerStep` is the same code behind :mod:`nn.steps`' per-Value Step interface.

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
from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from engine.tools.compiling import run_source

from . import layers as _layers
from .multiclass import label as _class_label
from .optim import SGD, Adam, AdamW, Optimizer
from .steps import GraphStep, Step

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
        try:
            return np.array(X, dtype=float).T.copy()  # rows of floats (or ints)
        except (TypeError, ValueError):  # rows holding Values
            return np.array([[float(v) for v in row] for row in X], dtype=float).T.copy()

    def targets(self, y: Sequence[Any]) -> Any:
        """Targets as the matrix Y the code takes: one column per row (one-hot for cross_entropy)."""
        return _layers.targets_matrix(self.loss, y, self.shapes[-1].nout)

    def labels(self, y: Sequence[Any]) -> Any:
        """Class labels as an int array (cross_entropy)."""
        try:
            raw = np.array(y, dtype=float)
        except (TypeError, ValueError):
            raw = None
        if (
            raw is not None
            and raw.ndim == 1
            and bool(np.all(raw == np.round(raw)))
            and bool(np.all(raw >= 0))
        ):
            return raw.astype(int)  # whole numbers >= 0, as fit checked them
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
        self.positions = index  # where each of the optimizer's parameters sits in θ
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


class LayerStep(Step):
    """The layer code as a :class:`nn.steps.Step`: forward on a batch's columns, gradients into the Values.

    The third way to make ``fit``'s step (beside the graph and the compiled scalar code): each
    ``forward`` reads the weights from the Values (the optimizer updates those), runs the layer
    code on the batch as matrices, and ``backward`` writes every gradient into its Value's
    ``.grad``. A batch whose loss or gradients are not finite is done again on the graph
    (:class:`nn.steps.GraphStep`), so divergence is reported as the graph reports it.
    ``fit(compile="layers")`` does not go through this per-Value interface: it keeps the
    weights as arrays for the whole run (:func:`fit_layers`), which is what makes it fast.
    """

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.net = MatrixNet(self.model, self.loss_fn, self.l2)
        self.A0, self.Y = self.net.inputs(self.X), self.net.targets(self.y)
        self.graph: GraphStep | None = None

    def forward(self, rows: Sequence[int]) -> float:
        net, self.graph = self.net, None
        net.theta[:] = [p.data for p in net.params]
        with np.errstate(all="ignore"):
            loss, out = net(self.A0[:, list(rows)], self.Y[:, list(rows)])
        if math.isfinite(loss) and bool(np.isfinite(net.grad).all()):
            cols = out.T.tolist()
            self.outputs = [c[0] for c in cols] if out.shape[0] == 1 else cols
            return loss
        self.graph = GraphStep(self.model, self.loss_fn, self.X, self.y, self.l2, self.zero)
        loss = self.graph.forward(rows)
        self.outputs = self.graph.outputs
        return loss

    def backward(self) -> None:
        if self.graph is not None:
            self.graph.backward()
            return
        for p in self.zero:
            p.grad = 0.0
        self.net.write_grads()

    def release(self) -> None:
        self.graph, self.outputs = None, []


class _Done(Step):
    """A step already taken on arrays: ``forward`` returns its loss, so fit's guard can check it."""

    def __init__(self) -> None:
        self.loss = math.nan

    def forward(self, rows: Sequence[int]) -> float:
        return self.loss

    def backward(self) -> None:
        pass


def fit_layers(model: Any, run: Any, history: Any, guard: Any, monitor: Any) -> None:
    """``fit``'s loop in layer form, filling ``history``, on the Settings ``run`` ``fit`` has checked.

    ``guard`` is fit's DivergenceGuard (every loss goes through its check, and a batch the
    layer code cannot do is done again on the graph through it, so divergence is reported as on
    the graph), ``monitor`` its progress bar and live view. The weights stay in θ for the whole
    run and are written back into the model's Values at the end (also when training fails).
    """
    net = MatrixNet(model, run.loss_fn, run.l2)
    opt = ArrayOptimizer(run.optimizer, net)
    optimizer, loss = run.optimizer, net.loss
    X, y = run.X, run.y
    A0, Y = net.inputs(X), net.targets(y)
    labels = net.labels(y) if loss == "cross_entropy" else None
    n, batches = len(X), run.batches
    threshold = _THRESHOLDS.get(loss)
    classifies = run.is_right is not None
    if run.validation is not None:
        X_val, y_val = run.validation
        A0_val, Y_val = net.inputs(X_val), net.targets(y_val)
        labels_val = net.labels(y_val) if loss == "cross_entropy" else None

    positive = None if threshold is None else Y > threshold  # each label's class, for accuracy
    if run.validation is not None and threshold is not None:
        positive_val = Y_val > threshold

    def right_of(out, pos, lab):
        """The rows right: arg-max = label (cross_entropy), or every score's sign = its label's."""
        if loss == "cross_entropy":
            return int(np.count_nonzero(np.argmax(out, axis=0) == lab))
        same = (out > 0.0) == pos
        return int(np.count_nonzero(same if same.shape[0] == 1 else same.all(axis=0)))

    order = list(range(n))
    rng = random.Random(run.seed)
    theta, positions = net.theta, opt.positions
    good = theta.copy()  # the weights that gave the last good loss, before its update
    done = _Done()
    graph_step = None
    watch = monitor.watch
    quiet = bool(getattr(monitor.bar, "disable", False)) and watch is None
    whole = len(batches) == 1  # batch gradient descent: the rows in order, no copy

    def checked(loss_now, rows, epoch, k):
        """The loss through fit's guard; a batch the layer code could not do, again on the graph."""
        nonlocal graph_step
        done.loss = loss_now
        step: Step = done
        g = net.grad
        if not (math.isfinite(loss_now) and math.isfinite(g @ g)):  # (a huge finite g: the graph, no harm)
            net.write_back()  # the graph reads the Values
            if graph_step is None:
                graph_step = GraphStep(model, run.loss_fn, X, y, run.l2, run.to_zero)
            step = graph_step
        try:
            loss_now = guard.step(step, rows, epoch, k)
        except BaseException:
            theta[...] = good  # the guard put back its own copy: make it ours, the last good weights
            net.write_back()
            net.write_grads(zero=True)
            raise
        if step is not done:  # the graph did the batch: its gradients into θ's order
            net.grad[:] = [p.grad for p in net.params]
            cast(GraphStep, step).release()
        return loss_now

    failed = True
    try:
        with np.errstate(all="ignore"):  # inf and nan are caught by the guard, as divergence
            for epoch in range(1, run.epochs + 1):
                if run.shuffle and len(batches) > 1:
                    rng.shuffle(order)
                before = opt.trained(theta)
                total, right = 0.0, 0
                for k, batch in enumerate(batches, 1):
                    if whole:
                        rows, a0, Yb, lab, pos = order, A0, Y, labels, positive
                    else:
                        rows = [order[i] for i in batch]
                        a0, Yb = A0[:, rows], Y[:, rows]
                        lab = labels[rows] if labels is not None else None
                        pos = positive[:, rows] if positive is not None else None
                    loss_now, out = net(a0, Yb)
                    loss_now = checked(loss_now, rows, epoch, k)
                    lr_now = optimizer.lr  # a schedule gone bad raises here, before this step is recorded
                    history.loss.append(loss_now)
                    history.lr.append(lr_now)
                    good[...] = theta
                    opt.step(theta, net.grad, lr_now)
                    if watch is not None:
                        net.write_back()
                        monitor.update()
                    total += loss_now * len(rows)
                    if classifies:
                        right += right_of(out, pos, lab)
                largest = float(np.max(np.abs(opt.trained(theta) - before)))
                if not math.isfinite(largest):  # the last update left a weight inf or NaN (max keeps a NaN)
                    net.write_back()
                    guard.good = good[positions].tolist()
                    raise guard.diverged(epoch, len(batches), "the update left a weight that is not finite")
                history.update.append(largest)
                history.epoch_loss.append(total / n)
                postfix = {"loss": f"{total / n:.4g}"}
                if classifies:
                    cast(list, history.accuracy).append(right / n)
                    postfix["accuracy"] = f"{right / n:.1%}"
                if run.validation is not None:
                    saved = net.grad.copy()  # the validation pass leaves the last gradients alone
                    val_loss, out_val = net(A0_val, Y_val)
                    net.grad[...] = saved
                    cast(list, history.val_loss).append(val_loss if math.isfinite(val_loss) else math.inf)
                    postfix["val_loss"] = f"{val_loss:.4g}"
                    if classifies:
                        val_right = right_of(
                            out_val, positive_val if threshold is not None else None, labels_val
                        )
                        cast(list, history.val_accuracy).append(val_right / len(X_val))
                if not quiet:  # a hidden bar's bookkeeping costs more than a step
                    monitor.epoch(postfix)
                if run.tol is not None and history.update[-1] < run.tol:
                    history.stopped_early = True
                    break
        failed = False
    finally:
        opt.write_back()
        if not failed:
            net.write_back()
            net.write_grads()


__all__ = ["MatrixNet", "ArrayOptimizer", "LayerStep", "fit_layers"]
