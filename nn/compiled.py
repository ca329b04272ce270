"""Training without graphs: one sample's forward and backward pass, generated once as Python.

``nn.fit(..., compile=True)`` builds the graph of ONE sample once (the model on
inputs x_1, x_2, ... and the loss against targets t_1, t_2, ...), writes it out with
:mod:`engine.tools.compiling` (one line per node, one per chain-rule step, only the steps
that lead to a parameter) inside a loop over a batch's rows, and runs that function at
every iteration: (parameters, rows, targets) -> (losses, outputs, gradients). The mean
over the batch and the L2 penalty are added exactly as the graph does it, in the
order ``backward()`` adds them, so the losses, gradients and updates are the graph
path's (equal to the last bit wherever the additions come in the same order). The
cross-entropy is generated with one-hot targets (see ``SUPPORTED``): its chain-rule
steps reach the hidden layers in another order, so it equals the graph up to rounding.

    >>> import random, nn
    >>> random.seed(0)
    >>> model = nn.MLP(2, [3, 1])
    >>> step = BatchStep(model, nn.hinge, [[0.5, -1.0], [1.0, 2.0]], [1, -1])
    >>> print(step.source.splitlines()[3])
    def batch(params, rows, targets, seed):
"""

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

import engine
from engine import Value
from engine.numbers import real
from engine.tools.compiling import Program, Source, run_source, wrap

from . import losses as _losses

if TYPE_CHECKING:
    from .module import MLP

# Losses whose graph has the same shape for every sample (bce branches on the sign of z).
# cross_entropy picks z_y by the label: it is generated as logsumexp(z) − Σ_k t_k·z_k with the
# one-hot t, the same numbers (the terms t_k·z_k with t_k = 0 add exact zeros).
SUPPORTED = {
    "mse": _losses.mse, "half_sse": _losses.half_sse, "hinge": _losses.hinge,
    "cross_entropy": _losses.LOSSES["cross_entropy"],
}  # fmt: skip


def _one_hot_cross_entropy(pred, ts):
    """cross_entropy(z, y) written with the one-hot target t of y: logsumexp(z) − Σ t_k z_k."""
    lse = engine.logsumexp(pred)
    lse.label = "lse"
    return lse - engine.dot(ts, pred)


_RESERVED = ("batch", "seed", "zip")


