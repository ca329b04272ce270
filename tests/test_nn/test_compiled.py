"""Tests for nn.compiled: training with the generated step (fit(compile=True)) equals training on graphs."""

import decimal
import fractions
import math
import random
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import engine
import nn
from engine.tools.strategies import examples
from nn.compiled import BatchStep
from nn.strategies import mlps

REL = 1e-12


def bits(x):
    return struct.pack("<d", x)


def close(a, b):
    return a == b or abs(a - b) <= REL * max(abs(a), abs(b))


def train_both(build, X, y, **options):
    """Train two copies of the same model, on graphs and compiled; return (model, history) for each."""
    out = []
    for compile in (False, True):
        model, optimizer = build()
        history = nn.fit(model, X, y, optimizer=optimizer, progress=False, compile=compile, **options)
        out.append((model, history))
    return out


def assert_same_training(graph, compiled, X):
    (gm, gh), (cm, ch) = graph, compiled
    assert len(gh.loss) == len(ch.loss) and gh.iterations_per_epoch == ch.iterations_per_epoch
    for i, (a, b) in enumerate(zip(gh.loss, ch.loss)):
        assert close(a, b), (i, a, b)
    assert all(close(a, b) for a, b in zip(gh.epoch_loss, ch.epoch_loss))
    assert gh.accuracy == ch.accuracy and gh.stopped_early == ch.stopped_early and gh.lr == ch.lr
    assert all(close(a, b) for a, b in zip(gh.update, ch.update))
    assert nn.predict(gm, X) == nn.predict(cm, X)  # identical final predictions
    assert [bits(p.data) for p in gm.parameters()] == [bits(p.data) for p in cm.parameters()]


def micrograd_demo():
    random.seed(1337)
    model = nn.MLP(2, [16, 16, 1])
    return model, nn.SGD(model.parameters(), lr=nn.LinearDecay(1.0, 0.1, 100))


def test_micrograd_demo_trains_identically():
    """micrograd's demo (moons, MLP(2, [16, 16, 1]), hinge + L2, SGD decay): same losses at every step."""
    X, y = nn.data.moons(100, noise=0.1, seed=1337)
    graph, compiled = train_both(micrograd_demo, X, y, loss="hinge", l2=1e-4, epochs=12)
    assert_same_training(graph, compiled, X)
    assert graph[1].loss == compiled[1].loss  # the additions come in the same order: bit for bit


def test_seed002_trains_identically():
    """Seed 002 (shared biases, sigmoid, half SSE): the same trajectory over 50 updates."""

    def build():
        net = nn.seed002()
        return net.model, nn.SGD(net.model.parameters(), lr=0.5)

    X, y = nn.data.seed002_sample()
    graph, compiled = train_both(build, X, y, loss="half_sse", epochs=50)
    assert_same_training(graph, compiled, X)
    assert graph[1].loss == compiled[1].loss


@pytest.mark.parametrize("batch_size", [None, 1, 4])
def test_seed003_regimes_train_identically(batch_size):
    """Seed 003's three regimes (batch, stochastic, mini-batch with a short last batch) match the graph."""

    def build():
        random.seed(3)
        model = nn.MLP(3, [5, 2], activation="sigmoid", output_activation="sigmoid")
        return model, nn.SGD(model.parameters(), lr=0.5)

    X, y = nn.data.seed003()
    graph, compiled = train_both(build, X, y, loss="half_sse", epochs=15, batch_size=batch_size, seed=7)
    assert_same_training(graph, compiled, X)


def test_early_stopping_adam_and_a_parameter_subset_work_compiled():
    """tol stops at the same epoch; Adam and training only some parameters give the graph's numbers."""
    X, y = nn.data.xor(8, noise=0.1, seed=2)

    def build():
        random.seed(5)
        model = nn.MLP(2, [4, 1], activation="tanh")
        return model, nn.Adam(model.parameters()[:5], lr=0.05)

    graph, compiled = train_both(build, X, y, loss="mse", epochs=40, batch_size=3, tol=1e-3)
    assert_same_training(graph, compiled, X)


