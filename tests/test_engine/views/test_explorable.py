"""Tests for engine.explorable: the offline page that redoes every chain-rule step in generated JavaScript."""

import html
import json
import math
import random
import re
import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings

import engine
import nn
from engine import Value
from engine.record.tracing import record
from engine.tools.strategies import examples, expressions
from engine.views.explorable import Explorable, explorable

REL = 1e-12
SEED002 = ("w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8", "b1", "b2")


def seed002_at(values):
    """Seed 002's graph rebuilt with some parameters set to ``values``, and its recorded pass."""
    net = nn.seed002()
    for name, x in values.items():
        net.params[name].data = x
    h = net.model.layers[0](net.x)
    y = net.model.layers[1](h)
    with engine.scope("loss"):
        E = nn.losses.half_sse(y, list(net.target))
    E.label = "E"
    return E, record(E)


def grads_by_name(t):
    """Every node's ∂L/∂node after the recorded pass ``t``, by the trace's name."""
    known, _ = t.state(len(t))
    return {t.names[v]: known.get(v, 0.0) for v in t.names}


def hooks(page, kind):
    """{node name: float} of the page's data-node texts carrying ``data-<kind>``."""
    found = re.findall(rf'data-node="([^"]*)" data-{kind}="([^"]*)"', page)
    return {html.unescape(n): float(x) for n, x in found}


def close(a, b):
    return math.isclose(a, b, rel_tol=REL, abs_tol=0.0)


@pytest.fixture(scope="module")
def seed002_page(tmp_path_factory):
    """Seed 002's explorable page with its ten parameters to vary, on disk."""
    net = nn.seed002()
    path = tmp_path_factory.mktemp("explorable") / "seed002.html"
    explorable(net.E, path, vary=list(net.params.values()))
    return path


def test_the_page_is_one_offline_file_under_a_megabyte(seed002_page):
    """Seed 002's page is self-contained (no external script, style or link) and smaller than 1 MB."""
    page = seed002_page.read_text(encoding="utf-8")
    assert len(page.encode("utf-8")) < 1_000_000
    assert not re.search(r"<script[^>]+src=|<link |@import|(src|href)=\"https?://|url\(", page)
    assert page.count("<script>") == 1
    for name in SEED002:
        assert f'input[data-leaf="{name}"]' not in page  # hooks are attributes, not text
        assert f'data-leaf="{name}"' in page and f'data-slider="{name}"' in page


def test_hooks_hold_the_recorded_numbers_in_full_precision(seed002_page):
    """Every node's data and grad texts carry data-node and the repr of the recorded number."""
    page = seed002_page.read_text(encoding="utf-8")
    net = nn.seed002()
    t = record(net.E)
    data, grad = hooks(page, "data"), hooks(page, "grad")
    assert set(data) == set(grad) == {t.names[v] for v in t.names}
    expected = grads_by_name(t)
    for v, name in t.names.items():
        assert data[name] == v.data
        assert grad[name] == expected[name]
    assert re.search(r'data-node="w5" data-grad="0\.0729519972006264"', page)
    steps = sorted(int(k) for k in re.findall(r'data-step="(\d+)" data-prefix=', page))
    assert steps == [s.number for s in t.steps]  # every edge's label is marked for the page to redraw


def test_default_vary_is_every_labelled_leaf():
    """Without vary, every labelled leaf gets a field (x1, x2 too); unlabelled leaves do not."""
    net = nn.seed002()
    page = explorable(net.E).html
    fields = re.findall(r'type="number" step="any" inputmode="decimal" data-leaf="([^"]*)"', page)
    assert sorted(fields) == sorted([*SEED002, "x1", "x2"])


def test_rows_say_which_ops_saturate_or_die():
    """The panel's saturated and dead units come from the rows' fields: sigmoid, tanh saturate; relu dies."""
    saturating = {name for name, op in engine.RULES.items() if op.saturates}
    dying = {name for name, op in engine.RULES.items() if op.dies}
    assert saturating == {"sigmoid", "tanh"} and dying == {"relu"}
    x = Value(0.5, label="x")
    y = (x.relu() + x.tanh()).sigmoid()
    y.label = "y"
    model = json.loads(
        re.search(r"const M = (\{.*?\});\n", explorable(y).html).group(1)  # the page's model, as JSON
    )
    marked = {n["name"]: (n["saturates"], n["dies"]) for n in model["nodes"]}
    assert sum(s for s, _ in marked.values()) == 2 and sum(d for _, d in marked.values()) == 1


