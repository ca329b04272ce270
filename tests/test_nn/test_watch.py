"""Tests for nn._watch: one sample's graph and the optimizer's state, live, in a page and in a GIF."""

import copy
import html
import math
import random
import re

import pytest

import engine
from nn import MLP, SGD, AdamW, data, fit, live


class Sink:
    """A display that keeps every PNG and every HTML output it is shown (instead of a notebook)."""

    def __init__(self):
        self.shown, self.pages = [], []

    def show(self, data):
        self.shown.append(data)

    def show_html(self, text):
        self.pages.append(text)


@pytest.fixture
def jupyter(monkeypatch):
    """Make the live view believe it runs in a kernel and draw into a Sink; returns the Sink."""
    sink = Sink()
    monkeypatch.setattr(live, "in_jupyter", lambda: True)
    monkeypatch.setattr(live, "Display", lambda: sink)
    return sink


def three_classes(hidden=(4,), seed=2, optimizer=AdamW, **options):
    """A small MLP trained on 40 yin-yang points with cross-entropy: (model, optimizer, X, y, history)."""
    X, y = data.yin_yang(40, seed=seed)
    random.seed(seed)
    model = MLP(2, [*hidden, 3])
    opt = optimizer(model.parameters(), lr=0.05)
    options = {"epochs": 5, "batch_size": 10, "progress": False, **options}
    history = fit(model, X, y, loss="cross_entropy", optimizer=opt, **options)
    return model, opt, X, y, history


def engine_grads(model, x, target, loss="cross_entropy"):
    """The engine's own data and gradient of every node of one sample's loss, by name (on a copy)."""
    from nn import cross_entropy, hinge

    other = copy.deepcopy(model)
    other.zero_grad()  # the trained model's batch gradients stay on the copy otherwise
    L = {"cross_entropy": cross_entropy, "hinge": hinge}[loss](other(x), target)
    L.label = "L"
    L.backward()
    return {name: (v.data, v.grad) for v, name in engine.vocab.names(L).items()}


HOOK = re.compile(r'<text[^>]*data-node="([^"]*)"[^>]*data-(data|grad)="([^"]*)"')
ROW = re.compile(r'<tr data-param="([^"]*)"([^>]*)>')


def hooks(page):
    """{(node name, "data" or "grad"): the number its hook holds} of a page or a live output."""
    return {(html.unescape(n), kind): float(x) for n, kind, x in HOOK.findall(page)}


def rows(page):
    """{parameter name: {column: number}} of the optimizer's table in a page or a live output."""
    out = {}
    for name, attrs in ROW.findall(page):
        out[html.unescape(name)] = {k: float(v) for k, v in re.findall(r'data-(\w+)="([^"]*)"', attrs)}
    return out


def close(a, b, rel=1e-12):
    """a and b equal to ``rel`` relative (absolute near 0)."""
    return math.isclose(a, b, rel_tol=rel, abs_tol=rel)


def test_watching_changes_no_weight_gradient_or_history(jupyter):
    """The same weights, gradients and History with watch=i as without it (and as live=False)."""
    runs, pngs = [], []
    for options in ({}, {"live": True}, {"live": True, "watch": 3}):
        model, _, _, _, h = three_classes(**options)
        runs.append(([(p.data, p.grad) for p in model.parameters()], h.loss, h.epoch_loss, h.accuracy, h.lr))
        pngs.append(len(jupyter.shown))
    assert runs[0] == runs[1] == runs[2]
    assert jupyter.pages and pngs[1] == pngs[2] > 0  # the watched view is HTML, not one more PNG


def test_the_live_view_shows_the_engines_numbers_for_the_sample(jupyter):
    """At the last redraw every box's data and grad equal the engine's for that sample, to 1e-12."""
    model, opt, X, y, _ = three_classes(live=True, watch=7)
    last = jupyter.pages[-1]
    expected = engine_grads(model, X[7], y[7])
    shown = hooks(last)
    assert len(shown) == 2 * 43  # the full view of MLP(2, [4, 3]): every one of its 43 values
    for (name, kind), x in shown.items():
        assert close(x, expected[name][kind == "grad"]), (name, kind)
    assert "sample 7 after update 20 of 20" in last


