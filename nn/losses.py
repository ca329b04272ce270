"""Loss functions built from engine ops, so every step of the loss is in the graph.

Each loss takes ONE sample: its prediction (a Value, or a list of Values for a
network with several outputs) and its target (a number or Value, or a list of
them), and returns a Value. Over several outputs the loss is the mean (mse, bce,
hinge) or the half sum (half_sse) of the per-output terms. ``nn.fit`` averages
the per-sample losses over each batch with :func:`mean`.

- ``mse``: mean of (pred − true)²;
- ``half_sse``: ½Σ(pred − true)², the documents' E (seeds 002 and 003);
- ``bce``: binary cross-entropy from a logit z (labels 0/1), stable for any z;
- ``hinge``: max(0, 1 − y·score) with labels −1/+1 (micrograd's demo);
- ``l2``: the penalty α·Σp² over a list of parameters.

Targets are checked: hinge needs labels −1 or +1, bce labels 0/1 or
probabilities in [0, 1] (soft targets), mse and half_sse finite numbers. A
target of the wrong convention raises ValueError naming the loss, what it needs
and the target (and, from ``loss.check_targets(y)``, its row), so 0/1 labels
given to hinge fail at once instead of training quietly on the wrong convention.

    >>> hinge.check_targets([1, -1, 0])
    Traceback (most recent call last):
    ...
    ValueError: hinge loss needs labels -1 or +1, got 0 (row 2); map 0/1 labels with y = 2*y - 1

    >>> from engine import Value
    >>> half_sse([Value(0.5), Value(2.0)], [0.0, 1.0]).data  # ½(0.5² + 1²)
    0.625
"""

import decimal
import math
import numbers
from collections.abc import Callable, Iterable, Sequence

import engine
from engine import Value
from engine.numbers import is_real, real, setting

from .multiclass import cross_entropy


def _pairs(pred, target, loss):
    """The prediction and target as two equally long lists; a prediction that is a plain number
    becomes a constant Value (as cross_entropy's scores do), anything else a TypeError."""
    preds = pred if isinstance(pred, (list, tuple)) else [pred]
    targets = target if isinstance(target, (list, tuple)) else [target]
    if len(preds) != len(targets):
        raise ValueError(
            f"the prediction has {len(preds)} outputs but the target has {len(targets)}; "
            "give one target per output"
        )
    if not preds:
        raise ValueError("a loss needs at least one prediction")
    if all(p.__class__ is Value for p in preds):
        return preds, targets
    return [p if isinstance(p, Value) else Value(real(p, f"{loss}: a prediction")) for p in preds], targets


def _float(t):
    """A target as a float (inf when too large for one), or None when it is not a real number."""
    if isinstance(t, Value):
        return t.data
    if not isinstance(t, (numbers.Real, decimal.Decimal)):  # what a Value can hold
        return None
    try:
        return float(t)
    except OverflowError:  # an int beyond the float range
        return math.inf


class _Targets:
    """What one loss needs of its targets: ``accepts(t)`` for one target number, and
    ``hint(t)``, how to fix a common mistake (0/1 labels given to hinge)."""

    def __init__(self, loss, needs, accepts, hint=lambda t: ""):
        self.loss, self.needs, self.accepts, self.hint = loss, needs, accepts, hint

    def error(self, t, row=None, output=None):
        where = ", ".join(f"{k} {i}" for k, i in (("row", row), ("output", output)) if i is not None)
        hint = self.hint(t)
        return ValueError(
            f"{self.loss} loss needs {self.needs}, got {t!r}"
            + (f" ({where})" if where else "")
            + (f"; {hint}" if hint else "")
        )

    def check(self, targets, row=None):
        """Raise for the first of one sample's targets that is not allowed."""
        for i, t in enumerate(targets):
            if not self.accepts(t):
                raise self.error(t, row, i if len(targets) > 1 else None)

    def check_all(self, y):
        """Raise for the first target of any row of ``y`` that is not allowed, naming its row."""
        if isinstance(y, (str, bytes)) or not hasattr(y, "__iter__"):
            raise ValueError(f"check_targets takes the targets y, one per row; got {type(y).__name__}")
        for row, target in enumerate(y):
            self.check(target if isinstance(target, (list, tuple)) else [target], row)


def _targets(loss, needs, accepts, hint=lambda t: ""):
    """Give ``loss`` its ``check_targets(y)`` (fit runs it before training); return the rule."""
    rule = _Targets(loss.__name__, needs, accepts, hint)
    loss.check_targets = rule.check_all
    return rule


def _total(terms):
    """One term as it is, several summed in one Σ node."""
    return terms[0] if len(terms) == 1 else engine.sum(terms)


def mean(values: Sequence[Value]) -> Value:
    """The mean of a list of Values: one Σ node, then × 1/n (as micrograd's demo).

    >>> mean([Value(1.0), Value(2.0)]).data
    1.5
    """
    values = values if isinstance(values, (list, tuple)) else list(values)
    if not values:
        raise ValueError("the mean of no values is undefined; give at least one")
    if len(values) == 1:
        return values[0]
    return engine.sum(values) * (1.0 / len(values))


