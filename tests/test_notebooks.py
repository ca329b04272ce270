"""Tests for notebooks/: every notebook runs in a real Jupyter kernel and shows its key results.

Each notebook is executed in memory (nothing is written) by notebooks/execute.py's ``execute``,
the same code that produces the committed outputs, and its fresh outputs are searched for the
numbers the notebook is about, and its matplotlib plots are measured: no text below 10 px in
JupyterLab's 848-px output column. The committed files are checked too: executed, small, and
showing the same numbers.
"""

import functools
import importlib.util
import json
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
IMAGES = ("image/png", "image/svg+xml")
MAX_BYTES = 300_000
# Notebooks that save a whole page, which runs in the saved notebook with no kernel: 01 ends with the
# step player (its 33 frames inline SVG, 1.4 MB, within the player's 1.5-MB budget) and seed 002's
# explorable; 02 with seed 000's explorable (ten rows of the ice-cream network, about 300 kB of HTML,
# and its still PNG twice: in the HTML for untrusted JupyterLab, and as image/png for other viewers).
MAX_BYTES_WITH_PAGE = {"01_worked_example.ipynb": 2_500_000, "02_one_bias_to_all.ipynb": 800_000}

# For each notebook: what its outputs must show (substrings, or compiled regexes) and how many images.
EXPECTED = {
    "01_worked_example.ipynb": (
        [
            "outY1 = σ(zY1) = 0.6337097788",
            "E = 0.1849793830",
            "∂E/∂w5 = 0.07295",
            "= 0.58371 × 0.23212 × 0.53842 = 0.07295",
            "∂E/∂w1 = 0.0057581 - 0.0010117 = 0.0047464",
            "32 chain-rule steps",
            "w5 after one step: 0.17927048",
            "w1 after one step: 0.0999525360",
            "E before: 0.1849794   E after: 0.1847743",
        ],
        2,
    ),
    "02_one_bias_to_all.ipynb": (
        [
            "b^(2)_1 = 0.0   MSE = 0.04742",
            "b^(2)_1 = 0.2   MSE = 0.00125",
            "finer sweep: lowest MSE 0.00101 at b^(2)_1 = 0.215",
            "after 12 steps: b = 0.2149, MSE = 0.00101",
            "step 80: w^(2)_{1,2} = 0.446, b^(2)_1 = 0.212, MSE = 0.00100",
            "9 parameters trained, final MSE 0.00100",
            "learning rate 0.02: after 8 steps b = +0.059",
            "learning rate 1.15: after 8 steps b = -0.160, MSE = 0.12503",
        ],
        5,
    ),
    "03_batch_stochastic_minibatch.ipynb": (
        [
            re.compile(r"batch_size=None\s*-> 1 iteration\(s\) per epoch"),
            re.compile(r"batch_size=1\s*-> 6 iteration\(s\) per epoch"),
            re.compile(r"batch_size=2\s*-> 3 iteration\(s\) per epoch"),
            re.compile(r"batch\s+150 updates"),
            re.compile(r"stochastic\s+900 updates"),
            "batch, τ = 0.001: stopped early = True",
            "stochastic, τ = 0.0001: stopped early = False after 1500 epochs",
        ],
        1,
    ),
    "04_reused_factors.ipynb": (
        [
            "reused: ∂C/∂z^(3)_1 = -0.17671, already computed for ∂C/∂w^(3)_{1,1}",
            "reused: ∂C/∂z^(2)_2 = 0.04399, already computed for ∂C/∂w^(2)_{2,1}",
            "writing each of the 20 gradients out on its own: 175",
            "which gives every gradient at once: 42",
            "∂C/∂z^(3)_1 = -0.17671: complete after step  3, then the upstream factor of steps 4–8",
        ],
        1,
    ),
    "05_moons_classifier.ipynb": (
        [
            "100 points, 337 parameters",
            re.compile(r"training: 100%\|█+\| 100/100 .*accuracy=100(\.0)?%"),
            "accuracy 100%",
            "fused=True: 404 nodes",
            "fused=False: 979 nodes",
            "<b>fused=False</b>: 10 values",  # the two neurons drawn side by side as SVG, in HTML
            re.compile(r"sample \d+ after update 100 of 100: its loss L = (?!0\.0000)\d+\.\d{4}"),  # not 0
            'data-node="a^(1)_1"',
            'data-param="w^(1)_{1,1}"',
        ],
        2,  # the training plot and the boundary (the live view's last picture is in its HTML)
    ),
    "06_property_based_checks.ipynb": (
        [
            "2 of 2 derivatives agree",
            "150 expressions checked",
            "network gradients agree",
            "softplus(x0) at x0=1.0",
            "1 of 1 derivatives disagree",
            "analytic 0.2689414213699951, numeric 0.7310585785820422",
            "softplus: first derivatives agree",
            "∂²out/∂a²",
        ],
        0,
    ),
    "11_your_turn.ipynb": (
        [
            "∂E/∂w1 = 0.0047464 is right",
            "sign              -0.0047464  ->  sign",
            "path 2 of 2 is left out, the one through outY2, zY2",
            "off by a factor of 2: the constant 0.5 of n1, n4 (∂n1/∂n2 = 0.5) was left out",
            "the chain stops at zH1",
            "∂outH1/∂zH1 was taken at the input, zH1 · (1 − zH1) = 0.13028",
            "3 times the gradient 0.0047464: backward ran 3 times",
            "w5 = 0.1807289 adds α·∂E/∂w5",
            "a step with learning rate 0.1, not α = 0.01",
            "factor | also: accumulated",
            "not 0.24768 (taken at the input: zY1 · (1 − zY1))",
        ],
        0,
    ),
    "07_why_backprop.ipynb": (
        [
            "all 10 gradients agree (largest relative difference",
            "forward mode from w1: 14 steps -> ∂E/∂w1 = 0.0047464 (one gradient)",
            "backward pass: 32 steps -> all 10 gradients; 14 of them lead to w1",
            "every ∂node/∂parent forward mode multiplies is the backward pass's own number: True",
            "14 forward-mode steps from w1 up to E",
            re.compile(r"reverse mode: one backward pass \(all n gradients\)\s+15\s+32\s+6\s+0"),
            re.compile(r"forward mode: n passes \(all n gradients\)\s+150\s+320\s+170\s+0"),
            "saved: 20 multiplications; 6 of them by reusing ∂E/∂zY1, ∂E/∂zY2",
            re.compile(r"\s16\s+337\s+609\s+945\s+4627\s+432371\s+457\.5"),
            re.compile(r"\s12\s+2048\s+51200\s+147"),
        ],
        2,
    ),
    "10_same_numbers_as_matrices.ipynb": (
        [
            "32 scalar steps, 2 layers",
            "δ^(2)_1 = 0.1354917033 is step 6's product 0.1354917033",
            "∂E/∂w5 = ∂E/∂W^(2)_(1,1) = 0.0729519972 (step 7)",
            "∂E/∂w1 = ∂E/∂W^(1)_(1,1) = 0.0047463957 (step 22)",
            "the steps (11, 20) added",
            "delta2 = (a2 - Y) / N * (a2 * (1 - a2))",
            "427 scalar steps for 6 samples",
            "each ∂E/∂W^(1) entry sums 6 steps, one per sample",
            re.compile(r"layer form \(compile=\"layers\"\)\s+[\d.]+ ms per step\s+\d+× the graph"),
        ],
        0,
    ),
    "08_digits.ipynb": (
        [
            "softmax p = [0.7121, 0.15114, 0.13676]",
            "exp(z1 − lse)",
            "∂E/∂z1 = 0.71210 - 1.00000 = -0.28790",
            "p_1 - y_1 = 0.71210 - 1 = -0.28790",
            "p_2 - y_2 = 0.15114 - 0 = 0.15114",
            "∂E/∂w21 = ∂E/∂lse · ∂lse/∂z2 · ∂z2/∂w21 = 1.00000 × 0.15114 × 0.50000 = 0.07557",
            "1438 training and 359 test images of 64 pixels",
            re.compile(r"test accuracy after 5 epochs: 9[5-9]\.\d%"),
        ],
        4,
    ),
    "09_backward_as_a_program.ipynb": (
        [
            "    zH1 = b1 + w1 * x1 + w2 * x2",
            "g_w5 += g_zY1 * outH1  # step 7: ∂zY1/∂w5 = outH1",
            "names: trace -> program: n1 -> n3, n3 -> n1, n4 -> n6, n6 -> n4",
            "step  4  g_n1 += g_n2 * (2 * n1)",
            "32 chain-rule steps in the trace, 28 in the program; the 4 others go into x1 and x2",
            "∂E/∂w5 =  0.0729519972   backward():  0.0729519972   equal: True",
            "all 10 gradients equal backward(): True",
            "program and graph agree: True",
        ],
        0,
    ),
}


