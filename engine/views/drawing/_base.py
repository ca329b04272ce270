"""What both views of a drawing share: the ``Drawing`` class, the style, boxes, clusters and captions."""

import html
import re

import graphviz

from ...markup import markup
from ...value import Value
from ...vocab import fmt, printable
from . import render as _render

MAX_BOXES = 150  # collapsed view: most boxes before grouping more coarsely
MAX_BOX_EDGES = 1_500  # collapsed view: most links between boxes before grouping more coarsely
LOOSE_LIMIT = 40  # collapsed view: most ungrouped Values drawn one by one
DEPTH_BANDS = 12  # collapsed view without scopes: number of depth bands

# Above this many values the layout's search is cut short: a formula that reuses a leaf in
# every term (dense fans of long edges) otherwise takes dot minutes to place (its network
# simplex, nslimit) and graphviz-pure seconds (crossing minimisation, mclimit); with these
# both lay out 300 values in about a second (benchmarks/bench_drawing.py).
QUICK_LAYOUT_ABOVE = 80
QUICK_LAYOUT = {"mclimit": "0.01", "remincross": "false", "nslimit": "2", "nslimit1": "2", "searchsize": "10"}

FONT = "Helvetica"
LEAF_FILL, ROOT_FILL, OP_FILL, BOX_FILL = "#e8f1fb", "#fdebd0", "#eeeeee", "#f7f7f7"
HIGHLIGHT, STEP, EDGE_TEXT = "#d62728", "#e6550d", "#1f4e79"
UNKNOWN_FILL, UNKNOWN_FONT, UPDATED_FILL = "#f2f2f2", "#a0a0a0", "#fdd0a2"
OP_STYLE = {"shape": "ellipse", "style": "filled", "fillcolor": OP_FILL, "width": "0", "height": "0",
            "margin": "0.04,0.02", "fontsize": "10"}  # fmt: skip
CLUSTER_STYLE = [("#f3f6fa", "#9db3cc"), ("#ffffff", "#b0b0b0"), ("#fbfbf3", "#c8c8a0")]


class CollapsedWarning(UserWarning):
    """draw() drew a big graph collapsed (one box per group of nodes) rather than node by node."""


class Drawing(graphviz.Digraph):
    """A ``graphviz.Digraph`` that renders with ``dot`` or, without it, with ``graphviz-pure``.

    ``save(path)`` writes SVG, PNG, JPEG, PDF or DOT (.gv) by the file's extension;
    ``svg()`` returns the SVG text and ``pipe(fmt)`` the bytes; Jupyter shows the drawing
    inline as SVG. ``nodes`` is the number of Values in the graph, ``collapsed`` tells
    whether it was drawn collapsed and ``boxes`` how many boxes that took.
    """

    title = "?"  # the root's name
    nodes = 0
    collapsed = False
    boxes = 0
    step = None

    def __repr__(self):  # no memory address: notebooks saved with outputs stay the same
        view = f"collapsed into {self.boxes:,} boxes" if self.collapsed else "full view"
        frame = f", after step {self.step}" if self.step is not None else ""
        return f"<Drawing of {self.title}: {self.nodes:,} values, {view}{frame}>"

    def copy(self):
        """A copy (graphviz's), keeping what the drawing shows."""
        other = super().copy()
        for name in ("title", "nodes", "collapsed", "boxes", "step"):
            setattr(other, name, getattr(self, name))
        return other

    def save(self, filename=None, directory=None, *, skip_existing=False, renderer=None):
        """Render to the file ``filename``, in the format its extension names (.svg .png .jpg .pdf,
        or .gv/.dot for the DOT text); return its Path. The file is written whole or not at all.

        (graphviz's own ``render()`` calls ``save`` with ``directory`` or ``skip_existing=None``
        to write the DOT text; such calls go to ``graphviz.Digraph.save``.)
        """
        if filename is None or directory is not None or skip_existing is not False:
            return super().save(filename, directory=directory, skip_existing=skip_existing)
        return _render.save(self.source, filename, renderer)

    def svg(self):
        """The drawing as SVG text."""
        return _render.pipe(self.source, "svg").decode("utf-8")

    def pipe(self, format=None, renderer=None, formatter=None, neato_no_op=None, quiet=False, *, engine=None,
             encoding=None):  # fmt: skip
        """As ``graphviz.Digraph.pipe``, through whichever renderer runs (see :mod:`engine.render`).

        ``drawing.pipe("png")`` gives PNG bytes. Graphviz's own options (``renderer``,
        ``formatter``, another ``engine``) go to graphviz, which needs system ``dot``.
        """
        if renderer or formatter or neato_no_op or engine not in (None, "dot"):
            return super().pipe(
                format, renderer, formatter, neato_no_op, quiet, engine=engine, encoding=encoding
            )
        data = _render.pipe(self.source, format or self.format)
        return data.decode(encoding) if encoding else data

    def render(self, *args, **kwargs):
        """graphviz's ``render``, which needs system ``dot``; :meth:`save` works without it."""
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound:
            raise _render.RendererNotFound(
                "Drawing.render() is graphviz's own and needs Graphviz's `dot` on PATH; "
                "drawing.save('graph.png') renders with `dot` or graphviz-pure, whichever runs",
                self.source,
            ) from None

    def _repr_svg_(self):
        return self.svg()

    # Jupyter calls _repr_mimebundle_ (from graphviz), whose _repr_image_* methods call pipe() above.


