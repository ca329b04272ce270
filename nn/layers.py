"""The layer view: one recorded pass of a network, its scalar steps regrouped as seed 001's matrices.

Seed 001 writes a network one layer at a time, a^(l) = σ(z^(l)) with z^(l) = W^(l) a^(l−1) + b^(l),
and backpropagation as one formula per layer:

- δ^(L) = ∂E/∂a^(L) ⊙ σ′(z^(L)), the error of the output layer;
- δ^(l) = (W^(l+1))ᵀ δ^(l+1) ⊙ σ′(z^(l)), each layer's error from the next one's;
- ∂E/∂W^(l) = δ^(l) (a^(l−1))ᵀ and ∂E/∂b^(l) = δ^(l) (summed over the layer's neurons when
  the layer shares one bias, as seed 002's b1 and b2 are).

For a batch of N samples the columns are the samples and the loss is the mean over them
(seed 003), so every δ^(l) read from the graph already carries the 1/N of that mean, and
δ^(l) (a^(l−1))ᵀ, a sum over the columns, is the mean of the samples' gradients.

:func:`layer_view` reads every one of those numbers from the Trace of one backward pass:
each entry of δ, σ′, ∂E/∂a, ∂E/∂W and ∂E/∂b is the sum of the chain-rule steps it names
(a derivative the trace has is never computed again), and the view checks that the
matrix formulas give the same numbers (:meth:`LayerView.residuals`). :func:`layer_code`
writes the formulas as NumPy, one line per formula in the documents' names
(``delta2 = (a2 - Y) / N * (a2 * (1 - a2))``, ``dW2 = delta2 @ a1.T``), the code that
``nn.fit(..., compile="layers")`` runs over each batch (:mod:`nn._matrix`).

    >>> import nn
    >>> view = layer_view(nn.seed002())
    >>> [f"{d:.6f}" for d in view.layers[-1].delta[:, 0]]  # δ^(2), read from steps 6 and 15
    ['0.135492', '-0.038954']
    >>> view.layers[-1].steps["delta"][0][0]
    (6,)
"""

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import engine
from engine import Value, markup
from engine.tools.compiling import Source

from . import losses as _losses
from .examples import Seed002
from .module import MLP

# σ′ as NumPy, from a^(l) (and z^(l)), exactly as the rule table writes each activation's partial
_SIGMA_PRIME = {
    "sigmoid": "{a} * (1 - {a})",
    "tanh": "1 - {a} * {a}",
    "relu": "({z} > 0)",
    "linear": None,  # a = z: σ′ = 1, no factor
}
_ACTIVATION_CODE = {"sigmoid": "sigmoid({z})", "tanh": "np.tanh({z})", "relu": "relu({z})", "linear": "{z}"}
_HELPERS = {
    "sigmoid": [
        "def sigmoid(z):",
        "    e = np.exp(-np.abs(z))  # the engine's stable σ: 1/(1 + e^-z) for z >= 0, e^z/(1 + e^z) below",
        "    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))",
    ],
    "relu": ["def relu(z):", "    return np.maximum(z, 0.0)"],
}
LOSS_NAMES = ("half_sse", "mse", "hinge", "bce", "cross_entropy")  # the losses the layer form writes


class LayerFormError(ValueError):
    """The network is not a stack of dense layers, so the layer form cannot express it."""


@dataclass(frozen=True)
class Shape:
    """One layer as the layer form sees it: W^(l) is nout × nin; one bias per neuron or one shared."""

    nin: int
    nout: int
    activation: str
    shared_bias: bool


