"""Tests for nn.optim: SGD, momentum, weight decay, Adam and AdamW against hand computations and PyTorch,
the linear-decay schedule, and the checks on every setting."""

import doctest
import math
import re
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

import nn.optim
from engine import Value
from engine.numbers import count, setting
from nn.optim import SGD, Adam, AdamW, LinearDecay


def test_docstring_examples():
    """The examples in nn.optim's docstrings run and give the documented results."""
    assert doctest.testmod(nn.optim).failed == 0


def quadratic(p, target=3.0):
    """(p − target)², a convex loss with gradient 2(p − target)."""
    return (p - target) ** 2


def train_steps(optimizer, p, steps):
    values = []
    for _ in range(steps):
        optimizer.zero_grad()
        quadratic(p).backward()
        optimizer.step()
        values.append(p.data)
    return values


@pytest.mark.parametrize(
    "make",
    [lambda ps: SGD(ps, lr=0.1), lambda ps: SGD(ps, lr=0.1, momentum=0.9), lambda ps: Adam(ps, lr=0.1)],
)
def test_a_step_lowers_a_convex_loss(make):
    """One step of each optimizer lowers (p − 3)² from p = 0."""
    p = Value(0.0)
    before = quadratic(p).data
    train_steps(make([p]), p, 1)
    assert quadratic(p).data < before


def test_sgd_step_is_p_minus_lr_grad():
    """SGD moves p by exactly −lr·∂L/∂p."""
    p = Value(0.0)
    train_steps(SGD([p], lr=0.1), p, 1)
    assert p.data == 0.0 - 0.1 * (2 * (0.0 - 3.0))


def test_sgd_momentum_by_hand():
    """With momentum μ: v ← μv + g, p ← p − lr·v, checked over two steps."""
    p = Value(0.0)
    got = train_steps(SGD([p], lr=0.1, momentum=0.5), p, 2)
    g1 = 2 * (0.0 - 3.0)
    v1 = g1
    p1 = 0.0 - 0.1 * v1
    g2 = 2 * (p1 - 3.0)
    v2 = 0.5 * v1 + g2
    p2 = p1 - 0.1 * v2
    assert got == pytest.approx([p1, p2], rel=1e-15)


def test_adam_first_steps_by_hand():
    """Adam's first three steps on (p − 3)² from p = 0 match the textbook formulas worked by hand."""
    p = Value(0.0)
    got = train_steps(Adam([p], lr=0.1, betas=(0.9, 0.999), eps=1e-8), p, 3)
    # step 1 by hand: g = 2(0 − 3) = −6; m = 0.1·(−6) = −0.6; v = 0.001·36 = 0.036;
    # m̂ = −0.6/0.1 = −6, v̂ = 0.036/0.001 = 36; p = 0 − 0.1·(−6)/(6 + 1e-8) ≈ 0.1
    assert got[0] == pytest.approx(0.1 * 6 / (6 + 1e-8), rel=1e-14)
    # steps 2 and 3 from the same formulas
    expected, q, m, v = [], 0.0, 0.0, 0.0
    for t in (1, 2, 3):
        g = 2 * (q - 3.0)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        q -= 0.1 * (m / (1 - 0.9**t)) / (math.sqrt(v / (1 - 0.999**t)) + 1e-8)
        expected.append(q)
    assert got == pytest.approx(expected, rel=1e-14)
    # while the gradient keeps its sign, Adam's first steps are each about lr long
    assert got[1] - got[0] == pytest.approx(0.1, rel=1e-2)


