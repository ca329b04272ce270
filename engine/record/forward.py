"""Forward mode beside reverse mode: tangents pushed up the graph that backward walks down.

Forward mode seeds a leaf w with the tangent ∂w/∂w = 1 and, node by node in the order
the forward pass ran, computes ∂node/∂w = Σ ∂node/∂parent · ∂parent/∂w with the SAME
local derivatives the backward pass multiplies (``engine.backward.local_partials``, the
rule table). One forward-mode pass gives the derivative of every node with respect to
ONE leaf; one backward pass gives the derivative of ONE root with respect to every
leaf. ``engine.cost`` counts what that difference means for a network's n parameters.

    >>> import engine
    >>> x, w = engine.Value(0.5, label="x"), engine.Value(-2.0, label="w")
    >>> L = (x * w).tanh(); L.label = "L"
    >>> jvp(L, {w: 1.0}) == engine.grad(L, [w])[0]
    True
    >>> print(forward_trace(L, "w")[-1])
    step 2: ∂L/∂w += ∂L/∂n1 · ∂n1/∂w = 0.41997 (1 − L²) × 0.50000 = 0.20999; ∂L/∂w = 0.20999
"""

import html
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .. import vocab, walks
from ..backward import local_partials
from ..numbers import is_real, real
from ..vocab import DIGITS, fmt
from ..walks import Node
from . import fresh
from .steps import Step, check_root
from .tracing import Trace, numbers

# ---------------------------------------------------------------------------
# Tangents


def _leaf(root, leaf, labels):
    """``leaf`` (a Value or a label) as a leaf below ``root``, or a clear error."""
    L = vocab.root_name(root)
    if isinstance(leaf, str):
        found = labels.get(leaf, [])
        if len(found) != 1:
            some = ", ".join(sorted(labels)[:20])
            why = "no leaf" if not found else f"{len(found)} leaves"
            raise KeyError(f"{why} labelled {leaf!r} below {L}; pass the Value itself (its leaves: {some})")
        return found[0]
    if not hasattr(leaf, "parents"):
        what = f"{type(leaf).__name__} {leaf!r}"
        raise TypeError(f"a tangent is seeded on a Value or its label (str), not {what}")
    return leaf


def seeds(root: Node, tangents: Any) -> dict:
    """``tangents`` ({leaf or label: number}, or one leaf for tangent 1) checked against ``root``'s graph.

    A tangent is a real number as ``engine.numbers.real`` takes it (numpy's scalars, Fractions, ...).
    A leaf the root was not computed from is kept: its tangent reaches nothing, so it adds 0, as
    ``engine.grad`` gives 0 for it. A label must name exactly one leaf below the root.
    """
    check_root(root)
    if not is_real(root.data):
        raise FloatingPointError(
            f"forward mode from a non-finite value ({root.data}): {vocab.root_name(root)} has no "
            "derivative there; run the forward pass inside engine.detect_anomaly() to find the op "
            "that produced it"
        )
    if isinstance(tangents, str) or hasattr(tangents, "parents"):
        tangents = {tangents: 1.0}
    elif not isinstance(tangents, dict):
        raise TypeError(
            f"tangents maps leaves (Values or labels) to numbers, e.g. {{w5: 1.0}}, or is one leaf; "
            f"got {type(tangents).__name__} {tangents!r}"
        )
    labels: dict = {}
    if any(isinstance(key, str) for key in tangents):
        for n in walks.topological_order(root):
            if not n.parents and n.label is not None:
                labels.setdefault(n.label, []).append(n)
    out: dict = {}
    for key, t in tangents.items():
        leaf = _leaf(root, key, labels)
        if hasattr(t, "parents"):
            what = vocab.describe(leaf)
            raise TypeError(f"the tangent of {what} must be a finite number, not the Value {t!r}")
        t = real(t, f"the tangent of {vocab.describe(leaf)}")
        if leaf.parents:
            raise ValueError(
                f"{vocab.describe(leaf)} was computed from other Values; forward mode seeds leaves "
                "(inputs and parameters), whose tangents the pass then carries up"
            )
        out[leaf] = out.get(leaf, 0.0) + t
    return out


