"""Backpropagation one chain-rule step at a time: steps, traces, explanations and frames.

``backward_steps(root)`` is the backward pass as a generator: each ``next()`` applies one
node -> parent product of the chain rule and yields a :class:`Step`. It is the engine's own
loop (``engine.backprop(root, record=True)``), not a copy, so running it to the end leaves
exactly the gradients ``root.backward()`` leaves. ``trace(root)`` runs it to the end and
keeps every step in a :class:`Trace` (a text table, an HTML table in Jupyter, filterable to
the paths to one parameter). ``explain(param, root)`` writes ∂L/∂param as the documents do, a
product of named factors along each path, and marks the factors a later layer already
computed. ``snapshot(root, i)`` and ``frames(root)`` give what a drawing of step i needs.

    >>> import nn
    >>> net = nn.seed002()
    >>> print(explain(net.params["w5"], net.E))
    ∂E/∂w5 = ∂E/∂outY1 · ∂outY1/∂zY1 · ∂zY1/∂w5 = 0.58371 × 0.23212 × 0.53842 = 0.07295
"""

import heapq
import html
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import count

from .value import Value, backprop, topological_order

DIGITS = 5  # decimals shown for numbers near 1, as the documents round them
MAX_PATHS = 16  # explain() lists at most this many paths; the total always counts them all


# ---------------------------------------------------------------------------
# Steps


@dataclass(frozen=True, slots=True, eq=False)
class Step:
    """One application of the chain rule: ∂L/∂parent += ∂L/∂node · ∂node/∂parent.

    ``number`` counts from 1 (step 0 is the start, when only ∂L/∂L is known); ``index``
    is the parent's position in ``node.parents``; ``upstream`` is ∂L/∂node, ``local`` is
    ∂node/∂parent (``formula`` is its text from the rule table), ``product`` their product,
    and ``grad`` is ∂L/∂parent accumulated so far. ``final`` is True on the last step that
    adds to this parent, when its gradient for this pass is complete.
    """

    number: int
    node: Value
    parent: Value
    index: int
    upstream: float
    local: float
    formula: str
    product: float
    grad: float
    final: bool
    node_name: str
    parent_name: str
    root_name: str

    def __str__(self):
        L, n, p = self.root_name, self.node_name, self.parent_name
        so_far = "" if self.final else " so far"
        return (
            f"step {self.number}: ∂{L}/∂{p} += ∂{L}/∂{n} · ∂{n}/∂{p} = {_num(self.upstream)} × "
            f"{_num(self.local)} ({self.formula}) = {_num(self.product)}; "
            f"∂{L}/∂{p} = {_num(self.grad)}{so_far}"
        )


def backward_steps(root, gradient=1.0):
    """Run ``root``'s backward pass one chain-rule step per ``next()``, yielding each :class:`Step`.

    Gradients change exactly as in ``root.backward(gradient)`` (leaves accumulate), so when
    the generator is exhausted every ``.grad`` is what ``backward()`` leaves. Stopping early
    leaves the gradients of the steps taken so far.

    >>> from engine import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> L = a * b; L.label = "L"
    >>> print(next(backward_steps(L)))
    step 1: ∂L/∂a += ∂L/∂L · ∂L/∂a = 1.00000 × -3.00000 (b) = -3.00000; ∂L/∂a = -3.00000
    """
    _check_root(root)  # now, not at the first next()
    return _steps(root, gradient)


def _steps(root, gradient):
    names = _names(root)
    uses = _uses(root)
    seen = Counter()
    root_name = names[root]
    last, index, number = None, 0, 0
    for node, parent, local in backprop(root, gradient, record=True):
        index = index + 1 if node is last else 0  # a node's steps come together, in parent order
        last = node
        number += 1
        seen[parent] += 1
        upstream = float(node.grad)
        local = float(local)
        yield Step(
            number, node, parent, index, upstream, local, node._op.formula(index, len(node._parents)),
            upstream * local, float(parent.grad), seen[parent] == uses[parent],
            names[node], names[parent], root_name,
        )  # fmt: skip


def trace(root, gradient=1.0):
    """Run ``root``'s whole backward pass and keep every step, as a :class:`Trace`.

    This is a backward pass: it leaves the gradients ``root.backward(gradient)`` leaves
    (leaves accumulate, so zero them first if you ran backward before).

    >>> import nn
    >>> t = trace(nn.seed002().E)
    >>> print(t.to("w5")[-1])
    step 8: ∂E/∂w5 += ∂E/∂zY1 · ∂zY1/∂w5 = 0.13549 × 0.53842 (x_1) = 0.07295; ∂E/∂w5 = 0.07295
    """
    _check_root(root)
    return Trace(root, list(backward_steps(root, gradient)), gradient)


