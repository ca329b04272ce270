"""One training step of ``fit``, two ways: on the graph, and generated once as Python.

``nn.fit`` drives every step through the same loop (nn/train.py): for each batch it calls
``forward``, checks the loss (the divergence guard), calls ``backward``, updates the
weights with the optimizer, counts the rows right from ``outputs``, then ``release``.
Any object with this interface can be a step (:class:`Step` is the base to subclass):

- ``Step(model, loss_fn, X, y, l2, zero)``: made once per ``fit``, after ``fit`` has checked
  the data. ``X`` and ``y`` are the checked rows and targets (lists); ``l2`` the penalty
  weight; ``zero`` the Values whose ``.grad`` must be cleared before every backward pass
  (the model's parameters and any other Value the optimizer trains).
- ``forward(rows) -> float``: the loss L of the batch made of rows ``X[r]`` for ``r`` in
  ``rows``: the mean of the per-sample losses (+ l2·Σp² over ``model.parameters()``), as a
  float. It may raise OverflowError or FloatingPointError: ``fit`` reports that as
  divergence (with no loss). It sets ``outputs``, the model's output for each row, in a
  form the loss's ``is_right(pred, target)`` takes.
- ``backward() -> None``: every Value of ``zero`` gets ``.grad`` = ∂L/∂p of the last
  forward (0 where L does not depend on it). It may raise OverflowError or
  FloatingPointError (divergence, with the loss of the forward).
- ``release() -> None``: drops what the last forward kept (its graph), once the step is done.
- ``pauses_collector``: True when the step allocates only acyclic garbage (a graph of
  Values, freed by reference counting), so ``fit`` pauses Python's cyclic garbage
  collector around it (:func:`collector_paused`); False leaves the collector alone.

A step must give the graph's numbers: its losses and gradients equal
:class:`GraphStep`'s to 1e-12 relative (tests/test_nn/test_compiled.py compares the whole
training, in the three regimes). A batch a step cannot do faithfully (its numbers overflow
in a faster form) it may hand to a :class:`GraphStep`, as :class:`CompiledStep` does, so
divergence is reported exactly as on the graph. ``fit`` picks the step class from its
``compile`` argument; a new step is added there.

    >>> import random, nn
    >>> random.seed(0)
    >>> model = nn.MLP(2, [2, 1])
    >>> X, y = [[0.5, -1.0], [1.0, 2.0]], [1.0, -1.0]
    >>> losses = []
    >>> for step in (GraphStep, CompiledStep):
    ...     s = step(model, nn.mse, X, y, 0.0, model.parameters())
    ...     losses.append(s.forward([0, 1])); s.backward(); s.release()
    >>> losses[0] == losses[1]
    True
"""

import gc
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

from engine import Value

from . import losses as _losses

if TYPE_CHECKING:
    from .compiled import BatchStep
    from .module import MLP


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off inside the block, then back as it was (also on errors).

    A graph of Values holds no reference cycles: reference counting frees it whole when the
    last reference goes. The cyclic collector, started by allocation counts, would only walk
    the live graph again and again looking for cycles that are not there. A collector the
    user had turned off stays off.
    """
    was_on = gc.isenabled()
    if was_on:
        gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


class Step:
    """The interface ``fit`` trains through (see the module notes); subclass it for a new way."""

    pauses_collector = False

    def __init__(
        self,
        model: "MLP",
        loss_fn: Callable[..., Value],
        X: Sequence[Sequence[Any]],
        y: Sequence[Any],
        l2: float,
        zero: Sequence[Value],
    ) -> None:
        self.model, self.loss_fn, self.X, self.y, self.l2 = model, loss_fn, X, y, l2
        self.zero = list(zero)
        self.outputs: list = []

    def forward(self, rows: Sequence[int]) -> float:
        """The batch loss of ``rows``; sets ``outputs``."""
        raise NotImplementedError

    def backward(self) -> None:
        """Every Value of ``zero`` gets its gradient of the last forward's loss."""
        raise NotImplementedError

    def release(self) -> None:
        """Drop what the last forward kept."""
        self.outputs = []


class GraphStep(Step):
    """The graph: the model and the loss recorded as Values, then ``backward()`` through them."""

    pauses_collector = True

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.params = self.model.parameters()
        self.L: Value | None = None

    def forward(self, rows: Sequence[int]) -> float:
        X, y, loss_fn = self.X, self.y, self.loss_fn
        self.outputs = preds = [self.model(X[r]) for r in rows]
        L = _losses.mean([loss_fn(p, y[r]) for p, r in zip(preds, rows)])
        if self.l2:
            L = L + _losses.l2(self.params, self.l2)
        self.L = L
        return L.data

    def backward(self) -> None:
        for p in self.zero:
            p.grad = 0.0
        if self.L is not None:
            self.L.backward()

    def release(self) -> None:
        self.L, self.outputs = None, []


class CompiledStep(Step):
    """The generated program of :mod:`nn.compiled`: the same numbers as the graph, no graph.

    A batch whose numbers fail in the generated code (an overflow, a loss or a gradient
    that is not finite) is done again on the graph (:class:`GraphStep`), so divergence is
    reported exactly as the graph reports it: the same error, the same loss.
    """

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        from .compiled import BatchStep

        self.graph: GraphStep | None = None  # the graph, for a batch the generated code could not do
        self.batch: BatchStep | None = None
        try:
            self.batch = BatchStep(self.model, self.loss_fn, self.X, self.y)
        except (OverflowError, FloatingPointError):  # the first row's numbers overflow: the graph says so
            return
        self.rows, self.targets = self.batch.rows(self.X, self.y)

    def forward(self, rows: Sequence[int]) -> float:
        self.graph, loss = None, math.nan
        if self.batch is not None:
            try:
                loss, self.outputs = self.batch(
                    [self.rows[r] for r in rows], [self.targets[r] for r in rows], self.l2
                )
            except (ArithmeticError, ValueError):  # a number failed in the generated code
                loss = math.nan
        if math.isfinite(loss):
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
        cast("BatchStep", self.batch).set_grads()

    def release(self) -> None:
        self.graph, self.outputs = None, []


__all__ = ["Step", "GraphStep", "CompiledStep", "collector_paused"]
