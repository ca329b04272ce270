"""The documents' worked networks, with their exact numbers, built on nn's MLP.

>>> net = seed002()
>>> round(net.E.data, 10)
0.184979383
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import engine
from engine import Value

from .losses import half_sse
from .module import MLP

SEED002_WEIGHTS = (0.10, 0.15, 0.03, 0.08, 0.18, 0.06, 0.11, 0.26)  # w1..w8
SEED002_BIASES = (0.05, 0.42)  # b1 (both hidden neurons), b2 (both outputs)
SEED002_INPUT = (0.95, 0.06)
SEED002_TARGET = (0.05, 0.82)


@dataclass
class Seed002:
    """The 2-2-2 sigmoid network of seed 002 after one forward pass.

    ``params`` maps "w1".."w8", "b1", "b2" to their Values; ``z`` and ``out`` map
    "H1", "H2", "Y1", "Y2" to each neuron's pre-activation and activation;
    ``model`` is the :class:`nn.MLP` holding those parameters.
    """

    params: dict
    x: list
    target: tuple
    z: dict
    out: dict
    E: Value
    model: MLP | None = None


def seed002() -> Seed002:
    """Build seed 002's network, run it forward on its sample and return the nodes.

    The network is ``MLP.from_weights`` with the document's weights: H1 = w1·x1 +
    w2·x2 + b1, H2 = w3·x1 + w4·x2 + b1, Y1 = w5·H1 + w6·H2 + b2, Y2 = w7·H1 +
    w8·H2 + b2, sigmoid everywhere, b1 and b2 each one Value shared by a layer.
    Labels follow the document: w1..w8, b1, b2, x1, x2, zH1 and outH1 (likewise
    H2, Y1, Y2) and E = Σ ½(target − out)². Each neuron's parameters and nodes
    carry the scope "hidden layer/H1" and so on; b1 and b2 their layer's scope,
    "hidden layer" and "output layer"; the loss nodes the scope "loss".
    """
    w = SEED002_WEIGHTS
    model = MLP.from_weights([[w[0:2], w[2:4]], [w[4:6], w[6:8]]], list(SEED002_BIASES), "sigmoid", "sigmoid")
    hidden, output = model.layers
    hidden.name, output.name = "hidden layer", "output layer"
    for layer, names in ((hidden, ("H1", "H2")), (output, ("Y1", "Y2"))):
        for neuron, name in zip(layer.neurons, names):
            neuron.name = name
    model.relabel()  # scopes from the names just given
    params = {}
    for i, p in enumerate((p for layer in model.layers for neuron in layer.neurons for p in neuron.w), 1):
        p.label = f"w{i}"
        params[p.label] = p
    for k, layer in enumerate(model.layers, 1):
        bias = cast(Value, layer.bias)  # seed 002's layers share one bias
        bias.label = f"b{k}"
        params[bias.label] = bias
        for neuron in layer.neurons:
            neuron.z_label, neuron.a_label = f"z{neuron.name}", f"out{neuron.name}"
    x = [Value(v, label=f"x{i}") for i, v in enumerate(SEED002_INPUT, 1)]
    h = hidden(x)
    y = output(h)
    out = dict(zip(("H1", "H2", "Y1", "Y2"), h + y))
    z = {name: a.parents[0] for name, a in out.items()}  # each sigmoid node's input is its z
    with engine.scope("loss"):
        E = half_sse(y, list(SEED002_TARGET))
    E.label = "E"
    return Seed002(params, x, SEED002_TARGET, z, out, E, model)


# Seed 000's ice-cream network as notebook 02 writes it: eight parameters from an earlier training run
# (rounded), the output bias b^(2)_1 the one left to find.
SEED000_WEIGHTS = ([[0.29, 0.21], [0.65, 0.42]], [[0.25, 0.44]])
SEED000_BIASES = ([-0.06, -0.11], [0.0])


def seed000_explorable(path: str | Path | None = None, weight: bool = False) -> Any:
    """Seed 000's ice-cream network as an explorable page: the MSE of the 10 rows (``nn.data.ice_cream``).

    The output bias b^(2)_1 has a slider over 0…0.5 and the page draws the MSE against it (the
    article's sweep, redrawn as you move it); ``weight=True`` adds the weight w^(2)_{1,2} (over
    -0.3…1.3), so moving it reshapes the curve. Returns the ``engine.explorable`` page (written to
    ``path`` when given).
    """
    from . import data
    from .losses import mean, mse

    X, _ = data.ice_cream()
    _, revenue = data.ice_cream(scaled=False)
    y = [r / 1000 for r in revenue]  # revenue in thousands of dollars
    model = MLP.from_weights(list(SEED000_WEIGHTS), list(SEED000_BIASES), "relu", "relu")
    output = model.layers[1].neurons[0]
    loss = mean([mse(model(x), t) for x, t in zip(X, y)])
    loss.label = "MSE"
    vary, ranges = [output.b], {output.b: (0.0, 0.5)}
    if weight:
        vary.insert(0, output.w[1])
        ranges[output.w[1]] = (-0.3, 1.3)
    return engine.explorable(loss, path, vary=vary, ranges=ranges, curve=output.b)