class Trace(Sequence):
    """The recorded steps of one backward pass, from ``root``, in the order they ran.

    A sequence of :class:`Step` (``trace[0]`` is step 1). ``str(trace)`` is an aligned text
    table, Jupyter shows an HTML table, ``trace.to(w)`` keeps the steps on the paths from
    the root to ``w`` and ``trace.explain(w)`` writes ∂L/∂w as a product of factors.
    """

    def __init__(self, root, steps, gradient=1.0, target=None):
        self.root = root
        self.steps = list(steps)
        self.gradient = gradient
        self.target = target  # the parameter a filtered trace leads to, if any

    def __len__(self):
        return len(self.steps)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return Trace(self.root, self.steps[i], self.gradient, self.target)
        return self.steps[i]

    def __repr__(self):
        to = f" to {self._name(self.target)}" if self.target is not None else ""
        return f"<Trace of {len(self.steps)} chain-rule steps from {self._name(self.root)}{to}>"

    def _name(self, node):
        if node is self.root:
            return _root_name(node)
        for s in self.steps:
            if s.parent is node:
                return s.parent_name
            if s.node is node:
                return s.node_name
        return node.label or "?"

    def find(self, label):
        """The node labelled ``label`` in this trace (a string is looked up; a Value is returned)."""
        if isinstance(label, Value):
            return label
        if not isinstance(label, str):
            raise TypeError(f"expected a Value or a label (str), got {type(label).__name__} {label!r}")
        found = {n for s in self.steps for n in (s.node, s.parent) if n.label == label}
        found |= {self.root} if self.root.label == label else set()
        if len(found) == 1:
            return found.pop()
        if not found:
            labels = sorted({n.label for s in self.steps for n in (s.node, s.parent) if n.label})
            some = ", ".join(labels[:20]) + (", ..." if len(labels) > 20 else "")
            raise KeyError(f"no node labelled {label!r} below {self._name(self.root)}; its labels: {some}")
        raise KeyError(f"{len(found)} nodes are labelled {label!r}; pass the Value itself")

    def to(self, param):
        """The steps on the paths from the root to ``param`` (a Value or its label), as a Trace.

        These are the steps whose parent is ``param`` or lies above it; their numbers are
        kept, so they still say when each step ran.
        """
        param = self.find(param)
        above = self._above(param)
        return Trace(self.root, [s for s in self.steps if s.parent in above], self.gradient, param)

    def _above(self, param):
        """``param`` and every node with a path down to it."""
        users = {}
        for s in self.steps:
            users.setdefault(s.parent, []).append(s.node)
        if param is not self.root and param not in users:
            raise ValueError(
                f"{_describe(param)} is not in the graph below {self._name(self.root)}, so "
                f"∂{self._name(self.root)}/∂{_describe(param)} is 0; pass a Value that "
                f"{self._name(self.root)} was computed from"
            )
        above, stack = {param}, [param]
        while stack:
            for user in users.get(stack.pop(), ()):
                if user not in above:
                    above.add(user)
                    stack.append(user)
        return above

    def explain(self, param, max_paths=MAX_PATHS):
        """∂L/∂param written as the documents write it: see :func:`explain`."""
        return _explain(self, self.find(param), max_paths)

    # -- display

    def _rows(self, digits):
        L = _root_name(self.root)
        head = ["step", "node", "op", "parent", f"∂{L}/∂node", "∂node/∂parent", "", "", "product"]
        head += [f"∂{L}/∂parent", ""]
        rows = []
        for s in self.steps:
            rows.append([
                str(s.number), s.node_name, s.node._op.label, s.parent_name, _num(s.upstream, digits),
                s.formula, "=", _num(s.local, digits), _num(s.product, digits), _num(s.grad, digits),
                "" if s.final else "so far",
            ])  # fmt: skip
        return head, rows

    def table(self, digits=DIGITS):
        """The steps as an aligned text table, one line per chain-rule step."""
        head, rows = self._rows(digits)
        if not rows:
            return f"(no chain-rule steps from {self._name(self.root)})"
        widths = [max(len(r[c]) for r in [head, *rows]) for c in range(len(head))]
        right = {0, 4, 7, 8, 9}  # numbers align on the right
        lines = []
        for r in [head, *rows]:
            cells = [cell.rjust(w) if c in right else cell.ljust(w) for c, cell, w in zip(count(), r, widths)]
            lines.append("  ".join(cells).rstrip())
        lines.insert(1, "  ".join("-" * w for w in widths[:-1]))  # the last column is only "so far"
        return "\n".join(lines)

    def __str__(self):
        return self.table()

    def _repr_html_(self):
        head, rows = self._rows(DIGITS)
        head = head[:5] + ["∂node/∂parent"] + head[8:10]  # formula and value share a cell in HTML
        caption = f"{len(self.steps)} chain-rule steps from {self._name(self.root)}"
        if self.target is not None:
            caption += f" on the paths to {self._name(self.target)}"
        out = [
            '<table class="chainrule-trace">',
            f"<caption>{_h(caption)}</caption>",
            "<thead><tr>" + "".join(f"<th>{_h(c)}</th>" for c in head) + "</tr></thead>",
            "<tbody>",
        ]
        for r in rows:
            cells = r[:5] + [f"{r[5]} = {r[7]}", r[8], f"{r[9]} {r[10]}".rstrip()]
            tds = "".join(
                f'<td style="text-align:right">{_h(c)}</td>' if i in (0, 4, 6, 7) else f"<td>{_h(c)}</td>"
                for i, c in enumerate(cells)
            )
            out.append(f"<tr>{tds}</tr>")
        out.append("</tbody></table>")
        return "\n".join(out)


