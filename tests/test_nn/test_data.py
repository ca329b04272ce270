"""Tests for nn.data: shapes, seeding, labels and the geometry of each dataset, two- and multi-class."""

import doctest
import math
import random
import re
import sys
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    "make, error, message",
    [
        (lambda: data.moons(1), ValueError, "moons: n .* at least 2, not 1"),
        (lambda: data.moons(10, noise=-0.1), ValueError, "moons: noise .* at least 0"),
        (lambda: data.circles(10, factor=1.5), ValueError, "factor .* above 0 and below 1"),
        (lambda: data.circles(10, factor=math.nan), ValueError, "factor .* finite"),
        (lambda: data.xor(0), ValueError, "xor: n .* at least 1, not 0"),
        (lambda: data.moons(2.5), TypeError, "moons: n .* whole number .* float 2.5"),
        (lambda: data.moons(10, labels=(1,)), ValueError, "two class labels"),
        (lambda: data.moons(10, labels=5), ValueError, "two class labels"),
        (lambda: data.circles(10, labels=(1, 1)), ValueError, "must differ"),
        (lambda: data.xor(4, labels=("a", "b")), TypeError, "xor: labels takes a real number"),
        (lambda: data.moons(10, seed="s"), TypeError, "moons: seed takes a whole number"),
        (lambda: data.seed003(seed=1.5), TypeError, "seed003: seed takes a whole number"),
    ],
)
def test_bad_arguments_are_clear_errors(make, error, message):
    """Too few rows, negative noise, a bad inner radius, labels or seed: the rule's clear error."""
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize(
    "make, classes",
    [
        (lambda n, seed: data.spiral(n, seed=seed), 3),
        (lambda n, seed: data.spiral(n, classes=5, noise=0.1, seed=seed), 5),
        (lambda n, seed: data.yin_yang(n, seed=seed), 3),
    ],
)
@pytest.mark.parametrize("n", [30, 31, 302])
def test_multiclass_sets_are_seeded_balanced_and_labelled_0_to_k(make, classes, n):
    """spiral and yin_yang: n rows of [x, y] floats, labels 0..k-1 in near-equal counts, fixed by the seed."""
    state = random.getstate()
    (X, y), again, other = make(n, seed=1), make(n, seed=1), make(n, seed=2)
    assert random.getstate() == state
    assert (X, y) == again and (X, y) != other
    assert len(X) == len(y) == n and all(len(r) == 2 and all(type(v) is float for v in r) for r in X)
    counts = Counter(y)
    assert sorted(counts) == list(range(classes)) and all(type(c) is int for c in y)
    assert max(counts.values()) - min(counts.values()) <= 1
    assert all(math.hypot(a, b) <= 1.0 + 1e-12 for a, b in X)  # both lie within the unit disc


def test_spiral_without_noise_lies_on_its_arms():
    """Noise-free, each point of arm j is at angle 2πj/k + 4r for its radius r, as the docstring says."""
    X, y = data.spiral(120, classes=4, noise=0.0)
    for (a, b), j in zip(X, y):
        r = math.hypot(a, b)
        if r > 1e-9:
            t = 2 * math.pi * j / 4 + 4 * r
            assert (a, b) == pytest.approx((r * math.sin(t), r * math.cos(t)), abs=1e-12)
    assert max(math.hypot(a, b) for a, b in X) == pytest.approx(1.0)


def test_spiral_noise_moves_points_off_the_arms():
    """With noise the angles scatter: the same seed, more noise, points farther from the noise-free arms."""
    clean = data.spiral(90, noise=0.0, seed=4)
    off = lambda noise: sum(  # noqa: E731
        math.dist(p, q) for p, q in zip(sorted(data.spiral(90, noise=noise, seed=4)[0]), sorted(clean[0]))
    )
    assert 0 < off(0.05) < off(0.5)


def test_yin_yang_labels_follow_the_symbol():
    """Every yin_yang point lies in the unit disc and carries the class yin_yang_class gives its place."""
    X, y = data.yin_yang(300, seed=3)
    assert all(a * a + b * b <= 1.0 for a, b in X)
    assert [data.yin_yang_class(a, b) for a, b in X] == y
    dots = [(a, b) for (a, b), c in zip(X, y) if c == 2]
    assert all(min(math.hypot(a - 0.5, b), math.hypot(a + 0.5, b)) < 0.2 for a, b in dots)


