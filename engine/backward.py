"""The backward pass: the one loop where the chain rule happens, and ``grad``.

``chain_rule`` takes the nodes below the root in reverse topological order, so each
node's gradient is complete before it is passed on, and for every edge
node -> parent adds ∂L/∂node · ∂node/∂parent to ∂L/∂parent; ``backprop`` wraps it
(all or nothing, leaves accumulating across passes, anomaly checks). Stepping, tracing,
drawing and explaining read what this loop records (``record=True``); none runs it again.

    >>> from engine import Value
    >>> a, b = Value(2.0), Value(-3.0)
    >>> L = a * b
    >>> run(L); a.grad, b.grad
    (-3.0, 2.0)
"""

import math
import numbers
from collections.abc import Iterable, Iterator
from typing import Any

from . import modes
from ._nodes import backward_error, describe, name
from ._renamed import renamed
from .walks import Node, postorder, topological_order

_isfinite = math.isfinite
passes = 0  # backward passes run so far in this process (tests count them: views must not re-run)


def local_derivatives(node: Node, as_values: bool = False) -> tuple:
    """∂node/∂parent for each parent of an interior node, from its row of the rule table.

    With ``as_values`` the partials are Values built from the graph itself, so
    they can be differentiated again. (Also importable as ``local_partials``.)
    """
    op, parents = node.op, node.parents
    try:
        if as_values:
            return op.partials(*parents, *([] if op.constant is None else [op.constant]), node)
        if len(parents) == 2:  # the usual shapes spelled out: no list made per node
            return op.partials(parents[0].data, parents[1].data, node.data)
        if len(parents) != 1:
            return op.partials(*[p.data for p in parents], node.data)
        if op.constant is None:
            return op.partials(parents[0].data, node.data)
        return op.partials(parents[0].data, op.constant, node.data)  # an op bound to k: (a, k, out)
    except (ArithmeticError, ValueError) as exc:
        raise backward_error(node, exc) from None


local_partials = local_derivatives  # the name it had first


def chain_rule(
    root: Node,
    gradient: Any = 1.0,
    order: list | None = None,
    steps: bool = False,
    create_graph: bool = False,
) -> Iterator[tuple]:
    """The backward pass itself: seed ∂L/∂L, then the chain rule on every edge, last node first.

    ``order`` is the interior nodes, each after its inputs (``postorder``), so taken in
    reverse each node's gradient is complete before it is passed on. With ``steps`` it
    pauses after every chain-rule step and yields ``(node, parent, local)``.
    """
    order = postorder(root)[0] if order is None else order
    root.grad = gradient
    for node in reversed(order):  # each node after every node that uses it
        for parent, local in zip(node.parents, local_derivatives(node, create_graph)):
            parent.grad += node.grad * local  # the chain rule: ∂L/∂parent += ∂L/∂node · ∂node/∂parent
            if steps:
                yield node, parent, local


def step(node: Node) -> None:
    """One node's own chain-rule step, micrograd's ``node._backward()``: to each parent's grad, its term."""
    for _ in chain_rule(node, node.grad, [node] if node.parents else []):
        pass


