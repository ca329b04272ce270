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

import math
import textwrap
from collections.abc import Iterable, Sequence
from typing import Any

from .. import markup, vocab, walks
from .._renamed import renamed
from ..vocab import DIGITS, fmt
from ..walks import Node
from . import fresh
from .steps import Step, backward_steps, check_root


def trace(root: Node, gradient: float = 1.0) -> "Trace":
    """Run ``root``'s whole backward pass and keep every step, as a :class:`Trace`.

    This is a backward pass: it leaves the gradients ``root.backward(gradient)`` leaves
    (leaves accumulate, so zero them first if you ran backward before). :func:`record`
    makes the same Trace and leaves every ``.grad`` as it was.

    A graph whose leaves changed after its forward pass (``optimizer.step()`` then no new
    forward pass) is refused with :class:`engine.record.fresh.StaleGraphError`. ``backward()``
    itself does not check (it stays as quick as micrograd's): on such a graph it multiplies
    the new weights with the old activations and returns a gradient of no function at all
    (seed 002 after an SGD step of lr 0.5: ∂E/∂w1 0.0034831 instead of 0.0033518).
    """
    check_root(root)
    fresh.check_fresh(root)
    names = vocab.names(root)
    return Trace(root, list(backward_steps(root, gradient, names)), gradient, names=names)


