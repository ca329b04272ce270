"""∂L/∂w written as the documents write it: a product of named factors along each path.

``explain(root, wrt)`` reads one recorded backward pass (a :class:`engine.Trace`) and
writes the gradient as a sum over the paths from the root down to ``wrt`` of products
of factors ∂upper/∂lower between named nodes. The factors a later layer already
computed are marked reused: that reuse is why backpropagation is cheap.

    >>> import engine
    >>> x, w = engine.Value(0.5, label="x"), engine.Value(-2.0, label="w")
    >>> z = x * w; z.label = "z"
    >>> L = z.tanh(); L.label = "L"
    >>> print(explain(L, "w"))
    ∂L/∂w = ∂L/∂z · ∂z/∂w = 0.41997 × 0.50000 = 0.20999
"""

import heapq
import html
import textwrap
import warnings
from dataclasses import dataclass
from typing import Any

from .. import markup, walks
from ..record.tracing import Trace, record
from ..vocab import DIGITS, fmt
from ..walks import Node

MAX_PATHS = 16  # explain() lists at most this many paths; the total always counts them all


@dataclass(frozen=True, slots=True, eq=False)
class Factor:
    """∂upper/∂lower between two consecutive named nodes of a path, and its value."""

    upper: Any
    lower: Any
    name: str  # e.g. "∂outY1/∂zY1"
    value: float


@dataclass(frozen=True, slots=True, eq=False)
class Reuse:
    """Factors ``start``..``end - 1`` of a path, already computed for a later layer's ``source``.

    ``node`` is where they end (a node that also feeds ``source`` directly); ``prefix`` is the
    product of the path's factors up to it, which is ∂L/∂node when ``whole`` (one path only).
    """

    start: int
    end: int
    node: Any
    source: Any
    prefix: float
    whole: bool


@dataclass(frozen=True, slots=True, eq=False)
class Path:
    """One path from the root to the parameter: its factors, their product and reused groups."""

    factors: tuple
    value: float
    reused: tuple


class Explanation:
    """∂L/∂param as a sum over paths of products of named factors (see :func:`explain`).

    ``paths`` are the paths shown (at most ``max_paths``), ``n_paths`` how many there are in
    all, ``total`` the gradient itself (this backward pass's ∂L/∂wrt, over every path).
    """

    def __init__(
        self, root: Any, wrt: Any, names: dict, paths: list, n_paths: int, total: float, max_paths: int
    ) -> None:
        self.root, self.wrt, self.names = root, wrt, names
        self.paths, self.n_paths, self.total, self.max_paths = paths, n_paths, total, max_paths

    @property
    def param(self) -> Any:
        """Deprecated: :attr:`wrt`, the node the gradient is taken with respect to."""
        warnings.warn("Explanation.param is deprecated: it is Explanation.wrt now", DeprecationWarning, 2)
        return self.wrt

    @property
    def name(self) -> str:
        """The gradient's name, e.g. ``∂E/∂w5``."""
        return f"∂{self.names[self.root]}/∂{self.names[self.wrt]}"

    def __repr__(self):
        return f"<Explanation of {self.name} = {self.total!r}: {self.n_paths} path(s)>"

    def __str__(self):
        return self.text()

    def _symbols(self, path, brackets=True):
        parts = [f.name for f in path.factors]
        if brackets:
            for r in path.reused:
                parts[r.start] = "[" + parts[r.start]
                parts[r.end - 1] += "]"
        return " · ".join(parts)

    def _values(self, path, digits):
        parts = [fmt(f.value, digits) for f in path.factors]
        for r in path.reused:
            parts[r.start] = "[" + parts[r.start]
            parts[r.end - 1] += "]"
        return " × ".join(parts)

    def _notes(self, path, digits):
        L = self.names[self.root]
        notes = []
        for r in path.reused:
            node, source = self.names[r.node], self.names[r.source]
            if r.whole:
                what = f"∂{L}/∂{node} = {fmt(r.prefix, digits)}"
            else:
                share = fmt(r.prefix, digits)
                what = f"the factors down to {node} (this path's share of ∂{L}/∂{node}, {share})"
            notes.append(f"reused: {what}, already computed for ∂{L}/∂{source}")
        return notes

    def text(self, digits: int = DIGITS, width: int | None = None) -> str:
        """The explanation as plain text (``str()`` gives the same with 5 decimals).

        ``width`` (characters, e.g. the terminal's) wraps longer lines between factors,
        the rest of a line indented under its start.
        """
        text = self._text(digits)
        if width is None:
            return text
        lines = []
        for line in text.splitlines():
            indent = " " * (len(line) - len(line.lstrip()) + 4)
            lines += textwrap.wrap(
                line, width, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False
            ) or [""]
        return "\n".join(lines)

    def _text(self, digits):
        if not self.paths:
            return f"{self.name} = {self.total:g} (the root itself)"
        if self.n_paths == 1:
            (path,) = self.paths
            values = f"{self._values(path, digits)} = {fmt(self.total, digits)}"
            line = f"{self.name} = {self._symbols(path)} = {values}"
            return "\n".join([line] + ["  " + n for n in self._notes(path, digits)])
        lines = [f"{self.name} = the sum over {self.n_paths} paths from {self.names[self.root]} to "
                 f"{self.names[self.wrt]}" + (" ([...] marks factors reused from a later layer):"
                                                if any(p.reused for p in self.paths) else ":")]  # fmt: skip
        for k, path in enumerate(self.paths, 1):
            lines.append(f"  path {k}: {self._symbols(path)}")
            lines.append(f"        = {self._values(path, digits)} = {fmt(path.value, digits)}")
            lines += ["          " + n for n in self._notes(path, digits)]
        hidden = self.n_paths - len(self.paths)
        if hidden:
            lines.append(
                f"  ... and {hidden} more paths, not shown (at most {self.max_paths}: "
                f"explain(..., max_paths=N) shows more)"
            )
            lines.append(f"{self.name} = {fmt(self.total, digits)} (all {self.n_paths} paths)")
        else:
            terms = _sum_text([p.value for p in self.paths], digits)
            lines.append(f"{self.name} = {terms} = {fmt(self.total, digits)}")
        return "\n".join(lines)

    def _repr_html_(self):
        def factors(path, values):
            parts = [_nowrap(fmt(f.value) if values else f.name) for f in path.factors]
            sep = " × " if values else " · "
            starts = {r.start: r for r in path.reused}
            out, i = [], 0
            while i < len(parts):
                r = starts.get(i)
                if r is None:
                    out.append(parts[i])
                    i += 1
                    continue
                title = f"already computed for ∂{self.names[self.root]}/∂{self.names[r.source]}"
                out.append(
                    f'<span class="reused" title="{_h(title)}" style="border-bottom:2px solid #d08a00">'
                    f"{sep.join(parts[r.start : r.end])}</span>"
                )
                i = r.end
            return sep.join(out)

        lines = [f'<div class="chainrule-explain"><p><b>{_nowrap(self.name)}</b> = {_h(fmt(self.total))}']
        if self.n_paths > 1:
            lines[0] += f", the sum over {self.n_paths} paths"
        lines[0] += "</p>"
        lines.append("<ol>" if self.n_paths > 1 else "<ul>")
        for path in self.paths:
            notes = "".join(f"<br/><small>{markup.markup(n)}</small>" for n in self._notes(path, DIGITS))
            lines.append(
                f"<li>{factors(path, False)}<br/>= {factors(path, True)} = {_h(fmt(path.value))}{notes}</li>"
            )
        lines.append("</ol>" if self.n_paths > 1 else "</ul>")
        hidden = self.n_paths - len(self.paths)
        if hidden:
            lines.append(f"<p>... and {hidden} more paths, not shown (at most {self.max_paths}).</p>")
        lines.append("</div>")
        return "\n".join(lines)


