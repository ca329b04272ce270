"""Tests for engine.ops: every rule in the table against central finite differences."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import engine
from engine import RULES, Value, ops
from engine.tools.strategies import DOMAINS, op_inputs


def build(name, numbers):
    """Leaves and the output node of the op ``name`` applied to ``numbers``."""
    op = RULES[name]
    if op.takes_constant:  # bound ops: the last number is the constant k
        leaves = [Value(numbers[0])]
        return leaves, op.bind(numbers[1])(*leaves)
    leaves = [Value(x) for x in numbers]
    return leaves, op(*leaves)


def forward(name, numbers):
    op = RULES[name]
    if op.takes_constant:
        return op.bind(numbers[1]).forward(numbers[0])
    return op.forward(*numbers)


def central_difference(f, xs, i):
    h = 1e-6 * max(1.0, abs(xs[i]))
    up, down = list(xs), list(xs)
    up[i] += h
    down[i] -= h
    return (f(up) - f(down)) / (2 * h)


def differentiable(name, numbers):
    """The input positions that carry a gradient (not the constant k)."""
    return range(1 if RULES[name].takes_constant else len(numbers))


def close(a, b, rtol=1e-6, atol=1e-7):
    return abs(a - b) <= atol + rtol * max(abs(a), abs(b))


def test_every_rule_has_a_domain():
    """Every op in the rule table has an input strategy, so none escapes the gradient check."""
    assert set(DOMAINS) == set(RULES)


def test_unknown_op_domain_is_a_clear_error():
    """Asking for the domain of an op that is not in the table names the op."""
    with pytest.raises(KeyError, match="no op 'nope' in engine.RULES"):
        op_inputs("nope")


@pytest.mark.parametrize("name", sorted(RULES))
@given(data=st.data())
def test_partials_match_finite_differences(name, data):
    """Each rule's local partials equal central finite differences of its forward function."""
    numbers = data.draw(op_inputs(name))
    leaves, out = build(name, numbers)
    out.backward()
    for i in differentiable(name, numbers):
        numeric = central_difference(lambda xs: forward(name, xs), numbers, i)
        assert close(leaves[i].grad, numeric, rtol=1e-5, atol=1e-6), (i, leaves[i].grad, numeric)


@pytest.mark.parametrize("name", sorted(RULES))
@given(data=st.data())
def test_second_derivatives_match_finite_differences(name, data):
    """∂²out/∂x_i∂x_j from grad(create_graph=True) equals finite differences of first derivatives."""
    numbers = data.draw(op_inputs(name))
    idx = list(differentiable(name, numbers))
    leaves, out = build(name, numbers)
    first = engine.grad(out, [leaves[i] for i in idx], create_graph=True)

    def first_derivative(i):
        def f(xs):
            ls, o = build(name, xs)
            return engine.grad(o, [ls[i]])[0]

        return f

    for a, fa in zip(idx, first):
        second = engine.grad(fa, [leaves[j] for j in idx])
        for j, value in zip(idx, second):
            numeric = central_difference(first_derivative(a), numbers, j)
            assert close(value, numeric, rtol=1e-4, atol=1e-5), (a, j, value, numeric)


@pytest.mark.parametrize("name", sorted(RULES))
@given(data=st.data())
def test_formula_text_agrees_with_the_code(name, data):
    """Each partial's formula text, evaluated, gives the partial the rule computes."""
    numbers = data.draw(op_inputs(name))
    op = RULES[name]
    leaves, out = build(name, numbers)
    locals_ = engine.local_partials(out)
    n = len(out.parents)
    for i in range(len(locals_)):
        text = op.formula(i, n)
        names = {"out": out.data, **{f: getattr(ops, f) for f in ops.functions() if hasattr(ops, f)}}
        if op.arity is None:  # sum, dot, logsumexp: x_i / w_i name the matching input
            groups = list(op.lists)
            m = n // len(groups)
            for g, prefix in enumerate(groups):
                names.update({f"{prefix}_{j + 1}": x for j, x in enumerate(numbers[g * m : (g + 1) * m])})
        else:
            names.update(zip(op.inputs, numbers))
        assert close(eval(text, names), locals_[i], rtol=1e-12, atol=1e-12), (text, locals_[i])


def test_table_is_flat_and_complete():
    """The table holds the primitives the engine documents, each with a formula per partial."""
    assert set(RULES) == {
        "add", "mul", "div", "neg", "pow", "addk", "mulk", "divk", "powk",
        "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "sin", "cos", "sum", "dot",
        "rsubk", "rdivk", "rpowk",
        "abs", "maximum", "minimum", "leaky_relu", "softplus", "log1p", "expm1", "tan", "atan",
        "sinh", "cosh", "logsumexp",
    }  # fmt: skip
    for op in RULES.values():
        assert op.formulas and all(isinstance(t, str) and t for t in op.formulas)


def test_sigmoid_formula_text():
    """The sigmoid rule shows its derivative as out * (1 - out)."""
    assert RULES["sigmoid"].formulas == ("out * (1 - out)",)


