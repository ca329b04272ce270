"""Tests for engine.forward: forward mode (jvp, forward_steps) on the graph backward walks."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
import nn
from engine import RULES, Value, backward, vocab, walks
from engine.record.forward import ForwardStep, ForwardTrace, forward_steps, forward_trace, jvp
from engine.tools.strategies import expressions

PROFILE = settings().max_examples
PER_OP = settings(max_examples=max(PROFILE // 4, 25))


def path_bound(root, tangents):
    """Σ over paths of |product of partials · tangent|: the size rounding errors scale with."""
    size = {leaf: abs(t) for leaf, t in tangents.items()}
    for node in walks.forward_order(root):
        if node.parents:
            parts = backward.local_partials(node)
            size[node] = sum(abs(d) * size.get(p, 0.0) for p, d in zip(node.parents, parts))
    return size.get(root, 0.0)


def agrees(forward, reverse, bound):
    """Equal up to rounding: the two modes multiply the same factors in another order."""
    return forward == reverse or abs(forward - reverse) <= 1e-12 * bound + 1e-300  # 1e-300: subnormals


@settings(max_examples=3 * PROFILE)
@given(expressions(), st.data())
def test_jvp_equals_grad_along_any_direction(e, data):
    """jvp(root, v) = Σ ∂root/∂leaf · v(leaf) on random expressions of every op, up to rounding."""
    v = {leaf: data.draw(st.floats(-3, 3), label=leaf.label) for leaf in e.leaves}
    grads = engine.grad(e.root, e.leaves)
    reverse = sum(g * v[leaf] for leaf, g in zip(e.leaves, grads))
    forward = jvp(e.root, v)
    bound = path_bound(e.root, v) + sum(abs(g * v[x]) for x, g in zip(e.leaves, grads))
    assert agrees(forward, reverse, bound)


@pytest.mark.parametrize("op", list(RULES))
@PER_OP
@given(data=st.data())
def test_jvp_equals_grad_for_every_op(op, data):
    """For each op of the rule table, the forward-mode derivative along each leaf is the backward one."""
    e = data.draw(expressions(ops=[op], max_nodes=5))
    grads = engine.grad(e.root, e.leaves)
    for leaf, g in zip(e.leaves, grads):
        t = forward_trace(e.root, leaf)
        assert agrees(t.value, g, path_bound(e.root, {leaf: 1.0})), (leaf.label, t.value, g)
        assert agrees(jvp(e.root, {leaf: 1.0}), g, path_bound(e.root, {leaf: 1.0}))


@given(expressions())
def test_forward_steps_multiply_the_backward_passes_local_partials(e):
    """Each forward step's ∂node/∂parent is bit for bit the number backward multiplies on that edge."""
    back = engine.tracing.record(e.root).locals()
    t = forward_trace(e.root, e.leaves[0])
    assert t.locals() == back
    for s in t:
        assert s.local == back[s.node, s.index]
        assert s.product == s.local * s.upstream


def test_seed002_forward_steps_for_w1():
    """From w1 forward mode takes 14 steps, zH1 first and E last, and reaches ∂E/∂w1 = 0.0047464."""
    net = nn.seed002()
    t = forward_trace(net.E, "w1")
    assert isinstance(t, ForwardTrace) and all(isinstance(s, ForwardStep) for s in t)
    assert len(t) == 14
    assert (t[0].node_name, t[0].parent_name, t[0].local, t[0].grad) == ("zH1", "w1", 0.95, 0.95)
    assert t[-1].node is net.E and t[-1].final and not t[-2].final
    assert vocab.fmt(t.value) == "0.0047464"
    assert math.isclose(t.value, engine.grad(net.E, [net.params["w1"]])[0], rel_tol=1e-14)
    assert str(t[1]) == (
        "step 2: ∂outH1/∂w1 += ∂outH1/∂zH1 · ∂zH1/∂w1 = 0.24852 (outH1 · (1 − outH1)) × 0.95000 = 0.23610; "
        "∂outH1/∂w1 = 0.23610"
    )
    table = t.table()
    head = ["step", "node", "op", "parent", "∂parent/∂w1", "∂node/∂parent"]
    assert table.splitlines()[0].split()[:6] == head
    rows = [line for line in table.splitlines() if line[:4].strip().isdigit()]
    assert "so far" in rows[-2] and "0.0047464" in rows[-1]
    assert "<caption>14 forward-mode steps from w1 up to E</caption>" in t._repr_html_()


def test_forward_steps_is_a_generator_of_the_traced_steps():
    """forward_steps yields one step per next(), the steps forward_trace keeps; bad input fails at once."""
    net = nn.seed002()
    gen = forward_steps(net.E, "w2")
    first = next(gen)
    assert (first.number, first.node_name, first.parent_name, first.local) == (1, "zH1", "w2", 0.06)
    rest = list(gen)
    kept = forward_trace(net.E, "w2")
    assert [s.text() for s in [first, *rest]] == [s.text() for s in kept]
    assert all(isinstance(s, ForwardStep) for s in rest)
    with pytest.raises(KeyError, match="no leaf labelled 'w9'"):
        forward_steps(net.E, "w9")  # before any next()


