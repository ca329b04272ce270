"""Neurons, layers and multi-layer perceptrons made of engine Values.

A neuron computes z = w·x + b as ONE ``engine.dot`` node, then its activation
a = f(z) as one more node, so its graph reads like the documents: z → a → loss.
``fused=False`` builds the same neuron from elementary ``*`` and ``+`` nodes in
micrograd's order, b + w_1·x_1 + w_2·x_2 + ..., for comparison (same numbers).
Activations: "relu", "tanh", "sigmoid" and "linear" (a = z: no extra node; the
z node is then the neuron's output).

Structure (what exporters read): ``model.layers`` → ``layer.neurons`` →
``neuron.w`` (list of Values), ``neuron.b`` (a Value) and ``neuron.activation``
(a name). A layer made with ``shared_bias=True`` holds one bias Value in
``layer.bias`` and every one of its neurons' ``b`` is that same Value (seed 002).

Notation, in plain text, with layers l, neurons j and inputs i counted from 1:

- ``w^(l)_{j,i}``: the weight to neuron j of layer l from input i;
- ``b^(l)_j``: the bias of neuron j of layer l; a shared bias is ``b^(l)``;
- ``z^(l)_j`` and ``a^(l)_j``: the pre-activation and activation nodes a forward
  pass makes (for a linear neuron the z node is also the output);
- ``x_i``: the network's inputs, as leaves.

A neuron's parameters and the nodes it makes carry the scope "layer l/neuron j"
(drawings group by it); a layer or neuron may instead have a document name, as in
seed 002's "hidden layer/H1". A shared bias carries its layer's scope ("layer l").

A layer of width 1 still returns a list (layers always do). An MLP returns the
list of its outputs, except that a network with ONE output returns that Value,
as micrograd's does, so ``loss(model(x), y)`` reads naturally.

Initialisation: weights uniform(−1, 1) and biases 0, drawn with Python's
``random`` in micrograd's order (per layer, per neuron, the weights; no draw for a
bias), so after ``random.seed(s)`` an MLP starts from exactly micrograd 0.1.0's
weights. ``MLP.from_weights`` sets every weight and bias explicitly.

    >>> import random
    >>> random.seed(0)
    >>> model = MLP(2, [3, 1])
    >>> [name for name, _ in model.named_parameters()][:3]
    ['layer1.neuron1.w1', 'layer1.neuron1.w2', 'layer1.neuron1.b']
    >>> model.layers[0].neurons[0].w[1].label
    'w^(1)_{1,2}'
    >>> isinstance(model([0.5, -1.0]), Value)
    True

Weights are saved as JSON (never pickle): ``model.save(path)`` writes atomically,
``model.load(path)`` checks the whole file before it changes anything, and
``load_model(path)`` rebuilds a saved MLP.
"""

import math
import numbers
import os
import random
from collections.abc import Sequence
from contextlib import nullcontext
from operator import methodcaller
from typing import Any, cast

import engine
from engine import Value
from engine.numbers import real

from . import weights

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
_ACTIVATION_NODE = {name: methodcaller(name) for name in ("relu", "tanh", "sigmoid")} | {"linear": None}


def _check_activation(activation):
    if activation not in _ACTIVATION_NODE:
        raise ValueError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
    return activation


def _check_count(what, n):
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:  # int, numpy.int64, ...
        raise ValueError(f"{what} must be a whole number >= 1, got {n!r}")
    return int(n)


def _symbol(name, layer, *index):
    """``w^(2)_{1,3}``, ``b^(1)_2``, ``z_1`` or ``b``: a symbol with layer and indices."""
    text = name if layer is None else f"{name}^({layer})"
    if len(index) == 1:
        return f"{text}_{index[0]}"
    return f"{text}_{{{','.join(map(str, index))}}}" if index else text


def _number(what, v):
    """A weight or bias given by hand as a finite float (a Value stays itself), by the number rule."""
    return v if isinstance(v, Value) else real(v, what)


def _short(v):
    text = repr(v)
    return text if len(text) <= 40 else f"{text[:20]}...{text[-10:]} ({len(text)} characters)"


