"""explorable(): an offline HTML page where a learner changes a number and watches every step update.

``explorable(root, path, vary)`` writes a page that needs nothing installed and no network: the
drawing of the graph (one layout, in the state after its recorded backward pass), a number field
and a slider for each leaf in ``vary``, the trace table, ``explain``'s paths for a chosen leaf and a
"what changed" panel. Every change runs, in the page, the JavaScript that
``engine.codegen(root, inputs, language="js")`` writes from the rule table
(:func:`engine.tools.compiling.js_record`): the forward and backward pass at the new numbers, the
same arithmetic in the same order as ``backward()``. Then every box's data and grad, every edge's
local derivative, the table, the path products and the panel are redrawn from its result.

The panel compares the pass with the recorded one: gradients whose sign flipped, squashing units
(rows marked ``saturates``: sigmoid, tanh) whose slope fell below 0.01, gates (rows marked
``dies``: ReLU) passing no gradient, and the largest changes. The setting lives in the URL's hash,
so a link shares it; Reset goes back to the recorded numbers.

Stable hooks for tests and tools: each leaf's number field is ``input[data-leaf="<name>"]`` (its
slider ``input[data-slider="<name>"]``); each node's data and grad texts in the drawing carry
``data-node="<name>"`` and ``data-data`` / ``data-grad`` with the number's ``repr``.
"""

import base64
import html
import math
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from .. import files, markup, vocab, walks
from ..numbers import is_real
from ..record.tracing import Trace, record
from ..tools.compiling import js_record
from ..vocab import DIGITS, fmt
from .drawing import HARD_LIMIT, slimmed, whole_pass
from .drawing import options as drawing_options
from .explaining import explain

SATURATED = 0.01  # a squashing unit whose slope is below this is saturated
LARGEST = 5  # the "what changed" panel lists this many of the largest gradient changes
EXPLAINED = 24  # explain's paths are written into the page for at most this many leaves
CURVE_POINTS = 101  # the loss curve's samples over the slider's range
PNG_WIDTH, PNG_BYTES = 800, 150_000  # the still PNG a notebook keeps: this wide at most, and this small
SLIDER_STEPS = 500  # a slider moves in this many steps over its range (an arrow key: one step)


def explorable(
    root: Any,
    path: str | Path | None = None,
    vary: Any = None,
    *,
    ranges: dict | None = None,
    curve: Any = None,
    title: str | None = None,
    digits: int = DIGITS,
    rankdir: str = "LR",
) -> "Explorable":
    """The page of ``root``'s graph with a field and a slider per leaf in ``vary``, written to ``path``.

    ``vary``: leaves (Values or labels) the learner may change; default every labelled leaf.
    ``ranges``: ``{leaf: (low, high)}`` for the sliders (default the value ± ``max(1, |value|)``).
    ``curve``: a leaf in ``vary`` whose slider range the page sweeps to draw ``root``'s value
    against it (a loss curve), redrawn at every change of the others. Leaves not in ``vary``
    are held at their numbers. Returns an :class:`Explorable` (Jupyter shows it inline); the
    file, when ``path`` is given, is written whole or not at all.
    """
    page = Explorable(root, vary, ranges=ranges, curve=curve, title=title, digits=digits, rankdir=rankdir)
    if path is not None:
        page.save(path)
    return page