def mse(pred: Value | Sequence[Value], target: float | Value | Sequence[float | Value]) -> Value:
    """Mean squared error, mean over the outputs of (pred − true)².

    >>> mse(Value(3.0), 1.0).data
    4.0
    """
    preds, targets = _pairs(pred, target, "mse")
    _MSE.check(targets)
    return mean([(p - t) ** 2 for p, t in zip(preds, targets)])


def half_sse(pred: Value | Sequence[Value], target: float | Value | Sequence[float | Value]) -> Value:
    """Half the sum of squares, ½Σ(pred − true)², built as Σ ½(true − pred)² as seed 002 writes E.

    Its derivative with respect to each prediction is simply (pred − true).
    """
    preds, targets = _pairs(pred, target, "half_sse")
    _HALF_SSE.check(targets)
    return _total([0.5 * (t - p) ** 2 for p, t in zip(preds, targets)])


def bce(logit: Value | Sequence[Value], target: float | Value | Sequence[float | Value]) -> Value:
    """Binary cross-entropy from a logit z (the pre-sigmoid score) and a label y in {0, 1}.

    A soft target, a probability y in [0, 1], is allowed too (the same formula,
    as PyTorch's BCEWithLogitsLoss); anything else raises ValueError.

    Computed as softplus(z) − z·y, with softplus written so exp never overflows:
    log(1 + eᶻ) for z < 0 and z + log(1 + e⁻ᶻ) otherwise. Its derivative is
    σ(z) − y everywhere, even for ``|z|`` in the thousands.

    >>> round(bce(Value(0.0), 1).data, 6)  # log 2
    0.693147
    >>> bce(Value(1000.0), 1).data
    0.0
    """
    preds, targets = _pairs(logit, target, "bce")
    _BCE.check(targets)
    terms = []
    for z, y in zip(preds, targets):
        if z.data < 0.0:
            softplus = (z.exp() + 1.0).log()
        else:
            softplus = z + ((-z).exp() + 1.0).log()
        terms.append(softplus - z * y if isinstance(y, Value) else softplus + z * -float(y))
    return mean(terms)


bce.label_threshold = 0.5  # type: ignore[attr-defined] # for accuracy: a label > 0.5 is the positive class, scored by z > 0


def hinge(score: Value | Sequence[Value], target: float | Value | Sequence[float | Value]) -> Value:
    """Hinge (max-margin) loss max(0, 1 − y·score) for a label y in {−1, +1}, as in micrograd's demo.

    >>> hinge(Value(0.5), 1).data
    0.5
    >>> hinge(Value(2.0), 1).data
    0.0
    """
    preds, targets = _pairs(score, target, "hinge")
    _HINGE.check(targets)
    return mean([(1 + -y * s).relu() for s, y in zip(preds, targets)])


hinge.label_threshold = 0.0  # type: ignore[attr-defined] # for accuracy: labels are −1/+1, scored by score > 0


def l2(params: Iterable[Value], alpha: float = 1e-4) -> Value:
    """The L2 penalty α·Σp² over ``params`` (add it to the data loss).

    >>> l2([Value(1.0), Value(-2.0)], alpha=0.5).data
    2.5
    """
    alpha = check_penalty(alpha, "l2's alpha")
    if isinstance(params, (str, bytes)) or not hasattr(params, "__iter__"):
        raise TypeError(f"l2 takes a list of parameters (model.parameters()), not {type(params).__name__}")
    params = list(params)
    if not params:
        raise ValueError("l2 needs at least one parameter")
    return alpha * engine.sum([p * p for p in params])


def check_penalty(alpha: float, what: str = "the L2 penalty") -> float:
    """A penalty weight as a float: a setting >= 0 (0 means no penalty), by the number rule."""
    return setting(alpha, what)


# What each loss accepts as one target (a fast path first for a plain float or int), and
# the hint for a common mistake.
def _finite(t):
    if t.__class__ is float:
        return t - t == 0.0  # false for NaN and ±inf
    return math.isfinite(t.data) if isinstance(t, Value) else is_real(t)  # the number rule


def _sign(t):
    if t.__class__ is int or t.__class__ is float:
        return t == 1 or t == -1
    return _float(t) in (-1.0, 1.0)


def _probability(t):
    if t.__class__ is int or t.__class__ is float:
        return 0 <= t <= 1  # false for NaN
    v = _float(t)
    return v is not None and 0.0 <= v <= 1.0


def _hinge_hint(t):
    v = _float(t)
    if v == 0.0:
        return "map 0/1 labels with y = 2*y - 1"
    return "hinge is a two-class loss" if v is not None and v.is_integer() else ""


def _bce_hint(t):
    return "map -1/+1 labels with y = (y + 1) / 2" if _float(t) == -1.0 else ""


_MSE = _targets(mse, "finite numbers as targets", _finite)
_HALF_SSE = _targets(half_sse, "finite numbers as targets", _finite)
_BCE = _targets(bce, "labels 0 or 1 (or probabilities in [0, 1])", _probability, _bce_hint)
_HINGE = _targets(hinge, "labels -1 or +1", _sign, _hinge_hint)

LOSSES: dict[str, Callable[..., Value]] = {"mse": mse, "half_sse": half_sse, "bce": bce, "hinge": hinge}
LOSSES["cross_entropy"] = cross_entropy  # more than two classes: nn/multiclass.py