class Module:
    """What every model part shares: its parameters, their gradients and their file form."""

    def named_parameters(self) -> list[tuple[str, Value]]:
        """(name, Value) pairs in a stable order; a layer's shared bias appears once.

        A Value given by hand to several neurons (``w=[v, ...]`` twice) is listed under
        each of its names, so a saved file names every weight of the architecture;
        ``parameters()`` lists it once.
        """
        return []

    def parameters(self) -> list[Value]:
        """All trainable Values, in micrograd's order (per layer, per neuron, weights then bias).

        Each Value appears once, at its first place, even when several neurons share it,
        so an optimizer updates it once per step.
        """
        seen, out = set(), []
        for _, p in self.named_parameters():
            if id(p) not in seen:  # by identity: two equal numbers are two parameters
                seen.add(id(p))
                out.append(p)
        return out

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0 (leaves accumulate across backward passes)."""
        for p in self.parameters():
            p.grad = 0.0

    def config(self) -> dict[str, Any]:
        """The architecture as a JSON-safe dict (saved with the weights, checked on load)."""
        raise NotImplementedError

    def state_dict(self) -> dict[str, float]:
        """The parameters as a JSON-safe dict: name -> float."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: dict[str, float]) -> None:
        """Set every parameter from ``state`` (name -> number).

        Every name must be present, none extra, every value a finite number; all
        of it is checked before any parameter changes, so a bad dict leaves the
        model as it was.
        """
        if not isinstance(state, dict):
            raise ValueError(f"a state dict maps parameter names to numbers; got {type(state).__name__}")
        params = dict(self.named_parameters())
        missing = [k for k in params if k not in state]
        extra = [k for k in state if k not in params]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing {_few(missing)}")
            if extra:
                parts.append(f"unexpected {_few(extra)}")
            raise ValueError(
                f"the weights do not match this model ({'; '.join(parts)}): "
                f"this model has {len(params)} parameters named like {next(iter(params), '-')!r}"
            )
        values = {}
        for name, v in state.items():
            values[name] = real(v, f"parameter {name!r}")
        for name, p in params.items():  # everything checked: now assign
            p.data = values[name]

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the architecture and weights to ``path`` as JSON, atomically.

        The file is written next to its destination and then renamed over it, so
        ``path`` is never left half-written. A parameter that is NaN or infinite (the
        training diverged) cannot be saved: ValueError, and ``path`` is left as it was.
        """
        state = self.state_dict()
        bad = next((name for name, v in state.items() if not math.isfinite(v)), None)
        if bad is not None:
            raise ValueError(
                f"cannot save: the parameter {bad!r} is {state[bad]} (did the training diverge? "
                "try a smaller learning rate); a weights file holds finite numbers only"
            )
        weights.write(path, self.config(), state)

    def load(self, path: str | os.PathLike[str]) -> "Module":
        """Set the weights from a file written by ``save``; returns the model.

        A file that is not valid JSON, is not a chainrule weights file, or was
        saved from a model of another architecture raises ValueError and leaves
        this model unchanged.
        """
        return self._load_doc(path, weights.read(path))

    def _load_doc(self, path: object, doc: dict[str, Any]) -> "Module":
        """Set the weights from ``doc``, a weights file already read from ``path`` (read once)."""
        cfg = weights.check_model(doc["model"], path)  # the same check as load_model's
        if cfg != self.config():
            raise ValueError(
                f"{path}: the file holds weights for {weights.describe(cfg)}, but this model is "
                f"{weights.describe(self.config())}; build the same architecture (or use nn.load_model)"
            )
        try:
            self.load_state_dict(doc["parameters"])
        except (TypeError, ValueError) as exc:  # a file holding a weight that is not a number is a bad file
            raise ValueError(f"{path}: {exc}") from None
        return self


class Neuron(Module):
    """One neuron: z = w·x + b, then a = activation(z).

    ``w`` (list) and ``b`` are Values; ``fused=False`` builds z from ``*`` and
    ``+`` nodes instead of one dot node. ``w`` and ``b`` may be given (numbers or
    Values); otherwise w_i ~ uniform(−1, 1) and b = 0.

    >>> n = Neuron(2, "sigmoid", w=[0.10, 0.15], b=0.05)
    >>> round(n([0.95, 0.06]).data, 10)
    0.5384240912
    """

    def __init__(
        self,
        nin: int,
        activation: str = "relu",
        fused: bool = True,
        *,
        w: Sequence[float | Value] | None = None,
        b: float | Value | None = None,
        name: str | None = None,
    ) -> None:
        _check_count("a neuron's number of inputs", nin)
        self.activation = _check_activation(activation)
        self.fused = fused
        self.name = name  # a document name such as "H1", used in the scope
        if w is None:
            self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        else:
            if len(w) != nin:
                raise ValueError(f"a neuron with {nin} inputs needs {nin} weights, got {len(w)}")
            self.w = [_as_value(_number("a weight", v)) for v in w]
        self.b = Value(0.0) if b is None else _as_value(_number("a bias", b))
        self._act = _ACTIVATION_NODE[activation]
        self.relabel()

    def relabel(self, layer: int | None = None, j: int | None = None, scope: str | None = None) -> None:
        """Label the parameters and the nodes this neuron makes: neuron ``j`` of layer ``layer``.

        ``scope`` is the group name for drawings (default "neuron j" or the
        neuron's own name). Called by Layer and MLP; call it again after renaming.
        """
        index = () if j is None else (j,)
        for i, w in enumerate(self.w, 1):
            w.label = _symbol("w", layer, *index, i)
            w.scope = scope
        self.b.label, self.b.scope = _symbol("b", layer, *index), scope
        self.z_label = _symbol("z", layer, *index)
        self.a_label = _symbol("a", layer, *index)
        self.scope = scope

    def __call__(self, x):
        if not self.fused:
            return self._elementary(x)
        z = engine.dot(self.w, x, self.b)  # one node: z = w·x + b
        z.label = self.z_label
        act = self._act
        if act is None:  # linear: a = z, no extra node
            a = z
        else:
            a = act(z)
            a.label = self.a_label
        scope = self.scope
        if scope is not None:  # the nodes belong to this neuron, inside any engine.scope around
            outer = z.scope
            z.scope = a.scope = scope if outer is None else f"{outer}/{scope}"
        return a

    def _elementary(self, x):
        """z = b + w_1·x_1 + w_2·x_2 + ..., one node per * and +, as micrograd builds it."""
        if len(x) != len(self.w):
            raise ValueError(f"this neuron takes {len(self.w)} inputs, got {len(x)}")
        with engine.scope(self.scope) if self.scope is not None else nullcontext():
            z = self.b
            for wi, xi in zip(self.w, x):
                z = z + wi * xi
            a = z if self._act is None else self._act(z)
        z.label = self.z_label
        if a is not z:
            a.label = self.a_label
        return a

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [(f"w{i}", w) for i, w in enumerate(self.w, 1)] + [("b", self.b)]

    def config(self) -> dict[str, Any]:
        return {"type": "Neuron", "nin": len(self.w), "activation": self.activation}

    def __repr__(self):
        return f"Neuron({len(self.w)}, activation={self.activation!r})"


class Layer(Module):
    """``nout`` neurons that all read the same inputs; calling it returns a list (even of one).

    ``shared_bias=True`` gives the layer one bias Value, ``layer.bias``, used by
    every neuron (seed 002). ``w`` (one list per neuron) and ``b`` (one number
    per neuron, or one number for a shared bias) set the parameters by hand.
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "relu",
        fused: bool = True,
        *,
        shared_bias: bool = False,
        w: Sequence[Sequence[float | Value]] | None = None,
        b: float | Value | Sequence[float | Value] | None = None,
        name: str | None = None,
    ) -> None:
        _check_count("a layer's number of inputs", nin)
        _check_count("a layer's number of neurons", nout)
        if w is not None and len(w) != nout:
            raise ValueError(f"a layer of {nout} neurons needs {nout} weight rows, got {len(w)}")
        if shared_bias and b is not None and isinstance(b, (list, tuple)):
            raise ValueError("a shared bias is one number, not a list")
        if not shared_bias and b is not None and (not isinstance(b, (list, tuple)) or len(b) != nout):
            raise ValueError(
                f"a layer of {nout} neurons needs a list of {nout} biases (or shared_bias=True "
                f"for one bias shared by all), got {b!r}"
            )
        self.name = name  # a document name such as "hidden layer", used in the scope
        self.bias: Value | None = None
        if shared_bias:
            self.bias = Value(0.0) if b is None else _as_value(_number("a bias", b))
        self.neurons = []
        for j in range(nout):
            bias = self.bias if shared_bias else None if b is None else cast(Sequence[float | Value], b)[j]
            wj = None if w is None else w[j]
            self.neurons.append(Neuron(nin, activation, fused, w=wj, b=bias))
        self.relabel()

    def relabel(self, layer: int | None = None) -> None:
        """Label this layer's parameters and nodes as layer ``layer`` (see the module notes)."""
        scope = self.name or (f"layer {layer}" if layer is not None else None)
        for j, n in enumerate(self.neurons, 1):
            own = n.name or f"neuron {j}"
            n.relabel(layer, j, own if scope is None else f"{scope}/{own}")
        if self.bias is not None:
            self.bias.label, self.bias.scope = _symbol("b", layer), scope

    def __call__(self, x):
        return [n(x) for n in self.neurons]

    def named_parameters(self) -> list[tuple[str, Value]]:
        out = []
        for j, n in enumerate(self.neurons, 1):
            out += [(f"neuron{j}.w{i}", w) for i, w in enumerate(n.w, 1)]
            if self.bias is None:
                out.append((f"neuron{j}.b", n.b))
        if self.bias is not None:
            out.append(("b", self.bias))
        return out

    def config(self) -> dict[str, Any]:
        n = self.neurons[0]
        return {
            "type": "Layer",
            "nin": len(n.w),
            "nout": len(self.neurons),
            "activation": n.activation,
            "shared_bias": self.bias is not None,
        }

    def __repr__(self):
        n, shared = self.neurons[0], ", shared_bias=True" if self.bias is not None else ""
        return f"Layer({len(n.w)}, {len(self.neurons)}, activation={n.activation!r}{shared})"