HOSTILE = ["</script><script>alert(1)</script>", 'a"b', "x&amp;<b>y</b>", "p\u2028q", "<!--", "'"]


def test_hostile_labels_are_escaped_everywhere():
    """Labels with markup, quotes, comment openers or U+2028 appear only escaped: never as markup or code."""
    leaves = [Value(0.1 * (i + 1), label=label) for i, label in enumerate(HOSTILE)]
    root = engine.sum([leaf * leaf for leaf in leaves]).tanh()
    root.label = "</script><img src=x onerror=alert(2)>"
    page = explorable(root).html
    assert "<script><" not in page and "alert(1)</script>" not in page and "<img" not in page
    assert "\u2028" not in page.split("<script>")[1]
    script = page.split("<script>")[1].split("</script>")[0]
    assert "</" not in script and "<!--" not in script
    assert "&lt;/script&gt;" in page


def test_bad_arguments_are_refused_clearly(tmp_path):
    """A non-leaf, an unknown label, a bad range or curve, or bad digits: a ValueError saying what to do."""
    net = nn.seed002()
    with pytest.raises(ValueError, match="not a leaf"):
        explorable(net.E, vary=[net.out["H1"]])
    with pytest.raises(ValueError, match="no node labelled 'nope'"):
        explorable(net.E, vary=["nope"])
    with pytest.raises(ValueError, match="listed twice"):
        explorable(net.E, vary=["w1", "w1"])
    with pytest.raises(ValueError, match="low < high"):
        explorable(net.E, vary=["w1"], ranges={"w1": (1.0, 0.0)})
    with pytest.raises(ValueError, match="among the leaves to vary"):
        explorable(net.E, vary=["w1"], curve="w2")
    with pytest.raises(ValueError, match="digits"):
        explorable(net.E, digits=0)
    with pytest.raises(TypeError, match="the Value to explore"):
        explorable(3.0)
    unlabelled = Value(1.0) * Value(2.0)
    with pytest.raises(ValueError, match="no labelled leaf"):
        explorable(unlabelled)
    target = tmp_path / "page.html"
    target.write_text("before", encoding="utf-8")
    with pytest.raises(ValueError):
        explorable(net.E, target, vary=["nope"])
    assert target.read_text(encoding="utf-8") == "before"  # nothing written when it fails


def test_making_the_page_changes_no_gradient():
    """The page reads one recorded pass of its own: every .grad stays as it was."""
    net = nn.seed002()
    nodes = engine.topological_order(net.E)
    before = [n.grad for n in nodes]
    explorable(net.E)
    assert [n.grad for n in nodes] == before


def test_jupyter_shows_the_page_inline_with_a_png():
    """In Jupyter the page shows in a frame (its HTML escaped into srcdoc), with a PNG of the drawing."""
    net = nn.seed002()
    e = explorable(net.E, vary=["w5"])
    assert isinstance(e, Explorable) and "explorable page of E" in repr(e)
    bundle = e._repr_mimebundle_()
    shown = bundle["text/html"]
    frame = shown[shown.index("<iframe srcdoc='") + len("<iframe srcdoc='") :].split("'")[0]
    assert html.unescape(frame) == e.html  # the whole page, escaped into one single-quoted attribute
    assert "image/png" in bundle and len(bundle["image/png"]) > 1000
    # the still PNG stands first, for a notebook whose frame does not run; a loaded frame removes it
    assert shown.index(f'<img src="data:image/png;base64,{bundle["image/png"]}"') < shown.index("<iframe")
    assert "this.previousElementSibling" in shown and "box-sizing:border-box" in shown


def test_engine_exports_explorable():
    """engine.explorable is the function (listed in engine.__all__)."""
    assert engine.explorable is explorable and "explorable" in engine.__all__