def test_seed002_every_parameter_both_ways():
    """For every parameter of seed 002, forward mode and the backward pass give the same ∂E/∂p."""
    net = nn.seed002()
    grads = engine.grad(net.E, net.params.values())
    for name, g in zip(net.params, grads):
        assert math.isclose(forward_trace(net.E, name).value, g, rel_tol=1e-13), name
    # w5 reaches only one output: its 7 steps go zY1, outY1, the loss's Y1 half, E
    assert [s.node_name for s in forward_trace(net.E, "w5")] == ["zY1", "outY1", "n3", "n2", "n1", "E"]


def test_state_and_filter():
    """state(i) holds the tangents known after step i; to(node) keeps the steps below node."""
    net = nn.seed002()
    t = forward_trace(net.E, "w1")
    known, step = t.state(0)
    assert known == {net.params["w1"]: 1.0} and step is None
    known, step = t.state(len(t))
    assert known[net.E] == t.value and step is t[-1]
    sub = t.to("outH1")
    assert [s.node_name for s in sub] == ["zH1", "outH1"] and isinstance(sub, ForwardTrace)
    with pytest.raises(IndexError, match="has 14 steps"):
        t.state(15)
    with pytest.raises(ValueError, match="int >= 0"):
        t.state(-1)
    with pytest.raises(TypeError, match="explain"):
        engine.explain(t, "w1")


def test_draw_and_frames_read_the_forward_trace():
    """draw(trace, step=i) and frames() show the tangents known after step i, running no pass."""
    net = nn.seed002()
    t = forward_trace(net.E, "w1")
    before = backward.passes
    d = engine.draw(t, step=3)
    assert "∂/∂w1 0.04250" in d.source  # ∂zY1/∂w1, set by step 3: boxes hold tangents, so named
    assert "∂/∂w1 ?" in d.source and "grad" not in d.source.split("label=<<font")[0]  # outY1's not known yet
    assert "step 3: ∂zY1/∂w1 += ∂zY1/∂outH1 · ∂outH1/∂w1" in d.source  # the headline reads forward
    assert "grey: a ∂/∂w1 not known yet" in d.source and "gradient" not in d.source  # so does the legend
    assert "∂/∂w1 0.0047464" in engine.draw(t).source
    f = engine.frames(t)
    assert len(f) == 15 and f.trace is t
    assert backward.passes == before


def test_no_gradient_changes():
    """jvp, forward_steps and forward_trace leave every .grad as it was."""
    net = nn.seed002()
    net.E.backward()
    before = {n: n.grad for n in walks.topological_order(net.E)}
    jvp(net.E, {"w1": 1.0, "b2": -2.0})
    forward_trace(net.E, "w3")
    list(forward_steps(net.E, "b1"))
    assert {n: n.grad for n in walks.topological_order(net.E)} == before


def test_jvp_sums_directions_and_takes_labels():
    """A direction over several leaves gives the matching combination of gradients; labels work."""
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    L = a * b + b.exp()
    assert math.isclose(jvp(L, {"a": 1.0, "b": 2.0}), -3.0 + 2.0 * (2.0 + math.exp(-3.0)), rel_tol=1e-15)
    assert jvp(L, a) == -3.0  # one leaf: tangent 1
    assert jvp(a, {a: 5.0}) == 5.0  # the root itself
    assert jvp(L, {a: 0.0}) == 0.0


@pytest.mark.parametrize(
    "tangents, error, message",
    [
        ({"c": 1.0}, KeyError, "no leaf labelled 'c'"),
        ({"a": float("nan")}, ValueError, "tangent of a: only finite numbers"),
        ({"a": 10**400}, ValueError, "tangent of a: the int given is too large for a float"),
        ({"a": "1"}, TypeError, "tangent of a takes a real number"),
        ({"a": Value(1.0)}, TypeError, "must be a finite number, not the Value"),
        ({1.5: 1.0}, TypeError, "Value or its label"),
        ([1.0, 2.0], TypeError, "tangents maps leaves"),
    ],
)
def test_bad_tangents_are_refused(tangents, error, message):
    """An unknown label, a non-number, a huge int or a bad key is refused, saying what to give."""
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    with pytest.raises(error, match=message):
        jvp(a * b, tangents)


def test_tangents_are_real_numbers_of_any_kind():
    """numpy scalars, Fractions and bools are tangents as engine.numbers.real reads them."""
    import fractions

    np = pytest.importorskip("numpy")
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    L = a * b
    for t in (np.float64(0.5), np.int64(2), np.float32(0.25), fractions.Fraction(1, 4), True):
        assert jvp(L, {a: t}) == jvp(L, {a: engine.numbers.real(t)}) == -3.0 * float(t)


