"""The record of one backward pass: a :class:`Trace`, and its tables.

``trace(root)`` runs the backward pass once, with ``record=True``, and keeps every
chain-rule step together with the display name of every node. Everything that shows
a step reads this record: the text and HTML tables here, :func:`engine.explain`,
``engine.draw(trace, step=i)``, frames and the slider. None of them runs backward
again or recomputes a derivative.

    >>> import engine
    >>> x, w = engine.Value(0.5, label="x"), engine.Value(-2.0, label="w")
    >>> L = (x * w).tanh(); L.label = "L"
    >>> t = trace(L)
    >>> print(t[-1])
    step 3: ∂L/∂w += ∂L/∂n1 · ∂n1/∂w = 0.41997 × 0.50000 (x) = 0.20999; ∂L/∂w = 0.20999
"""

import html
from collections.abc import Sequence
from itertools import count
from typing import Any

from . import graph
from .graph import DIGITS, fmt
from .steps import Step, backward_steps, check_root


def trace(root: Any, gradient: float = 1.0) -> "Trace":
    """Run ``root``'s whole backward pass and keep every step, as a :class:`Trace`.

    This is a backward pass: it leaves the gradients ``root.backward(gradient)`` leaves
    (leaves accumulate, so zero them first if you ran backward before). :func:`record`
    makes the same Trace and leaves every ``.grad`` as it was.
    """
    check_root(root)
    names = graph.names(root)
    return Trace(root, list(backward_steps(root, gradient, names)), gradient, names=names)


def record(root: Any, gradient: float = 1.0) -> "Trace":
    """The Trace of ``root``'s backward pass from zeroed leaves, changing no ``.grad``.

    The one pass that explanations, drawings of a step and frames of a Value read.
    """
    if isinstance(root, Trace):
        return root
    check_root(root)
    nodes = graph.topological_order(root)
    saved = [n.grad for n in nodes]
    try:
        for n in nodes:
            if not n._parents:
                n.grad = 0.0
        return trace(root, gradient)
    finally:
        for n, g in zip(nodes, saved):
            n.grad = g