class BatchStep:
    """The generated training step for ``model`` and ``loss_fn`` on rows shaped like ``X[0]``, ``y[0]``.

    ``step(X_rows, y_rows, l2)`` sets every parameter's ``.grad`` to ∂L/∂p of the batch loss
    L = mean of the per-sample losses (+ l2·Σp²) and returns (L, outputs): the loss as
    a float and the model's outputs (floats, or lists of floats) for each row.
    ``step.source`` is the generated function.
    """

    def __init__(
        self, model: "MLP", loss_fn: Callable[..., Value], X: Sequence[Sequence[float]], y: Sequence[Any]
    ) -> None:
        if loss_fn not in SUPPORTED.values():
            names = ", ".join(SUPPORTED)
            raise ValueError(
                f"compile=True supports the losses {names}, whose graph has the same shape for every "
                f"sample; train with {getattr(loss_fn, '__name__', loss_fn)!r} on the graph (compile=False)"
            )
        self.all_params = model.parameters()  # tied weights appear once per use, as in the L2 penalty
        self.params = list({id(q): q for q in self.all_params}.values())  # each Value once
        where = {id(q): i for i, q in enumerate(self.params)}
        self.uses = [where[id(q)] for q in self.all_params]
        nin, listed = len(X[0]), isinstance(y[0], (list, tuple))
        nout = len(y[0]) if listed else 1
        self.classes = None  # cross_entropy: targets become one-hot rows of this many classes
        if loss_fn is SUPPORTED["cross_entropy"]:
            self.classes = len(model.layers[-1].neurons)
            loss_fn, y, listed, nout = _one_hot_cross_entropy, [self.one_hot(y[0])], True, self.classes
        self.nin, self.nout, self.listed = nin, nout, listed
        self.grads: list[float] = []
        # placeholders for one sample, holding the first row's numbers (so a loss's target check passes)
        first = [_number(x) for x in X[0]]
        xs = [Value(x, label=f"x_{i}") for i, x in enumerate(first, 1)]
        ts = [Value(_number(t), label=f"t_{j}") for j, t in enumerate(y[0] if listed else [y[0]], 1)]
        pred = model(xs)
        loss = loss_fn(pred, ts if listed else ts[0])
        outputs = pred if isinstance(pred, list) else [pred]
        key = _structure(loss, outputs, self.params, xs, ts), listed
        if key not in _CACHE:
            p = Program(
                loss,
                self.params + xs + ts,
                wanted=self.params,
                first_assigns=True,
                reserved=_RESERVED,
                guard=3,
            )
            source = Source(self._source(p, xs, ts, listed, outputs))
            _CACHE[key] = source, run_source(source, "batch", "<nn.compiled batch step>"), len(outputs) > 1
        self.source, self.function, self.listed_output = _CACHE[key]

    def _source(self, p, xs, ts, listed, outputs):
        names = p.names
        params = [names[q] for q in self.params]
        x_names = ", ".join(names[x] for x in xs)
        t_names = ", ".join(names[t] for t in ts)
        row = f"({x_names},)" if len(xs) == 1 else f"({x_names})"
        target = (f"({t_names},)" if len(ts) == 1 else f"({t_names})") if listed else t_names
        out = ", ".join(names[o] for o in outputs)
        out = f"({out})" if len(outputs) > 1 else out
        lines = ["# One batch of training: forward and backward per row, generated by nn.compiled.", ""]
        if p.import_line():
            lines += [p.import_line(), ""]
        lines += ["", "def batch(params, rows, targets, seed):"]
        lines += wrap(f"({', '.join(params)}{',' if len(params) == 1 else ''}) = params", "    ")
        lines += p.zero_lines("    ")
        lines += ["    losses, outputs = [], []", f"    for {row}, {target} in zip(rows, targets):"]
        for _, line in p.forward:
            lines += wrap(line, "        ")
        r = names[p.root]
        lines += [f"        losses.append({r})", f"        outputs.append({out})", f"        g_{r} = seed"]
        lines += p.zero_lines("        ", p.late_zeros)
        lines += p.step_lines("        ", comments=False)
        lines += wrap(f"return losses, outputs, [{', '.join(f'g_{q}' for q in params)}]", "    ")
        return "\n".join(lines) + "\n"

    def __call__(self, X_rows, y_rows, l2=0.0):
        """The batch loss L and the outputs per row; ∂L/∂p waits in ``grads`` for :meth:`set_grads`.

        Raises FloatingPointError when L or a gradient is not finite (and the generated code's
        own ArithmeticError or ValueError when a number fails in it)."""
        values = [q.data for q in self.params]
        n = len(X_rows)
        losses, outputs, grads = self.function(values, X_rows, y_rows, 1.0 / n)
        # The graph: L = Σ losses × (1/n) (one loss: itself), + l2·Σp² after every sample's steps.
        L = losses[0] if n == 1 else sum(losses, 0.0) * (1.0 / n)
        if l2:
            used = [values[i] for i in self.uses]  # a tied weight counts once per use, as on the graph
            L = L + sum([v * v for v in used], 0.0) * l2
            for i, v in zip(self.uses, used):
                grads[i] = (grads[i] + l2 * v) + l2 * v
        if not math.isfinite(L) or not all(map(math.isfinite, grads)):
            raise FloatingPointError(
                f"the batch loss or its gradients are not finite (loss {L}); lower the learning rate, "
                "or train on the graph (compile=False) inside engine.detect_anomaly() to find the op"
            )
        self.grads = grads
        if self.listed_output:
            return L, [list(o) for o in outputs]
        return L, outputs

    def set_grads(self) -> None:
        """Give every parameter the gradient of the last call (∂L/∂p)."""
        for q, g in zip(self.params, self.grads):
            q.grad = g

    def one_hot(self, label: float) -> list[float]:
        """A class label as the one-hot row the generated cross-entropy takes."""
        return [1.0 if k == int(_number(label)) else 0.0 for k in range(cast(int, self.classes))]

    def rows(
        self, X: Sequence[Sequence[float]], y: Sequence[Any]
    ) -> tuple[Sequence[Sequence[float]], Sequence[Any]]:
        """``X`` and ``y`` as floats, checked against the shapes the step was generated for."""
        if self.classes is not None:
            y = [self.one_hot(t) for t in y]
        X = [[_number(v) for v in row] for row in X]
        y = [[_number(v) for v in t] if self.listed else _number(t) for t in y]
        for row, t in zip(X, y):
            if len(row) != self.nin or (self.listed and len(t) != self.nout):
                raise ValueError(
                    f"compile=True needs every row to have {self.nin} inputs and every target "
                    f"{self.nout} outputs; got {len(row)} inputs and {t!r}"
                )
        return X, y


_CACHE: dict = {}  # (the one-sample graph's structure, listed targets) -> (source, function, several outputs)


def _structure(loss, outputs, params, xs, ts):
    """Everything the generated code depends on: the one-sample graph's ops, constants and edges,
    which leaf is which parameter, input or target, and the numbers of the other leaves.
    Two models with the same structure get the same code; any difference gets its own."""
    from engine.walks import topological_order

    order = topological_order(loss)
    index = {id(node): i for i, node in enumerate(order)}
    roles = {id(v): (kind, i) for kind, vs in (("p", params), ("x", xs), ("t", ts)) for i, v in enumerate(vs)}
    shape: list = []
    for node in order:
        if node.parents:
            op = node.op
            shape.append((op.name, repr(op.constant), tuple(index[id(q)] for q in node.parents)))
        else:
            shape.append(roles.get(id(node), ("fixed", node.data)))
    return tuple(shape), tuple(index.get(id(o), -1) for o in outputs), len(params), len(xs), len(ts)


def _number(v):
    """A row's or a target's number as a float, by the number rule (engine.numbers)."""
    return v.data if isinstance(v, Value) else real(v, "compile=True's rows and targets")


__all__ = ["BatchStep", "SUPPORTED"]
