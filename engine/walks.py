"""Walks over a graph: the orders every pass and view visits its nodes in.

All walks are iterative (a million-node chain is fine) and deterministic: parents
are taken in their tuple order.

    >>> from engine import Value
    >>> x, w = Value(0.5, label="x"), Value(-2.0, label="w")
    >>> y = (x * w).tanh()
    >>> [n.label for n in preorder(y)]
    [None, None, 'x', 'w']
"""

from collections import Counter
from typing import Any, Protocol


class Node(Protocol):
    """What the core reads of a node (a Value): its number, gradient, label, op and parents."""

    data: float
    grad: Any  # a float; a Value inside engine.grad(..., create_graph=True)
    label: str | None
    scope: str | None  # the group that made it (an nn neuron, engine.scope), for drawings
    op: Any  # the rule (engine.ops.Op) that made it; None for a leaf
    parents: tuple  # its inputs, in order; () for a leaf


_EXIT = object()  # marks, on the stack of postorder, that a node's inputs are all done


def postorder(root: Node) -> tuple[list, list]:
    """Interior nodes below ``root``, each after all of its inputs; and the leaves, as found.

    An iterative depth-first search: a node is placed once every input is placed.
    """
    if not root.parents:
        return [], [root]
    order, leaves, seen = [], [], set()
    stack: list[Any] = [root]  # nodes, and _EXIT marks
    while stack:
        node = stack.pop()
        if node is _EXIT:
            order.append(stack.pop())
        elif node not in seen:
            seen.add(node)
            stack += (node, _EXIT)
            for parent in node.parents:
                if parent not in seen:
                    if parent.parents:
                        stack.append(parent)
                    else:
                        seen.add(parent)
                        leaves.append(parent)
    return order, leaves


def topological_order(root: Node) -> list:
    """Every node below ``root``, each before the nodes it was computed from (root first).

    The interior nodes in reverse post-order, then the leaves.
    """
    interior, leaves = postorder(root)
    interior.reverse()
    return interior + leaves


def preorder(root: Node) -> list:
    """Every node below ``root`` once, depth first, parents in tuple order: as its formula reads."""
    out, seen, stack = [], set(), [root]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            out.append(node)
            stack.extend(reversed(node.parents))
    return out


def leaves(root: Node) -> list:
    """The leaves below ``root`` in reading order (as they first appear in its formula)."""
    return [n for n in preorder(root) if not n.parents]


def forward_order(root: Node) -> list:
    """Every node below ``root`` once, each after its inputs, as the forward pass ran: root last.

    Depth first, inputs in order, each leaf placed just before its first use, so
    x1, w1 ... come before the neuron that uses them.
    """
    order, done = [], set()
    stack = [(root, 0)]
    while stack:
        node, i = stack.pop()
        parents = node.parents
        while i < len(parents) and (parents[i] in done or not parents[i].parents):
            i += 1
        if i < len(parents):  # an input still to place: place it (and its inputs) first
            stack += ((node, i + 1), (parents[i], 0))
            continue
        for p in parents:  # leaves not yet placed, then the node itself
            if p not in done:
                done.add(p)
                order.append(p)
        if node not in done:
            done.add(node)
            order.append(node)
    return order


def uses(root: Node) -> Counter:
    """How many edges lead into each node below ``root``: how many chain-rule steps add to its grad."""
    return Counter(p for n in topological_order(root) for p in n.parents)


def count_steps(root: Node) -> int:
    """How many chain-rule steps ``root``'s backward pass takes: one per edge of the graph."""
    return sum(len(n.parents) for n in postorder(root)[0])


__all__ = [
    "Node", "postorder", "topological_order", "preorder", "leaves", "forward_order", "uses", "count_steps",
]  # fmt: skip
