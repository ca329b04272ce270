"""Tests for engine.value: the Value graph, backward, grad, and the contexts."""

import gc
import math
import weakref

import pytest
from hypothesis import given
from hypothesis import strategies as st

import engine
from engine import Value
from engine.tools.strategies import reals

# --- construction and bad input -------------------------------------------------


def test_numbers_become_floats():
    """bool and int are converted to float; a label is kept."""
    assert Value(True).data == 1.0 and isinstance(Value(3).data, float)
    assert Value(2.5, label="w5").label == "w5"


def test_value_of_value_does_not_nest():
    """Value(Value(2)) holds the float 2.0, as a new leaf."""
    v = Value(Value(2))
    assert v.data == 2.0 and type(v.data) is float and v.parents == ()


@pytest.mark.parametrize("bad", ["3", None, 1 + 2j, [1.0], b"1"])
def test_non_numbers_are_type_errors(bad):
    """Strings, None, complex numbers and containers raise TypeError naming the type."""
    with pytest.raises(TypeError, match="takes a real number"):
        Value(bad)


def test_string_error_says_how_to_fix():
    """The TypeError for a string suggests parsing it first."""
    with pytest.raises(TypeError, match=r"Value\(float\(s\)\)"):
        Value("3")


def test_huge_int_is_a_clear_error():
    """Value(10**400) says the number is too large for a float, not a raw OverflowError."""
    with pytest.raises(ValueError, match="too large for a float"):
        Value(10**400)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_floats_are_rejected(bad):
    """A NaN or infinite float cannot be held."""
    with pytest.raises(ValueError, match="finite"):
        Value(bad)


@pytest.mark.parametrize(
    "make, op",
    [
        (lambda: Value(0.0).log(), "log"),
        (lambda: Value(-1.0).log(), "log"),
        (lambda: Value(-1.0).sqrt(), "sqrt"),
    ],
)
def test_domain_errors_name_op_and_value(make, op):
    """log(0), log(-1) and sqrt(-1) raise ValueError naming the op and the value."""
    with pytest.raises(ValueError, match=rf"{op}\(-?[01]\.0\)"):
        make()


def test_domain_error_names_the_label():
    """A domain error shows the label of the offending input."""
    with pytest.raises(ValueError, match=r"log\(x=-2.0\)"):
        Value(-2.0, label="x").log()


@pytest.mark.parametrize("exponent", [1 / 3, Value(1 / 3)])
def test_negative_base_fractional_power_never_goes_complex(exponent):
    """(-8) ** (1/3) raises ValueError instead of silently becoming a complex number."""
    with pytest.raises(ValueError, match="not a real number"):
        Value(-8.0) ** exponent


def test_negative_base_integer_power_is_real():
    """(-2) ** 3 is -8, with derivative 3 * (-2)**2 = 12."""
    x = Value(-2.0)
    y = x**3
    y.backward()
    assert y.data == -8.0 and x.grad == 12.0


@pytest.mark.parametrize("make", [lambda v: 1 / v, lambda v: Value(1.0) / v, lambda v: 2.0 * v / v])
def test_division_by_zero_names_the_node(make):
    """1 / Value(0) raises ZeroDivisionError that names the denominator."""
    with pytest.raises(ZeroDivisionError, match="den=0.0"):
        make(Value(0.0, label="den"))


def test_exp_overflow_is_a_clear_error():
    """exp(1000) raises OverflowError saying the result is too large and the limit."""
    with pytest.raises(OverflowError, match=r"exp\(1000.0\).*709.78"):
        Value(1000.0).exp()


@pytest.mark.parametrize("x", [1000.0, -1000.0, 750.0, -750.0])
def test_sigmoid_and_tanh_are_stable(x):
    """sigmoid and tanh at ±1000 are finite and correct, and so are their gradients."""
    v = Value(x)
    s, t = v.sigmoid(), v.tanh()
    assert s.data == (1.0 if x > 0 else 0.0) and t.data == math.copysign(1.0, x)
    (s + t).backward()
    assert v.grad == 0.0