def shapes(model: Any) -> list[Shape]:
    """The layers of ``model`` (an :class:`nn.MLP`), checked: dense layers, each weight its own Value.

    Raises :class:`LayerFormError`, saying which path to use, for anything else: a model that
    is not an nn.MLP (a custom graph), neurons of one layer with different activations or
    input counts, or a weight (or bias) Value used in two places (tied weights).
    """
    if not isinstance(model, MLP) or not isinstance(getattr(model, "layers", None), list) or not model.layers:
        raise LayerFormError(
            f"the layer form reads an nn.MLP (dense layers of neurons); got {type(model).__name__}. "
            "Train a custom graph with nn.fit(..., compile=False) (the graph) or compile=True"
        )
    out, seen, width = [], set(), None
    for l, layer in enumerate(model.layers, 1):  # noqa: E741 (the documents' layer index)
        neurons = list(getattr(layer, "neurons", []))
        if not neurons:
            raise LayerFormError(f"layer {l} has no neurons; the layer form needs dense layers")
        nin, act = len(neurons[0].w), neurons[0].activation
        if any(len(n.w) != nin or n.activation != act for n in neurons):
            raise LayerFormError(
                f"the neurons of layer {l} differ in inputs or activation, so W^({l}) is not one matrix "
                "with one σ; train this network with nn.fit(..., compile=False) (the graph)"
            )
        if act not in _ACTIVATION_CODE:
            raise LayerFormError(f"layer {l}'s activation {act!r} has no layer form; use compile=False")
        if width is not None and nin != width:
            raise LayerFormError(f"layer {l} reads {nin} inputs but layer {l - 1} has {width} neurons")
        width = len(neurons)
        shared = getattr(layer, "bias", None) is not None and all(n.b is layer.bias for n in neurons)
        slots = [w for n in neurons for w in n.w] + ([layer.bias] if shared else [n.b for n in neurons])
        for v in slots:
            if id(v) in seen:
                raise LayerFormError(
                    f"a weight or bias of layer {l} ({engine.vocab.describe(v)}) is also used elsewhere "
                    "(tied weights), so the layers are not separate matrices; train this network on the "
                    "graph: nn.fit(..., compile=False), or compile=True"
                )
            seen.add(id(v))
        out.append(Shape(nin, len(neurons), act, shared))
    return out


def loss_name(loss: Any) -> str:
    """The name of a loss the layer form writes (a name or one of nn's losses), else LayerFormError."""
    if isinstance(loss, str):
        if loss in LOSS_NAMES:
            return loss
    else:
        for name in LOSS_NAMES:
            if _losses.LOSSES[name] is loss:
                return name
    shown = loss if isinstance(loss, str) else getattr(loss, "__name__", type(loss).__name__)
    raise LayerFormError(
        f"the layer form writes the losses {', '.join(LOSS_NAMES)}; {shown!r} is not one of them: "
        "train with it on the graph, nn.fit(..., compile=False)"
    )


def targets_matrix(loss: str, y: Sequence[Any], K: int) -> Any:
    """Targets as the matrix Y the layer code takes: one column per row (one-hot rows for cross_entropy)."""
    if loss == "cross_entropy":
        from .multiclass import label

        try:
            raw = np.array(y, dtype=float)
        except (TypeError, ValueError):
            raw = None
        if (
            raw is not None
            and raw.ndim == 1
            and bool(np.all((raw == np.round(raw)) & (raw >= 0) & (raw < K)))
        ):
            index = raw.astype(int)  # whole labels 0 <= y < K: no need to ask each one
        else:
            index = np.array([label(t, K) for t in y], dtype=int)
        T = np.zeros((K, len(y)))
        T[index, np.arange(len(y))] = 1.0
        return T
    rows = [[float(v) for v in t] if isinstance(t, (list, tuple)) else [float(t)] for t in y]
    return np.array(rows, dtype=float).reshape(len(y), -1).T.copy()


# --- the code --------------------------------------------------------------------------------


def _loss_lines(loss, L, K):
    """The loss E (mean over the N columns) and δ^(L)'s first factor ∂E/∂a^(L), as lines of code."""
    a = f"a{L}"
    mean_k = "" if K == 1 else f" / {K}"  # over several outputs mse, hinge and bce take the mean
    if loss == "half_sse":
        return (
            [f"E = (0.5 * (Y - {a}) ** 2).sum() / N  # the mean over the samples of ½Σ(y − a)²"],
            f"({a} - Y) / N",
        )
    if loss == "mse":
        return [
            f"E = (({a} - Y) ** 2{mean_k}).sum() / N  # the mean of (a − y)²"
        ], f"2 * ({a} - Y){mean_k} / N"
    if loss == "hinge":
        return (
            [
                f"margin = 1 + -Y * {a}",
                f"E = (relu(margin){mean_k}).sum() / N  # the mean of max(0, 1 − y·a)",
            ],
            f"-Y * (margin > 0){mean_k} / N",
        )
    if loss == "bce":
        return (
            [
                f"softplus = np.maximum({a}, 0) + np.log1p(np.exp(-np.abs({a})))  # log(1 + e^a), stable",
                f"E = ((softplus - {a} * Y){mean_k}).sum() / N  # binary cross-entropy from the logits a",
            ],
            f"(sigmoid({a}) - Y){mean_k} / N",
        )
    # cross_entropy: Y holds the one-hot targets, one column per sample
    return (
        [
            f"top = {a}.max(axis=0, keepdims=True)",
            f"lse = top + np.log(np.exp({a} - top).sum(axis=0, keepdims=True))  # logsumexp per column",
            f"E = (lse - (Y * {a}).sum(axis=0)).sum() / N  # the mean of −log softmax(a)_y",
        ],
        f"(np.exp({a} - lse) - Y) / N",
    )


