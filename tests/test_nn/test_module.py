"""Tests for nn.module: neurons, layers, MLPs, their labels, initialisation and weight files."""

import doctest
import json
import math
import os
import random
import stat

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
import engine.files
import nn.module
import nn.weights
from engine import Value
from engine.tools.strategies import examples
from nn import MLP, Layer, Neuron, load_model
from nn.examples import SEED002_BIASES, SEED002_WEIGHTS

SEED002_LAYERS = [[SEED002_WEIGHTS[0:2], SEED002_WEIGHTS[2:4]], [SEED002_WEIGHTS[4:6], SEED002_WEIGHTS[6:8]]]


def test_docstring_examples():
    """The examples in nn.module's docstrings run and give the documented results."""
    assert doctest.testmod(nn.module).failed == 0


# --- initialisation -------------------------------------------------------------


def test_initialisation_order_is_micrograds():
    """After random.seed(s) the weights are uniform(−1, 1) draws per layer, per neuron, and biases are 0."""
    random.seed(7)
    expected = [random.uniform(-1, 1) for _ in range(2 * 3 + 3 * 2)]
    random.seed(7)
    model = MLP(2, [3, 2])
    weights = [w.data for layer in model.layers for n in layer.neurons for w in n.w]
    assert weights == expected
    assert all(n.b.data == 0.0 for layer in model.layers for n in layer.neurons)


def test_initialisation_matches_micrograd():
    """random.seed(s) gives micrograd 0.1.0's initial parameters, in micrograd's order, and its outputs."""
    mg = pytest.importorskip("micrograd.nn")
    from micrograd.engine import Value as MV

    for seed in (0, 1337):
        random.seed(seed)
        theirs = mg.MLP(2, [16, 16, 1])
        state_after_theirs = random.getstate()
        for fused in (True, False):
            random.seed(seed)
            ours = MLP(2, [16, 16, 1], fused=fused)
            assert random.getstate() == state_after_theirs  # the same number of draws
            assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
            x = [0.3, -1.2]
            assert ours(x).data == pytest.approx(theirs([MV(v) for v in x]).data, rel=1e-14)


def test_micrograd_model_trains_identically():
    """Three steps of micrograd's demo training give the same losses (1e-12) with both our neurons."""
    mg = pytest.importorskip("micrograd.nn")
    from micrograd.engine import Value as MV

    X, y = nn.data.moons(20, noise=0.1, seed=3)

    def train(model, value, s):
        losses = []
        for k in range(3):
            scores = [model([value(a) for a in row]) for row in X]
            total = s([(1 + -t * sc).relu() for t, sc in zip(y, scores)]) * (1.0 / len(y))
            total = total + 1e-4 * s([p * p for p in model.parameters()])
            model.zero_grad()
            total.backward()
            for p in model.parameters():
                p.data -= (1.0 - 0.9 * k / 100) * p.grad
            losses.append(total.data)
        return losses

    random.seed(5)
    theirs = train(mg.MLP(2, [4, 4, 1]), MV, sum)
    for fused in (True, False):
        random.seed(5)
        ours = train(MLP(2, [4, 4, 1], fused=fused), Value, engine.sum)
        assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-12)


# --- structure, graph, labels ----------------------------------------------------


def test_fused_neuron_is_one_dot_node_then_the_activation():
    """A fused neuron's output is the activation node whose single parent is one dot node over w, x and b."""
    n = Neuron(3, "tanh")
    x = [Value(0.1), Value(0.2), Value(0.3)]
    a = n(x)
    z = a.parents[0]
    assert a.op.name == "tanh" and z.op.name == "dot"
    assert z.parents == (*n.w, *x, n.b)


def test_elementary_neuron_is_micrograds_graph():
    """With fused=False, z is built as ((b + w1·x1) + w2·x2): mul and add nodes in micrograd's order."""
    n = Neuron(2, "relu", fused=False, w=[0.5, -0.25], b=0.1)
    x = [Value(2.0), Value(4.0)]
    a = n(x)
    z = a.parents[0]
    assert a.op.name == "relu" and z.op.name == "add"
    left, w2x2 = z.parents
    assert w2x2.op.name == "mul" and w2x2.parents == (n.w[1], x[1])
    assert left.op.name == "add" and left.parents[0] is n.b
    assert left.parents[1].op.name == "mul" and left.parents[1].parents == (n.w[0], x[0])
    assert z.data == 0.1 + 0.5 * 2.0 + -0.25 * 4.0