def record(root: "Node | Trace", gradient: float = 1.0) -> "Trace":
    """The Trace of ``root``'s backward pass from zeroed leaves, changing no ``.grad``.

    The one pass that explanations, drawings of a step and frames of a Value read.
    """
    if isinstance(root, Trace):
        return root
    check_root(root)
    nodes = walks.topological_order(root)
    saved = [n.grad for n in nodes]
    try:
        for n in nodes:
            if not n.parents:
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
    ``engine.explain(trace, w)`` writes ∂L/∂w as a product of factors and ``trace.state(i)``
    is what is known after step i (what a frame draws).
    """

    def __init__(
        self,
        root: Any,
        steps: Iterable[Step],
        gradient: float = 1.0,
        target: Any = None,
        names: dict | None = None,
        locals_: dict | None = None,
    ) -> None:
        self.root = root
        self.steps = list(steps)
        self.gradient = gradient
        self.target = target  # the parameter a filtered trace leads to, if any
        self.names = names if names is not None else vocab.names(root)
        self._pass_locals = (
            locals_  # a part of a pass keeps the whole pass's ∂node/∂parent (drawings read them)
        )

    def __len__(self):
        return len(self.steps)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return Trace(self.root, self.steps[i], self.gradient, self.target, self.names, self.locals())
        return self.steps[i]

    def __repr__(self):
        to = f" to {self.names[self.target]}" if self.target is not None else ""
        return f"<Trace of {len(self.steps)} chain-rule steps from {self.names[self.root]}{to}>"

    def find(self, label: Any) -> Any:
        """The node labelled ``label`` in this trace (a string is looked up; a Value is returned)."""
        if hasattr(label, "parents"):
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

    @renamed(param="wrt")
    def to(self, wrt: Node | str) -> "Trace":
        """The steps on the paths from the root to ``wrt`` (a Value or its label), as a Trace.

        These are the steps whose parent is ``wrt`` or lies above it; their numbers are
        kept, so they still say when each step ran.
        """
        wrt = self.find(wrt)
        above = self.above(wrt)
        return Trace(
            self.root, [s for s in self.steps if s.parent in above], self.gradient, wrt, self.names,
            self.locals(),
        )  # fmt: skip

    @renamed(param="wrt")
    def above(self, wrt: Any) -> set:
        """``wrt`` and every node with a path down to it."""
        users: dict[Any, list] = {}
        for s in self.steps:
            users.setdefault(s.parent, []).append(s.node)
        if wrt is not self.root and wrt not in users:
            L = self.names[self.root]
            raise ValueError(
                f"{vocab.describe(wrt)} is not in the graph below {L}, so ∂{L}/∂{vocab.describe(wrt)} "
                f"is 0; pass a Value that {L} was computed from"
            )
        above, stack = {wrt}, [wrt]
        while stack:
            for user in users.get(stack.pop(), ()):
                if user not in above:
                    above.add(user)
                    stack.append(user)
        return above

    def state(self, i: int) -> tuple[dict, Step | None]:
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

    def locals(self) -> dict:
        """{(node, index): ∂node/∂parent[index]} for every edge of the pass (a filtered trace or a
        slice keeps those of the whole pass it came from)."""
        if self._pass_locals is not None:
            return dict(self._pass_locals)
        return {(s.node, s.index): s.local for s in self.steps}

    # What a drawing of a frame reads besides state(i): the word in each box, the legend, step 0

    quantity = "grad"  # the number each box shows, by name

    def box_legend(self) -> str:
        """What a box's number is."""
        return f"grad = ∂{self.names[self.root]}/∂(box)"

    def rule_legend(self) -> str:
        """How a step uses an edge's local derivative."""
        rule = vocab.chain(self.names[self.root], "out", "in")
        return f"chain rule: {rule}, summed over the edges out of a box"

    def start_caption(self, digits: int = DIGITS) -> str:
        """Step 0's headline: only the seed is known."""
        L = self.names[self.root]
        return f"step 0: the start; only {vocab.partial(L, L)} = {fmt(self.gradient, digits)} is known"

    # -- display

    def key(self) -> list[str]:
        """What each unlabelled node computes, ``["n3 = 0.05 − outY1", ...]``, the root written out first."""
        if self.target is None:
            nodes = walks.topological_order(self.root)
        else:  # a filtered trace: the nodes its steps name
            nodes = list(dict.fromkeys(n for s in self.steps for n in (s.node, s.parent)))
        lines = [text for _, text in vocab.key(nodes, self.names)]
        written = vocab.written(self.root, self.names) if self.target is None else None
        return ([written] if written and lines else []) + lines

    def _rows(self, digits):
        L = self.names[self.root]
        head = ["step", "node", "op", "parent", f"∂{L}/∂node", "∂node/∂parent", "", "", "product"]
        head += [f"∂{L}/∂parent", ""]
        columns = {c: numbers([getattr(s, a) for s in self.steps], digits)
                   for c, a in ((4, "upstream"), (7, "local"), (8, "product"), (9, "grad"))}  # fmt: skip
        rows = []
        for k, s in enumerate(self.steps):
            rows.append([
                str(s.number), s.node_name, s.node.op.label, s.parent_name, columns[4][k],
                vocab.pretty(s.formula), "=", columns[7][k], columns[8][k], columns[9][k],
                "" if s.final else "so far",
            ])  # fmt: skip
        return head, rows

    def table(self, digits: int = DIGITS, width: int | None = None) -> str:
        """The steps as an aligned text table, one line per chain-rule step, then the key of n1, n2, ...

        Each number column has one format (enough decimals for its smallest number, or
        scientific notation for all of it). ``width`` (characters, e.g. the terminal's) makes
        the table fit: columns closer together, then the op column dropped, "so far" shortened
        to ``*``, the = column dropped, and long formulas continued on the next line.
        """
        head, rows = self._rows(digits)
        if not rows:
            return f"(no chain-rule steps from {self.names[self.root]})"
        gap, keep, cut = 2, list(range(len(head))), None
        right = {0, 4, 7, 8, 9}  # numbers align on the right
        starred = False

        def render():
            shown = [[r[c] for c in keep] for r in [head, *rows]]
            f = keep.index(5)
            widths = [max(len(r[i]) for r in shown) for i in range(len(keep))]
            if cut is not None:
                widths[f] = max(cut, len(head[5]))
            lines = []
            for r in shown:
                parts = textwrap.wrap(r[f], widths[f], break_on_hyphens=False) or [""]
                for j, part in enumerate(parts):  # a long formula goes on over the next lines
                    line = [c if j == 0 else "" for c in r]
                    line[f] = part
                    cells = [cell.rjust(w) if keep[i] in right else cell.ljust(w) for i, (cell, w) in
                             enumerate(zip(line, widths))]  # fmt: skip
                    lines.append((" " * gap).join(cells).rstrip())
            lines.insert(1, (" " * gap).join("-" * w for w in widths[:-1]))  # the last column: "so far"
            return lines

        lines = render()
        if width is not None:
            steps = ["gap", "op", "star", "eq", "cut"]
            while max(map(len, lines)) > width and steps:
                step = steps.pop(0)
                if step == "gap":
                    gap = 1
                elif step == "op":
                    keep.remove(2)
                elif step == "eq":
                    keep.remove(6)
                elif step == "star":
                    starred = True
                    for r in rows:
                        r[10] = "*" if r[10] else ""
                elif step == "cut":
                    longest = max(len(r[5]) for r in rows)
                    cut = max(8, longest - (max(map(len, lines)) - width))
                lines = render()
        if starred:
            lines.append("* so far: more steps add to this gradient later")
        key = self.key()
        if key:
            lines.append("")
            lines += _wrap(["key:"] + key, width, "     ")
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
            '<table class="chainrule-trace" style="white-space:nowrap">',
            f"<caption>{markup.markup(caption)}</caption>",
            "<thead><tr>"
            + "".join(
                f'<th style="text-align:{_ALIGN[i in (0, 4, 6, 7)]}">{markup.markup(c)}</th>'
                for i, c in enumerate(head)
            )
            + "</tr></thead>",
            "<tbody>",
        ]
        for r in rows:
            cells = r[:5] + [f"{r[5]} = {r[7]}", r[8], f"{r[9]} {r[10]}".rstrip()]
            tds = "".join(  # aligned as the text table: numbers right, names and formulas left
                f'<td style="text-align:{_ALIGN[i in (0, 4, 6, 7)]}">{markup.markup(c)}</td>'
                for i, c in enumerate(cells)
            )
            out.append(f"<tr>{tds}</tr>")
        out.append("</tbody>")
        key = self.key()
        if key:
            text = "<br/>".join(markup.markup(k) for k in key)
            out.append(
                f'<tfoot><tr><td colspan="{len(head)}" style="text-align:left">{text}</td></tr></tfoot>'
            )
        out.append("</table>")
        return "\n".join(out)