class Explorable:
    """An explorable page of one graph: ``html`` the whole page, ``save(path)`` writes it.

    ``code`` is the page's generated JavaScript: ``pass_at(...)`` (one number per leaf in
    ``vary``, in order) returns ``{value, grads, data, grad, local}`` (see
    :func:`engine.tools.compiling.js_record`; ``data``/``grad`` in the order of ``nodes``), and
    ``EXPLAIN[k](local)`` explain's paths to the k-th leaf of ``vary`` as ``[[factors], product]``.
    """

    def __init__(
        self,
        root: Any,
        vary: Any = None,
        *,
        ranges: dict | None = None,
        curve: Any = None,
        title: str | None = None,
        digits: int = DIGITS,
        rankdir: str = "LR",
    ) -> None:
        if isinstance(root, Trace):
            root = root.root
        if not hasattr(root, "parents"):
            raise TypeError(f"explorable() takes the Value to explore (the loss), not {type(root).__name__}")
        if not isinstance(digits, int) or isinstance(digits, bool) or not 1 <= digits <= 15:
            raise ValueError(f"digits is a whole number from 1 to 15, not {digits!r}")
        self.root = root
        size = len(walks.topological_order(root))
        if size > HARD_LIMIT:
            raise ValueError(
                f"the graph has {size:,} nodes; an explorable page draws every one (at most {HARD_LIMIT:,}): "
                "explore a smaller part, such as one sample's loss or one neuron"
            )
        self.trace = t = record(root)  # one recorded pass: no .grad changes
        names = t.names
        leaves = [n for n in walks.topological_order(root) if not n.parents]
        self.vary = _leaves(t, leaves, vary)
        self.ranges = _ranges(t, self.vary, ranges)
        self.curve = _curve(t, self.vary, curve)
        self.digits = digits
        default = f"explore {names[root]}: change a number, watch every step"
        self.title = title if title is not None else default
        self.nodes = list(walks.forward_order(root))
        extra = [v for v in leaves if v not in set(self.nodes)]
        self.nodes = extra + self.nodes
        self.options = drawing_options.make(rankdir=rankdir, digits=digits, headline=False, legend=True)
        self.html = self._page()

    def save(self, path: str | Path) -> Path:
        """Write the page to ``path`` (whole or not at all) and return the Path."""
        files.write_atomic(path, self.html)
        return Path(path)

    def __repr__(self):
        names = self.trace.names
        size = f"{len(self.html):,} bytes"
        return f"<explorable page of {names[self.root]}: {len(self.vary)} leaves to vary, {size}>"

    # -- Jupyter: the page in a frame of its own, and a PNG of the drawing for viewers without HTML

    def _repr_html_(self, png: bytes | None = None):
        # in a single-quoted attribute only & and ' need escaping: a third smaller than escaping all
        page = self.html.replace("&", "&amp;").replace("'", "&#39;")
        title = html.escape(self.title, quote=True)
        # The still picture stands in where the frame cannot run (an untrusted notebook keeps the
        # <img> but drops the frame and its handler); where the frame loads, it takes the still away.
        still = (
            f'<img src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}" alt="{title}" '
            'style="max-width:100%">'
            if png is not None
            else ""
        )
        return (
            f"<div>{still}<iframe srcdoc='{page}' onload=\"var s = this.previousElementSibling; "
            "if (s &amp;&amp; s.tagName === 'IMG') s.remove();\" "
            'style="width:100%;height:900px;border:1px solid #ddd;box-sizing:border-box" '
            f'title="{title}"></iframe></div>'
        )

    def _repr_mimebundle_(self, include=None, exclude=None):
        png = self.png()
        bundle = {"text/html": self._repr_html_(png), "text/plain": repr(self)}
        if png is not None:
            bundle["image/png"] = base64.b64encode(png).decode("ascii")
        return bundle

    def png(self, width: int = PNG_WIDTH) -> bytes | None:
        """A PNG of the drawing at most ``width`` pixels wide (what a saved notebook shows without
        scripts), or None when it cannot be rendered or would be larger than PNG_BYTES."""
        import io

        try:
            from PIL import Image

            image: Any = Image.open(io.BytesIO(self.picture.pipe(format="png")))
        except Exception:  # noqa: BLE001 - no renderer or no Pillow: the HTML alone
            return None
        if image.width > width:
            image = image.resize((width, round(image.height * width / image.width)), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        image.convert("RGB").quantize(32).save(out, "PNG", optimize=True)
        data = out.getvalue()
        return data if len(data) <= PNG_BYTES else None

    # -- the page

    def _page(self) -> str:
        t, names, digits = self.trace, self.trace.names, self.digits
        index = {v: k for k, v in enumerate(self.nodes)}
        steps = list(t.steps)
        for k, s in enumerate(steps, 1):
            if s.number != k:  # a pass's steps are numbered 1, 2, ...: local[k - 1] is step k
                raise ValueError("an explorable page is made from a whole recorded pass")
        program = js_record(self.root, self.vary, self.nodes, name="pass_at")
        explained = self.vary[:EXPLAINED]
        explanations = [_explanation(t, leaf) for leaf in explained]
        svg, self.picture = self._drawing(index)
        model = {
            "root": index[self.root],
            "rootName": names[self.root],
            "digits": digits,
            "nodes": [
                {
                    "name": names[v],
                    "html": markup.markup(names[v]),
                    "leaf": not v.parents,
                    "saturates": bool(v.parents and getattr(v.op, "saturates", False)),
                    "dies": bool(v.parents and getattr(v.op, "dies", False)),
                }
                for v in self.nodes
            ],
            "steps": [[index[s.node], index[s.parent]] for s in steps],
            "recorded": {
                "data": [v.data for v in self.nodes],
                "grad": [_recorded_grad(t, v) for v in self.nodes],
                "local": [s.local for s in steps],
                "value": self.root.data,
            },
            "vary": [
                {"name": names[v], "node": index[v], "value": v.data, "low": lo, "high": hi}
                for v, (lo, hi) in zip(self.vary, self.ranges)
            ],
            "explained": [
                {"leaf": names[leaf], "name": markup.markup(e["name"]), "factors": e["factors"]}
                for leaf, e in zip(explained, explanations)
            ],
            "curve": None if self.curve is None else self.vary.index(self.curve),
            "curvePoints": CURVE_POINTS,
            "saturated": SATURATED,
            "largest": LARGEST,
            "sliderSteps": SLIDER_STEPS,
        }
        functions = "\n".join(
            f"function explain_{k}(local) {{\n{e['code']}\n}}" for k, e in enumerate(explanations)
        )
        table = self._table(steps, index)
        listed = ", ".join(f"explain_{k}" for k in range(len(explanations)))
        code = f"{program}\n{functions}\nconst EXPLAIN = [{listed}];\n"
        self.code = code  # the page's generated JavaScript: pass_at(...leaves) and explain_k(local)
        _check_script(code)
        controls = "".join(self._control(k, v) for k, v in enumerate(self.vary))
        options = "".join(
            f'<option value="{k}">{_h(e["name"])}</option>' for k, e in enumerate(model["explained"])
        )
        Lm = markup.markup(names[self.root])
        shown = _h(fmt(self.root.data, digits))
        value = f'<output id="cre-value" data-value="{_h(repr(self.root.data))}">{shown}</output>'
        curve = ""
        if self.curve is not None:
            curve = (
                f'<section class="cre-panel" id="cre-curve-panel"><h2>{Lm} against '
                f'{markup.markup(names[self.curve])}</h2><div id="cre-curve"></div></section>'
            )
        pick = (
            f'<label>gradient of <select id="cre-explain-leaf">{options}</select></label>' if options else ""
        )
        body = "\n".join([
            f"<header><h1>{_h(self.title)}</h1>",
            f'<p class="cre-value">{Lm} = {value} <span id="cre-was">recorded: {shown}'
            '</span> <span id="cre-error" role="alert"></span></p></header>',
            f'<section class="cre-controls" aria-label="the numbers you can change">{controls}',
            '<div class="cre-buttons"><button type="button" id="cre-reset">Reset</button>',
            '<a id="cre-link" href="#">link to this setting</a></div></section>',
            '<div class="cre-main">',
            '<section class="cre-panel" id="cre-changed" aria-live="polite"><h2>what changed</h2>',
            '<div id="cre-changes">nothing yet: change a number above</div></section>',
            curve,
            '<section class="cre-panel cre-wide" id="cre-drawing-panel"><h2>the graph '
            '<button type="button" id="cre-fit">fit to width</button></h2>',
            f'<div id="cre-drawing">{svg}</div></section>',
            f'<section class="cre-panel" id="cre-explain"><h2>explain: {Lm} as products along paths</h2>',
            f'{pick}<div id="cre-paths"></div></section>',
            '<section class="cre-panel cre-wide" id="cre-table-panel"><h2>the trace table: every chain-rule '
            f'step</h2><div class="cre-scroll">{table}</div></section>',
            "</div>",
        ])  # fmt: skip
        script = PAGE_SCRIPT.replace("/*MODEL*/null", _script_json(model))
        _check_script(script)
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_h(self.title)}</title><style>{STYLE}</style></head>\n<body>\n{body}\n"
            f"<script>\n{code}\n{script}\n</script>\n</body></html>\n"
        )

    def _control(self, k, v):
        names = self.trace.names
        name = _h(names[v])
        lo, hi = self.ranges[k]
        step = (hi - lo) / SLIDER_STEPS
        return (
            f'<div class="cre-leaf"><label for="cre-leaf-{k}">{markup.markup(names[v])}</label>'
            f'<input id="cre-leaf-{k}" type="number" step="any" inputmode="decimal" data-leaf="{name}" '
            f'value="{_h(repr(v.data))}" aria-label="{name}">'
            f'<input type="range" data-slider="{name}" min="{lo!r}" max="{hi!r}" step="{step!r}" '
            f'value="{_h(repr(min(max(v.data, lo), hi)))}" '
            f'aria-label="{name}, slider from {lo:g} to {hi:g}"></div>'
        )

    def _drawing(self, index):
        """The drawing's SVG with the hooks the page updates, and the Drawing (for a PNG)."""
        t, names = self.trace, self.trace.names
        layout, state, picture = whole_pass(t, self.options)
        drawing = picture(layout, state)
        svg = drawing.pipe(format="svg").decode("utf-8")
        # what each node group of the SVG shows, in the order its table writes the cells
        cells: dict = {}
        for block in layout.blocks:
            if block[0] != "box":
                continue
            values, table = block[2], block[3]
            if table is None:
                cells[layout.ids[values[0]]] = [(values[0], "data"), (values[0], "grad")]
            elif layout.rankdir == "LR":
                cells[table] = [(v, kind) for v in values for kind in ("data", "grad")]
            else:
                cells[table] = [(v, "data") for v in values] + [(v, "grad") for v in values]
        number = {(s.node, s.index): s.number for s in t.steps}
        edges = [number.get((e.node, e.index)) if e.index is not None else None for e in layout.edges]
        return slimmed(_annotate(svg, cells, state, edges, t, names)), drawing

    def _table(self, steps, index):
        names, digits = self.trace.names, self.digits
        L = names[self.root]
        head = ["step", f"∂{L}/∂node", "node", "parent", "∂node/∂parent", "local", "product"]
        head.append(f"∂{L}/∂parent so far")
        rows = [f"<tr>{''.join(f'<th>{_h(c)}</th>' for c in head)}</tr>"]
        for s in steps:
            rows.append(
                f'<tr data-step="{s.number}"><td class="cre-num">{s.number}</td>'
                f'<td class="cre-num">{_h(fmt(s.upstream, digits))}</td>'
                f"<td>{markup.markup(names[s.node])}</td><td>{markup.markup(names[s.parent])}</td>"
                f"<td>{_h(s.formula)}</td>"
                f'<td class="cre-num">{_h(fmt(s.local, digits))}</td>'
                f'<td class="cre-num">{_h(fmt(s.product, digits))}</td>'
                f'<td class="cre-num">{_h(fmt(s.grad, digits))}</td></tr>'
            )
        body = "".join(rows[1:])
        return (
            f'<table class="cre-table" id="cre-steps"><thead>{rows[0]}</thead><tbody>{body}</tbody></table>'
        )


