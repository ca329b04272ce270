"""Tests for notebooks/: every notebook runs in a real Jupyter kernel and shows its key results.

Each notebook is executed in memory (nothing is written) by notebooks/execute.py's ``execute``,
the same code that produces the committed outputs, and its fresh outputs are searched for the
numbers the notebook is about. The committed files are checked too: executed, small, and
showing the same numbers.
"""

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
IMAGES = ("image/png", "image/svg+xml")
MAX_BYTES = 300_000
# 01 ends with the step player, its 33 frames inline SVG (1.4 MB, within the player's 1.5-MB budget)
PLAYER_BYTES = {"01_worked_example.ipynb": 2_400_000}

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
        ],
        3,  # the training plot, the boundary and the live view's last picture
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
    nb = load_executor().execute(NOTEBOOKS / name)  # raises CellExecutionError on any error
    text, images = outputs(nb)
    expected, n_images = EXPECTED[name]
    assert not missing(text, expected), f"{name} no longer shows: {missing(text, expected)}"
    assert images >= n_images, f"{name} shows {images} images, expected at least {n_images}"


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
    limit = PLAYER_BYTES.get(name, MAX_BYTES)
    assert path.stat().st_size < limit, f"{name} is {path.stat().st_size} bytes; keep images modest"


def test_every_notebook_is_tested():
    """Every notebook in notebooks/ has its expected results listed here, so none runs unchecked."""
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(EXPECTED)


def test_readme_lists_every_notebook():
    """README.md names every notebook in notebooks/."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert [n for n in sorted(EXPECTED) if f"notebooks/{n}" not in readme] == []