class MLP(Module):
    """A multi-layer perceptron: ``MLP(2, [16, 16, 1])`` has two hidden layers of 16 and one output.

    Hidden layers use ``activation``, the last one ``output_activation``
    (linear by default, as in micrograd). The inputs may be numbers or Values;
    numbers become leaves labelled x_1, x_2, ...
    """

    def __init__(
        self,
        nin: int,
        sizes: Sequence[int],
        activation: str = "relu",
        output_activation: str = "linear",
        fused: bool = True,
        *,
        shared_bias: bool | Sequence[bool] = False,
        weights: Sequence[Sequence[Sequence[float | Value]]] | None = None,
        biases: Sequence[float | Value | Sequence[float | Value]] | None = None,
    ) -> None:
        nin = _check_count("the number of inputs", nin)
        sizes = list(sizes)
        if not sizes:
            raise ValueError("an MLP needs at least one layer: sizes such as [16, 16, 1]")
        sizes = [_check_count("a layer size", s) for s in sizes]
        _check_activation(activation)
        _check_activation(output_activation)
        if weights is not None and len(weights) != len(sizes):
            raise ValueError(f"{len(sizes)} layers need {len(sizes)} weight matrices, got {len(weights)}")
        if biases is not None and len(biases) != len(sizes):
            raise ValueError(f"{len(sizes)} layers need {len(sizes)} biases entries, got {len(biases)}")
        shared = shared_bias if isinstance(shared_bias, (list, tuple)) else [shared_bias] * len(sizes)
        widths = [nin, *sizes]
        self.layers = []
        for k in range(len(sizes)):
            act = activation if k < len(sizes) - 1 else output_activation
            w = None if weights is None else weights[k]
            b = None if biases is None else biases[k]
            try:
                layer = Layer(widths[k], widths[k + 1], act, fused, shared_bias=bool(shared[k]), w=w, b=b)
            except (TypeError, ValueError) as exc:  # the number rule's TypeError stays a TypeError
                raise type(exc)(f"layer {k + 1}: {exc}") from None
            self.layers.append(layer)
        self.relabel()

    @classmethod
    def from_weights(
        cls,
        weights: Sequence[Sequence[Sequence[float | Value]]],
        biases: Sequence[float | Value | Sequence[float | Value]] | None = None,
        activation: str = "relu",
        output_activation: str = "linear",
        fused: bool = True,
    ) -> "MLP":
        """An MLP with every weight and bias given: no random numbers are drawn.

        ``weights[l][j][i]`` is w^(l+1)_{j+1,i+1}. ``biases[l]`` is a list with one
        bias per neuron, or a single number: one bias Value shared by all the
        neurons of that layer (seed 002). Without ``biases`` every bias is 0.

        >>> net = MLP.from_weights([[[0.10, 0.15], [0.03, 0.08]], [[0.18, 0.06], [0.11, 0.26]]],
        ...                        [0.05, 0.42], "sigmoid", "sigmoid")
        >>> [round(a.data, 10) for a in net([0.95, 0.06])]
        [0.6337097788, 0.6489980701]
        """
        if not weights or not weights[0]:
            raise ValueError("weights must hold one matrix (a list of rows, one per neuron) per layer")
        nin = len(weights[0][0])
        sizes = [len(matrix) for matrix in weights]
        shared = [] if biases is None else [not isinstance(b, (list, tuple)) for b in biases]
        return cls(
            nin,
            sizes,
            activation,
            output_activation,
            fused,
            shared_bias=shared or False,
            weights=weights,
            biases=biases,
        )

    def relabel(self) -> None:
        """Label parameters and nodes layer by layer (see the module notes)."""
        for l, layer in enumerate(self.layers, 1):  # noqa: E741 (l is the documents' layer index)
            layer.relabel(l)

    def __call__(self, x):
        x = [xi if xi.__class__ is Value else _input(xi, i) for i, xi in enumerate(x, 1)]
        nin = len(self.layers[0].neurons[0].w)
        if len(x) != nin:
            raise ValueError(f"this network takes {nin} inputs, got {len(x)}")
        for layer in self.layers:
            x = [n(x) for n in layer.neurons]
        return x[0] if len(x) == 1 else x

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [
            (f"layer{l}.{name}", p)
            for l, layer in enumerate(self.layers, 1)  # noqa: E741
            for name, p in layer.named_parameters()
        ]

    def config(self) -> dict[str, Any]:
        first = self.layers[0].neurons[0]
        return {
            "type": "MLP",
            "nin": len(first.w),
            "layers": [
                {
                    "nout": len(layer.neurons),
                    "activation": layer.neurons[0].activation,
                    "shared_bias": layer.bias is not None,
                }
                for layer in self.layers
            ],
        }

    def __repr__(self):
        sizes = [len(layer.neurons) for layer in self.layers]
        hidden = self.layers[0].neurons[0].activation if len(self.layers) > 1 else "relu"
        out = self.layers[-1].neurons[0].activation
        nin = len(self.layers[0].neurons[0].w)
        return f"MLP({nin}, {sizes}, activation={hidden!r}, output_activation={out!r})"


