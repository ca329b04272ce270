"""Tests for engine.explain's signature: the root first, 0.2's order still read (with a warning)."""

import warnings

import pytest

import engine
import nn


def test_root_first_gives_the_documents_gradient():
    """explain(E, "w5") is seed 002's ∂E/∂w5 as backward computes it."""
    net = nn.seed002()
    e = engine.explain(net.E, "w5")
    assert e.total == pytest.approx(engine.grad(net.E, [net.params["w5"]])[0], rel=1e-12)


@pytest.mark.parametrize("param", ["w1", "w5", "b2"])
def test_the_old_order_warns_and_answers_the_same(param):
    """explain(param, root) from 0.2 gives the same explanation, with a DeprecationWarning."""
    net = nn.seed002()
    t = engine.trace(net.E)
    for old in (param, net.params[param]):
        for root in (net.E, t):
            with pytest.warns(DeprecationWarning, match="root comes first"):
                was = engine.explain(old, root)
            assert str(was) == str(engine.explain(root, old))


def test_root_first_never_warns():
    """The new order, with a label, a Value or a Trace, gives no warning."""
    net = nn.seed002()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        engine.explain(net.E, "w1")
        engine.explain(net.E, net.params["w1"])
        engine.explain(engine.trace(net.E), "w1")
        engine.explain(net.E, net.E)  # ∂E/∂E: one and the same node
