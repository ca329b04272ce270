"""Tests for engine.tracing: what a Trace's tables show, and refusing a stale graph."""

import xml.etree.ElementTree as ET

import pytest

import engine
import nn
from engine import Value, trace
from engine.markup import markup
from engine.record.fresh import StaleGraphError, check_fresh
from engine.record.tracing import numbers, record
from engine.vocab import pretty, simplify


def stepped_seed002():
    """Seed 002 after backward and one SGD step: the weights are new, the graph still the old one."""
    net = nn.seed002()
    net.E.backward()
    nn.optim.SGD(list(net.params.values()), lr=0.5).step()
    return net


def test_trace_explain_and_record_refuse_a_stale_graph():
    """After optimizer.step() the old graph is refused with an error that says to rebuild the forward pass."""
    net = stepped_seed002()
    for call in (lambda: trace(net.E), lambda: record(net.E), lambda: engine.explain(net.E, "w1")):
        with pytest.raises(
            StaleGraphError, match=r"changed after the forward pass.*Rebuild the forward pass"
        ):
            call()
    with pytest.raises(StaleGraphError, match="zH2 holds 0.0833 but its inputs"):
        check_fresh(net.E)


def test_a_rebuilt_graph_explains_the_true_value():
    """Rebuilt from the updated weights, the graph is fresh and explain agrees with backward."""
    net = stepped_seed002()
    E = nn.losses.half_sse(net.model(net.x), list(net.target))  # the forward pass again
    E.label = "E"
    check_fresh(E)  # no error
    w1 = net.params["w1"]
    total = engine.explain(E, w1).total
    w1.grad = 0.0
    E.backward()
    assert total == pytest.approx(w1.grad, rel=1e-12)


def test_fresh_graphs_pass():
    """Fresh graphs, and a leaf alone, pass the check."""
    check_fresh(nn.seed002().E)
    x = Value(2.0, label="x")
    check_fresh(x)
    check_fresh((x * 3).exp() / x)


def test_formulas_name_the_graph_and_fold_constants():
    """Trace text shows the graph's names and bound constants folded: no x_1, no k, no **(2 - 1)."""
    t = trace(nn.seed002().E)
    text = str(t)
    assert "x_1" not in text and "k *" not in text and "**(" not in text
    assert "2 · n3" in text and "outY1 · (1 − outY1)" in text
    x = Value(3.0, label="x")
    y = x**3
    y.label = "y"
    assert trace(y)[0].formula == "3 * x**2"
    assert simplify("(-1) * x**((-1) - 1)") == "(-1) * x**(-2)"
    assert pretty("x**2 * 0.5") == "½·x²"


def test_key_explains_every_unlabelled_node():
    """The table ends with a key: each n_i with what it computes, E written as the documents write it."""
    t = trace(nn.seed002().E)
    assert t.key()[0] == "E = ½(0.05 − outY1)² + ½(0.82 − outY2)²"
    assert t.key()[1:] == ["n1 = ½·n2", "n2 = n3²", "n3 = 0.05 − outY1", "n4 = ½·n5", "n5 = n6²",
                           "n6 = 0.82 − outY2"]  # fmt: skip
    assert "key: E = ½(0.05 − outY1)²" in str(t)
    assert t.to("w5").key() == ["n1 = ½·n2", "n2 = n3²", "n3 = 0.05 − outY1"]  # only the pieces on its paths
    foot = ET.fromstring(t._repr_html_()).find("tfoot")
    assert "n3 = 0.05 − outY1" in "".join(foot.itertext())


def test_numbers_keep_one_format_per_column():
    """A column of numbers shares its decimals, or is all scientific when they would be too many."""
    assert numbers([1.0, 0.0081295, -2.9927e-05]) == ["1.000000000", "0.008129500", "-0.000029927"]
    assert numbers([0.5, 0.25]) == ["0.50000", "0.25000"]
    assert numbers([1.0, 3e-12]) == ["1.0000e+00", "3.0000e-12"]
    assert numbers([0.0, -0.0]) == ["0.00000", "0.00000"]


def test_html_table_writes_scripts_as_html():
    """A label w^(2)_{1,2} shows as w<sup>(2)</sup><sub>1,2</sub> in the HTML table, plain in the text one."""
    w = Value(0.5, label="w^(2)_{1,2}")
    L = w * w
    L.label = "L"
    t = trace(L)
    assert "w<sup>(2)</sup><sub>1,2</sub>" in t._repr_html_()
    assert "w^(2)_{1,2}" in str(t)
    assert markup("a^(3)_1") == "a<sup>(3)</sup><sub>1</sub>"
    assert trace(L)[0].formula == "w^(2)_{1,2}"  # the name's (2) is not folded like a number
    assert '<span style="white-space:nowrap">∂L/∂w<sup>(2)</sup><sub>1,2</sub></span>' in (
        engine.explain(t, w)._repr_html_()
    )


@pytest.mark.parametrize("width", [60, 80, 100])
def test_table_fits_a_width(width):
    """table(width=...) fits seed 002's steps into that many characters (60 is as narrow as it goes: 80)."""
    t = trace(nn.seed002().E)
    longest = max(map(len, t.table(width=width).splitlines()))
    assert longest <= max(width, 80)
    assert len([line for line in t.table(width=width).splitlines() if line[:4].strip().isdigit()]) == len(t)


def test_every_view_is_reachable_right_after_import_engine():
    """In a fresh process, `import engine` alone gives trace, explain, draw, frames and slider (defect 1)."""
    import subprocess
    import sys

    code = (
        "import engine\n"
        "print(all(callable(getattr(engine, n)) for n in ('trace', 'explain', 'draw', 'frames', 'slider')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "True", done.stderr
