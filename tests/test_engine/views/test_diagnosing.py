"""Tests for engine.views.diagnosing: each slip, injected into seed 002 and random graphs, is named."""

import math

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import engine
import nn
from engine import Value
from engine.record.tracing import record
from engine.views.diagnosing import (
    ABS,
    PRECEDENCE,
    REL,
    close,
    diagnose,
    diagnose_update,
)
from nn.strategies import mlps

PARAMS = ("w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8", "b1", "b2")


def named(finding, kind):
    """``finding`` names ``kind``, or a kind before it in PRECEDENCE that gives the same number."""
    if finding.kind == kind:
        return True
    return kind in finding.also and PRECEDENCE.index(finding.kind) < PRECEDENCE.index(kind)


def gradients(root, params):
    """The right gradients, by engine.grad (which touches no .grad)."""
    return dict(zip(params, engine.grad(root, list(params))))


@pytest.fixture
def net():
    return nn.seed002()


# --- seed 002, every parameter ---------------------------------------------------------


def test_right_answers_are_correct(net):
    """engine.grad's gradients are called correct for every parameter of seed 002."""
    d = diagnose(net.E, gradients(net.E, net.params.values()))
    assert [f.kind for f in d] == ["correct"] * len(PARAMS)
    assert d["w5"].text == "∂E/∂w5 = 0.07295 is right"


def test_diagnose_changes_no_grad(net):
    """Gradients hold what they held before diagnose, after a right and a refused call alike."""
    nodes = engine.walks.topological_order(net.E)
    for k, n in enumerate(nodes):
        n.grad = 0.25 * k
    before = [n.grad for n in nodes]
    diagnose(net.E, {p: 1.0 for p in net.params.values()})
    with pytest.raises(TypeError):
        diagnose(net.E, {"w1": "0.1"})
    assert [n.grad for n in nodes] == before


@pytest.mark.parametrize("name", PARAMS)
def test_sign(net, name):
    """−∂E/∂w is a sign slip."""
    (g,) = engine.grad(net.E, [net.params[name]])
    f = diagnose(net.E, {name: -g})[0]
    assert f.kind == "sign" and "factor" in f.also  # a factor of −1 too: sign comes first
    assert f.name == f"∂E/∂{name}" and f.expected == pytest.approx(g)


@pytest.mark.parametrize("name", ["w1", "w2", "w3", "w4"])
def test_missing_path_through_outY2(net, name):
    """∂(½(T1 − outY1)²)/∂w, the gradient through outY1 alone, is the path through outY2 left out."""
    half = net.E.parents[0]  # E = ½(T1 − outY1)² + ½(T2 − outY2)²: the first term
    (only_y1,) = engine.grad(half, [net.params[name]])
    f = diagnose(net.E, {name: only_y1})[0]
    assert f.kind == "missing_path"
    assert "through outY2" in f.text and "outY1," not in f.text.split("through")[1]


@pytest.mark.parametrize("name", ["w1", "w2", "w3", "w4", "b1", "b2"])
def test_missing_path_every_path_of_explain(net, name):
    """Each of explain's paths left out of the sum is a missing path, named by its own nodes."""
    e = engine.explain(net.E, name)
    assert e.n_paths >= 2
    for path in e.paths:
        f = diagnose(net.E, {name: e.total - path.value})[0]
        assert named(f, "missing_path"), f.text
        assert " · ".join(x.name for x in path.factors) in f.text


def _overwriting_backward(root):
    """micrograd's most repeated slip: a backward pass that writes = where the chain rule adds +=."""
    grads = {root: 1.0}
    for node in engine.topological_order(root):  # the root first
        if node.parents:
            for parent, local in zip(node.parents, engine.local_partials(node)):
                grads[parent] = grads.get(node, 0.0) * local
    return grads