def test_zero_to_the_zero():
    """0 ** 0 is 1, and both partials there are 0 (documented convention, as in PyTorch)."""
    a, b = Value(0.0), Value(0.0)
    y = a**b
    y.backward()
    assert (y.data, a.grad, b.grad) == (1.0, 0.0, 0.0)
    x = Value(0.0)
    z = x**0
    z.backward()
    assert (z.data, x.grad) == (1.0, 0.0)


def test_exponent_gradient_at_zero_base():
    """For a == 0 and b > 0, ∂(a**b)/∂b is 0 (the limit of a**b log a)."""
    a, b = Value(0.0), Value(2.0)
    (a**b).backward()
    assert b.grad == 0.0 and a.grad == 0.0


def test_exponent_gradient_at_negative_base_is_an_error():
    """For a < 0, ∂(a**b)/∂b is undefined: backward raises and says to use a plain exponent."""
    y = Value(-2.0, label="a") ** Value(2.0, label="b")
    assert y.data == 4.0
    with pytest.raises(ValueError, match="undefined for a < 0.*plain number"):
        y.backward()


def test_infinite_derivative_is_named():
    """sqrt at 0 has an infinite slope: backward raises FloatingPointError naming the node, rule and edge."""
    y = Value(0.0, label="x").sqrt()
    with pytest.raises(FloatingPointError, match=r"backward through .*sqrt\(x=0.0\).*1 / \(2 \* out\).*edge"):
        y.backward()


@pytest.mark.parametrize(
    "make, rule",
    [
        (lambda x: x.sqrt(), "sqrt"),
        (lambda x: x**0.5, "powk"),
        (lambda x: x**0.25 * 3, "powk"),
        (lambda x: x ** Value(0.5), "pow"),
        (lambda x: (x * 1.0).sqrt() + x, "sqrt"),
    ],
)
def test_domain_edges_at_zero_are_non_finite_gradients(make, rule):
    """Every infinite slope at 0 is a FloatingPointError naming the op, and no .grad changes."""
    x = Value(0.0, label="x")
    x.grad = 5.0
    y = make(x)
    with pytest.raises(FloatingPointError, match=rf"{rule}\(.*not be finite"):
        y.backward()
    assert x.grad == 5.0


def test_a_slope_too_large_for_a_float_is_a_non_finite_gradient():
    """x ** -2 at 1e-103 is finite but its slope is not: FloatingPointError (too large), not OverflowError."""
    y = Value(1e-103, label="x") ** -2.0
    with pytest.raises(FloatingPointError, match=r"powk\(x=1e-103, -2.0\).*too large for a float"):
        y.backward()


def test_second_derivative_at_a_domain_edge_is_named():
    """grad(..., create_graph=True) through sqrt at 0 raises the same FloatingPointError."""
    x = Value(0.0, label="x")
    with pytest.raises(FloatingPointError, match=r"sqrt\(x=0.0\)"):
        engine.grad(x.sqrt(), [x], create_graph=True)


@pytest.mark.parametrize("y", [0.5, 0.25, 1.0, 2.0])
def test_constant_zero_base_to_a_value_power(y):
    """0.0 ** y binds the base: value 0 and ∂/∂y = 0 (the limit), even for 0 < y < 1."""
    b = Value(y, label="y")
    z = 0.0**b
    assert z.op.name == "rpowk" and z.op.constant == 0.0 and z.parents == (b,)
    z.backward()
    assert (z.data, b.grad) == (0.0, 0.0)


# --- operators --------------------------------------------------------------------


@given(reals(0.5, 3.0), reals(0.5, 3.0))
def test_reflected_and_derived_operators(x, y):
    """Every operator and its reflected form computes the float result."""
    a = Value(x)
    for got, want in [
        (a + y, x + y), (y + a, y + x), (a - y, x - y), (y - a, y - x), (a * y, x * y), (y * a, y * x),
        (a / y, x / y), (y / a, y / x), (a**y, x**y), (y**a, y**x), (-a, -x), (a ** Value(y), x**y),
    ]:  # fmt: skip
        assert math.isclose(got.data, want, rel_tol=1e-12)


