"""Tests for nn.data: shapes, seeding, labels and the geometry of each dataset."""

import doctest
import math
import random

import pytest

import nn.data
from nn import data


def test_docstring_examples():
    """The examples in nn.data's docstrings run and give the documented results."""
    assert doctest.testmod(nn.data).failed == 0


@pytest.mark.parametrize(
    "make", [data.moons, data.circles, lambda n, seed: data.xor(n, noise=0.1, seed=seed)]
)
def test_classification_sets_are_seeded_and_leave_random_alone(make):
    """The same seed gives the same data, another seed other data; the global random state is untouched."""
    state = random.getstate()
    a, b, c = make(60, seed=1), make(60, seed=1), make(60, seed=2)
    assert random.getstate() == state
    assert a == b and a != c
    X, y = a
    assert len(X) == len(y) == 60 and all(len(r) == 2 for r in X)
    assert sorted(set(y)) == [-1, 1] and y.count(1) == 30


def test_labels_can_be_zero_one():
    """labels=(0, 1) gives the 0/1 labels binary cross-entropy expects."""
    _, y = data.moons(10, labels=(0, 1))
    assert sorted(set(y)) == [0, 1]


def test_moons_without_noise_lie_on_the_two_arcs():
    """Noise-free moons lie on the upper unit arc (label −1) and the lower arc centred at (1, 0.5) (+1)."""
    X, y = data.moons(50, noise=0.0)
    for (a, b), label in zip(X, y):
        if label == -1:
            assert math.hypot(a, b) == pytest.approx(1.0) and b >= -1e-12
        else:
            assert math.hypot(a - 1.0, b - 0.5) == pytest.approx(1.0) and b <= 0.5 + 1e-12


def test_moons_match_scikit_learn():
    """Without noise our moons are scikit-learn's make_moons points and labels (when it is installed)."""
    datasets = pytest.importorskip("sklearn.datasets")
    theirs, classes = datasets.make_moons(n_samples=41, noise=0.0, shuffle=False)
    ours = data.moons(41, noise=0.0, labels=(0, 1))
    key = lambda row: (round(row[0][0], 12), round(row[0][1], 12), row[1])  # noqa: E731
    assert sorted(map(key, zip(ours[0], ours[1]))) == sorted(map(key, zip(theirs.tolist(), classes.tolist())))


def test_circles_radii():
    """Noise-free circles have the outer class on radius 1 and the inner on radius factor."""
    X, y = data.circles(40, noise=0.0, factor=0.3)
    for (a, b), label in zip(X, y):
        assert math.hypot(a, b) == pytest.approx(1.0 if label == -1 else 0.3)


def test_xor_is_the_truth_table():
    """xor() is the four rows of a XOR b; more rows repeat the corners."""
    assert data.xor(labels=(0, 1)) == ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
    X, y = data.xor(8)
    assert X[4:] == X[:4] and y[4:] == y[:4]


def test_ice_cream_has_seed_000s_shape():
    """ice_cream: 10 rows of (temperature, weekday) → revenue; scaled to [0, 1] or raw as in the table."""
    X, y = data.ice_cream()
    assert len(X) == len(y) == 10 and all(len(r) == 2 for r in X)
    assert all(0.0 <= v <= 1.0 for row in X for v in row) and min(y) == 0.0 and max(y) == 1.0
    raw_X, raw_y = data.ice_cream(scaled=False)
    assert raw_X[0] == [14.0, 1.0] and raw_y[0] == 210.0
    assert [list(r[:2]) for r in data.ICE_CREAM] == raw_X


def test_seed002_sample():
    """The seed 002 sample is x = [0.95, 0.06] with target [0.05, 0.82]."""
    assert data.seed002_sample() == ([[0.95, 0.06]], [[0.05, 0.82]])


def test_seed003_has_six_rows_of_three_inputs_and_two_outputs():
    """seed003 gives 6 rows of 3 inputs and 2 targets, reproducibly."""
    X, y = data.seed003()
    assert len(X) == len(y) == 6 and all(len(r) == 3 for r in X) and all(len(t) == 2 for t in y)
    assert data.seed003() == (X, y) and data.seed003(seed=1) != (X, y)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: data.moons(1), ">= 2"),
        (lambda: data.moons(10, noise=-0.1), "noise"),
        (lambda: data.circles(10, factor=1.5), "factor"),
        (lambda: data.xor(0), ">= 1"),
        (lambda: data.moons(2.5), "whole number"),
    ],
)
def test_bad_arguments_are_clear_errors(make, message):
    """Too few rows, negative noise and an impossible inner radius raise ValueError."""
    with pytest.raises(ValueError, match=message):
        make()
