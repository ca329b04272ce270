"""Tests for engine.drawing: draw() and the pictures it makes."""

import base64
import functools
import html
import random
import re
import struct
import time
import warnings
import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import engine
import nn
from engine import Value, trace, vocab
from engine.views import drawing
from engine.views.drawing import CollapsedWarning, Drawing, render, scope_title
from engine.vocab import fmt


def svg_px(svg):
    """(width, height) in CSS px of Graphviz SVG text (its size is in pt)."""
    m = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    return float(m[1]) * 4 / 3, float(m[2]) * 4 / 3


# Most tests below read the left-to-right full view (draw's default up to 0.2); the orientation
# that fits a cell and the focus view of a step have tests of their own (engine.draw itself).
draw = functools.partial(engine.draw, rankdir="LR", focus=False)

# The golden texts below abbreviate what every box and every op oval repeat: a box
# <<table border="2" color="transparent" ... bgcolor="F"><tr><td color="black">A</td><td color="black">B</td>
# <td color="black" width="W">C</td></tr></table>> reads [F: A | B | C (W)] and the ovals' style
# reads OP. Only these exact attribute lists are abbreviated, so the comparison is still exact.
_BOX = re.compile(
    r'<<table border="2" color="transparent" cellborder="1" cellspacing="0" cellpadding="3" bgcolor="([^"]+)"><tr>'
    r'<td color="black">(.*?)</td><td color="black">(.*?)</td><td color="black" width="(\d+)">(.*?)</td>'
    r"</tr></table>>"
)
_OP = 'fillcolor="#eeeeee" fontsize=10 height=0 margin="0.04,0.02" shape=ellipse style=filled width=0'


def short(source):
    return _BOX.sub(r"[\1: \2 | \3 | \5 (\4)]", source).replace(_OP, "OP")


def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def svg_texts(svg):
    return [e.text for e in ET.fromstring(svg).iter() if e.tag.endswith("text") and e.text]


def small_expression():
    x, w = Value(0.5, label="x"), Value(-1.0, label="w")
    y = (x * w + 1).tanh()
    y.label = "y"
    y.backward()
    return y


def seed002():
    net = nn.seed002()
    net.E.backward()
    return net


def mlp_one_sample(seed=1):
    random.seed(seed)
    model = nn.MLP(2, [16, 16, 1])
    L = (model([0.5, -1.0]) - 1.0) ** 2
    L.label = "L"
    L.backward()
    return model, L


GOLDEN_EXPRESSION = """\
digraph chainrule {
	fontname=Helvetica fontsize=11 nodesep=0.3 rankdir=LR ranksep=0.35
	node [fontname=Helvetica fontsize=11]
	edge [arrowsize=0.7 fontname=Helvetica fontsize=10]
	g0 [label=<<table border="2" color="transparent" cellborder="1" cellspacing="0" cellpadding="3" bgcolor="#e8f1fb"><tr><td color="black"><b>x</b></td><td color="black">data 0.50000</td><td color="black" port="p0" width="88">grad -0.78645</td></tr><tr><td color="black"><b>w</b></td><td color="black">data -1.00000</td><td color="black" port="p1" width="88">grad 0.39322</td></tr></table>> shape=plain]
	v2 [label=[white: <i>n2</i> | data -0.50000 | grad 0.78645 (88)] shape=plain]
	v2op [label="*" OP]
	v3 [label=[white: <i>n1</i> | data 0.50000 | grad 0.78645 (88)] shape=plain]
	v3op [label="+ 1" OP]
	v4 [label=[#fdebd0: <b>y</b> | data 0.46212 | grad 1.00000 (88)] shape=plain]
	v4op [label=tanh OP]
	g0:p0:e -> v2op [label="∂n2/∂x = -1.00000" fontcolor="#1f4e79"]
	g0:p1:e -> v2op [label="∂n2/∂w = 0.50000" fontcolor="#1f4e79"]
	v2op -> v2
	v2 -> v3op [label="∂n1/∂n2 = 1.00000" fontcolor="#1f4e79"]
	v3op -> v3
	v3 -> v4op [label="∂y/∂n1 = 0.78645" fontcolor="#1f4e79"]
	v4op -> v4
	label=<box: name | data | grad, where grad = ∂y/∂(box);  oval: the op that made the box to its right<br align='left'/>edge: the local derivative ∂out/∂in;  chain rule: ∂y/∂in += ∂y/∂out · ∂out/∂in, summed over the edges out of a box<br align='left'/>y = tanh(x · w + 1)<br align='left'/>n1 = n2 + 1;  n2 = x · w<br align='left'/>> labeljust=l labelloc=b
}
"""

# Seed 002's hidden neuron H1 alone (after outH1.backward()): zH1 = w1·x1 + w2·x2 + b1, outH1 = σ(zH1).
# The leaf inputs of one op in one cluster share one table, in input order (w1, w2); inputs that
# feed one layer only sit in its box with its shared bias (x1, x2, b1).
GOLDEN_NEURON = """\
digraph chainrule {
	fontname=Helvetica fontsize=11 nodesep=0.3 rankdir=LR ranksep=0.35
	node [fontname=Helvetica fontsize=11]
	edge [arrowsize=0.7 fontname=Helvetica fontsize=10]
	subgraph cluster_0 {
		color="#9db3cc" fillcolor="#f3f6fa" label="hidden layer" labeljust=l style="rounded,filled"
		g1 [label=<<table border="2" color="transparent" cellborder="1" cellspacing="0" cellpadding="3" bgcolor="#e8f1fb"><tr><td color="black"><b>x1</b></td><td color="black">data 0.95000</td><td color="black" port="p0" width="84">grad 0.02485</td></tr><tr><td color="black"><b>x2</b></td><td color="black">data 0.06000</td><td color="black" port="p1" width="84">grad 0.03728</td></tr><tr><td color="black"><b>b1</b></td><td color="black">data 0.05000</td><td color="black" port="p2" width="84">grad 0.24852</td></tr></table>> shape=plain]
		subgraph cluster_1 {
			color="#b0b0b0" fillcolor="#ffffff" label="hidden neuron H1" labeljust=l style="rounded,filled"
			g0 [label=<<table border="2" color="transparent" cellborder="1" cellspacing="0" cellpadding="3" bgcolor="#e8f1fb"><tr><td color="black"><b>w1</b></td><td color="black">data 0.10000</td><td color="black" port="p0" width="84">grad 0.23610</td></tr><tr><td color="black"><b>w2</b></td><td color="black">data 0.15000</td><td color="black" port="p1" width="84">grad 0.01491</td></tr></table>> shape=plain]
			v5 [label=[white: <b>zH1</b> | data 0.15400 | grad 0.24852 (84)] shape=plain]
			v5op [label="w·x+b" OP]
			v6 [label=[#fdebd0: <b>outH1</b> | data 0.53842 | grad 1.00000 (84)] shape=plain]
			v6op [label="σ" OP]
		}
	}
	g0:p0:e -> v5op [label="∂zH1/∂w1 = 0.95000" fontcolor="#1f4e79"]
	g0:p1:e -> v5op [label="∂zH1/∂w2 = 0.06000" fontcolor="#1f4e79"]
	g1:p0:e -> v5op [label="∂zH1/∂x1 = 0.10000" fontcolor="#1f4e79"]
	g1:p1:e -> v5op [label="∂zH1/∂x2 = 0.15000" fontcolor="#1f4e79"]
	g1:p2:e -> v5op [label="∂zH1/∂b1 = 1.00000" fontcolor="#1f4e79"]
	v5op -> v5
	v5 -> v6op [label="∂outH1/∂zH1 = 0.24852" fontcolor="#1f4e79"]
	v6op -> v6
}
"""