def test_linear_neuron_adds_no_activation_node():
    """A linear neuron's output is its z node itself."""
    out = Neuron(2, "linear", w=[1.0, 2.0], b=0.5)([Value(1.0), Value(1.0)])
    assert out.op.name == "dot" and out.data == 3.5 and out.label == "z"


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_activations(activation):
    """Each activation applies its function to z."""
    f = {"relu": lambda z: max(z, 0.0), "tanh": math.tanh, "sigmoid": lambda z: 1 / (1 + math.exp(-z))}
    f["linear"] = lambda z: z
    for b in (-1.0, 0.7):
        z = 0.5 * 0.4 + b
        assert Neuron(1, activation, w=[0.5], b=b)([0.4]).data == pytest.approx(f[activation](z), rel=1e-15)


@settings(examples(0.5))
@given(
    st.lists(st.floats(-2, 2), min_size=13, max_size=13),
    st.lists(st.floats(-2, 2), min_size=2, max_size=2),
    st.sampled_from(["relu", "tanh", "sigmoid", "linear"]),
)
def test_fused_and_elementary_agree(numbers, x, activation):
    """The fused and the elementary network give the same outputs and the same gradients."""
    weights = [[numbers[0:2], numbers[2:4], numbers[4:6]], [numbers[6:9]]]
    biases = [numbers[9:12], [numbers[12]]]
    results = []
    for fused in (True, False):
        model = MLP.from_weights(weights, biases, activation, "sigmoid", fused=fused)
        out = model(x)
        out.backward()
        results.append((out.data, [p.grad for p in model.parameters()]))
    (o1, g1), (o2, g2) = results
    assert o1 == pytest.approx(o2, rel=1e-12, abs=1e-15)
    assert g1 == pytest.approx(g2, rel=1e-12, abs=1e-15)


def test_labels_follow_the_documents_notation():
    """Parameters and forward nodes are labelled w^(l)_{j,i}, b^(l)_j, z^(l)_j, a^(l)_j and inputs x_i."""
    random.seed(0)
    model = MLP(3, [4, 2], activation="sigmoid", output_activation="sigmoid")
    assert model.layers[1].neurons[0].w[2].label == "w^(2)_{1,3}"
    assert model.layers[0].neurons[1].b.label == "b^(1)_2"
    out = model([0.1, 0.2, 0.3])
    assert [a.label for a in out] == ["a^(2)_1", "a^(2)_2"]
    assert out[0].parents[0].label == "z^(2)_1"
    hidden = out[0].parents[0].parents[4]  # dot parents: w_1..w_4, x_1..x_4, b
    assert hidden.label == "a^(1)_1"
    x1 = hidden.parents[0].parents[3]
    assert x1.label == "x_1" and x1.data == 0.1


def test_scopes_group_each_neuron():
    """A neuron's parameters and nodes carry "layer l/neuron j", nested under any surrounding engine.scope."""
    random.seed(0)
    model = MLP(2, [2, 1])
    p = model.layers[1].neurons[0]
    assert p.w[0].scope == "layer 2/neuron 1" and p.b.scope == "layer 2/neuron 1"
    out = model([1.0, 2.0])
    assert out.scope == "layer 2/neuron 1"
    with engine.scope("model"):
        out = model([1.0, 2.0])
    assert out.scope == "model/layer 2/neuron 1"
    elementary = MLP(2, [2, 1], fused=False)
    with engine.scope("model"):
        out = elementary([1.0, 2.0])
    assert out.scope == "model/layer 2/neuron 1" and out.parents[0].scope == "model/layer 2/neuron 1"