# -- in a real browser ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser(chromium):
    """One Chromium for the module's browser tests (playwright driving Debian's Chromium)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield b
        b.close()


def open_page(browser, path, width=1280, hash=""):
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri() + hash)
    return page, errors


def shown(page, kind):
    """{node name: float} that the page's data-node texts now carry in ``data-<kind>``."""
    pairs = page.eval_on_selector_all(
        f"#cre-drawing text[data-node][data-{kind}]",
        f"els => els.map(e => [e.getAttribute('data-node'), e.getAttribute('data-{kind}')])",
    )
    return {n: float(x) for n, x in pairs}


@pytest.mark.browser
def test_twenty_random_settings_typed_in_give_the_engines_gradients(browser, seed002_page):
    """For 20 random settings of seed 002's ten parameters typed in, every grad shown equals the engine's."""
    rng = random.Random(2)
    page, errors = open_page(browser, seed002_page)
    _, recorded = seed002_at({})
    before = grads_by_name(recorded)
    flipped = 0
    for _ in range(20):
        values = {name: round(rng.uniform(-2.0, 2.0), rng.choice([2, 6, 17])) for name in SEED002}
        for name, x in values.items():
            page.fill(f'input[data-leaf="{name}"]', repr(x))
        E, t = seed002_at(values)
        expected = grads_by_name(t)
        grads, data = shown(page, "grad"), shown(page, "data")
        assert set(grads) == set(expected)
        wrong = {n: (grads[n], expected[n]) for n in expected if not close(grads[n], expected[n])}
        assert not wrong
        assert all(close(data[t.names[v]], v.data) for v in t.names)
        assert close(float(page.get_attribute("#cre-value", "data-value")), E.data)
        flips = {n for n in expected if before[n] * expected[n] < 0}
        named = set(page.eval_on_selector_all("[data-flip]", "els => els.map(e => e.dataset.flip)"))
        assert named == flips
        flipped += bool(flips)
        edges = page.eval_on_selector_all(
            "#cre-drawing text[data-step]", "els => els.map(e => [+e.dataset.step, +e.dataset.local])"
        )
        assert sorted(k for k, _ in edges) == [s.number for s in t.steps]  # every edge's ∂node/∂parent
        assert all(close(local, t.steps[k - 1].local) for k, local in edges)
    assert flipped >= 5  # the settings do flip signs, so the panel's list is checked where it has names
    assert not errors


@pytest.mark.browser
def test_explain_paths_and_the_table_follow_the_engine(browser, seed002_page):
    """After a change, explain's path products and the table's last column are the engine's numbers."""
    page, errors = open_page(browser, seed002_page)
    page.fill('input[data-leaf="w5"]', "-1.5")
    page.fill('input[data-leaf="b1"]', "0.7")
    E, t = seed002_at({"w5": -1.5, "b1": 0.7})
    for k, name in enumerate(SEED002):
        page.select_option("#cre-explain-leaf", str(k))
        products = page.eval_on_selector_all(
            "[data-path-product]", "es => es.map(e => +e.dataset.pathProduct)"
        )  # noqa: E501
        e = engine.explain(t, name)
        assert len(products) == len(e.paths)
        assert all(close(a, p.value) for a, p in zip(products, e.paths)), name
    last = page.eval_on_selector_all("#cre-steps tbody tr td:last-child", "es => es.map(e => e.textContent)")
    assert last == [engine.vocab.fmt(s.grad) for s in t.steps]
    assert not errors


@pytest.mark.browser
def test_the_hash_holds_the_setting_and_reset_goes_back(browser, seed002_page):
    """A link with #w5=-2 opens at that setting; Reset returns to the recorded numbers."""
    page, errors = open_page(browser, seed002_page, hash="#w5=-2.0&b2=0.1")
    assert page.input_value('input[data-leaf="w5"]') == "-2.0"
    _, t = seed002_at({"w5": -2.0, "b2": 0.1})
    assert close(shown(page, "grad")["w1"], grads_by_name(t)["w1"])
    page.fill('input[data-leaf="w1"]', "0.3")
    assert "w1=0.3" in page.evaluate("location.hash") and "w5=-2.0" in page.evaluate("location.hash")
    page.click("#cre-reset")
    assert page.input_value('input[data-leaf="w5"]') == "0.18"
    _, recorded = seed002_at({})
    assert shown(page, "grad") == grads_by_name(recorded)
    assert not errors


