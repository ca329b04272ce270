"""Tests for engine.checking: gradcheck and gradgradcheck against finite differences."""

import inspect
import math
import re

import pytest
from hypothesis import assume, find, given, settings

import engine
from engine import RULES, Value, ops
from engine.numbers import setting
from engine.ops import Op
from engine.tools.checking import GradcheckError, expression_text, gradcheck, gradgradcheck
from engine.tools.strategies import examples, expressions

QUIET = settings(database=None, max_examples=300, deadline=None, derandomize=True)  # same result every run


def wrong_sin():
    """A sin rule whose partial is sin(a) instead of cos(a): the classic slip."""
    return Op("sin", "sin", ("a",), math.sin, lambda a, out: (ops.sin(a),), ("sin(a)",))


def detached_sin():
    """A sin rule right on floats but whose Value partial is a constant: its second derivative is lost."""

    def partials(a, out):
        return (math.cos(a) if isinstance(a, float) else Value(math.cos(a.data)),)

    return Op("sin", "sin", ("a",), math.sin, partials, ("cos(a)",))


def test_defaults_match_pytorch():
    """eps, atol and rtol default to PyTorch gradcheck's float64 values 1e-6, 1e-5 and 1e-3."""
    for f in (gradcheck, gradgradcheck):
        params = inspect.signature(f).parameters
        assert (params["eps"].default, params["atol"].default, params["rtol"].default) == (1e-6, 1e-5, 1e-3)


def test_function_of_numbers_passes_with_a_report():
    """A correct function passes; the report names each input after f's parameters and holds the values."""
    report = gradcheck(lambda x, y: x * y.sin(), [0.5, 2.0])
    assert report.ok and bool(report)
    assert [c.name for c in report.checks] == ["∂out/∂x", "∂out/∂y"]
    assert report.checks[0].analytic == math.sin(2.0)
    assert report.checks[1].analytic == pytest.approx(0.5 * math.cos(2.0), rel=1e-15)
    assert abs(report.checks[1].numeric - 0.5 * math.cos(2.0)) < 1e-8
    assert report.point == {"x": 0.5, "y": 2.0} and report.expression == "x * sin(y)"
    assert "2 of 2 derivatives agree" in str(report) and repr(report).startswith("<GradcheckReport: 2 of 2")


def test_value_inputs_keep_their_labels_and_stay_untouched():
    """Values given as inputs lend their data and labels; their grads are not changed."""
    w, b = Value(0.3, label="w"), Value(-0.1, label="b")
    report = gradcheck(lambda p, q: (p * 2.0 + q).tanh(), [w, b])
    assert [c.name for c in report.checks] == ["∂out/∂w", "∂out/∂b"]
    assert w.grad == 0.0 and b.grad == 0.0


def test_built_graph_checks_all_leaves_or_the_chosen_ones():
    """An output Value is checked against all its leaves by default, or against the ones given."""
    x, y = Value(1.5, label="x"), Value(-0.5, label="y")
    out = (x * y).exp() + x.log()
    out.label = "L"
    assert [c.name for c in gradcheck(out).checks] == ["∂L/∂x", "∂L/∂y"]
    assert [c.name for c in gradcheck(out, [y]).checks] == ["∂L/∂y"]
    assert gradcheck(out).expression == "exp(x * y) + log(x)"


def test_seed002_network_gradients_check():
    """The seed 002 network's ∂E/∂w and ∂E/∂b agree with finite differences, as do its second derivatives."""
    from nn import seed002

    net = seed002()
    params = list(net.params.values())
    report = gradcheck(net.E, params)
    assert report.ok and len(report.checks) == 10 and not report.kinks
    w5 = next(c for c in report.checks if c.name == "∂E/∂w5")
    assert w5.analytic == pytest.approx(0.0729519972, abs=1e-10)
    assert gradgradcheck(net.E, params[:4]).ok


def test_expression_objects_are_accepted():
    """Anything with .root and .leaves (an expression from engine.strategies) can be checked directly."""
    e = find(expressions(), lambda e: e.size >= 3, settings=QUIET)
    report = gradcheck(e)
    assert report.ok and report.expression == e.text and len(report.checks) == len(e.leaves)


def test_a_wrong_partial_applied_directly_is_caught():
    """An op with a wrong partial, applied as op(*values), fails naming the input, both values, the error."""
    bad = wrong_sin()
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x, y: bad(x) * y, [0.5, 2.0])
    message = str(info.value)
    assert "∂out/∂x" in message and "∂out/∂y" not in message
    analytic, numeric = 2 * math.sin(0.5), 2 * math.cos(0.5)
    shown = re.search(r"analytic (\S+), numeric (\S+), error", message)
    assert float(shown[1]) == analytic and abs(float(shown[2]) - numeric) < 1e-8
    assert f"error {abs(analytic - numeric):.3g}" in message
    (failure,) = info.value.report.failures
    assert failure.analytic == analytic and abs(failure.numeric - numeric) < 1e-8
    assert isinstance(info.value, AssertionError)