@pytest.mark.parametrize("name", PARAMS)
def test_overwrite_instead_of_add(net, name):
    """A backward pass with = instead of += is named a missing path wherever its number differs."""
    claimed = _overwriting_backward(net.E)[net.params[name]]
    f = diagnose(net.E, {name: claimed})[0]
    if close(claimed, f.expected):
        assert f.kind == "correct"
    else:
        assert f.kind == "missing_path", f.text


@pytest.mark.parametrize("name", PARAMS)
def test_missing_upstream(net, name):
    """∂N/∂w for a labelled node N above w is the chain cut at N."""
    p = net.params[name]
    t = engine.trace(net.E)
    for node in t.above(p) - {p, net.E}:
        if not node.label:
            continue
        (cut,) = engine.grad(node, [p])
        f = diagnose(net.E, {name: cut})[0]
        assert named(f, "missing_upstream"), (node.label, f.text)


def test_missing_upstream_names_the_node(net):
    """Claiming x1 = ∂zH1/∂w1 for ∂E/∂w1 says the chain stopped at zH1."""
    f = diagnose(net.E, {"w1": net.x[0].data})[0]
    assert f.kind == "missing_upstream" and "stops at zH1" in f.text and "∂E/∂zH1 = 0.0049962" in f.text


@pytest.mark.parametrize("name", PARAMS)
def test_local_at_input(net, name):
    """σ′ taken at z (z(1 − z) for out(1 − out)) at any one sigmoid is named, with its node."""
    p = net.params[name]
    above = engine.trace(net.E).above(p)
    for neuron in ("H1", "H2", "Y1", "Y2"):
        z, out = net.z[neuron], net.out[neuron]
        if z not in above:
            continue
        (upstream,) = engine.grad(net.E, [out])
        (below,) = engine.grad(z, [p])
        right, wrong = out.data * (1 - out.data), z.data * (1 - z.data)
        (g,) = engine.grad(net.E, [p])
        f = diagnose(net.E, {name: g + upstream * (wrong - right) * below})[0]
        assert named(f, "local_at_input"), f.text
        if f.kind == "local_at_input":
            assert f"∂out{neuron}/∂z{neuron} was taken at the input, z{neuron} · (1 − z{neuron})" in f.text


def test_local_at_input_at_every_sigmoid(net):
    """σ′ taken at z at every sigmoid: the gradient of a network whose σ′ is z(1 − z) everywhere."""
    t = engine.trace(net.E)
    g = {t.root: 1.0}  # the backward pass by hand, with the slip
    for node in engine.topological_order(net.E):  # the root first
        if not node.parents:
            continue
        locals_ = engine.local_partials(node)
        if node.op.name == "sigmoid":
            z = node.parents[0].data
            locals_ = (z * (1 - z),)
        for parent, local in zip(node.parents, locals_):
            g[parent] = g.get(parent, 0.0) + g.get(node, 0.0) * local
    f = diagnose(net.E, {"w1": g[net.params["w1"]]})[0]
    assert f.kind == "local_at_input" and "every sigmoid derivative" in f.text


@pytest.mark.parametrize("name", PARAMS)
def test_factor_the_dropped_half(net, name):
    """The gradient of Σ(T − out)², the loss without its ½, is the constant 0.5 left out."""
    full = engine.sum([(t - o) ** 2 for t, o in zip(net.target, (net.out["Y1"], net.out["Y2"]))])
    (g,) = engine.grad(full, [net.params[name]])
    f = diagnose(net.E, {name: g})[0]
    assert f.kind == "factor" and "the constant 0.5" in f.text and "left out" in f.text
    assert "accumulated" in f.also  # twice the gradient is also two backward passes: the ½ comes first


def _after_backward_times(root, param, k):
    nodes = engine.walks.topological_order(root)
    saved = [n.grad for n in nodes]
    try:
        for n in nodes:
            n.grad = 0.0
        for _ in range(k):
            root.backward()
        return param.grad
    finally:
        for n, g in zip(nodes, saved):
            n.grad = g