@pytest.mark.browser
def test_keyboard_reaches_every_field_and_arrows_nudge_a_slider(browser, seed002_page):
    """Tab visits every number field and slider in order; an arrow key on a slider moves it one step."""
    page, errors = open_page(browser, seed002_page)
    seen = []
    for _ in range(2 * len(SEED002) + 2):
        page.keyboard.press("Tab")
        seen.append(page.evaluate("(e => e.dataset.leaf || e.dataset.slider || '')(document.activeElement)"))
    assert [s for s in seen if s][: 2 * len(SEED002)] == [n for n in SEED002 for _ in (0, 1)]
    slider = 'input[data-slider="b2"]'
    page.focus(slider)
    page.keyboard.press("ArrowRight")
    nudged = float(page.input_value('input[data-leaf="b2"]'))
    assert nudged > 0.42
    _, t = seed002_at({"b2": nudged})
    assert close(shown(page, "grad")["b2"], grads_by_name(t)["b2"])
    assert not errors


@pytest.mark.browser
def test_usable_at_400_pixels(browser, seed002_page, tmp_path):
    """At 400 px the page does not scroll sideways; every field is on screen width and can be typed in."""
    page, errors = open_page(browser, seed002_page, width=400)
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
    for name in SEED002:
        box = page.locator(f'input[data-leaf="{name}"]').bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 400
    page.fill('input[data-leaf="w2"]', "1.25")
    assert shown(page, "data")["w2"] == 1.25
    page.screenshot(path=str(tmp_path / "explorable-400.png"), full_page=True)
    assert not errors


@pytest.mark.browser
def test_hostile_labels_stay_text_in_the_browser(browser, tmp_path):
    """Hostile labels show as text: no script runs, no element is injected, the hooks still work."""
    leaves = [Value(0.1 * (i + 1), label=label) for i, label in enumerate(HOSTILE)]
    root = engine.sum([leaf * leaf for leaf in leaves]).tanh()
    root.label = "</script><img src=x onerror=alert(2)>"
    path = explorable(root, tmp_path / "hostile.html").save(tmp_path / "hostile.html")
    page, errors = open_page(browser, path)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.fill('input[data-leaf="a\\"b"]', "0.5")
    assert page.locator("img").count() == 0 and not dialogs
    assert float(page.get_attribute('[data-node="a\\"b"][data-data]', "data-data")) == 0.5
    assert not errors


@pytest.mark.browser
def test_page_repr_matches_python_repr(browser, seed002_page):
    """The page's repr of a float (the data-* hooks) is Python's repr, for awkward numbers too."""
    page, _ = open_page(browser, seed002_page)
    xs = [0.1, 1.0, -0.0, 1e16, 1.5e-05, 123456789012345.6, 2.9926773571149765e-05, 5e-324, 1.79e308]
    rng = random.Random(3)
    xs += [rng.uniform(-1, 1) * 10 ** rng.randint(-30, 30) for _ in range(200)]
    got = page.evaluate("xs => xs.map(window.chainrulePyrepr)", xs)
    assert got == [repr(x) for x in xs]
    assert page.evaluate("xs => xs.map(window.chainruleFmt)", xs) == [engine.vocab.fmt(x) for x in xs]


def ice_cream_mse(bias, weight=0.44):
    """The MSE of seed 000's 10 rows with the output bias (and weight) set, as notebook 02 computes it."""
    X, _ = nn.data.ice_cream()
    _, revenue = nn.data.ice_cream(scaled=False)
    y = [r / 1000 for r in revenue]
    model = nn.MLP.from_weights(
        [[[0.29, 0.21], [0.65, 0.42]], [[0.25, weight]]], [[-0.06, -0.11], [bias]], "relu", "relu"
    )
    return nn.losses.mean([nn.mse(model(x), t) for x, t in zip(X, y)]).data