def test_exponent_type_error():
    """A non-number exponent is a TypeError."""
    with pytest.raises(TypeError):
        Value(2.0) ** "2"


@pytest.mark.parametrize("x, truth", [(0.0, False), (-0.0, False), (1e-300, True), (-2.0, True), (1.0, True)])
def test_truthiness_follows_the_number(x, truth):
    """bool(Value(x)) is bool(x), as for a float, for leaves and for computed nodes."""
    assert bool(Value(x)) is truth and bool(Value(x) * 1.0) is truth
    assert ("yes" if Value(x) else "no") == ("yes" if truth else "no")


def test_equality_is_identity():
    """== is identity, so Values are dict keys; Value(0.0) == 0.0 is False and numbers compare via .data."""
    a, b = Value(0.0), Value(0.0)
    assert not (a == 0.0) and a != 0.0 and not (a == b) and a == a
    assert a.data == 0.0 == b.data and a <= 0.0 <= b
    grads = {a: 1.0, b: 2.0}
    assert grads[a] == 1.0 and grads[b] == 2.0 and hash(a) != hash(b)


def test_comparisons_use_the_numbers():
    """<, <=, >, >= compare data; == stays identity so Values work as dict keys."""
    a, b = Value(1.0), Value(1.0)
    assert a <= b and a >= b and not a < b and a < 2 and a > 0.5
    assert a != b and len({a, b}) == 2 and float(a) == 1.0


def test_repr_shows_data_grad_label():
    """repr shows the number, the gradient and the label."""
    assert repr(Value(1.5, label="w")) == "Value(data=1.5, grad=0.0, label='w')"


# --- n-ary ops ----------------------------------------------------------------------


def test_sum_is_one_node():
    """engine.sum makes one node with every input as a parent and gradient 1 to each."""
    xs = [Value(float(i)) for i in range(5)]
    s = engine.sum(xs)
    s.backward()
    assert s.data == 10.0 and s.parents == tuple(xs) and all(x.grad == 1.0 for x in xs)
    assert engine.sum([]).data == 0.0


def test_dot_is_one_node_with_the_documented_partials():
    """engine.dot makes one node z = w·x + b with ∂z/∂w_i = x_i, ∂z/∂x_i = w_i, ∂z/∂b = 1."""
    w = [Value(0.5), Value(-2.0)]
    x = [Value(3.0), Value(4.0)]
    b = Value(0.25)
    z = engine.dot(w, x, bias=b)
    assert z.data == 0.25 + 1.5 - 8.0 and z.op.name == "dot" and len(z.parents) == 5
    z.backward()
    assert [v.grad for v in w] == [3.0, 4.0] and [v.grad for v in x] == [0.5, -2.0] and b.grad == 1.0


def test_dot_length_mismatch():
    """dot with different numbers of weights and inputs says both lengths."""
    with pytest.raises(ValueError, match="2 weights but 3 inputs"):
        engine.dot([1, 2], [1, 2, 3])


@given(st.lists(reals(-2, 2), min_size=1, max_size=8), st.data())
def test_sum_and_dot_equal_chains(ws, data):
    """sum and dot give the same values and gradients as chains of + and *."""
    xs = data.draw(st.lists(reals(-2, 2), min_size=len(ws), max_size=len(ws)))
    w1, x1, b1 = [Value(v) for v in ws], [Value(v) for v in xs], Value(0.3)
    w2, x2, b2 = [Value(v) for v in ws], [Value(v) for v in xs], Value(0.3)
    z1 = engine.dot(w1, x1, b1)
    z2 = b2
    for w, x in zip(w2, x2):
        z2 = z2 + w * x
    (z1 * z1).backward()
    (z2 * z2).backward()
    assert z1.data == z2.data
    for p, q in zip(w1 + x1 + [b1], w2 + x2 + [b2]):
        assert math.isclose(p.grad, q.grad, rel_tol=1e-12, abs_tol=1e-12)