@settings(examples(0.4), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mlps(max_width=3, max_layers=2))
def test_random_networks_train_identically(problem):
    """Random MLPs (every activation, fused or not) with MSE: compiled training = graph training."""
    weights = [p.data for p in problem.model.parameters()]

    def build():
        model = problem.model
        for p, w in zip(model.parameters(), weights):
            p.data, p.grad = w, 0.0
        return model, nn.SGD(model.parameters(), lr=0.05)

    results = []
    for compile in (False, True):
        model, optimizer = build()
        h = nn.fit(model, problem.X, problem.y, loss="mse", optimizer=optimizer, epochs=3, progress=False,
                   l2=1e-3, compile=compile, batch_size=2)  # fmt: skip
        results.append((h.loss, [p.data for p in model.parameters()]))
    (gl, gp), (cl, cp) = results
    assert all(close(a, b) for a, b in zip(gl, cl)) and all(close(a, b) for a, b in zip(gp, cp))


@settings(examples(0.4), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mlps(fused=False))
def test_compiled_equals_backward_on_random_networks(problem):
    """Random MLPs (elementary neurons) with an MSE loss over their batch: engine.compile = backward()."""
    params = problem.model.parameters()
    loss = nn.losses.mean([nn.mse(problem.model(x), t) for x, t in zip(problem.X, problem.y)])
    value, grads = engine.compile(loss, params)(*[p.data for p in params])
    for p in params:
        p.grad = 0.0
    loss.backward()
    assert bits(value) == bits(loss.data) and [bits(g) for g in grads] == [bits(p.grad) for p in params]


def test_unsupported_losses_and_bad_rows_are_refused():
    """A loss whose graph depends on the numbers (bce) and ragged rows give clear errors, before training."""
    model = nn.MLP(2, [2, 1])
    with pytest.raises(ValueError, match="compile=True supports the losses"):
        nn.fit(model, [[0.0, 1.0]], [1], loss="bce", progress=False, compile=True)
    with pytest.raises(ValueError, match="every row needs the same number of inputs"):
        nn.fit(model, [[0.0, 1.0], [1.0]], [1, 0], loss="mse", progress=False, compile=True)
    with pytest.raises(ValueError, match="finite numbers"):
        nn.fit(model, [[0.0, float("nan")]], [1], loss="mse", progress=False, compile=True)


def test_the_step_is_generated_once_per_architecture_and_loss():
    """Two models of one architecture share the generated step; another loss makes another."""
    X, y = [[0.5, -1.0]], [1.0]
    a = BatchStep(nn.MLP(2, [3, 1]), nn.mse, X, y)
    b = BatchStep(nn.MLP(2, [3, 1]), nn.mse, X, y)
    c = BatchStep(nn.MLP(2, [3, 1]), nn.hinge, X, y)
    assert a.function is b.function and a.function is not c.function
    assert "def batch(params, rows, targets, seed):" in a.source


def test_cross_entropy_compiled_equals_the_graph_up_to_rounding():
    """fit(loss="cross_entropy", compile=True) gives the graph's losses, accuracies and weights to 1e-12."""
    X, y = nn.data.spiral(45, seed=0)

    def build():
        random.seed(0)
        model = nn.MLP(2, [6, 6, 3])
        return model, nn.Adam(model.parameters(), lr=0.05)

    (graph, g), (compiled, c) = train_both(
        build, X, y, loss="cross_entropy", epochs=4, batch_size=8, l2=1e-4, validation=(X[:9], y[:9])
    )
    assert g.accuracy == c.accuracy and g.val_accuracy == c.val_accuracy
    assert all(close(a, b) for a, b in zip(g.loss + g.val_loss, c.loss + c.val_loss))
    assert all(close(p.data, q.data) for p, q in zip(graph.parameters(), compiled.parameters()))
    assert g.loss[0] == c.loss[0]  # the first batch's loss, before any update: the same bits