def test_bound_ops_are_shared_and_labelled():
    """x * 2 binds 2 into the mul op: one cached op, shown as '* 2'."""
    x = Value(1.5)
    a, b = x * 2, 2 * x
    assert a.op is b.op and a.op.constant == 2.0 and a.op.label == "* 2"
    assert a.parents == (x,)


def test_bound_zero_keeps_its_sign():
    """Binding 0.0 and -0.0 gives ops with their own constants (they are not shared)."""
    assert math.copysign(1, RULES["mulk"].bind(-0.0).constant) == -1.0


def test_polymorphic_functions_work_on_floats_and_values():
    """engine.exp and friends give floats for floats and Values for Values."""
    for f in (ops.exp, ops.log, ops.sqrt, ops.tanh, ops.sigmoid, ops.relu, ops.sin, ops.cos):
        assert isinstance(f(0.7), float)
        assert isinstance(f(Value(0.7)), Value)
        assert f(Value(0.7)).data == f(0.7)


def test_float_domain_errors_name_the_op():
    """log(0.0) on a plain float raises a ValueError that names the op and the value."""
    with pytest.raises(ValueError, match=r"log\(0.0\)"):
        ops.log(0.0)


def test_maximum_and_minimum_split_a_tie_evenly():
    """At a tie a == b, maximum and minimum give each input 1/2 (as torch.maximum), also for x.maximum(x)."""
    for method in ("maximum", "minimum"):
        a, b = Value(1.5), Value(1.5)
        getattr(a, method)(b).backward()
        assert (a.grad, b.grad) == (0.5, 0.5)
        x = Value(2.0)
        getattr(x, method)(x).backward()
        assert x.grad == 1.0


def test_abs_has_slope_zero_at_zero():
    """abs(x) is the rule table's abs row; its slope is sign(x), 0 at the kink (as torch.abs)."""
    xs = [Value(v) for v in (-2.0, 0.0, 3.0)]
    outs = [abs(x) for x in xs]
    assert [o.op.name for o in outs] == ["abs"] * 3 and [o.data for o in outs] == [2.0, 0.0, 3.0]
    assert engine.grad(engine.sum(outs), xs) == [-1.0, 0.0, 1.0]


def test_leaky_relu_binds_its_slope():
    """x.leaky_relu(k) is one node bound to k: slope k below 0 (and at 0, as torch), 1 above."""
    x = Value(-2.0)
    y = x.leaky_relu(0.1)
    assert y.data == -0.2 and y.parents == (x,) and y.op.constant == 0.1 and y.op.label == "LReLU 0.1"
    assert engine.grad(y, [x]) == [0.1]
    z, w = Value(0.0), Value(3.0)
    assert engine.grad(z.leaky_relu(0.2), [z]) == [0.2] and engine.grad(w.leaky_relu(0.2), [w]) == [1.0]
    with pytest.raises(TypeError, match=r"leaky_relu\(a, k\) takes 2 inputs, got 1"):
        x.leaky_relu()
    with pytest.raises(TypeError, match="leaky_relu\\(\\) takes a number or a Value, not str '0.1'"):
        x.leaky_relu("0.1")


def test_new_functions_work_on_floats_values_and_mixes():
    """engine.maximum & co. take floats (a float back) or Values; a plain number beside a Value is a leaf."""
    assert engine.maximum(1.0, 2.0) == 2.0 and engine.leaky_relu(-1.0, 0.5) == -0.5
    y = Value(3.0)
    out = engine.maximum(5, y)
    assert out.data == 5.0 and out.parents[1] is y and engine.grad(out, [y]) == [0.0]
    assert engine.softplus(Value(0.0)).data == math.log(2.0)


def test_stable_at_large_inputs():
    """softplus and logsumexp never overflow: softplus(1000) = 1000 and logsumexp([1000, 1000]) is fine."""
    assert engine.softplus(1000.0) == 1000.0 and engine.softplus(-1000.0) == 0.0
    xs = [Value(1000.0), Value(1000.0)]
    out = engine.logsumexp(xs)
    assert out.data == pytest.approx(1000.0 + math.log(2.0))
    assert engine.grad(out, xs) == pytest.approx([0.5, 0.5])


def test_overflow_and_domain_errors_say_what_to_do():
    """sinh(800) overflows with a message naming the limit; log1p(-1) says it needs an input > -1."""
    with pytest.raises(OverflowError, match=r"sinh\(a\) is larger than the largest float"):
        Value(800.0).sinh()
    with pytest.raises(ValueError, match=r"log1p\(-1.0\): log1p needs an input > -1"):
        ops.log1p(-1.0)
    with pytest.raises(ValueError, match="logsumexp of no values"):
        engine.logsumexp([])


def test_logsumexp_partials_are_the_softmax():
    """∂logsumexp/∂x_i = exp(x_i − out) = softmax_i: they sum to 1, and the formula reads x_i's name."""
    xs = [Value(v, label=f"z{i}") for i, v in enumerate((1.0, 2.0, -0.5))]
    out = engine.logsumexp(xs)
    partials = engine.local_partials(out)
    total = sum(math.exp(v.data) for v in xs)
    assert partials == pytest.approx([math.exp(v.data) / total for v in xs])
    assert sum(partials) == pytest.approx(1.0)
    names = engine.vocab.names(out)
    assert engine.vocab.formula(out, 1, names) == "exp(z1 - L)"