def backprop(
    root: Node, gradient: Any = 1.0, record: bool = False, create_graph: bool = False
) -> Iterator[tuple]:
    """The backward pass as ``backward()`` runs it: ``chain_rule`` with the guards a learner need not read.

    Zeroes the gradients below ``root``, runs the pass (deterministic order), and with
    ``record`` yields every step ``(node, parent, local)``; a node's steps come together,
    in parent order. Leaves' grads accumulate across passes: during a pass a leaf's
    ``.grad`` holds this pass's sum so far, and what it held before is added once the pass
    ends. Interior nodes hold this pass's gradients only. With ``create_graph`` every
    product is a Value. Inside ``detect_anomaly()`` the first non-finite gradient raises.
    If the pass raises, every ``.grad`` is put back as it was.
    """
    global passes
    passes += 1
    if not _isfinite(root.data):
        raise FloatingPointError(
            f"backward from a non-finite value ({root.data}); run the forward pass inside "
            "engine.detect_anomaly() to find the op that produced it"
        )
    order, leaves = postorder(root)  # interior nodes, each after its inputs; the leaves
    before = [n.grad for n in order], [leaf.grad for leaf in leaves]
    checking = modes.current.get().checking
    try:
        for node in order:
            node.grad = 0.0
        for leaf in leaves:
            leaf.grad = 0.0  # a leaf sums this pass's terms from zero; what it held is added at the end
        for node, parent, local in chain_rule(root, gradient, order, record or checking, create_graph):
            if checking and not _isfinite(float(parent.grad)):
                raise FloatingPointError(
                    f"detect_anomaly: backward through {describe(node.op, node.parents)} "
                    f"gave the gradient {parent.grad} for {name(parent)}"
                )
            if record:
                yield node, parent, local
        if not create_graph:
            bad = [v for v in leaves if not _isfinite(v.grad)]
            if bad:
                raise FloatingPointError(
                    f"backward left non-finite gradients on {', '.join(name(v) for v in bad[:5])}; run it "
                    "inside engine.detect_anomaly() to find the op that produced them"
                )
    except Exception:  # all or nothing: a failed pass leaves every gradient as it was
        for nodes, grads in zip((order, leaves), before):
            for n, g in zip(nodes, grads):
                n.grad = g
        raise
    for leaf, held in zip(leaves, before[1]):
        if held:
            leaf.grad = held + leaf.grad


def check_gradient(gradient: object) -> float:
    """The seed of a backward pass: a finite plain number (∂L/∂L, 1.0 by default)."""
    if isinstance(gradient, bool) or not isinstance(gradient, (int, float)):
        raise TypeError(
            f"backward(gradient=...) takes a finite number (∂L/∂L, 1.0 by default), not "
            f"{type(gradient).__name__} {gradient!r}; use engine.grad(..., create_graph=True) for "
            "gradients that are themselves Values"
        )
    if not _isfinite(gradient):
        raise ValueError(f"backward(gradient=...) must be a finite number, not {gradient!r}")
    return float(gradient)


def run(root: Node, gradient: float = 1.0) -> None:
    """``root.backward(gradient)``: the whole pass, all or nothing."""
    for _ in backprop(root, check_gradient(gradient)):
        pass


@renamed(output="root", inputs="wrt")
def grad(root: Any, wrt: Iterable[Node], create_graph: bool = False) -> list:
    """∂root/∂w for each w in ``wrt``, without changing any ``.grad``.

    With ``create_graph=True`` the gradients are Values in a new graph, so they
    can be differentiated again. A root that is a plain number is a constant:
    every gradient is 0.

    >>> from engine import Value
    >>> x = Value(2.0)
    >>> (dx,) = grad(x * x * x, [x], create_graph=True)
    >>> dx.data, grad(dx, [x])[0]
    (12.0, 12.0)
    """
    wrt = list(wrt)
    for i, v in enumerate(wrt):
        if not hasattr(v, "parents"):
            raise TypeError(f"grad(root, wrt): wrt[{i}] is {v!r}; give the Values the root was computed from")
    if not hasattr(root, "parents"):
        if not isinstance(root, numbers.Real):
            raise TypeError(f"grad(root, wrt): the root must be a Value, not {type(root).__name__}")
        # A number is a constant: its derivative is 0 for every w, as in autograd.
        return [type(v)(0.0) for v in wrt] if create_graph else [0.0] * len(wrt)  # type: ignore[call-arg]
    Value = type(root)
    if create_graph and not modes.current.get().recording:
        raise RuntimeError(
            "grad(..., create_graph=True) was called inside engine.no_grad(), where no graph is "
            "recorded, so its result could not be differentiated; call it outside no_grad()"
        )
    nodes = topological_order(root)
    saved = [n.grad for n in nodes] + [v.grad for v in wrt]
    try:
        for n in nodes + wrt:
            n.grad = 0.0
        seed = Value(1.0) if create_graph else 1.0
        for _ in backprop(root, seed, create_graph=create_graph):
            pass
        result = [v.grad for v in wrt]
    finally:
        for n, g in zip(nodes + wrt, saved):
            n.grad = g
    if create_graph:
        return [g if isinstance(g, Value) else Value(g) for g in result]
    return result


__all__ = ["backprop", "chain_rule", "step", "grad", "local_derivatives", "local_partials", "run"]