def _sigma_prime(act, layer):
    rule = _SIGMA_PRIME[act]
    return None if rule is None else rule.format(a=f"a{layer}", z=f"z{layer}")


def layer_code(model: Any, loss: Any = "half_sse", l2: float = 0.0) -> Source:
    """Python (NumPy) source of ``forward_backward(W1, b1, ..., a0, Y)``: one line per layer formula.

    Columns are samples: ``a0`` holds the inputs (nin × N), ``Y`` the targets (outputs × N;
    one-hot for cross_entropy, labels ±1 for hinge). It returns ``(E, aL, (dW1, db1, ...))``:
    the batch loss (the mean over the samples, plus l2·Σp²), the outputs and the gradients.
    The source is generated from the model's shapes and two fixed tables (activations, losses)
    only: names like ``W2`` and ``delta2`` and ``repr`` literals; no user text.

    >>> import nn
    >>> print(layer_code(nn.seed002().model).splitlines()[-7])
        delta2 = (a2 - Y) / N * (a2 * (1 - a2))  # δ^(2) = ∂E/∂a^(2) ⊙ σ′(z^(2))
    """
    layers = shapes(model)
    loss = loss_name(loss)
    _losses.check_penalty(l2, "the L2 penalty")
    l2 = float(l2)
    L, K = len(layers), layers[-1].nout
    params = [f"{k}{l}" for l in range(1, L + 1) for k in ("W", "b")]  # noqa: E741
    helpers = {s.activation for s in layers} | ({"relu"} if loss == "hinge" else set())
    helpers |= {"sigmoid"} if loss == "bce" else set()
    sizes = ", ".join(str(s.nout) for s in layers)
    lines = [
        f"# MLP({layers[0].nin}, [{sizes}]) with the {loss} loss, in layer form: one line per formula "
        "(nn.layer_code).",
        "# Columns are samples: a0 is the inputs (a^(0)), Y the targets; W^(l) is neurons × inputs.",
        "",
        "import numpy as np",
        "",
    ]
    for name in ("sigmoid", "relu"):
        if name in helpers:
            lines += ["", *_HELPERS[name], ""]
    lines += ["", f"def forward_backward({', '.join(params)}, a0, Y):", "    N = a0.shape[1]  # samples"]
    lines.append("    # forward: z^(l) = W^(l) a^(l−1) + b^(l), a^(l) = σ(z^(l))")
    for l, s in enumerate(layers, 1):  # noqa: E741
        lines.append(f"    z{l} = W{l} @ a{l - 1} + b{l}")
        if s.activation == "linear":
            lines.append(f"    a{l} = z{l}  # linear: a^({l}) = z^({l})")
        else:
            lines.append(f"    a{l} = {_ACTIVATION_CODE[s.activation].format(z=f'z{l}')}")
    loss_lines, dE_da = _loss_lines(loss, L, K)
    lines += [f"    {line}" for line in loss_lines]
    if l2:
        squares = " + ".join(f"({p} * {p}).sum()" for p in params)
        lines.append(f"    E = E + {l2!r} * ({squares})  # the L2 penalty l2·Σp²")
    lines.append("    # backward: δ^(L) = ∂E/∂a^(L) ⊙ σ′(z^(L)); δ^(l) = (W^(l+1))ᵀ δ^(l+1) ⊙ σ′(z^(l))")
    for l in range(L, 0, -1):  # noqa: E741
        s = layers[l - 1]
        prime = _sigma_prime(s.activation, l)
        first = dE_da if l == L else f"(W{l + 1}.T @ delta{l + 1})"
        if l == L:
            comment = f"δ^({l}) = ∂E/∂a^({l}) ⊙ σ′(z^({l}))"
        else:
            comment = f"δ^({l}) = (W^({l + 1}))ᵀ δ^({l + 1}) ⊙ σ′(z^({l}))"
        if prime is None:
            lines.append(f"    delta{l} = {first}  # {comment}, σ′ = 1 (linear)")
        else:
            lines.append(f"    delta{l} = {first} * ({prime})  # {comment}")
        lines.append(f"    dW{l} = delta{l} @ a{l - 1}.T  # ∂E/∂W^({l}) = δ^({l}) (a^({l - 1}))ᵀ")
        if s.shared_bias:
            lines.append(
                f"    db{l} = delta{l}.sum(keepdims=True)  # ∂E/∂b^({l}): one bias shared by the layer"
            )
        else:
            lines.append(f"    db{l} = delta{l}.sum(axis=1, keepdims=True)  # ∂E/∂b^({l}) = δ^({l})")
    if l2:
        for p in params:
            lines.append(f"    d{p} = d{p} + {2 * l2!r} * {p}  # + ∂(l2·Σp²)/∂{p}")
    grads = ", ".join(f"d{p}" for p in params)
    lines.append(f"    return E, a{L}, ({grads})")
    return Source("\n".join(lines) + "\n")