def _recorded_grad(t, v):
    """∂L/∂v after the recorded pass: the last step into v, or the seed for the root (0 for no step)."""
    return t.state(len(t))[0].get(v, 0.0)


def _leaves(t, leaves, vary):
    """The leaves to vary: Values or labels, each a leaf of the graph, each once."""
    if vary is None:
        found = [v for v in leaves if v.label]
        if not found:
            raise ValueError(
                "the graph has no labelled leaf to vary; label the inputs or parameters "
                "(Value(0.5, label='x')) or pass vary=[...]"
            )
        return found
    if isinstance(vary, (str, bytes)) or hasattr(vary, "parents"):
        vary = [vary]
    try:
        items = list(vary)
    except TypeError:
        raise TypeError(f"vary is a list of leaves (Values or their labels), not {vary!r}") from None
    out = []
    for item in items:
        try:
            v = t.find(item)
        except (KeyError, TypeError) as exc:
            raise ValueError(f"vary: {exc.args[0] if exc.args else exc}") from None
        if v not in set(leaves):
            raise ValueError(
                f"vary: {vocab.describe(v)} is not a leaf of the graph below {t.names[t.root]}; only leaves "
                "(inputs and parameters) can be changed"
            )
        if v in out:
            raise ValueError(f"vary: {vocab.describe(v)} is listed twice")
        out.append(v)
    if not out:
        raise ValueError("vary is empty; give at least one leaf to change")
    return out


