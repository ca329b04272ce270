"""Tests for engine.strategies: random expressions and MLPs, and the invariants they prove."""

import math
import subprocess
import sys

import pytest
from hypothesis import assume, find, given, settings
from hypothesis import strategies as st

import engine
from engine import RULES, Value
from engine.ops import Op
from engine.tools.checking import gradcheck, gradgradcheck
from engine.tools.strategies import BUILDERS, EDGE, LIMIT, Expression, examples, expressions, reals
from nn.strategies import mlps

PROFILE = settings().max_examples  # 60 (dev) or 400 (CI)
MANY = examples(10)  # CI: 4,000 random expressions against finite differences
SOME = examples(2)
FEW = examples(0.25, least=20)
QUIET = settings(database=None, max_examples=2000, deadline=None, derandomize=True)  # same result every run


def close(a, b, rel=1e-12, abs_=1e-12):
    return abs(a - b) <= abs_ + rel * max(abs(a), abs(b))


def leaf_grads(e):
    return [v.grad for v in e.leaves]


def interior(e):
    return [n for n in engine.topological_order(e.root) if n.parents]


# --- the gradient checks the project runs on itself --------------------------------


@MANY
@given(expressions())
def test_random_expressions_match_finite_differences(e):
    """Every random expression's gradients agree with central differences, with no kink or skip."""
    gradcheck(e, strict=True)


@SOME
@given(expressions(max_nodes=5))
def test_random_expressions_second_derivatives(e):
    """Every random expression's Hessian from grad(create_graph=True) agrees with differences of gradients."""
    gradgradcheck(e, strict=True)


@SOME
@given(expressions(), st.sampled_from([2.0, -0.5, 3.25, 1e-3]))
def test_backward_is_linear_in_the_seed_gradient(e, g):
    """backward(gradient=g) gives g times the gradients of backward(), and two seeds add up."""
    e.root.backward()
    ones = leaf_grads(e)
    for v in e.leaves:
        v.grad = 0.0
    e.root.backward(gradient=g)
    assert all(close(a, g * b) for a, b in zip(leaf_grads(e), ones))
    e.root.backward(gradient=1.0 - g)
    assert all(close(a, b, abs_=1e-9) for a, b in zip(leaf_grads(e), ones))


@SOME
@given(expressions())
def test_backward_twice_doubles_the_leaf_grads(e):
    """A second backward() doubles the leaves' gradients exactly and leaves interior nodes as they were."""
    e.root.backward()
    once, inner = leaf_grads(e), [n.grad for n in interior(e)]
    e.root.backward()
    assert leaf_grads(e) == [2 * g for g in once]
    assert [n.grad for n in interior(e)] == inner


@SOME
@given(st.lists(reals(), min_size=1, max_size=8))
def test_sum_equals_a_chain_of_additions(xs):
    """engine.sum gives exactly the value and gradients of x1 + x2 + ... + xn."""
    a, b = [Value(x) for x in xs], [Value(x) for x in xs]
    total = engine.sum(a)
    chain = b[0]
    for v in b[1:]:
        chain = chain + v
    assert total.data == chain.data
    total.backward()
    chain.backward()
    assert [v.grad for v in a] == [v.grad for v in b] == [1.0] * len(xs)


@SOME
@given(st.integers(1, 6).flatmap(lambda n: st.lists(reals(-3, 3), min_size=2 * n + 1, max_size=2 * n + 1)))
def test_dot_equals_a_chain_of_products_and_sums(numbers):
    """engine.dot(w, x, b) gives exactly the value and gradients of b + w1*x1 + ... + wn*xn."""
    n = len(numbers) // 2
    a, b = [Value(x) for x in numbers], [Value(x) for x in numbers]
    z = engine.dot(a[:n], a[n : 2 * n], a[-1])
    chain = b[-1]
    for w, x in zip(b[:n], b[n : 2 * n]):
        chain = chain + w * x
    assert z.data == chain.data
    z.backward()
    chain.backward()
    assert [v.grad for v in a] == [v.grad for v in b]


def loss(model, X, y):
    """Half the summed squared error over a batch, as in seeds 002 and 003."""
    terms = []
    for xs, ys in zip(X, y):
        out = model(xs)
        out = out if isinstance(out, list) else [out]
        terms += [(o - t) ** 2 for o, t in zip(out, ys)]
    return engine.sum(terms) * 0.5


@SOME
@given(mlps())
def test_fused_and_elementary_neurons_give_the_same_gradients(problem):
    """A network of dot-node neurons and its copy made of * and + nodes give the same loss and gradients."""
    from nn.module import MLP

    fused = problem.model
    weights = [[[w.data for w in n.w] for n in layer.neurons] for layer in fused.layers]
    biases = [[n.b.data for n in layer.neurons] for layer in fused.layers]
    acts = (fused.layers[0].neurons[0].activation, fused.layers[-1].neurons[0].activation)
    elementary = MLP.from_weights(weights, biases, *acts, fused=False)
    assert elementary.layers[0].neurons[0].fused is False
    L1, L2 = loss(fused, problem.X, problem.y), loss(elementary, problem.X, problem.y)
    assert close(L1.data, L2.data)
    assert "dot" in {n.op.name for n in engine.topological_order(L1) if n.op}
    assert "dot" not in {n.op.name for n in engine.topological_order(L2) if n.op}
    L1.backward()
    L2.backward()
    for p, q in zip(fused.parameters(), elementary.parameters()):
        assert close(p.grad, q.grad, abs_=1e-12), (p.label, p.grad, q.grad)


