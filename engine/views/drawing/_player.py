"""The HTML player of a backward pass: its frames as inline SVG and a small inline script.

Play/pause, a slider, previous/next buttons and the arrow keys move through the frames;
above the picture, staying in view, are the step's caption and its row of the trace table;
the picture fits the cell's width (zoomed in when its text would be under 10 px) and
scrolls by itself to the step being taken. No CDN, no
network, no kernel: the same HTML opens from disk in a browser, sits in a notebook
(``Frames._repr_html_``) and shows in nbviewer. Where scripts are stripped (GitHub), the
markup alone shows images of the first and the last frame and the whole trace table.
"""

import hashlib
import html
import io
import itertools
import re

from ... import markup
from ...vocab import fmt
from ._base import STEP, palette_png, picture_html

PAGE = (720.0, 540.0)  # points (960 × 720 px): the box the orientation is chosen to fit
MAX_FRAMES = 400  # more than this makes a file too big to share and takes minutes to render
NATURAL_DPI = 96.0  # Graphviz's own PNG resolution: pictures are never drawn larger than this
_ids = itertools.count(1)  # players made by this process; with the content's hash, a unique element id

LEGIBLE = 10.0  # px: the smallest text the player draws on screen (it zooms in and follows the step)
NARROW = 600  # px: a player narrower than this (a phone) shows the step's row as wrapped "name: value"

STYLE = """
.crp{font-family:Helvetica,Arial,sans-serif;font-size:14px;max-width:100%;outline:none;min-width:0}
.crp-head{background:#fff;padding:2px 0 4px}
.crp-live .crp-head{position:sticky;top:0;z-index:3;border-bottom:1px solid #ddd}
.crp-bar{display:flex;align-items:center;gap:6px;flex-wrap:wrap;margin:4px 0}
.crp-bar button{font-size:14px;min-width:2.4em;padding:2px 8px;cursor:pointer}
.crp-bar input[type=range]{flex:1 1 200px;min-width:120px;max-width:100%}
.crp-count{font-variant-numeric:tabular-nums;min-width:5.5em;text-align:right}
.crp-caption{font-weight:bold;margin:4px 0;min-height:2.6em;overflow-wrap:anywhere}
.crp-frames svg{max-width:100%;height:auto;display:block}
.crp-frames text{font-family:Helvetica,Arial,sans-serif;white-space:pre}
.crp-live .crp-frames{display:grid;overflow:auto;max-height:60vh;overscroll-behavior:contain;
 border:1px solid #ddd}
.crp-live .crp-frames svg{max-width:none}
.crp-live .crp-frame{grid-area:1/1}
.crp-live .crp-static{display:none}
.crp-static p{font-weight:bold;margin:8px 0 4px}
.crp:not(.crp-live) .crp-bar,.crp:not(.crp-live) .crp-now-row{display:none}
.crp-scroll{overflow-x:auto;max-width:100%}
.crp-all summary{cursor:pointer;margin-top:6px}
.crp-live .crp-all .crp-row{cursor:pointer}
.crp-table{border-collapse:collapse;margin-top:6px;font-size:13px}
.crp-table th,.crp-table td{border:1px solid #ccc;padding:2px 6px;text-align:left;white-space:nowrap}
.crp-table td.crp-num{text-align:right;font-variant-numeric:tabular-nums}
.crp-table tbody tr.crp-now{background:#fdd0a2}
.crp-narrow .crp-current thead{display:none}
.crp-narrow .crp-current tr{display:block;padding:2px 4px}
.crp-narrow .crp-current td{display:inline-block;border:none;padding:1px 10px 1px 0;white-space:normal}
.crp-narrow .crp-current td::before{content:attr(data-label) ": ";color:#555;font-weight:normal}
"""

# A wide table scrolls in its own box, also where the style sheet is dropped (an untrusted notebook)
SCROLL = ' style="overflow-x:auto;max-width:100%"'