COLUMN_PX = 848  # JupyterLab's output column at 1280 px: a wider picture is scaled down to it
LEGIBLE_PX = 10  # no plot text smaller than this on screen

# Run first in the kernel: every PNG matplotlib writes (the inline backend's, savefig's, the live view's)
# records its smallest text as shown in the column, font size × dpi / 72, times the scaling a wider PNG gets.
MEASURE_PLOTS = f"""
import functools as _functools, io as _io, struct as _struct
import matplotlib.backends.backend_agg as _agg, matplotlib.text as _text
_plot_text, _print_png = [], _agg.FigureCanvasAgg.print_png
@_functools.wraps(_print_png)  # savefig passes only the arguments print_png's signature takes
def _measured(self, filename, *args, **kwargs):
    out = _print_png(self, filename, *args, **kwargs)
    png = filename.getvalue() if isinstance(filename, _io.BytesIO) else b""
    if png[:8] == b"\\x89PNG\\r\\n\\x1a\\n":  # while a PNG is written, the figure's dpi is the file's
        scale = min(1.0, {COLUMN_PX} / _struct.unpack(">I", png[16:20])[0])
        texts = [(t.get_fontsize() * self.figure.dpi / 72 * scale, t.get_text())
                 for t in self.figure.findobj(_text.Text) if t.get_visible() and t.get_text().strip()]
        _plot_text.append(min(texts) if texts else None)
    return out
_agg.FigureCanvasAgg.print_png = _measured
"""
REPORT_PLOTS = "import json as _json; print('plot text:', _json.dumps(_plot_text))"


