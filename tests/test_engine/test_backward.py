"""Tests for engine.backward: the views read one recorded pass; a failed pass changes no gradient."""

import pytest

import engine
from engine import Value, backward
from engine.walks import count_steps


def _seed002():
    # seed 002 in engine terms only (nn builds the same network; engine tests do not import nn)
    w = [Value(v, label=f"w{i}") for i, v in enumerate([0.10, 0.15, 0.03, 0.08, 0.18, 0.06, 0.11, 0.26], 1)]
    b1, b2 = Value(0.05, label="b1"), Value(0.42, label="b2")
    x = [Value(0.95, label="x1"), Value(0.06, label="x2")]
    h = [engine.dot(w[0:2], x, b1).sigmoid(), engine.dot(w[2:4], x, b1).sigmoid()]
    y = [engine.dot(w[4:6], h, b2).sigmoid(), engine.dot(w[6:8], h, b2).sigmoid()]
    E = 0.5 * (0.05 - y[0]) ** 2 + 0.5 * (0.82 - y[1]) ** 2
    E.label = "E"
    return E, w


@pytest.fixture
def counted(monkeypatch):
    """Counts backward passes and rule evaluations outside the loop's own fast path."""
    calls = {"partials": 0}
    original = backward.local_partials

    def counting(node, as_values=False):
        calls["partials"] += 1
        return original(node, as_values)

    monkeypatch.setattr(backward, "local_partials", counting)
    before = backward.passes
    yield lambda: (backward.passes - before, calls["partials"])


def test_all_frames_read_one_pass(counted):
    """Every frame of seed 002, its captions and a trace table: one backward pass, no partial recomputed."""
    E, _ = _seed002()
    f = engine.frames(E)
    sources = [f[i].source for i in range(len(f))]
    table = str(f.trace)
    assert len(sources) == count_steps(E) + 1 and "step" in table.splitlines()[0]
    assert counted() == (1, 0)


def test_explain_and_draw_a_trace_run_nothing_again(counted):
    """Given a Trace, explain and draw (any step) run no backward pass and compute no partial."""
    E, w = _seed002()
    t = engine.trace(E)
    assert counted() == (1, 0)
    engine.explain(t, w[0])
    engine.draw(t, step=8)
    engine.draw(t)
    assert counted() == (1, 0)


def test_a_failed_backward_leaves_every_gradient_as_it_was():
    """A pass that raises midway (a domain error) leaves leaves' and interior grads unchanged."""
    a = Value(4.0, label="a")
    a.grad = 5.0
    b = Value(-1.0, label="b")
    y = a * 2 + a**b  # pow with a Value exponent: its ∂/∂b needs log(a) > 0 ...
    z = y + (a - 4.0) ** Value(0.5)  # ... and (a - 4)**0.5 at 0 has no finite slope
    before = [n.grad for n in engine.topological_order(z)]
    with pytest.raises((ZeroDivisionError, ValueError, FloatingPointError)):
        z.backward()
    assert [n.grad for n in engine.topological_order(z)] == before and a.grad == 5.0


def test_backward_takes_a_finite_number_as_its_seed():
    """gradient= must be a finite plain number: a Value or NaN is refused and nothing changes."""
    x = Value(2.0)
    y = x * x
    for bad, kind in (
        (Value(1.0), TypeError),
        (float("nan"), ValueError),
        ("1", TypeError),
        (True, TypeError),
    ):
        with pytest.raises(kind, match="gradient"):
            y.backward(gradient=bad)
    assert x.grad == 0.0


def test_second_derivative_inside_no_grad_is_refused():
    """grad(..., create_graph=True) inside no_grad raises instead of returning a derivative of 0."""
    x = Value(2.0)
    y = x * x * x
    with engine.no_grad(), pytest.raises(RuntimeError, match="no_grad"):
        engine.grad(y, [x], create_graph=True)


def _grads_after(run):
    """seed 002's ∂E/∂w after ``run(E)`` on a fresh graph."""
    E, w = _seed002()
    run(E)
    return [v.grad for v in w]


def test_the_short_pass_alone_gives_backwards_gradients():
    """chain_rule (order, seed, the chain-rule line) alone gives the very gradients backward() gives."""

    def short(E):
        for _ in backward.chain_rule(E):
            pass

    assert _grads_after(short) == _grads_after(lambda E: E.backward())


def test_stepping_each_node_by_hand_gives_backwards_gradients():
    """Seeding the root and calling _backward() on every node in reverse topological order is backward()."""

    def by_hand(E):
        E.grad = 1.0
        for node in engine.topological_order(E):
            node._backward()

    assert _grads_after(by_hand) == _grads_after(lambda E: E.backward())


def test_one_local_derivative_helper_under_both_names():
    """local_partials is local_derivatives: the loop, _backward() and the views share one helper."""
    E, _ = _seed002()
    assert backward.local_partials is backward.local_derivatives is engine.local_partials
    assert backward.local_derivatives(E) == E.op.partials(*(p.data for p in E.parents), E.data)
