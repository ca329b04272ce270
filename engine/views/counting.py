"""What each mode of differentiation costs on one graph, counted: ``cost(root)`` and ``reuse(root, wrt)``.

The chain rule's work is one multiplication per edge of the graph (∂L/∂node · ∂node/∂parent
backwards, or ∂node/∂parent · ∂parent/∂w forwards) and one addition for each extra term of
a sum. Backward does that once and has every ∂L/∂w; forward mode does it once per leaf.
The forward pass's own arithmetic and the local derivatives are counted by running the
rule table's functions on a counting number, so the counts come from the same rows the
engine runs.

    >>> from engine import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = cost(a * b + b)
    >>> c.reverse.mul, c.forward_mode_all.mul, c.n
    (4, 8, 2)
"""

import html
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, NamedTuple

from .. import ops, vocab, walks
from .._renamed import renamed
from ..record.steps import check_root
from ..walks import Node

# ---------------------------------------------------------------------------
# A number that counts the arithmetic done on it


class _Tally(float):
    """A float that counts +, −, ×, ÷ and ** done with it in ``self.c`` (a Counter).

    Adding a plain 0 (where a sum starts) and flipping a sign are free.
    """

    c: Counter

    def _new(self, x):
        out = _Tally(x)
        out.c = self.c
        return out


def _op(kind, f):
    def method(self, other):
        if not isinstance(other, (int, float)):
            return NotImplemented
        if not (kind == "add" and type(other) is not _Tally and other == 0):  # a sum's start, 0.0: free
            self.c[kind] += 1
        return self._new(f(float(self), float(other)))

    return method


for _name, _kind, _f in [
    ("__add__", "add", lambda a, b: a + b), ("__radd__", "add", lambda a, b: b + a),
    ("__sub__", "add", lambda a, b: a - b), ("__rsub__", "add", lambda a, b: b - a),
    ("__mul__", "mul", lambda a, b: a * b), ("__rmul__", "mul", lambda a, b: b * a),
    ("__truediv__", "mul", lambda a, b: a / b), ("__rtruediv__", "mul", lambda a, b: b / a),
    ("__pow__", "fn", lambda a, b: a**b), ("__rpow__", "fn", lambda a, b: b**a),
]:  # fmt: skip
    setattr(_Tally, _name, _op(_kind, _f))
_Tally.__neg__ = lambda self: self._new(-float(self))  # type: ignore[method-assign,attr-defined]  # free
_Tally.__pos__ = lambda self: self  # type: ignore[method-assign]


def _tallies(node, c):
    """The node's inputs and output as counting numbers sharing the Counter ``c``."""
    out = []
    for v in [*(p.data for p in node.parents), node.data]:
        t = _Tally(v)
        t.c = c
        out.append(t)
    return out


_CALL = re.compile(r"\b([a-z]+)\(")


class Count(NamedTuple):
    """Nodes visited and the arithmetic done: multiplications (× and ÷), additions (+ and −),
    function evaluations (exp, σ, tanh, ``**``, ...)."""

    nodes: int
    mul: int
    add: int
    fn: int = 0

    def __mul__(self, n):
        return Count(self.nodes * n, self.mul * n, self.add * n, self.fn * n)

    def __rmul__(self, n):
        return self * n

    def __add__(self, other):
        return Count(*(a + b for a, b in zip(self, other)))


def forward_count(node: Node) -> Count:
    """The arithmetic of computing ``node`` from its inputs, as its row's forward function does it.

    A function row (exp, σ, tanh, ...) or a power is one function evaluation.
    """
    c: Counter[str] = Counter()
    *inputs, _ = _tallies(node, c)
    op = node.op
    result = op.forward(*inputs)
    if op.is_function:
        return Count(1, 0, 0, 1)
    return Count(1, c["mul"], c["add"], c["fn"] + (not isinstance(result, _Tally)))


def partials_count(node: Node) -> Count:
    """The arithmetic of the node's local derivatives ∂node/∂parent, as its row's partials compute them.

    Calls of function rows inside a partial (sin's cos(a), pow's log(a)) are read off the
    rule's formula text, one evaluation each.
    """
    c: Counter[str] = Counter()
    op = node.op
    *inputs, out = _tallies(node, c)
    if op.constant is not None:
        inputs.append(op.constant)
    op.partials(*inputs, out)
    names = set(ops.functions())
    n = len(node.parents)
    calls = sum(1 for i in range(n) for f in _CALL.findall(op.formula(i, n)) if f in names)
    return Count(1, c["mul"], c["add"], c["fn"] + calls)