def test_adam_matches_torch():
    """Adam's first steps equal torch.optim.Adam's in float64 (when PyTorch is installed)."""
    torch = pytest.importorskip("torch")
    p = Value(0.5)
    ours = train_steps(Adam([p], lr=0.05, betas=(0.8, 0.99), eps=1e-6), p, 5)
    t = torch.tensor([0.5], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([t], lr=0.05, betas=(0.8, 0.99), eps=1e-6)
    theirs = []
    for _ in range(5):
        opt.zero_grad()
        ((t - 3.0) ** 2).sum().backward()
        opt.step()
        theirs.append(t.item())
    assert ours == pytest.approx(theirs, rel=1e-13)


def test_linear_decay_is_micrograds_schedule():
    """LinearDecay(1.0, 0.1, 100) gives exactly micrograd's lr = 1 − 0.9·k/100, then stays at 0.1."""
    schedule = LinearDecay(1.0, 0.1, 100)
    assert [schedule(k) for k in range(100)] == [1.0 - 0.9 * k / 100 for k in range(100)]
    assert schedule(100) == schedule(500) == pytest.approx(0.1)


def test_optimizer_follows_its_schedule():
    """An optimizer with a schedule uses lr(k) at its k-th step."""
    p = Value(0.0)
    opt = SGD([p], lr=LinearDecay(1.0, 0.5, 2))
    assert opt.lr == 1.0
    p.grad = 1.0
    opt.step()
    assert (p.data, opt.k, opt.lr) == (-1.0, 1, 0.75)


def test_zero_grad_and_subset():
    """An optimizer zeroes and updates only its own parameters."""
    a, b = Value(1.0), Value(1.0)
    a.grad = b.grad = 2.0
    opt = SGD([a], lr=0.5)
    opt.step()
    assert (a.data, b.data) == (0.0, 1.0)
    opt.zero_grad()
    assert (a.grad, b.grad) == (0.0, 2.0)


def test_shared_parameter_is_updated_once():
    """A Value listed twice (a shared bias) is updated once per step."""
    b = Value(1.0)
    b.grad = 1.0
    opt = SGD([b, b], lr=0.5)
    opt.step()
    assert b.data == 0.5 and len(opt.params) == 1


def test_state_is_plain_floats():
    """SGD's velocity and Adam's moments are lists of floats."""
    p = Value(0.0)
    adam, sgd = Adam([p]), SGD([p], momentum=0.9)
    p.grad = 1.0
    adam.step()
    sgd.step()
    assert all(type(x) is float for x in adam.m + adam.v + sgd.velocity)


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: SGD([], lr=0.1), ValueError, "no parameters"),
        (lambda: SGD([1.0], lr=0.1), TypeError, "updates Values"),
        (lambda: Adam([Value(0.0)], betas=0.9), ValueError, r"Adam's betas must be a pair \(β₁, β₂\)"),
        (lambda: Adam([Value(0.0)], betas=(0.9,)), ValueError, "betas must be a pair"),
    ],
)
def test_bad_arguments_are_clear_errors(make, error, message):
    """Empty or non-Value parameter lists and betas that are not a pair raise errors saying what is wrong."""
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize(
    "make, where, value, options",
    [
        (lambda v: SGD([Value(0.0)], lr=v), "the learning rate", [-1.0, math.nan, math.inf, "0.1", True],
         {"positive": True}),
        (lambda v: Adam([Value(0.0)], lr=v), "the learning rate", [0.0], {"positive": True}),
        (lambda v: AdamW([Value(0.0)], lr=v), "the learning rate", [-1e-3], {"positive": True}),
        (lambda v: SGD([Value(0.0)], momentum=v), "momentum", [1.0, -0.1, math.nan, "0.9"], {"below": 1.0}),
        (lambda v: SGD([Value(0.0)], weight_decay=v), "weight_decay (0 for none)", [-1e-4, math.inf], {}),
        (lambda v: AdamW([Value(0.0)], weight_decay=v), "weight_decay (0 for none)", [math.nan, None], {}),
        (lambda v: Adam([Value(0.0)], betas=(0.9, v)), "Adam's β₂", [1.0, math.nan], {"below": 1.0}),
        (lambda v: AdamW([Value(0.0)], betas=(v, 0.999)), "AdamW's β₁", [-0.1], {"below": 1.0}),
        (lambda v: Adam([Value(0.0)], eps=v), "Adam's eps", [0.0, math.inf], {"positive": True}),
        (lambda v: LinearDecay(1, v, 2), "LinearDecay's end rate", [-5], {}),
        (lambda v: LinearDecay(v, 0.1, 2), "LinearDecay's start rate", [-1, math.nan], {}),
    ],
)  # fmt: skip
def test_bad_settings_get_the_number_rules_error(make, where, value, options):
    """Every setting refused raises engine.numbers.setting's own error for it, naming the setting."""
    for v in value:
        with pytest.raises((TypeError, ValueError)) as expected:
            setting(v, where, **options)
        with pytest.raises(expected.type, match=re.escape(str(expected.value))):
            make(v)


@pytest.mark.parametrize("steps", [0, 2.5, True])
def test_linear_decay_needs_a_count_of_steps(steps):
    """LinearDecay's steps is a count: engine.numbers.count's error for anything else."""
    with pytest.raises((TypeError, ValueError)) as expected:
        count(steps, "LinearDecay's steps")
    with pytest.raises(expected.type, match=re.escape(str(expected.value))):
        LinearDecay(1.0, 0.1, steps)