def load_executor():
    spec = importlib.util.spec_from_file_location("notebook_execute", NOTEBOOKS / "execute.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def outputs(nb):
    """All text a notebook's outputs show, and how many images they hold."""
    texts, images = [], 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                texts.append(out.text)
            elif out.output_type == "error":
                texts.append(f"{out.ename}: {out.evalue}")
            else:
                data = out.get("data", {})
                texts += [data[k] for k in ("text/plain", "text/html") if k in data]
                images += any(k in data for k in IMAGES)
    return "\n".join(texts), images


def missing(text, expected):
    return [e if isinstance(e, str) else e.pattern for e in expected if not
            (e in text if isinstance(e, str) else e.search(text))]  # fmt: skip


@pytest.mark.notebook
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_notebook_runs_and_shows_its_results(name, tmp_path, monkeypatch):
    """The notebook runs in a Jupyter kernel without any error and shows its key numbers and images."""
    monkeypatch.setenv("HYPOTHESIS_STORAGE_DIRECTORY", str(tmp_path))  # the kernel's hypothesis cache
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nb.cells = [nbformat.v4.new_code_cell(MEASURE_PLOTS), *nb.cells, nbformat.v4.new_code_cell(REPORT_PLOTS)]
    copy = tmp_path / name  # the notebooks read no files of their own, so a copy runs the same
    nbformat.write(nb, copy)
    nb = load_executor().execute(copy)  # raises CellExecutionError on any error
    measured, nb.cells = nb.cells[-1].outputs[0].text, nb.cells[1:-1]
    text, images = outputs(nb)
    expected, n_images = EXPECTED[name]
    assert not missing(text, expected), f"{name} no longer shows: {missing(text, expected)}"
    assert images >= n_images, f"{name} shows {images} images, expected at least {n_images}"
    small = [t for t in json.loads(measured.partition("plot text:")[2]) if t and t[0] < LEGIBLE_PX]
    assert not small, f"{name}: plot text below {LEGIBLE_PX} px in the {COLUMN_PX}-px column: {small}"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_committed_notebook_is_executed_and_small(name):
    """The committed file holds executed outputs with the same key results, no errors, and stays small."""
    path = NOTEBOOKS / name
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.execution_count for c in code), f"run notebooks/execute.py {name} before committing"
    text, images = outputs(nb)
    expected, n_images = EXPECTED[name]
    assert not any(o.output_type == "error" for c in code for o in c.outputs)
    assert not missing(text, expected) and images >= n_images, f"re-run notebooks/execute.py {name}"
    limit = MAX_BYTES_WITH_PAGE.get(name, MAX_BYTES)
    assert path.stat().st_size < limit, f"{name} is {path.stat().st_size} bytes; keep images modest"


