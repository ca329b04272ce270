"""Export an ``nn.MLP`` to PyTorch and back: the path for a learner who outgrows scalars.

``to_torch(model)`` gives a ``torch.nn.Sequential`` in float64 with the same
weights: one ``Linear`` per layer, each followed by its activation module
(``ReLU``, ``Tanh`` or ``Sigmoid``; none for a linear layer). ``from_torch(seq)``
reads such a Sequential back into an MLP. The weights cross exactly (float64
both ways), so outputs and gradients agree to rounding (the two sum the w·x
terms in different orders). Needs the optional extra: ``pip install 'chainrule[torch]'``.

A layer with one shared bias (seed 002) is exported with that bias copied to
every neuron: the outputs are the same, and the shared bias's gradient is the
sum of the copies' gradients. ``from_torch`` gives every neuron its own bias.

    >>> import pytest; torch = pytest.importorskip("torch")
    >>> import random
    >>> from nn.module import MLP
    >>> random.seed(1)
    >>> model = MLP(2, [3, 1], activation="tanh")
    >>> seq = to_torch(model)
    >>> seq
    Sequential(
      (0): Linear(in_features=2, out_features=3, bias=True)
      (1): Tanh()
      (2): Linear(in_features=3, out_features=1, bias=True)
    )
    >>> back = from_torch(seq)
    >>> back.state_dict() == model.state_dict()
    True
"""

from typing import Any

from .module import MLP


def _torch():
    """PyTorch, imported when first needed (it is an optional extra)."""
    try:
        import torch
    except ImportError as exc:
        raise ImportError(
            "nn.to_torch and nn.from_torch need PyTorch, an optional extra: pip install 'chainrule[torch]'"
        ) from exc
    return torch


def _modules(torch):
    return {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid}


def _names(torch):
    return {
        torch.nn.ReLU: "relu",
        torch.nn.Tanh: "tanh",
        torch.nn.Sigmoid: "sigmoid",
        torch.nn.Identity: "linear",
    }


def to_torch(model: MLP) -> Any:
    """A float64 ``torch.nn.Sequential`` computing the same function as the MLP ``model``.

    ``Linear(nin, nout)`` per layer, its ``weight[j][i]`` the weight to neuron
    j+1 from input i+1, then the layer's activation module (none if linear).
    """
    torch = _torch()
    layers = getattr(model, "layers", None)
    if not layers or not all(hasattr(layer, "neurons") for layer in layers):
        raise TypeError(f"to_torch exports an nn.MLP (layers of neurons), not {type(model).__name__}")
    modules = []
    for index, layer in enumerate(layers, 1):
        neurons = layer.neurons
        activations = {n.activation for n in neurons}
        if len(activations) != 1:
            raise ValueError(
                f"layer {index} mixes activations {sorted(activations)}; a torch layer applies one "
                "activation to all its neurons"
            )
        nin, nout = len(neurons[0].w), len(neurons)
        linear = torch.nn.utils.skip_init(torch.nn.Linear, nin, nout, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in neurons], dtype=torch.float64))
            linear.bias.copy_(torch.tensor([n.b.data for n in neurons], dtype=torch.float64))
        modules.append(linear)
        activation = activations.pop()
        if activation != "linear":
            modules.append(_modules(torch)[activation]())
    return torch.nn.Sequential(*modules)


def from_torch(seq: Any, fused: bool = True) -> MLP:
    """An ``nn.MLP`` with the weights of ``seq``: Linear layers, each optionally followed by an activation.

    The activations may be ``ReLU``, ``Tanh``, ``Sigmoid`` or ``Identity``
    (or none: linear). All hidden layers must share one activation, as an MLP's
    do. Weights of any floating dtype are read exactly as Python floats.
    """
    torch = _torch()
    if not isinstance(seq, torch.nn.Sequential):
        raise TypeError(f"from_torch reads a torch.nn.Sequential, not {type(seq).__name__}")
    modules = list(seq)
    weights: list = []
    biases: list = []
    activations: list = []
    i = 0
    while i < len(modules):
        linear = modules[i]
        if not isinstance(linear, torch.nn.Linear):
            raise ValueError(
                f"from_torch: module {i} is {type(linear).__name__}; expected a Linear layer, each followed "
                f"by at most one of ReLU, Tanh, Sigmoid or Identity"
            )
        if weights and linear.in_features != len(weights[-1]):
            raise ValueError(
                f"from_torch: module {i} takes {linear.in_features} inputs but the layer before it has "
                f"{len(weights[-1])} outputs"
            )
        weights.append(linear.weight.detach().double().tolist())
        if linear.bias is None:
            biases.append([0.0] * linear.out_features)
        else:
            biases.append(linear.bias.detach().double().tolist())
        i += 1
        activation = "linear"
        if i < len(modules) and not isinstance(modules[i], torch.nn.Linear):
            kind = type(modules[i])
            if kind not in _names(torch):
                raise ValueError(
                    f"from_torch: module {i} is {kind.__name__}, which an MLP has no counterpart for; "
                    "the activations can be ReLU, Tanh, Sigmoid or Identity"
                )
            activation = _names(torch)[kind]
            i += 1
        activations.append(activation)
    if not weights:
        raise ValueError("from_torch: the Sequential is empty; it needs at least one Linear layer")
    hidden = set(activations[:-1])
    if len(hidden) > 1:
        raise ValueError(
            f"from_torch: the hidden layers use different activations {activations[:-1]}; "
            "an MLP uses one activation for all hidden layers"
        )
    hidden_activation = hidden.pop() if hidden else "relu"
    return MLP.from_weights(weights, biases, hidden_activation, activations[-1], fused)


__all__ = ["to_torch", "from_torch"]
