"""Watch one sample learn: its graph laid out once, its numbers at every update, the optimizer's state.

:class:`Sample` is the graph of one training sample's loss (that row's loss, without the
batch mean or the L2 penalty), drawn once with the engine's drawing (the full view, a layout in
a state, when it is small; else the collapsed view, one box per neuron) and rendered by
Graphviz once. Its SVG becomes a template: every box's data and grad text and every edge's
local derivative is a slot, hooked for tools with ``data-node``, ``data-data`` and ``data-grad``
(``data-edge`` and ``data-local`` on edges), the numbers in full precision (``repr``).

:meth:`Sample.numbers` reads one frame's numbers from a recorded pass of that sample at the
model's current weights (``engine.trace``'s record: a forward pass, then the backward loop's
steps, with no ``.grad`` changed); nothing here computes a derivative. A frame is the template
filled with those numbers (:meth:`Sample.svg`), in Python for the live view and in the page's
script for ``history.animate("train.html", watch=i)`` (:func:`page`).
"""

import base64
import html
import io
import math
import re
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import engine
from engine import walks
from engine.record.tracing import record
from engine.views.drawing import FULL_LIMIT, DrawOptions, full, scene_of
from engine.vocab import fmt

DIGITS = 4  # decimals shown in the boxes (the hooks hold every digit)
LEGIBLE = 0.65  # the graph is never drawn smaller than this × its natural size (11-pt text at ≥ 9.5 px)
CELL = 848  # px: a notebook cell's width in JupyterLab's default layout, what the live view fits
REGION_GRID = 72  # points per side of the page's decision-region images


class TemplateError(ValueError):
    """The drawing's texts could not all be matched to the graph's nodes and edges (say, two labels that
    differ only in punctuation): the picture would show a number in the wrong box, so none is drawn."""


@dataclass
class Numbers:
    """One frame's numbers of the watched sample: per shown node its data and grad (the sample's
    ∂L/∂node), per labelled edge its local derivative ∂out/∂in."""

    data: list[float]
    grad: list[float]
    local: list[float]
    loss: float


class Sample:
    """The graph of sample ``index`` (row ``x``, target ``target``), laid out and rendered once.

    ``names`` are the shown nodes' names (as ``engine.trace`` names them), ``edges`` the labelled
    edges' names (``∂out/∂in``); ``collapsed`` says which view was drawn.
    """

    def __init__(self, model: Any, x: Sequence[float], target: Any, loss_fn: Any, index: int) -> None:
        self.x, self.target, self.loss_fn, self.index = list(x), target, loss_fn, index
        L, order = self.graph(model)
        t = record(L)
        self.size = len(order)
        names = t.names
        # the full view when it is small (each edge labelled; without the labels if a label's text
        # cannot be found in the drawing), else one box per neuron: the first whose texts all match
        views = ["full", "plain", "collapsed"] if len(order) <= FULL_LIMIT else ["collapsed"]
        for view in views:
            if view == "collapsed":  # one box per neuron: the engine's collapsed view
                drawing = engine.draw(L, collapse=True, digits=DIGITS, legend=False)
                boxes, edges = _collapsed_boxes(drawing.source, order, names), list[tuple[int, int]]()
            else:  # every node, each edge with its local derivative: a layout in a state
                options = DrawOptions(edge_labels=view == "full", digits=DIGITS, legend=False, collapse=False)
                scene = scene_of(t, options)
                drawing = full(scene.layout, scene.still())
                boxes, edges = _full_boxes(scene.layout)
                edges = edges if view == "full" else []
            self.edges = edges  # (position of the node, index of the parent), per labelled edge
            self.edge_ends = [(names[order[k]], names[order[k].parents[i]]) for k, i in edges]
            self.edge_names = [f"∂{node}/∂{parent}" for node, parent in self.edge_ends]
            try:
                self.pieces, self.slots, self.shown, self.edge_labels = _template(
                    drawing.svg(), boxes, self.edge_names
                )
                break
            except TemplateError:
                if view == views[-1]:
                    raise
        self.collapsed = view == "collapsed"
        self.names = [names[order[k]] for k in self.shown]  # the shown nodes' names, as trace names them
        self.pieces = _hooked(self.pieces, self.slots, self.names, self.edge_names, self.edge_labels)

    def graph(self, model: Any) -> tuple[Any, list]:
        """The sample's loss at the model's current weights (a new graph) and its nodes in forward order."""
        L = self.loss_fn(model(self.x), self.target)
        if not L.label:
            L.label = "L"
        return L, walks.forward_order(L)

    def numbers(self, model: Any) -> Numbers:
        """The sample's numbers at the model's weights now, read from one recorded pass (no .grad changes)."""
        L, order = self.graph(model)
        t = record(L)
        known, _ = t.state(len(t))
        local = t.locals()
        data = [order[k].data for k in self.shown]
        grad = [known.get(order[k], 0.0) for k in self.shown]
        edges = [local.get((order[k], i), math.nan) for k, i in self.edges]
        return Numbers(data, grad, edges, L.data)

    def svg(self, numbers: Numbers) -> str:
        """The graph's SVG in the state ``numbers`` (the template's slots filled)."""
        out = [self.pieces[0]]
        labels = self.edge_labels
        for (kind, k), piece in zip(self.slots, self.pieces[1:]):
            out.append(_slot(kind, getattr(numbers, kind)[k], labels[k] if kind == "local" else ""))
            out.append(piece)
        return "".join(out)