def test_every_notebook_is_tested():
    """Every notebook in notebooks/ has its expected results listed here, so none runs unchecked."""
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(EXPECTED)


def test_readme_lists_every_notebook():
    """README.md names every notebook in notebooks/."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert [n for n in sorted(EXPECTED) if f"notebooks/{n}" not in readme] == []


# ---------------------------------------------------------------------------
# Every number in the notebooks' prose (markdown cells): shown by the notebook's own outputs,
# computed here, or named as a formula's constant


def _code(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


def _sigmoid(z):
    import math

    return 1 / (1 + math.exp(-z))


def _article_rounds(_):
    """Seed 002's article rounds as it goes: its E and ∂E/∂w5 follow from its rounded numbers."""
    h1, h2 = round(_sigmoid(0.154), 3), round(_sigmoid(0.0833), 2)
    o1 = round(_sigmoid(0.18 * h1 + 0.06 * h2 + 0.42), 5)
    o2 = round(_sigmoid(0.11 * h1 + 0.26 * h2 + 0.42), 5)
    assert (h1, h2, o1) == (0.538, 0.52, 0.63368)
    assert round(0.5 * (0.05 - o1) ** 2 + 0.5 * (0.82 - o2) ** 2, 6) == 0.184972
    factors = (round(o1 - 0.05, 5), round(o1 * (1 - o1), 5), h1)
    assert factors == (0.58368, 0.23213, 0.538) and round(factors[0] * factors[1] * h1, 5) == 0.07289
    assert round(0.18 + 0.01 * 0.07289, 7) == 0.1807289  # the article's w5: it adds the gradient


def _seed002_steps(n):
    def check(_):
        import engine
        import nn

        assert len(engine.trace(nn.seed002().E)) == n

    return check


def _no_grads_yet(_):
    import nn

    net = nn.seed002()
    assert all(p.grad == 0.0 for p in net.params.values())


def _ice_cream_net(_):
    import nn

    model = nn.MLP(2, [2, 1])
    assert [len(layer.parameters()) for layer in model.layers] == [6, 3] and len(nn.data.ice_cream()[0]) == 10


def _lowest_guess(text):
    guesses = dict(re.findall(r"b\^\(2\)_1 = (0\.\d)   MSE = ([\d.]+)", text))
    assert len(guesses) == 6 and min(guesses, key=lambda b: float(guesses[b])) == "0.2"


def _stuck_at_zero(text):
    import nn

    _, revenue = nn.data.ice_cream(scaled=False)
    zero = sum((r / 1000) ** 2 for r in revenue) / len(revenue)  # the MSE of predicting 0 every day
    assert f"start 1: 9 parameters trained, final MSE {zero:.5f}" in text


def _regimes(text):
    import nn

    assert len(nn.data.seed003()[0]) == 6
    for size, n in (("None", 1), ("1   ", 6), ("2   ", 3)):
        assert f"batch_size={size} -> {n} iteration(s) per epoch" in text


def _three_curves(text):
    assert "epochs=150, batch_size=size, lr=0.5" in _code("03_batch_stochastic_minibatch.ipynb")
    assert re.search(r"batch\s+150 updates", text)


