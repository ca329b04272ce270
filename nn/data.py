"""Small datasets in pure Python, seeded, returned as (X, y): X a list of rows, y a list of targets.

Classification sets (labels −1/+1 by default, for the hinge loss; pass
``labels=(0, 1)`` for binary cross-entropy):

- ``moons``: two interleaving half circles (the shape of scikit-learn's make_moons);
- ``circles``: a circle inside a larger one;
- ``xor``: the four corners of the unit square, labelled a XOR b.

Multi-class sets, labelled with the class numbers 0, 1, ..., k − 1:

- ``spiral``: k arms winding out from the centre (CS231n's spiral), 3 classes by default;
- ``yin_yang``: the yin-yang symbol, 3 classes: yin, yang and the two dots;
- ``digits``: scikit-learn's 1,797 handwritten digits, 8×8 pixels in [0, 1], 10 classes,
  split into train and test rows (needs ``pip install 'chainrule[data]'``).

Regression sets, shaped like the documents':

- ``ice_cream``: seed 000's shape, temperature and weekday → revenue, 10 rows (our own table);
- ``seed002_sample``: seed 002's single sample, x = [0.95, 0.06] → target [0.05, 0.82];
- ``seed003``: seed 003's shape, 6 rows of 3 inputs → 2 outputs.

Each generator draws from a ``random.Random(seed)`` of its own, so the global
``random`` state is untouched and the same seed always gives the same data. As
for moons, ``n`` is the number of rows in all; the classes share them as evenly
as they can (their counts differ by at most one).

    >>> X, y = moons(100, noise=0.1, seed=1)
    >>> len(X), len(X[0]), sorted(set(y))
    (100, 2, [-1, 1])
"""

import math
import numbers
import random
from collections.abc import Sequence

from engine.numbers import count, real, setting

# The largest noise allowed. Python's gauss draws at most about 8.6 standard deviations
# from the mean (Box-Muller on 53-bit floats), so below this every point stays finite.
NOISE_MAX = 1e300


def _linspace(start, stop, n, endpoint=True):
    if n == 1:
        return [start]
    step = (stop - start) / (n - 1 if endpoint else n)
    return [start + i * step for i in range(n)]


def _check(n, noise, name, least=2):
    """The number of rows and the noise of the generator ``name``, checked by engine.numbers' rule."""
    n = count(n, f"{name}: n (the number of rows)", minimum=least)
    return n, _check_noise(noise, name)


def _check_noise(noise, name):
    return setting(noise, f"{name}: noise (a standard deviation)", below=NOISE_MAX)


