"""nn: neurons, layers and networks made only of engine Values, and how to train them.

    >>> import random, nn
    >>> random.seed(1337)
    >>> X, y = nn.data.moons(100, noise=0.1, seed=1337)
    >>> model = nn.MLP(2, [16, 16, 1])
    >>> history = nn.fit(model, X, y, loss="hinge", l2=1e-4, epochs=20, progress=False,
    ...                  optimizer=nn.SGD(model.parameters(), lr=nn.LinearDecay(1.0, 0.1, 100)))
    >>> history.accuracy[-1] > 0.8
    True

Parts: :mod:`nn.module` (Module, Neuron, Layer, MLP, load_model), :mod:`nn.losses`,
:mod:`nn.optim` (SGD, Adam, AdamW, LinearDecay), :mod:`nn.train` (fit, History, TrainingDiverged,
predict), :mod:`nn.multiclass` (softmax, log_softmax, cross_entropy), :mod:`nn.data` (datasets),
:mod:`nn.examples` (the documents' networks), :mod:`nn.live` (fit's live view, the training GIF),
:mod:`nn.weights` (the JSON weights file), :mod:`nn.layers` (``nn.layer_view``, ``nn.layer_code``: a
pass in seed 001's layer form, and as NumPy; ``fit(compile="layers")`` trains with it, :mod:`nn._matrix`),
:mod:`nn.strategies` (hypothesis strategies for networks) and
:mod:`nn.torch_export` (``nn.to_torch``/``nn.from_torch``, with the torch extra).
"""

from . import data, losses
from .examples import Seed002, seed000_explorable, seed002
from .losses import bce, half_sse, hinge, l2, mse
from .module import ACTIVATIONS, MLP, Layer, Module, Neuron, load_model
from .multiclass import cross_entropy, log_softmax, softmax
from .optim import SGD, Adam, AdamW, LinearDecay, Optimizer
from .train import History, TrainingDiverged, fit, predict


def __getattr__(name):
    # PyTorch export loads on first use: it needs the optional torch extra
    if name in ("to_torch", "from_torch"):
        from . import torch_export

        return getattr(torch_export, name)
    if name in ("layer_view", "layer_code", "LayerView", "LayerFormError"):  # NumPy loads on first use
        from importlib import import_module

        return getattr(import_module(".layers", __name__), name)
    raise AttributeError(f"module 'nn' has no attribute {name!r}")


__all__ = [
    "Module", "Neuron", "Layer", "MLP", "ACTIVATIONS", "load_model",
    "mse", "half_sse", "bce", "hinge", "l2", "losses", "softmax", "log_softmax", "cross_entropy",
    "Optimizer", "SGD", "Adam", "AdamW", "LinearDecay",
    "fit", "History", "TrainingDiverged", "predict", "data",
    "seed002", "Seed002", "seed000_explorable",
    "layer_view", "layer_code", "LayerView", "LayerFormError",
]  # fmt: skip
