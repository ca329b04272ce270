"""Tests for README.md: its example prints what its comments say, CI runs its test command, and every
number its sentences give is checked against the engine (or named as what a benchmark measured)."""

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def first_python_block():
    return re.search(r"```python\n(.*?)```", README, re.S).group(1)


def test_readme_example_prints_what_it_says():
    """Each print in the README's opening example outputs the value its comment shows."""
    code = first_python_block()
    expected = [line.split("#", 1)[1].strip() for line in code.splitlines() if line.startswith("print(")]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    assert out.getvalue().splitlines() == expected and expected


def test_ci_runs_the_readme_test_command():
    """.ci/run takes its command from the README's test-command block, so the two cannot drift."""
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "<!-- test-command -->" in ci and 'bash -euo pipefail -c "$command"' in ci
    block = re.search(r"<!-- test-command -->\n```bash\n(.+?)\n```\n<!-- /test-command -->", README, re.S)
    assert block and "pytest" in block.group(1)


def test_readme_examples_run_in_order(tmp_path, monkeypatch):
    """The README's Python blocks run one after another as a reader would paste them, without error."""
    monkeypatch.chdir(tmp_path)  # the files they write (the explorable's page) land here
    namespace: dict = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for k, code in enumerate(re.findall(r"```python\n(.*?)```", README, re.S)):
            exec(compile(code, f"README.md block {k + 1}", "exec"), namespace)
    assert "missing_path\nsign\n" in out.getvalue()  # the diagnose example's two kinds, as its comment says
    page = (tmp_path / "seed002.html").read_text(encoding="utf-8")
    assert 'data-leaf="w5"' in page and "<script src" not in page  # the explorable, self-contained


# ---------------------------------------------------------------------------
# Every number in the README's sentences: computed here, or named as what a benchmark measured


def _flat(text):
    return " ".join(text.split())


def _prose():
    """README.md without its code blocks and tables (the sentences), on one line."""
    text = re.sub(r"```.*?```", " ", README, flags=re.S)
    return _flat("\n".join(line for line in text.splitlines() if not line.startswith("|")))


def _seed002():
    import nn

    return nn.seed002()


def _hypothesis_profiles():
    from hypothesis import settings

    assert (settings.get_profile("ci").max_examples, settings.get_profile("dev").max_examples) == (400, 60)


def _seed002_shape():
    net = _seed002()
    hidden = [name for name in net.z if name.startswith("H")]
    assert (len(net.x), len(hidden), len(net.target)) == (2, 2, 2)


def _steps_and_step_7():
    import engine

    t = engine.trace(_seed002().E)
    assert len(t) == 32 and repr(engine.draw(t, step=7)).endswith("after step 7>")


def _notebook01():
    from engine.vocab import fmt

    net = _seed002()
    net.E.backward()
    w5 = net.params["w5"]
    assert (fmt(net.E.data), fmt(w5.data - 0.01 * w5.grad)) == ("0.18498", "0.17927")


def _notebook02():
    import json

    import nn

    nb = json.loads((ROOT / "notebooks" / "02_one_bias_to_all.ipynb").read_text(encoding="utf-8"))
    assert any('nn.MLP(2, [2, 1], activation="relu"' in "".join(c["source"]) for c in nb["cells"])
    assert len(nn.MLP(2, [2, 1]).parameters()) == 9  # and "all nine"


def _notebook03():
    import random

    import nn

    X, y = nn.data.seed003()
    random.seed(0)
    net = nn.MLP(3, [5, 2], activation="sigmoid", output_activation="linear")
    assert (len(X), len(X[0]), len(y[0])) == (6, 3, 2)
    per = [nn.fit(net, X, y, loss="half_sse", epochs=1, batch_size=b, progress=False).iterations_per_epoch
           for b in (None, 1, 2)]  # fmt: skip
    assert per == [1, 6, 3]


def _notebook08():
    tests = (ROOT / "tests" / "test_notebooks.py").read_text(encoding="utf-8")
    assert 're.compile(r"test accuracy after 5 epochs: 9[5-9]' in tests  # the notebook's test checks it