def test_standalone_parts_have_short_labels():
    """A neuron or layer outside an MLP is labelled without a layer index (w_i, b; w_{j,i}, b_j)."""
    n = Neuron(2)
    assert [w.label for w in n.w] == ["w_1", "w_2"] and n.b.label == "b" and n.scope is None
    layer = Layer(2, 3, shared_bias=True)
    assert layer.neurons[2].w[0].label == "w_{3,1}" and layer.bias.label == "b"
    assert layer.neurons[2].scope == "neuron 3"


def test_width_one_layer_returns_a_list_and_one_output_mlp_a_value():
    """A layer always returns a list (even of one); an MLP returns a Value for one output, else a list."""
    random.seed(0)
    assert isinstance(Layer(2, 1)([1.0, 2.0]), list)
    assert isinstance(MLP(2, [3, 1])([1.0, 2.0]), Value)
    out = MLP(2, [3, 2])([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 2


def test_named_parameters_are_stable_and_complete():
    """MLP(2, [16, 16, 1]) has micrograd's 337 parameters, named layer/neuron/index, in micrograd's order."""
    random.seed(0)
    model = MLP(2, [16, 16, 1])
    names = [name for name, _ in model.named_parameters()]
    assert len(names) == len(set(names)) == 337 == len(model.parameters())
    assert names[:3] == ["layer1.neuron1.w1", "layer1.neuron1.w2", "layer1.neuron1.b"]
    assert names[-1] == "layer3.neuron1.b"
    assert model.parameters()[3] is model.layers[0].neurons[1].w[0]


def test_shared_bias_is_one_value_listed_once():
    """A shared bias is one Value in all neurons of its layer, named "layerN.b" once, in the layer's scope."""
    model = MLP.from_weights(SEED002_LAYERS, list(SEED002_BIASES), "sigmoid", "sigmoid")
    hidden = model.layers[0]
    assert hidden.neurons[0].b is hidden.neurons[1].b is hidden.bias
    assert hidden.bias.label == "b^(1)" and hidden.bias.scope == "layer 1"
    names = [name for name, _ in model.named_parameters()]
    assert names == [
        "layer1.neuron1.w1", "layer1.neuron1.w2", "layer1.neuron2.w1", "layer1.neuron2.w2", "layer1.b",
        "layer2.neuron1.w1", "layer2.neuron1.w2", "layer2.neuron2.w1", "layer2.neuron2.w2", "layer2.b",
    ]  # fmt: skip


def test_from_weights_sets_every_parameter_without_drawing():
    """from_weights builds seed 002's network with its outputs and draws no random numbers."""
    state = random.getstate()
    model = MLP.from_weights(SEED002_LAYERS, list(SEED002_BIASES), "sigmoid", "sigmoid")
    assert random.getstate() == state
    out = model([0.95, 0.06])
    assert [round(a.data, 10) for a in out] == [0.6337097788, 0.6489980701]
    per_neuron = MLP.from_weights([[[1.0, 2.0], [3.0, 4.0]]], [[0.5, -0.5]], output_activation="linear")
    assert [n.b.data for n in per_neuron.layers[0].neurons] == [0.5, -0.5]
    assert per_neuron.layers[0].bias is None
    assert [a.data for a in per_neuron([1.0, 1.0])] == [3.5, 6.5]


def test_from_weights_without_biases_uses_zero():
    """Without biases, every bias is 0."""
    model = MLP.from_weights([[[2.0]]])
    assert model.layers[0].neurons[0].b.data == 0.0 and model([3.0]).data == 6.0


@pytest.mark.parametrize(
    "weights, biases, message",
    [
        ([[[1.0, 2.0], [3.0]]], None, "needs 2 weights"),
        ([[[1.0], [2.0]], [[1.0, 2.0, 3.0]]], None, "needs 2 weights"),
        ([[[1.0], [2.0]]], [[0.0]], "needs a list of 2 biases"),
        ([[[1.0]]], [[0.0], [0.0]], "need 1 biases"),
        ([[[1.0]]], [[math.nan]], "a bias: only finite numbers can be held; got nan"),
        ([], None, "one matrix"),
    ],
)
def test_from_weights_rejects_bad_shapes(weights, biases, message):
    """Ragged or mismatched weights, wrong bias counts and non-numbers are clear ValueErrors."""
    with pytest.raises(ValueError, match=message):
        MLP.from_weights(weights, biases)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Neuron(2, "softmax"), "unknown activation"),
        (lambda: Neuron(0), "at least|>= 1"),
        (lambda: Layer(2, 0), ">= 1"),
        (lambda: MLP(2, []), "at least one layer"),
        (lambda: MLP(2, [3, 1.5]), "whole number"),
        (lambda: MLP(2, [3, 1], output_activation="step"), "unknown activation"),
    ],
)
def test_bad_construction_is_a_clear_error(make, message):
    """Unknown activations and non-positive or non-integer sizes raise ValueError saying what is wrong."""
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("fused", [True, False])
def test_wrong_number_of_inputs_is_an_error(fused):
    """Calling a network or a neuron with the wrong number of inputs raises ValueError."""
    random.seed(0)
    with pytest.raises(ValueError, match="takes 2 inputs, got 3"):
        MLP(2, [2, 1], fused=fused)([1.0, 2.0, 3.0])
    with pytest.raises(ValueError):
        Neuron(2, fused=fused)([Value(1.0)])