def test_compiled_cross_entropy_checks_labels_first():
    """A label out of range stops fit(compile=True) before training, as on the graph."""
    random.seed(0)
    model = nn.MLP(2, [4, 3])
    start = [p.data for p in model.parameters()]
    with pytest.raises(ValueError, match=r"0 ≤ label < 3.*\(row 1\)"):
        nn.fit(model, [[0.0, 1.0], [1.0, 0.0]], [2, 3], loss="cross_entropy", compile=True, progress=False)
    assert [p.data for p in model.parameters()] == start


REGIMES = [None, 1, 2]  # batch, stochastic and mini-batch gradient descent (seed 003)


def assert_same_losses(build, X, y, batch_size, **options):
    """The graph path and the compiled path give the same loss at every step (1e-12) and the same weights."""
    (gm, gh), (cm, ch) = train_both(build, X, y, batch_size=batch_size, **options)
    assert len(gh.loss) == len(ch.loss) > 0
    assert all(close(a, b) for a, b in zip(gh.loss, ch.loss)), (gh.loss, ch.loss)
    assert all(close(p.data, q.data) for p, q in zip(gm.parameters(), cm.parameters()))
    assert gh.accuracy == ch.accuracy


def tied_model():
    """A 3-3-1 network whose first input weight is one Value shared by all three hidden neurons."""
    random.seed(4)
    shared = engine.Value(0.3)
    rows = [[shared, random.uniform(-1, 1), random.uniform(-1, 1)] for _ in range(3)]
    model = nn.MLP.from_weights([rows, [[0.5, -0.4, 0.2]]], activation="tanh")
    return model, nn.SGD(model.parameters(), lr=0.1)


@pytest.mark.parametrize("batch_size", REGIMES)
def test_tied_weights_train_identically(batch_size):
    """A weight shared by several neurons (counted once per use in the L2 penalty) trains as on the graph."""
    X, y = nn.data.seed003()
    y = [t[0] for t in y]
    model, _ = tied_model()
    assert len(list(model.named_parameters())) > len(model.parameters())  # really tied: one Value, two names
    assert_same_losses(tied_model, X, y, batch_size, loss="mse", epochs=3, l2=1e-2)


def seed003_build():
    random.seed(0)
    model = nn.MLP(3, [4, 1], activation="sigmoid")
    return model, nn.SGD(model.parameters(), lr=0.5)


@pytest.mark.parametrize("batch_size", REGIMES)
@pytest.mark.parametrize("kind", [np.float32, np.float64, decimal.Decimal, fractions.Fraction])
def test_rows_of_any_real_kind_train_identically(batch_size, kind):
    """Rows of numpy float32/float64, Decimal or Fraction numbers train compiled as on the graph."""
    X, y = nn.data.seed003()
    rows = [[kind(str(v)) if kind is not np.float32 else kind(v) for v in row] for row in X]
    assert_same_losses(seed003_build, rows, [t[0] for t in y], batch_size, loss="mse", epochs=3)


@pytest.mark.parametrize("batch_size", REGIMES)
def test_bool_and_numpy_targets_train_identically(batch_size):
    """bool targets (True is 1) and numpy number targets train compiled as on the graph."""
    X, _ = nn.data.seed003()
    for y in (
        [True, False, True, True, False, False],
        [np.int64(1), np.float32(0.5), 0, 1, np.float64(0.25), 0],
    ):
        assert_same_losses(seed003_build, X, y, batch_size, loss="mse", epochs=3)


@pytest.mark.parametrize("batch_size", REGIMES)
def test_numpy_integer_labels_train_identically(batch_size):
    """numpy integer class labels train compiled with cross_entropy as on the graph (to 1e-12)."""
    X, y = nn.data.spiral(12, seed=0)

    def build():
        random.seed(0)
        model = nn.MLP(2, [5, 3])
        return model, nn.SGD(model.parameters(), lr=0.2)

    labels = [np.int64(t) for t in y]
    assert_same_losses(build, X, labels, batch_size, loss="cross_entropy", epochs=3)