def test_the_live_table_is_the_optimizers_state(jupyter):
    """The optimizer's table at the last redraw holds each parameter's value, grad, m and v."""
    model, opt, *_ = three_classes(live=True, watch=0)
    table = rows(jupyter.pages[-1])
    state = opt.state()
    assert len(table) == len(opt.params)
    for k, p in enumerate(opt.params):
        row = table[p.label]
        assert (row["data"], row["grad"], row["m"], row["v"]) == (
            p.data,
            p.grad,
            state["m"][k],
            state["v"][k],
        )


def test_sgd_with_momentum_shows_its_velocity(jupyter):
    """SGD with momentum: the table's rows hold the velocity (and no m or v)."""
    momentum = lambda params, lr: SGD(params, lr=lr, momentum=0.9)  # noqa: E731
    model, opt, *_ = three_classes(optimizer=momentum, live=True, watch=1)
    table = rows(jupyter.pages[-1])
    first = table[opt.params[0].label]
    assert first["velocity"] == opt.velocity[0] and "m" not in first


def test_a_wide_network_is_drawn_one_box_per_neuron(jupyter):
    """MLP(2, [16, 16, 3]): the collapsed view, its neurons' outputs hooked with the engine's numbers."""
    model, opt, X, y, _ = three_classes(hidden=(16, 16), epochs=1, live=True, watch=2)
    last = jupyter.pages[-1]
    assert "collapsed view" in last and "one box per neuron" in last
    expected = engine_grads(model, X[2], y[2])
    shown = hooks(last)
    names = {name for name, _ in shown}
    assert {f"a^(1)_{j}" for j in range(1, 17)} <= names and {f"a^(2)_{j}" for j in range(1, 17)} <= names
    for (name, kind), x in shown.items():
        assert close(x, expected[name][kind == "grad"]), (name, kind)


def test_the_graph_is_laid_out_once(jupyter, monkeypatch):
    """Graphviz runs once for the watched sample's graph, however many pictures are drawn."""
    from engine.views.drawing import render

    runs = []
    pipe = render.pipe
    monkeypatch.setattr(render, "pipe", lambda *a, **k: runs.append(1) or pipe(*a, **k))
    three_classes(epochs=2, live=True, watch=0, live_every=1)
    assert len(jupyter.pages) == 8 and len(runs) == 1


@pytest.mark.parametrize(
    "options, message",
    [
        ({"watch": 3}, "pass live=True too"),
        ({"live": True, "watch": 40}, "watch must be the index of a training row, 0 to 39, got 40"),
        ({"live": True, "watch": -1}, "0 to 39, got -1"),
        ({"live": True, "watch": True}, "got True"),
        ({"live": True, "watch": "0"}, "got '0'"),
    ],
)
def test_a_bad_watch_is_refused_before_training(options, message):
    """A watch that is not a row's index, or without live=True, is a clear error; no weight moves."""
    X, y = data.yin_yang(40, seed=2)
    random.seed(2)
    model = MLP(2, [4, 3])
    before = [p.data for p in model.parameters()]
    with pytest.raises(ValueError, match=re.escape(message)):
        fit(model, X, y, loss="cross_entropy", epochs=2, progress=False, **options)
    assert [p.data for p in model.parameters()] == before


def test_animate_watch_refuses_a_bad_path_or_sample(tmp_path):
    """animate(watch=i) writes .html or .gif only, for a row of the data; nothing is written otherwise."""
    *_, history = three_classes(snapshots=5)
    with pytest.raises(ValueError, match=r"a page \(.html\) or a GIF \(.gif\)"):
        history.animate(tmp_path / "x.png", watch=0)
    with pytest.raises(ValueError, match="0 to 39, got 99"):
        history.animate(tmp_path / "x.html", watch=99)
    assert not list(tmp_path.iterdir())


