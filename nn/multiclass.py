"""More than two classes: softmax, log-softmax and the cross-entropy loss, on one logsumexp node.

A network with k outputs gives k scores (logits) z_1..z_k. Softmax turns them
into probabilities p_k = e^(z_k) / Σ_j e^(z_j) = exp(z_k − logsumexp(z)), and
the cross-entropy of the true class y is

    E = −log p_y = logsumexp(z) − z_y.

The logsumexp is ONE node of the graph (``engine.logsumexp``, labelled "lse"), whose local
derivative is ∂logsumexp/∂z_k = exp(z_k − logsumexp) = p_k. So a trace of E
shows the familiar result in two readable steps: every z_k gets p_k from the
logsumexp node, and the true class's z_y gets −1 more from the "− z_y" term:

    ∂E/∂z_k = p_k − y_k   (y_k = 1 for the true class, 0 for the others).

Labels are integer class indices 0 ≤ y < k, checked (a clear ValueError
otherwise). With ``nn.fit(..., loss="cross_entropy")`` accuracy is arg-max
accuracy, and ``nn.predict(model, X, classes=True)`` gives the arg-max classes.

    >>> from engine import Value
    >>> z = [Value(2.0), Value(1.0), Value(0.1)]
    >>> [round(p.data, 4) for p in softmax(z)]
    [0.659, 0.2424, 0.0986]
    >>> E = cross_entropy(z, 0)
    >>> E.backward()
    >>> [round(v.grad, 4) for v in z]  # p_k − y_k
    [-0.341, 0.2424, 0.0986]
"""

from collections.abc import Sequence

import engine
from engine import Value
from engine.numbers import is_real, real


def _logits(logits):
    """The scores as a list of Values (a single Value is one class: not enough)."""
    zs = list(logits) if isinstance(logits, (list, tuple)) else [logits]
    if len(zs) < 2:
        raise ValueError(
            f"softmax and cross_entropy need the scores of at least 2 classes, got {len(zs)}; "
            "give the model one output per class (e.g. MLP(2, [16, 3]) for 3 classes)"
        )
    return [z if isinstance(z, Value) else Value(z) for z in zs]


def softmax(logits: list) -> list:
    """The probabilities p_k = exp(z_k − logsumexp(z)) as Values (they sum to 1), stable for any z."""
    zs = _logits(logits)
    minus_lse = -engine.logsumexp(zs)
    return [(z + minus_lse).exp() for z in zs]


def log_softmax(logits: list) -> list:
    """log p_k = z_k − logsumexp(z) as Values: finite even where p_k underflows to 0."""
    zs = _logits(logits)
    lse = engine.logsumexp(zs)
    return [z - lse for z in zs]


def label(target: float | Value, classes: int | None = None, row: int | None = None) -> int:
    """A class label as an int, checked: an integer 0 ≤ label < classes (when known); else ValueError."""
    where = f" (row {row})" if row is not None else ""
    if isinstance(target, Value):
        target = target.data
    # the number rule; 2.0 is class 2, but a label is an index, as a count: not a bool
    ok = not isinstance(target, bool) and is_real(target) and float(target).is_integer()
    if not ok:
        raise ValueError(
            f"cross_entropy needs integer class labels 0, 1, ..., k - 1, got {target!r}{where}; "
            "give each row the index of its class"
        )
    y = int(real(target))  # checked above: an integral number
    if y < 0 or (classes is not None and y >= classes):
        bound = f"0 ≤ label < {classes} ({classes} classes, one per output)" if classes else "0 ≤ label"
        raise ValueError(f"cross_entropy needs {bound}, got {y}{where}")
    return y


def cross_entropy(logits: list, class_index: int) -> Value:
    """E = −log softmax(z)_y = logsumexp(z) − z_y for the scores z and the true class y (an index).

    ∂E/∂z_k = p_k − y_k, with p = softmax(z) and y the one-hot vector of the class.
    """
    zs = _logits(logits)
    y = label(class_index, len(zs))
    lse = engine.logsumexp(zs)
    lse.label = "lse"  # a named node, so traces and explain() show its step: ∂lse/∂z_k = exp(z_k − lse) = p_k
    return lse - zs[y]


def argmax(scores: Sequence[Value | float]) -> int:
    """The index of the largest score (Values or floats); the first one at a tie."""
    values = [s.data if isinstance(s, Value) else s for s in scores]
    return max(range(len(values)), key=values.__getitem__)


def _check_targets(y):
    """fit's check before training: every label an integer >= 0 (the class count is checked by
    ``check_outputs`` against the model)."""
    if isinstance(y, (str, bytes)) or not hasattr(y, "__iter__"):
        raise ValueError(
            f"check_targets takes the targets y, one class label per row; got {type(y).__name__}"
        )
    for row, t in enumerate(y):
        label(t, row=row)


def _check_outputs(out, y):
    """Every label against the number of the model's outputs: 0 ≤ label < k."""
    k = len(out) if isinstance(out, list) else 1
    if k < 2:
        raise ValueError(
            f"cross_entropy needs a model with one output per class (2 or more), this one has {k}; "
            "for two classes with one output use loss='bce'"
        )
    for row, t in enumerate(y):
        label(t, k, row)


cross_entropy.check_targets = _check_targets  # type: ignore[attr-defined]
cross_entropy.check_outputs = _check_outputs  # type: ignore[attr-defined]
cross_entropy.is_right = lambda pred, target: argmax(pred) == label(target)  # type: ignore[attr-defined]

__all__ = ["softmax", "log_softmax", "cross_entropy", "argmax", "label"]