@settings(examples(3))
@given(expressions())
def test_a_wrong_rule_in_the_table_is_caught_by_random_expressions(e):
    """With a wrong sin rule in engine.RULES, gradcheck fails for sin(f) of every random f that moves."""
    (slope,) = engine.grad(e.root, e.leaves[:1])
    assume(abs(slope) > 1e-2 and abs(math.sin(e.root.data) - math.cos(e.root.data)) > 1e-2)
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(RULES, "sin", wrong_sin())
        out = RULES["sin"](e.root)
    with pytest.raises(GradcheckError, match="disagree"):
        gradcheck(out, e.leaves)


def test_a_failing_case_shrinks_to_a_small_clear_expression(monkeypatch):
    """A failing @given(expressions()) test reports a minimal falsifying expression: sin(x0)."""
    monkeypatch.setitem(RULES, "sin", wrong_sin())

    @QUIET
    @given(expressions())
    def check(e):
        gradcheck(e)

    with pytest.raises(GradcheckError) as info:
        check()
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "e=<sin(x0) at x0=0.0>" in notes
    assert str(info.value).startswith("gradcheck of sin(x0) at x0=0.0: 1 of 1 derivatives disagree")


def test_find_shrinks_a_failure_to_one_node(monkeypatch):
    """hypothesis.find over expressions() with a wrong rule ends at the one-node expression sin(x0)."""
    monkeypatch.setitem(RULES, "sin", wrong_sin())

    def fails(e):
        return not gradcheck(e, raise_exception=False).ok

    e = find(expressions(), fails, settings=QUIET)
    assert e.text == "sin(x0)" and e.size == 1


def test_kink_is_reported_not_failed():
    """relu at exactly 0 is reported as a kink (slope 0 lies between the one-sided slopes 0 and 1)."""
    report = gradcheck(lambda x: x.relu(), [0.0])
    (check,) = report.checks
    assert report.ok and check.status == "kink" and report.kinks == [check]
    assert "one-sided slopes 0 (left) and 1 (right)" in check.note
    with pytest.raises(GradcheckError, match="kink"):
        gradcheck(lambda x: x.relu(), [0.0], strict=True)


def test_a_wrong_derivative_at_a_kink_still_fails():
    """At a kink, an analytic slope outside the one-sided slopes is a failure, not a kink."""
    bad = Op("relu", "ReLU", ("a",), ops._relu, lambda a, out: (2.0,), ("2",))
    with pytest.raises(GradcheckError, match="outside them"):
        gradcheck(lambda x: bad(x), [0.0])


def test_wrong_derivative_with_large_curvature_is_not_mistaken_for_a_kink():
    """Where f curves sharply the one-sided slopes differ a little, but a wrong slope still fails."""
    bad = Op("exp", "exp", ("a",), ops._exp, lambda a, out: (out * 1.01,), ("out",))
    report = gradcheck(lambda x: bad(x), [6.0], raise_exception=False)
    assert not report.ok and report.checks[0].status == "failed"


def test_domain_edge_is_skipped_with_a_note():
    """sqrt just above 0 cannot be differenced: the derivative is skipped, with the reason, not failed."""
    report = gradcheck(lambda x: x.sqrt(), [1e-7])
    (check,) = report.checks
    assert report.ok and check.status == "skipped" and report.skipped == [check]
    assert "sqrt needs an input >= 0" in check.note and "domain edge" in check.note
    assert math.isnan(check.numeric) and "1 skipped" in str(report)
    with pytest.raises(GradcheckError, match="not checked"):
        gradcheck(lambda x: x.sqrt(), [1e-7], strict=True)


@pytest.mark.parametrize(
    "f, x",
    [
        (lambda x: x.sqrt(), 0.0),
        (lambda x: x**0.5, 0.0),
        (lambda x: x ** Value(0.25), 0.0),
        (lambda x: (x * 2.0).sqrt() + x, 0.0),
    ],
)
def test_a_derivative_infinite_at_the_point_is_skipped_with_the_reason(f, x):
    """sqrt or x ** 0.5 at exactly 0 has no finite derivative: skipped, naming the op, not an exception."""
    for check in (gradcheck, gradgradcheck):
        report = check(f, [x])
        assert report.ok and report.checks and all(c.status == "skipped" for c in report.checks)
        assert all("not defined here" in c.note and "edge" in c.note for c in report.checks)
        with pytest.raises(GradcheckError, match="not checked"):
            check(f, [x], strict=True)