def _ranges(t, vary, ranges):
    """Each slider's (low, high): from ``ranges`` else ``value ± max(1, |value|)``."""
    given = {}
    for key, pair in (ranges or {}).items():
        try:
            v = t.find(key)
        except (KeyError, TypeError) as exc:
            raise ValueError(f"ranges: {exc.args[0] if exc.args else exc}") from None
        if v not in vary:
            raise ValueError(f"ranges: {vocab.describe(v)} is not among the leaves to vary")
        try:
            lo, hi = (float(x) for x in pair)
        except (TypeError, ValueError):
            raise ValueError(f"ranges: {t.names[v]}'s range is (low, high), two numbers, not {pair!r}") from (
                None
            )
        if not (is_real(lo) and is_real(hi) and lo < hi):
            raise ValueError(f"ranges: {t.names[v]}'s range needs finite low < high, not {pair!r}")
        given[v] = (lo, hi)
    out = []
    for v in vary:
        if v in given:
            out.append(given[v])
            continue
        x = float(v.data)
        r = max(1.0, abs(x))
        out.append((x - r, x + r))
    return out


def _curve(t, vary, curve):
    if curve is None:
        return None
    try:
        v = t.find(curve)
    except (KeyError, TypeError) as exc:
        raise ValueError(f"curve: {exc.args[0] if exc.args else exc}") from None
    if v not in vary:
        raise ValueError(f"curve: {vocab.describe(v)} is not among the leaves to vary; add it to vary")
    return v


class _Sym:
    """A number that explain computes, written as JavaScript: each operation a const in ``lines``."""

    __slots__ = ("text", "lines")

    def __init__(self, text, lines):
        self.text, self.lines = text, lines

    def _op(self, other, op, first):
        if isinstance(other, _Sym):
            b = other.text
        elif isinstance(other, (int, float)) and math.isfinite(other):
            b = repr(float(other))
        else:
            return NotImplemented
        a, b = (self.text, b) if first else (b, self.text)
        name = f"t{len(self.lines)}"
        self.lines.append(f"  const {name} = {a} {op} {b};")
        return _Sym(name, self.lines)

    def __mul__(self, other):
        return self._op(other, "*", True)

    def __rmul__(self, other):
        return self._op(other, "*", False)

    def __add__(self, other):
        return self._op(other, "+", True)

    def __radd__(self, other):
        return self._op(other, "+", False)


def _explanation(t, leaf):
    """explain's paths to ``leaf`` as the page recomputes them: the same folding, in JavaScript.

    ``engine.explain`` reads a copy of the trace whose local derivatives are symbols, so it
    writes out, operation by operation, the arithmetic it does on them (in its order): the
    page runs that on the new local derivatives.
    """
    lines: list = []
    steps = [replace(s, local=_Sym(f"local[{k}]", lines)) for k, s in enumerate(t.steps)]
    symbolic = Trace(t.root, steps, t.gradient, None, t.names, t.locals())
    e = explain(symbolic, leaf)
    paths = []
    for p in e.paths:
        values = [f.value.text if isinstance(f.value, _Sym) else repr(float(f.value)) for f in p.factors]
        total = p.value.text if isinstance(p.value, _Sym) else repr(float(p.value))
        paths.append((values, total))
    factors = [[markup.markup(f.name) for f in p.factors] for p in e.paths]
    result = ", ".join(f"[[{', '.join(v)}], {total}]" for v, total in paths)
    code = "\n".join(lines + [f"  return [{result}];"])
    more = e.n_paths - len(e.paths)
    return {"name": e.name, "factors": factors, "code": code, "more": more}