def _count(n, word):
    """ "1 leaf", "2 leaves", "1,500 values"."""
    plural = {"leaf": "leaves"}.get(word, word + "s")
    return f"{n:,} {word if n == 1 else plural}"


def _esc(text):
    return html.escape(str(text), quote=False)  # text only: no user text goes in an attribute


def scope_title(path):
    """How a cluster or box for a scope path is captioned, in the documents' words.

    "hidden layer/H1" -> "hidden neuron H1", "layer 1/neuron 2" -> "layer 1 · neuron 2",
    "hidden layer" -> "hidden layer".
    """
    parts = printable(path).split("/")
    last = parts[-1]
    if len(parts) == 1:
        return last
    parent = parts[-2]
    if last.startswith("neuron"):
        return f"{parent} · {last}"
    if parent.endswith(" layer") and " " not in last:
        return f"{parent[: -len(' layer')]} neuron {last}"
    return last


def _new_drawing(root, names, rankdir):
    g = Drawing(name="chainrule")
    g.title = names[root]
    g.attr(rankdir=rankdir, fontname=FONT, fontsize="11", nodesep="0.3", ranksep="0.35")
    g.attr("node", fontname=FONT, fontsize="11")
    g.attr("edge", fontname=FONT, fontsize="10", arrowsize="0.7")
    return g


def _caption(g, lines, top, headline=None):
    """Set the drawing's caption: an optional bold headline, then lines, all left-aligned."""
    # w^(2)_1 as w⁽²⁾₁: one run of text, which both renderers measure (HTML scripts where Unicode has none)
    text = "".join(f"{_scripts(_unicode_scripts(line))}<br align='left'/>" for line in lines)
    if headline is not None:
        headline = _scripts(_unicode_scripts(headline))
        text = f'<font point-size="14"><b>{headline}</b></font><br align="left"/>' + text
    if text:
        g.attr(label=f"<{text}>", labelloc="t" if top else "b", labeljust="l")


def _place(g, clusters, loose, unboxed=()):
    """Declare the nodes: ``clusters`` maps a scope path to its ``(name, attrs)`` node specs.

    Every prefix of a path is an enclosing cluster ("layer 1/neuron 2" sits in
    "layer 1"); clusters are numbered in order of first appearance. ``loose`` nodes
    belong to no cluster. A scope in ``unboxed`` (a layer whose parameters are drawn as one
    table, top to bottom) groups its nodes without a box: its neurons' boxes already say which
    layer they are in, and a box would have to stand beside the previous layer's (their ranks
    meet), making the picture twice as wide.
    """
    children = {}  # path -> child paths, in order of first appearance
    for path in clusters:
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            if prefix not in children:
                children[prefix] = []
                if depth > 1:
                    children["/".join(parts[: depth - 1])].append(prefix)
    ids = {path: f"cluster_{i}" for i, path in enumerate(children)}

    def build(path, depth):
        fill, line = CLUSTER_STYLE[min(depth, len(CLUSTER_STYLE) - 1)]
        if path in unboxed:  # a layer drawn as its table of parameters: a plain group, not a box
            sub = graphviz.Digraph(name=ids[path].replace("cluster_", "group_"))
        else:
            sub = graphviz.Digraph(name=ids[path])
            sub.attr(label=graphviz.escape(scope_title(path)), style="rounded,filled", fillcolor=fill,
                     color=line, labeljust="l")  # fmt: skip
        specs = clusters.get(path, ())
        for name, attrs in specs:
            sub.node(name, **attrs)
        for child in children[path]:
            sub.subgraph(build(child, depth + 1))
        return sub

    for path in children:
        if "/" not in path:
            g.subgraph(build(path, 0))
    for name, attrs in loose:
        g.node(name, **attrs)


def _title(v, names):
    """A box's title: the label in bold (``w^(2)_1`` with real scripts), or the generated name in italics."""
    return f"<b>{_scripts(printable(v.label))}</b>" if v.label else f"<i>{_esc(names[v])}</i>"


