"""Tests for engine.ops: every rule in the table against central finite differences."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import engine
from engine import RULES, Value, ops
from engine.strategies import DOMAINS, op_inputs


def build(name, numbers):
    """Leaves and the output node of the op ``name`` applied to ``numbers``."""
    op = RULES[name]
    if op.inputs[-1] == "k":  # bound ops: the last number is the constant k
        leaves = [Value(numbers[0])]
        return leaves, op.bind(numbers[1])(*leaves)
    leaves = [Value(x) for x in numbers]
    return leaves, op(*leaves)


def forward(name, numbers):
    op = RULES[name]
    if op.inputs[-1] == "k":
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
    return range(1 if RULES[name].inputs[-1] == "k" else len(numbers))


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
        names = {"out": out.data, "log": math.log, "cos": math.cos, "sin": math.sin}
        if op.arity is None:  # sum and dot: x_i / w_i name the matching input
            ws, xs = numbers[: n // 2], numbers[n // 2 : 2 * (n // 2)]
            names.update({f"x_{j + 1}": x for j, x in enumerate(xs)})
            names.update({f"w_{j + 1}": w for j, w in enumerate(ws)})
        else:
            names.update(zip(op.inputs, numbers))
        assert close(eval(text, names), locals_[i], rtol=1e-12, atol=1e-12), (text, locals_[i])


def test_table_is_flat_and_complete():
    """The table holds the primitives the engine documents, each with a formula per partial."""
    assert set(RULES) == {
        "add", "mul", "div", "neg", "pow", "addk", "mulk", "divk", "powk",
        "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "sin", "cos", "sum", "dot",
        "rsubk", "rdivk", "rpowk",
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
