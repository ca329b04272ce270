"""A network's outputs computed from its weights' numbers with numpy: for pictures, never a graph.

The live view and the training GIF (:mod:`nn.live`) colour a grid of points by the
class the model gives each; these functions read the weights (``p.data``) as plain
floats and run the layers on a whole grid at once, recording nothing.
"""

from collections.abc import Callable, Sequence
from typing import Any

Layers = list[tuple[list[list[float]], list[float]]]  # per layer: the weights (one row per neuron), biases


def weights(model: Any) -> Layers | None:
    """The model's weights and biases as plain floats, layer by layer (None unless an MLP of neurons)."""
    try:
        return [([[w.data for w in n.w] for n in layer.neurons], [n.b.data for n in layer.neurons])
                for layer in model.layers]  # fmt: skip
    except (AttributeError, TypeError):
        return None


def activations(model: Any) -> list[str] | None:
    """Each layer's activation name ("relu", "tanh", "sigmoid", "linear"), or None for another model."""
    try:
        names = [[n.activation for n in layer.neurons] for layer in model.layers]
    except (AttributeError, TypeError):
        return None
    if any(len(set(layer)) != 1 for layer in names) or not all(n[0] in _ACTIVATIONS for n in names):
        return None
    return [layer[0] for layer in names]


def scores(layers: Layers, acts: Sequence[str], points: Any) -> Any:
    """The network's outputs for ``points`` (n rows) as a numpy array of n rows, computed on floats."""
    import numpy as np

    a = np.asarray(points, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        for (W, b), act in zip(layers, acts):
            a = _ACTIVATIONS[act](a @ np.asarray(W, dtype=float).T + np.asarray(b, dtype=float))
    return a


def _sigmoid(z):
    import numpy as np

    return 0.5 * (1.0 + np.tanh(0.5 * z))  # = 1/(1 + e^-z), without overflow


def _relu(z):
    import numpy as np

    return np.maximum(z, 0.0)


def _tanh(z):
    import numpy as np

    return np.tanh(z)


_ACTIVATIONS: dict[str, Callable[[Any], Any]] = {
    "relu": _relu, "tanh": _tanh, "sigmoid": _sigmoid, "linear": lambda z: z,
}  # fmt: skip