def test_golden_dot_of_a_small_expression():
    """y = tanh(x·w + 1) draws as exactly this DOT text: boxes, ops, ∂out/∂in on every edge, a legend."""
    assert short(draw(small_expression()).source) == GOLDEN_EXPRESSION


def test_golden_dot_of_one_neuron():
    """Seed 002's neuron H1 draws as exactly this DOT text, in clusters named like the documents."""
    outH1 = nn.seed002().out["H1"]
    outH1.backward()
    assert short(draw(outH1, legend=False).source) == GOLDEN_NEURON


def test_same_graph_same_text():
    """Building the same graph twice gives the same DOT text, in every view (no id()-based names)."""
    first, second = seed002(), seed002()
    assert draw(first.E).source == draw(second.E).source
    assert draw(first.E, step=7).source == draw(second.E, step=7).source
    with pytest.warns(CollapsedWarning):
        a, b = draw(mlp_one_sample()[1]).source, draw(mlp_one_sample()[1]).source
    assert a == b and "0x" not in a


def test_repr_is_stable():
    """A Drawing's repr says what it shows and holds no memory address (saved notebooks stay unchanged)."""
    net = seed002()
    assert repr(draw(net.E)) == "<Drawing of E: 27 values, full view>"
    assert repr(draw(net.E, step=3)) == "<Drawing of E: 27 values, full view, after step 3>"
    assert repr(draw(net.E, collapse=True)) == "<Drawing of E: 27 values, collapsed into 9 boxes>"


def test_every_chain_rule_step_is_an_edge_label():
    """Each step of engine.trace appears as an edge labelled ∂node/∂parent = local, with the same names."""
    net = nn.seed002()
    steps = trace(net.E)  # the backward pass itself
    source = draw(net.E).source
    for s in steps:
        assert f'"∂{s.node_name}/∂{s.parent_name} = {fmt(s.local)}"' in source
    ops = sum(1 for n in engine.topological_order(net.E) if n.parents)
    drawn = source.count(" -> ") - source.count("[style=invis]")  # less the edges that only order a rank
    assert drawn == len(steps) + ops  # input -> op for each step, op -> result for each op


def test_clusters_are_named_like_the_documents():
    """nn's scopes become nested clusters named as in the documents: hidden layer > hidden neuron H1, ..."""
    source = draw(seed002().E).source
    for title in (
        "hidden layer",
        "hidden neuron H1",
        "hidden neuron H2",
        "output layer",
        "output neuron Y2",
        "loss",
    ):
        assert re.search(f'label="?{title}"? labeljust=l style="rounded,filled"', source)
    assert scope_title("layer 1/neuron 2") == "layer 1 · neuron 2"
    assert scope_title("hidden layer/H1") == "hidden neuron H1"
    assert scope_title("a/b/c") == "c" and scope_title("loss") == "loss"


def test_edge_labels_switch_and_size_default():
    """edge_labels=False drops the ∂out/∂in labels; by default they are off above EDGE_LABEL_LIMIT values."""
    net = seed002()
    assert "∂" in draw(net.E).source and 'label="∂' not in draw(net.E, edge_labels=False).source
    x = Value(0.3, label="x")
    v = x
    for _ in range(drawing.EDGE_LABEL_LIMIT):
        v = v.sin()
    v.backward()
    assert 'label="∂' not in draw(v).source
    assert draw(v, edge_labels=True).source.count('label="∂') == drawing.EDGE_LABEL_LIMIT


def test_formulas_on_edges():
    """formulas=True writes the rule table's formula, with the names shown, between ∂out/∂in and its value."""
    source = draw(seed002().E, formulas=True).source
    assert "∂zY1/∂w5 = outH1 = 0.5384" in source
    assert "∂outY1/∂zY1 = outY1 * (1 - outY1) = 0.2321" in source
    assert "∂zY1/∂b2 = 1" in source  # no formula repeated when it is the number itself


def test_rankdir_top_to_bottom():
    """rankdir="TB" stacks each box's cells and says the op is above its box; anything else is refused."""
    source = draw(small_expression(), rankdir="TB").source
    assert "rankdir=TB" in source and '</td></tr><tr><td color="black">data' in source
    assert "the box below it" in source
    with pytest.raises(ValueError, match="'LR' .*'TB' .* or None"):
        draw(small_expression(), rankdir="RL")


def test_highlight_nodes_and_edges():
    """Highlighted Values get a red border and highlighted edges a red line; strangers are refused."""
    net = seed002()
    w5, zY1 = net.params["w5"], net.z["Y1"]
    source = draw(net.E, highlight=[w5], highlight_edges=[(zY1, w5)]).source
    assert '<td color="#d62728"><b>w5</b>' in source  # w5's row of the table of w5 and w6, outlined
    op = box_ids(source)["zY1"] + "op"
    assert re.search(rf'g\d+:p0:e -> {op} \[label="∂zY1/∂w5 = 0.53842" [^]]*color="#d62728"', source)
    marked = draw(net.E, highlight=[net.z["H1"]]).source  # a box of its own: a thick red border
    assert re.search(r'border="2" color="#d62728"[^>]*><tr><td color="black"><b>zH1</b>', marked)
    with pytest.raises(ValueError, match="not in the graph"):
        draw(net.E, highlight=[Value(1.0)])
    with pytest.raises(ValueError, match="no edge joins"):
        draw(net.E, highlight_edges=[(net.params["w1"], zY1)])
    with pytest.raises(TypeError, match="highlight takes Values"):
        draw(net.E, highlight=["w5"])