def _scripts(text):
    """Text for an HTML-like label, ``^``/``_`` as smaller super- and subscripts (engine.markup.markup)."""
    return (
        markup(str(text))
        .replace("<sup>", '<font point-size="8"><sup>')
        .replace("<sub>", '<font point-size="8"><sub>')
        .replace("</sup>", "</sup></font>")
        .replace("</sub>", "</sub></font>")
    )


_SUP = str.maketrans("0123456789()+-=n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾⁺⁻⁼ⁿ")
_SUB = str.maketrans("0123456789()+-=", "₀₁₂₃₄₅₆₇₈₉₍₎₊₋₌")
_SCRIPT = re.compile(r"(\^|_)(\([^()]*\)|\{[^{}]*\}|[A-Za-z0-9]+)")


def _unicode_scripts(text):
    """``∂z^(2)_1/∂w^(2)_{1,2}`` as ``∂z⁽²⁾₁/∂w⁽²⁾₁,₂`` where every character has a Unicode script form."""

    def one(m):
        body = m.group(2)[1:-1] if m.group(2).startswith("{") else m.group(2)
        table, allowed = (_SUP, "0123456789()+-=n") if m.group(1) == "^" else (_SUB, "0123456789()+-=,")
        if all(c in allowed for c in body):
            return body.translate(table)
        return m.group(0)

    return _SCRIPT.sub(one, text)


# Widths of Helvetica's stand-ins (DejaVu Sans, the widest common one), in ems: a cell given
# the width of its widest possible text keeps one size whatever it shows.
_EM = {**dict.fromkeys("0123456789", 0.64), ".": 0.32, "-": 0.37, "+": 0.84, " ": 0.32, "?": 0.54,
       "e": 0.62, "g": 0.64, "r": 0.42, "a": 0.62, "d": 0.64, "t": 0.4, "n": 0.64, "i": 0.28,
       "f": 0.36}  # fmt: skip


def _text_width(text, size=11):
    """A generous estimate of ``text``'s width in points at font size ``size``."""
    return size * sum(_EM.get(c, 0.7) for c in text)


def _cell_width(texts, size=11):
    """The width (points) of a table cell that fits each of ``texts``: padding and border included."""
    return int(max(map(_text_width, texts), default=0) + 2 * 3 + 2 + 2) if texts else 0


def _table(cells, rankdir, fill, border=None):
    """An HTML-like box: cells in a row (LR) or a column (TB); a thick ``border`` when highlighted."""
    rows = _black("".join(cells) if rankdir == "LR" else "</tr><tr>".join(cells))
    return f"<{_table_tag(fill, border)}<tr>{rows}</tr></table>>"


def _table_tag(fill, border=None):
    # always a 2-point border (transparent when not highlighted), so highlighting moves nothing;
    # a table's colour is also its cells' default, so cells are given black again (see _black)
    frame = f'border="2" color="{border or "transparent"}"'
    return f'<table {frame} cellborder="1" cellspacing="0" cellpadding="3" bgcolor="{fill}">'


def _black(cells):
    """Cells (``<td ...>`` text) with black borders, whatever colour their table's border has."""
    return cells.replace("<td", '<td color="black"')


def _highlights(nodes, edges, order):
    """Check the Values and (a, b) pairs to highlight; return a set of Values and a set of (input, node)."""
    present = set(order)
    nodes = [nodes] if isinstance(nodes, Value) else list(nodes)
    for v in nodes:
        if not isinstance(v, Value):
            raise TypeError(f"highlight takes Values, not {v!r} (edges go in highlight_edges)")
        if v not in present:
            raise ValueError(f"highlight: {v!r} is not in the graph being drawn")
    if isinstance(edges, tuple) and len(edges) == 2 and all(isinstance(x, Value) for x in edges):
        edges = [edges]  # one pair given on its own
    pairs = set()
    for pair in edges:
        if not (
            isinstance(pair, (tuple, list)) and len(pair) == 2 and all(isinstance(x, Value) for x in pair)
        ):
            raise TypeError(f"highlight_edges takes (Value, Value) pairs, not {pair!r}")
        a, b = pair
        if b in present and any(p is a for p in b.parents):
            pairs.add((a, b))
        elif a in present and any(p is b for p in a.parents):
            pairs.add((b, a))
        else:
            raise ValueError(f"highlight_edges: no edge joins {a!r} and {b!r} in the graph being drawn")
    return set(nodes), pairs


def _num(x, precision):
    """A number as every view rounds it (engine.vocab.fmt), ``precision`` decimals."""
    return fmt(x, precision)
