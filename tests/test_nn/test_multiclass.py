"""Tests for nn.multiclass: softmax, log_softmax, cross_entropy on one logsumexp node; fit with classes."""

import doctest
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
import nn.multiclass
from engine import Value
from engine.tools.checking import gradcheck, gradgradcheck
from engine.tools.strategies import examples
from nn import MLP, Adam, cross_entropy, data, fit, log_softmax, predict, softmax

logits = st.lists(st.floats(-30.0, 30.0, allow_nan=False), min_size=2, max_size=6)


def test_docstring_examples():
    """The example in nn.multiclass's docstring runs and gives ∂E/∂z_k = p_k − y_k."""
    assert doctest.testmod(nn.multiclass).failed == 0


@given(logits)
def test_softmax_is_a_distribution_and_log_softmax_its_log(zs):
    """softmax gives probabilities summing to 1, equal to e^z_k / Σe^z_j; log_softmax is their log."""
    ps = [p.data for p in softmax([Value(z) for z in zs])]
    total = math.fsum(math.exp(z - max(zs)) for z in zs)
    assert math.fsum(ps) == pytest.approx(1.0, abs=1e-12)
    assert ps == pytest.approx([math.exp(z - max(zs)) / total for z in zs], rel=1e-9, abs=1e-300)
    logs = [v.data for v in log_softmax([Value(z) for z in zs])]
    assert logs == pytest.approx([z - max(zs) - math.log(total) for z in zs], rel=1e-9, abs=1e-9)


def test_stable_for_huge_scores():
    """Scores in the thousands neither overflow nor lose the answer: softmax([1000, 0]) ≈ [1, 0]."""
    zs = [Value(1000.0), Value(0.0), Value(-1000.0)]
    assert [round(p.data, 12) for p in softmax(zs)] == [1.0, 0.0, 0.0]
    E = cross_entropy(zs, 1)
    assert E.data == pytest.approx(1000.0)
    E.backward()
    assert [z.grad for z in zs] == pytest.approx([1.0, -1.0, 0.0])


@settings(examples(1))
@given(logits, st.data())
def test_cross_entropy_gradient_is_p_minus_y(zs, draw):
    """∂E/∂z_k = p_k − y_k for every class k, and it agrees with central finite differences."""
    y = draw.draw(st.integers(0, len(zs) - 1))
    leaves = [Value(z) for z in zs]
    E = cross_entropy(leaves, y)
    E.backward()
    ps = [p.data for p in softmax([Value(z) for z in zs])]
    assert [v.grad for v in leaves] == pytest.approx([p - (k == y) for k, p in enumerate(ps)], abs=1e-12)
    small = [max(-5.0, min(5.0, z)) for z in zs]  # finite differences are fair for moderate scores
    assert gradcheck(lambda *z: cross_entropy(list(z), y), small).ok
    assert gradgradcheck(lambda *z: cross_entropy(list(z), y), small).ok


def test_a_trace_shows_p_minus_y_in_two_steps():
    """explain(E, z_y) reads ∂E/∂z_y as two paths, p_y through logsumexp and −1 through − z_y; others p_k."""
    zs = [Value(v, label=f"z{k + 1}") for k, v in enumerate((2.0, 1.0, 0.1))]
    E = cross_entropy(zs, 0)
    E.label = "E"
    t = engine.trace(E)
    ps = [p.data for p in softmax([Value(z.data) for z in zs])]
    true = engine.explain(t, zs[0])
    assert true.n_paths == 2 and true.total == pytest.approx(ps[0] - 1.0)
    assert sorted(p.value for p in true.paths) == pytest.approx([-1.0, ps[0]])
    text = str(true)
    assert f"= 1.00000 × {ps[0]:.5f} = {ps[0]:.5f}" in text and "-1.00000" in text
    for k in (1, 2):
        other = engine.explain(t, zs[k])
        assert other.n_paths == 1 and other.total == pytest.approx(ps[k])
    rows = str(t)  # each z_k's step through the logsumexp node reads exp(z_k - logsumexp)
    assert "exp(z2 − lse)" in rows and "logΣexp" in rows