def test_step_frame_caption():
    """A step frame's caption gives the step's chain-rule product with its numbers; step 0 is the start."""
    net = seed002()
    before = [n.grad for n in engine.topological_order(net.E)]
    i = next(s.number for s in trace(nn.seed002().E) if s.parent_name == "w5")
    source = draw(net.E, step=i).source
    lines = re.findall(r'<font point-size="14"><b>(.*?)</b></font>', source)  # broken between words
    assert len(lines) == 2 and all(len(line) <= 66 for line in lines)
    assert " ".join(lines) == (
        f"step {i}: ∂E/∂w5 += ∂E/∂zY1 · ∂zY1/∂w5 = 0.13549 × 0.53842 = 0.07295, so ∂E/∂w5 = 0.07295"
    )
    assert "step 0: the start; only ∂E/∂E = 1.00000 is known" in draw(net.E, step=0).source
    assert [n.grad for n in engine.topological_order(net.E)] == before
    with pytest.raises(ValueError, match="cannot be drawn collapsed"):
        draw(net.E, step=1, collapse=True)
    with pytest.raises(IndexError, match="does not exist"):
        draw(net.E, step=10_000)


def test_bad_arguments():
    """draw() names what is wrong with its arguments."""
    with pytest.raises(TypeError, match="takes the Value"):
        draw(1.0)
    with pytest.raises(ValueError, match="number of decimals"):
        draw(small_expression(), digits=0)
    with pytest.raises(TypeError, match="digits"):
        draw(small_expression(), digits=2.5)
    assert "data 0.46<" in draw(small_expression(), digits=2).source


def test_precision_is_the_old_name_of_digits():
    """precision= still works for one release, with a DeprecationWarning, and draws what digits= draws."""
    y = small_expression()
    with pytest.warns(DeprecationWarning, match="digits"):
        old = draw(y, precision=2).source
    assert old == draw(y, digits=2).source
    with pytest.warns(DeprecationWarning), pytest.raises(TypeError, match="digits= .* only"):
        draw(y, digits=3, precision=2)
    with pytest.warns(DeprecationWarning):
        f = engine.frames(y, precision=2)
    assert f.settings.digits == 2 and f[1].source == draw(trace(y), step=1, digits=2, rankdir=None).source


def test_options_are_one_object():
    """draw(root, **kw) is drawing(root, DrawOptions(**kw)); DrawOptions checks every option once."""
    from engine.views.drawing import DrawOptions
    from engine.views.drawing import drawing as drawing_of

    net = seed002()
    w5 = net.params["w5"]
    kw = dict(rankdir="TB", formulas=True, highlight=w5, digits=3, legend=False)
    assert draw(net.E, **kw).source == drawing_of(net.E, DrawOptions(**kw)).source
    assert DrawOptions(highlight=w5).highlight == (w5,)
    assert DrawOptions(highlight_edges=(net.z["Y1"], w5)).highlight_edges == ((net.z["Y1"], w5),)
    assert DrawOptions().replace(digits=2) == DrawOptions(digits=2)
    for bad, error in (({"rankdir": "RL"}, ValueError), ({"legend": "yes"}, TypeError),
                       ({"edge_labels": 1}, TypeError), ({"max_nodes": -1}, ValueError)):  # fmt: skip
        with pytest.raises(error):
            DrawOptions(**bad)
    with pytest.raises(TypeError, match="no option 'colour'"):
        engine.frames(net.E, colour="red")


def test_full_view_has_a_hard_limit():
    """Drawing more than HARD_LIMIT values node by node is refused with what to do instead."""
    v = Value(0.1, label="x")
    for _ in range(drawing.HARD_LIMIT):
        v = v * 1.0001
    with pytest.raises(ValueError, match="unreadable tangle"):
        draw(v, collapse=False)


def test_svg_holds_labels_and_numbers(no_system_dot):
    """The rendered SVG parses as XML and shows the labels, data, grads and local derivatives."""
    texts = svg_texts(draw(seed002().E).svg())
    for text in (
        "w5",
        "data 0.18000",
        "grad 0.07295",
        "∂zY1/∂w5 = 0.53842",
        "hidden neuron H1",
        "outY1",
        "σ",
    ):
        assert text in texts


def test_png_and_pdf_of_seed002(no_system_dot, tmp_path):
    """Seed 002 saves as a PNG of a sane size and as a PDF, through graphviz-pure."""
    d = draw(seed002().E)
    width, height = png_size(d.save(tmp_path / "seed002.png").read_bytes())
    assert 1500 < width < 8000 and 400 < height < 3000
    assert d.save(tmp_path / "seed002.pdf").read_bytes().startswith(b"%PDF-")
    assert d.save(tmp_path / "seed002.gv").read_text() == d.source


def test_jupyter_shows_svg_through_the_fallback(no_system_dot):
    """In Jupyter a drawing shows as an image of its SVG fitted to the cell, with a PNG (for viewers
    that show no HTML image: GitHub, a PDF export) and a stable repr, through graphviz-pure; the SVG
    alone when asked for by name."""
    d = draw(small_expression())
    bundle = d._repr_mimebundle_()
    assert list(bundle) == ["text/html", "image/png", "text/plain"]
    svg = d._repr_mimebundle_(include=["image/svg+xml"])["image/svg+xml"]
    assert svg == d.svg() and "∂y/∂n1 = 0.78645" in svg_texts(svg)
    width, _ = png_size(bundle["image/png"])
    assert abs(width - svg_px(svg)[0]) <= 2  # natural size
    img = re.fullmatch(r'<div style="overflow-x:auto;max-width:100%"><img src="data:image/svg\+xml;base64,'
                       r'([A-Za-z0-9+/=]+)" alt="&lt;Drawing of y: 5 values, full view&gt;" width="(\d+)" '
                       r'height="(\d+)" style="max-width:100%;min-width:(\d+)px;height:auto"></div>',
                       bundle["text/html"])  # fmt: skip
    assert img is not None and base64.b64decode(img[1]).decode() == svg
    w, h = svg_px(svg)
    assert (int(img[2]), int(img[3])) == (round(w), round(h))
    assert int(img[4]) == round(w * 10 / (10 * 4 / 3))  # the narrowest at which 10-pt text is 10 px
    assert list(d._repr_mimebundle_(include=["image/png"])) == ["image/png"]
    assert "image/png" not in d._repr_mimebundle_(exclude=["image/png"])
    assert d.pipe("svg", encoding="utf-8") == d.svg() and d.html() == bundle["text/html"]
    formatters = pytest.importorskip("IPython.core.formatters")
    data, _ = formatters.DisplayFormatter().format(d)
    assert data["text/plain"] == "<Drawing of y: 5 values, full view>" and set(data) == set(bundle)