@pytest.mark.parametrize("name", PARAMS)
@pytest.mark.parametrize("k", [3, 4, 7])
def test_accumulated(net, name, k):
    """backward() run k times without zeroing gives k × the gradient: named, with k."""
    claimed = _after_backward_times(net.E, net.params[name], k)
    f = diagnose(net.E, {name: claimed})[0]
    assert f.kind == "accumulated" and f"backward ran {k} times" in f.text


def test_many_parameters_at_once_read_as_each_alone(net):
    """Diagnosing every parameter in one call (replays shared) gives each one's finding alone."""
    grads = gradients(net.E, net.params.values())
    claims = {p: g * r for (p, g), r in zip(grads.items(), [2, -1, 3, 0.5, 1, 10, -2, 0.25, 4, 0.1])}
    together = diagnose(net.E, claims)
    for p, c in claims.items():
        alone = diagnose(net.E, {p: c})[0]
        assert (alone.kind, alone.text, alone.also) == (together[p].kind, together[p].text, together[p].also)


def test_unknown_names_the_nearest(net):
    """A number no slip gives is unknown, and the text names the nearest candidate."""
    f = diagnose(net.E, {"w5": 0.123})[0]
    assert f.kind == "unknown" and f.nearest is not None and "the nearest is" in f.text
    assert not close(f.nearest.value, f.expected)


def test_labels_and_values_both_name_a_parameter(net):
    """A claimed gradient may be keyed by label or by the Value; d[...] finds a finding either way."""
    w1 = net.params["w1"]
    d = diagnose(net.E, {w1: 0.0, "w2": 0.0})
    assert d[w1].param is w1 and d["w2"].name == "∂E/∂w2"
    with pytest.raises(KeyError, match="diagnosed"):
        d["w3"]


@pytest.mark.parametrize(
    "claimed, error, message",
    [
        ({"w9": 0.1}, KeyError, "no node labelled 'w9'"),
        ({"w1": "0.1"}, TypeError, "claimed gradient of w1"),
        ({"w1": math.nan}, ValueError, "claimed gradient of w1"),
        ({"w1": None}, TypeError, "claimed gradient of w1"),
        ([0.1], TypeError, "claimed must map"),
    ],
)
def test_bad_input_is_a_clear_error(net, claimed, error, message):
    """Unknown labels, text, NaN and a list instead of a mapping are refused, saying what is wrong."""
    with pytest.raises(error, match=message):
        diagnose(net.E, claimed)


def test_a_value_not_in_the_graph(net):
    """A Value the loss does not depend on is refused: its gradient is 0, and it is not below the root."""
    with pytest.raises(ValueError, match="not in the graph below E"):
        diagnose(net.E, {Value(1.0, label="q"): 0.0})


# --- the tolerance and its edges ---------------------------------------------------------


def test_tolerance_edges():
    """Relative 1e-6 or absolute 1e-9: the edge itself is close, just past it is not, nan never."""
    assert (REL, ABS) == (1e-6, 1e-9)
    assert close(0.0, 1e-9) and not close(0.0, 1.000001e-9)
    assert close(1.0, 1.0 + 0.999e-6) and not close(1.0, 1.0 + 1.001e-6)
    assert close(-2.0, -2.0 * (1 + 0.999e-6)) and not close(-2.0, -2.0 * (1 + 1.001e-6))
    assert not close(math.nan, math.nan) and not close(1.0, math.nan)


def test_correct_at_the_tolerance_edge(net):
    """Just inside the tolerance is correct; just outside it is a diagnosis, never correct."""
    (g,) = engine.grad(net.E, [net.params["w5"]])
    assert diagnose(net.E, {"w5": g * (1 + 0.99e-6)})[0].kind == "correct"
    assert diagnose(net.E, {"w5": g * (1 + 1.01e-6)})[0].kind == "unknown"
    assert diagnose(net.E, {"w5": g * (1 + 1e-4)}, rel=1e-3)[0].kind == "correct"