# The script finds its player by id, so several players can share one page or notebook. Every
# value it is given is JSON made safe for a <script> element (see script_json).
SCRIPT = """
(function () {
  var root = document.getElementById(%(id)s);
  if (!root || root.getAttribute("data-ready")) return;
  root.setAttribute("data-ready", "1");
  var captions = %(captions)s, counters = %(counters)s, duration = %(duration)s, page = %(page)s;
  var marked = %(marked)s, legible = %(legible)s, narrow = %(narrow)s;
  var frames = root.querySelectorAll(".crp-frame"), rows = root.querySelectorAll(".crp-all .crp-row");
  var slider = root.querySelector(".crp-slider"), caption = root.querySelector(".crp-caption");
  var count = root.querySelector(".crp-count"), play = root.querySelector(".crp-play");
  var box = root.querySelector(".crp-frames"), head = root.querySelector(".crp-head");
  var current = root.querySelector(".crp-current tbody tr"), zoom = root.querySelector(".crp-zoom-button");
  var labels = Array.prototype.map.call(root.querySelectorAll(".crp-current th"), function (th) {
    return th.textContent; });
  var svgs = Array.prototype.map.call(frames, function (f) { return f.querySelector("svg"); });
  var last = frames.length - 1, now = 0, timer = null, whole = false;
  var widest = 0, smallest = Infinity, natural = 1;
  svgs.forEach(function (s) {
    var box = s.viewBox.baseVal;
    widest = Math.max(widest, box.width);
    natural = s.width.baseVal.value / box.width;  // CSS px per unit at the size asked for (scale)
    s.querySelectorAll("text[font-size]").forEach(function (t) {
      smallest = Math.min(smallest, parseFloat(t.getAttribute("font-size")));
    });
  });
  if (!isFinite(smallest)) smallest = legible;
  root.className += " crp-live";
  box.style.display = "";
  var all = root.querySelector(".crp-all");
  if (all) all.open = false;  // without the script it is open: the whole table
  function fit() {  // one size for every frame: the cell's width, but never text under `legible` px
    var room = box.clientWidth || root.clientWidth;
    var unit = Math.min(natural, room / widest);
    if (!whole) unit = Math.max(unit, legible / smallest);
    svgs.forEach(function (s) {
      var v = s.viewBox.baseVal;
      s.style.width = v.width * unit + "px";
      s.style.height = v.height * unit + "px";
    });
    root.classList.toggle("crp-narrow", root.clientWidth < narrow);
    if (page) {  // a page of its own: the picture fills the window below the title and the head
      var above = box.getBoundingClientRect().top + window.pageYOffset;
      box.style.maxHeight = Math.max(200, window.innerHeight - above - 12) + "px";
    }
    follow(now);
  }
  function marks(k) {  // the step's marks (orange), or the nearest frame's when this one has none
    for (var d = 0; d <= last; d++) {
      var tries = [k + d, k - d];
      for (var j = 0; j < 2; j++) {
        var i = tries[j];
        if (i < 0 || i > last) continue;
        var m = frames[i].querySelectorAll(marked);
        if (m.length) return m;
      }
    }
    return [];
  }
  function follow(k) {  // scroll the picture so that the step's marks are in view, centred if they fit
    var m = marks(k), w = box.clientWidth, h = box.clientHeight;
    if (!m.length) return;
    var b = box.getBoundingClientRect(), dx = box.scrollLeft - b.left - box.clientLeft;
    var dy = box.scrollTop - b.top - box.clientTop;
    function bounds(els) {  // their bounding box in the picture's scrolled coordinates
      var r = [Infinity, Infinity, -Infinity, -Infinity];
      for (var i = 0; i < els.length; i++) {
        var e = els[i].getBoundingClientRect();
        r = [Math.min(r[0], e.left + dx), Math.min(r[1], e.top + dy), Math.max(r[2], e.right + dx),
             Math.max(r[3], e.bottom + dy)];
      }
      return r;
    }
    var r = bounds(m);
    if (r[2] - r[0] + 16 > w || r[3] - r[1] + 16 > h) {  // the boxes do not fit: the edges do
      var edges = Array.prototype.filter.call(m, function (e) { return e.tagName !== "rect"; });
      if (edges.length) r = bounds(edges);
    }
    var left = (r[0] + r[2] - w) / 2, top = (r[1] + r[3] - h) / 2;  // centred (the middle, if too big)
    box.scrollLeft = Math.max(0, left);
    box.scrollTop = Math.max(0, top);
  }
  function show(k) {
    now = Math.max(0, Math.min(last, k));
    for (var i = 0; i <= last; i++) {
      frames[i].style.display = "";
      frames[i].style.visibility = i === now ? "visible" : "hidden";
      rows[i].className = i === now ? "crp-row crp-now" : "crp-row";
    }
    current.innerHTML = rows[now].innerHTML;
    Array.prototype.forEach.call(current.children, function (td, j) {
      td.setAttribute("data-label", labels[j] || ""); });
    slider.value = now;
    caption.textContent = captions[now];
    count.textContent = counters[now];
    follow(now);
  }
  function stop() { clearTimeout(timer); timer = null; play.textContent = "\\u25b6 play"; }
  function tick() {  // one run through, stopping on the last frame
    show(now + 1);
    if (now >= last) stop(); else timer = setTimeout(tick, duration);
  }
  function toggle() {
    if (timer) { stop(); return; }
    if (now >= last) show(0);
    play.textContent = "\\u23f8 pause";
    timer = setTimeout(tick, duration);
  }
  root.querySelector(".crp-prev").onclick = function () { stop(); show(now - 1); };
  root.querySelector(".crp-next").onclick = function () { stop(); show(now + 1); };
  zoom.onclick = function () {
    whole = !whole;
    zoom.textContent = whole ? "zoom in" : "whole picture";
    fit();
  };
  play.onclick = toggle;
  slider.oninput = function () { stop(); show(parseInt(slider.value, 10)); };
  Array.prototype.forEach.call(rows, function (r, i) { r.onclick = function () { stop(); show(i); }; });
  var keys = page ? document : root;
  keys.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === " " || e.key === "Spacebar") {  // play / pause, wherever the focus is in the player
      if (e.target.tagName === "INPUT" && e.target !== slider) return;
      toggle(); e.preventDefault(); return;
    }
    if (e.target === slider) return;  // the slider moves itself with the arrow keys
    var to = {ArrowRight: now + 1, ArrowLeft: now - 1, Home: 0, End: last}[e.key];
    if (to !== undefined) { stop(); show(to); e.preventDefault(); }
  });
  keys.addEventListener("keyup", function (e) {  // a focused button would take Space as a click
    if ((e.key === " " || e.key === "Spacebar") && e.target.tagName === "BUTTON") e.preventDefault();
  });
  if (window.ResizeObserver) new ResizeObserver(function () { fit(); }).observe(root);
  else window.addEventListener("resize", fit);
  fit();
  show(0);
})();
"""