@FEW
@given(mlps(activations=["tanh", "sigmoid", "linear"]))
def test_random_smooth_networks_match_finite_differences(problem):
    """∂loss/∂parameter of random tanh, sigmoid and linear MLPs agrees with finite differences."""
    L = loss(problem.model, problem.X, problem.y)
    gradcheck(L, problem.model.parameters(), strict=True)


@FEW
@given(mlps(activations=["relu"]))
def test_random_relu_networks_match_finite_differences(problem):
    """∂loss/∂parameter of random relu MLPs agrees with finite differences where no relu input is near 0."""
    L = loss(problem.model, problem.X, problem.y)
    relu_inputs = [n.parents[0].data for n in engine.topological_order(L) if n.op and n.op.name == "relu"]
    assume(all(abs(z) > 1e-3 for z in relu_inputs))
    gradcheck(L, problem.model.parameters(), strict=True)


# --- what the strategies draw ------------------------------------------------------


def test_every_op_in_the_table_has_a_builder():
    """Each op in engine.RULES has an expression builder, so none escapes the random gradient checks."""
    assert set(BUILDERS) == set(RULES)


def test_expressions_use_every_op():
    """expressions() draws every op of the rule table (the list comes from engine.RULES, not a copy)."""
    seen = set()

    @settings(QUIET, max_examples=1000)
    @given(expressions())
    def collect(e):
        seen.update(e.ops)

    collect()
    assert seen == set(RULES), f"expressions() never drew {sorted(set(RULES) - seen)}"


def test_a_new_row_is_picked_up_everywhere(monkeypatch):
    """A registered row is a Value method, parsed, drawn, stepped, explained, checked, drawn at random."""
    import math

    import engine
    from engine.tools.expr import build

    softsign = Op(
        "softsign", "softsign", ("a",), lambda a: a / (1 + abs(a)), lambda a, out: ((1 - abs(out)) ** 2,),
        ("(1 - abs(out))**2",),
    )  # fmt: skip
    monkeypatch.setitem(RULES, "softsign", softsign)  # put back afterwards, and the method below
    monkeypatch.setattr(Value, "softsign", None, raising=False)
    engine.register(softsign)
    x = Value(0.5, label="x")
    y = x.softsign()
    y.label = "y"
    assert y.op is softsign and math.isclose(y.data, 1 / 3)
    f, _ = build("softsign(x * 2)", {"x": 0.25})  # the formula parser
    assert f.op is softsign
    t = engine.trace(y)  # stepping and the trace
    assert t[0].rule == "(1 - abs(out))**2" and t[0].formula == "(1 - abs(y))**2"
    assert math.isclose(x.grad, (1 - 1 / 3) ** 2)
    assert engine.explain(y, x).total == t[0].local
    assert "softsign" in engine.draw(y, step=1).source
    engine.gradcheck(y, [x])
    e = find(expressions(ops=["softsign", "add"]), lambda e: "softsign" in e.ops, settings=QUIET)
    engine.gradcheck(e)


@SOME
@given(expressions(max_leaves=2, max_nodes=4, max_depth=3, max_width=2))
def test_expressions_respect_their_bounds(e):
    """Leaves, nodes, depth and the width of sum and dot stay within the limits asked for."""
    assert 1 <= len(e.leaves) <= 2 and 1 <= e.size <= 4
    depth = {}
    for node in reversed(engine.topological_order(e.root)):
        depth[node] = 1 + max((depth[p] for p in node.parents), default=-1)
        assert abs(node.data) <= LIMIT
    assert depth[e.root] <= 3
    for node in interior(e):
        if node.op.name == "sum":
            assert len(node.parents) <= 2
        if node.op.name == "dot":
            assert len(node.parents) <= 2 * 2 + 1


@SOME
@given(expressions())
def test_expressions_keep_away_from_kinks_and_domain_edges(e):
    """Inputs stay 0.1 from kinks and edges: log, sqrt, pow at 0, /, relu, abs, powers at 0, log1p at -1,
    tan at ±π/2, and maximum's two inputs from each other."""
    for node in interior(e):
        name, args, k = node.op.name, [p.data for p in node.parents], node.op.constant
        if name in ("log", "sqrt", "pow") or (name == "powk" and k != int(k)):
            assert args[0] >= EDGE
        if name == "relu" or (name == "powk" and k < 0):
            assert abs(args[0]) >= EDGE
        if name == "div":
            assert abs(args[1]) >= EDGE
        if name in ("abs", "leaky_relu"):
            assert abs(args[0]) >= EDGE
        if name == "log1p":
            assert args[0] >= -1.0 + EDGE
        if name == "tan":
            assert abs(args[0]) <= math.pi / 2 - EDGE
        if name in ("maximum", "minimum") and node.parents[0] is not node.parents[1]:
            assert abs(args[0] - args[1]) >= EDGE