# --- the view ----------------------------------------------------------------------------------


@dataclass
class LayerForm:
    """One layer l of a :class:`LayerView`: its matrices (columns are samples) and the steps they sum.

    ``W`` (nout × nin), ``b`` (nout × 1, or 1 × 1 for a shared bias), ``z``, ``a`` and ``a_prev``
    (a^(l−1)) hold the forward numbers; ``dE_da`` (∂E/∂a^(l)), ``sigma_prime`` (σ′(z^(l))),
    ``delta`` (δ^(l)), ``dW`` and ``db`` the numbers of the backward pass, each read from the
    trace as the sum of the steps ``steps[name][i][j]`` (step numbers; () for a σ′ of 1 that
    no step holds, a linear neuron's). ``penalty_dW``/``penalty_db`` hold the L2 penalty's
    share of ∂E/∂W and ∂E/∂b (its own steps, in ``steps``) when there is one.
    """

    l: int  # noqa: E741 (the documents' layer index)
    activation: str
    shared_bias: bool
    W: Any
    b: Any
    z: Any
    a: Any
    a_prev: Any
    dE_da: Any
    sigma_prime: Any
    delta: Any
    dW: Any
    db: Any
    penalty_dW: Any = None
    penalty_db: Any = None
    steps: dict = field(default_factory=dict)
    names: dict = field(default_factory=dict)  # W and b: the scalar's own name per entry (w5, b1, ...)


