"""Tests for nn.losses: values, gradients, stability, and that a gradient step lowers each loss."""

import doctest
import math
import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
import nn.losses
from engine import Value
from engine.numbers import setting
from engine.tools.strategies import examples
from nn.losses import bce, half_sse, hinge, l2, mean, mse


def sigmoid(z):
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


def test_docstring_examples():
    """The examples in nn.losses' docstrings run and give the documented results."""
    assert doctest.testmod(nn.losses).failed == 0


def test_mse_is_the_mean_of_squared_errors():
    """mse over several outputs is the mean of (pred − true)², with gradient 2(pred − true)/n."""
    p = [Value(1.0), Value(2.0), Value(4.0)]
    L = mse(p, [0.0, 2.0, 1.0])
    assert L.data == pytest.approx((1 + 0 + 9) / 3, rel=1e-15)
    L.backward()
    assert [v.grad for v in p] == pytest.approx([2 / 3, 0.0, 2.0])


def test_half_sse_gradient_is_the_error():
    """½Σ(pred − true)² has ∂/∂pred = pred − true."""
    p = [Value(0.6), Value(0.3)]
    L = half_sse(p, [0.05, 0.82])
    assert L.data == pytest.approx(0.5 * (0.55**2 + 0.52**2), rel=1e-15)
    L.backward()
    assert [v.grad for v in p] == pytest.approx([0.55, -0.52], rel=1e-14)


def test_single_output_losses_are_small_graphs():
    """With one output the loss adds no Σ node: its root is the term itself."""
    assert half_sse(Value(1.0), 0.0).op.name == "mulk"
    assert mse(Value(1.0), 0.0).op.name == "powk"


