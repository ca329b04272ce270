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

    >>> from engine import Value
    >>> half_sse([Value(0.5), Value(2.0)], [0.0, 1.0]).data  # ½(0.5² + 1²)
    0.625
"""

import engine
from engine import Value


def _pairs(pred, target):
    """The prediction and target as two equally long lists."""
    preds = pred if isinstance(pred, (list, tuple)) else [pred]
    targets = target if isinstance(target, (list, tuple)) else [target]
    if len(preds) != len(targets):
        raise ValueError(
            f"the prediction has {len(preds)} outputs but the target has {len(targets)}; "
            "give one target per output"
        )
    if not preds:
        raise ValueError("a loss needs at least one prediction")
    return preds, targets


def _total(terms):
    """One term as it is, several summed in one Σ node."""
    return terms[0] if len(terms) == 1 else engine.sum(terms)


def mean(values):
    """The mean of a list of Values: one Σ node, then × 1/n (as micrograd's demo).

    >>> mean([Value(1.0), Value(2.0)]).data
    1.5
    """
    if not values:
        raise ValueError("the mean of no values is undefined; give at least one")
    if len(values) == 1:
        return values[0]
    return engine.sum(values) * (1.0 / len(values))


def mse(pred, target):
    """Mean squared error, mean over the outputs of (pred − true)².

    >>> mse(Value(3.0), 1.0).data
    4.0
    """
    preds, targets = _pairs(pred, target)
    return mean([(p - t) ** 2 for p, t in zip(preds, targets)])


def half_sse(pred, target):
    """Half the sum of squares, ½Σ(pred − true)², built as Σ ½(true − pred)² as seed 002 writes E.

    Its derivative with respect to each prediction is simply (pred − true).
    """
    preds, targets = _pairs(pred, target)
    return _total([0.5 * (t - p) ** 2 for p, t in zip(preds, targets)])


def bce(logit, target):
    """Binary cross-entropy from a logit z (the pre-sigmoid score) and a label y in {0, 1}.

    Computed as softplus(z) − z·y, with softplus written so exp never overflows:
    log(1 + eᶻ) for z < 0 and z + log(1 + e⁻ᶻ) otherwise. Its derivative is
    σ(z) − y everywhere, even for |z| in the thousands.

    >>> round(bce(Value(0.0), 1).data, 6)  # log 2
    0.693147
    >>> bce(Value(1000.0), 1).data
    0.0
    """
    preds, targets = _pairs(logit, target)
    terms = []
    for z, y in zip(preds, targets):
        if z.data < 0.0:
            softplus = (z.exp() + 1.0).log()
        else:
            softplus = z + ((-z).exp() + 1.0).log()
        terms.append(softplus - z * y if isinstance(y, Value) else softplus + z * -float(y))
    return mean(terms)


bce.label_threshold = 0.5  # for accuracy: a label > 0.5 is the positive class, scored by z > 0


def hinge(score, target):
    """Hinge (max-margin) loss max(0, 1 − y·score) for a label y in {−1, +1}, as in micrograd's demo.

    >>> hinge(Value(0.5), 1).data
    0.5
    >>> hinge(Value(2.0), 1).data
    0.0
    """
    preds, targets = _pairs(score, target)
    return mean([(1 + -y * s).relu() for s, y in zip(preds, targets)])


hinge.label_threshold = 0.0  # for accuracy: labels are −1/+1, scored by score > 0


def l2(params, alpha=1e-4):
    """The L2 penalty α·Σp² over ``params`` (add it to the data loss).

    >>> l2([Value(1.0), Value(-2.0)], alpha=0.5).data
    2.5
    """
    params = list(params)
    if not params:
        raise ValueError("l2 needs at least one parameter")
    return alpha * engine.sum([p * p for p in params])


LOSSES = {"mse": mse, "half_sse": half_sse, "bce": bce, "hinge": hinge}