class LayerView:
    """One backward pass in layer form; see the module notes. ``trace`` is the scalar record it reads."""

    def __init__(
        self, model: Any, trace: Any, layers: list[LayerForm], loss: str, N: int, root_name: str,
        targets: Any = None, l2: float = 0.0,
    ) -> None:  # fmt: skip
        self.model, self.trace, self.layers, self.loss, self.N = model, trace, layers, loss, N
        self.root_name, self.targets, self.l2 = root_name, targets, l2

    @property
    def L(self) -> int:
        """The number of layers (the output layer is layer L)."""
        return len(self.layers)

    def residuals(self) -> dict[str, float]:
        """How far each layer formula is from the numbers read from the trace: name -> max ``|difference|``.

        The formulas are computed from the read numbers: δ^(L) against ∂E/∂a^(L) ⊙ σ′(z^(L)),
        ∂E/∂a^(l) against (W^(l+1))ᵀ δ^(l+1), δ^(l) against that ⊙ σ′(z^(l)), ∂E/∂W^(l) against
        δ^(l) (a^(l−1))ᵀ and ∂E/∂b^(l) against δ^(l) summed. All are rounding-sized.
        """
        out = {}
        for k, f in enumerate(self.layers):
            l = f.l  # noqa: E741
            if k + 1 < len(self.layers):
                up = self.layers[k + 1]
                out[f"dE/da^({l}) = (W^({l + 1}))ᵀ δ^({l + 1})"] = _gap(f.dE_da, up.W.T @ up.delta)
            out[f"δ^({l}) = ∂E/∂a^({l}) ⊙ σ′(z^({l}))"] = _gap(f.delta, f.dE_da * f.sigma_prime)
            out[f"∂E/∂W^({l}) = δ^({l}) (a^({l - 1}))ᵀ"] = _gap(f.dW, f.delta @ f.a_prev.T)
            db = f.delta.sum(keepdims=True) if f.shared_bias else f.delta.sum(axis=1, keepdims=True)
            out[f"∂E/∂b^({l}) = Σ δ^({l})"] = _gap(f.db, db)
        return out

    def code(self) -> Source:
        """The same formulas as NumPy code (:func:`layer_code` of this view's model, loss and L2 weight)."""
        return layer_code(self.model, self.loss, self.l2)

    def run_code(self) -> tuple[float, Any, list]:
        """Run :meth:`code` on this pass's numbers: (E, a^(L), [∂E/∂W^(1), ∂E/∂b^(1), ...]) by the code.

        The generated source (never user text) is executed once; compare its numbers with the
        trace's, ``self.layers[k].dW`` and so on.
        """
        from engine.tools.compiling import run_source

        f = run_source(self.code(), "forward_backward", "<nn.layer_view code>")
        args = [m for form in self.layers for m in (form.W, form.b)]
        E, out, grads = f(*args, self.layers[0].a_prev, self.targets)
        return float(E), out, list(grads)

    # -- text

    def text(self, digits: int = 5, limit: int = 6) -> str:
        """The layer form as text, layer L first: each formula with its matrices, then the steps each
        entry sums. Matrices wider or taller than ``limit`` show their corners around a ⋯."""
        E, N = self.root_name, self.N
        head = [
            f"Layer form of the same {len(self.trace)} steps (seed 001): {self.L} layers, "
            f"N = {N} sample{'s' if N != 1 else ''}, columns are samples",
            "  forward   z^(l) = W^(l) a^(l−1) + b^(l),  a^(l) = σ(z^(l))",
            f"  backward  δ^(L) = ∂{E}/∂a^(L) ⊙ σ′(z^(L)),  δ^(l) = (W^(l+1))ᵀ δ^(l+1) ⊙ σ′(z^(l)),",
            f"            ∂{E}/∂W^(l) = δ^(l) (a^(l−1))ᵀ,  ∂{E}/∂b^(l) = δ^(l) "
            "(summed over a shared bias's neurons)",
        ]
        if N > 1:
            head.append(
                f"  {E} is the mean over the {N} samples, so each column of δ carries 1/{N} and "
                "δ (a)ᵀ is the mean of the samples' gradients (seed 003)"
            )
        blocks = ["\n".join(head)]
        fm = lambda M: _matrix_lines(M, digits, limit)
        st = lambda M: _matrix_lines(M, digits, limit, text=_steps_text)
        for k in range(self.L - 1, -1, -1):
            f = self.layers[k]
            l = f.l  # noqa: E741
            kind = "output layer" if k == self.L - 1 else "hidden layer"
            lines = [f"layer {l} ({kind}, {f.activation}): W^({l}) is {f.W.shape[0]} × {f.W.shape[1]}"]
            if k == self.L - 1:
                first, first_name = f.dE_da, f"∂{E}/∂a^({l})"
            else:
                first, first_name = f.dE_da, f"(W^({l + 1}))ᵀ δ^({l + 1})"
            lines += _equation(
                f"δ^({l}) = {first_name} ⊙ σ′(z^({l}))",
                [fm(first), "⊙", fm(f.sigma_prime), "=", fm(f.delta)],
            )
            lines += _equation(f"∂{E}/∂W^({l}) = δ^({l}) (a^({l - 1}))ᵀ", [fm(f.dW)])
            bias = (
                "summed over the layer's neurons (one shared bias)"
                if f.shared_bias
                else "δ summed over samples"
            )
            lines += _equation(f"∂{E}/∂b^({l}) = {bias}", [fm(f.db)])
            if f.penalty_dW is not None:
                lines += _equation(
                    f"  plus the L2 penalty's ∂/∂W^({l}) = 2·l2·W^({l}) (its own steps)", [fm(f.penalty_dW)]
                )
            lines.append(
                "  the steps each entry sums (step numbers of the scalar table), and the scalars of W and b:"
            )
            lines += _labelled([
                (first_name, st(f.steps["dE_da"])), (f"σ′(z^({l}))", st(f.steps["sigma_prime"])),
                (f"δ^({l})", st(f.steps["delta"])),
            ])  # fmt: skip
            lines += _labelled([
                (f"∂{E}/∂W^({l})", st(f.steps["dW"])), (f"∂{E}/∂b^({l})", st(f.steps["db"])),
                (f"W^({l})", _matrix_lines(f.names["W"], digits, limit, text=str)),
                (f"b^({l})", _matrix_lines(f.names["b"], digits, limit, text=str)),
            ])  # fmt: skip
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks)

    def __str__(self):
        return self.text()

    def __repr__(self):
        return f"<LayerView of {self.L} layers, N = {self.N}, from {len(self.trace)} chain-rule steps>"

    # -- HTML

    def _repr_html_(self):
        E = self.root_name
        parts = [
            '<div class="chainrule-layers" style="font-family:sans-serif">',
            f"<h4>Layer form of the same {len(self.trace)} steps: {self.L} layers, N = {self.N}</h4>",
            "<p>" + markup.markup("z^(l) = W^(l) a^(l−1) + b^(l), a^(l) = σ(z^(l)); δ^(L) = ∂") + _h(E)
            + markup.markup("/∂a^(L) ⊙ σ′(z^(L)); δ^(l) = (W^(l+1))ᵀ δ^(l+1) ⊙ σ′(z^(l)); ∂") + _h(E)
            + markup.markup("/∂W^(l) = δ^(l) (a^(l−1))ᵀ; ∂") + _h(E) + markup.markup("/∂b^(l) = δ^(l)")
            + "</p><p><small>Each entry names the chain-rule steps of the table on the left whose "
            "products it sums.</small></p>",
        ]  # fmt: skip
        for k in range(self.L - 1, -1, -1):
            f = self.layers[k]
            l = f.l  # noqa: E741
            first = f"∂{E}/∂a^({l})" if k == self.L - 1 else f"(W^({l + 1}))ᵀ δ^({l + 1})"
            parts.append(f"<h5>layer {l} ({_h(f.activation)})</h5>")
            parts.append(
                _html_row([
                    (f"δ^({l})", f.delta, f.steps["delta"]), ("=", None, None),
                    (first, f.dE_da, f.steps["dE_da"]), ("⊙", None, None),
                    (f"σ′(z^({l}))", f.sigma_prime, f.steps["sigma_prime"]),
                ])
            )  # fmt: skip
            parts.append(
                _html_row([
                    (f"∂{E}/∂W^({l})", f.dW, f.steps["dW"]), ("=", None, None),
                    (f"δ^({l})", f.delta, None), ("", None, None), (f"(a^({l - 1}))ᵀ", f.a_prev.T, None),
                    ("", None, None), (f"∂{E}/∂b^({l})", f.db, f.steps["db"]),
                ])
            )  # fmt: skip
        parts.append("</div>")
        layers_html = "\n".join(parts)
        return (
            '<div style="display:flex;gap:2em;align-items:flex-start">'
            f"<div>{self.trace._repr_html_()}</div><div>{layers_html}</div></div>"
        )