@SOME
@given(expressions())
def test_expression_text_rebuilds_the_same_graph(e):
    """Running an expression's text with engine's functions rebuilds the same graph, values and gradients."""
    env = {name: getattr(engine, name) for name in engine.__all__}
    env.update({v.label: Value(v.data) for v in e.leaves})
    *lets, last = e.text.split("; ")
    exec("\n".join([*lets, f"out = {last}"]), env)
    out = env["out"]
    assert out.data == e.root.data
    assert len(engine.topological_order(out)) == len(engine.topological_order(e.root))
    assert engine.grad(out, [env[v.label] for v in e.leaves]) == engine.grad(e.root, e.leaves)


def test_expressions_share_nodes():
    """Some drawn expressions reuse an interior node (a diamond), named t0 in the text."""
    e = find(expressions(), lambda e: "t0 = " in e.text, settings=QUIET)
    shared = [n for n in interior(e) if sum(p is n for m in interior(e) for p in m.parents) > 1]
    assert shared and e.text.startswith("t0 = ")


def test_expression_repr_reads_as_the_expression_and_its_point():
    """An expression prints as its text and the values of its leaves."""
    x0, x1 = Value(0.5, label="x0"), Value(-1.25, label="x1")
    t0 = x0 * x1
    e = Expression((t0 + 1.5).log() * t0, [x0, x1])
    assert repr(e) == "<t0 = x0 * x1; log(t0 + 1.5) * t0 at x0=0.5, x1=-1.25>"
    assert e.values == {"x0": 0.5, "x1": -1.25} and e.ops == {"mul", "addk", "log"} and e.size == 4


def test_expressions_accept_chosen_and_custom_ops():
    """ops= limits expressions to named ops and can add a user's own Op, shown by its name."""
    cube = Op("cube", "³", ("a",), lambda a: a**3, lambda a, out: (3 * a * a,), ("3 * a**2",))
    e = find(expressions(ops=["add", cube]), lambda e: "cube" in e.ops and e.size >= 2, settings=QUIET)
    assert e.ops <= {"add", "cube", "sin"} and "cube(" in e.text
    assert gradcheck(e).ok


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"ops": ["nope"]}, "unknown op 'nope'"),
        ({"ops": []}, "ops is empty"),
        ({"ops": [RULES["mulk"].bind(2.0)]}, "unbound op"),
        ({"max_nodes": 0}, "max_nodes must be a positive integer"),
        ({"max_width": 0}, "max_width must be a positive integer"),
    ],
)
def test_bad_expression_arguments(kwargs, match):
    """Unknown or bound ops and non-positive limits are refused with a clear message."""
    with pytest.raises(ValueError, match=match):
        expressions(**kwargs)


@FEW
@given(mlps(max_inputs=2, max_width=3, max_layers=2, max_samples=3))
def test_mlps_draw_networks_with_matching_data(problem):
    """A drawn MLP comes with inputs of its width and one target per output, within the limits asked for."""
    model = problem.model
    nin, nout = len(model.layers[0].neurons[0].w), len(model.layers[-1].neurons)
    assert 1 <= nin <= 2 and len(model.layers) <= 2 and all(len(layer.neurons) <= 3 for layer in model.layers)
    assert 1 <= len(problem.X) <= 3 and len(problem.X) == len(problem.y)
    assert all(len(x) == nin for x in problem.X) and all(len(t) == nout for t in problem.y)
    assert all(-1 <= p.data <= 1 for p in model.parameters())


def test_mlps_shrink_to_a_readable_network():
    """A drawn network prints with its architecture, weights and data, and shrinks to round numbers."""
    problem = find(mlps(), lambda p: len(p.model.layers) >= 2, settings=QUIET)
    assert repr(problem).startswith("<MLP(1, [1, 1], activation='relu', output_activation='relu') weights=")
    assert "X=[[0.0]]" in repr(problem)


def test_mlps_bad_arguments():
    """Unknown activations and non-positive limits are refused with a clear message."""
    with pytest.raises(ValueError, match="activations must be some of"):
        mlps(activations=["swish"])
    with pytest.raises(ValueError, match="max_width must be a positive integer"):
        mlps(max_width=0)


def test_import_engine_does_not_import_hypothesis():
    """`import engine` (and using gradcheck) stays light: hypothesis loads only with engine.strategies."""
    code = (
        "import sys, engine; engine.gradcheck(lambda x: x.exp(), [1.0]); "
        "assert 'hypothesis' not in sys.modules, 'hypothesis imported'; "
        "engine.strategies; assert 'hypothesis' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_margin_is_enforced_even_for_fast_moving_inputs():
    """A relu input that moves fast with its leaves needs more room than EDGE to be used."""
    from engine.tools.strategies import _room

    x = Value(0.5, label="x")
    fast = x * 1e6 * 1e3
    assert _room(x) == EDGE and _room(fast) == pytest.approx(1e-3 * 1e9, rel=1e-12)
    assert math.isclose(_room(x * 2), EDGE)