def test_without_any_renderer_the_source_is_still_there(monkeypatch, tmp_path):
    """With no renderer, rendering raises RendererNotFound with the DOT text, and .gv files still save."""
    monkeypatch.setattr(render, "candidates", lambda: [])
    d = draw(small_expression())
    with pytest.raises(render.RendererNotFound, match="pip install graphviz-pure") as info:
        d.svg()
    assert info.value.source == d.source
    with pytest.raises(render.RendererNotFound):
        d._repr_mimebundle_()
    assert d.save(tmp_path / "y.gv").read_text() == d.source


def test_graphviz_render_without_dot_points_to_save(no_system_dot, tmp_path):
    """graphviz's own render() needs system dot; without it the error says to use save()."""
    with pytest.raises(render.RendererNotFound, match=r"drawing\.save") as info:
        draw(small_expression()).render(tmp_path / "y", format="png")
    assert info.value.source.startswith("digraph chainrule {")


def test_100k_nodes_collapse_quickly(no_system_dot):
    """A graph of 100,000 values is drawn collapsed, with a warning, small DOT text and a quick render."""
    xs = [Value(random.Random(i).uniform(-1, 1), label=f"x{i}") for i in range(1000)]
    outs = []
    for i, x in enumerate(xs):
        v = x
        for j in range(49):
            v = (v * xs[(i + j) % 1000]) if j % 2 else (v * 0.5 + 0.1).tanh()
        outs.append(v)
    S = engine.sum(outs)
    S.label = "S"
    assert len(engine.topological_order(S)) >= 100_000
    S.backward()
    start = time.perf_counter()
    with pytest.warns(CollapsedWarning, match="collapsed into"):
        d = draw(S)
    svg = d.svg()
    assert time.perf_counter() - start < 60  # a sanity bound: it takes about a second
    assert d.collapsed and d.nodes >= 100_000 and d.boxes <= drawing._collapsed.MAX_BOXES
    assert len(d.source) < 100_000
    texts = svg_texts(svg)
    assert any(t.startswith("collapsed view: ") and "draw(root, collapse=False)" in t for t in texts)
    assert "S" in texts and "grad 1.00000" in texts


def test_mlp_16_16_1_gives_a_readable_picture(no_system_dot):
    """MLP(2, [16, 16, 1]) on one sample: one box per neuron, layers joined through junctions, a sane size."""
    model, L = mlp_one_sample()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(CollapsedWarning):
            draw(L)
    with pytest.warns(CollapsedWarning):
        d = draw(L)
    assert d.collapsed and d.boxes == 2 + 16 + 16 + 1 + 2  # x_1, x_2, the neurons, then L - 1 and L
    assert d.source.count(" -> ") < 100  # not 16 × 16 arrows between the hidden layers
    texts = svg_texts(d.svg())
    assert "all 16 → each of 16" in texts and "all 2 → each of 16" in texts
    for j in (1, 16):
        assert f"layer 1 · neuron {j}" in texts and f"layer 2 · neuron {j}" in texts
    assert "layer 3 · neuron 1" in texts and "L" in texts
    assert re.search(r"<b>a⁽²⁾₁₆</b>", d.source)
    width, height = png_size(d.pipe("png"))
    assert width < 4000 and height < 4000
    w = model.layers[1].neurons[4].w[0]  # highlighting a weight outlines its neuron's box
    with pytest.warns(CollapsedWarning):
        marked = draw(L, highlight=[w]).source
    assert re.search(
        r'border="2" color="#d62728"[^>]*><tr><td color="black" colspan="3"><b>layer 2 · neuron 5</b>', marked
    )


def test_collapsed_without_scopes_bands_by_depth():
    """A big graph with no scopes is drawn as bands of depth from the output, and says so."""
    v = Value(0.5, label="x")
    for _ in range(300):
        v = (v * 0.9).sin()
    v.label = "out"
    v.backward()
    with pytest.warns(CollapsedWarning):
        d = draw(v)
    assert (
        "banded by depth" in d.source and "depth 0–" in d.source and d.boxes <= drawing._collapsed.DEPTH_BANDS
    )


def test_drawing_is_a_graphviz_digraph():
    """draw() returns a graphviz.Digraph subclass, so graphviz's API (source, copy, attr) works on it."""
    import graphviz

    d = draw(small_expression())
    assert isinstance(d, Drawing) and isinstance(d, graphviz.Digraph)
    assert d.copy().source == d.source and repr(d.copy()) == repr(d)


def node_positions(svg):
    """{node id: (x, y) of its first text} for every node of a Graphviz SVG."""
    out = {}
    for g in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}g"):
        if g.get("class") != "node":
            continue
        title = next(e.text for e in g if e.tag.endswith("title"))
        text = next(e for e in g.iter() if e.tag.endswith("text"))
        out[title] = (float(text.get("x")), float(text.get("y")))
    return out


def box_ids(source):
    """{label of a box: its node id} from a drawing's DOT text."""
    found = re.findall(r"\t+(v\d+) \[label=<<table[^>]*><tr><td[^>]*><(?:b|i)>(\w+)</(?:b|i)>", source)
    return {label: vid for vid, label in found}


@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_frames_do_not_move_any_node(no_system_dot, rankdir):
    """Every frame of seed 002's trace puts every node at the same place (graphviz-pure's SVG)."""
    t = trace(nn.seed002().E)
    first = node_positions(draw(t, step=0, rankdir=rankdir).svg())
    for k in (1, 2, 8, 20, 31, len(t)):
        assert node_positions(draw(t, step=k, rankdir=rankdir).svg()) == first, f"step {k} moved a node"


def test_grad_cells_are_wide_enough_for_every_frame():
    """All grad cells of a trace's frames share one width, fitted to the widest number of the pass."""
    t = trace(nn.seed002().E)
    widths = {w for k in (0, 5, len(t)) for w in re.findall(r'width="(\d+)"', draw(t, step=k).source)}
    assert len(widths) == 1 and int(widths.pop()) >= 6 * len("grad -0.00049878")


def text_positions(svg):
    """{text: (x, y)} of the first SVG text element showing each text."""
    out = {}
    for e in ET.fromstring(svg).iter():
        if e.tag.endswith("text") and e.text:
            out.setdefault(e.text, (float(e.get("x")), float(e.get("y"))))
    return out


ORDERS = [
    ["w1", "w2", "b1", "w3", "w4"],  # hidden neuron H1 above (left of) H2, each weight in index order
    ["x1", "x2"],
    ["w5", "w6", "b2", "w7", "w8"],
    ["zH1", "zH2"],
    ["zY1", "zY2"],
]


def in_order(svg, rankdir, orders):
    pos = text_positions(svg)
    axis = 1 if rankdir == "LR" else 0
    return [names for names in orders if sorted(names, key=lambda n: pos[n][axis]) != names]