def test_interior_nodes_and_non_values_are_refused():
    """Seeding an interior node, or a root that is not a Value, says what to give instead."""
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    m = a * b
    L = m.tanh()
    with pytest.raises(ValueError, match="forward mode seeds leaves"):
        forward_trace(L, m)
    with pytest.raises(TypeError, match="expected the Value to differentiate"):
        jvp(3.0, {a: 1.0})
    twin = Value(1.0, label="a")
    with pytest.raises(KeyError, match="2 leaves labelled 'a'"):
        jvp(L + twin, {"a": 1.0})


@given(expressions(), st.floats(-3, 3))
def test_a_leaf_the_root_does_not_use_gives_zero_as_grad_does(e, t):
    """A leaf outside the graph adds 0 in jvp, forward_trace and forward_steps, as engine.grad says."""
    outside = Value(1.0, label="outside")
    assert engine.grad(e.root, [outside]) == [0.0]
    assert jvp(e.root, {outside: t}) == 0.0
    f = forward_trace(e.root, outside)
    assert f.value == 0.0 and len(f) == 0 and f.names[outside] == "outside"
    assert list(forward_steps(e.root, outside)) == []
    if e.leaves:  # beside a leaf that is used, the outside one adds nothing
        assert jvp(e.root, {e.leaves[0]: t, outside: 5.0}) == jvp(e.root, {e.leaves[0]: t})


@pytest.mark.parametrize("data", [math.inf, -math.inf, math.nan])
def test_a_non_finite_root_is_refused_as_grad_refuses_it(data):
    """A root whose value is inf or NaN raises FloatingPointError in both modes, never 10.0, 0.0 or inf."""
    x = Value(1e308, label="x")
    root = x * 10.0 if data == math.inf else x * -10.0 if data == -math.inf else (x * 10.0) - (x * 10.0)
    assert root.data != root.data or root.data == data
    with pytest.raises(FloatingPointError, match="non-finite"):
        engine.grad(root, [x])
    for tangents in ({x: 1.0}, {x: 0.0}, {}):
        with pytest.raises(FloatingPointError, match="non-finite value"):
            jvp(root, tangents)
    with pytest.raises(FloatingPointError, match="non-finite value"):
        forward_trace(root, x)


@pytest.mark.parametrize("seed", [1e300, 1e200, -1e250])
def test_an_overflowing_tangent_raises(seed):
    """A tangent whose products overflow raises FloatingPointError naming the node, not a silent inf."""
    x = Value(1e154, label="x")
    y = x * x
    y.label = "y"
    assert math.isfinite(jvp(y, {x: 1.0}))
    with pytest.raises(FloatingPointError, match="non-finite tangent .* for y = x \\* x"):
        jvp(y, {x: seed})


def test_a_stale_graph_is_refused_as_trace_refuses_it():
    """forward_trace of a graph whose leaf changed since its forward pass raises StaleGraphError, as trace."""
    from engine.record.fresh import StaleGraphError

    net = nn.seed002()
    net.params["w1"].data += 0.5
    with pytest.raises(StaleGraphError):
        engine.trace(net.E)
    with pytest.raises(StaleGraphError, match="stale"):
        forward_trace(net.E, "w1")


def test_a_domain_error_names_the_node():
    """A local derivative that cannot be computed raises the backward pass's clear error, not a bare one."""
    x = Value(0.0, label="x")
    y = x.sqrt()
    y.label = "y"
    with pytest.raises(FloatingPointError, match="node .y.* domain edge"):
        jvp(y, {x: 1.0})


def test_frame_hooks_match_todays_backward_drawing():
    """Step.caption, Trace.box_legend/rule_legend/start_caption say what a backward frame says today."""
    net = nn.seed002()
    t = engine.trace(net.E)
    for i in (0, 5):
        source = engine.draw(t, step=i).source
        headline = t.start_caption() if i == 0 else t[i - 1].caption()
        lines = '</b></font><br align="left"/><font point-size="14"><b>'  # a long headline's line break
        assert headline in source.replace(lines, " ")
        assert t.box_legend() in source and t.rule_legend() in source
        assert i == 0 or t[i - 1].updated is t[i - 1].parent
    f = forward_trace(net.E, "w1")
    assert f[2].updated is f[2].node and f.quantity == "∂/∂w1"
    assert f[2].caption() == (
        "step 3: ∂zY1/∂w1 += ∂zY1/∂outH1 · ∂outH1/∂w1 = 0.18000 × 0.23610 = 0.04250, so ∂zY1/∂w1 = 0.04250"
    )
    assert f.start_caption() == "step 0: the start; only ∂w1/∂w1 = 1.00000 is known (every leaf else: 0)"