def explain(root: "Node | Trace", wrt: Any, max_paths: int | None = None) -> "Explanation":
    """Write ∂L/∂w as the documents do: a product of named factors along each path.

    ``root`` is the loss (a Value) or a :class:`Trace` of it; ``wrt`` is a Value or its
    label. A factor runs from one named node of a path to the next, where named means
    labelled (the root and ``wrt`` are always named; an unlabelled root is called L).
    Unlabelled nodes in between are folded into the factor around them, so the loss's
    pieces read as one factor ∂E/∂outY1: its value is the derivative of the upper named
    node with respect to the lower one through unlabelled nodes only. With several paths
    ∂L/∂w is their sum; at most ``max_paths`` are listed (the total counts all).

    Along a path, the factors down to a node that also feeds another labelled leaf
    directly (a later layer's weight) are marked reused: that layer's gradient already
    needed them, and backpropagation computes them once.

    Given a Value, ``explain`` records one backward pass of its own and leaves every
    ``.grad`` as it was; given a Trace, it reads that one.

    The root comes first, as in every other function of the engine. The order of 0.2,
    ``explain(param, root)``, still works for one release with a DeprecationWarning.

    >>> import engine
    >>> x = engine.Value(3.0, label="x")
    >>> y = x * x; y.label = "y"
    >>> e = explain(y, x)  # x feeds y twice: one factor ∂y/∂x = x + x
    >>> e.n_paths, e.total
    (1, 6.0)
    """
    if _param_first(root, wrt):
        warnings.warn(
            "explain(param, root) is deprecated: the root comes first, explain(root, wrt)",
            DeprecationWarning,
            stacklevel=2,
        )
        root, wrt = wrt, root
    t = record(root)  # a Trace is used as it is; a Value's pass changes no .grad
    wrt = t.find(wrt)
    if max_paths is None:
        max_paths = MAX_PATHS
    if not isinstance(max_paths, int) or max_paths < 1:
        raise ValueError(f"max_paths must be a positive int, got {max_paths!r}")
    root = t.root
    names = t.names
    if wrt is root:
        return Explanation(root, wrt, names, [], 1, t.gradient, max_paths)
    above = t.above(wrt)
    edges: dict = {}
    order: dict = {}
    for s in t.steps:
        edges.setdefault(s.node, []).append((s.parent, s.local))
        order.setdefault(s.node, s.number)  # nodes are processed after every node that uses them
    named = lambda n: n is root or n is wrt or bool(n.label)

    def factors_below(upper, within):
        """{lower named node: ∂upper/∂lower through unlabelled nodes}, in order of discovery."""
        out: dict = {}
        acc, heap = {upper: 1.0}, [(order[upper], upper.__hash__(), upper)]
        while heap:
            node = heapq.heappop(heap)[2]
            for parent, local in edges.get(node, ()):
                if parent not in within:
                    continue
                c = acc[node] * local
                if named(parent):
                    out[parent] = out.get(parent, 0.0) + c
                elif parent in acc:
                    acc[parent] += c
                else:  # an unlabelled interior node: fold it in once all its users have added
                    acc[parent] = c
                    heapq.heappush(heap, (order[parent], parent.__hash__(), parent))
        return out

    # The graph of named nodes above wrt, each edge a factor.
    below = {}
    todo = [root]
    while todo:
        node = todo.pop()
        if node in below or node is wrt:
            continue
        below[node] = factors_below(node, above)
        todo.extend(below[node])
    # How many paths lead from each named node down to wrt (lowest nodes first).
    count = {wrt: 1}
    for node in sorted(below, key=order.__getitem__, reverse=True):
        count[node] = sum(count[lower] for lower in below[node])

    def leaves_fed(node):
        """Labelled leaves (other than wrt) that ``node`` uses directly or via unlabelled nodes."""
        out, stack, seen = [], [node], {node}
        while stack:
            for parent, _ in edges.get(stack.pop(), ()):
                if parent in seen:
                    continue
                seen.add(parent)
                if not parent.parents:
                    if parent.label and parent is not wrt:
                        out.append(parent)
                elif not parent.label:
                    stack.append(parent)
        return out

    single = {}  # named node -> True when one path of named factors leads to it from the root

    def one_path_to(node):
        if node not in single:
            within = t.above(node)
            down = {n: factors_below(n, within) for n in within if n in edges and named(n) and n is not node}
            paths = {root: 1}
            for n in sorted(down, key=order.__getitem__):
                for lower in down[n]:
                    paths[lower] = paths.get(lower, 0) + paths.get(n, 0)
            single[node] = paths.get(node, 0) == 1
        return single[node]

    rank = {n: k for k, n in enumerate(walks.preorder(t.root))}  # paths are listed as the formula reads
    fed: dict = {}
    paths: list = []
    stack: list = [(root, (), 1.0)]  # depth first, in parent order
    while stack and len(paths) < max_paths:
        node, factors, value = stack.pop()
        if node is wrt:
            paths.append((factors, value))
            continue
        for lower, f in sorted(below[node].items(), key=lambda item: rank[item[0]], reverse=True):
            factor = Factor(node, lower, f"∂{names[node]}/∂{names[lower]}", f)
            stack.append((lower, factors + (factor,), value * f))
    built = []
    for factors, value in paths:
        reused, start, prefix = [], 0, 1.0
        for j, factor in enumerate(factors[:-2]):  # the last node before wrt is this layer
            prefix *= factor.value
            node = factor.lower
            if node not in fed:
                fed[node] = leaves_fed(node)
            if fed[node]:
                reused.append(Reuse(start, j + 1, node, fed[node][0], prefix, one_path_to(node)))
                start = j + 1
        built.append(Path(factors, value, tuple(reused)))
    total = sum(s.product for s in t.steps if s.parent is wrt)
    return Explanation(root, wrt, names, built, count[root], total, max_paths)


def _param_first(first, second):
    """Whether a call gave 0.2's order, explain(param, root): a label or a leaf first and the loss
    (or its Trace) second, told apart by which of the two lies below the other."""
    if isinstance(second, Trace) or isinstance(first, str):
        return not isinstance(first, Trace)
    if isinstance(first, Trace) or not hasattr(first, "parents") or not hasattr(second, "parents"):
        return False
    if first is second:
        return False
    below_first = walks.topological_order(first)
    return second not in set(below_first) and first in set(walks.topological_order(second))


def _sum_text(values, digits):
    text = fmt(values[0], digits)
    for v in values[1:]:
        text += f" - {fmt(-v, digits)}" if v < 0 else f" + {fmt(v, digits)}"
    return text


def _h(text):
    return html.escape(str(text), quote=True)


def _nowrap(text):
    """A name or number for HTML: real sub/superscripts, and never broken across lines."""
    return f'<span style="white-space:nowrap">{markup.markup(str(text))}</span>'


__all__ = ["explain", "Explanation", "Factor", "Reuse", "Path", "MAX_PATHS"]