# --- backward ---------------------------------------------------------------------


def test_reuse_accumulates():
    """b = a + a; c = b + b gives ∂c/∂a = 4: reused nodes add up their contributions."""
    a = Value(3.0)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0 and b.grad == 2.0


def test_diamond():
    """In a diamond y = (x*2) * (x+1) both paths reach x: ∂y/∂x = 4x + 2."""
    x = Value(1.5)
    y = (x * 2) * (x + 1)
    y.backward()
    assert x.grad == 8.0


def test_backward_twice_doubles_leaves_only():
    """Backward twice without zeroing doubles the leaf grads exactly (27, then 54)."""
    x = Value(3.0)
    sq = x * x
    y = sq * x
    y.backward()
    assert x.grad == 27.0 and sq.grad == 3.0
    y.backward()
    assert x.grad == 54.0 and sq.grad == 3.0  # interior grads are this pass's


@given(reals(-3, 3))
def test_backward_twice_doubles_exactly_with_many_paths(x):
    """A leaf reached by several paths gets exactly twice its gradient from two passes."""
    v = Value(x)
    y = v + v * (v * v) + (v * 0.3).sin() * v
    y.backward()
    once = v.grad
    y.backward()
    assert v.grad == 2 * once


def test_million_node_chain():
    """Backward through a chain of a million nodes works (no recursion)."""
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    y.backward()
    assert x.grad == 1.0 and y.data == 1_000_001.0


