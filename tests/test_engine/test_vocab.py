"""Tests of engine.vocab, the shared vocabulary: display names every view can show, one wording of a step."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

import engine
import nn
from engine import Value, vocab
from engine.markup import markup
from engine.vocab import names, printable


def test_control_characters_show_as_their_pictures():
    """A NUL, a tab, a newline and DEL show as ␀, ␉, ␊ and ␡; a lone surrogate or a C1 control as �."""
    assert printable("a\x00b\tc\nd\x7f") == "a␀b␉c␊d␡"
    assert printable("x\ud800y\x85z\u2028") == "x\ufffdy\ufffdz\ufffd"
    assert printable("w^(2)_{1,2} <b>&") == "w^(2)_{1,2} <b>&"  # everything else is left as it is


def test_names_are_printable_and_still_distinct():
    """Two labels that print the same still get distinct names (#2), and a bad root label is shown too."""
    a, b = Value(1.0, label="a\tb"), Value(2.0, label="a\tb")
    L = a * b
    L.label = "L\x00"
    shown = names(L)
    assert shown[L] == "L␀" and {shown[a], shown[b]} == {"a␉b", "a␉b#2"}


@settings(max_examples=25, deadline=None)
@given(st.text(max_size=12), st.text(max_size=6))
def test_any_label_is_drawn_traced_and_explained(label, root_label):
    """Whatever text a label holds, the drawing renders and the trace and explanation print it."""
    w = Value(0.5, label=label)
    L = (w * w).tanh()
    L.label = root_label
    t = engine.trace(L)
    assert "<svg" in engine.draw(t, step=1).svg()
    assert printable(label) in str(t) or label == ""
    assert engine.explain(t, w).text()


def test_a_seed002_step_is_worded_the_same_everywhere():
    """Step 6 of seed 002, ∂outY1/∂zY1 = outY1 · (1 − outY1) = 0.23212, reads alike in every view of it."""
    net = nn.seed002()
    t = engine.trace(net.E)
    s = t[5]
    name, formula, value = "∂outY1/∂zY1", "outY1 · (1 − outY1)", "0.23212"
    assert (s.node_name, s.parent_name) == ("outY1", "zY1")
    assert vocab.local_formula(s.node, s.index, t.names) == f"{name} = {formula}"
    chain = "∂E/∂zY1 += ∂E/∂outY1 · ∂outY1/∂zY1"  # · between symbols, × between numbers
    assert s.text() == f"step 6: {chain} = 0.58371 × {value} ({formula}) = 0.13549; ∂E/∂zY1 = 0.13549"
    assert s.caption() == f"step 6: {chain} = 0.58371 × {value} = 0.13549, so ∂E/∂zY1 = 0.13549"
    (row,) = [line for line in str(t).splitlines() if line.split()[:4] == ["6", "outY1", "σ", "zY1"]]
    assert re.search(rf"  {re.escape(formula)}\s+=\s+{value}  ", row)  # the trace table
    assert markup(f"{formula} = {value}") in t._repr_html_()  # its HTML
    first, _, numbers = str(engine.explain(t, "w5")).partition(" = ")[2].partition(" = ")
    assert dict(zip(first.split(" · "), numbers.split(" × ")))[name] == value  # explain's factor
    forward = engine.forward_trace(net.E, "w5")  # forward mode multiplies the same local derivative
    (row,) = [line for line in str(forward).splitlines() if line.split()[1:4] == ["outY1", "σ", "zY1"]]
    assert re.search(rf"  {re.escape(formula)}\s+=\s+{value}  ", row)
    (f,) = [f for f in forward if f.node_name == "outY1"]
    assert f.text().startswith(f"step 2: ∂outY1/∂w5 += {name} · ∂zY1/∂w5 = {value} ({formula}) × 0.53842")
    assert f.caption().startswith(f"step 2: ∂outY1/∂w5 += {name} · ∂zY1/∂w5 = {value} × 0.53842")
    assert t.rule_legend().startswith("chain rule: " + vocab.chain("E", "out", "in"))
