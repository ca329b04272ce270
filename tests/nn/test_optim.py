"""Tests for nn.optim: SGD, momentum, Adam against hand computations, and the linear-decay schedule."""

import doctest
import math

import pytest

import nn.optim
from engine import Value
from nn.optim import SGD, Adam, LinearDecay


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
        (lambda: SGD([Value(0.0)], lr=-1.0), ValueError, "positive number"),
        (lambda: SGD([Value(0.0)], lr=math.nan), ValueError, "positive number"),
        (lambda: SGD([Value(0.0)], lr=0.1, momentum=1.0), ValueError, "momentum"),
        (lambda: Adam([Value(0.0)], betas=(0.9, 1.0)), ValueError, "betas"),
        (lambda: Adam([Value(0.0)], eps=0.0), ValueError, "eps"),
        (lambda: LinearDecay(1.0, 0.1, 0), ValueError, "steps >= 1"),
    ],
)
def test_bad_arguments_are_clear_errors(make, error, message):
    """Empty or non-Value parameter lists and out-of-range settings raise errors saying what is wrong."""
    with pytest.raises(error, match=message):
        make()