def script_json(value):
    """``value`` as JSON safe inside an HTML <script> element (engine.markup.script_json; NaN allowed)."""
    return markup.script_json(value, allow_nan=True)


def slim_svg(svg, scale=1.0):
    """SVG text fit to be inlined: no prolog, comments, titles, ids or attributes that restate a
    default, coordinates to 0.1 pt; ``scale`` × its natural size, never wider than the page (CSS)."""
    text = svg.decode("utf-8") if isinstance(svg, bytes) else svg
    text = text[text.index("<svg") :]
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    text = re.sub(r"<title>.*?</title>", "", text, flags=re.S)
    text = re.sub(r">\s+<", "><", text)
    text = _DEFAULTS.sub("", text)  # the style sheet sets the font and keeps spaces (white-space:pre)
    text = _COORDINATES.sub(lambda m: m.group(1) + _NUMBER.sub(_short, m.group(2)) + '"', text)
    text = _INVISIBLE.sub("", text)  # a table's transparent border: no fill, no stroke
    text = _POLYGON.sub(_rect, text)  # a cell, a box: a rectangle says it in half the text

    def size(match):
        w, h = (float(x) * 4 / 3 * scale for x in match.groups())  # pt -> CSS px
        return f'<svg width="{w:.0f}" height="{h:.0f}"'

    return re.sub(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', size, text, count=1)


_DEFAULTS = re.compile(
    r'\s(?:id|class)="[^"]*"|\s(?:xml:space="preserve"|font-family="Helvetica,sans-Serif"|fill="black"'
    r'|stroke="none"|stroke="transparent"|text-anchor="start")'
)
_COORDINATES = re.compile(r'(\s(?:d|points|x|y|rx|ry|cx|cy|transform|font-size|stroke-width)=")([^"]*)"')
_NUMBER = re.compile(r"-?\d+\.\d+")


_INVISIBLE = re.compile(r'<polygon fill="none"(?: stroke-width="[^"]*")? points="[^"]*"/>')
_POLYGON = re.compile(r'<polygon ([^>]*?)points="([^"]*)"/>')


def _rect(match):
    """An axis-aligned rectangle polygon (5 points, closed) as a <rect>; any other polygon as it was."""
    attrs, points = match.group(1), match.group(2).split()
    if len(points) != 5 or points[0] != points[4]:
        return match.group(0)
    xy = [tuple(p.split(",")) for p in points[:4]]
    xs, ys = sorted({x for x, _ in xy}, key=float), sorted({y for _, y in xy}, key=float)
    if len(xs) != 2 or len(ys) != 2 or sorted(xy) != sorted((x, y) for x in xs for y in ys):
        return match.group(0)
    w, h = (f"{float(b) - float(a):.1f}".rstrip("0").rstrip(".") for a, b in (xs, ys))
    return f'<rect {attrs}x="{xs[0]}" y="{ys[0]}" width="{w}" height="{h}"/>'


def _short(match):
    return f"{float(match.group()):.1f}".rstrip("0").rstrip(".") or "0"


WINDOW = (848.0, 480.0)  # points: the part of a frame the slider shows, around the step's marks
NARROW_WINDOW = (300.0, 420.0)  # points: the same in a cell narrower than NARROW px (a phone)

# The slider's picture and row: a wide window, or in a narrow cell (a container query: no script)
# a narrow one and the row as wrapped "name: value" pairs, as the player shows them there.
SLIDER_STYLE = (
    ".crs{container-type:inline-size;width:100%}.crs-narrow{display:none}"
    + "".join(line for line in STYLE.splitlines() if "crp-table" in line)
    + f"@container (max-width: {NARROW}px){{.crs-wide{{display:none}}.crs-narrow{{display:block}}"
    + "".join(
        rule.replace(".crp-narrow ", "") for rule in STYLE.splitlines() if rule.startswith(".crp-narrow")
    )
    + "}"
)


def slider_picture(wide, narrow, alt):
    """The slider's picture: the ``wide`` window (SVG text) in a wide cell, the ``narrow`` one in a
    narrow cell, each an image fitted to it (text never under 10 px)."""
    return (
        f'<div class="crs"><style>{SLIDER_STYLE}</style><div class="crs-wide">{picture_html(wide, alt)}</div>'
        f'<div class="crs-narrow">{picture_html(narrow, alt)}</div></div>'
    )


def slider_row(head, row):
    """The slider's row of the trace table: one row under its header, wrapped as "name: value" pairs in a
    narrow cell."""
    return f'<div class="crs"><style>{SLIDER_STYLE}</style>{table(head, [row], now=0, current=True)}</div>'


_TRANSLATE = re.compile(r'<g id="graph0" class="graph" transform="[^"]*translate\(([-\d.]+) ([-\d.]+)\)"')
_VIEWBOX = re.compile(r'<svg width="[\d.]+pt" height="[\d.]+pt"\s+viewBox="([-\d. ]+)"')
_PAIR = re.compile(r"(-?[\d.]+),(-?[\d.]+)")


def marks_box(svg, colour=STEP):
    """The box (x0, y0, x1, y1), in the SVG's viewBox units, around the edges drawn in ``colour`` (the
    step's orange), or around its outlined boxes when it has no such edge; None when nothing is marked."""
    shift = _TRANSLATE.search(svg)
    dx, dy = (float(shift[1]), float(shift[2])) if shift else (0.0, 0.0)
    edges: list = []
    boxes: list = []
    for element in re.finditer(rf'<(path|polygon)[^>]*stroke="{re.escape(colour)}"[^>]*>', svg):
        points = element[0]
        coords = re.search(r'\s(?:d|points)="([^"]*)"', points)
        if coords is None:
            continue
        pairs = [
            (float(x) + dx, float(y) + dy)
            for x, y in _PAIR.findall(coords[1].replace("M", " ").replace("C", " "))
        ]
        (edges if element[1] == "path" else boxes).append(pairs)
    found = [p for group in (edges or boxes) for p in group]
    if not found:
        return None
    xs, ys = [x for x, _ in found], [y for _, y in found]
    return min(xs), min(ys), max(xs), max(ys)


def window(svg, centre, size=WINDOW):
    """Graphviz SVG text cropped to a window of ``size`` points (or less: never past the picture) whose
    middle is as near ``centre`` (x, y in viewBox units) as the picture's edges allow."""
    box = _VIEWBOX.search(svg)
    if box is None:
        raise ValueError("not Graphviz SVG: its <svg> element has no width, height and viewBox")
    x, y, w, h = (float(v) for v in box[1].split())
    cw, ch = min(w, size[0]), min(h, size[1])
    left = min(max(x, centre[0] - cw / 2), x + w - cw)
    top = min(max(y, centre[1] - ch / 2), y + h - ch)
    head = f'<svg width="{cw:.2f}pt" height="{ch:.2f}pt"\n viewBox="{left:.2f} {top:.2f} {cw:.2f} {ch:.2f}"'
    return svg[: box.start()] + head + svg[box.end() :]


def windows(svgs, size=WINDOW):
    """Each frame cropped to a window around its step's marks (a frame without marks: the nearest
    frame's window), so that what changed is in view at every step."""
    centres = []
    for svg in svgs:
        m = marks_box(svg)
        centres.append(None if m is None else ((m[0] + m[2]) / 2, (m[1] + m[3]) / 2))
    known = [k for k, c in enumerate(centres) if c is not None]
    out = []
    for k, svg in enumerate(svgs):
        c = centres[k]
        if c is None:
            c = centres[min(known, key=lambda j: abs(j - k))] if known else (0.0, 0.0)
        out.append(window(svg, c, size))
    return out


def svg_size(svg):
    """(width, height) of Graphviz SVG in points."""
    text = svg.decode("utf-8", "replace") if isinstance(svg, bytes) else svg
    m = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', text)
    if m is None:
        raise ValueError("not Graphviz SVG: its <svg> element has no width and height in pt")
    return float(m.group(1)), float(m.group(2))


def captions(frames, digits):
    """One caption per frame: the forward pass's (if drawn), the start, then each step's sentence."""
    trace = frames.trace
    ahead = [forward_caption(trace, k, frames.computed, digits) for k in range(frames.offset)]
    start = trace.start_caption(digits)  # the trace's own words: a forward-mode pass starts from ∂w/∂w
    return ahead + [start] + [s.text(digits) for s in trace.steps]


def forward_caption(trace, k, computed, digits=5):
    """What forward frame ``k`` shows: the start, or the value just computed from its inputs."""
    if k == 0:
        return f"forward pass: the inputs and parameters are given; {len(computed)} values to compute"
    v, names = computed[k - 1], trace.names
    inputs = ", ".join(names[p] for p in v.parents)
    return f"forward {k}/{len(computed)}: {names[v]} = {v.op.label}({inputs}) = {fmt(v.data, digits)}"


def counters(frames):
    """The counter shown beside the slider for each frame: "forward k / n", then "step i / N"
    (a filtered trace's steps by their numbers in its table: "step 7 (3 of 6)")."""
    n, steps = len(frames.computed), len(frames.trace)
    numbers = [0] + [s.number for s in frames.trace.steps]
    every = numbers == list(range(steps + 1))
    return [f"forward {k} / {n}" for k in range(frames.offset)] + [
        f"step {i} / {steps}" if every else f"step {i} ({k} of {steps})" for k, i in enumerate(numbers)
    ]


def table_rows(frames, digits):
    """The trace table as the player shows it: its header and one row per frame (forward frames first)."""
    trace = frames.trace
    head, rows = trace._rows(digits)
    head = head[:5] + ["∂node/∂parent"] + head[8:10]
    L = trace.names[trace.root]
    body = []
    for k in range(frames.offset):  # forward frames: the value computed, no gradient yet
        if k == 0:
            body.append(["f0", "", "", "(inputs)", "", "", "", ""])
        else:
            v = frames.computed[k - 1]
            inputs = ", ".join(trace.names[p] for p in v.parents)
            body.append([f"f{k}", trace.names[v], v.op.label, inputs, "", "", "", ""])
    body.append(["0", L, "", "(start)", "", "", "", f"{trace.gradient:g}"])
    for r in rows:
        body.append(r[:5] + [f"{r[5]} = {r[7]}", r[8], f"{r[9]} {r[10]}".rstrip()])
    return head, body


def table(head, body, now=None, current=False):
    """An HTML table of the rows ``body`` under ``head``; row ``now`` (an index) is marked;
    ``current``: the player's one-row table of the step shown."""
    numeric = {0, 4, 6, 7}
    out = [f'<table class="crp-table{" crp-current" if current else ""}"><thead><tr>']
    out += [f"<th>{_h(c)}</th>" for c in head]
    out.append("</tr></thead><tbody>")
    for k, r in enumerate(body):
        labels = [f' data-label="{_h(h)}"' if current else "" for h in head]  # the narrow layout's names
        cells = "".join(f'<td class="crp-num"{labels[i]}>{_h(c)}</td>' if i in numeric else
                        f"<td{labels[i]}>{_h(c)}</td>" for i, c in enumerate(r))  # fmt: skip
        mark = " crp-now" if k == now else ""
        out.append(f'<tr class="crp-row{mark}">{cells}</tr>')
    out.append("</tbody></table>")
    return "".join(out)


def player(frames, svgs, *, duration=0.8, digits=5, scale=1.0, page=False):
    """The player's HTML fragment for ``frames`` (a Frames) drawn as ``svgs`` (one SVG per frame).

    Play shows each frame ``duration`` seconds and stops on the last one. The controls, the
    caption and the step's row of the trace table stay above the picture; the picture is as
    wide as the cell (never with text under :data:`LEGIBLE` px: then it is drawn larger and
    scrolls), and it scrolls by itself so that the step's marks are in view at every step.

    ``page=True`` makes the keys work anywhere on the page (a page of its own) and the
    picture as tall as the window; otherwise the keys work once the player has the focus
    (click it), as in a notebook. Space is play / pause wherever the focus is in the player.
    """
    texts, counts = captions(frames, digits), counters(frames)
    pictures = [slim_svg(s, scale) for s in svgs]
    digest = hashlib.sha1("".join(pictures + texts).encode("utf-8")).hexdigest()[:10]
    ident = f"chainrule-player-{digest}-{next(_ids)}"
    last = len(pictures) - 1
    head, body = table_rows(frames, digits)
    parts = [
        f'<div class="crp" id="{ident}" tabindex="0">',
        f"<style>{STYLE}</style>",
        '<div class="crp-head"><div class="crp-bar">'
        '<button class="crp-prev" title="previous step (←)">◀</button>'
        '<button class="crp-play" title="play / pause (space)">▶ play</button>'
        '<button class="crp-next" title="next step (→)">▶</button>'
        f'<input class="crp-slider" type="range" min="0" max="{last}" value="0" step="1" '
        'aria-label="step">'
        f'<span class="crp-count">{_h(counts[0])}</span>'
        '<button class="crp-zoom-button" title="the whole picture, or text at a readable size">'
        "whole picture</button>"
        "</div>",
        f'<div class="crp-caption" aria-live="polite">{_h(texts[0])}</div>',
        f'<div class="crp-scroll crp-now-row"{SCROLL}>{table(head, [body[0]], now=0, current=True)}</div>',
        "</div>",
        '<div class="crp-static">',
    ]
    for k in sorted({0, last}):  # without the script: images of the first and the last frame, captioned
        label = f"<p>{_h(texts[k])}</p>" if k else ""
        svg = svgs[k].decode("utf-8") if isinstance(svgs[k], bytes) else svgs[k]
        parts.append(f"{label}{picture_html(svg, texts[k])}")
    parts.append("</div>")
    # the frames as inline SVG, shown by the script: where scripts do not run (an untrusted notebook,
    # whose SVG is dropped and whose texts would show as a run of words) the images above stand in
    parts.append('<div class="crp-frames" style="display:none">')
    for picture in pictures:
        parts.append(f'<div class="crp-frame">{picture}</div>')
    parts.append("</div>")
    parts.append('<details class="crp-all" open><summary>the trace table: every step</summary>'
                 f'<div class="crp-scroll"{SCROLL}>{table(head, body)}</div></details>')  # fmt: skip
    script = SCRIPT % {
        "id": script_json(ident),
        "captions": script_json(texts),
        "counters": script_json(counts),
        "duration": round(duration * 1000),
        "page": "true" if page else "false",
        "marked": script_json(f'[stroke="{STEP}"]'),
        "legible": f"{LEGIBLE:g}",
        "narrow": NARROW,
    }
    parts.append(f"<script>{script}</script></div>")
    return "\n".join(parts)


def page(frames, svgs, title, **options):
    """A whole HTML page holding one player, for a file."""
    body = player(frames, svgs, page=True, **options)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{_h(title)}</title></head>\n<body style="margin:8px">\n'
        f'<h1 style="font:bold 18px Helvetica,Arial,sans-serif">{_h(title)}</h1>\n{body}\n</body></html>\n'
    )


