"""Tests of engine.graph's shared vocabulary: display names that every view can show."""

from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine import Value
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