def _moons(text):
    import nn

    _, y = nn.data.moons(100, noise=0.1, seed=1337)
    assert sorted(set(y)) == [-1, 1] and "100 points, 337 parameters" in text
    assert "nn.MLP(2, [16, 16, 1])" in _code("05_moons_classifier.ipynb")


def _demo_schedule(_):
    assert "lr=nn.LinearDecay(1.0, 0.1, 100)" in _code("05_moons_classifier.ipynb")


def _softplus_slip(text):
    assert _sigmoid(0) == 1 / (1 + 1) == 0.5  # at 0 the right and the slipped derivative agree
    assert (round(_sigmoid(-1), 4), round(_sigmoid(1), 4)) == (0.2689, 0.7311)
    assert "analytic 0.2689414213699951, numeric 0.7310585785820422" in text


def _width_table(text):
    rows = [
        list(map(float, r.split()))
        for r in re.findall(r"^ +\d+ +\d+ +\d+ +\d+ +\d+ +\d+ +[\d.]+$", text, re.M)
    ]
    assert [int(r[0]) for r in rows] == [1, 2, 4, 8, 16, 24, 32]
    for _, n, forward, backward, skipping, passes, _ in rows:
        assert 1.4 <= backward / forward <= 1.7  # "about 1.5 forward passes"
        assert 2.0 <= passes / forward / n <= 2.6  # "about 2·n"
        assert 3.5 <= skipping / forward < 8.5  # "4 to 8"
    assert "for width in (1, 2, 4, 8, 16, 24, 32)" in _code("07_why_backprop.ipynb")


def _paths_double(text):
    rows = re.findall(r"^ +(\d+) +(\d+) +\d+ +\d+$", text, re.M)
    assert rows and all(int(p) == 2 ** (int(d) - 1) for d, p in rows)


def _digits(text):
    assert 1438 + 359 == 1797 and 8 * 8 == 64 and "1438 training and 359 test images of 64 pixels" in text


def _digits_pixels(_):
    source = (ROOT / "nn" / "data.py").read_text(encoding="utf-8")  # scikit-learn's pixels are 0..16
    assert "X = [[v / 16.0 for v in row] for row in bunch.data.tolist()]" in source


def _digit_classifier(_):
    code = _code("08_digits.ipynb")
    assert "nn.MLP(64, [32, 10])" in code and "batch_size=32" in code


def _seed003_layers(text):
    assert 'nn.MLP(3, [5, 2], activation="sigmoid")' in _code("10_same_numbers_as_matrices.ipynb")
    assert "each ∂E/∂W^(1) entry sums 6 steps, one per sample" in text  # six columns, each 1/6 of E


def _matrices_demo(_):
    code = _code("10_same_numbers_as_matrices.ipynb")
    assert (
        "nn.moons(100" in code.replace("data.", "") and "nn.MLP(2, [16, 16, 1])" in code and "l2=1e-4" in code
    )


def _right_within(_):
    import inspect

    import engine

    p = inspect.signature(engine.diagnose).parameters
    assert (p["rel"].default, p["abs"].default) == (1e-6, 1e-9)


def _seed002_shape(_):
    import nn

    net = nn.seed002()
    assert (len(net.x), len([k for k in net.z if k.startswith("H")]), len(net.target)) == (2, 2, 2)


def _bias_slider(_):
    import inspect

    import nn

    assert "{output.b: (0.0, 0.5)}" in inspect.getsource(nn.seed000_explorable)  # the slider's range


_FORMULA = None  # a formula's constant or a rhetorical number, not a quantity the notebook claims