def _slot(kind: str, x: float, label: str = "") -> str:
    """A hooked text's attribute and content: ``data-grad="0.1234567..">grad 0.1235`` (an edge's:
    ``data-local="0.5">∂z/∂w = 0.5000``)."""
    shown = f"{label} = {fmt(x, DIGITS)}".lstrip() if kind == "local" else f"{kind} {fmt(x, DIGITS)}"
    return f'data-{kind}="{x!r}">{html.escape(shown)}'


def _full_boxes(layout: Any) -> tuple[dict, list]:
    """The full view's boxes, {node id: positions of its Values, row by row}, and its labelled edges
    as (position of the node, parent index), as the layout lists them."""
    position = {v: k for k, v in enumerate(layout.order)}
    boxes = {}
    for block in layout.blocks:
        if block[0] == "box":
            values, table_id = block[2], block[3]
            boxes[table_id or layout.ids[values[0]]] = [position[v] for v in values]
    edges = [(position[e.node], e.index) for e in layout.edges if e.index is not None]
    return boxes, edges


_NODE = re.compile(r"^\t*(\w+) \[label=<(.*)> shape=plain\]$", re.M)
_ROW = re.compile(r"<tr>(.*?)</tr>")
_CELL = re.compile(r"<td[^>]*>(.*?)</td>")


def _plain(markup: str) -> str:
    """A box title's letters and digits (``<b>a<sup>(1)</sup><sub>3</sub></b>``, ``a⁽¹⁾₃`` -> ``a13``)."""
    text = unicodedata.normalize("NFKC", html.unescape(re.sub(r"<[^>]*>", "", markup)))  # ⁽¹⁾₃ -> (1)3
    return re.sub(r"[^0-9A-Za-z]", "", text)


def _collapsed_boxes(source: str, order: list, names: dict) -> dict:
    """The collapsed view's boxes, {node id: positions of the Values in its rows with a data and a grad
    cell}, each row matched to its node by its title (the letters and digits of the node's name)."""
    by_name: dict[str, list] = {}
    for k, v in enumerate(order):
        by_name.setdefault(_plain(html.escape(names[v])), []).append(k)
    boxes = {}
    for node_id, label in _NODE.findall(source):
        rows = []
        for row in _ROW.findall(label):
            cells = _CELL.findall(row)
            if len(cells) == 3 and cells[1].startswith("data ") and cells[2].startswith("grad "):
                found = by_name.get(_plain(cells[0]), [])
                if len(found) != 1:
                    raise TemplateError(
                        f"watch: the collapsed drawing's row {cells[0]!r} matches {len(found)} nodes by "
                        "their names; give the nodes labels that differ in their letters or digits"
                    )
                rows.append(found[0])
        boxes[node_id] = rows
    return boxes


_GROUP = re.compile(r'<g id="[^"]*" class="(node|edge)">\s*<title>([^<]*)</title>(.*?)</g>', re.S)
_TEXT = re.compile(r"<text([^>]*)>([^<]*)</text>")