def test_a_zero_gradient_accepts_the_absolute_tolerance():
    """Where ∂L/∂w is 0 (a relu below 0), 1e-9 is right and 2e-9 is not."""
    w = Value(-1.0, label="w")
    L = (w * 2.0).relu() + w * 0.0
    L.label = "L"
    assert [f.kind for f in diagnose(L, {"w": 0.0})] == ["correct"]
    assert diagnose(L, {"w": 1e-9})[0].kind == "correct"
    assert diagnose(L, {"w": 2e-9})[0].kind != "correct"


def test_a_reused_node_visited_once():
    """In x·x + x, leaving out one use of x in x·x (a step, not a path of named nodes) is a missing path."""
    x = Value(0.3, label="x")
    y = x * x
    y.label = "y"
    L = (y + x).tanh()
    L.label = "L"
    (upstream,) = engine.grad(L, [y])  # ∂L/∂y; the right ∂L/∂x is ∂L/∂y · 2x + ∂L/∂(y + x)
    (direct,) = engine.grad(L, [L.parents[0]])
    f = diagnose(L, {x: upstream * x.data + direct})[0]
    assert (
        f.kind == "missing_path" and "one use of x was left out" in f.text and "x is used 3 times" in f.text
    )


def test_a_zero_path_leaves_the_sum_right():
    """Leaving out a path whose product is 0 gives the right number: correct, with missing_path in also."""
    x, y, z = Value(2.0, label="x"), Value(3.0, label="y"), Value(0.0, label="z")
    a = x * y
    a.label = "a"
    b = x * z
    b.label = "b"
    L = a + b
    L.label = "L"
    f = diagnose(L, {"x": 3.0})[0]  # the path through b is 0
    assert f.kind == "correct" and "missing_path" in f.also


@given(st.floats(-0.999e-6, 0.999e-6))
def test_a_right_answer_is_never_called_wrong(delta):
    """Any number within the relative tolerance of each seed 002 gradient is correct."""
    net = nn.seed002()
    grads = gradients(net.E, net.params.values())
    d = diagnose(net.E, {p: g * (1 + delta) for p, g in grads.items()})
    assert {f.kind for f in d} == {"correct"}


# --- random graphs -----------------------------------------------------------------------


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(engine.strategies.expressions(), st.integers(3, 9), st.data())
def test_random_expressions(e, k, data):
    """In random expressions each injected slip is named (or a kind before it giving the same number)."""
    leaf = data.draw(st.sampled_from(e.leaves))
    try:
        above = record(e.root).above(leaf)
    except ValueError:
        assume(False)  # this leaf does not reach the root
    (g,) = engine.grad(e.root, [leaf])
    assert diagnose(e.root, {leaf: g})[0].kind == "correct"
    assert named(diagnose(e.root, {leaf: -g})[0], "sign")
    assert named(diagnose(e.root, {leaf: 0.1 * g})[0], "factor")
    assert named(diagnose(e.root, {leaf: _after_backward_times(e.root, leaf, k)})[0], "accumulated")
    ex = engine.explain(e.root, leaf, max_paths=64)
    if ex.n_paths > 1 and len(ex.paths) == ex.n_paths:
        for path in ex.paths:
            assert named(diagnose(e.root, {leaf: ex.total - path.value})[0], "missing_path")
    for node in above - {leaf, e.root}:
        (cut,) = engine.grad(node, [leaf])
        assert named(diagnose(e.root, {leaf: cut})[0], "missing_upstream")
        if node.op.arity == 1 and node.op.constant is None and "out" in node.op.formula(0, 1):
            (upstream,) = engine.grad(e.root, [node])
            (below,) = engine.grad(node.parents[0], [leaf])
            a = node.parents[0].data
            try:
                wrong = node.op.partials(a, a)[0]  # the row's formula with the input in place of out
            except (ArithmeticError, ValueError):
                continue
            claimed = g + upstream * (wrong - engine.local_partials(node)[0]) * below
            if math.isfinite(claimed) and not close(claimed, g):  # a swap that changes nothing is right
                assert named(diagnose(e.root, {leaf: claimed})[0], "local_at_input")