# notebook -> {fragment of its markdown (whitespace as one space): how its numbers are checked}: a string
# or a regex its outputs show, a function of its outputs' text, or _FORMULA
PROSE = {
    "01_worked_example.ipynb": {
        "w1 … w8 = 0.10, 0.15, 0.03, 0.08, 0.18, 0.06, 0.11, 0.26":
            "w1 = 0.10  w2 = 0.15  w3 = 0.03  w4 = 0.08  w5 = 0.18  w6 = 0.06  w7 = 0.11  w8 = 0.26",
        "b1 = 0.05, shared by both hidden neurons; b2 = 0.42": "b1 = 0.05  b2 = 0.42",
        "x = [0.95, 0.06], target t = [0.05, 0.82]": "x = [0.95, 0.06]   target = [0.05, 0.82]",
        "σ(z) = 1 / (1 + e^(−z))": _FORMULA,
        "(0.538, 0.52, 0.63368, …), which is why its error, 0.184972,": _article_rounds,
        "The grads are still 0 here": _no_grads_yet,
        "32 in all": _seed002_steps(32),
        "after each of the 32 steps": _seed002_steps(32),
        "(0.58368 × 0.23213 × 0.538) and gets 0.07289": _article_rounds,
        "in full precision the product is 0.07295": "× 0.53842 = 0.07295",
        "α = 0.01": "w5: 0.18 − 0.01 × 0.0729520",
        "reports w5 = 0.1807289": _article_rounds,
        "the correct 0.17927048": "w5 after one step: 0.17927048",
    },
    "02_one_bias_to_all.ipynb": {
        "so it has 9 parameters (6 in the hidden layer, 3 in the output neuron)": _ice_cream_net,
        "our own 10 rows": _ice_cream_net,
        "start the bias at 0": "b^(2)_1 = 0.0   MSE = 0.04742",
        "the lowest of these six guesses at 0.2": _lowest_guess,
        "is the best bias 0.2, or 0.19, or 0.2143?": _FORMULA,  # guesses, answered by the finer sweep
        "with the bias (by 1)": "× 1.00000 = -0.35439",
        "(Step 0 is the starting point": "step 0: b = 0.0000",
        "ReLU neurons that output 0 for every row": _stuck_at_zero,
        "predicts a revenue of 0 for every day": _stuck_at_zero,
        "between 0 and 0.5": _bias_slider,
    },
    "03_batch_stochastic_minibatch.ipynb": {
        "With 6 rows, *batch* gradient descent uses all 6 rows per update (1 iteration per epoch), "
        "*stochastic* gradient descent updates after every single row (6 iterations per epoch), and "
        "*mini-batch* gradient descent with batches of 2 updates 3 times per epoch": _regimes,
        "The network: 3 inputs, a hidden layer of 5 sigmoid neurons, 2 linear outputs":
            "32 parameters: 3·5 + 5 in the hidden layer, 5·2 + 2 in the output layer",
        "`1` for single rows": _regimes,
        "same learning rate (0.5), 150 epochs each": _three_curves,
    },
    "04_reused_factors.ipynb": {
        "through both neurons of layer 2": re.compile(r"w\^\(1\)_\{1,1\} +2 +7"),
    },
    "05_moons_classifier.ipynb": {
        "100 points in two interleaving half-moons, labelled −1 and +1": _moons,
        "two hidden layers of 16 ReLU neurons": _moons,
        "from 1.0 to 0.1 over 100 steps": _demo_schedule,
        "blue where it says +1, red where it says −1": _FORMULA,  # the colours of the two classes
        "where the output is exactly 0": _FORMULA,  # the boundary: the sign changes there
    },
    "06_property_based_checks.ipynb": {
        "(f(x + ε) − f(x − ε)) / 2ε": _FORMULA,
        "softplus(a) = log(1 + eᵃ)": _FORMULA,
        "σ(a) = 1 / (1 + e⁻ᵃ), but we slip a sign and write 1 / (1 + eᵃ)": _FORMULA,
        "one input at 1.0": "softplus(x0) at x0=1.0",
        "At 0 the two formulas agree (both give ½), so 0 cannot fail; 1.0 is the simplest": _softplus_slip,
        "The analytic slope 0.2689 is σ(−1) and the measured one 0.7311 is σ(1)": _softplus_slip,
    },
    "07_why_backprop.ipynb": {
        "14 products": "forward mode from w1: 14 steps",
        "the backward pass's 32 steps": "backward pass: 32 steps -> all 10 gradients",
        "`MLP(2, [16, 16, 1])`": re.compile(r"^ +16 +337 ", re.M),
        "about 1.5 forward passes": _width_table,
        "about 2·n forward passes": _width_table,
        "forward mode costs 4 to 8 forward passes": _width_table,
        "where backward costs 1.5": _width_table,
        "a first-layer weight has $2^{d-1}$ paths": _paths_double,
    },
    "08_digits.ipynb": {
        'receives −1 more through the "− z_y" term': re.compile(r"−1 +=  -1\.00000"),
        "hands the true class −1": re.compile(r"−1 +=  -1\.00000"),
        "The 8×8 digits that scikit-learn ships: 1,797 images, 10 classes": _digits,
        "1,438 training and 359 test images": _digits,
        "pixels scaled to [0, 1]": _digits_pixels,
        "an MLP with 64 inputs, 32 ReLU neurons and 10 outputs": _digit_classifier,
        "mini-batches of 32": _digit_classifier,
    },
    "09_backward_as_a_program.ipynb": {},
    "10_same_numbers_as_matrices.ipynb": {
        "Seed 003's 3-5-2 network": _seed003_layers,
        "δ^(2) is 2 × 6": _seed003_layers,
        "the factor 1/6": _seed003_layers,
        "A linear output has σ′ = 1": _FORMULA,  # the identity's derivative
        "(100 moons, MLP(2, [16, 16, 1]), hinge loss + 1e-4·L2": _matrices_demo,
    },
    "11_your_turn.ipynb": {
        "seed 002's 2-2-2 sigmoid network": _seed002_shape,
        "within one part in a million of the answer, or within 1e-9 of it": _right_within,
        "rounds ∂E/∂w5 to 0.07289 and then *adds* α·∂E/∂w5 to w5 = 0.18, reporting 0.1807289":
            "w5 = 0.1807289 adds α·∂E/∂w5; gradient descent subtracts it",
        "zH1·(1 − zH1), instead of outH1·(1 − outH1)": "was taken at the input, zH1 · (1 − zH1) = 0.13028",
        "(`outY1 * (1 - outY1)`)": _FORMULA,  # a formula as the learner types it
    },
}  # fmt: skip
WRONG_TODAY: dict[tuple[str, str], str] = {}  # (notebook, fragment) -> why its number is wrong today

