"""Tests for nn.examples: seed 002's network, number for number, and its documented contract."""

import doctest

import pytest

import engine
import nn.examples
from engine import Value
from nn import MLP, SGD, seed002

EXACT = 1e-10  # the table in the seeds' README gives 10 decimals


def test_docstring_examples():
    """The examples in nn.examples' docstrings run and give the documented results."""
    assert doctest.testmod(nn.examples).failed == 0


def test_forward_numbers():
    """z, activations, outputs and E match the recomputed table of seed 002."""
    net = seed002()
    z = {k: v.data for k, v in net.z.items()}
    out = {k: v.data for k, v in net.out.items()}
    assert z["H1"] == pytest.approx(0.154, abs=EXACT) and z["H2"] == pytest.approx(0.0833, abs=EXACT)
    assert out["H1"] == pytest.approx(0.5384240912, abs=EXACT)
    assert out["H2"] == pytest.approx(0.5208129665, abs=EXACT)
    assert z["Y1"] == pytest.approx(0.5481651144, abs=EXACT)
    assert z["Y2"] == pytest.approx(0.6146380213, abs=EXACT)
    assert out["Y1"] == pytest.approx(0.6337097788, abs=EXACT)
    assert out["Y2"] == pytest.approx(0.6489980701, abs=EXACT)
    assert net.E.data == pytest.approx(0.1849793830, abs=EXACT)


def test_chain_rule_factors_for_w5():
    """∂E/∂outY1, ∂outY1/∂zY1 = out(1 − out) and ∂zY1/∂w5 = H1 match the table, and so does their product."""
    net = seed002()
    net.E.backward()
    assert net.out["Y1"].grad == pytest.approx(0.5837097788, abs=EXACT)
    (local,) = engine.local_partials(net.out["Y1"])
    assert local == pytest.approx(0.2321216950, abs=EXACT)
    w5_index = net.z["Y1"].parents.index(net.params["w5"])
    assert engine.local_partials(net.z["Y1"])[w5_index] == pytest.approx(0.5384240912, abs=EXACT)
    assert net.params["w5"].grad == pytest.approx(0.0729519972, abs=EXACT)


def test_gradient_of_w1_reaches_through_both_outputs():
    """∂E/∂w1, which sums the paths through Y1 and Y2, is 0.0047463957."""
    net = seed002()
    net.E.backward()
    assert net.params["w1"].grad == pytest.approx(0.0047463957, abs=EXACT)


def test_one_update_step_subtracts_the_gradient():
    """One SGD step with α = 0.01 gives w5 = 0.17927048 and w1 = 0.09995253599 (not the article's +α slip)."""
    net = seed002()
    optimizer = SGD(net.model.parameters(), lr=0.01)
    optimizer.zero_grad()
    net.E.backward()
    optimizer.step()
    assert net.params["w5"].data == pytest.approx(0.1792704800, abs=EXACT)
    assert net.params["w1"].data == pytest.approx(0.0999525360, abs=EXACT)
    assert net.params["w5"].data < 0.18 < 0.1807289  # gradient descent moves w5 down, not up


def test_matches_the_formulas_written_out():
    """The network equals seed 002's equations evaluated directly with engine ops."""
    w = [Value(v) for v in nn.examples.SEED002_WEIGHTS]
    b1, b2, (x1, x2) = Value(0.05), Value(0.42), (0.95, 0.06)
    h1 = (w[0] * x1 + w[1] * x2 + b1).sigmoid()
    h2 = (w[2] * x1 + w[3] * x2 + b1).sigmoid()
    y1 = (w[4] * h1 + w[5] * h2 + b2).sigmoid()
    y2 = (w[6] * h1 + w[7] * h2 + b2).sigmoid()
    E = 0.5 * (0.05 - y1) ** 2 + 0.5 * (0.82 - y2) ** 2
    E.backward()
    net = seed002()
    net.E.backward()
    assert net.E.data == pytest.approx(E.data, rel=1e-14)
    for i in range(8):
        assert net.params[f"w{i + 1}"].grad == pytest.approx(w[i].grad, rel=1e-12)
    assert net.params["b1"].grad == pytest.approx(b1.grad, rel=1e-12)


def test_contract_labels_scopes_and_shared_biases():
    """The returned nodes carry the document's labels and scopes, and b1, b2 are each one shared Value."""
    net = seed002()
    assert list(net.params) == [f"w{i}" for i in range(1, 9)] + ["b1", "b2"]
    assert all(p.label == name for name, p in net.params.items())
    assert [x.label for x in net.x] == ["x1", "x2"] and [x.data for x in net.x] == [0.95, 0.06]
    assert net.target == (0.05, 0.82)
    for name in ("H1", "H2", "Y1", "Y2"):
        layer = "hidden layer" if name.startswith("H") else "output layer"
        assert net.z[name].label == f"z{name}" and net.out[name].label == f"out{name}"
        assert net.z[name].scope == net.out[name].scope == f"{layer}/{name}"
        assert net.out[name].parents == (net.z[name],)
    assert net.params["w1"].scope == "hidden layer/H1" and net.params["w8"].scope == "output layer/Y2"
    assert net.params["b1"].scope == "hidden layer" and net.params["b2"].scope == "output layer"
    assert net.E.label == "E" and net.E.scope == "loss"
    assert net.z["H1"].parents[-1] is net.z["H2"].parents[-1] is net.params["b1"]
    assert net.z["Y1"].parents[-1] is net.z["Y2"].parents[-1] is net.params["b2"]
    assert isinstance(net.model, MLP) and set(net.model.parameters()) == set(net.params.values())


def test_each_call_builds_a_fresh_network():
    """Two calls share no Values, so training one does not change the other."""
    a, b = seed002(), seed002()
    a.params["w1"].data = 9.0
    assert b.params["w1"].data == 0.10