@pytest.mark.parametrize(
    "lr", [np.float32(0.1), np.float64(0.1), np.int64(1), Fraction(1, 10), Decimal("0.1"), 1]
)
def test_settings_of_any_number_kind_become_plain_floats(lr):
    """A numpy, Fraction or Decimal learning rate (and momentum, decay, betas, eps) is kept as a float,
    so the weights stay Python floats after a step."""
    p = Value(1.0)
    for opt in (
        SGD([p], lr=lr, momentum=Fraction(1, 2), weight_decay=np.float32(0.01)),
        AdamW([p], lr=lr, betas=(np.float32(0.9), Decimal("0.999")), eps=np.float64(1e-8)),
        SGD([p], lr=LinearDecay(lr, np.float32(0.0), np.int64(10))),
    ):
        p.grad = 0.5
        opt.step()
        assert type(p.data) is float and type(opt.lr) is float
    settings_ = [opt.schedule.start, opt.schedule.end]
    assert all(type(x) is float for x in settings_) and type(opt.schedule.steps) is int


def test_a_schedule_may_reach_zero():
    """A schedule that decays to 0 (LinearDecay(1, 0, 2)) is allowed: a rate of 0 moves nothing."""
    p = Value(1.0)
    opt = SGD([p], lr=LinearDecay(1.0, 0.0, 2))
    for _ in range(3):
        p.grad = 1.0
        opt.step()
    assert p.data == 1.0 - 1.0 - 0.5 and opt.lr == 0.0


@pytest.mark.parametrize("bad", [-0.1, math.nan, math.inf, "0.1", None])
@pytest.mark.parametrize(
    "make",
    [
        lambda ps, lr: SGD(ps, lr=lr),
        lambda ps, lr: SGD(ps, lr=lr, momentum=0.9, weight_decay=0.1),
        lambda ps, lr: Adam(ps, lr=lr),
        lambda ps, lr: AdamW(ps, lr=lr),
    ],
)
def test_a_schedule_gone_bad_stops_before_any_change(make, bad):
    """A schedule whose rate is negative, not finite or not a number raises at that step; nothing changes."""
    p = Value(1.0)
    opt = make([p], lambda k: 0.1 if k < 2 else bad)
    train_steps(opt, p, 2)
    state = (p.data, opt.k, list(getattr(opt, "velocity", [])), list(getattr(opt, "m", [])))
    p.grad = 1.0
    with pytest.raises(
        ValueError, match=rf"gave the learning rate {re.escape(repr(bad))} at step 2; a learning"
    ):
        opt.step()
    assert (p.data, opt.k, list(getattr(opt, "velocity", [])), list(getattr(opt, "m", []))) == state


def test_sgd_weight_decay_by_hand():
    """SGD's weight decay λ adds λ·p to the gradient before the step (and before momentum)."""
    p = Value(2.0)
    got = train_steps(SGD([p], lr=0.1, weight_decay=0.5), p, 1)
    assert got == [2.0 - 0.1 * (2 * (2.0 - 3.0) + 0.5 * 2.0)]
    q = Value(2.0)
    got = train_steps(SGD([q], lr=0.1, momentum=0.5, weight_decay=0.5), q, 2)
    v1 = 2 * (2.0 - 3.0) + 0.5 * 2.0
    p1 = 2.0 - 0.1 * v1
    v2 = 0.5 * v1 + 2 * (p1 - 3.0) + 0.5 * p1
    assert got == pytest.approx([p1, p1 - 0.1 * v2], rel=1e-15)


def test_adamw_by_hand():
    """AdamW shrinks p by lr·λ·p first, then takes Adam's step from the gradient alone."""
    p = Value(1.0)
    got = train_steps(AdamW([p], lr=0.1, weight_decay=0.2), p, 2)
    expected, q, m, v = [], 1.0, 0.0, 0.0
    for t in (1, 2):
        g = 2 * (q - 3.0)  # the gradient at the weights before the decay
        q *= 1 - 0.1 * 0.2
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        q -= 0.1 * (m / (1 - 0.9**t)) / (math.sqrt(v / (1 - 0.999**t)) + 1e-8)
        expected.append(q)
    assert got == pytest.approx(expected, rel=1e-14)


def test_adamw_without_decay_is_adam():
    """AdamW with weight_decay=0 takes exactly Adam's steps."""
    p, q = Value(0.5), Value(0.5)
    assert train_steps(AdamW([p], lr=0.05, weight_decay=0.0), p, 4) == train_steps(Adam([q], lr=0.05), q, 4)