def layer_view(
    model: Any,
    X: Sequence[Any] | None = None,
    y: Sequence[Any] | None = None,
    loss: Any = "half_sse",
    *,
    l2: float = 0.0,
    trace: Any = None,
) -> LayerView:
    """The layer form of one backward pass of ``model`` on rows ``X`` with targets ``y``.

    ``model`` is an :class:`nn.MLP` (then ``X`` and ``y`` give a batch: one row, or a list of
    rows; the loss is the mean over them of ``loss``, plus ``l2``·Σp²), or the result of
    :func:`nn.seed002` (its own sample and E; ``trace`` may be that E's Trace, to share its
    step numbers). The graph is recorded once and traced without changing any ``.grad``.
    """
    if isinstance(model, Seed002):
        net = model
        if X is not None or y is not None:
            raise ValueError("seed 002 brings its own sample: call layer_view(nn.seed002()) without X and y")
        mlp = net.model
        shapes(mlp)
        samples = [[[net.out[name] for name in ("H1", "H2")], [net.out[name] for name in ("Y1", "Y2")]]]
        inputs, root, loss_label, l2 = [list(net.x)], net.E, "half_sse", 0.0
        targets = targets_matrix("half_sse", [list(net.target)], 2)
    else:
        mlp = model
        shapes(mlp)
        loss_label = loss_name(loss)
        if X is None or y is None:
            raise ValueError("layer_view(model, X, y, loss) needs the inputs X and targets y of the pass")
        X, y = list(X), list(y)
        if X and not isinstance(X[0], (list, tuple)):  # one row
            X, y = [X], [y]
        if not X or len(X) != len(y):
            raise ValueError(
                f"X has {len(X)} rows and y {len(y)} targets: give one target per row, at least one"
            )
        nin = len(mlp.layers[0].neurons[0].w)
        inputs, samples, per_sample = [], [], []
        loss_fn = _losses.LOSSES[loss_label]
        for row, target in zip(X, y):
            if len(row) != nin:
                raise ValueError(f"this network takes {nin} inputs, got a row of {len(row)}")
            x = [v if isinstance(v, Value) else Value(v, label=f"x_{i}") for i, v in enumerate(row, 1)]
            inputs.append(x)
            nodes, h = [], x
            for layer in mlp.layers:
                h = [n(h) for n in layer.neurons]
                nodes.append(h)
            samples.append(nodes)
            per_sample.append(loss_fn(h[0] if len(h) == 1 else h, target))
        root = _losses.mean(per_sample)
        targets = targets_matrix(loss_label, y, len(mlp.layers[-1].neurons))
        if l2:
            root = root + _losses.l2(mlp.parameters(), l2)
        if root.label is None or root.label == "":
            root.label = "E"
    t = trace if trace is not None else engine.tracing.record(root)
    if t.root is not root:
        raise ValueError("the trace given is not of this pass's loss; pass the Trace of the same E")
    view = _read(mlp, t, samples, inputs, loss_label)
    view.targets, view.l2 = targets, float(l2)
    return view


