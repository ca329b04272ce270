"""Training: ``fit`` runs epochs of forward, backward and update, in the three regimes.

An epoch is one pass over the data, an iteration one update, and the batch size
says how the rows are grouped (seed 003):

- ``batch_size=None``: batch gradient descent, all rows in one batch, 1 iteration per epoch;
- ``batch_size=1``: stochastic gradient descent, one row per iteration (n per epoch);
- ``batch_size=k``: mini-batch gradient descent, ⌈n/k⌉ iterations per epoch. When k does
  not divide n the last batch is short (n mod k rows) and is kept; as every batch's,
  its loss is the mean over its own rows.

The loss of a batch is the mean of the per-sample losses, plus the optional L2
penalty over all the model's parameters. Rows are shuffled at every epoch by a
``random.Random(seed)`` of their own (the global ``random`` is not touched), except
in batch gradient descent where the order cannot matter and the rows stay in order.

Early stopping: with ``tol=τ`` training stops after the first epoch in which no
trained parameter moved by more than τ, i.e. max |Δp| over the epoch < τ: the
update is no longer significant (seed 003's τ; seed 000's "step size close to 0").

    >>> import random; from nn import MLP, data
    >>> random.seed(0)
    >>> X, y = data.seed003()
    >>> model = MLP(3, [5, 2], activation="sigmoid")
    >>> [fit(model, X, y, loss="half_sse", epochs=1, batch_size=b, progress=False).iterations_per_epoch
    ...  for b in (None, 1, 2)]
    [1, 6, 3]
"""

import random
import warnings
from dataclasses import dataclass, field

import engine
from engine import Value

from . import losses as _losses
from .optim import SGD


@dataclass
class History:
    """What ``fit`` measured.

    ``loss``: the loss of every iteration (its batch's loss, before its update);
    ``lr``: the learning rate of every iteration; ``epoch_loss``: per epoch, the
    mean of its iterations' losses weighted by their rows (the mean per-row loss
    seen during the epoch); ``accuracy``: per epoch, the fraction of rows
    classified right as they were seen (None for regression losses); ``update``:
    per epoch, the largest change of any trained parameter, max |Δp|.
    """

    iterations_per_epoch: int
    loss: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    epoch_loss: list = field(default_factory=list)
    accuracy: list = None
    update: list = field(default_factory=list)
    stopped_early: bool = False

    @property
    def epochs(self):
        """How many epochs ran."""
        return len(self.epoch_loss)

    @property
    def iterations(self):
        """How many updates were made."""
        return len(self.loss)