def test_an_edge_in_one_input_skips_every_derivative_but_says_so():
    """With several inputs, a domain edge in the backward pass skips each derivative, listed in the table."""
    report = gradcheck(lambda x, y: x.sqrt() * y, [0.0, 2.0])
    assert [c.status for c in report.checks] == ["skipped", "skipped"] and "2 skipped" in str(report)


@pytest.mark.parametrize("eps", [math.nan, math.inf, -1e-6, 0, True, 10**400, "1e-6", None])
def test_eps_must_be_a_positive_finite_number(eps):
    """NaN, infinite, negative, zero, bool, huge-int and non-number eps each get the number rule's error."""
    with pytest.raises((TypeError, ValueError)) as expected:
        setting(eps, "gradcheck's eps", positive=True)
    with pytest.raises(expected.type, match=re.escape(str(expected.value))):
        gradcheck(lambda x: x * x, [1.0], eps=eps)


@pytest.mark.parametrize(
    "f, inputs, eps",
    [
        (lambda x: x * x, [1.0], 1e-20),
        (lambda x: x * x, [1e10], 1e-300),
        (lambda x, y: x * y, [0.0, 1e12], 1e-6),
        (Value(1e308, label="w") * 1.0, None, 1e-6),
    ],
)
def test_an_eps_lost_in_rounding_is_a_clear_error(f, inputs, eps):
    """eps too small for an input (x ± eps == x) is a ValueError naming it and a workable eps."""
    with pytest.raises(ValueError, match=r"eps=.* is too small for .*rounds to x.*use eps of about"):
        gradcheck(f, inputs, eps=eps)


@pytest.mark.parametrize("x", [10**400, -(10**400), math.inf, -math.inf, math.nan])
def test_an_input_beyond_a_float_is_a_clear_error(x):
    """An input like 10**400 or inf is a ValueError naming the input, not a bare OverflowError."""
    with pytest.raises(ValueError, match="gradcheck's input 1: "):
        gradcheck(lambda a, b: a * b, [1.0, x])


@pytest.mark.parametrize(
    "f, x", [(lambda x: x * x, 1e200), (lambda x: x.exp() * 1e10, 700.0), (lambda x: x * 1e300 * 1e10, 1.0)]
)
def test_a_non_finite_output_is_a_clear_error(f, x):
    """An output that overflowed to inf is a ValueError saying the output is not finite."""
    with pytest.raises(ValueError, match="output is inf.*only a finite output"):
        gradcheck(f, [x])


def test_any_real_number_type_is_an_input():
    """Fraction, Decimal and numpy scalars are converted to float inputs."""
    import decimal
    import fractions

    np = pytest.importorskip("numpy")
    for x in (fractions.Fraction(1, 3), decimal.Decimal("0.25"), np.float64(0.5), np.int64(2)):
        report = gradcheck(lambda a: a * a, [x])
        assert report.ok and report.point["a"] == float(x)


def test_tolerances_decide():
    """A partial off by 1e-4 relative passes the default rtol 1e-3 and fails rtol 1e-6."""
    slightly = Op("mulk", "*", ("a", "k"), lambda a, k: a * k, lambda a, k, out: (k * (1 + 1e-4),), ("k",))
    slightly = slightly.bind(3.0)
    assert gradcheck(lambda x: slightly(x), [0.7]).ok
    assert not gradcheck(lambda x: slightly(x), [0.7], rtol=1e-6, raise_exception=False).ok


def test_raise_exception_false_returns_the_failing_report():
    """With raise_exception=False a disagreement is returned in a report that is falsy."""
    report = gradcheck(lambda x: wrong_sin()(x), [1.0], raise_exception=False)
    assert not report and report.failures and "1 failed" in repr(report)


def test_gradgradcheck_passes_on_a_known_hessian():
    """The Hessian of x*y + x**3 (6x on the diagonal, 1 off it) is checked entry by entry."""
    report = gradgradcheck(lambda x, y: x * y + x**3, [0.5, -2.0])
    assert report.ok
    by_name = {c.name: c.analytic for c in report.checks}
    assert by_name == {"∂²out/∂x²": 3.0, "∂²out/∂x∂y": 1.0, "∂²out/∂y∂x": 1.0, "∂²out/∂y²": 0.0}