def test_zero_grad_clears_every_parameter():
    """zero_grad sets every parameter's grad back to 0."""
    random.seed(0)
    model = MLP(2, [3, 1])
    model([1.0, -1.0]).backward()
    assert any(p.grad for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_repr_describes_the_architecture():
    """repr shows the constructor call of the model."""
    random.seed(0)
    assert repr(MLP(2, [16, 16, 1])) == "MLP(2, [16, 16, 1], activation='relu', output_activation='linear')"
    assert repr(Layer(3, 2, "tanh")) == "Layer(3, 2, activation='tanh')"
    assert repr(Neuron(4, "sigmoid")) == "Neuron(4, activation='sigmoid')"


# --- state dicts and files -------------------------------------------------------


def _model(seed=0):
    random.seed(seed)
    return MLP(2, [3, 1])


def test_state_dict_round_trip():
    """load_state_dict(state_dict()) of one model into another makes them compute the same thing."""
    a, b = _model(1), _model(2)
    assert a([0.5, 0.5]).data != b([0.5, 0.5]).data
    b.load_state_dict(a.state_dict())
    assert b([0.5, 0.5]).data == a([0.5, 0.5]).data
    assert json.loads(json.dumps(a.state_dict())) == a.state_dict()  # JSON-safe


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda s: s.pop("layer1.neuron1.w1"), "missing 'layer1.neuron1.w1'"),
        (lambda s: s.update({"layer9.b": 1.0}), "unexpected 'layer9.b'"),
        (lambda s: s.update({"layer2.neuron1.b": "0.5"}), "parameter 'layer2.neuron1.b' takes a real number"),
        (lambda s: s.update({"layer2.neuron1.b": math.inf}), "'layer2.neuron1.b': only finite numbers"),
        (lambda s: s.update({"layer2.neuron1.b": None}), "parameter 'layer2.neuron1.b' takes a real number"),
    ],
)
def test_bad_state_dict_leaves_model_unchanged(change, message):
    """A state dict with missing, extra or non-numeric entries raises ValueError and changes nothing."""
    model = _model()
    before = model.state_dict()
    state = {k: 9.0 for k in before}
    change(state)
    with pytest.raises((TypeError, ValueError), match=message):  # TypeError: not a number (engine.numbers)
        model.load_state_dict(state)
    assert model.state_dict() == before


def test_state_dict_must_be_a_dict():
    """Anything but a dict is rejected."""
    with pytest.raises(ValueError, match="maps parameter names"):
        _model().load_state_dict([1.0, 2.0])


def test_save_load_round_trip(tmp_path):
    """save then load restores every float exactly, and load_model rebuilds the same network."""
    model = _model(3)
    path = tmp_path / "model.json"
    model.save(path)
    doc = json.loads(path.read_text())
    assert doc["format"] == "chainrule-weights" and doc["parameters"] == model.state_dict()
    other = _model(4)
    assert other.load(path) is other
    assert other.state_dict() == model.state_dict()
    rebuilt = load_model(str(path))
    assert rebuilt.config() == model.config() and rebuilt.state_dict() == model.state_dict()
    assert rebuilt([0.2, 0.9]).data == model([0.2, 0.9]).data
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]  # no temporary file left