def test_the_page_holds_every_snapshot_and_the_engines_numbers(tmp_path):
    """The page's first frame is the first snapshot: its hooks hold the engine's numbers at those weights."""
    model, opt, X, y, history = three_classes(snapshots=1)
    first = copy.deepcopy(model)
    from nn._watch import set_weights

    set_weights(first, history.snapshots.weights[0])
    path = history.animate(tmp_path / "train.html", watch=5)
    page = path.read_text("utf-8")
    assert not re.search(r"<script[^>]* src|<link|(src|href)=\"https?:", page)  # nothing from a network
    assert 'id="update"' in page and f'max="{len(history.snapshots.steps) - 1}"' in page
    expected = engine_grads(first, X[5], y[5])
    for (name, kind), x in hooks(page).items():
        assert close(x, expected[name][kind == "grad"]), (name, kind)


def test_animate_watch_writes_a_gif_of_the_picture_and_the_graph(tmp_path):
    """A .gif with watch: one frame per snapshot, taller than the plain GIF (the graph is below)."""
    from PIL import Image

    *_, history = three_classes(epochs=2, snapshots=4)
    plain = Image.open(history.animate(tmp_path / "plain.gif"))
    watched = Image.open(history.animate(tmp_path / "watched.gif", watch=0))
    assert watched.n_frames == plain.n_frames == len(history.snapshots.steps)
    assert watched.width == plain.width and watched.height > plain.height


@pytest.mark.browser
@pytest.mark.parametrize("hidden, boxes", [((4,), 43), ((16, 16), 40)])  # the full view; one box per neuron
def test_page_in_chromium_plays_the_samples_training(tmp_path, chromium, hidden, boxes):
    """In Chromium: the slider changes the displayed gradients; at the last update they are the engine's
    for the sample to 1e-12 and the optimizer's table is the optimizer's state; a click on another point
    (another class) watches it, its numbers recomputed by the generated JavaScript equal to the engine's."""
    sync_api = pytest.importorskip("playwright.sync_api")
    model, opt, X, y, history = three_classes(hidden=hidden, snapshots=1)
    path = history.animate(tmp_path / "train.html", watch=5)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(path.as_uri())
        page.wait_for_selector("body[data-ready]")  # the numbers are inflated

        def grads():
            return page.eval_on_selector_all(
                "text[data-grad]",
                "els => els.map(e => [e.getAttribute('data-node'), e.getAttribute('data-grad'),"
                " e.textContent])",
            )

        def step_to(k):
            page.fill("#update", str(k))
            page.dispatch_event("#update", "input")

        start = grads()
        step_to(1)
        assert grads() != start
        last = len(history.snapshots.steps) - 1
        step_to(last)
        expected = engine_grads(model, X[5], y[5])
        shown = grads()
        assert len(shown) == boxes
        for name, x, text in shown:
            assert close(float(x), expected[name][1]), name
            assert text == f"grad {engine.vocab.fmt(float(x), 4)}"
        table = page.eval_on_selector_all(
            "tr[data-param]",
            "rs => rs.map(r => [r.dataset.param, r.dataset.data, r.dataset.grad, r.dataset.m, r.dataset.v])",
        )
        state = opt.state()
        assert [row[0] for row in table] == [p.label for p in opt.params]
        for k, (_, value, grad, m, v) in enumerate(table):
            p = opt.params[k]
            assert [float(value), float(grad), float(m), float(v)] == [p.data, p.grad, state["m"][k],
                                                                        state["v"][k]]  # fmt: skip
        other = next(j for j in range(len(y)) if y[j] != y[5])  # another class: another program
        circle = page.query_selector(f'circle[data-index="{other}"]').bounding_box()
        page.mouse.click(circle["x"] + circle["width"] / 2, circle["y"] + circle["height"] / 2)
        step_to(last)
        expected = engine_grads(model, X[other], y[other])
        assert page.inner_text("#count").endswith(
            f"sample {other}'s loss {engine.vocab.fmt(expected['L'][0], 4)}"
        )
        datas = page.eval_on_selector_all(
            "text[data-data]",
            "els => els.map(e => [e.getAttribute('data-node'), e.getAttribute('data-data')])",
        )
        for (name, x, _), (same, d) in zip(grads(), datas):
            assert (
                name == same and close(float(x), expected[name][1]) and close(float(d), expected[name][0])
            ), name
        page.click("#play")
        page.wait_for_timeout(300)
        assert page.inner_text("#play").endswith("pause") or page.input_value("#update") == str(last)
        page.screenshot(path=str(tmp_path / "page-1280.png"))
        page.set_viewport_size({"width": 848, "height": 900})
        page.screenshot(path=str(tmp_path / "page-848.png"))
        assert page.evaluate("document.documentElement.scrollWidth") <= 848
        assert not errors
        browser.close()


