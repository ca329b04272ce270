"""Hypothesis strategies for networks: ``mlps()`` draws small MLPs with a batch of data.

>>> from hypothesis import given
>>> from engine import gradcheck
>>> @given(mlps())
... def test_network_gradients(problem):
...     gradcheck(problem.model(problem.X[0])[0], problem.model.parameters())
"""

from typing import Any, NamedTuple

from hypothesis import strategies as st

from engine.tools.strategies import reals

from .module import ACTIVATIONS, MLP


class Problem(NamedTuple):
    """A drawn network with a batch: ``model`` (an ``nn.MLP``), inputs ``X`` and targets ``y``.

    ``X`` holds one list of ``nin`` numbers per sample and ``y`` one list per
    sample with a target per output.
    """

    model: Any
    X: list
    y: list

    def __repr__(self):
        weights = [[[w.data for w in n.w] for n in layer.neurons] for layer in self.model.layers]
        biases = [[n.b.data for n in layer.neurons] for layer in self.model.layers]
        return f"<{self.model!r} weights={weights!r} biases={biases!r} X={self.X!r} y={self.y!r}>"


def mlps(
    max_inputs: int = 3,
    max_width: int = 4,
    max_layers: int = 3,
    max_samples: int = 4,
    activations: list[str] | None = None,
    fused: bool = True,
) -> st.SearchStrategy[Problem]:
    """A strategy for small ``nn.MLP`` networks with a batch of inputs and targets (a :class:`Problem`).

    The layer sizes, the hidden and output activations (from ``activations``,
    default relu, tanh, sigmoid and linear), every weight and bias in [-1, 1]
    and the data (inputs in [-2, 2], targets in [-1, 1]) are drawn, so a
    failing case shrinks to a small network with round numbers. ``fused``
    chooses dot-node neurons or elementary ``*`` and ``+`` ones.
    """
    acts = tuple(activations) if activations is not None else ACTIVATIONS
    unknown = [a for a in acts if a not in ACTIVATIONS]
    if unknown or not acts:
        raise ValueError(f"mlps: activations must be some of {', '.join(ACTIVATIONS)}, not {acts!r}")
    for name, value in (("max_inputs", max_inputs), ("max_width", max_width), ("max_layers", max_layers)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"mlps: {name} must be a positive integer, not {value!r}")
    if not isinstance(max_samples, int) or max_samples < 1:
        raise ValueError(f"mlps: max_samples must be a positive integer, not {max_samples!r}")
    return _mlps(max_inputs, max_width, max_layers, max_samples, acts, fused)


@st.composite
def _mlps(draw, max_inputs, max_width, max_layers, max_samples, acts, fused):
    nin = draw(st.integers(1, max_inputs))
    sizes = draw(st.lists(st.integers(1, max_width), min_size=1, max_size=max_layers))
    activation, output = draw(st.sampled_from(acts)), draw(st.sampled_from(acts))
    widths = [nin, *sizes]
    weights = [
        [[draw(reals(-1.0, 1.0)) for _ in range(widths[k])] for _ in range(n)] for k, n in enumerate(sizes)
    ]
    biases = [[draw(reals(-1.0, 1.0)) for _ in range(n)] for n in sizes]
    model = MLP.from_weights(weights, biases, activation, output, fused)
    n = draw(st.integers(1, max_samples))
    X = [[draw(reals(-2.0, 2.0)) for _ in range(nin)] for _ in range(n)]
    y = [[draw(reals(-1.0, 1.0)) for _ in range(sizes[-1])] for _ in range(n)]
    return Problem(model, X, y)


__all__ = ["mlps", "Problem"]