def _annotate(svg, cells, state, edges, t, names):
    """The SVG inlined, its data, grad and edge-label texts marked with the hooks the page updates."""
    text = svg[svg.index("<svg") :]
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    out: list = []
    queue: list = []
    group, edge = None, None
    for line in text.splitlines():
        m = re.match(r'<g id="(node|edge)(\d+)" class="(?:node|edge)">', line)
        if m:
            group, queue, edge = m.group(1), [], None
            if group == "edge":
                k = int(m.group(2)) - 1
                edge = edges[k] if k < len(edges) else None
            out.append(line)
            continue
        m = re.match(r"<title>(.*)</title>$", line)
        if m:
            if group == "node":
                queue = list(cells.get(html.unescape(m.group(1)), ()))
            continue  # no titles: a tooltip of DOT ids helps nobody
        m = re.match(r"(<text [^>]*?)(>)(.*)(</text>)$", line)
        if m and group == "node" and queue:
            v, kind = queue[0]
            cell = (state.data if kind == "data" else state.grad)[v][1]
            if html.unescape(m.group(3)) == html.unescape(cell):
                queue.pop(0)
                value = v.data if kind == "data" else _recorded_grad(t, v)
                hooks = (
                    f' data-node="{_h(names[v])}" data-{kind}="{_h(repr(float(value)))}" '
                    f'data-chars="{len(html.unescape(m.group(3)))}"'
                )
                line = f"{m.group(1)}{hooks}{m.group(2)}{m.group(3)}{m.group(4)}"
        elif m and group == "edge" and edge is not None:
            shown = html.unescape(m.group(3))
            value = fmt(t.steps[edge - 1].local, _state_digits(state))
            if shown.endswith(value):
                prefix = shown[: len(shown) - len(value)]
                hooks = f' data-step="{edge}" data-prefix="{_h(prefix)}"'
                line = f"{m.group(1)}{hooks}{m.group(2)}{m.group(3)}{m.group(4)}"
        out.append(line)
    return "\n".join(out)


def _state_digits(state):
    """The digits the state's numbers were written with (read back from a data cell)."""
    for _, text in state.data.values():
        m = re.search(r"\.(\d+)", text)
        if m:
            return len(m.group(1))
    return DIGITS


def _check_script(code):
    """Generated code for a <script>: nothing in it may end the element or open a comment in it."""
    lowered = code.lower()
    if "</" in lowered or "<!--" in lowered or "\u2028" in code or "\u2029" in code:
        raise ValueError("generated page code must not hold '</', '<!--' or U+2028/2029")


def _script_json(value):
    return markup.script_json(value)  # <, >, & and U+2028/2029 escaped; no NaN


def _h(text):
    return html.escape(str(text), quote=True)


STYLE = """
body{font-family:Helvetica,Arial,sans-serif;font-size:15px;margin:8px;color:#111}
h1{font-size:19px;margin:4px 0}h2{font-size:16px;margin:2px 0 6px}
.cre-value{font-size:17px;margin:4px 0}#cre-value{font-weight:bold;font-variant-numeric:tabular-nums}
#cre-was{color:#555;margin-left:8px}#cre-error{color:#b00020;font-weight:bold;margin-left:8px}
.cre-controls{display:flex;flex-wrap:wrap;gap:6px 16px;align-items:center;padding:6px 0;
 position:sticky;top:0;background:#fff;z-index:2;border-bottom:1px solid #ddd;max-height:40vh;overflow:auto}
.cre-leaf{display:grid;grid-template-columns:minmax(3.5em,auto) 9em minmax(100px,180px);gap:6px;align-items:center}
.cre-leaf label{font-weight:bold;overflow-wrap:anywhere}
.cre-leaf input[type=number]{width:9em;font-size:15px;padding:3px}
.cre-leaf input[type=number]:invalid,.cre-leaf input.cre-bad{outline:2px solid #b00020}
.cre-buttons{display:flex;gap:12px;align-items:center}
.cre-buttons button,#cre-fit{font-size:14px;padding:3px 10px;cursor:pointer}
.cre-main{display:flex;flex-wrap:wrap;gap:12px;margin-top:8px}
.cre-panel{flex:1 1 360px;min-width:0;border:1px solid #ddd;padding:6px 8px}
.cre-wide{flex-basis:100%}
#cre-drawing{overflow:auto;max-height:75vh}
#cre-drawing svg{display:block;max-width:none;height:auto}
#cre-drawing.cre-fit svg{max-width:100%}
#cre-drawing text{font-family:Helvetica,Arial,sans-serif;white-space:pre}
#cre-drawing text.cre-moved{fill:#8c2d04;font-weight:bold}
.cre-scroll{overflow-x:auto;max-width:100%}
.cre-table{border-collapse:collapse;font-size:13px}
.cre-table th,.cre-table td{border:1px solid #ccc;padding:2px 6px;text-align:left;white-space:nowrap}
.cre-table td.cre-num{text-align:right;font-variant-numeric:tabular-nums}
#cre-changes ul{margin:2px 0 6px;padding-left:20px}#cre-changes h3{font-size:14px;margin:6px 0 2px}
#cre-paths p{margin:4px 0;overflow-wrap:anywhere}
#cre-curve svg{width:100%;height:auto;max-width:520px}
@media (max-width:600px){body{font-size:14px}.cre-leaf{grid-template-columns:4em 1fr;width:100%}
 .cre-controls{position:static;max-height:none}#cre-drawing{max-height:60vh}
 .cre-leaf input[type=range]{grid-column:1/3;width:100%}.cre-panel{flex-basis:100%}}
"""  # noqa: E501