def test_weight_decay_pulls_weights_towards_zero():
    """With a zero gradient, SGD's and AdamW's weight decay shrink a weight towards 0."""
    for make in (
        lambda ps: SGD(ps, lr=0.1, weight_decay=0.5),
        lambda ps: AdamW(ps, lr=0.1, weight_decay=0.5),
    ):
        p = Value(2.0)
        opt = make([p])
        p.grad = 0.0
        opt.step()
        assert 0.0 < p.data < 2.0


def test_repr_shows_the_settings():
    """Each optimizer's repr shows its learning rate and its decay."""
    p = Value(0.0)
    assert "weight_decay=0.01" in repr(AdamW([p])) and repr(AdamW([p])).startswith("AdamW(1 parameters")
    assert "weight_decay=0.5" in repr(SGD([p], weight_decay=0.5)) and "weight_decay" not in repr(SGD([p]))


# A small problem for the PyTorch cross-checks: a linear model w·x + b fitted to four rows by mse.
ROWS = [([0.5, -1.0], 0.3), ([1.5, 0.25], -0.7), ([-0.75, 2.0], 1.1), ([0.1, 0.9], 0.4)]
START = [0.8, -0.6, 0.1]  # w1, w2, b


def ours_linear(make, steps):
    ps = [Value(v) for v in START]
    opt = make(ps)
    trail = []
    for _ in range(steps):
        opt.zero_grad()
        errors = [(ps[0] * x1 + ps[1] * x2 + ps[2] - t) ** 2 for (x1, x2), t in ROWS]
        (sum(errors[1:], errors[0]) * (1 / len(ROWS))).backward()
        opt.step()
        trail.append([p.data for p in ps])
    return trail


def torch_linear(torch, make, steps):
    w = torch.tensor(START[:2], dtype=torch.float64, requires_grad=True)
    b = torch.tensor(START[2], dtype=torch.float64, requires_grad=True)
    X = torch.tensor([x for x, _ in ROWS], dtype=torch.float64)
    t = torch.tensor([t for _, t in ROWS], dtype=torch.float64)
    opt = make([w, b])
    trail = []
    for _ in range(steps):
        opt.zero_grad()
        ((X @ w + b - t) ** 2).mean().backward()
        opt.step()
        trail.append(w.tolist() + [b.item()])
    return trail


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (lambda ps: AdamW(ps, lr=0.05, weight_decay=0.1), ("AdamW", dict(lr=0.05, weight_decay=0.1))),
        (
            lambda ps: AdamW(ps, lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.5),
            ("AdamW", dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.5)),
        ),
        (lambda ps: SGD(ps, lr=0.1, weight_decay=0.05), ("SGD", dict(lr=0.1, weight_decay=0.05))),
        (
            lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.05),
            ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.05)),
        ),
    ],
)
def test_weight_decay_matches_torch(ours, theirs):
    """AdamW and SGD(weight_decay) take torch.optim's steps: all parameters within 1e-12 relative."""
    torch = pytest.importorskip("torch")
    name, options = theirs
    expected = torch_linear(torch, lambda ps: getattr(torch.optim, name)(ps, **options), 12)
    got = ours_linear(ours, 12)
    for step, (a, b) in enumerate(zip(got, expected)):
        assert a == pytest.approx(b, rel=1e-12, abs=0), f"step {step}"
    assert got[-1] != pytest.approx(START, rel=1e-3)  # the weights did move


@pytest.mark.parametrize(
    "make, keys",
    [
        (lambda ps: SGD(ps, lr=0.1), []),
        (lambda ps: SGD(ps, lr=0.1, momentum=0.9), ["velocity"]),
        (lambda ps: Adam(ps, lr=0.1), ["m", "v"]),
        (lambda ps: AdamW(ps, lr=0.1), ["m", "v"]),
    ],
)
def test_state_is_a_copy_of_the_optimizers_own_numbers(make, keys):
    """state() gives each parameter's momentum or moments after the steps (copies: changing them changes
    nothing), and nothing for plain SGD."""
    ps = [Value(1.0), Value(-2.0)]
    opt = make(ps)
    for _ in range(3):
        opt.zero_grad()
        (quadratic(ps[0]) + quadratic(ps[1], -1.0)).backward()
        opt.step()
    state = opt.state()
    assert sorted(state) == keys
    own = {
        "velocity": getattr(opt, "velocity", None),
        "m": getattr(opt, "m", None),
        "v": getattr(opt, "v", None),
    }
    for key in keys:
        assert state[key] == own[key] and all(x != 0.0 for x in state[key])
        state[key][0] = 99.0
        assert own[key][0] != 99.0
