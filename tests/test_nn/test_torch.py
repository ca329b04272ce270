"""Tests for nn.torch: exporting an MLP to torch.nn.Sequential and importing it back."""

import pytest

from engine.tools.strategies import examples

torch = pytest.importorskip(
    "torch", reason="PyTorch is not installed: pip install 'chainrule[torch]' to run the export tests"
)

from hypothesis import given  # noqa: E402

import engine  # noqa: E402
from nn.module import MLP  # noqa: E402
from nn.strategies import mlps  # noqa: E402
from nn.torch_export import from_torch, to_torch  # noqa: E402

SOME = examples(0.5, least=30)


def close(a, b, rel=1e-12):
    return abs(a - b) <= rel * max(abs(a), abs(b), 1.0)


def outputs(model, xs):
    out = model(xs)
    return out if isinstance(out, list) else [out]


def our_loss(model, X, y):
    """Half the summed squared error over the batch, in engine Values."""
    return engine.sum([(o - t) ** 2 for xs, ys in zip(X, y) for o, t in zip(outputs(model, xs), ys)]) * 0.5


def torch_loss(seq, X, y):
    """The same loss in torch."""
    pred = seq(torch.tensor(X, dtype=torch.float64))
    return ((pred - torch.tensor(y, dtype=torch.float64)) ** 2).sum() * 0.5


@SOME
@given(mlps())
def test_export_gives_the_same_outputs_and_gradients(problem):
    """A random MLP and its torch export agree on outputs, loss and every parameter gradient to 1e-12."""
    model, X, y = problem
    seq = to_torch(model)
    assert all(p.dtype == torch.float64 for p in seq.parameters())
    pred = seq(torch.tensor(X, dtype=torch.float64))
    for row, xs in zip(pred.tolist(), X):
        assert all(close(a, o.data) for a, o in zip(row, outputs(model, xs)))
    L, T = our_loss(model, X, y), torch_loss(seq, X, y)
    assert close(L.data, T.item())
    L.backward()
    T.backward()
    linears = [m for m in seq if isinstance(m, torch.nn.Linear)]
    for layer, linear in zip(model.layers, linears):
        for j, neuron in enumerate(layer.neurons):
            assert all(close(w.grad, g) for w, g in zip(neuron.w, linear.weight.grad[j].tolist()))
            assert close(neuron.b.grad, linear.bias.grad[j].item())


@SOME
@given(mlps())
def test_round_trip_keeps_every_weight_exactly(problem):
    """to_torch then from_torch gives back the same architecture and bit-identical weights."""
    model = problem.model
    back = from_torch(to_torch(model))
    assert back.config() == model.config()
    assert back.state_dict() == model.state_dict()
    assert [o.data for o in outputs(back, problem.X[0])] == [o.data for o in outputs(model, problem.X[0])]


def test_export_layout_and_the_model_methods():
    """Each layer becomes Linear then its activation (none if linear), both ways."""
    model = MLP.from_weights(
        [[[0.5, -1.0], [2.0, 0.25]], [[1.5, -0.5]]], [[0.1, 0.2], [0.3]], "tanh", "sigmoid"
    )
    seq = to_torch(model)
    assert [type(m).__name__ for m in seq] == ["Linear", "Tanh", "Linear", "Sigmoid"]
    assert seq[0].weight.tolist() == [[0.5, -1.0], [2.0, 0.25]] and seq[2].bias.tolist() == [0.3]
    assert from_torch(seq).state_dict() == model.state_dict()
    linear = MLP.from_weights([[[1.0]]], [[0.5]], "relu", "linear")
    assert [type(m).__name__ for m in to_torch(linear)] == ["Linear"]


def test_shared_bias_is_exported_as_copies():
    """Seed 002's shared biases become per-neuron copies; the shared bias's gradient is the sum of theirs."""
    weights = [[[0.10, 0.15], [0.03, 0.08]], [[0.18, 0.06], [0.11, 0.26]]]
    model = MLP.from_weights(weights, [0.05, 0.42], "sigmoid", "sigmoid")
    seq = to_torch(model)
    assert seq[0].bias.tolist() == [0.05, 0.05] and seq[2].bias.tolist() == [0.42, 0.42]
    X, y = [[0.95, 0.06]], [[0.05, 0.82]]
    L, T = our_loss(model, X, y), torch_loss(seq, X, y)
    assert close(L.data, 0.1849793830, rel=1e-9) and close(T.item(), L.data)
    L.backward()
    T.backward()
    assert close(model.layers[0].bias.grad, seq[0].bias.grad.sum().item())
    assert close(model.layers[1].bias.grad, seq[2].bias.grad.sum().item())
    back = from_torch(seq)
    assert back.layers[0].bias is None and [n.b.data for n in back.layers[0].neurons] == [0.05, 0.05]


def test_import_reads_float32_identity_and_bias_free_layers():
    """from_torch reads float32 weights exactly, Identity as linear and a Linear without bias as bias 0."""
    seq = torch.nn.Sequential(
        torch.nn.Linear(2, 3, bias=False), torch.nn.ReLU(), torch.nn.Linear(3, 1), torch.nn.Identity()
    )
    model = from_torch(seq)
    assert model.config()["layers"] == [
        {"nout": 3, "activation": "relu", "shared_bias": False},
        {"nout": 1, "activation": "linear", "shared_bias": False},
    ]
    assert [w.data for w in model.layers[0].neurons[1].w] == seq[0].weight[1].double().tolist()
    assert all(n.b.data == 0.0 for n in model.layers[0].neurons)
    x = [0.25, -0.75]
    assert close(model(x).data, seq(torch.tensor(x)).item(), rel=1e-6)  # float32 torch vs float64 here


@pytest.mark.parametrize(
    "seq, match",
    [
        (torch.nn.Sequential(), "empty"),
        (torch.nn.Sequential(torch.nn.ReLU()), "module 0 is ReLU; expected a Linear"),
        (torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout()), "module 1 is Dropout"),
        (
            torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(2, 1)),
            "takes 2 inputs but the layer before",
        ),
        (
            torch.nn.Sequential(
                torch.nn.Linear(2, 2),
                torch.nn.ReLU(),
                torch.nn.Linear(2, 2),
                torch.nn.Tanh(),
                torch.nn.Linear(2, 1),
            ),
            "hidden layers use different activations",
        ),
    ],
)
def test_import_rejects_what_an_mlp_cannot_hold(seq, match):
    """Sequentials an MLP cannot represent are refused with a message naming the module."""
    with pytest.raises(ValueError, match=match):
        from_torch(seq)


def test_wrong_types_are_refused():
    """to_torch needs an MLP and from_torch a Sequential; anything else is a TypeError saying so."""
    with pytest.raises(TypeError, match="exports an nn.MLP"):
        to_torch(torch.nn.Linear(2, 2))
    with pytest.raises(TypeError, match="reads a torch.nn.Sequential"):
        from_torch(torch.nn.Linear(2, 2))