# ---------------------------------------------------------------------------
# Explain: ∂L/∂w as products of named factors along each path


@dataclass(frozen=True, slots=True, eq=False)
class Factor:
    """∂upper/∂lower between two consecutive named nodes of a path, and its value."""

    upper: Value
    lower: Value
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
    node: Value
    source: Value
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
    all, ``total`` the gradient itself (this backward pass's ∂L/∂param, over every path).
    """

    def __init__(self, root, param, names, paths, n_paths, total, max_paths):
        self.root, self.param, self.names = root, param, names
        self.paths, self.n_paths, self.total, self.max_paths = paths, n_paths, total, max_paths

    @property
    def name(self):
        """The gradient's name, e.g. ``∂E/∂w5``."""
        return f"∂{self.names[self.root]}/∂{self.names[self.param]}"

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
        parts = [_num(f.value, digits) for f in path.factors]
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
                what = f"∂{L}/∂{node} = {_num(r.prefix, digits)}"
            else:
                share = _num(r.prefix, digits)
                what = f"the factors down to {node} (this path's share of ∂{L}/∂{node}, {share})"
            notes.append(f"reused: {what}, already computed for ∂{L}/∂{source}")
        return notes

    def text(self, digits=DIGITS):
        """The explanation as plain text (``str()`` gives the same with 5 decimals)."""
        if not self.paths:
            return f"{self.name} = {self.total:g} (the root itself)"
        if self.n_paths == 1:
            (path,) = self.paths
            values = f"{self._values(path, digits)} = {_num(self.total, digits)}"
            line = f"{self.name} = {self._symbols(path)} = {values}"
            return "\n".join([line] + ["  " + n for n in self._notes(path, digits)])
        lines = [f"{self.name} = the sum over {self.n_paths} paths from {self.names[self.root]} to "
                 f"{self.names[self.param]}" + (" ([...] marks factors reused from a later layer):"
                                                if any(p.reused for p in self.paths) else ":")]  # fmt: skip
        for k, path in enumerate(self.paths, 1):
            lines.append(f"  path {k}: {self._symbols(path)}")
            lines.append(f"        = {self._values(path, digits)} = {_num(path.value, digits)}")
            lines += ["          " + n for n in self._notes(path, digits)]
        hidden = self.n_paths - len(self.paths)
        if hidden:
            lines.append(
                f"  ... and {hidden} more paths, not shown (at most {self.max_paths}: "
                f"explain(..., max_paths=N) shows more)"
            )
            lines.append(f"{self.name} = {_num(self.total, digits)} (all {self.n_paths} paths)")
        else:
            terms = _sum_text([p.value for p in self.paths], digits)
            lines.append(f"{self.name} = {terms} = {_num(self.total, digits)}")
        return "\n".join(lines)

    def _repr_html_(self):
        def factors(path, values):
            parts = [_h(_num(f.value) if values else f.name) for f in path.factors]
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

        lines = [f'<div class="chainrule-explain"><p><b>{_h(self.name)}</b> = {_h(_num(self.total))}']
        if self.n_paths > 1:
            lines[0] += f", the sum over {self.n_paths} paths"
        lines[0] += "</p>"
        lines.append("<ol>" if self.n_paths > 1 else "<ul>")
        for path in self.paths:
            notes = "".join(f"<br/><small>{_h(n)}</small>" for n in self._notes(path, DIGITS))
            lines.append(
                f"<li>{factors(path, False)}<br/>= {factors(path, True)} = {_h(_num(path.value))}{notes}</li>"
            )
        lines.append("</ol>" if self.n_paths > 1 else "</ul>")
        hidden = self.n_paths - len(self.paths)
        if hidden:
            lines.append(f"<p>... and {hidden} more paths, not shown (at most {self.max_paths}).</p>")
        lines.append("</div>")
        return "\n".join(lines)


def explain(param, root, max_paths=MAX_PATHS):
    """Write ∂L/∂param as the documents do: a product of named factors along each path.

    ``root`` is the loss (a Value) or a :class:`Trace` of it; ``param`` is a Value or its
    label. A factor runs from one named node of a path to the next, where named means
    labelled (the root and ``param`` are always named; an unlabelled root is called L).
    Unlabelled nodes in between are folded into the factor around them, so the loss's
    pieces read as one factor ∂E/∂outY1: its value is the derivative of the upper named
    node with respect to the lower one through unlabelled nodes only. With several paths
    ∂L/∂param is their sum; at most ``max_paths`` are listed (the total counts all).

    Along a path, the factors down to a node that also feeds another labelled leaf
    directly (a later layer's weight) are marked reused: that layer's gradient already
    needed them, and backpropagation computes them once.

    Given a Value, ``explain`` runs its own backward pass and restores every ``.grad``.

    >>> import nn
    >>> net = nn.seed002()
    >>> e = explain("w1", net.E)
    >>> e.n_paths, round(e.total, 10)
    (2, 0.0047463957)
    """
    if isinstance(root, Trace):
        t = root
    else:
        _check_root(root)
        with _restored(root):
            t = trace(root)
    return t.explain(param, max_paths)


def _explain(t, param, max_paths):
    if not isinstance(max_paths, int) or max_paths < 1:
        raise ValueError(f"max_paths must be a positive int, got {max_paths!r}")
    root = t.root
    names = {root: _root_name(root)}
    for s in t.steps:
        names.setdefault(s.node, s.node_name)
        names.setdefault(s.parent, s.parent_name)
    if param is root:
        return Explanation(root, param, names, [], 1, t.gradient, max_paths)
    above = t._above(param)
    edges, order = {}, {}
    for s in t.steps:
        edges.setdefault(s.node, []).append((s.parent, s.local))
        order.setdefault(s.node, s.number)  # nodes are processed after every node that uses them
    named = lambda n: n is root or n is param or n.label is not None

    def factors_below(upper, within):
        """{lower named node: ∂upper/∂lower through unlabelled nodes}, in order of discovery."""
        out, acc, heap = {}, {upper: 1.0}, [(order[upper], upper.__hash__(), upper)]
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

    # The graph of named nodes above param, each edge a factor.
    below = {}
    todo = [root]
    while todo:
        node = todo.pop()
        if node in below or node is param:
            continue
        below[node] = factors_below(node, above)
        todo.extend(below[node])
    # How many paths lead from each named node down to param (lowest nodes first).
    count = {param: 1}
    for node in sorted(below, key=order.__getitem__, reverse=True):
        count[node] = sum(count[lower] for lower in below[node])

    def leaves_fed(node):
        """Labelled leaves (other than param) that ``node`` uses directly or via unlabelled nodes."""
        out, stack, seen = [], [node], {node}
        while stack:
            for parent, _ in edges.get(stack.pop(), ()):
                if parent in seen:
                    continue
                seen.add(parent)
                if not parent._parents:
                    if parent.label is not None and parent is not param:
                        out.append(parent)
                elif parent.label is None:
                    stack.append(parent)
        return out

    single = {}  # named node -> True when one path of named factors leads to it from the root

    def one_path_to(node):
        if node not in single:
            within = t._above(node)
            down = {n: factors_below(n, within) for n in within if n in edges and named(n) and n is not node}
            paths = {root: 1}
            for n in sorted(down, key=order.__getitem__):
                for lower in down[n]:
                    paths[lower] = paths.get(lower, 0) + paths.get(n, 0)
            single[node] = paths.get(node, 0) == 1
        return single[node]

    rank = {n: k for k, n in enumerate(_preorder(root))}  # paths are listed as the formula reads
    fed = {}
    paths = []
    stack = [(root, (), 1.0)]  # depth first, in parent order
    while stack and len(paths) < max_paths:
        node, factors, value = stack.pop()
        if node is param:
            paths.append((factors, value))
            continue
        for lower, f in sorted(below[node].items(), key=lambda item: rank[item[0]], reverse=True):
            factor = Factor(node, lower, f"∂{names[node]}/∂{names[lower]}", f)
            stack.append((lower, factors + (factor,), value * f))
    built = []
    for factors, value in paths:
        reused, start, prefix = [], 0, 1.0
        for j, factor in enumerate(factors[:-2]):  # the last node before param is this layer
            prefix *= factor.value
            node = factor.lower
            if node not in fed:
                fed[node] = leaves_fed(node)
            if fed[node]:
                reused.append(Reuse(start, j + 1, node, fed[node][0], prefix, one_path_to(node)))
                start = j + 1
        built.append(Path(factors, value, tuple(reused)))
    total = sum(s.product for s in t.steps if s.parent is param)
    return Explanation(root, param, names, built, count[root], total, max_paths)


# ---------------------------------------------------------------------------
# Frames: the state of the graph after step i, for drawings


def snapshot(root, i, gradient=1.0):
    """The gradients known after step ``i`` of ``root``'s backward pass, and the edge of step i.

    Returns ``(known, edge)``: ``known`` maps each node that has received a gradient by then
    to it (the root from step 0; a node used several times shows its running sum until its
    last step), ``edge`` is step i's ``(node, parent)``, or None for step 0 (the start).
    It runs the real steps, from zeroed leaves, then restores every ``.grad`` as it was.
    """
    _check_root(root)
    if isinstance(i, bool) or not isinstance(i, int) or i < 0:
        raise ValueError(f"step must be an int >= 0 (0 is the start, before any step), got {i!r}")
    known, edge, n = {root: float(gradient)}, None, 0  # step 0: only ∂L/∂L is known
    with _restored(root, zero_leaves=True):
        for n, s in enumerate(backward_steps(root, gradient), 1):
            if n > i:
                break
            known[s.parent] = s.grad
            edge = (s.node, s.parent)
    if n < i:
        raise IndexError(
            f"step {i} does not exist: the backward pass from {_describe(root)} has {n} steps "
            "(0 is the start)"
        )
    return known, edge


def count_steps(root):
    """How many chain-rule steps ``root``'s backward pass takes: one per edge of the graph."""
    return sum(len(n._parents) for n in topological_order(root))


class Frames(Sequence):
    """The drawings of ``root``'s backward pass after each step: ``frames[i]`` is step i.

    ``frames[0]`` is the start; there are ``count_steps(root) + 1`` frames. Each is
    ``engine.draw(root, step=i, **options)``, made when first asked for. In Jupyter a
    Frames shows a slider when ipywidgets is installed, and otherwise every frame in turn.
    """

    def __init__(self, root, **options):
        _check_root(root)
        self.root, self.options = root, options
        self._n = count_steps(root) + 1
        self._cache = {}

    def __len__(self):
        return self._n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self._n))]
        k = i + self._n if i < 0 else i
        if not 0 <= k < self._n:
            raise IndexError(f"frame {i} does not exist: there are {self._n} frames (steps 0..{self._n - 1})")
        if k not in self._cache:
            self._cache[k] = _draw()(self.root, step=k, **self.options)
        return self._cache[k]

    def __repr__(self):
        return f"<Frames: {self._n} drawings of the backward pass from {_describe(self.root)}>"

    def slider(self):
        """An ipywidgets slider that scrubs through the frames (needs ipywidgets)."""
        return slider(self)

    def _ipython_display_(self):
        from IPython.display import display

        try:
            display(self.slider())
        except ImportError:
            for k in range(min(self._n, 50)):
                display(self[k])
            if self._n > 50:
                print(f"... {self._n - 50} more frames: index them, frames[i]")