def test_compile_layers_cannot_be_watched(tmp_path):
    """compile='layers' keeps its own gradients and optimizer state: watch is refused before training,
    and its snapshots refuse animate(watch=i) with the reason."""
    with pytest.raises(ValueError, match="compile='layers' keeps the gradients"):
        three_classes(compile="layers", live=True, watch=0)
    *_, history = three_classes(compile="layers", snapshots=5)
    with pytest.raises(ValueError, match="compile='layers' keeps the gradients"):
        history.animate(tmp_path / "x.html", watch=0)
    assert not list(tmp_path.iterdir())


def test_compiled_training_is_watched_with_the_engines_numbers(jupyter):
    """compile=True: the watched graph and the table still hold the engine's numbers and the state."""
    model, opt, X, y, _ = three_classes(compile=True, live=True, watch=4)
    last = jupyter.pages[-1]
    expected = engine_grads(model, X[4], y[4])
    for (name, kind), x in hooks(last).items():
        assert close(x, expected[name][kind == "grad"]), (name, kind)
    table, state = rows(last), opt.state()
    assert [table[p.label]["m"] for p in opt.params] == state["m"]


def test_hostile_labels_are_text_and_an_undrawable_edge_label_drops_the_edges(tmp_path, jupyter):
    """A label with markup stays text in the live view and the page; a label whose edge text the drawing
    splits (letters as a subscript) makes the full view leave out the edges' numbers, not fail."""
    X, y = data.yin_yang(40, seed=2)
    random.seed(2)
    model = MLP(2, [4, 3])
    model.layers[0].neurons[0].w[0].label = '</script><b id="x">&\u2028'
    model.layers[1].neurons[0].b.label = "b_out"  # "out" has no Unicode subscript: HTML in the edge label
    opt = AdamW(model.parameters(), lr=0.05)
    history = fit(model, X, y, loss="cross_entropy", optimizer=opt, epochs=2, progress=False, live=True,
                  watch=1, snapshots=1)  # fmt: skip
    for text in (jupyter.pages[-1], history.animate(tmp_path / "p.html", watch=1).read_text("utf-8")):
        assert '<b id="x">' not in text and "&lt;/script&gt;&lt;b id=&quot;x&quot;&gt;&amp;" in text
        assert text.count("</script>") == text.count("<script>") + text.count("<script ")
        assert 'data-edge="' not in text and len(hooks(text)) == 2 * 43


@pytest.mark.browser
def test_the_live_view_fits_an_848_px_cell_in_chromium(tmp_path, jupyter, chromium):
    """In Chromium, the live output of a wide network fits an 848-px cell (no picture wider); its box
    draws the graph legible (wider, panning inside the box) when asked, and the cell still fits."""
    sync_api = pytest.importorskip("playwright.sync_api")
    three_classes(hidden=(16, 16), epochs=1, live=True, watch=2)
    page_path = tmp_path / "cell.html"
    page_path.write_text(f'<!DOCTYPE html><meta charset="utf-8"><body style="margin:0;width:848px">'
                         f"{jupyter.pages[-1]}</body>", "utf-8")  # fmt: skip
    measure = """() => ({scroll: document.body.scrollWidth, widest: Math.max(...Array.from(
        document.querySelectorAll('body > .watch > svg, .watch img, .watch svg.watch-graph')).map(
        e => e.getBoundingClientRect().width)), graph: document.querySelector('svg.watch-graph')
        .getBoundingClientRect().width})"""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1000, "height": 900})
        page.goto(page_path.as_uri())
        fitted = page.evaluate(measure)
        assert fitted["scroll"] <= 848 and fitted["widest"] <= 848
        page.check("input[type=checkbox]")
        legible = page.evaluate(measure)
        assert legible["graph"] > 848 and legible["scroll"] <= 848  # it pans inside its own box
        page.screenshot(path=str(tmp_path / "live-848.png"))
        browser.close()