def _loss(problem):
    model = problem.model
    terms = []
    for x, y in zip(problem.X, problem.y):
        out = model([Value(v) for v in x])
        terms += [(o - t) ** 2 for o, t in zip(out if isinstance(out, list) else [out], y)]
    L = engine.sum(terms) * 0.5
    L.label = "E"
    return L


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mlps(max_inputs=2, max_width=3, max_layers=2, max_samples=2), st.integers(3, 9), st.data())
def test_random_mlps(problem, k, data):
    """In random networks each injected slip, at a drawn parameter, is named."""
    L = _loss(problem)
    params = problem.model.parameters()
    p = data.draw(st.sampled_from(params))
    (g,) = engine.grad(L, [p])
    assume(abs(g) > 1e-6)  # a dead relu's parameter: every slip of 0 is 0
    assert diagnose(L, {p: g})[0].kind == "correct"
    assert named(diagnose(L, {p: -g})[0], "sign")
    assert named(diagnose(L, {p: 2 * g})[0], "factor")  # the dropped ½
    assert named(diagnose(L, {p: _after_backward_times(L, p, k)})[0], "accumulated")
    ex = engine.explain(L, p, max_paths=64)
    if ex.n_paths > 1 and len(ex.paths) == ex.n_paths:
        path = data.draw(st.sampled_from(ex.paths))
        assert named(diagnose(L, {p: ex.total - path.value})[0], "missing_path")


# --- updates ---------------------------------------------------------------------------


def test_update_sign_is_the_articles_slip(net):
    """Seed 002's article adds α·∂E/∂w5 and gets 0.1807289: update_sign; 0.17927048 is correct."""
    (g,) = engine.grad(net.E, [net.params["w5"]])
    article = diagnose_update("w5", 0.07289, 0.01, 0.18, 0.1807289, loss="E")  # its rounded ∂E/∂w5
    assert article.kind == "update_sign" and article.text.startswith("w5 = 0.1807289 adds α·∂E/∂w5")
    f = diagnose_update(net.params["w5"], g, 0.01, 0.18, 0.18 - 0.01 * g)
    assert f.kind == "correct" and f.text.startswith("w5 = 0.1792705 is right: w5 ← w5 − α·∂L/∂w5")


@pytest.mark.parametrize("rate", [0.1, 1.0, 0.5, 0.05])
def test_update_with_another_rate(net, rate):
    """A step with another learning rate is named, and the text says which."""
    (g,) = engine.grad(net.E, [net.params["w1"]])
    f = diagnose_update("w1", g, 0.01, 0.1, 0.1 - rate * g)
    assert f.kind == "lr" and f"learning rate {rate:g}, not α = 0.01" in f.text
    assert f.rate == pytest.approx(rate)


def test_update_unknown_and_zero_gradient():
    """An update no slip explains is unknown; with ∂L/∂w = 0 only an unchanged weight is right."""
    assert diagnose_update("w", 0.3, 0.01, 1.0, 7.0).kind == "unknown"
    assert diagnose_update("w", 0.0, 0.01, 1.0, 1.0).kind == "correct"
    assert diagnose_update("w", 0.0, 0.01, 1.0, 1.5).kind == "unknown"


@pytest.mark.parametrize(
    "args, error", [(("w", 0.1, -0.01, 1.0, 1.0), ValueError), (("w", "0.1", 0.01, 1.0, 1.0), TypeError),
                    (("w", 0.1, 0.01, math.inf, 1.0), ValueError)],
)  # fmt: skip
def test_update_bad_input(args, error):
    """A negative rate, a text gradient or an infinite weight is refused clearly."""
    with pytest.raises(error, match="diagnose_update"):
        diagnose_update(*args)