def frames(root, **options):
    """Drawings of the backward pass after each step, as a list-like :class:`Frames`.

    ``options`` go to ``engine.draw``. Without ipywidgets it is still a plain sequence:
    ``frames(L)[3]`` is the drawing after step 3.
    """
    return Frames(root, **options)


def slider(root_or_frames, **options):
    """A Jupyter slider (ipywidgets) that shows ``engine.draw(root, step=i)`` as i moves.

    Raises ImportError with what to do when ipywidgets is not installed; ``frames(root)``
    works without it.
    """
    try:
        import ipywidgets as widgets
    except ImportError:
        raise ImportError(
            "the step slider needs ipywidgets (pip install 'chainrule[widgets]'); without it, "
            "index frames(root)[i] to see the drawing after step i"
        ) from None
    from IPython.display import display

    f = root_or_frames if isinstance(root_or_frames, Frames) else Frames(root_or_frames, **options)
    with _restored(f.root, zero_leaves=True):
        steps = list(backward_steps(f.root))
    control = widgets.IntSlider(value=0, min=0, max=len(f) - 1, description="step")
    caption = widgets.Label()
    out = widgets.Output()

    def show(k):
        caption.value = str(steps[k - 1]) if k else "step 0: start, only the root's gradient is known"
        with out:
            out.clear_output(wait=True)
            display(f[k])

    control.observe(lambda change: show(change["new"]), names="value")
    show(0)
    box = widgets.VBox([control, caption, out])
    box.frames = f
    return box