def test_seed000_page_has_the_bias_slider_and_the_curve():
    """Seed 000's page: the output bias over 0…0.5 (and the weight with weight=True), the MSE curve."""
    page = nn.seed000_explorable().html
    assert re.search(r'data-slider="b\^\(2\)_1" min="0.0" max="0.5"', page) and 'id="cre-curve"' in page
    assert 'data-node="MSE" data-data="' + repr(ice_cream_mse(0.0)) + '"' in page
    both = nn.seed000_explorable(weight=True).html
    assert re.search(r'data-slider="w\^\(2\)_\{1,2\}" min="-0.3" max="1.3"', both)


@pytest.mark.browser
def test_seed000_sweep_in_the_browser_gives_notebook_02s_mse(browser, tmp_path):
    """Seed 000's bias set to 0, 0.1, … 0.5 (at two weights) shows notebook 02's MSE; the curve follows."""
    path = nn.seed000_explorable(tmp_path / "seed000.html", weight=True).save(tmp_path / "seed000.html")
    page, errors = open_page(browser, path)
    bias, weight = 'input[data-leaf="b^(2)_1"]', 'input[data-leaf="w^(2)_{1,2}"]'
    for w in (0.44, 0.9):
        page.fill(weight, repr(w))
        for b in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5):
            page.fill(bias, repr(b))
            assert close(float(page.get_attribute("#cre-value", "data-value")), ice_cream_mse(b, w))
        points = page.get_attribute("#cre-curve polyline", "points").split()
        assert len(points) == 101
    assert not errors


def node_eval(source):
    """Run generated JavaScript in Node.js and return what it prints as JSON (skipped without Node.js)."""
    path = shutil.which("node")
    if path is None:
        pytest.skip("no Node.js (`node`): the page's JavaScript is run there")
    done = subprocess.run([path, "-e", source], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@settings(examples(0.1), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions(max_leaves=3, max_nodes=10))
def test_explain_in_the_page_equals_explain_on_random_graphs(e):
    """On random graphs, the page's explain code fed the recorded local derivatives gives explain's paths."""
    page = Explorable(e.root, vary=e.leaves)
    t = page.trace
    local = [s.local for s in t.steps]
    got = node_eval(page.code + f"\nconsole.log(JSON.stringify(EXPLAIN.map((f) => f({json.dumps(local)}))));")
    for leaf, paths in zip(page.vary, got):
        expected = engine.explain(t, leaf)
        assert [p[1] for p in paths] == [p.value for p in expected.paths]  # the same floats, bit for bit
        assert [p[0] for p in paths] == [[f.value for f in p.factors] for p in expected.paths]
    at = node_eval(
        page.code + f"\nconsole.log(JSON.stringify(pass_at(...{json.dumps([v.data for v in e.leaves])})));"
    )
    assert at["local"] == pytest.approx(local, rel=REL, abs=0.0)
    assert at["data"] == pytest.approx([v.data for v in page.nodes], rel=REL, abs=0.0)


def test_a_row_without_javascript_is_refused_by_name(monkeypatch):
    """A graph using a row with no JavaScript form cannot become a page: the error names the row."""
    row = engine.Op("cube_page", "³", ("a",), lambda a: a**3, lambda a, out: (3 * a * a,), ("3 * a**2",))
    monkeypatch.setitem(engine.RULES, row.name, row)  # taken out again after the test
    monkeypatch.setattr(Value, row.name, None, raising=False)
    engine.register(row)
    x = Value(2.0, label="x")
    y = x.cube_page()
    y.label = "y"
    with pytest.raises(ValueError, match="'cube_page' row, which has no JavaScript"):
        explorable(y)


def test_a_graph_too_big_to_draw_is_refused_before_any_work():
    """A graph of more nodes than a drawing shows node by node is refused, saying what to explore instead."""
    x = Value(0.5, label="x")
    y = engine.sum([x * float(k) for k in range(2100)])
    y.label = "y"
    with pytest.raises(ValueError, match="explore a smaller part"):
        explorable(y)