def _template(svg: str, boxes: dict, edge_names: list) -> tuple[list, list, list, list]:
    """The SVG cut into pieces around its slots (each shown node's data and grad text, each labelled
    edge's number), the slots ("data", k), ("grad", k), ("local", j), and the positions of the shown
    nodes (k). A node's texts are found in its group (its title is the DOT id), row by row; an edge's
    by its label's names. A text that is not where it should be is an error, not a guess."""
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    svg = re.sub(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', _sized, svg, count=1)
    free: dict[str, list[int]] = {}
    for j, name in enumerate(edge_names):
        free.setdefault(_plain_edge(name), []).append(j)
    where: dict[int, tuple] = {}  # start of the text -> (attributes' end, end of content, kind, k)
    shown: list[int] = []
    labels = [""] * len(edge_names)  # each edge's name as drawn (∂z⁽¹⁾₁/∂w⁽¹⁾₁,₁)
    found_edges = 0
    for group in _GROUP.finditer(svg):
        kind, title, base = group.group(1), html.unescape(group.group(2)), group.start(3)
        texts = [(m, html.unescape(m.group(2))) for m in _TEXT.finditer(group.group(3))]
        if kind == "node":
            rows = boxes.get(title)
            if not rows:
                continue
            datas = [m for m, c in texts if c.startswith("data ")]
            grads = [m for m, c in texts if c.startswith("grad ")]
            if len(datas) != len(rows) or len(grads) != len(rows):
                raise TemplateError(
                    f"the drawing's box {title} has {len(datas)} data texts for {len(rows)} rows"
                )
            for position, d, g in zip(rows, datas, grads):
                k = len(shown)
                shown.append(position)
                where[base + d.start()] = (base + d.start(2) - 1, base + d.end(2), "data", k)
                where[base + g.start()] = (base + g.start(2) - 1, base + g.end(2), "grad", k)
        else:
            for i, (m, content) in enumerate(texts):
                # one line "∂out/∂in = 0.95000", or two: "∂out/∂in" above "= 0.95000" (the slot)
                below = texts[i + 1] if i + 1 < len(texts) and texts[i + 1][1].startswith("= ") else None
                if content.startswith("∂") and (" = " in content or below):
                    drawn = content.rsplit(" = ", 1)[0] if " = " in content else content
                    options = free.get(_plain_edge(drawn), [])
                    if not options:
                        raise TemplateError(f"the edge label {content!r} matches no edge of the graph")
                    j = options.pop(0)
                    slot = m if " = " in content else below[0]  # type: ignore[index]
                    labels[j] = drawn if slot is m else ""  # two lines: the slot holds "= number" only
                    where[base + slot.start()] = (base + slot.start(2) - 1, base + slot.end(2), "local", j)
                    found_edges += 1
    if found_edges != len(edge_names) or len(shown) != sum(map(len, boxes.values())):
        raise TemplateError(
            f"the drawing shows {len(shown)} boxes' rows and {found_edges} edge labels; expected "
            f"{sum(map(len, boxes.values()))} and {len(edge_names)}"
        )
    pieces, slots, last = [], [], 0
    for start in sorted(where):
        attrs_end, end, kind, k = where[start]
        pieces.append(svg[last:attrs_end])
        slots.append((kind, k))
        last = end
    pieces.append(svg[last:])
    return [slim(piece) for piece in pieces], slots, shown, labels


_NOISE = re.compile(
    r"<title>[^<]*</title>|\s(?:id|class)=\"(?:graph|node|edge|clust)\w*\"|\sfont-family=\"Helvetica,sans-Serif\""
    r"|\sstroke=\"transparent\"|<polygon fill=\"none\" points=\"[^\"]*\"/>|\stext-anchor=\"start\""
)
_POLYGON = re.compile(r'<polygon ([^>]*?)points="([^"]*)"/>')


def slim(svg: str) -> str:
    """A piece of Graphviz's SVG with what the page does not need left out: titles, ids, classes, the
    font (the style sheet sets it), invisible borders, whitespace between tags; rectangles as <rect>."""
    svg = _NOISE.sub("", svg)
    svg = re.sub(r">\s+<", "><", svg)
    return _POLYGON.sub(_rect, svg)


def _rect(match: Any) -> str:
    """An axis-aligned closed 5-point polygon as a <rect>; any other polygon as it was."""
    attrs, points = match.group(1), match.group(2).split()
    if len(points) != 5 or points[0] != points[4]:
        return match.group(0)
    try:
        xy = [tuple(float(c) for c in p.split(",")) for p in points[:4]]
    except ValueError:
        return match.group(0)
    xs, ys = {x for x, _ in xy}, {y for _, y in xy}
    if len(xs) != 2 or len(ys) != 2:
        return match.group(0)
    x0, y0 = min(xs), min(ys)
    return f'<rect {attrs}x="{x0:g}" y="{y0:g}" width="{max(xs) - x0:g}" height="{max(ys) - y0:g}"/>'


def _hooked(pieces: list, slots: list, names: list, edge_names: list, labels: list) -> list:
    """The pieces with each slot's hooks before it: ``data-node="a₁" data-k="3" `` (edges: data-edge,
    and data-label, the edge's name as drawn)."""
    out = [pieces[0]]
    for (kind, k), piece in zip(slots, pieces[1:]):
        hook = (f' data-edge="{html.escape(edge_names[k])}" data-label="{html.escape(labels[k])}"'
                if kind == "local" else f' data-node="{html.escape(names[k])}"')  # fmt: skip
        out[-1] += f'{hook} data-k="{k}" '
        out.append(piece)
    return out


def _plain_edge(text: str) -> str:
    """An edge's name, scripts as plain digits, for matching the drawn label to the layout's edge."""
    table = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾₀₁₂₃₄₅₆₇₈₉₍₎", "0123456789()0123456789()")
    return re.sub(r"[^0-9A-Za-z∂/#]", "", html.unescape(text).translate(table))


def _sized(match: Any) -> str:
    w, h = (float(x) * 4 / 3 for x in match.groups())  # pt -> CSS px
    return f'<svg width="{w:.0f}" height="{h:.0f}" class="watch-graph"'


def width(sample_svg: str) -> tuple[float, float]:
    """The SVG's natural width and height in CSS px."""
    m = re.search(r'<svg width="(\d+)" height="(\d+)"', sample_svg)
    return (float(m.group(1)), float(m.group(2))) if m else (CELL, 400.0)


def shown_width(natural: float, room: float = CELL) -> float:
    """How wide the graph is drawn: the cell's width, but never under LEGIBLE × natural (it pans then)."""
    return min(natural, max(room, natural * LEGIBLE))


# -- the optimizer's table


def optimizer_state(optimizer: Any) -> dict[str, list[float]]:
    """The optimizer's numbers per parameter now: value, grad, and its own state (m and v, velocity)."""
    state = {"value": [p.data for p in optimizer.params], "grad": [p.grad for p in optimizer.params]}
    own = getattr(optimizer, "state", None)
    if callable(own):
        state.update(own())
    return state


def param_names(optimizer: Any) -> list[str]:
    """Each of the optimizer's parameters by its label (p1, p2, ... when it has none)."""
    return [p.label or f"p{k}" for k, p in enumerate(optimizer.params, 1)]


COLUMNS = ("value", "grad", "m", "v", "velocity")


def table(names: Sequence[str], state: dict[str, list[float]]) -> str:
    """The optimizer's table as HTML: a row per parameter, hooked ``data-param``, ``data-data``,
    ``data-grad`` and (Adam) ``data-m``, ``data-v`` or (momentum) ``data-velocity``."""
    columns = [c for c in COLUMNS if c in state]
    head = "".join(f"<th>{c}</th>" for c in ["parameter", *columns])
    rows = []
    for k, name in enumerate(names):
        attrs = "".join(f' data-{_hook(c)}="{state[c][k]!r}"' for c in columns)
        cells = "".join(f"<td>{fmt(state[c][k], DIGITS)}</td>" for c in columns)
        rows.append(
            f'<tr data-param="{html.escape(name)}"{attrs}><td>{engine.markup.markup(name)}</td>{cells}</tr>'
        )
    return (
        f'<table class="watch-optimizer"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def _hook(column: str) -> str:
    return "data" if column == "value" else column


STYLE = """
.watch{font-family:Helvetica,Arial,sans-serif;font-size:13px;max-width:100%}
.watch img.watch-picture{width:100%;max-width:960px;height:auto;display:block}
.watch-box{overflow:auto;max-width:100%;border:1px solid #ddd;margin-top:4px}
.watch-table-box{max-height:260px}
.watch-optimizer{border-collapse:collapse;font-size:12px}
.watch-optimizer th,.watch-optimizer td{border:1px solid #ccc;padding:1px 6px;white-space:nowrap}
.watch-optimizer td+td{text-align:right;font-variant-numeric:tabular-nums}
.watch-optimizer thead th{position:sticky;top:0;background:#f4f4f4}
.watch-caption{margin:4px 0;font-weight:bold}
.watch svg text{font-family:Helvetica,Arial,sans-serif;white-space:pre}
"""


def live_html(picture_png: bytes, sample: Sample, numbers: Numbers, names: Sequence[str],
              state: dict[str, list[float]], caption: str) -> str:  # fmt: skip
    """The live view's one output: the picture (loss, boundary with the sample marked), the sample's
    graph and the optimizer's table, at most a cell wide."""
    svg = sample.svg(numbers)
    natural, _ = width(svg)
    legible = shown_width(natural)
    svg = svg.replace('class="watch-graph"', 'class="watch-graph" style="width:100%;height:auto"', 1)
    image = base64.b64encode(small_png(picture_png)).decode("ascii")
    zoom = ""  # the graph fits the cell; when that makes its text small, a box (CSS only) draws it legible
    if legible > CELL:
        scope = f"watch-z{natural:.0f}"
        zoom = (
            f"<style>.{scope}:has(input:checked) + .watch-graph-box{{max-height:480px}}"
            f".{scope}:has(input:checked) + .watch-graph-box svg{{width:{legible:.0f}px !important}}</style>"
            f'<label class="{scope}"><input type="checkbox"> legible size (the graph pans)</label>'
        )
    return (
        f'<div class="watch" style="max-width:{CELL}px"><style>{STYLE}</style>'
        '<img class="watch-picture" alt="training loss and decision boundary" '
        f'src="data:image/png;base64,{image}">'
        f'<div class="watch-caption">{html.escape(caption)}</div>{zoom}'
        f'<div class="watch-box watch-graph-box">{svg}</div>'
        f'<div class="watch-caption">the optimizer, per parameter</div>'
        f'<div class="watch-box watch-table-box">{table(names, state)}</div></div>'
    )


def small_png(data: bytes) -> bytes:
    """A PNG as 128 colours (the picture has few: regions, points, curves, text): a quarter of the bytes."""
    from PIL import Image

    image = Image.open(io.BytesIO(data)).convert("RGB")
    paletted = image.quantize(colors=128, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    out = io.BytesIO()
    paletted.save(out, "PNG", compress_level=6)
    return out.getvalue()


def caption(sample: Sample, numbers: Numbers | None = None, step: int = 0, total: int = 0) -> str:
    """What the graph shows, in words (with ``numbers``: after update ``step`` of ``total``)."""
    view = f"collapsed, one box per neuron, {sample.size} values" if sample.collapsed else (
        f"{sample.size} values, each edge ∂out/∂in")  # fmt: skip
    when = f" after update {step} of {total}: its loss L = {fmt(numbers.loss, DIGITS)}," if numbers else ":"
    return (f"sample {sample.index}{when} each box its data and grad = ∂L/∂(box) for this sample "
            f"alone ({view})")  # fmt: skip


def mark(picture: Any, x: Sequence[float]) -> None:
    """Ring the watched sample on the picture's boundary plot (when it has one)."""
    board = getattr(picture, "board", None)
    if board is not None and len(x) == 2:
        board.scatter([x[0]], [x[1]], s=160, facecolors="none", edgecolors="black", linewidths=2, zorder=5)


# -- the page


def pack_frames(rows: Sequence[Sequence[float]]) -> str:
    """Frames of floats (one row of n numbers per snapshot) in few characters, every bit kept: each
    double XOR the same number of the previous frame (slowly moving numbers share their high bytes),
    the bytes in eight planes (byte b of every number together), deflated (zlib), base64. The page
    reads them back with DecompressionStream."""
    import numpy as np

    numbers = np.asarray(rows, dtype="<f8").reshape(len(rows), -1)
    bits = numbers.view("<u8")
    delta = bits.copy()
    delta[1:] ^= bits[:-1]
    planes = delta.view(np.uint8).reshape(delta.shape[0], delta.shape[1], 8).transpose(2, 0, 1)
    return base64.b64encode(zlib.compress(planes.tobytes(), 9)).decode("ascii")


def regions_png(grid: Any, fills: Sequence[str]) -> str:
    """A grid of class indices (rows bottom up) as a small paletted PNG, a data URI."""
    from PIL import Image

    rows, cols = grid.shape
    image = Image.frombytes("P", (cols, rows), bytes(grid[::-1].astype("uint8").ravel().tolist()))
    palette = []
    for c in fills:
        palette += [int(c[i : i + 2], 16) for i in (1, 3, 5)]
    image.putpalette(palette)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def script_json(value: Any) -> str:
    """JSON safe in a <script> element (engine.markup.script_json; NaN, an edge a graph lacks, allowed)."""
    return engine.markup.script_json(value, allow_nan=True)


PAGE_STYLE = """
body{margin:12px;font-family:Helvetica,Arial,sans-serif;font-size:14px}
.bar{display:flex;align-items:center;gap:8px;flex-wrap:wrap;position:sticky;top:0;background:#fff;
 padding:4px 0;z-index:2;border-bottom:1px solid #ddd}
.bar input[type=range]{flex:1 1 240px}
#count{font-variant-numeric:tabular-nums;min-width:11em}
.top{display:flex;gap:16px;flex-wrap:wrap;align-items:flex-start;margin-top:8px}
.panel{position:relative}
.board{position:relative;width:320px;height:320px;border:1px solid #ccc}
.board img{position:absolute;left:0;top:0;width:100%;height:100%}
.board svg{position:absolute;left:0;top:0;width:100%;height:100%}
.curve{width:420px;height:200px;border:1px solid #ccc;max-width:100%}
.table-panel{flex:1 1 300px;min-width:0}
.table-panel .watch-table-box{max-height:340px}
#graph.watch-graph-box{max-height:75vh}
"""

PAGE_SCRIPT = """
(function () {
  var D = %(data)s;
  function inflate(s) {  // base64, then deflated bytes: read back by the browser's own inflater
    var bytes = Uint8Array.from(atob(s), function (c) { return c.charCodeAt(0); });
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Response(stream).arrayBuffer();
  }
  function unpack(buffer, n) {  // eight byte planes of XOR-ed doubles -> one Float64Array per frame
    var frames = D.steps.length, cells = frames * n, planes = new Uint8Array(buffer);
    var bytes = new Uint8Array(cells * 8), f, i;
    for (var b = 0; b < 8; b++) for (i = 0; i < cells; i++) bytes[i * 8 + b] = planes[b * cells + i];
    var words = new Uint32Array(bytes.buffer);
    for (f = 1; f < frames; f++) {  // undo the XOR with the previous frame, 32 bits at a time
      for (i = 0; i < 2 * n; i++) words[f * 2 * n + i] ^= words[(f - 1) * 2 * n + i];
    }
    var all = new Float64Array(bytes.buffer), rows = [];
    for (f = 0; f < frames; f++) rows.push(all.subarray(f * n, (f + 1) * n));
    return rows;
  }
  function fmt(x, d) {  // engine.vocab.fmt: d decimals, or d significant digits below 0.01
    x = x + 0;
    if (x === 0 || (Math.abs(x) >= 0.01 && Math.abs(x) < 1e6)) return (x === 0 ? 0 : x).toFixed(d);
    if (!isFinite(x)) return isNaN(x) ? "\u2013" : (x > 0 ? "inf" : "-inf");  // NaN: an edge this graph lacks
    var s = x.toPrecision(d);
    return s.replace(/e([+-])(\\d)$/, "e$10$2");
  }
  var frames = D.steps.length, slider = document.getElementById("update");
  var play = document.getElementById("play"), count = document.getElementById("count");
  var regions = document.getElementById("regions"), marker = document.getElementById("marker");
  var cols = {}, params = {}, kinds = ["data", "grad", "local"];
  if (!window.DecompressionStream) {
    count.textContent = "this browser cannot read the page's numbers (it has no DecompressionStream)";
    return;
  }
  Promise.all(kinds.map(function (k) { return inflate(D[k]); }).concat(
    D.columns.map(function (c) { return inflate(D.params[c]); }))).then(function (buffers) {
    kinds.forEach(function (k, j) { cols[k] = unpack(buffers[j], D.sizes[k]); });
    D.columns.forEach(function (c, j) { params[c] = unpack(buffers[kinds.length + j], D.sizes.params); });
    start();
  });
  function start() {
  var hooks = {data: [], grad: [], local: []};
  document.querySelectorAll("text[data-k]").forEach(function (t) {
    var kind = t.hasAttribute("data-edge") ? "local" : t.hasAttribute("data-data") ? "data" : "grad";
    hooks[kind].push([t, parseInt(t.getAttribute("data-k"), 10)]);
  });
  var rows = document.querySelectorAll("tr[data-param]");
  var board = document.getElementById("board"), ring = document.getElementById("watched");
  var chosen = document.getElementById("chosen"), note = document.getElementById("choose-note");
  function choose(j) {  // record sample j's pass at every snapshot, with the generated programs
    var n = D.of[j];
    if (n < 0) { note.textContent = "sample " + j + ": its graph has no program here"; return; }
    var run = window.watchPrograms[n], steps = D.steps_of[n], value = params.value;
    var data = [], grad = [], local = [], loss = [];
    for (var k = 0; k < frames; k++) {
      var args = [D.points[j][0], D.points[j][1]].concat(Array.prototype.slice.call(value[k]));
      var r = run.apply(null, args);
      data.push(Float64Array.from(r.data));
      grad.push(Float64Array.from(r.grad));
      local.push(Float64Array.from(steps.map(function (s) { return s ? r.local[s - 1] : NaN; })));
      loss.push(r.value);
    }
    cols.data = data; cols.grad = grad; cols.local = local; D.loss = loss; D.watch = j;
    ring.setAttribute("cx", board.querySelector('circle[data-index="' + j + '"]').getAttribute("cx"));
    ring.setAttribute("cy", board.querySelector('circle[data-index="' + j + '"]').getAttribute("cy"));
    document.querySelectorAll(".watch-index").forEach(function (e) { e.textContent = String(j); });
    note.textContent = "";
    show(now);
  }
  if (window.watchPrograms && D.of) {
    board.style.cursor = "crosshair";
    chosen.textContent = "click a point to watch it";
    board.addEventListener("click", function (e) {  // the nearest point to the click
      var r = board.getBoundingClientRect(), cx = (e.clientX - r.left) / r.width * 100;
      var cy = (e.clientY - r.top) / r.height * 100, best = -1, dist = Infinity;
      board.querySelectorAll("circle[data-index]").forEach(function (c) {
        var dx = parseFloat(c.getAttribute("cx")) - cx, dy = parseFloat(c.getAttribute("cy")) - cy;
        if (dx * dx + dy * dy < dist) {
          dist = dx * dx + dy * dy;
          best = parseInt(c.getAttribute("data-index"), 10);
        }
      });
      if (best >= 0) { stop(); choose(best); }
    });
  }
  var timer = null, now = 0;
  function show(k) {
    now = Math.max(0, Math.min(frames - 1, k));
    slider.value = now;
    count.textContent = "update " + D.steps[now] + " of " + D.total + ", sample " + D.watch +
      "'s loss " + fmt(D.loss[now], 4);
    ["data", "grad", "local"].forEach(function (kind) {
      var values = cols[kind][now];
      hooks[kind].forEach(function (h) {
        var x = values[h[1]];
        h[0].setAttribute("data-" + kind, String(x));
        var label = kind === "local" ? h[0].getAttribute("data-label") : "";  // "" on a two-line label
        var word = kind === "local" ? (label ? label + " = " : "= ") : kind + " ";
        h[0].textContent = word + fmt(x, 4);
      });
    });
    for (var r = 0; r < rows.length; r++) {
      var cells = rows[r].children;  // the name, then one cell per column of D.columns
      for (var c = 1; c < cells.length; c++) {
        var col = D.columns[c - 1], x = params[col][now][r];
        rows[r].setAttribute("data-" + (col === "value" ? "data" : col), String(x));
        cells[c].textContent = fmt(x, 4);
      }
    }
    regions.src = D.regions[now];
    if (marker) {
      var step = D.steps[now];
      marker.setAttribute("x1", String(step));
      marker.setAttribute("x2", String(step));
    }
  }
  function stop() { clearTimeout(timer); timer = null; play.textContent = "\\u25b6 play"; }
  function tick() { show(now + 1); if (now >= frames - 1) stop(); else timer = setTimeout(tick, D.duration); }
  play.onclick = function () {
    if (timer) { stop(); return; }
    if (now >= frames - 1) show(0);
    play.textContent = "\\u275a\\u275a pause";
    timer = setTimeout(tick, D.duration);
  };
  slider.oninput = function () { stop(); show(parseInt(slider.value, 10)); };
  document.addEventListener("keydown", function (e) {
    if (e.target === slider) return;
    var to = {ArrowRight: now + 1, ArrowLeft: now - 1, Home: 0, End: frames - 1}[e.key];
    if (to !== undefined) { stop(); show(to); e.preventDefault(); }
  });
  var fit = document.getElementById("fit"), graph = document.querySelector("#graph svg"), whole = false;
  var legible = graph.style.width;
  fit.onclick = function () {  // the whole graph in the page's width, or legible text (it pans)
    whole = !whole;
    graph.style.width = whole ? "100%%" : legible;
    fit.textContent = whole ? "legible size" : "whole graph";
  };
  show(0);
  document.body.setAttribute("data-ready", "1");  // the numbers are read: tools may step the slider
  }
})();
"""


CHOOSABLE = 10  # most distinct targets (one generated program each) the page lets a click choose among


def chooser(snaps: Any, sample: Sample) -> dict | None:
    """What the page needs to record any sample's pass at each snapshot's weights, in JavaScript:
    one program per distinct target (the graph of ``loss(model(x), t)`` depends on t: which z_y a
    cross-entropy picks), written by ``engine.tools.compiling.js_record`` from the engine's own
    graph of the first row with that target. Each returns the shown nodes' data and grad (in the
    template's order) and every step's local derivative (``steps`` maps the template's edges to
    step numbers; 0 for an edge that graph does not have). None when a click cannot choose: the
    optimizer does not hold exactly the model's parameters (their values are the programs' inputs),
    too many distinct targets, or code that could not stand in a <script>."""
    from engine.tools.compiling import js_record

    model, scene = snaps.model, snaps.scene
    params = model.parameters()
    if not snaps.same or len(scene.X[0]) != 2:
        return None
    first: dict[str, int] = {}
    for j, t in enumerate(scene.y):
        first.setdefault(repr(t), j)
    if len(first) > CHOOSABLE:
        return None
    programs: list[dict] = []
    which: dict[str, int] = {}
    is_param = set(map(id, params))
    for key, j in first.items():
        L = snaps.loss_fn(model(list(scene.X[j])), scene.y[j])
        if not L.label:
            L.label = "L"
        order = walks.forward_order(L)
        names = engine.vocab.names(L)
        by_name = {names[v]: v for v in order}
        nodes: list[Any] = [by_name.get(name) for name in sample.names]
        inputs = [v for v in order if not v.parents and id(v) not in is_param]
        if any(v is None for v in nodes) or [names[v] for v in inputs] != ["x_1", "x_2"]:
            continue
        t = record(L)
        number: dict[tuple[Any, int], int] = {(s.node, s.index): s.number for s in t.steps}
        steps = []
        for node_name, parent_name in sample.edge_ends:
            node = by_name.get(node_name)
            at = (
                [i for i, p in enumerate(node.parents) if names[p] == parent_name] if node is not None else []
            )
            steps.append(number.get((node, at[0]), 0) if at else 0)
        code = js_record(L, inputs + params, nodes, name=f"record{len(programs)}")
        if "</" in code or "<!--" in code:
            return None
        which[key] = len(programs)
        programs.append({"code": code, "steps": steps})
    if not programs:
        return None
    return {"programs": programs, "of": [which.get(repr(t), -1) for t in scene.y]}


def page(history: Any, index: int, duration: float = 0.2) -> str:
    """The self-contained page of sample ``index``'s training (see ``History.animate``)."""
    import numpy as np

    from ._picture import palette
    from ._scores import scores

    snaps = history.snapshots
    scene = snaps.scene
    model = snaps.model
    set_weights(model, snaps.weights[0])
    sample = Sample(model, scene.X[index], scene.y[index], snaps.loss_fn, index)
    frames = []
    for layers in snaps.weights:
        set_weights(model, layers)
        frames.append(sample.numbers(model))
    X = np.asarray(scene.X, dtype=float)
    (x0, y0), (x1, y1) = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
    gx, gy = np.linspace(x0, x1, REGION_GRID), np.linspace(y0, y1, REGION_GRID)
    points = np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2)
    k = max(scene.classes, 2)
    fills, colours = palette(k)
    regions = []
    for layers in snaps.weights:
        grid = scores(layers, scene.acts or [], points)
        region = grid.argmax(axis=1) if scene.classes > 1 else (grid[:, 0] > scene.level).astype(int)
        regions.append(regions_png(region.reshape(REGION_GRID, REGION_GRID), fills))
    labels = scene.labels()
    names = snaps.names
    columns = [c for c in COLUMNS if c in snaps.optimizer[0]]
    data = {
        "steps": snaps.steps, "total": history.iterations, "watch": index, "duration": round(duration * 1000),
        "loss": [f.loss for f in frames], "curve": list(history.loss),
        "data": pack_frames([f.data for f in frames]), "grad": pack_frames([f.grad for f in frames]),
        "local": pack_frames([f.local for f in frames]), "regions": regions, "columns": columns,
        "params": {c: pack_frames([s[c] for s in snaps.optimizer]) for c in columns},
        "sizes": {"data": len(sample.shown), "grad": len(sample.shown), "local": len(sample.edges),
                  "params": len(names)},
        "points": [[float(p[0]), float(p[1])] for p in X],
    }  # fmt: skip
    choose = chooser(snaps, sample)
    programs = ""
    if choose is not None:
        data["of"] = choose["of"]
        data["steps_of"] = [p["steps"] for p in choose["programs"]]
        functions = ", ".join(f"record{n}" for n in range(len(choose["programs"])))
        codes = "\n".join(p["code"] for p in choose["programs"])
        programs = (
            f"<script>var watchPrograms = (function () {{\n{codes}\nreturn [{functions}];\n}})();</script>"
        )
    w, h = x1 - x0, y1 - y0
    dots = "".join(
        f'<circle cx="{(p[0] - x0) / w * 100:.2f}" cy="{(y1 - p[1]) / h * 100:.2f}" r="1.1" '
        f'fill="{colours[c]}" stroke="white" stroke-width="0.25" data-index="{j}"/>'
        for j, (p, c) in enumerate(zip(X, labels))
    )
    px, py = X[index]
    ring = (f'<circle id="watched" cx="{(px - x0) / w * 100:.2f}" cy="{(y1 - py) / h * 100:.2f}" r="2.6" '
            'fill="none" stroke="black" stroke-width="0.7"/>')  # fmt: skip
    board = (f'<div class="board" id="board"><img id="regions" alt="decision regions" src="{regions[0]}">'
             f'<svg viewBox="0 0 100 100" preserveAspectRatio="none">{dots}{ring}</svg></div>')  # fmt: skip
    loss = list(history.loss) or [0.0]
    top = max(max(loss), 1e-12) * 1.05
    n = max(len(loss), 1)
    line = " ".join(f"{i + 1},{v:.6g}" for i, v in enumerate(loss))
    curve = (f'<svg class="curve" viewBox="0 {-top:.6g} {n + 1} {top:.6g}" preserveAspectRatio="none">'
             f'<g transform="scale(1,-1)"><polyline points="{line}" fill="none" stroke="#1565c0" '
             f'stroke-width="1.5" vector-effect="non-scaling-stroke"/>'
             f'<line id="marker" x1="0" x2="0" y1="0" y2="{top:.6g}" stroke="#ef6c00" stroke-width="2" '
             'vector-effect="non-scaling-stroke"/></g></svg>')  # fmt: skip
    svg = sample.svg(frames[0])
    natural, _ = width(svg)
    svg = svg.replace(
        'class="watch-graph"',
        f'class="watch-graph" style="width:{shown_width(natural, 1200):.0f}px;height:auto"',
        1,
    )
    last = len(frames) - 1
    title = f"sample {index} learns: {history.iterations} updates"
    said = html.escape(caption(sample)).replace(
        f"sample {index}", f'sample <span class="watch-index">{index}</span>', 1
    )
    heading = html.escape(title).replace(
        f"sample {index}", f'sample <span class="watch-index">{index}</span>', 1
    )
    body = (
        f'<h2>{heading}</h2><div class="bar"><button id="play">▶ play</button>'
        f'<input id="update" type="range" min="0" max="{last}" value="0" aria-label="update">'
        f'<span id="count"></span></div>'
        '<div class="top"><div class="panel"><b>decision regions, sample '
        f'<span class="watch-index">{index}</span> ringed</b><br><span id="chosen"></span> '
        f'<span id="choose-note"></span>{board}</div>'
        f'<div class="panel"><b>training loss ({html.escape(scene.what)})</b><br>{curve}</div>'
        '<div class="panel table-panel"><b>the optimizer, per parameter</b>'
        f'<div class="watch-box watch-table-box">{table(names, snaps.optimizer[0])}</div></div></div>'
        f'<div class="watch"><div class="watch-caption">{said} <button id="fit">whole graph</button></div>'
        f'<div class="watch-box watch-graph-box" id="graph">{svg}</div></div>'
    )  # fmt: skip
    script = PAGE_SCRIPT % {"data": script_json(data)}
    head = f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
    return (
        f"{head}<style>{PAGE_STYLE}{STYLE}</style></head><body>{body}{programs}<script>{script}</script>"
        "</body></html>"
    )


def set_weights(model: Any, layers: Any) -> None:
    """Put the weights ``layers`` (nn._scores' form) into ``model``'s parameters."""
    for layer, (W, b) in zip(model.layers, layers):
        for neuron, row, bias in zip(layer.neurons, W, b):
            for w, value in zip(neuron.w, row):
                w.data = value
            neuron.b.data = bias


GIF_GRAPH_HEIGHT = 640  # px: the most a GIF frame's graph may take below the picture


class GifGraph:
    """The watched sample's graph below each GIF frame: a copy of the model at the snapshot's weights,
    the sample's recorded pass on it (``engine.trace``, which leaves the gradients on the copy's graph
    and parameters only), drawn by the engine as the graph stands and rendered by Graphviz."""

    def __init__(self, snaps: Any, index: int) -> None:
        self.model, self.loss_fn = snaps.model, snaps.loss_fn
        self.x, self.target = list(snaps.scene.X[index]), snaps.scene.y[index]
        self.size: tuple[int, int] | None = None

    def below(self, frame: Any, layers: Any) -> Any:
        """``frame`` (a PIL image) with the graph at the weights ``layers`` below it."""
        from PIL import Image

        set_weights(self.model, layers)
        for p in self.model.parameters():
            p.grad = 0.0
        L = self.loss_fn(self.model(self.x), self.target)
        if not L.label:
            L.label = "L"
        engine.trace(L)  # a recorded pass that leaves its gradients on the copy's graph, which is drawn
        nodes = len(walks.forward_order(L))
        collapse = nodes > FULL_LIMIT
        drawing = engine.draw(L, collapse=collapse, edge_labels=None if collapse else True, digits=DIGITS,
                              legend=False)  # fmt: skip
        graph = Image.open(io.BytesIO(drawing.pipe("png"))).convert("RGB")
        if self.size is None:
            scale = min(frame.width / graph.width, GIF_GRAPH_HEIGHT / graph.height, 1.0)
            self.size = (max(1, round(graph.width * scale)), max(1, round(graph.height * scale)))
        graph = graph.resize(self.size, Image.Resampling.LANCZOS)
        out = Image.new("RGB", (frame.width, frame.height + self.size[1]), "white")
        out.paste(frame, (0, 0))
        out.paste(graph, ((frame.width - self.size[0]) // 2, frame.height))
        return out