# ---------------------------------------------------------------------------
# Helpers


def _draw():
    try:
        from .drawing import draw
    except ImportError as exc:
        raise ImportError(f"frames need engine.draw, which could not be imported: {exc}") from exc
    return draw


def _check_root(root):
    if not isinstance(root, Value):
        raise TypeError(f"expected the Value to differentiate (the loss), got {type(root).__name__} {root!r}")


def _root_name(root):
    return root.label if root.label is not None else "L"


def _preorder(root):
    """Every node below ``root`` once, depth first, parents in their tuple order (as a formula reads)."""
    out, seen, stack = [], set(), [root]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            out.append(node)
            stack.extend(reversed(node._parents))
    return out


def _names(root):
    """A display name for every node below ``root``: its label, or n1, n2, ... as a formula reads.

    The root without a label is L; a label used by several nodes gets #2, #3, ... after the first.
    """
    names, used, k = {}, Counter(), 0
    for node in _preorder(root):
        if node is root:
            names[node] = _root_name(node)
            used[names[node]] += 1
        elif node.label is not None:
            used[node.label] += 1
            names[node] = node.label if used[node.label] == 1 else f"{node.label}#{used[node.label]}"
        else:
            k += 1
            names[node] = f"n{k}"
    return names


def _uses(root):
    """How many edges lead into each node: how many steps will add to its gradient."""
    return Counter(p for n in topological_order(root) for p in n._parents)


