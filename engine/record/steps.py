"""Backpropagation one chain-rule step at a time.

``backward_steps(root)`` is the backward pass as a generator: each ``next()`` applies one
node -> parent product of the chain rule and yields a :class:`Step`. It is the engine's own
loop (``engine.backward.backprop(root, record=True)``), not a copy, so running it to the end
leaves exactly the gradients ``root.backward()`` leaves. :func:`engine.trace` keeps every
step in a ``Trace``; tables, explanations and drawings read that record.

    >>> from engine import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> L = a * b; L.label = "L"
    >>> print(next(backward_steps(L)))
    step 1: ∂L/∂a += ∂L/∂L · ∂L/∂a = 1.00000 × -3.00000 (b) = -3.00000; ∂L/∂a = -3.00000
"""

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .. import backward, vocab, walks
from ..vocab import fmt
from ..walks import Node


@dataclass(frozen=True, slots=True, eq=False)
class Step:
    """One application of the chain rule: ∂L/∂parent += ∂L/∂node · ∂node/∂parent.

    ``number`` counts from 1 (step 0 is the start, when only ∂L/∂L is known); ``index``
    is the parent's position in ``node.parents``; ``upstream`` is ∂L/∂node, ``local`` is
    ∂node/∂parent, ``rule`` its text in the rule table and ``formula`` that text with the
    graph's own names filled in; ``product`` is their product and ``grad`` ∂L/∂parent
    accumulated so far. ``final`` is True on the last step that adds to this parent, when
    its gradient for this pass is complete.
    """

    number: int
    node: Node
    parent: Any
    index: int
    upstream: float
    local: float
    formula: str
    rule: str
    product: float
    grad: float
    final: bool
    node_name: str
    parent_name: str
    root_name: str

    def text(self, digits: int = vocab.DIGITS) -> str:
        """The step as one sentence, numbers with ``digits`` decimals."""
        L, n, p = self.root_name, self.node_name, self.parent_name
        so_far = "" if self.final else " so far"
        return (
            f"step {self.number}: {vocab.chain(L, n, p)} = {fmt(self.upstream, digits)} × "
            f"{fmt(self.local, digits)} ({vocab.pretty(self.formula)}) = {fmt(self.product, digits)}; "
            f"{vocab.partial(L, p)} = {fmt(self.grad, digits)}{so_far}"
        )

    def __str__(self):
        return self.text()

    # What a drawing of the frame after this step reads (the same for a forward-mode step, read forwards)

    @property
    def updated(self) -> Any:
        """The node whose number this step changed: the parent, whose ∂L/∂parent it added to."""
        return self.parent

    def caption(self, digits: int = vocab.DIGITS) -> str:
        """What the step did, as a frame's headline: ∂L/∂parent += ∂L/∂node · ∂node/∂parent, in numbers."""
        L, n, p = self.root_name, self.node_name, self.parent_name
        return (
            f"step {self.number}: {vocab.chain(L, n, p)} = {fmt(self.upstream, digits)} × "
            f"{fmt(self.local, digits)} = {fmt(self.product, digits)}, "
            f"so {vocab.partial(L, p)} = {fmt(self.grad, digits)}"
        )


def backward_steps(root: Node, gradient: float = 1.0, names: dict | None = None) -> Iterator[Step]:
    """Run ``root``'s backward pass one chain-rule step per ``next()``, yielding each :class:`Step`.

    Gradients change exactly as in ``root.backward(gradient)`` (leaves accumulate), so when
    the generator is exhausted every ``.grad`` is what ``backward()`` leaves. Stopping early
    leaves the gradients of the steps taken so far. ``names`` (default ``vocab.names(root)``)
    names the nodes.
    """
    check_root(root)  # now, not at the first next()
    gradient = backward.check_gradient(gradient)
    return _steps(root, gradient, names if names is not None else vocab.names(root))


def _steps(root, gradient, names):
    uses = walks.uses(root)
    seen: Counter = Counter()
    root_name = names[root]
    last, index, number = None, 0, 0
    for node, parent, local in backward.backprop(root, gradient, record=True):
        index = index + 1 if node is last else 0  # a node's steps come together, in parent order
        last = node
        number += 1
        seen[parent] += 1
        upstream, local = float(node.grad), float(local)
        yield Step(
            number, node, parent, index, upstream, local, vocab.formula(node, index, names),
            node.op.formula(index, len(node.parents)), upstream * local, float(parent.grad),
            seen[parent] == uses[parent], names[node], names[parent], root_name,
        )  # fmt: skip


def check_root(root: Any) -> None:
    """Refuse anything but a Value as the root of a backward pass, saying what was given."""
    if not hasattr(root, "parents") or not hasattr(root, "data"):
        raise TypeError(f"expected the Value to differentiate (the loss), got {type(root).__name__} {root!r}")


__all__ = ["Step", "backward_steps", "check_root"]