# ---------------------------------------------------------------------------
# cost()

ROWS = (
    ("forward", "forward pass (the values)"),
    ("partials", f"{vocab.LOCAL}s ∂node/∂parent (every edge, once)"),
    ("reverse", "reverse mode: one backward pass (all n gradients)"),
    ("forward_mode_one", "forward mode: one pass (one leaf)"),
    ("forward_mode_all", "forward mode: n passes (all n gradients)"),
    ("forward_mode_sparse", "forward mode: n passes, skipping zero tangents"),
)


@dataclass(frozen=True)
class Cost:
    """What differentiating ``root`` costs, row by row (see :func:`cost`); each row a :class:`Count`."""

    root_name: str
    n: int  # the leaves differentiated with respect to
    edges: int
    forward: Count
    partials: Count
    reverse: Count
    forward_mode_one: Count
    forward_mode_all: Count
    forward_mode_sparse: Count

    def ratios(self) -> tuple[float, float]:
        """(reverse ÷ forward pass, forward mode for all n ÷ reverse), counting × and + together."""
        ops_ = lambda c: c.mul + c.add
        back = ops_(self.reverse) / max(1, ops_(self.forward))
        return back, ops_(self.forward_mode_all) / max(1, ops_(self.reverse))

    def _rows(self):
        head = ["", "nodes visited", "×", "+", "functions"]
        return head, [[label, *map(str, getattr(self, key))] for key, label in ROWS]

    def _caption(self):
        return f"Cost of ∂{self.root_name}/∂(each of n = {self.n} leaves), {self.edges} edges"

    def text(self) -> str:
        """The counts as an aligned text table, with the two ratios below."""
        head, rows = self._rows()
        widths = [max(len(r[c]) for r in [head, *rows]) for c in range(len(head))]
        lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
                 for r in [head, *rows]]  # fmt: skip
        lines.insert(1, "  ".join("-" * w for w in widths))
        back, fwd = self.ratios()
        lines.insert(0, f"{self._caption()} in the graph")
        lines.append(
            f"reverse / forward pass = {back:.2f};  forward mode (n passes) / reverse = {fwd:.1f}  "
            "(× and + together; the chain-rule rows count only its products and sums)"
        )
        return "\n".join(lines)

    def __str__(self):
        return self.text()

    def _repr_html_(self):
        head, rows = self._rows()
        back, fwd = self.ratios()
        out = [
            '<table class="chainrule-cost">',
            f"<caption>{_h(self._caption())}</caption>",
            "<thead><tr>" + "".join(f"<th>{_h(c)}</th>" for c in head) + "</tr></thead><tbody>",
        ]
        for r in rows:
            numbers = "".join(f'<td style="text-align:right">{c}</td>' for c in r[1:])
            out.append(f"<tr><td>{_h(r[0])}</td>{numbers}</tr>")
        ratios = f"reverse / forward pass = {back:.2f}; forward mode (n passes) / reverse = {fwd:.1f}"
        out.append(f'</tbody><tfoot><tr><td colspan="5">{ratios}</td></tr></tfoot></table>')
        return "\n".join(out)


def _listed(given: Any, where: str) -> Any:
    """One leaf (a Value or a label) as a list of it; a list or tuple as it is; None stays None."""
    if given is None or isinstance(given, (list, tuple)):
        return given
    if isinstance(given, str) or hasattr(given, "parents"):
        return [given]
    if isinstance(given, (set, frozenset, dict)) or not hasattr(given, "__iter__"):
        raise TypeError(
            f"{where} takes a leaf (a Value or its label, such as 'w5') or a list of them, "
            f"not {type(given).__name__} {given!r}"
        )
    return list(given)