# The page's script: the generated pass (pass_at) and explain functions come before it; MODEL is the
# JSON of what the Python side knows (names, the recorded pass, the sliders).
PAGE_SCRIPT = r"""
(function () {
  "use strict";
  const M = /*MODEL*/null;
  const N = M.nodes.length, digits = M.digits;
  const fields = M.vary.map((v) => document.querySelector('input[data-leaf="' + cssq(v.name) + '"]'));
  const sliders = M.vary.map((v) => document.querySelector('input[data-slider="' + cssq(v.name) + '"]'));
  const dataText = new Array(N).fill(null), gradText = new Array(N).fill(null);
  document.querySelectorAll("#cre-drawing text[data-node]").forEach((el) => {
    const k = byName(el.getAttribute("data-node"));
    if (k < 0) return;
    if (el.hasAttribute("data-data")) dataText[k] = el; else gradText[k] = el;
  });
  const edgeText = {};
  document.querySelectorAll("#cre-drawing text[data-step]").forEach((el) => {
    edgeText[+el.getAttribute("data-step") - 1] = el;
  });
  const rows = Array.prototype.slice.call(document.querySelectorAll("#cre-steps tbody tr"));
  const valueOut = document.getElementById("cre-value"), errorOut = document.getElementById("cre-error");
  const changes = document.getElementById("cre-changes"), pathsOut = document.getElementById("cre-paths");
  const select = document.getElementById("cre-explain-leaf"), curveBox = document.getElementById("cre-curve");
  const link = document.getElementById("cre-link");
  let current = M.vary.map((v) => v.value), last = null;

  function cssq(s) { return s.replace(/\\/g, "\\\\").replace(/"/g, '\\"'); }
  function byName(name) { for (let k = 0; k < N; k++) if (M.nodes[k].name === name) return k; return -1; }
  function fmt(x) {  // engine.vocab.fmt: `digits` decimals, significant digits below 0.01 (fixed to 1e-6)
    if (!isFinite(x)) return String(x);
    x = x + 0.0;
    if (x === 0 || (Math.abs(x) >= 0.01 && Math.abs(x) < 1e6)) return (x === 0 ? 0 : x).toFixed(digits);
    const e = parseInt(x.toExponential(digits - 1).split("e")[1], 10);
    if (e < -6 || e >= digits) {  // fixed notation down to 1e-6, as engine.vocab.fmt
      const [m, ex] = x.toExponential(digits - 1).split("e");
      const n = parseInt(ex, 10);
      return m + "e" + (n < 0 ? "-" : "+") + String(Math.abs(n)).padStart(2, "0");
    }
    return x.toFixed(Math.max(0, digits - 1 - e));
  }
  function pyrepr(x) {  // Python's repr of a float: the shortest digits that read back as x
    if (x === 0) return 1 / x < 0 ? "-0.0" : "0.0";
    if (!isFinite(x)) return isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
    const [mant, ex] = x.toExponential().split("e");
    const e = parseInt(ex, 10), neg = mant[0] === "-", d = mant.replace("-", "").replace(".", "");
    let s;
    if (e >= -4 && e < 16) {
      if (e < 0) s = "0." + "0".repeat(-e - 1) + d;
      else if (d.length <= e + 1) s = d + "0".repeat(e + 1 - d.length) + ".0";
      else s = d.slice(0, e + 1) + "." + d.slice(e + 1);
    } else {
      s = (d.length > 1 ? d[0] + "." + d.slice(1) : d) + "e" + (e < 0 ? "-" : "+") + String(Math.abs(e)).padStart(2, "0");
    }
    return (neg ? "-" : "") + s;
  }
  window.chainrulePyrepr = pyrepr;  // for tests: the page's repr of a float
  window.chainruleFmt = fmt;

  function setText(el, text) {
    if (el.textContent === text) return;
    el.textContent = text;
    const chars = +el.getAttribute("data-chars");
    if (chars && text.length > chars) {  // wider than the cell was drawn for: squeeze it in
      el.setAttribute("font-size", String((parseFloat(el.getAttribute("data-size") || el.getAttribute("font-size")) * chars / text.length).toFixed(2)));
      if (!el.hasAttribute("data-size")) el.setAttribute("data-size", el.getAttribute("font-size"));
    }
  }
  document.querySelectorAll("#cre-drawing text[data-chars]").forEach((el) => el.setAttribute("data-size", el.getAttribute("font-size") || "14"));
  function restore(el, text) {
    const size = el.getAttribute("data-size");
    if (size && +el.getAttribute("data-chars") >= text.length) el.setAttribute("font-size", size);
    setText(el, text);
  }

  function run(values) {
    const r = pass_at.apply(null, values);
    const bad = [r.value].concat(r.data, r.grad, r.local).some((x) => !isFinite(x));
    return bad ? null : r;
  }

  function paths(r) {
    if (!select || !M.explained.length) return;
    const k = +select.value, e = M.explained[k], result = EXPLAIN[k](r.local);
    const out = [];
    let total = 0;
    result.forEach((p, j) => {
      total += p[1];
      const names = e.factors[j].join(" · ");  // markup made by engine.markup: escaped already
      const nums = p[0].map(fmt).join(" × ");
      out.push("<p>" + names + " = " + esc(nums) + ' = <b data-path-product="' + esc(pyrepr(p[1])) + '">' + esc(fmt(p[1])) + "</b></p>");
    });
    if (result.length > 1) out.push("<p>sum of the " + result.length + " paths: " + e.name + " = <b>" + esc(fmt(total)) + "</b></p>");
    pathsOut.innerHTML = out.join("");
  }
  function esc(s) { return String(s).replace(/&/g, "&amp;").replace(/[<]/g, "&lt;").replace(/[>]/g, "&gt;").replace(/"/g, "&quot;"); }

  function sign(x) { return x > 0 ? 1 : x < 0 ? -1 : 0; }
  function stepOf(node) { const out = []; M.steps.forEach((s, j) => { if (s[0] === node) out.push(j); }); return out; }
  const firstStep = M.nodes.map((_, k) => { const s = stepOf(k); return s.length ? s[0] : -1; });

  function whatChanged(r) {
    const R = M.recorded, items = [];
    const flips = [], moved = [];
    for (let k = 0; k < N; k++) {
      if (R.grad[k] * r.grad[k] < 0) flips.push(k);
      const d = Math.abs(r.grad[k] - R.grad[k]);
      if (d > 0) moved.push([d, k]);
    }
    function list(entries) {  // the first dozen in view, the rest a click away (all in the page)
      const shown = entries.slice(0, 12).join(""), rest = entries.slice(12).join("");
      return "<ul>" + shown + "</ul>" + (rest ? "<details><summary>and " + (entries.length - 12) + " more</summary><ul>" + rest + "</ul></details>" : "");
    }
    function item(attr, k, text) { return "<li " + attr + '="' + esc(M.nodes[k].name) + '">' + text + "</li>"; }
    const L = M.rootName, Lh = M.nodes[M.root].html;
    if (flips.length) {
      items.push("<h3>gradients that changed sign (" + flips.length + ")</h3>" + list(flips.map((k) =>
        item("data-flip", k, "∂" + Lh + "/∂" + M.nodes[k].html + ": " + esc(fmt(R.grad[k])) + " → " + esc(fmt(r.grad[k]))))));
    }
    const sat = [], dead = [];
    for (let k = 0; k < N; k++) {
      const j = firstStep[k];
      if (j < 0) continue;
      if (M.nodes[k].saturates && Math.abs(r.local[j]) < M.saturated) sat.push([k, Math.abs(R.local[j]) < M.saturated]);
      if (M.nodes[k].dies && r.local[j] === 0) dead.push([k, R.local[j] === 0]);
    }
    if (sat.length) {
      items.push("<h3>saturated (slope below " + M.saturated + ")</h3>" + list(sat.map(([k, was]) =>
        item("data-saturated", k, M.nodes[k].html + ": slope " + esc(fmt(r.local[firstStep[k]])) + (was ? " (as recorded)" : " (new)")))));
    }
    if (dead.length) {
      items.push("<h3>dead: passing no gradient</h3>" + list(dead.map(([k, was]) =>
        item("data-dead", k, M.nodes[k].html + ": input " + esc(fmt(r.data[M.steps[firstStep[k]][1]])) + " ≤ 0, slope 0" + (was ? " (as recorded)" : " (new)")))));
    }
    moved.sort((a, b) => b[0] - a[0]);
    if (moved.length) {
      items.push("<h3>largest gradient changes</h3>" + list(moved.slice(0, M.largest).map(([d, k]) =>
        item("data-change", k, "∂" + Lh + "/∂" + M.nodes[k].html + ": " + esc(fmt(R.grad[k])) + " → " + esc(fmt(r.grad[k]))))));
    }
    const dv = r.value - R.value;
    items.unshift("<p>" + Lh + ": " + esc(fmt(R.value)) + " → " + esc(fmt(r.value)) + " (" + (dv >= 0 ? "+" : "") + esc(fmt(dv)) + ")</p>");
    changes.innerHTML = items.join("");
  }

  function table(r) {
    const grad = new Array(N).fill(0.0);
    grad[M.root] = 1.0;
    for (let j = 0; j < M.steps.length; j++) {
      const [node, parent] = M.steps[j], up = r.grad[node], product = up * r.local[j];
      grad[parent] += product;
      const cells = rows[j].children;
      cells[1].textContent = fmt(up);
      cells[5].textContent = fmt(r.local[j]);
      cells[6].textContent = fmt(product);
      cells[7].textContent = fmt(grad[parent]);
    }
  }

  function curve(values) {
    if (M.curve === null || !curveBox) return;
    const v = M.vary[M.curve], xs = [], ys = [];
    for (let i = 0; i < M.curvePoints; i++) {
      const x = v.low + (v.high - v.low) * i / (M.curvePoints - 1), at = values.slice();
      at[M.curve] = x;
      const r = pass_at.apply(null, at);
      if (isFinite(r.value)) { xs.push(x); ys.push(r.value); }
    }
    const W = 480, H = 220, l = 84, b = 36, t = 10, rgt = 12;
    const lo = Math.min.apply(null, ys), hi = Math.max.apply(null, ys), span = hi - lo || 1;
    const X = (x) => l + (x - v.low) / (v.high - v.low) * (W - l - rgt), Y = (y) => t + (hi - y) / span * (H - t - b);
    const pts = xs.map((x, i) => X(x).toFixed(1) + "," + Y(ys[i]).toFixed(1)).join(" ");
    const now = run(values), cx = X(values[M.curve]), cy = now ? Y(now.value) : 0;
    curveBox.innerHTML = '<svg viewBox="0 0 ' + W + " " + H + '" role="img" aria-label="' + esc(M.rootName + " against " + v.name) + '">' +
      '<line x1="' + l + '" y1="' + (H - b) + '" x2="' + (W - rgt) + '" y2="' + (H - b) + '" stroke="#555"/>' +
      '<line x1="' + l + '" y1="' + t + '" x2="' + l + '" y2="' + (H - b) + '" stroke="#555"/>' +
      '<polyline fill="none" stroke="#3a6ea5" stroke-width="2" points="' + pts + '"/>' +
      (now ? '<circle cx="' + cx.toFixed(1) + '" cy="' + cy.toFixed(1) + '" r="5" fill="#d94801"/>' : "") +
      '<text x="' + l + '" y="' + (H - 12) + '" font-size="13">' + esc(fmt(v.low)) + "</text>" +
      '<text x="' + (W - rgt) + '" y="' + (H - 12) + '" font-size="13" text-anchor="end">' + esc(fmt(v.high)) + "</text>" +
      '<text x="' + (l - 4) + '" y="' + (t + 10) + '" font-size="13" text-anchor="end">' + esc(fmt(hi)) + "</text>" +
      '<text x="' + (l - 4) + '" y="' + (H - b) + '" font-size="13" text-anchor="end">' + esc(fmt(lo)) + "</text>" +
      '<text x="' + (l - 4) + '" y="' + ((t + H - b) / 2) + '" font-size="13" text-anchor="end">' + esc(M.rootName) + "</text></svg>";
  }

  function update(values, initial) {
    const started = performance.now();
    const r = run(values);
    if (r === null) {
      errorOut.textContent = "at these numbers the pass is not finite (a division by 0, a log of 0 or less, an overflow): nothing redrawn";
      return;
    }
    errorOut.textContent = "";
    current = values.slice();
    last = r;
    valueOut.textContent = fmt(r.value);
    valueOut.setAttribute("data-value", pyrepr(r.value));
    for (let k = 0; k < N; k++) {
      const d = dataText[k], g = gradText[k];
      if (d) { d.setAttribute("data-data", pyrepr(r.data[k])); restore(d, "data " + fmt(r.data[k])); d.classList.toggle("cre-moved", r.data[k] !== M.recorded.data[k]); }
      if (g) { g.setAttribute("data-grad", pyrepr(r.grad[k])); restore(g, "grad " + fmt(r.grad[k])); g.classList.toggle("cre-moved", r.grad[k] !== M.recorded.grad[k]); }
    }
    for (const j in edgeText) {
      const el = edgeText[j];
      el.setAttribute("data-local", pyrepr(r.local[j]));
      el.textContent = el.getAttribute("data-prefix") + fmt(r.local[j]);
    }
    table(r);
    paths(r);
    if (initial) changes.textContent = "nothing yet: change a number above"; else whatChanged(r);
    curve(values);
    const hash = M.vary.map((v, i) => encodeURIComponent(v.name) + "=" + encodeURIComponent(pyrepr(values[i]))).join("&");
    link.setAttribute("href", "#" + hash);
    if (!initial) { try { history.replaceState(null, "", "#" + hash); } catch (e) { /* a page in a frame without history */ } }
    window.chainruleLastUpdate = performance.now() - started;  // ms: what one change cost (benchmarks read it)
  }

  function read(i) {
    const x = parseFloat(fields[i].value);
    const ok = fields[i].value.trim() !== "" && isFinite(x);
    fields[i].classList.toggle("cre-bad", !ok);
    return ok ? x : null;
  }
  fields.forEach((f, i) => {
    f.addEventListener("input", () => {
      const x = read(i);
      if (x === null) return;
      const values = current.slice(); values[i] = x;
      sliders[i].value = String(x);
      update(values, false);
    });
  });
  sliders.forEach((s, i) => {
    s.addEventListener("input", () => {
      const x = parseFloat(s.value), values = current.slice();
      values[i] = x;
      fields[i].value = pyrepr(x);
      fields[i].classList.remove("cre-bad");
      update(values, false);
    });
  });
  if (select) select.addEventListener("change", () => { if (last) paths(last); });
  document.getElementById("cre-reset").addEventListener("click", () => {
    const values = M.vary.map((v) => v.value);
    values.forEach((x, i) => { fields[i].value = pyrepr(x); sliders[i].value = String(x); fields[i].classList.remove("cre-bad"); });
    try { history.replaceState(null, "", location.pathname + location.search); } catch (e) { /* no history */ }
    update(values, true);
  });
  document.getElementById("cre-fit").addEventListener("click", (e) => {
    const box = document.getElementById("cre-drawing"), on = box.classList.toggle("cre-fit");
    e.target.textContent = on ? "natural size" : "fit to width";
  });

  function fromHash() {  // #w1=0.1&b2=0.4: the setting a link shares
    const values = M.vary.map((v) => v.value);
    const hash = (location.hash || "").replace(/^#/, "");
    if (!hash) return values;
    hash.split("&").forEach((part) => {
      const at = part.indexOf("=");
      if (at < 0) return;
      let name, x;
      try { name = decodeURIComponent(part.slice(0, at)); x = parseFloat(decodeURIComponent(part.slice(at + 1))); } catch (e) { return; }
      const i = M.vary.findIndex((v) => v.name === name);
      if (i >= 0 && isFinite(x)) values[i] = x;
    });
    return values;
  }
  const start = fromHash();
  start.forEach((x, i) => { fields[i].value = pyrepr(x); sliders[i].value = String(x); });
  update(start, start.every((x, i) => x === M.vary[i].value));
  if (!start.every((x, i) => x === M.vary[i].value) && last) whatChanged(last);
  window.addEventListener("hashchange", () => {
    const values = fromHash();
    values.forEach((x, i) => { fields[i].value = pyrepr(x); sliders[i].value = String(x); });
    update(values, false);
  });
})();
"""  # noqa: E501  (the page's script reads better with its long lines whole)
PAGE_SCRIPT = PAGE_SCRIPT.replace("</", "<\\/")  # markup in its strings: nothing may read as </script>

__all__ = ["explorable", "Explorable"]