def test_saved_file_has_ordinary_permissions(tmp_path):
    """A new weights file is readable as usual (not the 0600 of a temporary file)."""
    path = tmp_path / "m.json"
    old = os.umask(0o022)
    try:
        _model().save(path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_save_and_load_keep_shared_biases(tmp_path):
    """A network with shared biases saves them once and reloads them into one shared Value."""
    model = MLP.from_weights(SEED002_LAYERS, list(SEED002_BIASES), "sigmoid", "sigmoid")
    model.save(tmp_path / "s.json")
    rebuilt = load_model(tmp_path / "s.json")
    assert rebuilt.layers[0].bias is rebuilt.layers[0].neurons[1].b
    assert rebuilt([0.95, 0.06])[0].data == model([0.95, 0.06])[0].data


def test_save_is_atomic(tmp_path, monkeypatch):
    """If writing fails midway, the previous file is intact and no temporary file is left."""
    model = _model(1)
    path = tmp_path / "model.json"
    model.save(path)
    before = path.read_bytes()

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(engine.files.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        _model(2).save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


def _valid_doc():
    model = _model()
    return {
        "format": "chainrule-weights",
        "version": 1,
        "model": model.config(),
        "parameters": model.state_dict(),
    }


def _other_architecture(doc):
    doc["model"]["layers"][0]["nout"] = 4
    return json.dumps(doc)


BAD_FILES = {
    "empty": (b"", "invalid JSON"),
    "truncated": (json.dumps(_valid_doc())[:50].encode(), "invalid JSON"),
    "not utf-8": (b"\xff\xfe\x00garbage", "not UTF-8"),
    "a list": (b"[1, 2, 3]", "not a chainrule weights file"),
    "no format": (json.dumps({"parameters": {}}).encode(), "not a chainrule weights file"),
    "future version": (json.dumps({**_valid_doc(), "version": 2}).encode(), "version 2 is not supported"),
    "no parameters": (json.dumps({**_valid_doc(), "parameters": None}).encode(), "no 'parameters'"),
    "other architecture": (_other_architecture(_valid_doc()).encode(), "holds weights for an MLP"),
    "missing weight": (
        json.dumps({**_valid_doc(), "parameters": {"layer1.b": 1.0}}).encode(),
        "do not match this model",
    ),
    "string weight": (
        json.dumps(
            {**_valid_doc(), "parameters": {**_valid_doc()["parameters"], "layer2.neuron1.b": "1"}}
        ).encode(),
        "'layer2.neuron1.b'",
    ),
    "NaN weight": (
        json.dumps(
            {**_valid_doc(), "parameters": {**_valid_doc()["parameters"], "layer2.neuron1.b": math.nan}}
        ).encode(),
        "'layer2.neuron1.b'",
    ),
    "weight beyond a float": (
        json.dumps(
            {**_valid_doc(), "parameters": {**_valid_doc()["parameters"], "layer2.neuron1.b": 10**400}}
        ).encode(),
        "'layer2.neuron1.b'",
    ),
    "weight overflowing to inf": (
        json.dumps(_valid_doc()).replace('"layer2.neuron1.b": 0.0', '"layer2.neuron1.b": 1e400').encode(),
        "'layer2.neuron1.b'",
    ),
    "weight of 5000 digits": (
        json.dumps(_valid_doc())
        .replace('"layer2.neuron1.b": 0.0', '"layer2.neuron1.b": ' + "7" * 5000)
        .encode(),
        "not a valid weights file",
    ),
    "100k-deep objects": (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "nested too deeply"),
    "100k-deep lists": (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    "duplicate key": (
        json.dumps(_valid_doc()).replace('"layer1.neuron1.w2"', '"layer1.neuron1.w1"').encode(),
        "appears more than once",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_are_clear_errors_and_change_nothing(tmp_path, case):
    """Every kind of bad weights file raises ValueError naming the file, and the model keeps its weights."""
    content, message = BAD_FILES[case]
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    model = _model()
    before = model.state_dict()
    with pytest.raises(ValueError, match=message) as info:
        model.load(path)
    assert str(path) in str(info.value)
    assert model.state_dict() == before
    with pytest.raises(ValueError):
        load_model(path)


def _doc_with_model(model, parameters=None):
    return json.dumps({**_valid_doc(), "model": model, "parameters": parameters or {}})


def _mlp(nin=2, layers=None):
    return {
        "type": "MLP",
        "nin": nin,
        "layers": layers or [{"nout": 1, "activation": "linear", "shared_bias": False}],
    }


BAD_MODELS = {
    "no layers": (_doc_with_model({"type": "MLP", "nin": 2, "layers": []}), "non-empty list of layers"),
    "layers not a list": (
        _doc_with_model({"type": "MLP", "nin": 2, "layers": {}}),
        "non-empty list of layers",
    ),
    "a layer not an object": (_doc_with_model({"type": "MLP", "nin": 2, "layers": [5]}), "must be an object"),
    "a layer without nout": (_doc_with_model(_mlp(layers=[{"activation": "relu"}])), "no 'nout'"),
    "no nin": (_doc_with_model({"type": "MLP", "layers": _mlp()["layers"]}), "no 'nin'"),
    "negative nin": (_doc_with_model(_mlp(nin=-1)), "at least 1, not -1"),
    "fractional nin": (_doc_with_model(_mlp(nin=2.5)), "whole number .*float 2.5"),
    "boolean nout": (
        _doc_with_model(_mlp(layers=[{"nout": True, "activation": "linear", "shared_bias": False}])),
        "whole number",
    ),
    "a Layer": (_doc_with_model({"type": "Layer", "nin": 2, "nout": 1}), "rebuilds an MLP"),
    "unknown activation": (
        _doc_with_model(
            _mlp(layers=[{"nout": 1, "activation": "gelu", "shared_bias": False}]),
            {"layer1.neuron1.w1": 0.0, "layer1.neuron1.w2": 0.0, "layer1.neuron1.b": 0.0},
        ),
        "unknown activation 'gelu'",
    ),
    "huge nin in a tiny file": (
        _doc_with_model(_mlp(nin=100_000_000), {"layer1.neuron1.b": 0.0}),
        "100000001 parameters, but it holds 1",
    ),
    "huge layer in a tiny file": (
        _doc_with_model(
            _mlp(
                layers=[
                    {"nout": 10**9, "activation": "relu", "shared_bias": True},
                    {"nout": 1, "activation": "linear", "shared_bias": False},
                ]
            )
        ),
        "parameters, but it holds 0",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_MODELS))
def test_bad_model_descriptions_are_clear_errors_before_anything_is_built(tmp_path, case):
    """load_model refuses each bad architecture: a ValueError naming the file, almost nothing allocated."""
    import tracemalloc

    content, message = BAD_MODELS[case]
    path = tmp_path / "bad.json"
    path.write_text(content)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=message) as info:
            load_model(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(path) in str(info.value) and peak < 5_000_000
    model = _model()
    before = model.state_dict()
    with pytest.raises(ValueError, match=str(path)):
        model.load(path)
    assert model.state_dict() == before


@pytest.mark.parametrize("bad", [10**400, -(10**400), float("inf"), float("nan"), "1", None])
def test_load_state_dict_refuses_non_finite_weights_and_changes_nothing(bad):
    """A state dict holding 10**400, inf, NaN or a non-number raises ValueError naming it; nothing moves."""
    model = _model()
    before = model.state_dict()
    state = {**before, "layer1.neuron2.w1": bad}
    with pytest.raises((TypeError, ValueError), match="parameter 'layer1.neuron2.w1'"):
        model.load_state_dict(state)
    assert model.state_dict() == before


@pytest.mark.skipif(os.name == "nt", reason="symlinks are POSIX here")
def test_saving_through_a_symlink_writes_its_target(tmp_path):
    """model.save on a symlink updates the file it points to and keeps the link; load reads it back."""
    target = tmp_path / "runs" / "model.json"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "latest.json"
    link.symlink_to(target)
    model = _model(5)
    model.save(link)
    assert link.is_symlink() and json.loads(target.read_text())["parameters"] == model.state_dict()
    assert load_model(link).state_dict() == model.state_dict()


def test_sizes_may_be_any_integral_number():
    """MLP and Layer accept numpy integers (any numbers.Integral) as sizes, and store plain ints."""
    np = pytest.importorskip("numpy")
    model = MLP(np.int64(2), [np.int32(3), np.int64(1)])
    assert model.config()["nin"] == 2 and type(model.config()["nin"]) is int
    assert len(Layer(np.int64(2), np.int64(2)).neurons) == 2


def test_missing_file_is_file_not_found(tmp_path):
    """Loading a file that does not exist raises FileNotFoundError."""
    with pytest.raises(FileNotFoundError):
        _model().load(tmp_path / "nope.json")


def test_torch_export_is_lazy_and_outside_the_module():
    """nn.to_torch/nn.from_torch load nn.torch_export on first use; nn.module never imports it."""
    import nn.torch_export

    assert nn.to_torch is nn.torch_export.to_torch and nn.from_torch is nn.torch_export.from_torch
    assert "torch_export" not in open(nn.module.__file__, encoding="utf-8").read()


# --- shared Values, one architecture check, one read, what save refuses -------------


@given(st.lists(st.integers(0, 3), min_size=4, max_size=12), st.booleans())
def test_parameters_lists_a_shared_value_once_in_first_place(picks, shared_bias):
    """Weights drawn from a pool of 4 Values: parameters() is named_parameters() without repeats, in order."""
    pool = [Value(float(i + 1)) for i in range(4)]
    rows = [[pool[k] for k in picks[i : i + 2]] for i in range(0, len(picks) - 1, 2)]
    layer = Layer(2, len(rows), "linear", shared_bias=shared_bias, w=rows, b=0.5 if shared_bias else None)
    named = [p for _, p in layer.named_parameters()]
    unique = [p for i, p in enumerate(named) if all(q is not p for q in named[:i])]
    assert layer.parameters() == unique and [id(p) for p in layer.parameters()] == [id(p) for p in unique]
    assert len(named) == 2 * len(rows) + (1 if shared_bias else len(rows))  # every name is still listed


def test_an_optimizer_step_moves_a_shared_value_once():
    """A Value shared by two neurons gets one SGD update of its summed gradient, not two."""
    v = Value(0.5)
    model = MLP.from_weights([[[v, 1.0], [v, 2.0]], [[1.0, 1.0]]], [[0.0, 0.0], [0.0]], "linear")
    assert len(model.parameters()) == len(model.named_parameters()) - 1
    out = model([1.0, 0.0])
    out.backward()
    grad = v.grad  # from both neurons: ∂out/∂v = 1 + 1
    assert grad == 2.0
    nn.SGD(model.parameters(), lr=0.1).step()
    assert v.data == 0.5 - 0.1 * grad


LOOSE_SIZES = {
    "nout 3.0": lambda cfg: cfg["layers"][0].update(nout=float(cfg["layers"][0]["nout"])),
    "nin 2.0": lambda cfg: cfg.update(nin=2.0),
    "nout true": lambda cfg: cfg["layers"][1].update(nout=True),
    "shared_bias 0": lambda cfg: cfg["layers"][0].update(shared_bias=0),
    "shared_bias null": lambda cfg: cfg["layers"][0].update(shared_bias=None),
    "an extra key": lambda cfg: cfg["layers"][0].update(dropout=0.5),
    "activation 1": lambda cfg: cfg["layers"][0].update(activation=1),
}


@pytest.mark.parametrize("case", sorted(LOOSE_SIZES))
def test_load_and_load_model_refuse_the_same_loose_descriptions(tmp_path, case):
    """A description Python's == would pass (3.0 == 3, 0 == False) is refused by load and load_model alike."""
    model = _model()
    doc = _valid_doc()
    LOOSE_SIZES[case](doc["model"])
    path = tmp_path / "loose.json"
    path.write_text(json.dumps(doc))
    before = model.state_dict()
    errors = []
    for load in (model.load, load_model):
        with pytest.raises(ValueError, match="model description is not valid") as info:
            load(path)
        errors.append(str(info.value))
    assert errors[0] == errors[1] and str(path) in errors[0]
    assert model.state_dict() == before


def test_a_strict_description_still_loads_with_numpy_sizes(tmp_path):
    """A model built from numpy sizes saves plain ints, which both loaders accept."""
    np = pytest.importorskip("numpy")
    random.seed(3)
    model = MLP(np.int64(2), [np.int32(3), 1])
    model.save(tmp_path / "m.json")
    assert load_model(tmp_path / "m.json").state_dict() == model.state_dict()
    assert _model(9).load(tmp_path / "m.json").state_dict() == model.state_dict()


def test_load_model_reads_the_file_once(tmp_path, monkeypatch):
    """load_model parses the file once: the architecture and the weights come from the same text."""
    model = _model(4)
    model.save(tmp_path / "m.json")
    reads = []
    real_read = nn.weights.read
    monkeypatch.setattr(nn.weights, "read", lambda path: reads.append(path) or real_read(path))
    assert load_model(tmp_path / "m.json").state_dict() == model.state_dict()
    assert len(reads) == 1


@given(st.lists(st.text(min_size=1, max_size=4), min_size=1, max_size=30, unique=True), st.data())
def test_duplicate_keys_are_found_wherever_they_are(keys, data):
    """A key repeated anywhere in a JSON object of the file is named; unique keys parse as a dict."""
    pairs = [(k, i) for i, k in enumerate(keys)]
    assert nn.weights._reject_duplicates(pairs) == dict(pairs)
    dup = data.draw(st.sampled_from(keys))
    at = data.draw(st.integers(0, len(pairs)))
    with pytest.raises(ValueError, match="appears more than once") as info:
        nn.weights._reject_duplicates(pairs[:at] + [(dup, -1)] + pairs[at:])
    assert repr(dup) in str(info.value)


def test_a_file_of_many_parameters_loads_and_round_trips(tmp_path):
    """A 12,001-parameter MLP saves and loads back exactly (the duplicate check is one pass)."""
    random.seed(1)
    model = MLP(10, [1000, 1])
    model.save(tmp_path / "big.json")
    assert len(model.parameters()) == 12_001
    assert load_model(tmp_path / "big.json").state_dict() == model.state_dict()


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_save_refuses_a_diverged_model_and_keeps_the_old_file(tmp_path, bad):
    """A NaN or infinite weight is a ValueError naming it; the file already there is left as it was."""
    model = _model()
    path = tmp_path / "m.json"
    model.save(path)
    old = path.read_bytes()
    model.layers[1].neurons[0].w[2].data = bad
    with pytest.raises(ValueError, match=r"'layer2.neuron1.w3' is .*diverge"):
        model.save(path)
    assert path.read_bytes() == old and os.listdir(tmp_path) == ["m.json"]


def test_save_refuses_a_read_only_file(tmp_path):
    """model.save never replaces a read-only weights file (not even as root); the file keeps its bytes."""
    path = tmp_path / "m.json"
    _model(1).save(path)
    old = path.read_bytes()
    path.chmod(0o444)
    with pytest.raises(PermissionError, match="read-only"):
        _model(2).save(path)
    assert path.read_bytes() == old and stat.S_IMODE(path.stat().st_mode) == 0o444


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
@pytest.mark.parametrize("kind", ["fifo", "folder"])
def test_loading_a_fifo_or_a_folder_is_a_clear_error_not_a_hang(tmp_path, kind):
    """A FIFO (which would block a reader) or a folder given as the file is a ValueError at once."""
    path = tmp_path / "m.json"
    os.mkfifo(path) if kind == "fifo" else path.mkdir()
    model = _model()
    for load in (model.load, load_model):
        with pytest.raises(ValueError, match="not a chainrule weights file: it is"):
            load(path)


def test_load_model_names_a_layer_file(tmp_path):
    """load_model given a Layer's file says it rebuilds MLPs and what to do instead."""
    layer = Layer(2, 2)
    path = tmp_path / "layer.json"
    layer.save(path)
    with pytest.raises(ValueError, match="rebuilds an MLP.*'Layer'"):
        load_model(path)
    assert Layer(2, 2).load(path).state_dict() == layer.state_dict()