def mixed_model():
    """A 2-2-1 network whose hidden layer mixes a relu neuron and a tanh neuron."""
    random.seed(2)
    model = nn.MLP(2, [2, 1])
    model.layers[0].neurons[1] = nn.Neuron(2, activation="tanh")
    return model, nn.SGD(model.parameters(), lr=0.1)


def plain_model():
    random.seed(2)
    model = nn.MLP(2, [2, 1])
    return model, nn.SGD(model.parameters(), lr=0.1)


@pytest.mark.parametrize("batch_size", REGIMES)
def test_the_cache_never_serves_code_of_another_model(batch_size):
    """After the plain 2-2-1 model is compiled, a model of the same shapes with a mixed layer, or with tied
    weights, gets code of its own: its losses are the graph's, not the plain model's."""
    X, y = [[0.5, -1.0], [1.0, 2.0], [0.3, 0.1], [-0.7, 0.4]], [1.0, -1.0, 1.0, 0.5]
    assert_same_losses(plain_model, X, y, batch_size, loss="mse", epochs=3)
    assert_same_losses(mixed_model, X, y, batch_size, loss="mse", epochs=3)

    def tied():
        model, _ = plain_model()
        model.layers[0].neurons[1].w[0] = model.layers[0].neurons[0].w[0]
        return model, nn.SGD(model.parameters(), lr=0.1)

    assert_same_losses(tied, X, y, batch_size, loss="mse", epochs=3)
    shared = BatchStep(plain_model()[0], nn.mse, X, y)
    assert BatchStep(mixed_model()[0], nn.mse, X, y).function is not shared.function
    assert BatchStep(tied()[0], nn.mse, X, y).function is not shared.function


def diverging(X, y, compile, **options):
    """The TrainingDiverged that fit raises, and the weights it left."""
    random.seed(0)
    model = nn.MLP(2, [3, 1], activation="linear")
    with pytest.raises(nn.TrainingDiverged) as info:
        nn.fit(model, X, y, loss="mse", progress=False, compile=compile, **options)
    return info.value, [p.data for p in model.parameters()]


@pytest.mark.parametrize(
    "X, options",
    [
        ([[1e200, 1e200]], {"epochs": 2}),  # the first forward pass overflows
        ([[0.5, -1.0], [1.0, 2.0]], {"epochs": 30, "lr": 1e10}),  # the loss explodes
        ([[1e150, 1e150], [2.0, 1.0]], {"epochs": 30, "lr": 1.0, "batch_size": 1}),  # inf, then overflow
    ],
)
def test_divergence_is_reported_as_on_the_graph(X, options):
    """A diverging run stops compiled with the graph's TrainingDiverged: same place, loss, words, weights."""
    y = [1.0] * len(X)
    (g, gw), (c, cw) = (diverging(X, y, compile, **options) for compile in (False, True))
    assert (c.epoch, c.step, str(c), c.lr) == (g.epoch, g.step, str(g), g.lr)
    assert c.loss == g.loss or (c.loss is not None and g.loss is not None and close(c.loss, g.loss))
    assert cw == gw and all(close(a, b) for a, b in zip(g.history.loss, c.history.loss))


def test_an_infinite_loss_is_reported_with_its_value():
    """A loss that overflows to inf is TrainingDiverged with loss = inf on both paths (not None compiled)."""
    X, y = [[1.3e154], [1.3e154]], [0.0, 0.0]  # each loss is finite (1.69e308), their sum is not
    for compile in (False, True):
        model = nn.MLP.from_weights([[[1.0]]], [[0.0]])
        with pytest.raises(nn.TrainingDiverged) as info:
            nn.fit(model, X, y, loss="mse", epochs=1, progress=False, compile=compile)
        assert info.value.loss == math.inf, compile
