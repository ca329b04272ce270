"""The documents' worked networks, with their exact numbers.

>>> net = seed002()
>>> round(net.E.data, 10)
0.184979383
"""

from dataclasses import dataclass

import engine
from engine import Value

SEED002_WEIGHTS = (0.10, 0.15, 0.03, 0.08, 0.18, 0.06, 0.11, 0.26)  # w1..w8
SEED002_BIASES = (0.05, 0.42)  # b1 (both hidden neurons), b2 (both outputs)
SEED002_INPUT = (0.95, 0.06)
SEED002_TARGET = (0.05, 0.82)


@dataclass
class Seed002:
    """The 2-2-2 sigmoid network of seed 002 after one forward pass.

    ``params`` maps "w1".."w8", "b1", "b2" to their Values; ``z`` and ``out`` map
    "H1", "H2", "Y1", "Y2" to each neuron's pre-activation and activation.
    """

    params: dict
    x: list
    target: tuple
    z: dict
    out: dict
    E: Value


def seed002():
    """Build seed 002's network, run it forward on its sample and return the nodes.

    Labels follow the document: w1..w8, b1, b2, x1, x2, zH1 and outH1 (likewise H2,
    Y1, Y2) and E. Each neuron's nodes carry the scope "hidden layer/H1" and so on.
    """
    params = {f"w{i}": Value(v, label=f"w{i}") for i, v in enumerate(SEED002_WEIGHTS, 1)}
    params["b1"] = Value(SEED002_BIASES[0], label="b1")
    params["b2"] = Value(SEED002_BIASES[1], label="b2")
    x = [Value(v, label=f"x{i}") for i, v in enumerate(SEED002_INPUT, 1)]
    z, out = {}, {}
    layers = [("hidden layer", ("H1", "H2"), x, "b1"), ("output layer", ("Y1", "Y2"), None, "b2")]
    weights = iter([params[f"w{i}"] for i in range(1, 9)])
    for layer, names, inputs, bias in layers:
        inputs = inputs if inputs is not None else [out["H1"], out["H2"]]
        params[bias].scope = layer
        for name in names:
            w = [next(weights) for _ in inputs]
            for p in w:
                p.scope = f"{layer}/{name}"
            with engine.scope(layer), engine.scope(name):
                z[name] = engine.dot(w, inputs, params[bias])
                out[name] = z[name].sigmoid()
            z[name].label, out[name].label = f"z{name}", f"out{name}"
    with engine.scope("loss"):
        E = 0.5 * (SEED002_TARGET[0] - out["Y1"]) ** 2 + 0.5 * (SEED002_TARGET[1] - out["Y2"]) ** 2
    E.label = "E"
    return Seed002(params, x, SEED002_TARGET, z, out, E)