def test_backward_from_a_leaf():
    """A leaf's backward adds 1 to its own grad."""
    x = Value(2.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0


@given(reals(-2, 2), reals(-3, 3))
def test_backward_is_linear_in_the_seed(x, seed):
    """backward(gradient=g) gives g times the gradients of backward()."""
    a = Value(x)
    y = (a * a).tanh() + a.sin()
    y.backward()
    g1 = a.grad
    a.grad = 0.0
    y.backward(gradient=seed)
    assert math.isclose(a.grad, seed * g1, rel_tol=1e-12, abs_tol=1e-15)


def test_order_is_deterministic():
    """The topological order is the same every time: interior nodes root first, then the leaves."""

    def labels():
        a, b = Value(1.0, label="a"), Value(2.0, label="b")
        c = a * b
        c.label = "c"
        d = c + a
        d.label = "d"
        e = d * c
        e.label = "e"
        return [n.label for n in engine.topological_order(e)]

    assert labels() == labels() == ["e", "d", "c", "a", "b"]


def test_dropped_graph_is_freed_without_gc():
    """A graph holds no reference cycles: with gc off, dropping the root frees every node."""
    gc.disable()
    try:
        x = Value(0.5)
        y = x
        for _ in range(50):
            y = (y * x).tanh() + y.exp().log() - 1.0
        y.backward()
        probe = weakref.ref(y.parents[0])
        root = weakref.ref(y)
        del y
        assert probe() is None and root() is None
    finally:
        gc.enable()


def test_backward_from_non_finite_root_is_an_error():
    """backward from an infinite value raises and points to detect_anomaly."""
    y = Value(1e200) * Value(1e200)
    with pytest.raises(FloatingPointError, match="detect_anomaly"):
        y.backward()


def test_non_finite_leaf_gradient_is_an_error():
    """backward that overflows a leaf's gradient raises instead of leaving inf behind."""
    x = Value(1e-200, label="tiny")
    z = x * 1e300
    y = z * z  # 1e200 is finite, but ∂y/∂x = 2e100 * 1e300 overflows
    with pytest.raises(FloatingPointError, match="tiny"):
        y.backward()


# --- grad and higher derivatives -----------------------------------------------------


def test_grad_leaves_dot_grad_alone():
    """engine.grad returns gradients and leaves every .grad as it was."""
    x, y = Value(2.0), Value(5.0)
    x.grad = 7.0
    z = x * y + x
    gx, gy = engine.grad(z, [x, y])
    assert (gx, gy) == (6.0, 2.0) and x.grad == 7.0 and y.grad == 0.0 and z.grad == 0.0


def test_grad_of_unused_input_is_zero():
    """An input the output does not depend on has gradient 0."""
    x, unused = Value(2.0), Value(1.0)
    assert engine.grad(x * x, [x, unused]) == [4.0, 0.0]


@given(reals(-3, 3))
def test_second_derivative_of_tanh(x):
    """d²/dx² tanh x = -2 tanh x (1 - tanh² x)."""
    v = Value(x)
    (d1,) = engine.grad(v.tanh(), [v], create_graph=True)
    (d2,) = engine.grad(d1, [v])
    t = math.tanh(x)
    assert math.isclose(d2, -2 * t * (1 - t * t), rel_tol=1e-9, abs_tol=1e-12)


@given(reals(-2, 2), reals(-2, 2))
def test_hessian_of_small_function(x, y):
    """The Hessian of f = x²y + sin(xy) matches its closed form."""
    a, b = Value(x), Value(y)
    f = a * a * b + (a * b).sin()
    ga, gb = engine.grad(f, [a, b], create_graph=True)
    hessian = [engine.grad(ga, [a, b]), engine.grad(gb, [a, b])]
    s, c = math.sin(x * y), math.cos(x * y)
    expected = [[2 * y - y * y * s, 2 * x + c - x * y * s], [2 * x + c - x * y * s, -x * x * s]]
    for row, want in zip(hessian, expected):
        for got, w in zip(row, want):
            assert math.isclose(got, w, rel_tol=1e-9, abs_tol=1e-9)


@given(reals(0.2, 2.0), reals(-1, 1))
def test_second_derivatives_match_finite_differences(x, y):
    """Second derivatives of a mixed expression equal finite differences of first derivatives."""

    def f(a, b):
        return (a * b).exp() / (a + 1.0) + a.sqrt() * b**3

    def first(xv, yv):
        a, b = Value(xv), Value(yv)
        return engine.grad(f(a, b), [a, b])

    a, b = Value(x), Value(y)
    ga, gb = engine.grad(f(a, b), [a, b], create_graph=True)
    h = 1e-6
    for g, (dx, dy), idx in [(ga, (h, 0), 0), (ga, (0, h), 1), (gb, (0, h), 1)]:
        numeric = (
            first(x + dx, y + dy)[0 if g is ga else 1] - first(x - dx, y - dy)[0 if g is ga else 1]
        ) / (2 * h)
        got = engine.grad(g, [a, b])[idx]
        assert math.isclose(got, numeric, rel_tol=1e-5, abs_tol=1e-6)


# --- contexts -----------------------------------------------------------------------


def test_no_grad_records_nothing():
    """Inside no_grad, operations compute values but make leaves with no parents."""
    x = Value(2.0)
    with engine.no_grad():
        y = x * 3 + 1
    assert y.data == 7.0 and y.parents == () and y.op is None
    assert (x * 3).parents == (x,)  # recording is back on afterwards


def test_detect_anomaly_forward_names_op_and_labels():
    """detect_anomaly raises at the first op that gives inf, naming it, its inputs and labels."""
    with engine.detect_anomaly():
        with pytest.raises(FloatingPointError, match=r"mul\(big=1e\+200, other=1e\+200\)"):
            Value(1e200, label="big") * Value(1e200, label="other")
    Value(1e200) * Value(1e200)  # outside the block: no check


def test_detect_anomaly_backward():
    """detect_anomaly also checks every chain-rule product during backward."""
    x = Value(1e-200, label="tiny")
    z = x * 1e300
    y = z * z
    with engine.detect_anomaly():
        with pytest.raises(FloatingPointError, match="detect_anomaly: backward through"):
            y.backward()


def test_scope_groups_nodes():
    """Nodes made inside engine.scope carry the scope name; scopes nest with '/'."""
    x = Value(1.0)
    with engine.scope("layer 1"):
        with engine.scope("H1"):
            y = x * 2
    assert y.scope == "layer 1/H1" and (y + 1).scope is None


# --- copying and pickling ---------------------------------------------------------


def _deep_graph(n):
    """A chain of about 2n nodes where every step reuses the leaf x (shared nodes), ops bound and not."""
    x = Value(0.5, label="x")
    y = x
    for i in range(n):
        y = (y * 0.999 + x).tanh() if i % 2 else y * 1.0001 + 0.0
    y.label = "y"
    return x, y


def _same_graph(a, b):
    """Both graphs have equal numbers, ops and labels node by node, and share no node."""
    na, nb = engine.walks.topological_order(a), engine.walks.topological_order(b)
    assert [n.data for n in na] == [n.data for n in nb] and [n.label for n in na] == [n.label for n in nb]
    assert [(n.op.name, n.op.constant) if n.op else None for n in na] == [
        (n.op.name, n.op.constant) if n.op else None for n in nb
    ]
    assert not {id(n) for n in na} & {id(n) for n in nb}


@pytest.mark.parametrize("copy_of", ["deepcopy", "pickle"])
def test_a_10k_node_graph_copies_and_pickles(copy_of):
    """deepcopy and a pickle round trip of a 10k-node graph give the same graph, and backward works on it."""
    import copy
    import pickle

    x, y = _deep_graph(5000)
    c = copy.deepcopy(y) if copy_of == "deepcopy" else pickle.loads(pickle.dumps(y))
    _same_graph(y, c)
    (cx,) = engine.walks.leaves(c)
    y.backward()
    c.backward()
    assert cx.label == "x" and cx.grad == x.grad != 0.0


@pytest.mark.parametrize("protocol", range(6))
def test_pickle_keeps_shared_nodes_shared(protocol):
    """Values pickled together stay one graph: a parameter and the loss using it share the restored leaf."""
    import pickle

    a = Value(2.0, label="a")
    b = a * a + a
    with engine.scope("layer"):
        c = 3 - a
    ra, rb, rc = pickle.loads(pickle.dumps([a, b, c], protocol=protocol))
    assert rb.parents[1] is ra and rb.parents[0].parents == (ra, ra) and rc.parents == (ra,)
    assert rc.op.name == "rsubk" and rc.op.constant == 3.0 and rc.scope == "layer"
    rb.backward()
    assert ra.grad == 5.0 and a.grad == 0.0


def test_deepcopy_keeps_shared_nodes_and_copy_shares_the_graph():
    """deepcopy of [a, b] keeps a shared; copy.copy makes one new node over the same parents."""
    import copy

    a = Value(2.0, label="a")
    b = (a * a).exp()
    da, db = copy.deepcopy([a, b])
    assert db.parents[0].parents == (da, da) and da is not a
    shallow = copy.copy(b)
    assert shallow is not b and shallow.parents == b.parents and shallow.op is b.op


def test_bound_constants_keep_their_sign_through_pickle():
    """x ** -0.0 and x + -0.0 are pickled as their row's name and bound constant, sign included."""
    import pickle

    for v in (Value(2.0) ** -0.0, Value(2.0) + -0.0, Value(2.0) * 2.5):
        r = pickle.loads(pickle.dumps(v))
        assert repr(r.op) == repr(v.op) and math.copysign(1, r.op.constant) == math.copysign(1, v.op.constant)


def test_a_node_of_an_op_outside_the_table_is_refused_clearly():
    """A node of an op outside engine.RULES cannot be pickled: a TypeError says so; deepcopy still works."""
    import copy
    import pickle

    softsign = engine.Op("softsign", "s", ("a",), lambda a: a / (1 + abs(a)), lambda a, out: (1.0,), ("1",))
    y = softsign(Value(1.0)) * 2
    with pytest.raises(TypeError, match="not a row of engine.RULES"):
        pickle.dumps(y)
    assert copy.deepcopy(y).parents[0].op is softsign


@pytest.mark.parametrize("label", [1, 2.5, b"w", ["w"], Value(1.0)])
def test_a_label_is_a_str_or_none(label):
    """Value(2, label=1) is a TypeError at the door, not a crash later in a trace, gradcheck or drawing."""
    with pytest.raises(TypeError, match="a label is a str"):
        Value(2.0, label=label)
    assert Value(2.0, label="w5").label == "w5" and Value(2.0, label=None).label is None


# --- register: a row of your own, and names that cannot be one -----------------


def _softsign(name, **fields):
    """A unary function row named ``name`` (softsign: a / (1 + |a|))."""
    return engine.Op(
        name, "softsign", ("a",), lambda a: a / (1 + abs(a)), lambda a, out: ((1 - abs(out)) ** 2,),
        fields.pop("formulas", ("(1 - abs(out))**2",)), **fields,
    )  # fmt: skip


def _state():
    """What a registration could change: the table, Value's attributes, engine's names, parser functions."""
    return dict(engine.RULES), dict(vars(Value)), set(vars(engine)), engine.ops.functions()


HOSTILE = [
    "x(a):\n    import os\ndef make_y",  # would have run code inside the node maker's source
    "has space",  # was a SyntaxError after the row was already in RULES
    "__init__", "__class__", "a__b", "class", "lambda", "1abc", "", "a-b", "é\u2028", "data", "grad",
    "backward", "parents", "op",
]  # fmt: skip


@pytest.mark.parametrize("name", HOSTILE)
def test_register_refuses_a_hostile_name_and_changes_nothing(name):
    """A name that is not a plain identifier, or is a Value attribute, is refused before code is built."""
    before = _state()
    with pytest.raises(ValueError, match="identifier|already a Value attribute"):
        engine.register(_softsign(name))
    assert _state() == before


@given(st.text(max_size=20).filter(lambda s: not engine.ops.is_name(s)))
def test_register_refuses_any_text_that_is_not_an_identifier(name):
    """Any text that is not a plain identifier (hypothesis text) is refused and changes nothing."""
    before = _state()
    with pytest.raises(ValueError, match="identifier"):
        engine.register(_softsign(name))
    assert _state() == before


@pytest.mark.parametrize(
    "code",
    [
        ('__import__("os").system("echo hi")',),
        ("a.__class__",),
        ("a[0]",),
        ("'text'",),
        ("open(a)",),
        ("a +",),
        ("a", "(lambda: 1)()"),
    ],
)
def test_register_refuses_code_text_that_is_not_arithmetic_of_its_inputs(code):
    """A code template is pasted into generated code: anything beyond arithmetic of its inputs is refused."""
    before = _state()
    with pytest.raises(ValueError, match="code text"):
        engine.register(_softsign("softsign_code", code=code))
    assert _state() == before


def test_register_refuses_formulas_that_span_lines():
    """A formula or symbol with a line break (it would leave a generated comment) is refused."""
    before = _state()
    with pytest.raises(ValueError, match="one-line"):
        engine.register(_softsign("softsign_text", formulas=("1\nimport os",)))
    assert _state() == before


def test_a_registered_row_is_a_method_and_equals_its_rule(monkeypatch):
    """A valid row becomes a Value method whose node and gradient come from the row itself."""
    row = _softsign("softsign_ok", code=("a / (1 + abs(a))", "(1 - abs(out)) ** 2"))
    monkeypatch.setitem(engine.RULES, row.name, row)  # taken out again after the test
    monkeypatch.setattr(Value, row.name, None, raising=False)
    engine.register(row)
    x = Value(0.5)
    y = x.softsign_ok()
    y.backward()
    assert y.op is row and y.data == row.forward(0.5) and x.grad == row.partials(0.5, y.data)[0]


# --- Karpathy's micrograd lecture, its cells as it writes them ------------------


def _lecture_neuron():
    """The lecture's neuron o = tanh(x1*w1 + x2*w2 + b), built and labelled as the lecture does."""
    # inputs x1,x2
    x1 = Value(2.0, label="x1")
    x2 = Value(0.0, label="x2")
    # weights w1,w2
    w1 = Value(-3.0, label="w1")
    w2 = Value(1.0, label="w2")
    # bias of the neuron
    b = Value(6.8813735870195432, label="b")
    # x1*w1 + x2*w2 + b
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return locals()


def _lecture_trace(root):
    # builds a set of all nodes and edges in a graph
    nodes, edges = set(), set()

    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)

    build(root)
    return nodes, edges