@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_seed002_is_drawn_in_index_order(no_system_dot, rankdir):
    """Neurons, weights and inputs appear in index order, top to bottom (LR) or left to right (TB)."""
    assert in_order(draw(seed002().E, rankdir=rankdir).svg(), rankdir, ORDERS) == []


def test_index_order_is_written_into_the_dot():
    """An op's leaf inputs in one cluster share one table, a row (LR) or column (TB) each, in input order."""
    lr, tb = draw(seed002().E).source, draw(seed002().E, rankdir="TB").source
    assert re.search(r"g\d+ \[label=<<table[^\n]*<b>w1</b>.*</tr><tr>.*<b>w2</b>", lr)  # two rows
    assert re.search(
        r"g\d+ \[label=<<table[^\n]*<tr><td[^>]*><b>x1</b></td><td[^>]*><b>x2</b>", tb
    )  # a row of titles
    assert re.search(r"g\d+:p1:e -> v\d+op", lr) and re.search(r"g\d+:p1:s -> v\d+op", tb)


@pytest.mark.skipif(not __import__("shutil").which("dot"), reason="system Graphviz dot is not installed")
@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_index_order_with_system_dot(rankdir):
    """With Graphviz's own dot the order is the same as with graphviz-pure."""
    d = draw(seed002().E, rankdir=rankdir)
    assert in_order(render.pipe(d.source, "svg", render.candidates()[0]).decode(), rankdir, ORDERS) == []


@pytest.mark.parametrize("rankdir", ["LR", "TB"])
@pytest.mark.parametrize("sizes", [[4, 3, 1], [3, 4, 1]])
@pytest.mark.parametrize("labels", [True, False])
def test_mlp_neurons_and_weights_in_index_order(no_system_dot, rankdir, sizes, labels):
    """An nn MLP's neurons, and each neuron's weights and bias, are drawn in index order in every layer."""
    random.seed(0)
    model = nn.MLP(3, sizes)
    orders = []
    for k, layer in enumerate(model.layers, 1):
        for j, neuron in enumerate(layer.neurons, 1):
            for i, w in enumerate(neuron.w, 1):
                w.label = f"W{k}n{j}i{i}"  # plain names: found in the SVG as one text each
            neuron.b.label = f"B{k}n{j}"
            orders.append([w.label for w in neuron.w] + [neuron.b.label])
        orders.append([neuron.w[0].label for neuron in layer.neurons])
    L = nn.mse(model([0.5, -0.2, 0.1]), 0.8)
    L.label = "L"
    assert in_order(draw(L, collapse=False, rankdir=rankdir, edge_labels=labels).svg(), rankdir, orders) == []


def test_only_draws_the_paths_to_one_parameter(no_system_dot):
    """draw(..., only="w5") draws the path E ... zY1 -> w5 alone, captioned with explain's text."""
    net = seed002()
    t = trace(nn.seed002().E)
    d = draw(t, only="w5")
    ids = box_ids(d.source)
    assert set(ids) == {"E", "n1", "n2", "n3", "outY1", "zY1", "w5"}
    assert str(engine.explain(t, "w5")).splitlines()[0] in d.source
    assert "grey:" not in d.source and "step " not in d.source  # the whole pass, no step marked
    assert "step 3:" in draw(t, only="w5", step=3).source  # a frame of the paths, when asked for
    w1 = draw(net.E, only=net.params["w1"])
    assert {"w1", "zH1", "outH1", "zY1", "zY2", "E"} <= set(box_ids(w1.source))
    assert "w5" not in box_ids(w1.source)
    reused = re.findall(r'color="#d08a00"[^>]*><tr><td[^>]*><b>(\w+)</b>', w1.source)
    assert sorted(reused) == ["zY1", "zY2"]  # as explain marks them: ∂E/∂zY1 reused from w5's gradient
    assert "reused: ∂E/∂zY1 = 0.13549, already computed for ∂E/∂w5" in w1.source
    assert "w1" in svg_texts(w1.svg())
    with pytest.raises(KeyError, match="no node labelled 'w9'"):
        draw(net.E, only="w9")


def test_unlabelled_nodes_have_a_key():
    """The caption says what each unlabelled node computes and writes E as the documents do."""
    source = draw(seed002().E).source
    assert "E = ½(0.05 − outY1)² + ½(0.82 − outY2)²" in source
    for text in ("n1 = ½·n2", "n2 = n3²", "n3 = 0.05 − outY1", "n6 = 0.82 − outY2"):
        assert text in source


def test_scripts_in_labels_are_real_sub_and_superscripts():
    """A label w^(2)_{1,2} is drawn with Unicode scripts w⁽²⁾₁,₂ in boxes and on edges; HTML scripts where
    Unicode has none."""
    w = Value(0.5, label="w^(2)_{1,2}")
    a = Value(2.0, label="a^(1)_2")
    z = w * a
    z.label = "z^(2)_1"
    source = draw(z).source
    assert "<b>w⁽²⁾₁,₂</b>" in source
    assert 'label="∂z⁽²⁾₁/∂w⁽²⁾₁,₂ = 2.00000"' in source  # an edge label: Unicode scripts, one piece of text
    v = Value(1.0, label="v_{ij}")
    assert "<sub>ij</sub>" in draw(v * v).source  # no Unicode subscript for i, j: HTML
    assert "^" not in source.split("label=<box:")[0]
    caption = draw(z, step=1).source.split('<font point-size="14">')[1]
    assert caption.startswith("<b>step 1: ∂z⁽²⁾₁/∂w⁽²⁾₁,₂ +=")  # captions too, in Unicode scripts


def test_stale_graph_is_refused():
    """After a weight changes, drawing the old graph raises StaleGraphError saying to rebuild it."""
    net = seed002()
    net.params["w1"].data -= 0.01
    with pytest.raises(engine.StaleGraphError, match="Rebuild the forward pass"):
        draw(net.E)


def test_frames_of_one_trace_share_a_layout_and_equal_fresh_drawings():
    """Each frame of a trace, asked for in any order, is the DOT text of that step drawn on its own."""
    E = seed002().E
    t = trace(E)
    for rankdir in ("LR", "TB"):
        for i in [*range(len(t) + 1), 9, 3, len(t), 0]:
            alone = draw(seed002().E, step=i, rankdir=rankdir).source  # its own pass, its own layout
            assert draw(t, step=i, rankdir=rankdir).source == alone


def test_frames_of_one_trace_are_laid_out_once(monkeypatch):
    """All frames of a trace, with and without headlines, and its forward frames, come from one layout."""
    made = []
    real = drawing.lay_out
    monkeypatch.setattr(drawing, "lay_out", lambda *a: made.append(a) or real(*a))
    t = trace(nn.seed002().E)
    f = engine.frames(t, forward=True)
    sources = [f[k].source for k in range(len(f))]
    bare = [draw(t, step=k, headline=False, rankdir=None).source for k in (0, 5, len(t))]
    assert len(made) == 1 and len(set(sources)) == len(f) and "step 5" not in bare[1]