@settings(examples(0.8))
@given(st.floats(-40, 40), st.sampled_from([0, 1]))
def test_bce_matches_the_formula_and_its_gradient_is_sigmoid_minus_label(z, y):
    """bce(z, y) = −[y log σ(z) + (1 − y) log(1 − σ(z))] and ∂/∂z = σ(z) − y."""
    v = Value(z)
    L = bce(v, y)
    expected = math.log1p(math.exp(-abs(z))) + max(z, 0.0) - z * y
    assert L.data == pytest.approx(expected, rel=1e-12, abs=1e-12)
    L.backward()
    assert v.grad == pytest.approx(sigmoid(z) - y, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(
    "z, y, loss, grad", [(1000.0, 0, 1000.0, 1.0), (-1000.0, 1, 1000.0, -1.0), (800.0, 1, 0.0, 0.0)]
)
def test_bce_is_stable_for_huge_logits(z, y, loss, grad):
    """Logits of ±1000 give the exact loss and gradient, with no overflow."""
    v = Value(z)
    L = bce(v, y)
    L.backward()
    assert (L.data, v.grad) == (loss, grad)


def test_bce_at_zero_logit_has_the_true_gradient():
    """At z = 0 exactly the gradient is σ(0) − y = 0.5 − y (no kink in the formula)."""
    v = Value(0.0)
    bce(v, 1).backward()
    assert v.grad == -0.5


def test_bce_with_a_value_label():
    """A label given as a Value gives the same loss."""
    assert bce(Value(0.3), Value(1.0)).data == pytest.approx(bce(Value(0.3), 1).data, rel=1e-15)


def test_hinge_is_micrograds_max_margin():
    """hinge(s, y) = max(0, 1 − y·s), built as micrograd's (1 + −y·s).relu()."""
    for s, y, expected in [(0.5, 1, 0.5), (2.0, 1, 0.0), (0.5, -1, 1.5), (-3.0, -1, 0.0)]:
        assert hinge(Value(s), y).data == expected
    s = Value(0.25)
    hinge(s, -1).backward()
    assert s.grad == 1.0


def test_l2_is_alpha_sum_of_squares():
    """l2(params, α) = α·Σp², with ∂/∂p = 2αp."""
    ps = [Value(1.0), Value(-2.0), Value(0.5)]
    L = l2(ps, alpha=0.1)
    assert L.data == pytest.approx(0.1 * 5.25, rel=1e-15)
    L.backward()
    assert [p.grad for p in ps] == pytest.approx([0.2, -0.4, 0.1])


def test_mean_is_one_sum_node_times_one_over_n():
    """mean of several Values is Σ then × 1/n; of one Value, the Value itself."""
    a, b = Value(1.0), Value(4.0)
    m = mean([a, b])
    assert m.data == 2.5 and m.op.name == "mulk" and m.parents[0].op.name == "sum"
    assert mean([a]) is a


@pytest.mark.parametrize(
    "loss, pred, target",
    [
        (mse, [0.5, -1.0], [1.0, 1.0]),
        (half_sse, [0.5, -1.0], [1.0, 1.0]),
        (bce, [0.5, -1.0], [1, 0]),
        (hinge, [0.5, -1.0], [1, 1]),
    ],
)
def test_a_gradient_step_lowers_each_loss(loss, pred, target):
    """One small step against the gradient lowers every (convex) loss."""
    ps = [Value(v) for v in pred]
    before = loss(ps, target)
    before.backward()
    stepped = [Value(p.data - 0.1 * p.grad) for p in ps]
    assert loss(stepped, target).data < before.data


def test_a_gradient_step_lowers_l2():
    """One small step against the gradient lowers the L2 penalty."""
    ps = [Value(1.0), Value(-3.0)]
    L = l2(ps, 0.5)
    L.backward()
    assert l2([Value(p.data - 0.1 * p.grad) for p in ps], 0.5).data < L.data


@pytest.mark.parametrize("loss", [mse, half_sse, bce, hinge])
def test_mismatched_outputs_are_an_error(loss):
    """A prediction and a target of different lengths raise ValueError saying so."""
    with pytest.raises(ValueError, match="2 outputs but the target has 3"):
        loss([Value(0.0), Value(1.0)], [0, 1, 1])
    with pytest.raises(ValueError, match="at least one"):
        loss([], [])


def test_empty_mean_and_l2_are_errors():
    """mean([]) and l2([]) raise ValueError."""
    with pytest.raises(ValueError):
        mean([])
    with pytest.raises(ValueError):
        l2([])


def test_classification_losses_carry_a_label_threshold():
    """hinge (labels ±1) and bce (labels 0/1) say where their labels split; regression losses do not."""
    assert hinge.label_threshold == 0.0 and bce.label_threshold == 0.5
    assert not hasattr(mse, "label_threshold") and not hasattr(half_sse, "label_threshold")


def test_losses_are_graphs_of_engine_ops():
    """Every loss node is an engine op, so the loss can be stepped through like the network."""
    L = bce(Value(0.3), 1) + hinge(Value(0.2), -1) + mse(Value(1.0), 0.0)
    names = {n.op.name for n in engine.topological_order(L) if n.op is not None}
    assert names <= set(engine.RULES)


@pytest.mark.parametrize(
    "loss, target, message",
    [
        (hinge, 0, r"hinge loss needs labels -1 or \+1, got 0; map 0/1 labels with y = 2\*y - 1"),
        (hinge, 2, r"hinge loss needs labels -1 or \+1, got 2; hinge is a two-class loss"),
        (hinge, 0.5, r"hinge loss needs labels -1 or \+1, got 0.5$"),
        (bce, -1, r"bce loss needs labels 0 or 1 \(or probabilities in \[0, 1\]\), got -1; map -1/\+1"),
        (bce, 1.5, r"bce loss needs labels 0 or 1 \(or probabilities in \[0, 1\]\), got 1.5$"),
        (mse, math.nan, "mse loss needs finite numbers as targets, got nan"),
        (half_sse, math.inf, "half_sse loss needs finite numbers as targets, got inf"),
        (mse, "1.0", "mse loss needs finite numbers as targets, got '1.0'"),
        (hinge, None, "hinge loss needs labels -1 or .1, got None"),
    ],
)
def test_a_target_of_the_wrong_convention_is_a_clear_error(loss, target, message):
    """A target a loss cannot use raises ValueError naming the loss, its convention and the target."""
    with pytest.raises(ValueError, match=message):
        loss(Value(0.5), target)


@pytest.mark.parametrize(
    "loss, y, message",
    [
        (hinge, [1, -1, -1, 0, 1], r"got 0 \(row 3\); map 0/1 labels"),
        (bce, [0, 1, 1, -1], r"got -1 \(row 3\); map -1/\+1 labels with y = \(y \+ 1\) / 2"),
        (mse, [[1.0, 2.0], [3.0, math.inf]], r"got inf \(row 1, output 1\)"),
        (half_sse, [0.5, 10**400], r"got 1000+ \(row 1\)"),
    ],
)
def test_check_targets_names_the_row(loss, y, message):
    """loss.check_targets(y) checks every row and names the first bad one (and its output)."""
    with pytest.raises(ValueError, match=message):
        loss.check_targets(y)


@pytest.mark.parametrize(
    "loss, y",
    [
        (hinge, [1, -1, 1.0, -1.0, Value(1.0), Decimal("-1")]),
        (bce, [0, 1, 0.0, 1.0, 0.25, True, Value(0.5)]),
        (mse, [0, -3.5, 1e300, [1.0, 2.0], Value(2.0)]),
        (half_sse, [[0.05, 0.82]]),
    ],
)
def test_targets_of_the_right_convention_pass(loss, y):
    """Every target a loss's convention allows, numbers or Values, passes its check."""
    assert loss.check_targets(y) is None


def test_bce_takes_probabilities_as_soft_targets():
    """A soft target y in [0, 1] gives softplus(z) − z·y with gradient σ(z) − y (as BCEWithLogitsLoss)."""
    v = Value(0.8)
    L = bce(v, 0.3)
    p = sigmoid(0.8)
    assert L.data == pytest.approx(-(0.3 * math.log(p) + 0.7 * math.log(1 - p)), rel=1e-14)
    L.backward()
    assert v.grad == pytest.approx(p - 0.3, rel=1e-14)


@pytest.mark.parametrize("alpha", [-1, -1e-9, math.nan, math.inf, "0.1", None, True, 10**400, 1 + 2j])
def test_a_bad_l2_alpha_is_a_clear_error(alpha):
    """l2 with a negative, non-finite or non-number alpha raises the number rule's error for a setting."""
    with pytest.raises((TypeError, ValueError)) as expected:
        setting(alpha, "l2's alpha")
    with pytest.raises(expected.type, match=re.escape(str(expected.value))):
        l2([Value(1.0)], alpha)


def test_check_targets_needs_a_list_of_targets():
    """check_targets given something that is not a list of targets raises ValueError saying what it takes."""
    with pytest.raises(ValueError, match="check_targets takes the targets y, one per row; got NoneType"):
        hinge.check_targets(None)


# --- plain numbers as predictions: constants, in every loss -----------------------------

LOSS_TARGETS = [(mse, st.floats(-5, 5)), (half_sse, st.floats(-5, 5)), (bce, st.sampled_from([0, 1, 0.25])),
                (hinge, st.sampled_from([-1, 1]))]  # fmt: skip


@pytest.mark.parametrize("loss, targets", LOSS_TARGETS, ids=lambda x: getattr(x, "__name__", ""))
@given(data=st.data())
def test_plain_number_predictions_are_constants_in_every_loss(loss, targets, data):
    """Each loss given floats (or ints) as predictions equals the loss of constant Values, as a Value."""
    n = data.draw(st.integers(1, 4))
    preds = data.draw(st.lists(st.floats(-30, 30) | st.integers(-30, 30), min_size=n, max_size=n))
    ts = data.draw(st.lists(targets, min_size=n, max_size=n))
    one = (preds[0], ts[0]) if n == 1 else (preds, ts)
    got = loss(*one)
    want = loss([Value(p) for p in preds] if n > 1 else Value(preds[0]), one[1])
    assert isinstance(got, Value) and got.data == want.data


@pytest.mark.parametrize("loss", [mse, half_sse, bce, hinge])
def test_a_mixed_prediction_sends_gradients_only_to_its_values(loss):
    """A prediction list of one Value and one float: the Value gets the same gradient as with two Values."""
    target = [1, 1] if loss is not bce else [1, 0]
    a, b = Value(0.3), Value(-0.7)
    loss([a, b], target).backward()
    c = Value(0.3)
    loss([c, -0.7], target).backward()
    assert c.grad == a.grad


@pytest.mark.parametrize("loss", [mse, half_sse, bce, hinge])
@pytest.mark.parametrize("pred", ["0.5", None, object(), 1 + 2j, [Value(1.0), "x"]], ids=str)
def test_a_prediction_that_is_not_a_number_is_a_type_error_naming_the_loss(loss, pred):
    """A string, None, an object or a complex prediction: a TypeError naming the loss (no AttributeError)."""
    target = [1, 1] if isinstance(pred, list) else 1
    with pytest.raises(TypeError, match=f"{loss.__name__}: a prediction takes a real number"):
        loss(pred, target)


@pytest.mark.parametrize("loss", [mse, half_sse, bce, hinge])
@pytest.mark.parametrize("pred", [math.nan, math.inf, 10**400])
def test_a_non_finite_plain_prediction_is_a_value_error(loss, pred):
    """NaN, inf or 10**400 as a prediction is a ValueError naming the loss."""
    with pytest.raises(ValueError, match=f"{loss.__name__}: a prediction"):
        loss(pred, 1)


def test_mean_and_l2_take_any_iterable_and_refuse_a_non_list():
    """mean and l2 take generators as lists; l2 of None is a TypeError saying what it takes."""
    vs = [Value(1.0), Value(3.0)]
    assert mean(v for v in vs).data == mean(vs).data == 2.0
    assert l2((v for v in vs), alpha=0.5).data == l2(vs, alpha=0.5).data
    with pytest.raises(TypeError, match=r"l2 takes a list of parameters \(model.parameters\(\)\)"):
        l2(None)