def fit(
    model,
    X,
    y,
    loss="mse",
    optimizer=None,
    epochs=100,
    batch_size=None,
    *,
    lr=0.1,
    params=None,
    l2=0.0,
    shuffle=True,
    seed=0,
    tol=None,
    progress=True,
    compile=False,
):
    """Train ``model`` on rows ``X`` with targets ``y``; returns a :class:`History`.

    ``loss`` is a function of (prediction, target) for one sample, or a name:
    "mse", "half_sse", "bce" or "hinge". ``optimizer`` defaults to ``SGD(params,
    lr)``, where ``params`` defaults to all the model's parameters: pass
    ``params=[bias]`` to train only that bias (the others stay fixed). ``l2`` adds
    l2·Σp² over all parameters. ``tol`` stops early (see the module notes).
    ``progress=False`` hides the progress bar (tqdm: a widget inside Jupyter);
    ``progress="text"`` asks for tqdm's text bar even there. ``compile=True`` trains with
    one sample's forward and backward pass generated once as Python (:mod:`nn.compiled`):
    the same losses and updates as the graph, many times faster (losses mse, half_sse, hinge).

    Accuracy is recorded for losses that carry a ``label_threshold`` (hinge:
    labels ±1, bce: labels 0/1): a row counts as right when every output's score
    is > 0 exactly when its label is > the threshold.
    """
    loss_fn = _losses.LOSSES.get(loss) if isinstance(loss, str) else loss
    if not callable(loss_fn):
        raise ValueError(
            f"unknown loss {loss!r}; choose one of {', '.join(_losses.LOSSES)} or pass a function"
        )
    X, y = list(X), list(y)
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)} targets; give one target per row")
    if not X:
        raise ValueError("fit needs at least one row of data")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a whole number >= 1, got {epochs!r}")
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1
    ):
        raise ValueError(
            f"batch_size must be None (the whole set) or a whole number >= 1, got {batch_size!r}"
        )
    if optimizer is not None and params is not None:
        raise ValueError("give params to the optimizer (SGD(params, lr)) or to fit, not both")
    if tol is not None and not tol >= 0:
        raise ValueError(f"tol must be a number >= 0, got {tol!r}")
    all_params = model.parameters()
    if optimizer is None:
        optimizer = SGD(all_params if params is None else params, lr)
    trained = optimizer.params
    in_model = set(map(id, all_params))
    to_zero = all_params + [p for p in trained if id(p) not in in_model]

    step = None
    if compile:
        from .compiled import BatchStep

        step = BatchStep(model, loss_fn, X, y)
        Xc, yc = step.rows(X, y)
    n = len(X)
    size = n if batch_size is None else min(batch_size, n)
    batches = [range(start, min(start + size, n)) for start in range(0, n, size)]
    threshold = getattr(loss_fn, "label_threshold", None)
    history = History(len(batches), accuracy=[] if threshold is not None else None)
    order = list(range(n))
    rng = random.Random(seed)
    bar = _progress_bar(progress, total=epochs, disable=not progress, desc="training", unit="epoch")
    try:
        for _ in range(epochs):
            if shuffle and len(batches) > 1:
                rng.shuffle(order)
            before = [p.data for p in trained]
            total, right = 0.0, 0
            for batch in batches:
                rows = [order[i] for i in batch]
                if step is None:  # the graph: forward, then backward through it
                    preds = [model(X[r]) for r in rows]
                    L = _losses.mean([loss_fn(p, y[r]) for p, r in zip(preds, rows)])
                    if l2:
                        L = L + _losses.l2(all_params, l2)
                    for p in to_zero:
                        p.grad = 0.0
                    L.backward()
                else:  # the generated program (nn.compiled): the same numbers, no graph
                    for p in to_zero:
                        p.grad = 0.0
                    L, preds = step([Xc[r] for r in rows], [yc[r] for r in rows], l2)
                    L = Value(L)
                history.loss.append(L.data)
                history.lr.append(optimizer.lr)
                optimizer.step()
                total += L.data * len(rows)
                if threshold is not None:
                    right += sum(_is_right(p, y[r], threshold) for p, r in zip(preds, rows))
            history.epoch_loss.append(total / n)
            history.update.append(max(abs(p.data - b) for p, b in zip(trained, before)))
            postfix = {"loss": f"{total / n:.4g}"}
            if threshold is not None:
                history.accuracy.append(right / n)
                postfix["accuracy"] = f"{right / n:.1%}"
            bar.set_postfix(postfix, refresh=False)
            bar.update(1)
            if tol is not None and history.update[-1] < tol:
                history.stopped_early = True
                break
    finally:
        bar.close()
    return history


def predict(model, X):
    """The model's outputs for rows ``X`` as plain floats (or lists of floats), with no graph kept.

    >>> from nn import MLP
    >>> predict(MLP.from_weights([[[2.0]]], [[1.0]]), [[0.5], [1.0]])
    [2.0, 3.0]
    """
    with engine.no_grad():
        outs = [model(x) for x in X]
    return [[v.data for v in out] if isinstance(out, list) else out.data for out in outs]


def _is_right(pred, target, threshold):
    preds = pred if isinstance(pred, list) else [pred]
    targets = target if isinstance(target, (list, tuple)) else [target]
    return all((float(p) > 0.0) == (float(t) > threshold) for p, t in zip(preds, targets))


def _progress_bar(kind, **options):
    """A tqdm bar: the notebook widget inside Jupyter, else (or without ipywidgets) the text bar."""
    from tqdm import TqdmWarning
    from tqdm import tqdm as text_bar

    if kind == "text":  # a text bar even in Jupyter: it stays readable in saved notebooks
        return text_bar(**options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TqdmWarning)  # Jupyter without ipywidgets: the text bar is fine
        from tqdm.auto import tqdm as auto_bar
    try:
        return auto_bar(**options)
    except ImportError:  # the notebook bar could not make its widget
        return text_bar(**options)