_ALIGN = {True: "right", False: "left"}  # a column of numbers, or of names and formulas


def numbers(values: Sequence[float], digits: int = DIGITS) -> list[str]:
    """One column of numbers in one format: ``digits`` decimals, more if its small numbers need them
    to keep ``digits`` significant digits, or, past ``digits + 4`` decimals, all in scientific notation.

    >>> numbers([1.0, 0.0081295]), numbers([0.5, -2.9927e-05]), numbers([1.0, 1.2e-9])
    (['1.0000000', '0.0081295'], ['0.500000000', '-0.000029927'], ['1.0000e+00', '1.2000e-09'])
    """
    need = digits
    for x in values:
        x = abs(float(x))
        if 0.0 < x < 0.01 and math.isfinite(x):
            need = max(need, digits - 1 - math.floor(math.log10(x)))
    if need > digits + 4:
        return [f"{float(x) + 0.0:.{digits - 1}e}" for x in values]
    return [f"{float(x) + 0.0:.{need}f}" for x in values]


def _wrap(items, width, indent, sep=";  "):
    """``items`` joined by ``sep`` into lines of at most ``width`` characters, never splitting an item."""
    if width is None:
        return [items[0] + " " + sep.join(items[1:])]
    lines, line = [], items[0]
    for k, item in enumerate(items[1:]):
        glue = " " if k == 0 else sep
        if len(line) + len(glue) + len(item) <= width or line.strip() == "":
            line += glue + item
        else:
            lines.append(line.rstrip() + (sep.rstrip() if k else ""))
            line = indent + item
    return lines + [line]


__all__ = ["Step", "Trace", "trace", "record", "numbers"]