def _seven_slips():
    slips = re.search(r"with seven usual slips \((.*?)\) each made once", _prose()).group(1)
    assert len(slips.split(", ")) == 7


def _three_subcommands():
    from chainrule import cli

    said = set(re.findall(r"`chainrule (\w+)`", _prose().split("has three subcommands")[1][:200]))
    assert set(cli.COMMANDS) == said and len(said) == 3


def _frames():
    import engine

    assert len(engine.frames(_seed002().E)) == 33  # the start, then one frame per step


def _one_node_each():
    from engine import Value

    x = Value(1.5)
    for y in (x * 2, 2 - x, 1 / x, x**3):
        assert y.parents == (x,)  # the constant is bound into the op: no node of its own


def _gif_frames():
    from chainrule import demo

    updates = demo.RECIPE["epochs"]  # full batch: one update an epoch
    every = max(1, round(updates / demo.FRAMES))  # the demo keeps the weights every this many updates
    assert (updates, len(range(0, updates + 1, every))) == (100, 51)


def _width_256():
    import nn

    sizes = lambda w: [2, w, w, 1]  # MLP(2, [w, w, 1]): a weight per input and a bias, per neuron
    count = lambda w: sum((a + 1) * b for a, b in zip(sizes(w), sizes(w)[1:]))
    assert count(3) == len(nn.MLP(2, [3, 3, 1]).parameters())
    n = count(256)
    said = int(re.search(r"and ([\d,]+) weights are copied", _prose()).group(1).replace(",", ""))
    zeros = len(str(said)) - len(str(said).rstrip("0"))  # 67,000 is n rounded to thousands
    assert round(n, -zeros) == said, f"MLP(2, [256, 256, 1]) has {n:,} parameters; the README says {said:,}"


def _in_source(path, *texts):
    def check():
        source = (ROOT / path).read_text(encoding="utf-8")
        assert [t for t in texts if t not in source] == []

    check.__doc__ = f"the numbers are {path}'s own settings"
    return check


# a fragment of the README (whitespace as one space) -> the check of its numbers
NUMBERS = {
    "(400 examples a property; `dev` has 60)": _hypothesis_profiles,
    "the documents' worked 2-2-2 network": _seed002_shape,
    "`engine.draw(t, step=7)` draws the graph after step 7": _steps_and_step_7,
    "# 32 chain-rule steps, one recorded pass": _steps_and_step_7,
    "a 2-2-2 sigmoid network, number by number: forward pass, E = 0.18498": _notebook01,
    "(w5 → 0.17927)": _notebook01,
    "a 2-2-1 ReLU net": _notebook02,
    "on a 3-5-2 net (1, 6 and 3 iterations per epoch)": _notebook03,
    "at 95% in 5 epochs": _notebook08,
    "seven usual slips": _seven_slips,
    "has three subcommands": _three_subcommands,
    "all 33 frames": _frames,
    "(`x * 2`, `2 - x`, `1 / x`, `x ** 3` are each one node)": _one_node_each,
    "GIF (51 frames)": _gif_frames,
    "66,817 weights": _width_256,
    "(100 moons from its notebook, MLP(2, [16, 16, 1]), hinge loss + 1e-4·L2, SGD with lr = 1 − 0.9·k/100":
        _in_source("benchmarks/bench_nn.py", "make_moons(n_samples=100", "MLP(2, [16, 16, 1])", "1e-4",
                   "0.9 * k / 100"),
    "The step-0 loss, 0.8958441028683222": _in_source("benchmarks/bench_nn.py", "= 0.8958441028683222"),
    "the benchmark requires 1e-9": _in_source("benchmarks/bench_nn.py", "agree <= 1e-9"),
    "agree with the graph's to 1e-12 (the benchmark checks it)":
        _in_source("benchmarks/bench_layers.py", "<= 1e-12 * abs(reference[check])"),
    "micrograd's demo as below, 100 updates":
        _in_source("benchmarks/bench_live.py", "def train(X, y, epochs=100,"),
    "width 256": _in_source("benchmarks/bench_layers.py", "for width in (16, 64, 256):"),
    "the 200 timed steps": _in_source("benchmarks/bench_layers.py", "default=200, help=\"demo steps"),
}  # fmt: skip