def tangent_steps(root: Node, tangent: dict, locals_: dict | None = None) -> Iterator[tuple]:
    """The forward-mode loop, one product per ``next()``: ∂node/∂w += ∂node/∂parent · ∂parent/∂w.

    ``tangent`` holds the seeded leaves' tangents and receives each node's once all its
    products are taken, inputs first, as the forward pass ran. Nodes that depend on no seeded
    leaf have tangent 0 and take no product. Yields ``(node, index, parent, local, tangent of
    parent, tangent of node so far, final)``. ``locals_``, if given, receives ∂node/∂parent of
    every edge, as the rule table gives them to the backward pass.
    """
    for node in walks.forward_order(root):
        parents = node.parents
        if not parents:
            continue
        live = [i for i, p in enumerate(parents) if p in tangent]
        if not live and locals_ is None:
            continue
        parts = local_partials(node)  # the rule table's ∂node/∂parent, as backward uses them
        if locals_ is not None:
            locals_.update(((node, i), local) for i, local in enumerate(parts))
        acc = None
        for i in live:
            local, t = parts[i], tangent[parents[i]]
            acc = local * t if acc is None else acc + local * t  # the chain rule, forwards
            yield node, i, parents[i], local, t, acc, i == live[-1]
        if acc is not None:
            if not is_real(float(acc)):
                raise FloatingPointError(
                    f"forward mode gave the non-finite tangent {float(acc)} for {vocab.describe(node)} "
                    f"= {vocab.expression(node, _Described())}; the product of the tangents and local "
                    "derivatives is too large for a float: seed a smaller tangent or rescale the inputs"
                )
            tangent[node] = acc


def jvp(root: Node, tangents: Any) -> float:
    """∂root/∂(direction): forward-mode differentiation along ``tangents``.

    ``tangents`` maps leaves below ``root`` (Values or their labels) to their tangent,
    e.g. ``{w5: 1.0}`` for ∂root/∂w5; leaves not named have tangent 0, and a leaf the root does
    not depend on adds 0. One pass over the graph, inputs first, with the rule table's local
    partials. No ``.grad`` changes. Where ``engine.grad`` refuses (a non-finite root, a tangent
    that overflows) this raises :class:`FloatingPointError` too.

    >>> from engine import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> jvp(a * b, {"a": 1.0, "b": 2.0})  # ∂(ab)/∂a · 1 + ∂(ab)/∂b · 2 = b + 2a
    1.0
    """
    tangent = seeds(root, tangents)
    for _ in tangent_steps(root, tangent):
        pass
    return float(tangent.get(root, 0.0))


# ---------------------------------------------------------------------------
# Steps and their Trace


@dataclass(frozen=True, slots=True, eq=False)
class ForwardStep(Step):
    """One forward-mode product: ∂node/∂w += ∂node/∂parent · ∂parent/∂w.

    The fields are :class:`engine.record.steps.Step`'s, read forwards: ``upstream`` is the
    tangent coming in, ∂parent/∂w; ``local`` is ∂node/∂parent (the same number the
    backward pass multiplies on this edge); ``grad`` is the tangent of ``node`` so far,
    final on the node's last product; ``root_name`` names the seeded leaf w.
    """

    def text(self, digits: int = vocab.DIGITS) -> str:
        """The step as one sentence, numbers with ``digits`` decimals."""
        w, n, p = self.root_name, self.node_name, self.parent_name
        so_far = "" if self.final else " so far"
        return (
            f"step {self.number}: {vocab.tangent(w, n, p)} = {fmt(self.local, digits)} "
            f"({vocab.pretty(self.formula)}) × {fmt(self.upstream, digits)} = {fmt(self.product, digits)}; "
            f"{vocab.partial(n, w)} = {fmt(self.grad, digits)}{so_far}"
        )

    def __str__(self):
        return self.text()

    @property
    def updated(self) -> Any:
        """The node whose number this step changed: ``node``, whose tangent it added to."""
        return self.node

    def caption(self, digits: int = vocab.DIGITS) -> str:
        """What the step did, as a frame's headline: ∂node/∂w += ∂node/∂parent · ∂parent/∂w, in numbers."""
        w, n, p = self.root_name, self.node_name, self.parent_name
        return (
            f"step {self.number}: {vocab.tangent(w, n, p)} = {fmt(self.local, digits)} × "
            f"{fmt(self.upstream, digits)} = {fmt(self.product, digits)}, "
            f"so {vocab.partial(n, w)} = {fmt(self.grad, digits)}"
        )