def test_matches_torch_cross_entropy():
    """The loss and ∂E/∂z equal torch.nn.functional.cross_entropy's in float64 (torch extra)."""
    torch = pytest.importorskip("torch", reason="the torch extra is not installed")
    rng = random.Random(0)
    for _ in range(50):
        k = rng.randint(2, 10)
        zs = [rng.uniform(-20, 20) for _ in range(k)]
        y = rng.randrange(k)
        leaves = [Value(z) for z in zs]
        E = cross_entropy(leaves, y)
        E.backward()
        t = torch.tensor([zs], dtype=torch.float64, requires_grad=True)
        loss = torch.nn.functional.cross_entropy(t, torch.tensor([y]))
        loss.backward()
        assert E.data == pytest.approx(loss.item(), rel=1e-12, abs=1e-12)
        assert [v.grad for v in leaves] == pytest.approx(t.grad[0].tolist(), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(
    "label, message",
    [
        (3, r"0 ≤ label < 3 \(3 classes, one per output\), got 3"),
        (-1, r"0 ≤ label < 3 \(3 classes, one per output\), got -1"),
        (1.5, "integer class labels 0, 1, ..., k - 1, got 1.5"),
        (True, "integer class labels"),
        ("a", "integer class labels"),
    ],
)
def test_bad_labels_are_clear_errors(label, message):
    """A label that is not an integer 0 ≤ y < k is a ValueError saying what labels are needed."""
    with pytest.raises(ValueError, match=message):
        cross_entropy([Value(0.0), Value(1.0), Value(2.0)], label)


def test_too_few_scores():
    """One score is not a distribution: the error says to give one output per class."""
    with pytest.raises(ValueError, match="one output per class"):
        cross_entropy(Value(1.0), 0)


def weights(model):
    return [p.data for p in model.parameters()]


@pytest.mark.parametrize(
    "bad, row, message", [(3, 4, "0 ≤ label < 3"), (-2, 7, "0 ≤ label"), (0.5, 2, "integer")]
)
def test_fit_checks_every_label_before_training(bad, row, message):
    """fit(loss="cross_entropy") checks each label against the model's outputs first, naming the row."""
    X, y = data.spiral(30, seed=0)
    y = list(y)
    y[row] = bad
    random.seed(0)
    model = MLP(2, [8, 3])
    start = weights(model)
    with pytest.raises(ValueError, match=rf"{message}.*\(row {row}\)"):
        fit(model, X, y, loss="cross_entropy", batch_size=1, progress=False)
    assert weights(model) == start


def test_fit_refuses_a_single_output_model():
    """Cross-entropy over one output is refused before training, pointing at one output per class."""
    X, y = data.spiral(30, seed=0)
    random.seed(0)
    with pytest.raises(ValueError, match="one output per class"):
        fit(MLP(2, [8, 1]), X, [t % 2 for t in y], loss="cross_entropy", progress=False)


def test_fit_learns_the_spiral_with_cross_entropy():
    """With loss="cross_entropy" fit learns the 3-class spiral; accuracy is predict(classes=True)'s argmax."""
    X, y = data.spiral(90, seed=0)
    X_val, y_val = data.spiral(60, seed=1)
    random.seed(0)
    model = MLP(2, [16, 16, 3])
    history = fit(
        model, X, y, loss="cross_entropy", optimizer=Adam(model.parameters(), lr=0.05), epochs=25,
        validation=(X_val, y_val), progress=False,
    )  # fmt: skip
    assert history.accuracy[0] < 0.6 and history.accuracy[-1] > 0.85 and history.val_accuracy[-1] > 0.85
    classes = predict(model, X_val, classes=True)
    assert history.val_accuracy[-1] == sum(c == t for c, t in zip(classes, y_val)) / len(y_val)
    assert history.val_loss[-1] < history.val_loss[0]


def test_predict_classes():
    """predict(classes=True) gives the index of the largest output; a one-output model is refused."""
    model = MLP.from_weights([[[1.0], [-1.0], [0.0]]], [[0.0, 0.0, 0.5]])
    assert predict(model, [[2.0], [-2.0], [0.1]], classes=True) == [0, 1, 2]
    with pytest.raises(ValueError, match="one output per class"):
        predict(MLP.from_weights([[[1.0]]], [[0.0]]), [[1.0]], classes=True)
