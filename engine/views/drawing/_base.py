"""What both views of a drawing share: the ``Drawing`` class, the style, escaping, boxes and captions."""

import base64
import functools
import html
import re

import graphviz

from ...value import Value
from ...vocab import printable
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
    as an image of its SVG fitted to the cell (``html()``), with a PNG beside it. ``nodes`` is the
    number of Values in the graph, ``collapsed`` tells whether it was drawn collapsed and ``boxes``
    how many boxes that took.
    """

    title = "?"  # the root's name
    nodes = 0
    collapsed = False
    boxes = 0
    step: int | None = None

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

    def html(self):
        """The drawing as an HTML ``<img>`` of its SVG that fits its cell: as wide as the cell at most,
        never with text under 10 px on screen (a wider picture scrolls sideways instead)."""
        return picture_html(self.svg(), repr(self))

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        """What Jupyter shows: the picture fitted to the cell (HTML: an image of its SVG), a PNG for
        viewers that show no HTML image (GitHub, a PDF export) and the text form, each rendered when
        asked for; the SVG alone (``image/svg+xml``) only when asked for by name, since the HTML holds it."""
        makers = {
            "text/html": self.html,
            "image/png": lambda: palette_png(self.pipe("png")),
            "text/plain": lambda: repr(self),
        }
        if include and "image/svg+xml" in include:
            makers["image/svg+xml"] = self.svg
        wanted = [m for m in makers if (include is None or m in include) and not (exclude and m in exclude)]
        return {m: makers[m]() for m in wanted}


LEGIBLE_PX = 10.0  # the smallest text on screen a fitted picture shows (px)
FIT_WIDTH = 848.0  # pt: a drawing this wide shows 10-pt text at 10 px in an 848-px notebook column
_SIZE = re.compile(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"')
_FONT = re.compile(r'font-size="([\d.]+)"')


def picture_html(svg: str, alt: str = "drawing") -> str:
    """An ``<img>`` of Graphviz SVG text that fits the cell: at most its natural size and the cell's
    width, and never so small that its smallest text is under :data:`LEGIBLE_PX` (then it keeps that
    size and scrolls sideways in its own box). An image, not inline SVG: it shows in an untrusted
    notebook too (JupyterLab keeps an ``<img>`` of a data URL and drops inline SVG)."""
    size = _SIZE.search(svg)
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    alt = html.escape(alt, quote=True)
    if size is None:
        return f'<img src="data:image/svg+xml;base64,{data}" alt="{alt}" style="max-width:100%">'
    width, height = (float(x) * 4 / 3 for x in size.groups())  # pt -> CSS px
    fonts = [float(x) for x in _FONT.findall(svg)]
    smallest = min(fonts, default=14.0) * 4 / 3  # px at natural size
    least = min(width, width * LEGIBLE_PX / smallest)  # the narrowest width at which text is legible
    return (
        f'<div style="overflow-x:auto;max-width:100%"><img src="data:image/svg+xml;base64,{data}" '
        f'alt="{alt}" width="{width:.0f}" height="{height:.0f}" '
        f'style="max-width:100%;min-width:{least:.0f}px;height:auto"></div>'
    )


def palette_png(png: bytes) -> bytes:
    """PNG bytes in 256 colours on white (a drawing has few): a third of the size, kept in notebooks."""
    import io

    from PIL import Image

    image: Image.Image = Image.open(io.BytesIO(png))
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        canvas = Image.new("RGB", image.size, "white")
        canvas.paste(image, (0, 0), image)
        image = canvas
    out = io.BytesIO()
    image.convert("RGB").quantize(256, method=Image.Quantize.FASTOCTREE).save(out, "PNG")
    return out.getvalue()


def counted(n, word):
    """ "1 leaf", "2 leaves", "1,500 values"."""
    plural = {"leaf": "leaves"}.get(word, word + "s")
    return f"{n:,} {word if n == 1 else plural}"


_XML_INVALID = re.compile("[\ufffe\uffff]")  # not characters at all: Graphviz's XML parser refuses them


def escape(text: object) -> str:
    """Text as it may stand in a Graphviz HTML-like label: the one way any text gets into one.

    Control characters become their pictures and lone surrogates � (``vocab.printable``), and
    ``&``, ``<`` and ``>`` entities, so a label ``<FONT POINT-SIZE="60">`` or ``<!--<script>``
    reads as written. Quotes stay as they are: text only ever stands between tags, never in an
    attribute value.
    """
    return html.escape(_XML_INVALID.sub("\ufffd", printable(str(text))), quote=False)


def quote(text: object) -> str:
    """A DOT attribute value or id, quoted when it is not a plain ID (as the graphviz package quotes it)."""
    text = str(text)
    if _ID.match(text) and text.lower() not in _KEYWORDS:
        return text
    return f'"{dot_text(text)}"'


def dot_text(text: object) -> str:
    """Text for inside a quoted DOT string: printable (as :func:`escape`), backslashes and double
    quotes escaped, so that it is always one string and says what it says (``\\N`` stays two characters)."""
    text = _XML_INVALID.sub("\ufffd", printable(str(text)))
    return text.replace("\\", "\\\\").replace('"', '\\"')


_ID = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*|-?(\.[0-9]+|[0-9]+(\.[0-9]*)?))$")
_KEYWORDS = {"node", "edge", "graph", "digraph", "subgraph", "strict"}


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


def header(rankdir):
    """The DOT lines every drawing opens with: the direction, fonts and spacing."""
    return [
        f"\tfontname={FONT} fontsize=11 nodesep=0.3 rankdir={rankdir} ranksep=0.35\n",
        f"\tnode [fontname={FONT} fontsize=11]\n",
        f"\tedge [arrowsize=0.7 fontname={FONT} fontsize=10]\n",
    ]


def new_drawing(root, names, rankdir):
    g = Drawing(name="chainrule")
    g.title = names[root]
    g.body += header(rankdir)
    return g


def caption_line(lines, top, headline=None):
    """The DOT line of a caption: an optional bold headline, then ``lines``, all left-aligned; or None."""
    text = _lines(tuple(lines))
    if headline is not None:
        head = "".join(f'<font point-size="14"><b>{rich(part)}</b></font><br align="left"/>'
                       for part in wrapped(str(headline)))  # fmt: skip
        text = head + text
    if not text:
        return None
    return f"\tlabel=<{text}> labeljust=l labelloc={'t' if top else 'b'}\n"


HEADLINE_WIDTH = 66  # characters: a longer headline is broken between words (it is 14-pt bold)


def wrapped(text, width=HEADLINE_WIDTH):
    """``text`` in lines of at most ``width`` characters, broken at spaces (a longer word stands alone)."""
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return lines + [line]


@functools.lru_cache(maxsize=256)  # a legend is the same in every frame of a trace
def _lines(lines):
    # w^(2)_1 as w⁽²⁾₁: one run of text, which both renderers measure (HTML scripts where Unicode has none)
    return "".join(f"{rich(line)}<br align='left'/>" for line in lines)


def add_caption(g, lines, top, headline=None):
    """Add the drawing's caption (see :func:`caption_line`)."""
    line = caption_line(lines, top, headline)
    if line is not None:
        g.body.append(line)