def load_model(path: str | os.PathLike[str]) -> Module:
    """Rebuild the MLP saved at ``path`` (architecture and weights).

    >>> # model.save("model.json"); same = load_model("model.json")
    """
    doc = weights.read(path)  # read once: the architecture, then the weights from the same text
    kind = doc["model"].get("type")
    if kind in ("Layer", "Neuron"):
        raise ValueError(
            f"{path}: load_model rebuilds an MLP; this file holds a {kind!r}: "
            f"build the {kind}, then call its load"
        )
    cfg = weights.check_model(doc["model"], path)
    size, held = weights.expected_size(cfg), len(doc["parameters"])
    if size is not None and size > held:  # checked before building: a tiny file may declare a huge model
        raise ValueError(
            f"{path}: the file describes {weights.describe(cfg)}, which has {size} parameters, "
            f"but it holds {held}; the file is damaged or was edited by hand"
        )
    try:
        if cfg.get("type") != "MLP":
            raise ValueError(f"load_model rebuilds an MLP; this file holds a {cfg.get('type')!r}")
        layers = cfg["layers"]
        if not isinstance(layers, list) or not layers:
            raise ValueError(f'"layers" must be a non-empty list of layers, got {_short(layers)}')
        if not all(isinstance(layer, dict) for layer in layers):
            raise ValueError('each of "layers" must be an object with "nout", "activation" and "shared_bias"')
        model = MLP(
            cfg["nin"],
            [layer["nout"] for layer in layers],
            layers[0]["activation"] if len(layers) > 1 else "relu",
            layers[-1]["activation"],
            shared_bias=[layer["shared_bias"] for layer in layers],
        )
        if model.config() != cfg:  # e.g. hidden layers with different activations
            raise ValueError(f"cannot rebuild {weights.describe(cfg)} as an MLP")
    except (KeyError, TypeError, AttributeError, ValueError, IndexError) as exc:
        what = f"no {exc}" if isinstance(exc, KeyError) else str(exc)
        raise ValueError(f"{path}: the model description is not valid ({what})") from None
    return model._load_doc(path, doc)


# --- helpers -----------------------------------------------------------------


def _as_value(v):
    return v if isinstance(v, Value) else Value(v)


def _input(xi, i):
    v = Value(xi)
    v.label = f"x_{i}"
    return v


def _few(names, n=4):
    shown = ", ".join(map(repr, names[:n]))
    return shown + (f" and {len(names) - n} more" if len(names) > n else "")