def _lecture_draw_dot(root):
    from graphviz import Digraph

    dot = Digraph(format="svg", graph_attr={"rankdir": "LR"})  # LR = left to right

    nodes, edges = _lecture_trace(root)
    for n in nodes:
        uid = str(id(n))
        # for any value in the graph, create a rectangular ('record') node for it
        label = "{ %s | data %.4f | grad %.4f }" % (n.label, n.data, n.grad)  # noqa: UP031 (the lecture's)
        dot.node(name=uid, label=label, shape="record")
        if n._op:
            # if this value is a result of some operation, create an op node for it
            dot.node(name=uid + n._op, label=n._op)
            # and connect this node to it
            dot.edge(uid + n._op, uid)

    for n1, n2 in edges:
        # connect n1 to the op node of n2
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)

    return dot


def test_micrograd_names_read_the_graph():
    """_prev is the parents in order, _op the op as drawings show it ('' for a leaf), as micrograd's."""
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    assert c._prev == (a, b) and c._op == "*" and a._op == "" and a._prev == ()
    assert (c * 2)._op == "* 2" and c.tanh()._op == "tanh" and (a + b)._op == "+"


def test_the_lecture_draw_dot_builds_and_renders(tmp_path):
    """The lecture's trace and draw_dot run unchanged: each node and op is in the DOT; dot renders it."""
    import shutil

    g = _lecture_neuron()
    dot = _lecture_draw_dot(g["o"])
    nodes, edges = _lecture_trace(g["o"])
    assert len(nodes) == 10 and len(edges) == 9
    for label in ("x1", "w2", "x1*w1 + x2*w2", "n", "o"):
        assert f"{{ {label} | data" in dot.source
    assert dot.source.count('label="*"') == 2 and dot.source.count("label=tanh") == 1
    if shutil.which("dot"):
        svg = dot.render(tmp_path / "neuron")
        assert "<svg" in open(svg, encoding="utf-8").read()