def test_gradgradcheck_catches_a_partial_that_breaks_the_graph():
    """A partial right as a number but constant as a Value passes gradcheck and fails gradgradcheck."""
    bad = detached_sin()
    assert gradcheck(lambda x: bad(x), [0.8]).ok
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(lambda x: bad(x), [0.8])
    assert "∂²out/∂x²: analytic 0.0" in str(info.value)
    assert info.value.report.checks[0].numeric == pytest.approx(-math.sin(0.8), rel=1e-6)


def test_gradgradcheck_reports_a_jump_in_the_first_derivative_as_a_kink():
    """x * relu(x) near 0 has a jump in its second derivative; it is reported as a kink."""
    report = gradgradcheck(lambda x: x * x.relu(), [1e-7])
    assert report.ok and report.checks[0].status == "kink"


def test_stale_graph_is_an_error():
    """A leaf changed after the forward pass makes gradcheck refuse the out-of-date graph."""
    x = Value(1.0, label="x")
    out = x.exp()
    x.data = 2.0
    with pytest.raises(ValueError, match="out of date"):
        gradcheck(out)


def test_nondeterministic_function_is_an_error():
    """A function that gives different values for the same inputs is reported as such."""
    calls = []

    def f(x):
        calls.append(1)
        return x * len(calls)

    with pytest.raises(ValueError, match="deterministic"):
        gradcheck(f, [1.0])


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: gradcheck(lambda x: x), TypeError, "give the inputs of f"),
        (lambda: gradcheck(lambda x: 1.0, [1.0]), TypeError, "must return a scalar Value"),
        (lambda: gradcheck(lambda x: [x, x], [1.0]), TypeError, r"engine.sum\(outs\)"),
        (lambda: gradcheck(lambda x: x, ["1"]), TypeError, "gradcheck's input 0 takes a real number"),
        (lambda: gradcheck(lambda x: x, [math.nan]), ValueError, "finite number"),
        (lambda: gradcheck(lambda: Value(1.0), []), ValueError, "no inputs"),
        (lambda: gradcheck(lambda x: x, [1.0], eps=0.0), ValueError, "eps must be above 0"),
        (lambda: gradcheck(lambda x: x, [1.0], rtol=-1), ValueError, "rtol must be"),
        (lambda: gradcheck(42), TypeError, "cannot check int"),
        (lambda: gradcheck(Value(1.0) * 2, [Value(3.0, label="z")]), ValueError, "'z'.*not part of"),
        (lambda: gradcheck(Value(1.0) * 2, [1.0]), TypeError, "give the Values"),
    ],
)
def test_bad_arguments_get_clear_errors(call, error, match):
    """Missing inputs, non-scalar outputs, bad tolerances and foreign inputs each get a clear error."""
    with pytest.raises(error, match=match):
        call()


def test_the_same_input_twice_is_an_error():
    """Checking a graph against one Value given twice is refused."""
    x = Value(1.0, label="x")
    with pytest.raises(ValueError, match="given twice"):
        gradcheck(x * x, [x, x])


def test_shared_labels_are_told_apart():
    """Two inputs with the same label are named with their positions."""
    a, b = Value(1.0, label="w"), Value(2.0, label="w")
    report = gradcheck(a * b)
    assert [c.name for c in report.checks] == ["∂out/∂w[0]", "∂out/∂w[1]"]


def test_interior_node_as_input():
    """A checked interior node is held as an input: ∂out/∂node, with the graph below it fixed."""
    x = Value(0.4, label="x")
    h = x.tanh()
    h.label = "h"
    out = h * h + x
    (check,) = gradcheck(out, [h]).checks
    assert check.name == "∂out/∂h" and check.analytic == 2 * h.data


def test_expression_text_names_shared_nodes_and_binds_constants():
    """Text shows constants as numbers, a node used twice once as t0, and parentheses only where needed."""
    x, y = Value(2.0, label="x"), Value(0.5, label="y")
    t = x * 3
    assert expression_text((t + t).log() - 1.5) == "t0 = x * 3; log(t0 + t0) - 1.5"
    assert expression_text((x + y) * -y) == "(x + y) * -y"
    assert expression_text((x - y) ** 2) == "(x + -y) ** 2"
    assert expression_text(x ** (y * 2) / (x + 1)) == "x ** (y * 2) / (x + 1)"
    assert expression_text(engine.dot([x, y], [y, x], x)) == "dot([x, y], [y, x], x)"
    assert expression_text(engine.sum([x, y.relu()])) == "sum([x, relu(y)])"
    assert expression_text(x + (y + x)) == "x + (y + x)"
    minus_x = -x
    assert expression_text(-minus_x) == "-(-x)"