class Trace(Sequence):
    """The recorded steps of one backward pass, from ``root``, in the order they ran.

    A sequence of :class:`Step` (``trace[0]`` is step 1). ``names`` names every node
    below the root. ``str(trace)`` is an aligned text table, Jupyter shows an HTML
    table, ``trace.to(w)`` keeps the steps on the paths from the root to ``w``,
    ``engine.explain(w, trace)`` writes ∂L/∂w as a product of factors and ``trace.state(i)``
    is what is known after step i (what a frame draws).
    """

    def __init__(self, root, steps, gradient=1.0, target=None, names=None):
        self.root = root
        self.steps = list(steps)
        self.gradient = gradient
        self.target = target  # the parameter a filtered trace leads to, if any
        self.names = names if names is not None else graph.names(root)

    def __len__(self):
        return len(self.steps)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return Trace(self.root, self.steps[i], self.gradient, self.target, self.names)
        return self.steps[i]

    def __repr__(self):
        to = f" to {self.names[self.target]}" if self.target is not None else ""
        return f"<Trace of {len(self.steps)} chain-rule steps from {self.names[self.root]}{to}>"

    def find(self, label):
        """The node labelled ``label`` in this trace (a string is looked up; a Value is returned)."""
        if hasattr(label, "_parents"):
            return label
        if not isinstance(label, str):
            raise TypeError(f"expected a Value or a label (str), got {type(label).__name__} {label!r}")
        found = [n for n in self.names if n.label == label]
        if len(found) == 1:
            return found[0]
        if not found:
            labels = sorted({n.label for n in self.names if n.label})
            some = ", ".join(labels[:20]) + (", ..." if len(labels) > 20 else "")
            raise KeyError(f"no node labelled {label!r} below {self.names[self.root]}; its labels: {some}")
        raise KeyError(f"{len(found)} nodes are labelled {label!r}; pass the Value itself")

    def to(self, param):
        """The steps on the paths from the root to ``param`` (a Value or its label), as a Trace.

        These are the steps whose parent is ``param`` or lies above it; their numbers are
        kept, so they still say when each step ran.
        """
        param = self.find(param)
        above = self.above(param)
        return Trace(
            self.root, [s for s in self.steps if s.parent in above], self.gradient, param, self.names
        )

    def above(self, param):
        """``param`` and every node with a path down to it."""
        users = {}
        for s in self.steps:
            users.setdefault(s.parent, []).append(s.node)
        if param is not self.root and param not in users:
            L = self.names[self.root]
            raise ValueError(
                f"{graph.describe(param)} is not in the graph below {L}, so ∂{L}/∂{graph.describe(param)} "
                f"is 0; pass a Value that {L} was computed from"
            )
        above, stack = {param}, [param]
        while stack:
            for user in users.get(stack.pop(), ()):
                if user not in above:
                    above.add(user)
                    stack.append(user)
        return above

    def state(self, i):
        """What is known after step ``i``: ``(known, step)``.

        ``known`` maps each node that has received a gradient by then to it (the root from
        step 0; a node used several times shows its running sum until its last step);
        ``step`` is the :class:`Step` just taken, or None at step 0 (the start).
        """
        if isinstance(i, bool) or not isinstance(i, int) or i < 0:
            raise ValueError(f"step must be an int >= 0 (0 is the start, before any step), got {i!r}")
        if i > len(self.steps):
            raise IndexError(
                f"step {i} does not exist: the backward pass from {self.names[self.root]} has "
                f"{len(self.steps)} steps (0 is the start)"
            )
        known = {self.root: float(self.gradient)}
        for s in self.steps[:i]:
            known[s.parent] = s.grad
        return known, self.steps[i - 1] if i else None

    def locals(self):
        """{(node, index): ∂node/∂parent[index]} for every step recorded (each edge of the graph)."""
        return {(s.node, s.index): s.local for s in self.steps}

    # What a drawing of a frame reads besides state(i): the word in each box, the legend, step 0

    quantity = "grad"  # the number each box shows, by name

    def box_legend(self):
        """What a box's number is."""
        return f"grad = ∂{self.names[self.root]}/∂(box)"

    def rule_legend(self):
        """How a step uses an edge's local derivative."""
        return "chain rule: grad(in) += grad(out) × ∂out/∂in, summed over the edges out of a box"

    def start_caption(self, digits=DIGITS):
        """Step 0's headline: only the seed is known."""
        L = self.names[self.root]
        return f"step 0: the start; only grad({L}) = ∂{L}/∂{L} = {fmt(self.gradient, digits)} is known"

    # -- display

    def _rows(self, digits):
        L = self.names[self.root]
        head = ["step", "node", "op", "parent", f"∂{L}/∂node", "∂node/∂parent", "", "", "product"]
        head += [f"∂{L}/∂parent", ""]
        rows = []
        for s in self.steps:
            rows.append([
                str(s.number), s.node_name, s.node._op.label, s.parent_name, fmt(s.upstream, digits),
                s.formula, "=", fmt(s.local, digits), fmt(s.product, digits), fmt(s.grad, digits),
                "" if s.final else "so far",
            ])  # fmt: skip
        return head, rows

    def table(self, digits=DIGITS):
        """The steps as an aligned text table, one line per chain-rule step."""
        head, rows = self._rows(digits)
        if not rows:
            return f"(no chain-rule steps from {self.names[self.root]})"
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
        caption = f"{len(self.steps)} chain-rule steps from {self.names[self.root]}"
        if self.target is not None:
            caption += f" on the paths to {self.names[self.target]}"
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


def _h(text):
    return html.escape(str(text), quote=True)


__all__ = ["Step", "Trace", "trace", "record"]