def bare(f):
    """``f``'s frames without their bold headline: the player shows it as its one caption (kept on f)."""
    if f.options.get("headline") is False:
        return f
    if getattr(f, "_bare", None) is None:
        f._bare = type(f)(f.trace, scale=f.scale, forward=f.forward, **{**f.options, "headline": False})
    return f._bare


def fitted(f):
    """``f``, or the same frames drawn top to bottom when that fits a page better (rankdir not given).

    Both orientations of the last frame are laid out once (SVG) and compared by the scale
    at which each fits :data:`PAGE`; the result is kept on ``f``.
    """
    if f.options.get("rankdir") is not None or len(f) == 0:
        return f
    if getattr(f, "_fitted", None) is None:
        lr, tb = (type(f)(f.trace, scale=f.scale, forward=f.forward, **{**f.options, "rankdir": r})
                  for r in ("LR", "TB"))  # fmt: skip
        fits = []
        for g in (lr, tb):
            w, h = svg_size(g.render_one(len(g) - 1, "svg"))
            fits.append(min(PAGE[0] / w, PAGE[1] / h, 1.0))
        f._fitted = tb if fits[1] > fits[0] * 1.05 else lr  # left to right unless clearly worse
    return f._fitted


def _dpi(f, width):
    """The resolution at which the widest of the first and last frames is ``width`` pixels wide."""
    w = max(svg_size(f.render_one(k, "svg"))[0] for k in (0, len(f) - 1))
    return round(min(NATURAL_DPI, 72.0 * width / w), 2)