class ForwardTrace(Trace):
    """The recorded steps of one forward-mode pass from the leaf ``wrt``, in the order they ran.

    The twin of a backward :class:`Trace`: a sequence of :class:`ForwardStep`, a text table
    (``str``) and an HTML one, ``state(i)`` (the tangents known after step i, what a frame
    draws) and ``locals()`` (∂node/∂parent of every edge). ``root`` is the graph's top (the
    loss), ``wrt`` the seeded leaf; ``tangents`` maps every node that depends on ``wrt`` to
    ∂node/∂wrt. Nothing here runs a pass again.
    """

    def __init__(
        self,
        root: Any,
        steps: Sequence[Step],
        wrt: Any,
        names: dict | None = None,
        locals_: dict | None = None,
        tangents: dict | None = None,
    ) -> None:
        super().__init__(root, steps, 1.0, None, names)
        self.wrt = wrt
        self._locals = dict(locals_) if locals_ is not None else {(s.node, s.index): s.local for s in steps}
        self.tangents = dict(tangents) if tangents is not None else {}

    def __getitem__(self, i):
        if isinstance(i, slice):
            return ForwardTrace(self.root, self.steps[i], self.wrt, self.names, self._locals, self.tangents)
        return self.steps[i]

    def __repr__(self):
        return (
            f"<ForwardTrace of {len(self.steps)} chain-rule steps from {self.names[self.wrt]} "
            f"up to {self.names[self.root]}>"
        )

    @property
    def value(self) -> float:
        """∂root/∂wrt, the pass's result (0.0 when the root does not depend on ``wrt``)."""
        return self.tangents.get(self.root, 0.0)

    def to(self, node: Any) -> "ForwardTrace":
        """The steps on the paths from ``wrt`` up to ``node`` (a Value or its label), as a ForwardTrace."""
        node = self.find(node)
        below = set(walks.topological_order(node))
        kept = [s for s in self.steps if s.node in below]
        return ForwardTrace(self.root, kept, self.wrt, self.names, self._locals, self.tangents)

    def above(self, wrt: Any) -> set:
        raise TypeError(
            "a forward-mode trace holds ∂node/∂w for one leaf w, not ∂L/∂node; explain() reads a backward "
            "pass: engine.trace(root)"
        )

    def state(self, i: int) -> tuple[dict, Step | None]:
        """What is known after step ``i``: ``(known, step)``; ``known`` maps nodes to ∂node/∂wrt.

        At step 0 only the seed is known, ∂wrt/∂wrt = 1; a node with several inputs shows its
        running sum until its last step.
        """
        if isinstance(i, bool) or not isinstance(i, int) or i < 0:
            raise ValueError(f"step must be an int >= 0 (0 is the start, before any step), got {i!r}")
        if i > len(self.steps):
            raise IndexError(
                f"step {i} does not exist: the forward-mode pass from {self.names[self.wrt]} has "
                f"{len(self.steps)} steps (0 is the start)"
            )
        known = {self.wrt: 1.0}
        for s in self.steps[:i]:
            known[s.node] = s.grad
        return known, self.steps[i - 1] if i else None

    def locals(self) -> dict:
        """{(node, index): ∂node/∂parent[index]} for every edge (forward mode computes them all)."""
        return dict(self._locals)

    @property
    def quantity(self) -> str:  # type: ignore[override]  # Trace.quantity is a plain class attribute; only read
        """The number each box shows: ∂(box)/∂wrt."""
        return f"∂/∂{self.names[self.wrt]}"

    def box_legend(self) -> str:
        w = self.names[self.wrt]
        return f"∂/∂{w} = ∂(box)/∂{w}, the tangent carried up from {w}"

    def rule_legend(self) -> str:
        w = self.names[self.wrt]
        return f"forward mode: {vocab.tangent(w, 'out', 'in')}, summed over the edges into an op"

    def start_caption(self, digits: int = DIGITS) -> str:
        w = self.names[self.wrt]
        return f"step 0: the start; only ∂{w}/∂{w} = {fmt(1.0, digits)} is known (every leaf else: 0)"

    def _rows(self, digits):
        w = self.names[self.wrt]
        head = ["step", "node", "op", "parent", f"∂parent/∂{w}", "∂node/∂parent", "", "", "product"]
        head += [f"∂node/∂{w}", ""]
        columns = {c: numbers([getattr(s, a) for s in self.steps], digits)  # one format a column
                   for c, a in ((4, "upstream"), (7, "local"), (8, "product"), (9, "grad"))}  # fmt: skip
        rows = []
        for k, s in enumerate(self.steps):
            rows.append([
                str(s.number), s.node_name, s.node.op.label, s.parent_name, columns[4][k],
                vocab.pretty(s.formula), "=", columns[7][k], columns[8][k], columns[9][k],
                "" if s.final else "so far",
            ])  # fmt: skip
        return head, rows

    def table(self, digits: int = DIGITS) -> str:  # type: ignore[override]  # no width: forward tables do not wrap
        """The steps as an aligned text table, one line per product."""
        if not self.steps:
            return f"(no forward-mode steps from {self.names[self.wrt]})"
        return super().table(digits)

    def _repr_html_(self):
        out = super()._repr_html_()
        w, L = self.names[self.wrt], self.names[self.root]
        caption = f"{len(self.steps)} forward-mode steps from {w} up to {L}"
        start, end = out.index("<caption>"), out.index("</caption>")
        return out[:start] + f"<caption>{html.escape(str(caption), quote=True)}" + out[end:]