def _read(mlp, t, samples, inputs, loss_label):
    """Every layer's matrices, read from the steps of ``t`` (see the module notes)."""
    into: dict = {}  # parent -> its steps, in the order they ran
    for s in t.steps:
        into.setdefault(s.parent, []).append(s)

    def penalty(s):  # a step of the L2 penalty: from p·p to p
        return s.node.op.name == "mul" and s.node.parents[0] is s.parent and s.node.parents[1] is s.parent

    def total(node, keep=lambda s: True):
        steps = [s for s in into.get(node, ()) if keep(s)]
        return (sum((s.product for s in steps), 0.0) if steps else 0.0), tuple(s.number for s in steps)

    N, forms = len(samples), []
    for k, (shape, layer) in enumerate(zip(shapes(mlp), mlp.layers)):
        neurons = layer.neurons
        W = np.array([[w.data for w in n.w] for n in neurons])
        b = np.array([[layer.bias.data]]) if shape.shared_bias else np.array([[n.b.data] for n in neurons])
        a_nodes = [[samples[s][k][j] for s in range(N)] for j in range(shape.nout)]
        z_nodes = [[a if shape.activation == "linear" else a.parents[0] for a in row] for row in a_nodes]
        prev = inputs if k == 0 else [samples[s][k - 1] for s in range(N)]
        a_prev = np.array([[prev[s][i].data for s in range(N)] for i in range(shape.nin)])
        mats = {name: np.zeros((shape.nout, N)) for name in ("dE_da", "sigma_prime", "delta")}
        steps: dict[str, list[list[tuple]]] = {name: [[()] * N for _ in range(shape.nout)] for name in mats}
        for j in range(shape.nout):
            for s in range(N):
                a, z = a_nodes[j][s], z_nodes[j][s]
                mats["dE_da"][j, s], steps["dE_da"][j][s] = total(a)
                if a is z:
                    mats["sigma_prime"][j, s] = 1.0
                else:
                    (step,) = into[z]  # the one step a → z: its local is σ′(z)
                    mats["sigma_prime"][j, s], steps["sigma_prime"][j][s] = step.local, (step.number,)
                mats["delta"][j, s], steps["delta"][j][s] = total(z)
        data = lambda s: not penalty(s)
        grid = [[total(w, data) for w in n.w] for n in neurons]
        dW = np.array([[v for v, _ in row] for row in grid])
        pen = [[total(w, penalty) for w in n.w] for n in neurons]
        bias_nodes = [layer.bias] if shape.shared_bias else [n.b for n in neurons]
        bgrid = [total(bv, data) for bv in bias_nodes]
        bpen = [total(bv, penalty) for bv in bias_nodes]
        has_penalty = any(nums for row in pen for _, nums in row) or any(nums for _, nums in bpen)
        steps["dW"] = [[nums for _, nums in row] for row in grid]
        steps["db"] = [[nums] for _, nums in bgrid]
        if has_penalty:
            steps["penalty_dW"] = [[nums for _, nums in row] for row in pen]
            steps["penalty_db"] = [[nums] for _, nums in bpen]
        names = {
            "W": [[t.names.get(w, w.label) for w in n.w] for n in neurons],
            "b": [[t.names.get(bv, bv.label)] for bv in bias_nodes],
        }
        forms.append(
            LayerForm(
                k + 1, shape.activation, shape.shared_bias, W, b,
                np.array([[z.data for z in row] for row in z_nodes]),
                np.array([[a.data for a in row] for row in a_nodes]),
                a_prev, mats["dE_da"], mats["sigma_prime"], mats["delta"], dW,
                np.array([[v] for v, _ in bgrid]),
                np.array([[v for v, _ in row] for row in pen]) if has_penalty else None,
                np.array([[v] for v, _ in bpen]) if has_penalty else None,
                steps, names,
            )
        )  # fmt: skip
    return LayerView(mlp, t, forms, loss_label, N, t.names[t.root])


# --- helpers -------------------------------------------------------------------------------


def _gap(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) if np.size(a) else 0.0


def _steps_text(nums):
    if not nums:
        return "–"
    if len(nums) <= 3:
        return "+".join(map(str, nums))
    return f"{nums[0]}+…+{nums[-1]} ({len(nums)})"


def _shown(n, limit):
    """Which of n indices to show: all, or the first and last ones around a gap (None)."""
    if n <= limit:
        return list(range(n))
    head = (limit + 1) // 2
    return list(range(head)) + [None] + list(range(n - (limit - head), n))