def images(f, width, which=None):
    """Frames (all, or the indices ``which``) as RGB images at one resolution, on one white canvas
    the size of the largest."""
    from PIL import Image

    dpi = _dpi(f, width)
    pngs = f.render("png", dpi) if which is None else [f.render_one(k, "png", dpi) for k in which]
    images = [Image.open(io.BytesIO(p)) for p in pngs]
    size = (max(im.width for im in images), max(im.height for im in images))
    out = []
    for im in images:
        canvas = Image.new("RGB", size, "white")
        low = im.getchannel("A").getextrema()[0] if im.mode == "RGBA" else 255
        if isinstance(low, (int, float)) and low < 255:
            canvas.paste(im, (0, 0), im)  # top left: the caption sits there in every frame
        else:
            canvas.paste(im.convert("RGB"), (0, 0))
        if canvas.width > width:  # Graphviz rounds up, or a middle frame is wider than the first and last
            canvas = canvas.resize(
                (width, round(canvas.height * width / canvas.width)), Image.Resampling.LANCZOS
            )
        out.append(canvas)
    return out


def still(f, width=1000):
    """A PNG of the first frame above the last: what a viewer without scripts shows of the player."""
    from PIL import Image

    f = fitted(f)
    first, last = images(f, width, (0, len(f) - 1))
    gap = 16
    canvas = Image.new("RGB", (first.width, first.height + gap + last.height), "white")
    canvas.paste(first, (0, 0))
    canvas.paste(last, (0, first.height + gap))
    for x in range(0, first.width, 8):  # a dashed line between them
        for y in range(first.height + gap // 2 - 1, first.height + gap // 2 + 1):
            if x % 16 < 8:
                canvas.putpixel((x, y), (180, 180, 180))
    out = io.BytesIO()
    canvas.save(out, "PNG")
    return palette_png(out.getvalue())


def too_many(f, advice):
    """What to say when ``f`` has more than MAX_FRAMES frames; ``advice`` may use {L}, the root's name."""
    L = f.trace.names[f.root]
    return (
        f"the backward pass from {L} has {len(f) - 1} steps ({len(f)} frames), more than an animation "
        f"shows well (at most {MAX_FRAMES}); show a part of it, the steps to one parameter: "
        + advice.format(L=L)
    )


def _h(text):
    return html.escape(str(text), quote=True)
