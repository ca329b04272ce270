"""Tests for chainrule.graph: the ``chainrule graph`` subcommand."""

import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from chainrule import cli
from engine.views.drawing import render


@pytest.fixture(autouse=True)
def graph_only(monkeypatch, tmp_path):
    """Register only the graph subcommand, work in tmp_path, and hide any system `dot`."""
    monkeypatch.setattr(cli, "COMMANDS", {"graph": cli.COMMANDS["graph"]})
    monkeypatch.chdir(tmp_path)
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert shutil.which("dot") is None


def run(capsys, *argv):
    """Run `chainrule graph ARGV`; return (exit status, stdout, stderr)."""
    try:
        code = cli.main(["graph", *argv])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def svg_texts(path):
    return [e.text for e in ET.parse(path).getroot().iter() if e.tag.endswith("text") and e.text]


def test_graph_is_registered():
    """The chainrule command maps the subcommand "graph" to chainrule.graph."""
    assert cli.COMMANDS["graph"].__name__ == "chainrule.graph"  # the fixture keeps the original entry


def test_seed002_to_svg_by_default(capsys, tmp_path):
    """Without arguments it writes graph.svg: seed 002's network after one backward pass."""
    code, out, err = run(capsys)
    assert code == 0 and err == ""
    assert out.startswith("wrote graph.svg: seed 002's network after one backward pass, E = 0.1849793830")
    texts = svg_texts(tmp_path / "graph.svg")
    for text in ("hidden neuron H1", "w5", "grad 0.07295", "∂zY1/∂w5", "= 0.53842", "E", "grad 1.00000"):
        assert text in texts  # top to bottom, an edge's label is two lines: ∂zY1/∂w5 above = 0.53842


def test_seed002_to_png(capsys, tmp_path):
    """-o seed.png writes a PNG with a valid header and a sane size."""
    code, out, _ = run(capsys, "-o", "seed.png")
    data = (tmp_path / "seed.png").read_bytes()
    assert code == 0 and "wrote seed.png" in out
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert 500 < width < 5000 and 500 < height < 5000


def test_formula_to_dot_text(capsys, tmp_path):
    """A formula with values is built, differentiated and drawn; .gv writes the DOT text."""
    code, out, _ = run(capsys, "tanh(x*w + b)", "x=0.5", "w=-1", "b=0.2", "-o", "neuron.gv")
    source = (tmp_path / "neuron.gv").read_text()
    assert code == 0 and out.startswith("wrote neuron.gv: f = tanh(x*w + b) = -0.2913126125")
    assert "rankdir=LR" in source and '<b>x</b></td><td color="black">data 0.50000</td>' in source
    assert ">grad -0.91514</td>" in source
    assert '"∂n2/∂x = -1.00000"' in source and '"∂f/∂n1 = 0.91514"' in source


def test_formula_to_pdf(capsys, tmp_path):
    """A PDF is written even without system Graphviz (from graphviz-pure's SVG)."""
    code, _, _ = run(capsys, "x ** 2 + sin(x)", "x=1.5", "-o", "f.pdf")
    assert code == 0 and (tmp_path / "f.pdf").read_bytes().startswith(b"%PDF-")


def test_options(capsys, tmp_path):
    """--rankdir, --no-edge-labels, --formulas and --step reach the drawing."""
    run(capsys, "--rankdir", "LR", "--no-edge-labels", "-o", "a.gv")
    plain = (tmp_path / "a.gv").read_text()
    assert "rankdir=LR" in plain and 'label="∂' not in plain
    run(capsys, "--formulas", "-o", "b.gv")
    assert "∂zY1/∂w5\\n= outH1 = 0.53842" in (tmp_path / "b.gv").read_text()  # two lines, top to bottom
    code, out, _ = run(capsys, "--step", "0", "-o", "c.gv")
    assert code == 0 and "after step 0" in out
    assert "step 0: the start" in (tmp_path / "c.gv").read_text()
    run(capsys, "-o", "d.gv")
    assert "rankdir=TB" in (tmp_path / "d.gv").read_text()  # the network reads best top to bottom


def test_formula_starting_with_minus(capsys, tmp_path):
    """A formula that starts with - is given after --."""
    code, out, _ = run(capsys, "-o", "neg.gv", "--", "-x*2", "x=1")
    assert code == 0 and "f = -x*2 = -2" in out


