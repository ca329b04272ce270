"""The shared vocabulary: walks over a graph, the names of its nodes, how numbers and formulas read.

Every view (trace tables, explanations, drawings, frames) names a node, rounds a
number and fills in a derivative's formula through this module, so one step
reads the same everywhere. All walks are iterative (a million-node chain is
fine) and deterministic: parents are taken in their tuple order.

    >>> from engine import Value
    >>> x, w = Value(0.5, label="x"), Value(-2.0, label="w")
    >>> y = (x * w).tanh()
    >>> [names(y)[n] for n in preorder(y)]
    ['L', 'n1', 'x', 'w']
"""

import re
from collections import Counter
from typing import Any

# ---------------------------------------------------------------------------
# Walks

_EXIT = object()  # marks, on the stack of postorder, that a node's inputs are all done


def postorder(root: Any) -> tuple[list, list]:
    """Interior nodes below ``root``, each after all of its inputs; and the leaves, as found.

    An iterative depth-first search: a node is placed once every input is placed.
    """
    if not root._parents:
        return [], [root]
    order, leaves, seen = [], [], set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node is _EXIT:
            order.append(stack.pop())
        elif node not in seen:
            seen.add(node)
            stack += (node, _EXIT)
            for parent in node._parents:
                if parent not in seen:
                    if parent._parents:
                        stack.append(parent)
                    else:
                        seen.add(parent)
                        leaves.append(parent)
    return order, leaves


def topological_order(root: Any) -> list:
    """Every node below ``root``, each before the nodes it was computed from (root first).

    The interior nodes in reverse post-order, then the leaves.
    """
    interior, leaves = postorder(root)
    interior.reverse()
    return interior + leaves


def preorder(root: Any) -> list:
    """Every node below ``root`` once, depth first, parents in tuple order: as its formula reads."""
    out, seen, stack = [], set(), [root]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            out.append(node)
            stack.extend(reversed(node._parents))
    return out


def leaves(root: Any) -> list:
    """The leaves below ``root`` in reading order (as they first appear in its formula)."""
    return [n for n in preorder(root) if not n._parents]


def forward_order(root: Any) -> list:
    """Every node below ``root`` once, each after its inputs, as the forward pass ran: root last.

    Depth first, inputs in order, each leaf placed just before its first use, so
    x1, w1 ... come before the neuron that uses them.
    """
    order, done = [], set()
    stack = [(root, 0)]
    while stack:
        node, i = stack.pop()
        parents = node._parents
        while i < len(parents) and (parents[i] in done or not parents[i]._parents):
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


def uses(root: Any) -> Counter:
    """How many edges lead into each node below ``root``: how many chain-rule steps add to its grad."""
    return Counter(p for n in topological_order(root) for p in n._parents)


def count_steps(root: Any) -> int:
    """How many chain-rule steps ``root``'s backward pass takes: one per edge of the graph."""
    return sum(len(n._parents) for n in postorder(root)[0])


# ---------------------------------------------------------------------------
# Names


def root_name(root: Any) -> str:
    """The loss's name: its label, or L."""
    return root.label if root.label is not None else "L"


def names(root: Any) -> dict:
    """A display name for every node below ``root``: its label, or n1, n2, ... as its formula reads.

    The root without a label is L; a label used by several nodes gets #2, #3, ... after the first.
    """
    out: dict = {}
    used: Counter = Counter()
    k = 0
    for node in preorder(root):
        if node is root:
            out[node] = root_name(node)
            used[out[node]] += 1
        elif node.label is not None:
            used[node.label] += 1
            out[node] = node.label if used[node.label] == 1 else f"{node.label}#{used[node.label]}"
        else:
            k += 1
            out[node] = f"n{k}"
    return out


def describe(v: Any) -> str:
    """A Value in a sentence: its label, or Value(its number)."""
    if not hasattr(v, "_parents"):
        return repr(v)
    return v.label if v.label is not None else f"Value({v.data!r})"


# ---------------------------------------------------------------------------
# Numbers and formulas

DIGITS = 5  # decimals shown for numbers near 1, as the documents round them


def fmt(x: float, digits: int = DIGITS) -> str:
    """A number as the documents round it: ``digits`` decimals (significant digits below 0.01).

    >>> fmt(0.5384), fmt(0.00472), fmt(27), fmt(-0.0)
    ('0.53840', '0.0047200', '27.00000', '0.00000')
    """
    x = float(x) + 0.0  # + 0.0 turns -0.0 into 0.0
    if x == 0.0 or 0.01 <= abs(x) < 1e6:
        return f"{x:.{digits}f}"
    return f"{x:#.{digits}g}"


_INPUT = re.compile(r"\b(out|a|b|k|[wx]_\d+)\b")


def formula(node: Any, index: int, names: dict, digits: int = DIGITS) -> str:
    """The rule table's text of ∂node/∂parent[index], each input named as the graph names it.

    ``out`` becomes the node's name, ``a``, ``b`` (or ``w_i``, ``x_i`` of a dot) its
    parents' names and a bound constant ``k`` its value: dot's ``x_1`` for w5 reads
    ``outH1``, powk's ``k * a**(k - 1)`` for x**2 reads ``2 * x**(2 - 1)``.
    """
    op, parents = node._op, node._parents
    shown: dict[str, str] = {"out": names[node]}
    if op.arity is None:  # n-ary: groups such as w_1..w_n, x_1..x_n, then any fixed inputs (b)
        groups = [g[:-2] for g in op.inputs if g.endswith("_i")]
        fixed = op.inputs[len(groups) :]
        n = len(parents) // len(groups)  # fixed inputs are optional and fewer than the groups
        for g, prefix in enumerate(groups):
            shown.update({f"{prefix}_{i + 1}": names[parents[g * n + i]] for i in range(n)})
        shown.update({name: names[p] for name, p in zip(fixed, parents[len(groups) * n :])})
    else:
        shown.update({name: names[p] for name, p in zip(op.inputs, parents)})
    if op.constant is not None:
        k = op.constant
        shown["k"] = f"{k:g}" if k >= 0 else f"({k:g})"
    return _INPUT.sub(lambda m: shown.get(m.group(1), m.group(0)), op.formula(index, len(parents)))


__all__ = [
    "postorder", "topological_order", "preorder", "leaves", "forward_order", "uses", "count_steps",
    "root_name", "names", "describe", "fmt", "formula", "DIGITS",
]  # fmt: skip