def cost(root: Node, wrt: Any = None) -> Cost:
    """Count the work of the forward pass, one reverse pass and forward mode for all n leaves.

    ``wrt`` is the leaf or the list of leaves to differentiate with respect to (Values or
    their labels; default every leaf below ``root``), n of them. The chain-rule rows count
    one × per edge product and one + per extra term of a sum (a node whose gradient or
    tangent sums k terms takes k − 1);
    the local derivatives they multiply are counted once, in their own row, as if kept
    from the forward pass (dual numbers recompute them, and the values, in every pass:
    that makes forward mode dearer still). "Skipping zero tangents" counts only the
    products on nodes that depend on the seeded leaf; it is counted by running those n
    passes, so a graph of thousands of parameters takes a few seconds.
    """
    from ..record.forward import (  # forward mode's own loop: counting its products counts its work
        seeds,
        tangent_steps,
    )

    check_root(root)
    wrt = _listed(wrt, "cost(root, wrt)")
    order = [n for n in walks.forward_order(root) if n.parents]
    leaves = walks.leaves(root) if wrt is None else list(seeds(root, {w: 1.0 for w in wrt}))
    below = set(walks.leaves(root))
    for leaf in leaves:
        if leaf not in below:
            L = vocab.root_name(root)
            raise ValueError(
                f"{vocab.describe(leaf)} is not in the graph below {L}, so differentiating {L} with "
                f"respect to it costs nothing; list leaves that {L} was computed from"
            )
    n = len(leaves)
    edges = sum(len(v.parents) for v in order)
    fwd = sum((forward_count(v) for v in order), Count(0, 0, 0))
    partials = sum((partials_count(v) for v in order), Count(0, 0, 0))
    partials = partials._replace(nodes=len(order))
    uses = walks.uses(root)
    reverse = Count(len(order), edges, sum(k - 1 for k in uses.values()))
    one = Count(len(order), edges, sum(len(v.parents) - 1 for v in order))
    sparse = Count(0, 0, 0)
    for leaf in leaves:
        fan_in = Counter(step[0] for step in tangent_steps(root, {leaf: 1.0}))
        sparse += Count(len(fan_in), fan_in.total(), sum(k - 1 for k in fan_in.values()))
    return Cost(vocab.root_name(root), n, edges, fwd, partials, reverse, one, one * n, sparse)


# ---------------------------------------------------------------------------
# reuse(): what backpropagation saved against the paths written out


@dataclass(frozen=True)
class Reuse:
    """∂root/∂p for each p written out path by path (as ``explain`` prints it), against backpropagation.

    ``written`` = (×, +) when every path's factors are multiplied out and the paths summed;
    ``backprop`` = (×, +) when each product of factors down to a named node is made once and
    shared (the backward pass, on explain's named factors); ``groups_written`` and
    ``groups_backprop`` count only the ×s of the groups explain marks reused ([...]: the
    factors down to a later layer's ∂E/∂z).
    """

    root_name: str
    params: tuple  # names
    written: tuple
    backprop: tuple
    groups_written: int
    groups_backprop: int
    reused_at: tuple  # names of the nodes whose ∂L/∂node is reused

    @property
    def saved(self) -> tuple[int, int]:
        """Multiplications backpropagation saved, in all and from the marked groups alone."""
        return self.written[0] - self.backprop[0], self.groups_written - self.groups_backprop

    def text(self) -> str:
        L, ps = self.root_name, ", ".join(self.params)
        total, groups = self.saved
        at = ", ".join(f"∂{L}/∂{n}" for n in self.reused_at)
        return "\n".join([
            f"∂{L}/∂p for p in {ps}, written out path by path: {self.written[0]} × and {self.written[1]} +",
            f"by backpropagation, each shared product once: {self.backprop[0]} × and {self.backprop[1]} +",
            f"saved: {total} multiplications; {groups} of them by reusing {at} "
            f"({self.groups_written} × written out, {self.groups_backprop} once each)",
        ])  # fmt: skip

    def __str__(self):
        return self.text()


