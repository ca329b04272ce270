"""Small datasets in pure Python, seeded, returned as (X, y): X a list of rows, y a list of targets.

Classification sets (labels −1/+1 by default, for the hinge loss; pass
``labels=(0, 1)`` for binary cross-entropy):

- ``moons``: two interleaving half circles (the shape of scikit-learn's make_moons);
- ``circles``: a circle inside a larger one;
- ``xor``: the four corners of the unit square, labelled a XOR b.

Regression sets, shaped like the documents':

- ``ice_cream``: seed 000's shape, temperature and weekday → revenue, 10 rows (our own table);
- ``seed002_sample``: seed 002's single sample, x = [0.95, 0.06] → target [0.05, 0.82];
- ``seed003``: seed 003's shape, 6 rows of 3 inputs → 2 outputs.

Each generator draws from a ``random.Random(seed)`` of its own, so the global
``random`` state is untouched and the same seed always gives the same data.

    >>> X, y = moons(100, noise=0.1, seed=1)
    >>> len(X), len(X[0]), sorted(set(y))
    (100, 2, [-1, 1])
"""

import math
import random


def _linspace(start, stop, n, endpoint=True):
    if n == 1:
        return [start]
    step = (stop - start) / (n - 1 if endpoint else n)
    return [start + i * step for i in range(n)]


def _check(n, noise):
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ValueError(f"n must be a whole number >= 2, got {n!r}")
    if not noise >= 0:
        raise ValueError(f"noise must be a number >= 0, got {noise!r}")


def _finish(points, classes, noise, labels, rng, shuffle=True):
    rows = [[x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)] for x, y in points] if noise else points
    pairs = list(zip(rows, (labels[c] for c in classes)))
    if shuffle:
        rng.shuffle(pairs)
    return [list(r) for r, _ in pairs], [label for _, label in pairs]


def moons(n=100, noise=0.1, seed=0, labels=(-1, 1)):
    """Two interleaving half circles: the upper moon is class 0 (label −1), the lower class 1 (+1).

    ``noise`` is the standard deviation of the Gaussian noise added to each coordinate.
    """
    _check(n, noise)
    rng = random.Random(seed)
    n_upper, n_lower = n // 2, n - n // 2
    upper = [(math.cos(t), math.sin(t)) for t in _linspace(0.0, math.pi, n_upper)]
    lower = [(1.0 - math.cos(t), 0.5 - math.sin(t)) for t in _linspace(0.0, math.pi, n_lower)]
    return _finish(upper + lower, [0] * n_upper + [1] * n_lower, noise, labels, rng)


def circles(n=100, noise=0.05, factor=0.5, seed=0, labels=(-1, 1)):
    """A circle of radius ``factor`` (class 1, label +1) inside one of radius 1 (class 0, label −1)."""
    _check(n, noise)
    if not 0.0 < factor < 1.0:
        raise ValueError(f"factor (the inner radius) must be between 0 and 1, got {factor!r}")
    rng = random.Random(seed)
    n_outer, n_inner = n // 2, n - n // 2
    outer = [(math.cos(t), math.sin(t)) for t in _linspace(0.0, 2 * math.pi, n_outer, endpoint=False)]
    inner = [
        (factor * math.cos(t), factor * math.sin(t))
        for t in _linspace(0.0, 2 * math.pi, n_inner, endpoint=False)
    ]
    return _finish(outer + inner, [0] * n_outer + [1] * n_inner, noise, labels, rng)


def xor(n=4, noise=0.0, seed=0, labels=(-1, 1)):
    """Points at the corners (a, b) of the unit square, class a XOR b; row i sits at corner i mod 4.

    The default, n=4 without noise, is the truth table itself:

    >>> xor()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [-1, 1, 1, -1])
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a whole number >= 1, got {n!r}")
    if not noise >= 0:
        raise ValueError(f"noise must be a number >= 0, got {noise!r}")
    corners = [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)]
    points = [corners[i % 4] for i in range(n)]
    classes = [int(a != b) for a, b in points]
    return _finish(points, classes, noise, labels, random.Random(seed), shuffle=False)


# Seed 000's shape: daily ice-cream revenue from temperature and weekday. The
# article's own table is an image; these ten rows are ours: warmer days and
# weekends sell more.
ICE_CREAM_COLUMNS = ("temperature (°C)", "weekday (1 = Monday ... 7 = Sunday)", "revenue ($)")
ICE_CREAM = (
    (14.0, 1, 210.0),
    (18.0, 2, 290.0),
    (22.0, 3, 390.0),
    (25.0, 4, 440.0),
    (29.0, 5, 560.0),
    (31.0, 6, 740.0),
    (27.0, 7, 650.0),
    (20.0, 6, 480.0),
    (16.0, 7, 400.0),
    (33.0, 5, 640.0),
)


def ice_cream(scaled=True):
    """Seed 000's regression shape: X = [temperature, weekday], y = revenue, 10 rows.

    With ``scaled`` (the default) every column is min-max scaled to [0, 1], the
    range a small ReLU network learns well; otherwise the raw table is returned.

    >>> X, y = ice_cream()
    >>> len(X), min(y), max(y)
    (10, 0.0, 1.0)
    """
    columns = list(zip(*ICE_CREAM))
    if scaled:
        columns = [[(v - min(c)) / (max(c) - min(c)) for v in c] for c in columns]
    else:
        columns = [[float(v) for v in c] for c in columns]
    return [list(r) for r in zip(columns[0], columns[1])], list(columns[2])


def seed002_sample():
    """Seed 002's one training sample: X = [[0.95, 0.06]], y = [[0.05, 0.82]]."""
    return [[0.95, 0.06]], [[0.05, 0.82]]


def seed003(seed=0):
    """Seed 003's shape: 6 rows, 3 inputs in [0, 1] → 2 outputs (smooth functions of the inputs).

    Six rows give 1, 6 or 3 iterations per epoch at batch sizes None, 1 and 2.
    """
    rng = random.Random(seed)
    X = [[round(rng.random(), 2) for _ in range(3)] for _ in range(6)]
    y = [[round(0.5 * a + 0.3 * b - 0.2 * c + 0.1, 4), round(a * c + 0.5 * b * b, 4)] for a, b, c in X]
    return X, y