@pytest.mark.parametrize(
    "point, label",
    [
        ((0.0, 0.9), 0),
        ((0.0, -0.9), 1),
        ((-0.5, 0.0), 2),
        ((0.5, 0.0), 2),
        ((-0.5, -0.3), 0),
        ((0.5, 0.3), 1),
    ],
)
def test_yin_yang_class_regions(point, label):
    """Top is yin, bottom yang, the dots are class 2, and each half bulges around the other's dot."""
    assert data.yin_yang_class(*point) == label


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: data.spiral(10, classes=1), ValueError, "spiral: classes must be at least 2, not 1"),
        (lambda: data.spiral(2, classes=3), ValueError, r"spiral: n .*one per class.* at least 3, not 2"),
        (lambda: data.spiral(30, noise=-1.0), ValueError, "spiral: noise .* at least 0"),
        (lambda: data.spiral(30, noise="0.1"), TypeError, "spiral: noise .* not str '0.1'"),
        (lambda: data.spiral(30, noise=1e308), ValueError, "spiral: noise .* below 1e\\+300"),
        (lambda: data.spiral(30, noise=math.inf), ValueError, "spiral: noise .* finite"),
        (lambda: data.moons(30, noise=None), TypeError, "moons: noise .* not NoneType None"),
        (lambda: data.xor(8, noise=math.nan), ValueError, "xor: noise .* finite"),
        (lambda: data.xor(8, noise=True), TypeError, "xor: noise .* not the bool True"),
        (lambda: data.spiral(30, classes=2.5), TypeError, "spiral: classes takes a whole number"),
        (lambda: data.yin_yang(2), ValueError, "yin_yang: n .* at least 3, not 2"),
        (lambda: data.yin_yang(30.0), TypeError, "yin_yang: n .* whole number"),
        (lambda: data.yin_yang_class("0", 0.0), TypeError, "yin_yang_class: x takes a real number"),
        (lambda: data.yin_yang_class(0.0, math.nan), ValueError, "yin_yang_class: y: only finite"),
        (lambda: data.digits(test_size=0), ValueError, "test_size .* above 0 and below 1"),
        (lambda: data.digits(test_size=1.5), ValueError, "test_size .* below 1"),
        (lambda: data.digits(test_size="0.2"), TypeError, "test_size .* not str"),
        (lambda: data.digits(test_size=math.nan), ValueError, "test_size.* finite"),
    ],
)
def test_bad_multiclass_arguments_are_clear_errors(make, error, message):
    """Too few rows or classes, bad noise and an impossible test share raise the rule's error saying so."""
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("test_size", [0.999, 0.998, 0.001, 0.002])
def test_digits_refuses_a_split_that_leaves_a_side_without_some_digit(test_size):
    """A test_size so large (or small) that some digit has no training (or test) image is a ValueError."""
    pytest.importorskip("sklearn")
    side = "training" if test_size > 0.5 else "test"
    with pytest.raises(ValueError, match=f"no {side} image.*choose a test_size between"):
        data.digits(test_size=test_size)


def test_digits_split_bounds_from_the_error_work():
    """The bounds the error names are admissible: at each, both parts hold every digit."""
    pytest.importorskip("sklearn")
    with pytest.raises(ValueError) as info:
        data.digits(test_size=0.9999)
    low, high = (float(t) for t in re.findall(r"between ([0-9.]+) and ([0-9.]+)", str(info.value))[0])
    for size in (low + 1e-4, high - 1e-4):
        X_train, y_train, X_test, y_test = data.digits(test_size=size)
        assert set(y_train) == set(y_test) == set(range(10))


@given(
    st.integers(2, 40),
    st.integers(2, 6),
    st.sampled_from([int, "int64", "int32"]),
    st.floats(0, 1e299, allow_nan=False),
)
@settings(deadline=None)
def test_numpy_and_plain_sizes_give_the_same_sets(n, classes, kind, noise):
    """The sets take numpy integers as MLP does, giving the same rows; any allowed noise stays finite."""
    np = pytest.importorskip("numpy")
    n = max(n, classes)
    size = (lambda v: v) if kind is int else getattr(np, kind)
    X, y = data.spiral(size(n), classes=size(classes), noise=noise, seed=size(3))
    assert (X, y) == data.spiral(n, classes=classes, noise=noise, seed=3)
    assert all(math.isfinite(v) for row in X for v in row) and sorted(set(y)) == list(range(classes))
    assert data.moons(size(n), noise=noise) == data.moons(n, noise=noise)
    assert data.xor(size(n)) == data.xor(n)
    assert data.yin_yang(size(max(n, 3)), seed=np.int64(1)) == data.yin_yang(max(n, 3), seed=1)


def test_digits_shapes_scaling_and_stratified_split():
    """digits: 1,797 images of 64 pixels in [0, 1], labels 0-9, round(0.2 × count) of each digit to test."""
    datasets = pytest.importorskip("sklearn.datasets")
    X_train, y_train, X_test, y_test = data.digits()
    assert (len(X_train), len(y_train), len(X_test), len(y_test)) == (1438, 1438, 359, 359)
    assert all(len(r) == 64 for r in X_train + X_test)
    assert all(type(v) is float and 0.0 <= v <= 1.0 for r in X_train + X_test for v in r)
    assert max(v for r in X_train for v in r) == 1.0
    assert sorted(set(y_train)) == sorted(set(y_test)) == list(range(10)) and type(y_test[0]) is int
    everything = Counter(datasets.load_digits().target.tolist())
    assert Counter(y_test) == {d: round(0.2 * c) for d, c in everything.items()}
    assert Counter(y_train) + Counter(y_test) == everything
    originals = sorted(tuple(v / 16 for v in row) for row in datasets.load_digits().data.tolist())
    assert sorted(map(tuple, X_train + X_test)) == originals  # every image once, in train or test


def test_digits_split_is_seeded():
    """The same seed gives the same split, another seed another; the global random state is untouched."""
    pytest.importorskip("sklearn")
    state = random.getstate()
    a, b, c = data.digits(seed=0), data.digits(seed=0), data.digits(seed=1)
    assert random.getstate() == state
    assert a == b and a[3] != c[3]
    assert len(data.digits(test_size=0.5)[2]) == sum(round(0.5 * k) for k in Counter(a[1] + a[3]).values())


def test_digits_without_scikit_learn_says_how_to_install_it(monkeypatch):
    """Without scikit-learn, digits raises ImportError naming the pip command for the data extra."""
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r"pip install 'chainrule\[data\]'"):
        data.digits()