@pytest.mark.parametrize(
    "formula",
    [
        "__import__('os')",
        "__import__('os').system('echo hacked')",
        "x.__class__",
        "x[0]",
        "open('secret')",
        "lambda: x",
        "'text'",
        "[x for x in y]",
        "exp(x=1)",
        "globals()",
    ],
)
def test_unsafe_formulas_are_refused(capsys, tmp_path, formula):
    """Anything off the whitelist is a usage error (exit 2) saying what is not allowed; no file is written."""
    code, out, err = run(capsys, formula, "x=1", "-o", "out.svg")
    assert code == 2 and out == ""
    assert "chainrule graph: error:" in err and "not allowed" in err
    assert not (tmp_path / "out.svg").exists()


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["x*y", "x=1"], "no value for 'y'"),
        (["x*y", "x=1", "y=2", "z=3"], "z is not in the formula 'x*y'"),
        (["x", "x=1", "x=2"], "x is given twice"),
        (["x", "x=abc"], "'abc' is not a number"),
        (["x", "x=nan"], "finite number"),
        (["x", "exp=1"], "is one of the functions"),
        (["x", "1x=2"], "expected NAME=NUMBER"),
        (["x=1"], "looks like a value: give the formula first"),
        (["log(x)", "x=-1"], "log needs a positive input"),
        (["sqrt(x)", "x=0"], "infinite (a domain edge)"),
        (["-o", "graph.bmp"], "cannot tell the format of 'graph.bmp'"),
        (["--step", "10000"], "step 10000 does not exist"),
        (["--step", "-1"], "must be at least 0"),
        (["--rankdir", "RL"], "invalid choice"),
    ],
)
def test_bad_input_is_a_usage_error(capsys, tmp_path, argv, fragment):
    """Undefined or unused names, bad numbers, bad extensions and steps out of range exit with status 2."""
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and fragment in err
    assert list(tmp_path.glob("graph.*")) == []


def test_no_renderer_is_an_error_that_offers_the_dot_text(capsys, monkeypatch, tmp_path):
    """With no renderer the exit status is 1, stderr says how to install one, and .gv output still works."""
    monkeypatch.setattr(render, "candidates", lambda: [])
    code, out, err = run(capsys, "-o", "seed.png")
    assert code == 1 and out == "" and not (tmp_path / "seed.png").exists()
    assert "pip install graphviz-pure" in err and "-o graph.gv" in err
    code, out, _ = run(capsys, "-o", "seed.gv")
    assert code == 0 and (tmp_path / "seed.gv").read_text().startswith("digraph chainrule {")


def test_unwritable_output_is_an_error(capsys, tmp_path):
    """A file in a directory that does not exist gives exit status 1 and says why."""
    code, _, err = run(capsys, "-o", str(tmp_path / "missing" / "g.svg"))
    assert code == 1 and "does not exist" in err


def test_console_command_end_to_end(tmp_path):
    """`python -m chainrule graph` runs in a fresh process and writes the file."""
    done = subprocess.run(
        [sys.executable, "-m", "chainrule", "graph", "x*w", "x=2", "w=3", "-o", "f.svg"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "wrote f.svg: f = x*w = 6" in done.stdout and "data 6.00000" in svg_texts(tmp_path / "f.svg")


def test_code_prints_seed002_generated_source(capsys):
    """--code prints seed 002's backward pass as Python, the golden source, and draws nothing."""
    from pathlib import Path

    golden = Path(__file__).resolve().parent.parent / "test_engine" / "tools" / "data" / "seed002_codegen.txt"
    code, out, err = run(capsys, "--code")
    assert code == 0 and err == ""
    assert out == golden.read_text(encoding="utf-8")
    assert not Path("graph.svg").exists()


def test_code_prints_a_formula_as_python(capsys):
    """--code with a formula prints a function of its names, one line per chain-rule step."""
    code, out, _ = run(capsys, "--code", "tanh(x*w + b)", "x=0.5", "w=-1", "b=0.2")
    assert code == 0
    assert "def forward_backward(x, w, b):" in out
    assert "    g_x += g_n1 * w  # step 4: ∂n1/∂x = w" in out


def test_explorable_writes_a_page_of_the_formula(capsys, tmp_path):
    """--explorable writes the formula's explorable page, a field per name, even without system dot."""
    code, out, _ = run(capsys, "--explorable", "tanh(x*w + b)", "x=0.5", "w=-1", "b=0.2", "-o", "page.html")
    assert code == 0 and "wrote page.html: an explorable page of f = tanh(x*w + b)" in out
    page = (tmp_path / "page.html").read_text(encoding="utf-8")
    assert all(f'data-leaf="{name}"' in page for name in "xwb") and 'data-node="f" data-data=' in page


def test_explorable_needs_an_html_output(capsys):
    """--explorable with an output that is not .html is a usage error (exit status 2)."""
    code, _, err = run(capsys, "--explorable", "x*w", "x=1", "w=2", "-o", "page.svg")
    assert code == 2 and "name the explorable page .html" in err