def test_headline_can_be_left_out():
    """draw(trace, step=i, headline=False) drops the step's bold line and nothing else; a non-bool is refused."""
    t = trace(nn.seed002().E)
    with_line, without = draw(t, step=8).source, draw(t, step=8, headline=False).source
    assert "step 8: ∂E/∂w6" in with_line and "step 8" not in without
    assert re.sub(r'<font point-size="14"><b>[^<]*</b></font><br align="left"/>', "", with_line) == without
    with pytest.raises(TypeError, match="headline is True"):
        draw(t, step=8, headline="no")


def test_top_to_bottom_edge_labels_are_two_lines(no_system_dot):
    """Top to bottom, ∂zH1/∂w1 sits above = 0.95000 (labels side by side are half as wide); LR keeps one line."""
    E = nn.seed002().E
    E.backward()
    tb, lr = draw(E, rankdir="TB"), draw(E)
    assert '"∂zH1/∂w1\\n= 0.95000"' in tb.source and '"∂zH1/∂w1 = 0.95000"' in lr.source
    texts = text_positions(tb.svg())
    assert "∂zH1/∂w1" in texts and "= 0.95000" in texts
    assert texts["= 0.95000"][1] > texts["∂zH1/∂w1"][1]  # below it


def _stacked_and_narrow(svg):
    """Seed 002's SVG: (width in pt, output layer's weights below both hidden outputs)."""
    width = float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1))
    pos = text_positions(svg)
    return width, all(pos["w5"][1] > pos[h][1] and pos["w7"][1] > pos[h][1] for h in ("outH1", "outH2"))


def test_top_to_bottom_layers_stack_as_tables(no_system_dot):
    """Top to bottom, a layer's parameters are one table (w1 w2 b1 w3 w4) and the layers stack: seed 002
    is at most 1,020 pt wide (about a 1,000-px notebook at 10-px text; w4's grad in fixed notation,
    -0.000029927, is the widest cell), and a wider cell scrolls its picture rather than shrink it."""
    E = seed002().E
    E.backward()
    d = draw(E, rankdir="TB")
    assert re.search(
        r"g\d+ \[label=<<table[^\n]*<b>w1</b>.*<b>w2</b>.*<b>b1</b>.*<b>w3</b>.*<b>w4</b>", d.source
    )
    assert "hidden layer" not in d.source and "hidden neuron H1" in d.source  # the neurons are boxed
    assert "output layer" in draw(E).source  # left to right, layers keep their boxes
    width, stacked = _stacked_and_narrow(d.svg())
    assert width <= 1020 and stacked


@pytest.mark.skipif(not __import__("shutil").which("dot"), reason="system Graphviz dot is not installed")
def test_top_to_bottom_layers_stack_with_system_dot():
    """With Graphviz's own dot the layers stack as narrowly as with graphviz-pure."""
    E = seed002().E
    E.backward()
    svg = render.pipe(draw(E, rankdir="TB").source, "svg", render.candidates()[0]).decode()
    width, stacked = _stacked_and_narrow(svg)
    assert width <= 1020 and stacked


@pytest.mark.parametrize("system_dot", [False, True])
def test_left_to_right_inputs_sit_between_the_neurons_they_feed(no_system_dot, system_dot, monkeypatch):
    """Left to right, x1 and x2 share the hidden layer's box and table with b1, between H1 and H2."""
    E = seed002().E
    E.backward()
    d = draw(E)
    assert re.search(
        r'label="hidden layer"[^\n]*\n\t\tg\d+ \[label=<<table[^\n]*<b>x1</b>.*<b>x2</b>.*<b>b1</b>', d.source
    )
    if system_dot:
        monkeypatch.undo()  # the real PATH
        if not __import__("shutil").which("dot"):
            pytest.skip("system Graphviz dot is not installed")
        svg = render.pipe(d.source, "svg", render.candidates()[0]).decode()
    else:
        svg = d.svg()
    pos = text_positions(svg)
    assert pos["w2"][1] < pos["x1"][1] < pos["x2"][1] < pos["w3"][1]  # top to bottom: H1, the inputs, H2


def _gap(svg, most=30):
    """How close (in pt, to 1 pt) an edge's curve comes to an op's oval other than its own ends; ``most``
    if none comes that close."""
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    ovals, edges = {}, []
    for g in root.iter(ns + "g"):
        title = g.find(ns + "title")
        if title is None:
            continue
        if g.get("class") == "node" and g.find(ns + "ellipse") is not None:
            e = g.find(ns + "ellipse")
            ovals[title.text] = tuple(float(e.get(k)) for k in ("cx", "cy", "rx", "ry"))
        elif g.get("class") == "edge" and g.find(ns + "path") is not None:
            ends = [end.split(":")[0] for end in title.text.split("->")]
            d = g.find(ns + "path").get("d")
            nums = [tuple(map(float, p.split(","))) for p in re.findall(r"-?[\d.]+,-?[\d.]+", d)]
            points = []
            for i in range(0, len(nums) - 3, 3):  # each cubic Bézier piece, sampled
                p0, p1, p2, p3 = nums[i : i + 4]
                for k in range(21):
                    t, u = k / 20, 1 - k / 20
                    points.append(tuple(u**3 * a + 3 * u * u * t * b + 3 * u * t * t * c + t**3 * d
                                        for a, b, c, d in zip(p0, p1, p2, p3)))  # fmt: skip
            edges.append((ends, points))
    gap = most
    for ends, points in edges:
        for name, (cx, cy, rx, ry) in ovals.items():
            if name not in ends:
                for m in range(gap):  # the oval grown by m pt on each side
                    if any(((x - cx) / (rx + m)) ** 2 + ((y - cy) / (ry + m)) ** 2 < 1 for x, y in points):
                        gap = m
                        break
    return gap


@pytest.mark.parametrize("rankdir, least", [("TB", 10), ("LR", 1)])
def test_edges_keep_clear_of_other_ops(no_system_dot, rankdir, least, monkeypatch):
    """In seed 002 no edge crosses an op it does not touch; top to bottom none comes within 10 pt of one
    (0.1 came within 2 pt: x1's edge grazed H2's oval), with either renderer."""
    E = seed002().E
    E.backward()
    d = draw(E, rankdir=rankdir)
    assert _gap(d.svg()) >= least
    monkeypatch.undo()  # the real PATH: system dot too, where it is installed
    if __import__("shutil").which("dot"):
        assert _gap(render.pipe(d.source, "svg", render.candidates()[0]).decode()) >= least