def _check_seed(seed, name):
    """A seed: a whole number of any sign (numpy's too), as an int; else the TypeError of the rule."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        count(seed, f"{name}: seed", minimum=0)  # raises: not a whole number
    return int(seed)


def _check_labels(labels, name):
    """The two labels of a two-class set: two different real numbers, kept as given."""
    if isinstance(labels, (str, bytes)) or not isinstance(labels, Sequence) or len(labels) != 2:
        raise ValueError(
            f"{name}: labels are the two class labels, such as (-1, 1) or (0, 1); got {labels!r}"
        )
    a, b = (real(v, f"{name}: labels") for v in labels)
    if a == b:
        raise ValueError(f"{name}: two labels must differ, got {labels!r}")
    return labels


def _finish(points, classes, noise, labels, rng, shuffle=True):
    rows = [[x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)] for x, y in points] if noise else points
    pairs = list(zip(rows, (labels[c] for c in classes)))
    if shuffle:
        rng.shuffle(pairs)
    return [list(r) for r, _ in pairs], [label for _, label in pairs]


def moons(
    n: int = 100, noise: float = 0.1, seed: int = 0, labels: Sequence[int] = (-1, 1)
) -> tuple[list[list[float]], list[int]]:
    """Two interleaving half circles: the upper moon is class 0 (label −1), the lower class 1 (+1).

    ``noise`` is the standard deviation of the Gaussian noise added to each coordinate.
    """
    n, noise = _check(n, noise, "moons")
    labels, rng = _check_labels(labels, "moons"), random.Random(_check_seed(seed, "moons"))
    n_upper, n_lower = n // 2, n - n // 2
    upper = [(math.cos(t), math.sin(t)) for t in _linspace(0.0, math.pi, n_upper)]
    lower = [(1.0 - math.cos(t), 0.5 - math.sin(t)) for t in _linspace(0.0, math.pi, n_lower)]
    return _finish(upper + lower, [0] * n_upper + [1] * n_lower, noise, labels, rng)


def circles(
    n: int = 100, noise: float = 0.05, factor: float = 0.5, seed: int = 0, labels: Sequence[int] = (-1, 1)
) -> tuple[list[list[float]], list[int]]:
    """A circle of radius ``factor`` (class 1, label +1) inside one of radius 1 (class 0, label −1)."""
    n, noise = _check(n, noise, "circles")
    factor = setting(factor, "circles: factor (the inner radius)", positive=True, below=1.0)
    labels, rng = _check_labels(labels, "circles"), random.Random(_check_seed(seed, "circles"))
    n_outer, n_inner = n // 2, n - n // 2
    outer = [(math.cos(t), math.sin(t)) for t in _linspace(0.0, 2 * math.pi, n_outer, endpoint=False)]
    inner = [
        (factor * math.cos(t), factor * math.sin(t))
        for t in _linspace(0.0, 2 * math.pi, n_inner, endpoint=False)
    ]
    return _finish(outer + inner, [0] * n_outer + [1] * n_inner, noise, labels, rng)


def xor(
    n: int = 4, noise: float = 0.0, seed: int = 0, labels: Sequence[int] = (-1, 1)
) -> tuple[list[list[float]], list[int]]:
    """Points at the corners (a, b) of the unit square, class a XOR b; row i sits at corner i mod 4.

    The default, n=4 without noise, is the truth table itself:

    >>> xor()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [-1, 1, 1, -1])
    """
    n, noise = _check(n, noise, "xor", least=1)
    labels, seed = _check_labels(labels, "xor"), _check_seed(seed, "xor")
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


def ice_cream(scaled: bool = True) -> tuple[list[list[float]], list[float]]:
    """Seed 000's regression shape: X = [temperature, weekday], y = revenue, 10 rows.

    With ``scaled`` (the default) every column is min-max scaled to [0, 1], the
    range a small ReLU network learns well; otherwise the raw table is returned.

    >>> X, y = ice_cream()
    >>> len(X), min(y), max(y)
    (10, 0.0, 1.0)
    """
    columns: Sequence[Sequence[float]] = list(zip(*ICE_CREAM))
    if scaled:
        columns = [[(v - min(c)) / (max(c) - min(c)) for v in c] for c in columns]
    else:
        columns = [[float(v) for v in c] for c in columns]
    return [list(r) for r in zip(columns[0], columns[1])], list(columns[2])


def seed002_sample() -> tuple[list[list[float]], list[list[float]]]:
    """Seed 002's one training sample: X = [[0.95, 0.06]], y = [[0.05, 0.82]]."""
    return [[0.95, 0.06]], [[0.05, 0.82]]


def seed003(seed: int = 0) -> tuple[list[list[float]], list[list[float]]]:
    """Seed 003's shape: 6 rows, 3 inputs in [0, 1] → 2 outputs (smooth functions of the inputs).

    Six rows give 1, 6 or 3 iterations per epoch at batch sizes None, 1 and 2.
    """
    rng = random.Random(_check_seed(seed, "seed003"))
    X = [[round(rng.random(), 2) for _ in range(3)] for _ in range(6)]
    y = [[round(0.5 * a + 0.3 * b - 0.2 * c + 0.1, 4), round(a * c + 0.5 * b * b, 4)] for a, b, c in X]
    return X, y


def _check_classes(n, classes, name):
    classes = count(classes, f"{name}: classes", minimum=2)
    return count(n, f"{name}: n (the number of rows: one per class at least)", minimum=classes), classes


def spiral(
    n: int = 300, classes: int = 3, noise: float = 0.2, seed: int = 0
) -> tuple[list[list[float]], list[int]]:
    """``classes`` spiral arms from the centre out to radius 1, labelled 0 to classes − 1 (CS231n's set).

    Arm j's points sit at radius r from 0 to 1 and angle 2πj/classes + 4r (each
    arm turns 4 radians, as in CS231n); ``noise`` is the standard deviation of
    the Gaussian noise added to each point's angle, in radians (CS231n's 0.2).
    ``n`` rows in all.

    >>> X, y = spiral(300)
    >>> len(X), [y.count(c) for c in range(3)]
    (300, [100, 100, 100])
    """
    n, classes = _check_classes(n, classes, "spiral")
    noise, rng = _check_noise(noise, "spiral"), random.Random(_check_seed(seed, "spiral"))
    points, labels = [], []
    for j in range(classes):
        count = n // classes + (j < n % classes)
        for r in _linspace(0.0, 1.0, count):
            t = 2 * math.pi * j / classes + 4.0 * r + (rng.gauss(0.0, noise) if noise else 0.0)
            points.append((r * math.sin(t), r * math.cos(t)))
            labels.append(j)
    return _finish(points, labels, 0.0, range(classes), rng)