class _restored:
    """Save every ``.grad`` below ``root`` and put it back on exit (optionally zero the leaves)."""

    def __init__(self, root, zero_leaves=False):
        self.nodes = topological_order(root)
        self.saved = [n.grad for n in self.nodes]
        self.zero_leaves = zero_leaves

    def __enter__(self):
        if self.zero_leaves:
            for n in self.nodes:
                if not n._parents:
                    n.grad = 0.0
        return self

    def __exit__(self, *exc):
        for n, g in zip(self.nodes, self.saved):
            n.grad = g
        return False


def _describe(v):
    if not isinstance(v, Value):
        return repr(v)
    return v.label if v.label is not None else f"Value({v.data!r})"


def _num(x, digits=DIGITS):
    """A number as the documents round it: ``digits`` decimals (significant digits below 0.01)."""
    x = float(x) + 0.0  # + 0.0 turns -0.0 into 0.0
    if x == 0.0 or 0.01 <= abs(x) < 1e6:
        return f"{x:.{digits}f}"
    return f"{x:#.{digits}g}"


def _sum_text(values, digits):
    text = _num(values[0], digits)
    for v in values[1:]:
        text += f" - {_num(-v, digits)}" if v < 0 else f" + {_num(v, digits)}"
    return text


def _h(text):
    return html.escape(str(text), quote=True)


__all__ = [
    "Step", "Trace", "Factor", "Reuse", "Path", "Explanation", "Frames",
    "backward_steps", "trace", "explain", "snapshot", "count_steps", "frames", "slider",
]  # fmt: skip