# Figures a benchmark measured on this machine (times, sizes, speed-ups, its load): a fragment -> the
# benchmark that prints it. They are not recomputed by a test: a test takes no timings.
MEASURED = {
    "medians of 5 runs (3 for the training loop) on this project's 2-core machine": "benchmarks/_common.py",
    "5.7 ms": "benchmarks/bench_frames.py",
    "against 60 ms for 0.1's 35 frames": "benchmarks/bench_frames.py",
    "medians of 7 interleaved runs): `fit` takes 3.30 s, and 3.81 s": "benchmarks/bench_live.py",
    "(4 pictures drawn and rendered to PNG): **+15%** (the goal is at most +20%)": "benchmarks/bench_live.py",
    "costs 0.56 s more": "benchmarks/bench_live.py",
    "takes 5.2 s and 0.83 MB": "benchmarks/bench_live.py",
    "medians of 5 runs): `model.load` reads a saved MLP of 1k, 10k and 100k parameters in 7 ms, 43 ms and "
    "1.4 s": "benchmarks/bench_weights.py",
    "in 15 ms, 113 ms and 3.6 s": "benchmarks/bench_weights.py",
    "(14 ms, 1.9 s and 500 s": "benchmarks/bench_weights.py",
    "34 ms, 2.6 s and 28 minutes, one run at 100k": "benchmarks/bench_weights.py",
    "3.1 s and 1.76 MB, 0.5 s and 1.31 MB": "benchmarks/bench_animate.py",
    "The losses agree to 1e-16": "benchmarks/bench_nn.py",
    "(medians of 5), on this shared 2-core machine, whose load changes the times by 2× or more":
        "benchmarks/bench_layers.py",
    "takes 0.5 ms": "benchmarks/bench_layers.py",
}  # fmt: skip

# The same, as a README run of the benchmark words them: before and after bench_nn's run of 4 December
MEASURED_EITHER = {
    r"the 2-core machine \(load average 8 to 14\), so every time is 2 to 3 times slower"
    r"|\(143 s, medians of interleaved runs\) on the 2-core machine with a load average of 2 to 5":
        "benchmarks/bench_nn.py",
    r"\(fused 44× to 77×, elementary 11× to 17×, compiled 813× to 1026× over three runs\)"
    r"|gave fused 44× to 77×, elementary 11× to 17× and compiled 813× to 1026×": "benchmarks/bench_nn.py",
}  # fmt: skip

# Numbers that are names, not quantities: notebook files, the documents' seeds, versions
NAMES = [r"notebooks/\d\d_\w+\.ipynb", r"\b[Ss]eeds? 00\d(?: and 00\d)?", r"\bseed\d{3}\b",
         r"\b0\.[123]\.0\b", r"\b0\.1's\b", r"\b0\.1 ran\b", r"PyTorch 2\.13", r"JAX 0\.10\.2"]  # fmt: skip


@pytest.mark.parametrize("fragment", NUMBERS)
def test_a_number_in_the_readme_is_the_engines(fragment):
    """The README's numbers in this fragment are what the engine, a notebook or a benchmark's setup give."""
    assert fragment in _prose() or fragment in _flat(README), f"the README no longer says {fragment!r}"
    NUMBERS[fragment]()


def test_every_number_in_the_readme_is_checked_or_measured():
    """No number in the README's sentences is left out: each is checked above or named as a benchmark's."""
    text = _prose()
    for fragment, bench in MEASURED.items():
        assert fragment in text and (ROOT / bench).exists(), fragment
    for fragment in [*NUMBERS, *MEASURED]:
        text = text.replace(fragment, " ")
    for pattern, bench in MEASURED_EITHER.items():
        assert re.search(pattern, text) and (ROOT / bench).exists(), pattern
        text = re.sub(pattern, " ", text)
    for pattern in NAMES:
        text = re.sub(pattern, " ", text)
    left = [m.group(0) for m in re.finditer(r".{0,30}(?<![\w.])\d.{0,30}", text)]
    assert left == [], f"numbers in the README that no test checks: {left}"