# --- drawings read one recorded pass ----------------------------------------------------


@pytest.fixture
def partials_counted():
    """Counts every call of the rule table's partials on the ops of graphs passed to ``watch``."""
    calls, wrapped = [0], []

    def watch(root):
        for op in {n.op for n in engine.topological_order(root) if n.parents} - {op for op, _ in wrapped}:
            original = op.partials

            def counting(*args, _original=original):
                calls[0] += 1
                return _original(*args)

            wrapped.append((op, original))
            object.__setattr__(op, "partials", counting)  # an Op is frozen: its row, wrapped for this test
        return lambda: calls[0]

    yield watch
    for op, original in wrapped:
        object.__setattr__(op, "partials", original)


def test_drawings_never_evaluate_a_partial(partials_counted):
    """Drawings, frames and forward frames of a recorded pass call no partial of the rule table; draw(root)
    records one backward pass (each op's partials once) and reads its local derivatives from it."""
    net = seed002()
    count = partials_counted(net.E)
    interior = sum(1 for n in engine.topological_order(net.E) if n.parents)
    t = trace(net.E)
    assert count() == interior  # the pass itself: one evaluation per op
    ft = engine.forward_trace(net.E, "w1")
    recorded = count()
    for k in range(len(t) + 1):
        draw(t, step=k)
    draw(t, rankdir="TB", formulas=True)
    draw(t, only="w1")
    draw(t.to("w5"), step=7)
    f = engine.frames(t, forward=True)
    [f[k] for k in range(len(f))]
    [draw(ft, step=k) for k in (0, 3, len(ft))]
    assert count() == recorded  # none
    before = engine.backward.passes
    source = draw(net.E).source
    assert count() == recorded + interior and engine.backward.passes == before + 1  # one recorded pass
    for s in t:
        assert f'"∂{s.node_name}/∂{s.parent_name} = {fmt(s.local)}"' in source


def test_a_failing_pass_is_drawn_without_numbers_on_its_edges():
    """When the backward pass fails (∂(a**b)/∂b for a < 0), draw(root) still draws, and says why."""
    a, b = Value(-2.0, label="a"), Value(3.0, label="b")
    y = a**b
    y.label = "y"
    source = draw(y).source
    assert 'label="∂y/∂a" ' in source and 'label="∂y/∂b" ' in source and "= undefined" not in source
    assert "no local derivative on the edges: the backward pass fails" in source


# --- filtered traces ------------------------------------------------------------------


def test_a_filtered_trace_is_drawn_by_its_table_numbers():
    """draw(trace.to("w5"), step=n) takes the numbers its table lists; other numbers say which ones exist."""
    t = trace(nn.seed002().E)
    part = t.to("w5")
    numbers = [s.number for s in part]
    assert numbers != list(range(1, len(part) + 1))  # not 1, 2, 3, ...: the whole pass's numbers
    for k, s in enumerate(part, 1):
        d = draw(part, step=s.number)
        assert (
            repr(d).endswith(f"after step {s.number}>")
            and f"step {s.number}: ∂E/∂{s.parent_name} +=" in d.source
        )
        known, _ = part.state(k)  # the same gradients as the k-th step of the filtered pass
        assert d.source.count("grad ?") == len(t.names) - len(known)
    missing = next(n for n in range(1, len(t) + 1) if n not in numbers)
    with pytest.raises(IndexError, match=rf"step {missing} is not in this trace.*paths to w5.*{numbers[1]}"):
        draw(part, step=missing)
    with pytest.raises(ValueError, match="not in this trace"):  # also a ValueError: what a user catches
        draw(part, step=missing)


def test_off_path_edges_are_faded_with_their_local_derivative():
    """A filtered trace's frames draw the edges it leaves out faded, labelled with their ∂out/∂in, never
    'undefined'; the edges it keeps look as in the whole pass's frames."""
    t = trace(nn.seed002().E)
    part = t.to("w5")
    kept = {(s.node_name, s.parent_name) for s in part}
    for n in (0, part[-1].number):
        source = draw(part, step=n).source
        assert "undefined" not in source and "faded: an edge off the paths to w5" in source
        for s in t:
            label = f'"∂{s.node_name}/∂{s.parent_name} = {fmt(s.local)}"'
            faded = re.search(re.escape(label) + r' color="#c8c8c8" fontcolor="#a8a8a8"', source)
            assert (faded is None) == ((s.node_name, s.parent_name) in kept), s
    whole = draw(t, step=0).source
    assert "faded" not in whole and "#c8c8c8" not in whole


def test_frames_of_a_filtered_trace_count_by_the_table(tmp_path):
    """frames(trace.to(w)) has one frame per kept step, each draw(part, step=its number); the counters say
    "step 7 (6 of 6)" and the captions are the table's sentences."""
    from engine.views.drawing import _player

    part = trace(nn.seed002().E).to("w5")
    f = engine.frames(part)
    assert f.numbers == [0] + [s.number for s in part] and len(f) == len(part) + 1
    assert [f[k].source for k in range(len(f))] == [
        draw(part, step=n, rankdir=None).source for n in f.numbers
    ]
    counts, texts = _player.counters(f), _player.captions(f, 5)
    last = part[-1].number
    assert (
        counts[0] == f"step 0 (0 of {len(part)})"
        and counts[-1] == f"step {last} ({len(part)} of {len(part)})"
    )
    assert texts[-1].startswith(f"step {last}: ")
    whole = trace(nn.seed002().E)
    assert _player.counters(engine.frames(whole))[-1] == f"step {len(whole)} / {len(whole)}"


# --- hostile labels -------------------------------------------------------------------

HOSTILE = ["<", ">", "&", '"', "'", "<!--<script>", "</b>", '<FONT POINT-SIZE="60">', "&amp;", "\x00", "\x07",
           "\n", "\t", "\x85", "\ud800", "\udfff", "\ufffe", "\\N", "\\", "]]>", "{", "}", ";", "->"]  # fmt: skip
_labels = st.lists(
    st.one_of(st.sampled_from(HOSTILE), st.text(st.characters(exclude_characters="^_"), max_size=4)),
    min_size=1,
    max_size=4,
).map("".join)


def _shown(label):
    """A label as a drawing shows it: printable (control characters as pictures), non-characters as �."""
    return vocab.printable(label).replace("\ufffe", "\ufffd").replace("\uffff", "\ufffd")