@renamed(params="wrt")
def reuse(root: Node, wrt: Any) -> Reuse:
    """Count what backpropagation saves on ∂root/∂p for ``wrt`` (a leaf, or a list) by reusing factors.

    Written out, each path's k factors take k − 1 ×, and m paths m − 1 +. Backpropagation
    makes each product of factors from the root down to a named node once: one × per factor
    (upper → lower) not leaving the root, and a node reached from k uppers sums k terms.

    The paths are counted, not listed (there can be exponentially many): on the graph of
    named nodes that ``explain`` writes its factors between, by dynamic programming over the
    nodes in order, so the time is polynomial in the graph's size. A group explain marks
    reused ends at a node that also feeds another labelled leaf and has at least two more
    factors below it on the path; its × are the factors since the last such node.
    """
    from ..record.tracing import record

    t = record(root)
    wrt = [t.find(p) for p in _listed(wrt, "reuse(root, wrt)")]
    root_ = t.root
    order: dict = {}
    for s in t.steps:  # each node is processed after every node that uses it
        order.setdefault(s.node, s.number)
    written_mul = written_add = 0
    factors: dict = {}  # (upper, lower) -> present, each named factor once
    groups: Counter = Counter()  # reused node -> paths that mark a group ending there
    group_mul = 0  # × inside marked groups, over all paths written out
    group_size: dict = {}  # reused node -> × of its group (the largest, if paths differ)
    for p in wrt:
        if p is root_:
            continue
        down = _named_factors(t, p)
        for upper, lowers in down.items():
            for lower in lowers:
                factors[upper, lower] = True
        top_down = sorted(down, key=order.__getitem__)  # root first
        paths_below = {p: 1}  # node -> paths from it down to p
        for node in reversed(top_down):
            paths_below[node] = sum(paths_below[lower] for lower in down[node])
        n_paths = paths_below[root_]
        written_add += n_paths - 1
        states: dict = {
            root_: Counter({(0, 1): 1})
        }  # node -> {(factors since the group start, from root): paths}
        factor_uses = 0
        for node in top_down:
            here = states.pop(node, Counter())
            marks = node is not root_ and _feeds_a_labelled_leaf(node, p)
            for lower in down[node]:
                into = states.setdefault(lower, Counter())
                for (d, from_root), c in here.items():
                    factor_uses += c * paths_below[lower]
                    if marks and lower is not p:  # a group ends here: d factors, the first free from the root
                        k = d - from_root
                        groups[node] += c * paths_below[lower]
                        group_mul += c * paths_below[lower] * k
                        group_size[node] = max(group_size.get(node, 0), k)
                        into[1, 0] += c
                    else:
                        into[d + 1, from_root] += c
        written_mul += factor_uses - n_paths
    uppers = Counter(lower for upper, lower in factors)
    backprop_mul = sum(1 for upper, _ in factors if upper is not root_)
    backprop_add = sum(k - 1 for k in uppers.values())
    names = t.names
    reused = sorted(groups, key=order.__getitem__)
    return Reuse(
        names[root_], tuple(names[p] for p in wrt), (written_mul, written_add),
        (backprop_mul, backprop_add), group_mul, sum(group_size[n] for n in reused),
        tuple(names[n] for n in reused),
    )  # fmt: skip


def _named_factors(t: Any, param: Any) -> dict:
    """{named node: [lower named nodes]}: the factors ∂upper/∂lower explain writes on the paths to ``param``.

    Named means labelled, or the root, or ``param``; unlabelled nodes between two named ones
    are folded into the factor, as explain folds them. Only nodes with a path to ``param`` count.
    """
    above = t.above(param)
    root = t.root
    down: dict = {}
    todo = [root]
    while todo:
        upper = todo.pop()
        if upper in down or upper is param:
            continue
        lowers, seen, stack = [], set(), [upper]
        while stack:
            for q in stack.pop().parents:
                if q in above and q not in seen:
                    seen.add(q)
                    if q is param or q.label:
                        lowers.append(q)
                    else:
                        stack.append(q)
        down[upper] = lowers
        todo.extend(lowers)
    return down


def _feeds_a_labelled_leaf(node: Any, param: Any) -> bool:
    """Whether ``node`` uses a labelled leaf other than ``param``, directly or through unlabelled nodes."""
    stack, seen = [node], {node}
    while stack:
        for q in stack.pop().parents:
            if q in seen:
                continue
            seen.add(q)
            if not q.parents:
                if q.label and q is not param:
                    return True
            elif not q.label:
                stack.append(q)
    return False


def _h(text):
    return html.escape(str(text), quote=True)


__all__ = ["cost", "Cost", "Count", "reuse", "Reuse", "forward_count", "partials_count"]