def test_the_lecture_steps_backward_by_hand():
    """o.grad = 1.0, then each node's _backward() in the lecture's order: its gradients, and backward()'s."""
    g = _lecture_neuron()
    o, n, b, x1w1x2w2, x2w2, x1w1 = (g[k] for k in ("o", "n", "b", "x1w1x2w2", "x2w2", "x1w1"))
    o.grad = 1.0
    o._backward()
    n._backward()
    b._backward()  # a leaf: nothing to pass on
    x1w1x2w2._backward()
    x2w2._backward()
    x1w1._backward()
    assert n.grad == pytest.approx(0.5)  # 1 - o**2, o = 1/√2
    assert g["x1"].grad == pytest.approx(-1.5) and g["w1"].grad == pytest.approx(1.0)
    assert g["x2"].grad == pytest.approx(0.5) and g["w2"].grad == pytest.approx(0.0)
    by_hand = {k: g[k].grad for k in ("x1", "x2", "w1", "w2", "b", "n")}

    fresh = _lecture_neuron()
    fresh["o"].backward()
    assert {k: fresh[k].grad for k in by_hand} == by_hand


def test_the_lecture_topological_sort_then_backward():
    """The lecture's build_topo, then _backward() on reversed(topo), gives what o.backward() gives."""
    g = _lecture_neuron()
    o = g["o"]
    topo = []
    visited = set()

    def build_topo(v):
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build_topo(child)
            topo.append(v)

    build_topo(o)
    o.grad = 1.0
    for node in reversed(topo):
        node._backward()
    by_topo = {k: g[k].grad for k in ("x1", "x2", "w1", "w2", "b")}
    fresh = _lecture_neuron()
    fresh["o"].backward()
    assert {k: fresh[k].grad for k in by_topo} == by_topo
    assert by_topo["x1"] == pytest.approx(-1.5) and by_topo["w1"] == pytest.approx(1.0)