def _matrix_lines(M, digits, limit, text=None):
    """A matrix as bracketed text lines: numbers with ``digits`` decimals, or ``text(entry)``."""
    rows = M if text is not None else np.asarray(M)
    nrow = len(rows)
    ncol = len(rows[0]) if nrow else 0
    ri, ci = _shown(nrow, limit), _shown(ncol, limit)
    if text is None:  # one format for the whole matrix, enough decimals for its small entries
        keys = [(i, j) for i in ri if i is not None for j in ci if j is not None]
        shown = dict(zip(keys, engine.tracing.numbers([float(rows[i][j]) for i, j in keys], digits)))
    cells = []
    for i in ri:
        line = []
        for j in ci:
            if i is None or j is None:
                line.append("⋮" if j is not None else ("⋱" if i is None else "⋯"))
            elif text is not None:
                line.append(text(rows[i][j]))
            else:
                line.append(shown[(i, j)])
        cells.append(line)
    widths = [max(len(r[c]) for r in cells) for c in range(len(ci))]
    out = []
    for k, line in enumerate(cells):
        left, right = (
            ("[", "]")
            if len(cells) == 1
            else ("⎡", "⎤")
            if k == 0
            else ("⎣", "⎦")
            if k == len(cells) - 1
            else ("⎢", "⎥")
        )
        out.append(left + " ".join(c.rjust(w) for c, w in zip(line, widths)) + right)
    return out


def _equation(title, pieces, indent="    "):
    """``title`` on its line, then the pieces (matrices as line lists, or operator strings) side by side."""
    height = max(len(p) for p in pieces if isinstance(p, list))
    cols = []
    for p in pieces:
        lines = p if isinstance(p, list) else [p]
        width = max(len(x) for x in lines)
        pad = (height - len(lines)) // 2
        col = [" " * width] * pad + [x.ljust(width) for x in lines]
        cols.append(col + [" " * width] * (height - len(col)))
    body = [indent + "  ".join(col[r] for col in cols).rstrip() for r in range(height)]
    return [f"  {title}" if not title.startswith("  ") else title] + body


def _labelled(items, indent="    "):
    """Matrices side by side, each under its label."""
    cols = []
    for label, lines in items:
        width = max(len(label), *(len(x) for x in lines))
        cols.append([label.ljust(width)] + [x.ljust(width) for x in lines])
    height = max(map(len, cols))
    cols = [c + [" " * len(c[0])] * (height - len(c)) for c in cols]
    return [indent + "   ".join(c[r] for c in cols).rstrip() for r in range(height)]


def _h(text):
    return html.escape(str(text), quote=True)


def _html_matrix(M, steps=None, digits=5, limit=8):
    M = np.asarray(M)
    ri, ci = _shown(M.shape[0], limit), _shown(M.shape[1], limit)
    keys = [(i, j) for i in ri if i is not None for j in ci if j is not None]
    shown = dict(zip(keys, engine.tracing.numbers([float(M[i, j]) for i, j in keys], digits)))
    rows = []
    for i in ri:
        tds = []
        for j in ci:
            if i is None or j is None:
                tds.append('<td style="text-align:center">⋯</td>')
                continue
            value = shown[(i, j)]
            if steps is None:
                tds.append(f'<td style="text-align:right;padding:1px 6px">{value}</td>')
            else:
                nums = steps[i][j]
                full = ", ".join(map(str, nums)) if nums else "no step: σ′ = 1 (linear)"
                tds.append(
                    f'<td style="text-align:right;padding:1px 6px" title="steps {_h(full)}">{value}<br/>'
                    f'<small style="color:#777">{_h("step " if len(nums) == 1 else "steps ")}'
                    f"{_h(_steps_text(nums))}</small></td>"
                )
        rows.append("<tr>" + "".join(tds) + "</tr>")
    style = "border-left:2px solid #444;border-right:2px solid #444;border-collapse:collapse;margin:2px"
    return f'<table class="chainrule-matrix" style="{style}">' + "".join(rows) + "</table>"


def _html_row(items):
    cells = []
    for name, M, steps in items:
        if M is None:
            cells.append(f'<div style="align-self:center;font-size:1.2em">{_h(name)}</div>')
        else:
            title = f"<div>{markup.markup(name)}</div>"
            cells.append(f'<div style="text-align:center">{title}{_html_matrix(M, steps)}</div>')
    return (
        '<div style="display:flex;gap:0.6em;align-items:flex-start;margin:4px 0">' + "".join(cells) + "</div>"
    )


__all__ = [
    "layer_view",
    "layer_code",
    "LayerView",
    "LayerForm",
    "LayerFormError",
    "Shape",
    "shapes",
    "loss_name",
]