def forward_steps(root: Node, wrt: Node | str, names: dict | None = None) -> Iterator[ForwardStep]:
    """Run forward mode from the leaf ``wrt`` (a Value or its label) up to ``root``, one step per ``next()``.

    The twin of :func:`engine.backward_steps`: each step adds one product ∂node/∂parent ·
    ∂parent/∂wrt to ∂node/∂wrt, with the rule table's local derivative. Only the nodes that
    depend on ``wrt`` take steps (every other tangent is 0). No ``.grad`` changes; the last
    step's ``grad`` is ∂root/∂wrt, the number ``engine.grad(root, [wrt])`` gives.
    :func:`forward_trace` keeps every step in a :class:`ForwardTrace`.
    """
    (leaf,) = seeds(root, {wrt: 1.0})  # checked now, not at the first next()
    return _steps(root, leaf, names if names is not None else vocab.names(root), {leaf: 1.0})


class _Described(dict):
    """Names for an error message: each node as ``engine.vocab.describe`` writes it."""

    def __missing__(self, node):
        return vocab.describe(node)


def _steps(root, leaf, names, tangent, locals_=None):
    w = names[leaf] if leaf in names else vocab.describe(leaf)  # not below root: no steps
    for number, (node, index, parent, local, t, acc, final) in enumerate(
        tangent_steps(root, tangent, locals_), 1
    ):
        t, local = float(t), float(local)
        yield ForwardStep(
            number, node, parent, index, t, local, vocab.formula(node, index, names),
            node.op.formula(index, len(node.parents)), local * t, float(acc), final,
            names[node], names[parent], w,
        )  # fmt: skip


def forward_trace(root: Node, wrt: Node | str) -> ForwardTrace:
    """Forward mode from the leaf ``wrt`` up to ``root``, every step kept, as a :class:`ForwardTrace`.

    The twin of :func:`engine.trace` (and like :func:`engine.record.tracing.record`, it changes no
    ``.grad``): tables, ``engine.draw(trace, step=i)`` and ``engine.frames(trace)`` read it. A
    leaf the root does not depend on gives no steps and ``value`` 0.0; a graph whose leaves
    changed after its forward pass is refused with :class:`engine.record.fresh.StaleGraphError`,
    as :func:`engine.trace` refuses it.
    """
    (leaf,) = seeds(root, {wrt: 1.0})
    fresh.check_fresh(root)
    names = vocab.names(root)
    names.setdefault(leaf, vocab.describe(leaf))  # a leaf the root does not depend on: named all the same
    tangent: dict = {leaf: 1.0}
    locals_: dict = {}
    steps = list(_steps(root, leaf, names, tangent, locals_))
    return ForwardTrace(root, steps, leaf, names, locals_, tangent)


__all__ = ["jvp", "forward_steps", "forward_trace", "ForwardStep", "ForwardTrace", "seeds"]
