"""Tests for engine/_renamed.py: the 0.2 keyword names still work for one release, with a warning."""

import pytest

import engine
from engine import Value


def _graph():
    x, w = Value(0.5, label="x"), Value(-1.5, label="w")
    return x, w, (x * w).tanh()


def test_grad_old_keywords_warn_and_agree():
    """grad(output=, inputs=) warns and returns what grad(root, wrt) returns."""
    x, w, L = _graph()
    with pytest.warns(DeprecationWarning, match=r"grad\(inputs=...\) is deprecated"):
        old = engine.grad(output=L, inputs=[x, w])
    assert old == engine.grad(L, [x, w]) == engine.grad(root=L, wrt=[x, w])


def test_trace_to_old_keyword_warns_and_agrees():
    """Trace.to(param=) warns and keeps the same steps as Trace.to(wrt)."""
    x, w, L = _graph()
    t = engine.trace(L)
    with pytest.warns(DeprecationWarning, match="called wrt= now"):
        old = t.to(param="w")
    assert [s.number for s in old] == [s.number for s in t.to("w")]


def test_reuse_old_keyword_warns_and_agrees():
    """reuse(root, params=) warns and counts what reuse(root, wrt) counts."""
    x, w, L = _graph()
    with pytest.warns(DeprecationWarning):
        old = engine.reuse(L, params=[x, w])
    assert old.text() == engine.reuse(L, [x, w]).text()


def test_both_spellings_at_once_are_refused():
    """Giving the old and the new keyword together is a TypeError that names the one to keep."""
    x, w, L = _graph()
    with pytest.raises(TypeError, match="give wrt= only"):
        engine.grad(L, wrt=[x], inputs=[w])


def test_explanation_param_is_wrt():
    """Explanation.param still reads the node (with a warning); .wrt is its name now."""
    x, w, L = _graph()
    e = engine.explain(L, w)
    assert e.wrt is w
    with pytest.warns(DeprecationWarning, match="Explanation.wrt now"):
        assert e.param is w