YIN_YANG_DOT = 0.2  # the radius of the two dots, in a symbol of radius 1 (the original set's ratio)


def yin_yang_class(x: float, y: float) -> int:
    """The class of a point of the unit disc in the yin-yang symbol: 0 yin, 1 yang, 2 a dot.

    The symbol is centred at the origin; its dots (radius 0.2) sit at (±0.5, 0).
    Yin is the upper half and the disc of radius 0.5 around the left dot,
    less the disc of radius 0.5 around the right dot (Kriener et al.'s
    yin-yang dataset, 2021, rescaled).

    >>> yin_yang_class(0.0, 0.9), yin_yang_class(0.0, -0.9), yin_yang_class(0.5, 0.0)
    (0, 1, 2)
    """
    return _yin_yang_class(real(x, "yin_yang_class: x"), real(y, "yin_yang_class: y"))


def _yin_yang_class(x, y):
    d_left, d_right = math.hypot(x + 0.5, y), math.hypot(x - 0.5, y)
    if d_left < YIN_YANG_DOT or d_right < YIN_YANG_DOT:
        return 2
    return 0 if d_left <= 0.5 or (y > 0.0 and d_right > 0.5) else 1


def yin_yang(n: int = 300, seed: int = 0) -> tuple[list[list[float]], list[int]]:
    """Points drawn uniformly in the yin-yang symbol of radius 1: classes 0 (yin), 1 (yang), 2 (the dots).

    Each class gets n/3 rows (the dots as many as yin and yang, though they are
    smaller: points are drawn until each class has its share).

    >>> X, y = yin_yang(30)
    >>> len(X), sorted(set(y)), all(a * a + b * b <= 1 for a, b in X)
    (30, [0, 1, 2], True)
    """
    n, _ = _check_classes(n, 3, "yin_yang")
    rng = random.Random(_check_seed(seed, "yin_yang"))
    points, labels = [], []
    for i in range(n):
        while True:  # uniform in the unit disc, kept if it falls in the class wanted
            x, y = rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)
            if x * x + y * y <= 1.0 and _yin_yang_class(x, y) == i % 3:
                break
        points.append((x, y))
        labels.append(i % 3)
    return _finish(points, labels, 0.0, range(3), rng)


def digits(
    test_size: float = 0.2, seed: int = 0
) -> tuple[list[list[float]], list[int], list[list[float]], list[int]]:
    """scikit-learn's 8×8 handwritten digits, as (X_train, y_train, X_test, y_test) of plain lists.

    Each row holds the 64 pixels in reading order, scaled from 0..16 to [0, 1];
    labels are the digits 0 to 9. The split is stratified and seeded: of every
    digit's images, ``round(test_size × count)`` go to the test rows, chosen by
    ``random.Random(seed)``; both parts are then shuffled. Of the 1,797 images,
    ``test_size=0.2`` gives 1,438 training and 359 test rows. Needs scikit-learn,
    which ships these images: ``pip install 'chainrule[data]'``.
    """
    test_size = setting(test_size, "digits: test_size (a fraction such as 0.2)", positive=True, below=1.0)
    seed = _check_seed(seed, "digits")
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError(
            "nn.data.digits needs scikit-learn, which ships the digits: pip install 'chainrule[data]'"
        ) from None
    bunch = load_digits()
    X = [[v / 16.0 for v in row] for row in bunch.data.tolist()]
    y = [int(t) for t in bunch.target.tolist()]
    fewest = min(y.count(d) for d in set(y))
    if not 0.5 < test_size * fewest < fewest - 0.5:  # then every digit has rows on both sides
        raise ValueError(
            f"digits: test_size={test_size!r} leaves some digit with no "
            f"{'test' if test_size * fewest <= 0.5 else 'training'} image (the rarest digit has {fewest}); "
            f"choose a test_size between {0.5 / fewest:.4f} and {1 - 0.5 / fewest:.4f}, such as 0.2"
        )
    rng = random.Random(seed)
    train, test = [], []
    for digit in sorted(set(y)):
        rows = [i for i, t in enumerate(y) if t == digit]
        rng.shuffle(rows)
        k = round(test_size * len(rows))
        test += rows[:k]
        train += rows[k:]
    rng.shuffle(train)
    rng.shuffle(test)
    return [X[i] for i in train], [y[i] for i in train], [X[i] for i in test], [y[i] for i in test]
