"""The backward pass: the one loop where the chain rule happens, and ``grad``.

``backprop`` takes the nodes below the root in reverse topological order, so each
node's gradient is complete before it is passed on, and for every edge
node -> parent adds ∂L/∂node · ∂node/∂parent to ∂L/∂parent. Stepping, tracing,
drawing and explaining all read what this loop records (``record=True``); none
runs it again.

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
from .walks import postorder, topological_order

_isfinite = math.isfinite
passes = 0  # backward passes run so far in this process (tests count them: views must not re-run)


def local_partials(node: Any, as_values: bool = False) -> tuple:
    """∂node/∂parent for each parent of an interior node, from its row of the rule table.

    With ``as_values`` the partials are Values built from the graph itself, so
    they can be differentiated again.
    """
    op = node.op
    inputs = node.parents if as_values else [p.data for p in node.parents]
    if op.constant is not None:
        inputs = [*inputs, op.constant]
    try:
        return op.partials(*inputs, node if as_values else node.data)
    except (ArithmeticError, ValueError) as exc:
        raise backward_error(node, exc) from None


def backprop(
    root: Any, gradient: Any = 1.0, record: bool = False, create_graph: bool = False
) -> Iterator[tuple]:
    """The backward pass as a generator: the one loop where the chain rule happens.

    Seeds ``root.grad`` with ``gradient``, then takes the nodes in reverse
    topological order (deterministic). With ``record`` it pauses after every
    chain-rule step and yields ``(node, parent, local)``; a node's steps come
    together, in parent order. Otherwise it yields nothing and runs to the end.
    Leaves' grads accumulate across passes: during a pass a leaf's ``.grad``
    holds this pass's sum so far, and what it held before is added once the
    pass ends. Interior nodes hold this pass's gradients only. With
    ``create_graph`` every product is a Value. If the pass raises, every
    ``.grad`` is put back as it was.
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
    watch = record or checking
    try:
        for node in order:
            node.grad = 0.0
        for leaf in leaves:
            leaf.grad = 0.0  # a leaf sums this pass's terms from zero; what it held is added at the end
        root.grad = gradient
        for node in reversed(order):  # each node after every node that uses it
            parents, op = node.parents, node.op
            try:  # the local derivatives ∂node/∂parent, from the node's row of the rule table
                if create_graph:
                    locals_ = local_partials(node, True)
                elif len(parents) == 2:  # (the usual shapes spelled out: no list made per node)
                    locals_ = op.partials(parents[0].data, parents[1].data, node.data)
                elif len(parents) != 1:
                    locals_ = op.partials(*[p.data for p in parents], node.data)
                elif op.constant is None:
                    locals_ = op.partials(parents[0].data, node.data)
                else:  # an op bound to a number k: its rule takes (a, k, out)
                    locals_ = op.partials(parents[0].data, op.constant, node.data)
            except (ArithmeticError, ValueError) as exc:
                raise backward_error(node, exc) from None
            for parent, local in zip(parents, locals_):
                parent.grad += node.grad * local  # the chain rule: ∂L/∂parent += ∂L/∂node · ∂node/∂parent
                if watch:
                    if checking and not _isfinite(float(parent.grad)):
                        raise FloatingPointError(
                            f"detect_anomaly: backward through {describe(node.op, parents)} "
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


def run(root: Any, gradient: float = 1.0) -> None:
    """``root.backward(gradient)``: the whole pass, all or nothing."""
    for _ in backprop(root, check_gradient(gradient)):
        pass


def grad(output: Any, inputs: Iterable[Any], create_graph: bool = False) -> list:
    """∂output/∂input for each input, without changing any ``.grad``.

    With ``create_graph=True`` the gradients are Values in a new graph, so they
    can be differentiated again. An output that is a plain number is a constant:
    every gradient is 0.

    >>> from engine import Value
    >>> x = Value(2.0)
    >>> (dx,) = grad(x * x * x, [x], create_graph=True)
    >>> dx.data, grad(dx, [x])[0]
    (12.0, 12.0)
    """
    inputs = list(inputs)
    for i, v in enumerate(inputs):
        if not hasattr(v, "parents"):
            raise TypeError(f"grad(output, inputs): input {i} is {v!r}; give the Values the output came from")
    if not hasattr(output, "parents"):
        if not isinstance(output, numbers.Real):
            raise TypeError(f"grad(output, inputs): the output must be a Value, not {type(output).__name__}")
        # A number is a constant: its derivative is 0 for every input, as in autograd.
        return [type(v)(0.0) for v in inputs] if create_graph else [0.0] * len(inputs)
    Value = type(output)
    if create_graph and not modes.current.get().recording:
        raise RuntimeError(
            "grad(..., create_graph=True) was called inside engine.no_grad(), where no graph is "
            "recorded, so its result could not be differentiated; call it outside no_grad()"
        )
    nodes = topological_order(output)
    saved = [n.grad for n in nodes] + [v.grad for v in inputs]
    try:
        for n in nodes:
            n.grad = 0.0
        for v in inputs:
            v.grad = 0.0
        seed = Value(1.0) if create_graph else 1.0
        for _ in backprop(output, seed, create_graph=create_graph):
            pass
        result = [v.grad for v in inputs]
    finally:
        for n, g in zip(nodes + inputs, saved):
            n.grad = g
    if create_graph:
        return [g if isinstance(g, Value) else Value(g) for g in result]
    return result


__all__ = ["backprop", "grad", "local_partials", "run", "topological_order", "postorder"]