# Numbers that are names: the notebook's number in its title, seeds, sub- and superscripts (z^(3)_1,
# W^(l+1)), list items, formulas in LaTeX
PROSE_NAMES = [r"^# \d+ ·", r"\b[Ss]eeds? 00\d(?:'s)?", r"[\^_]\(?\{?[\w,+−-]+\}?\)?", r"(?<!\S)\d\. \*\*",
               r"\$[^$]*\$"]  # fmt: skip


@functools.cache
def _committed(name):
    """The committed notebook's markdown cells (whitespace as one space) and the text of its outputs."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    return [" ".join(c.source.split()) for c in nb.cells if c.cell_type == "markdown"], outputs(nb)[0]


def _markdown(name):
    return _committed(name)[0]


@pytest.mark.parametrize(
    "name, fragment",
    [pytest.param(n, f, marks=[pytest.mark.xfail(strict=True, reason=WRONG_TODAY[n, f])]
                  if (n, f) in WRONG_TODAY else []) for n in sorted(PROSE) for f in PROSE[n]],
)  # fmt: skip
def test_a_number_in_a_notebooks_prose_is_what_it_computes(name, fragment):
    """The numbers of this sentence of the notebook are its outputs', or what the engine computes."""
    assert any(fragment in cell for cell in _markdown(name)), f"{name} no longer says {fragment!r}"
    check, text = PROSE[name][fragment], _committed(name)[1]
    if isinstance(check, str):
        assert check in text
    elif isinstance(check, re.Pattern):
        assert check.search(text)
    elif check is not _FORMULA:
        check(text)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_number_in_a_notebooks_prose_is_checked(name):
    """No number in the notebook's markdown is left unchecked: each is in PROSE, or is a name."""
    left = []
    for cell in _markdown(name):
        for fragment in PROSE.get(name, {}):
            cell = cell.replace(fragment, " ")
        for pattern in PROSE_NAMES:
            cell = re.sub(pattern, " ", cell)
        left += [m.group(0) for m in re.finditer(r".{0,25}(?<![\w.])\d.{0,25}", cell)]
    assert left == [], f"{name}: numbers in its prose that no test checks: {left}"