def test_function_helpers_take_any_real_number():
    """engine.exp, log, sqrt ... take numpy scalars and Fractions as numbers; other things are TypeErrors."""
    import fractions

    np = pytest.importorskip("numpy")
    assert engine.exp(np.int64(1)) == math.e and engine.sqrt(fractions.Fraction(1, 4)) == 0.5
    assert engine.tanh(np.float32(0.5)) == pytest.approx(math.tanh(0.5))
    for bad in ("1", None, [1.0], 1j):
        with pytest.raises(TypeError, match="takes a number or a Value"):
            engine.log(bad)
    with pytest.raises(OverflowError, match="too large for a float"):
        engine.exp(fractions.Fraction(10**400))


def test_new_methods_and_graphs_pickle():
    """Value.maximum and Value.leaky_relu pickle as themselves; a graph of the new ops round-trips."""
    import pickle

    assert pickle.loads(pickle.dumps(Value.maximum)) is Value.maximum
    assert pickle.loads(pickle.dumps(Value.leaky_relu)) is Value.leaky_relu
    x = Value(-1.0, label="x")
    out = engine.logsumexp([x.leaky_relu(0.1).maximum(Value(0.5)), abs(x)])
    again = pickle.loads(pickle.dumps(out))
    x_again = again.parents[1].parents[0]
    assert again.data == out.data and engine.grad(again, [x_again]) == engine.grad(out, [x])


def _decimal_logsumexp(xs):
    """log Σ e^x_i and the softmax, in 60-digit decimal arithmetic (the reference)."""
    import decimal

    with decimal.localcontext() as ctx:
        ctx.prec = 60
        d = [decimal.Decimal(x) for x in xs]  # exact: every float is a decimal fraction
        m = max(d)
        e = [(x - m).exp() for x in d]
        total = sum(e, decimal.Decimal(0))
        return float(m + total.ln()), [float(x / total) for x in e]


@given(
    st.lists(
        st.one_of(
            st.floats(-1e300, 1e300),
            st.floats(-50.0, 50.0),
            st.sampled_from([1e17, -1e17, 1e300, 7e15]),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_logsumexp_and_its_gradient_match_a_high_precision_reference(xs):
    """logsumexp and its gradient (the softmax) equal 60-digit decimal results, at any magnitude."""
    want_out, want_p = _decimal_logsumexp(xs)
    leaves = [Value(x) for x in xs]
    out = engine.logsumexp(leaves)
    out.backward()
    assert out.data == pytest.approx(want_out, rel=1e-15, abs=1e-15)
    assert [v.grad for v in leaves] == pytest.approx(want_p, rel=1e-12, abs=1e-15)


def test_logsumexp_of_huge_equal_logits_is_half_and_half():
    """Two logits of 1e17: the gradient is [1/2, 1/2] (not [1, 1], as e^(x - out) would give)."""
    a, b = Value(1e17), Value(1e17)
    engine.logsumexp([a, b]).backward()
    assert (a.grad, b.grad) == (0.5, 0.5)


def test_logsumexp_of_plain_floats_with_infinities():
    """On plain floats, an infinite input gives ±inf (not nan): log(e^inf + e^1) = inf."""
    assert engine.logsumexp([math.inf, 1.0]) == math.inf
    assert engine.logsumexp([-math.inf, 2.0]) == 2.0
    assert engine.logsumexp([-math.inf, -math.inf]) == -math.inf
    assert math.isnan(engine.logsumexp([math.nan, 1.0]))


@given(st.lists(st.floats(-1e300, 1e300), min_size=1, max_size=6))
def test_softmax_is_the_logsumexp_rule_bit_for_bit(xs):
    """ops.softmax(xs) is the logsumexp row's partials at xs, exactly, asked once or twice."""
    xs = tuple(xs)
    rule = RULES["logsumexp"].partials(*xs, RULES["logsumexp"].forward(*xs))
    assert ops.softmax(xs) == rule and ops.softmax(xs) == rule


def test_compiled_logsumexp_computes_each_exp_once_per_node(monkeypatch):
    """Generated code for logsumexp of 10 inputs calls exp 20 times: the forward, then the softmax once."""
    xs = [Value(i / 7, label=f"z{i}") for i in range(10)]
    out = engine.logsumexp(xs)
    f = engine.compile(out, xs)
    calls = []
    real_exp = math.exp
    monkeypatch.setattr(math, "exp", lambda x: calls.append(x) or real_exp(x))
    value, grads = f(*[x.data for x in [Value(i / 5) for i in range(10)]])
    monkeypatch.undo()
    assert len(calls) == 20
    fresh = [Value(i / 5) for i in range(10)]
    again = engine.logsumexp(fresh)
    again.backward()
    assert value == again.data and list(grads) == [v.grad for v in fresh]