def node_title(v, names):
    """A box's title: the label in bold (``w^(2)_1`` with real scripts), or the generated name in italics."""
    return f"<b>{rich(v.label)}</b>" if v.label else f"<i>{escape(names[v])}</i>"


def scripted(text):
    """Text for an HTML-like label, :func:`escape`'d, ``^``/``_`` as smaller super- and subscripts
    (``w^(2)_{1,2}`` as engine.markup writes it)."""
    text, out, last = str(text), [], 0
    for m in _SCRIPT.finditer(text):
        body = m.group(2)[1:-1] if m.group(2).startswith("{") else m.group(2)
        tag = "sup" if m.group(1) == "^" else "sub"
        out.append(
            f'{escape(text[last : m.start()])}<font point-size="8"><{tag}>{escape(body)}</{tag}></font>'
        )
        last = m.end()
    out.append(escape(text[last:]))
    return "".join(out)


def rich(text):
    """Text for an HTML-like label, scripts as Unicode where it has them, else as HTML (:func:`scripted`)."""
    return scripted(unicode_scripts(str(text)))


_SUP = str.maketrans("0123456789()+-=n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾⁺⁻⁼ⁿ")
_SUB = str.maketrans("0123456789()+-=", "₀₁₂₃₄₅₆₇₈₉₍₎₊₋₌")
_SCRIPT = re.compile(r"(\^|_)(\([^()]*\)|\{[^{}]*\}|[A-Za-z0-9]+)")


def unicode_scripts(text):
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


def text_width(text, size=11):
    """A generous estimate of ``text``'s width in points at font size ``size``."""
    return size * sum(_EM.get(c, 0.7) for c in text)


def cell_width(texts, size=11):
    """The width (points) of a table cell that fits each of ``texts``: padding and border included."""
    return int(max(map(text_width, texts), default=0) + 2 * 3 + 2 + 2) if texts else 0


def table_cell(cells, rankdir, fill, border=None):
    """An HTML-like box: cells in a row (LR) or a column (TB); a thick ``border`` when highlighted."""
    rows = black_cells("".join(cells) if rankdir == "LR" else "</tr><tr>".join(cells))
    return f"<{table_tag(fill, border)}<tr>{rows}</tr></table>>"


def table_tag(fill, border=None):
    # always a 2-point border (transparent when not highlighted), so highlighting moves nothing;
    # a table's colour is also its cells' default, so cells are given black again (see black_cells)
    frame = f'border="2" color="{border or "transparent"}"'
    return f'<table {frame} cellborder="1" cellspacing="0" cellpadding="3" bgcolor="{fill}">'


def black_cells(cells):
    """Cells (``<td ...>`` text) with black borders, whatever colour their table's border has."""
    return cells.replace("<td", '<td color="black"')


def highlights(nodes, edges, order):
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