@given(_labels, _labels, _labels)
@example('<FONT POINT-SIZE="60">', "<!--<script>alert(1)</script>", 'L"&\ud800\x01')
@example("x<", "<!--<script>", "L>")
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_hostile_labels_are_escaped_in_every_frame(x_label, w_label, root_label):
    """Backward and forward-mode frames of a graph with hostile labels render, and show each label
    as its text: escaped in the HTML-like labels (no tag of a label reaches Graphviz)."""
    x, w = Value(0.5, label=x_label), Value(-2.0, label=w_label)
    L = (x * w).tanh()
    L.label = root_label
    t, ft = trace(L), engine.forward_trace(L, w)
    for k, d in enumerate((draw(t, step=1), draw(ft, step=1), engine.frames(t, forward=True)[2], draw(L))):
        source = d.source
        texts = " ".join(svg_texts(d.svg())) if k < 2 else None  # it renders, to SVG that parses
        for label in (x_label, w_label, root_label):
            if label.strip():  # an empty label names nothing: the node is n1, ...
                assert f"<b>{html.escape(_shown(label), quote=False)}</b>" in source
                assert texts is None or _shown(label).strip().split()[0] in texts
        if not any("&" in label for label in (x_label, w_label, root_label)):
            assert "&amp;" not in source  # escaped once: no "&lt;" turned into "&amp;lt;"
        labels = re.findall(r"label=<(.*)>", source)
        assert all("<FONT" not in x and "<script" not in x and "<!--" not in x for x in labels)


def test_a_trace_and_its_frames_are_freed_together():
    """The layout and scenes kept for a trace's frames do not keep the trace alive once it is dropped."""
    import gc
    import weakref

    t = trace(nn.seed002().E)
    [draw(t, step=k) for k in (0, 3)]
    engine.frames(t, forward=True)[1]
    gone = weakref.ref(t)
    del t
    gc.collect()
    assert gone() is None


def test_a_step_must_be_a_whole_number():
    """step= takes an int: True, 1.0 or -1 are refused with what step means, before anything is drawn."""
    t = trace(small_expression())
    for bad in (True, 1.0, -1, "1"):
        with pytest.raises(ValueError, match="step must be an int >= 0"):
            draw(t, step=bad)


def test_without_rankdir_a_drawing_stands_up_where_lying_down_would_not_fit_a_cell():
    """engine.draw picks top to bottom for seed 002 (left to right it is 4,500 px wide) and left to right for
    a two-value product; the orientation drawn is the one estimated, and a given rankdir is kept."""
    E = nn.seed002().E  # as notebook 01 draws it, before any backward pass
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    L = a * b
    L.label = "L"
    L.backward()
    assert "rankdir=TB" in engine.draw(E).source and "rankdir=LR" in engine.draw(E, rankdir="LR").source
    assert "rankdir=LR" in engine.draw(L).source
    lr, tb = (svg_px(engine.draw(E, rankdir=r).svg())[0] for r in ("LR", "TB"))
    assert tb < 848 * 4 / 3 < lr  # standing, it fits an 848-px cell at 10-pt text of 10 px; lying, not


def test_a_step_of_a_wide_graph_is_drawn_as_a_focus_view():
    """draw(E, step=7) keeps zY1, its parents and the nodes up to E whole and labelled, the other boxes
    their name alone and their edges faded; it is narrower than the whole picture, and frames keep it whole."""
    E = seed002().E
    t = trace(E)
    step = next(s for s in t if s.parent_name == "w5")
    focus = engine.draw(t, step=step.number)
    whole = engine.draw(t, step=step.number, focus=False)
    names = t.names
    kept = {"zY1", "w5", "w6", "b2", "outH1", "outH2", "outY1", "n3", "n2", "n1", "E"}
    for v, name in names.items():
        box = re.search(rf"<b>{name}</b></td>(</tr><tr>)?<td[^>]*>data", focus.source) if v.label else None
        if v.label and v.parents:
            assert (box is not None) == (name in kept), name
    assert "∂zY1/∂w5" in focus.source and "∂zH1/∂w1" not in focus.source and "∂zH1/∂w1" in whole.source
    assert "small and faded: off this step's path to E" in focus.source
    assert svg_px(focus.svg())[0] < svg_px(whole.svg())[0] <= svg_px(engine.draw(t, step=step.number, focus=False,
                                                                                rankdir="LR").svg())[0]  # fmt: skip
    assert engine.frames(t)[step.number].source == whole.source
    assert engine.draw(t, step=0).source == engine.draw(t, step=0, focus=False).source  # the start: no step
    with pytest.raises(TypeError, match="focus is True, False or None"):
        engine.draw(t, step=1, focus="yes")


def test_the_steps_label_is_in_the_steps_colour_and_no_leader_line_is_drawn():
    """The step's edge label is written in the step's orange, beside its orange edge; no label has a leader
    line (Graphviz's decorate), which struck through labels beside their edges."""
    from engine.views.drawing._base import STEP

    t = trace(seed002().E)
    step = next(s for s in t if s.parent_name == "w5")
    for source in (engine.draw(t, step=step.number).source, draw(t, step=step.number).source):
        assert "decorate" not in source
        assert re.search(rf'label="∂zY1/∂w5[^"]*" color="{STEP}" fontcolor="{STEP}" penwidth=3', source)
        assert source.count(f'fontcolor="{STEP}"') == 1


def test_a_drawings_png_is_in_256_colours_on_white():
    """The PNG a notebook keeps is the rendered picture in 256 colours, transparent parts white, same size."""
    import io

    from PIL import Image

    from engine.views.drawing._base import palette_png

    d = draw(small_expression())
    full = Image.open(io.BytesIO(d.pipe("png"))).convert("RGB")
    small = d._repr_mimebundle_(include=["image/png"])["image/png"]
    shown = Image.open(io.BytesIO(small))
    assert shown.mode == "P" and shown.size == full.size
    a, b = full.tobytes(), shown.convert("RGB").tobytes()
    assert sum(abs(x - y) for x, y in zip(a, b)) / len(a) < 4  # the same picture
    clear = io.BytesIO()
    Image.new("RGBA", (4, 4), (0, 0, 0, 0)).save(clear, "PNG")
    assert Image.open(io.BytesIO(palette_png(clear.getvalue()))).convert("RGB").getpixel((1, 1)) == (
        255,
        255,
        255,
    )


def test_a_still_drawing_words_the_chain_rule_as_its_recorded_pass_does(monkeypatch):
    """draw(root)'s legend takes the chain rule's wording from the pass it records (one vocabulary with
    the frames, tables and players); a failed pass keeps the plain wording."""
    from engine.record.tracing import Trace

    t = trace(small_expression())
    assert t.rule_legend() in draw(small_expression()).source
    monkeypatch.setattr(Trace, "rule_legend", lambda self: "chain rule: as the trace words it")
    assert (
        "edge: the local derivative ∂out/∂in;  chain rule: as the trace words it"
        in draw(small_expression()).source
    )
