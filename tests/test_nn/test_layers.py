"""Tests for nn.layers and nn._matrix: the layer view equals the scalar steps, the code equals the trace,
and training in layer form (fit(compile="layers")) follows the graph path's trajectory."""

import math
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
import nn
from engine.tools.compiling import run_source
from nn._matrix import LayerStep, MatrixNet
from nn.steps import GraphStep
from nn.strategies import mlps

REL = 1e-12


def close(a, b, rel=REL, floor=1e-15):
    """Equal to ``rel`` relative, or within ``floor`` of each other (for numbers near 0)."""
    return abs(a - b) <= max(rel * max(abs(a), abs(b)), floor)


def graph_grads(model, X, y, loss, l2=0.0):
    """The batch loss and every parameter's gradient, by the graph and backward() (fit's loss)."""
    loss_fn = nn.losses.LOSSES[loss]
    model.zero_grad()
    L = nn.losses.mean([loss_fn(model(x), t) for x, t in zip(X, y)])
    if l2:
        L = L + nn.l2(model.parameters(), l2)
    L.backward()
    grads = [p.grad for p in model.parameters()]
    model.zero_grad()
    return L.data, grads


def targets_for(loss, problem, draw_labels):
    """Targets that ``loss`` accepts, one per row of the drawn problem."""
    K = len(problem.model.layers[-1].neurons)
    if loss in ("mse", "half_sse"):
        return problem.y
    if loss == "hinge":
        return [[1.0 if t > 0 else -1.0 for t in row] for row in problem.y]
    if loss == "bce":
        return [[1.0 if t > 0 else 0.0 for t in row] for row in problem.y]
    return [draw_labels % K for _ in problem.y]  # cross_entropy: a class label per row


def losses_for(problem):
    """The losses the drawn network's output can take (cross_entropy needs 2 or more outputs)."""
    K = len(problem.model.layers[-1].neurons)
    return ["half_sse", "mse", "hinge", "bce"] + (["cross_entropy"] if K >= 2 else [])


def flat(form):
    """The view's ∂E/∂W and ∂E/∂b with the penalty's share, in model.parameters() order."""
    out = []
    for f in form.layers:
        dW = f.dW + (f.penalty_dW if f.penalty_dW is not None else 0.0)
        db = f.db + (f.penalty_db if f.penalty_db is not None else 0.0)
        if f.shared_bias:
            out += list(dW.ravel()) + [db[0, 0]]
        else:
            for j in range(dW.shape[0]):
                out += list(dW[j]) + [db[j, 0]]
    return out


# --- the layer view ----------------------------------------------------------------------------


def test_seed002_view_is_the_scalar_steps():
    """Seed 002 in layer form: each entry is the product of the steps it names, and the worked numbers."""
    net = nn.seed002()
    t = engine.trace(net.E)
    view = nn.layer_view(net, trace=t)
    out, hidden = view.layers[1], view.layers[0]
    step = {s.number: s for s in t}
    assert out.steps["delta"] == [[(6,)], [(15,)]] and hidden.steps["delta"] == [[(21,)], [(27,)]]
    assert out.delta[0, 0] == step[6].product and out.sigma_prime[1, 0] == step[15].local
    assert out.steps["dW"] == [[(7,), (8,)], [(16,), (17,)]]
    assert out.dW[0, 0] == net.params["w5"].grad and hidden.dW[0, 0] == net.params["w1"].grad
    assert f"{out.dW[0, 0]:.10f}" == "0.0729519972" and f"{hidden.dW[0, 0]:.10f}" == "0.0047463957"
    assert out.steps["db"] == [[(11, 20)]] and out.db[0, 0] == net.params["b2"].grad  # b2: shared
    assert hidden.steps["dE_da"] == [[(9, 18)], [(10, 19)]]  # (W^(2))ᵀ δ^(2): the two steps into outH1
    assert out.names["W"] == [["w5", "w6"], ["w7", "w8"]] and hidden.names["b"] == [["b1"]]
    assert all(r < 1e-15 for r in view.residuals().values())


def test_seed003_view_batch_mean():
    """Seed 003 (3-5-2, sigmoid hidden, linear output, ½Σ loss, 6 rows): the batch in columns, the mean."""
    random.seed(3)
    model = nn.MLP(3, [5, 2], activation="sigmoid")
    X, y = nn.data.seed003()
    view = nn.layer_view(model, X, y, "half_sse")
    assert view.N == 6 and view.layers[1].delta.shape == (2, 6) and view.layers[1].activation == "linear"
    assert view.layers[1].steps["sigma_prime"][0][0] == ()  # linear: σ′ = 1, held by no step
    E, grads = graph_grads(model, X, y, "half_sse")
    assert all(close(a, b) for a, b in zip(flat(view), grads))
    assert all(len(n) == 6 for row in view.layers[0].steps["dW"] for n in row)  # one step per sample
    # each column of δ^(2) is that sample's (a − y), times the 1/N of the mean
    out = view.layers[1]
    expected = (out.a - np.array(y).T) / 6
    assert np.allclose(out.delta, expected, rtol=1e-12, atol=1e-15)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(mlps(max_width=3, max_layers=3, max_samples=3), st.data())
def test_view_entries_equal_their_steps(problem, data):
    """Over random MLPs, activations, losses and batch sizes: each entry is the sum of the steps it names,
    the formulas hold, and ∂E/∂W, ∂E/∂b are the graph's gradients."""
    loss = data.draw(st.sampled_from(losses_for(problem)))
    l2 = data.draw(st.sampled_from([0.0, 0.01]))
    y = targets_for(loss, problem, data.draw(st.integers(0, 9)))
    view = nn.layer_view(problem.model, problem.X, y, loss, l2=l2)
    product = {s.number: s.product for s in view.trace}
    local = {s.number: s.local for s in view.trace}
    for f in view.layers:
        for key in ("dE_da", "delta", "dW", "db") + (("penalty_dW", "penalty_db") if l2 else ()):
            M = getattr(f, key)
            for i, row in enumerate(f.steps[key]):
                for j, nums in enumerate(row):
                    assert close(M[i, j], sum(product[n] for n in nums)), (key, f.l, i, j)
        for i, row in enumerate(f.steps["sigma_prime"]):
            for j, nums in enumerate(row):
                assert f.sigma_prime[i, j] == (local[nums[0]] if nums else 1.0)
    scale = max(1.0, *(abs(g) for g in flat(view)))
    assert all(r <= 1e-12 * scale for r in view.residuals().values())
    _, grads = graph_grads(problem.model, problem.X, y, loss, l2)
    assert all(close(a, b, floor=1e-14) for a, b in zip(flat(view), grads))


def test_view_text_and_html():
    """The text names the formulas and steps; the HTML sits beside the scalar table, with superscripts."""
    view = nn.layer_view(nn.seed002())
    text = str(view)
    assert "δ^(2) = ∂E/∂a^(2) ⊙ σ′(z^(2))" in text and "δ^(1) = (W^(2))ᵀ δ^(2) ⊙ σ′(z^(1))" in text
    assert "11+20" in text and "w5 w6" in text and "0.13549" in text
    page = view._repr_html_()
    assert "chainrule-trace" in page and "chainrule-matrix" in page and "δ<sup>(2)</sup>" in page
    assert 'title="steps 7"' in page


def test_view_html_escapes_labels():
    """A loss labelled with HTML is shown as text in the layer view's HTML."""
    model = nn.MLP.from_weights([[[0.5]]], [[0.1]])
    x = engine.Value(1.0, label="x")
    E = nn.half_sse(model([x]), 0.0)
    E.label = "<img src=x onerror=alert(1)>"
    view = nn.layer_view(model, [[1.0]], [0.0])
    view.root_name = E.label
    page = view._repr_html_()
    assert "<img" not in page and "&lt;img" in page


def test_big_matrices_are_cut_in_text():
    """A 16-neuron layer over 100 samples shows its corners around ⋯, not 1,600 numbers."""
    random.seed(1337)
    model = nn.MLP(2, [16, 16, 1])
    X, y = nn.data.moons(100, noise=0.1, seed=1337)
    text = nn.layer_view(model, X, y, "hinge", l2=1e-4).text(limit=4)
    assert "⋯" in text and max(len(line) for line in text.splitlines()) < 200
    assert "(100)" in text  # a ∂E/∂W entry sums one step per sample


# --- the code ------------------------------------------------------------------------------------


def test_code_reads_like_the_documents():
    """Seed 002's code: one line per formula in the documents' names."""
    source = nn.layer_code(nn.seed002().model)
    assert "delta2 = (a2 - Y) / N * (a2 * (1 - a2))" in source
    assert "dW2 = delta2 @ a1.T" in source and "delta1 = (W2.T @ delta2) * (a1 * (1 - a1))" in source
    assert "db1 = delta1.sum(keepdims=True)" in source  # b1 is shared by H1 and H2


def run_code(model, X, y, loss, l2):
    net = MatrixNet(model, loss)
    f = run_source(nn.layer_code(model, loss, l2), "forward_backward", "<test layer code>")
    E, out, grads = f(*net.arrays, net.inputs(X), net.targets(y))
    return net, E, grads


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(mlps(max_width=4, max_layers=3, max_samples=4), st.data())
def test_code_equals_the_trace(problem, data):
    """The generated NumPy code gives the graph's loss and gradients, for random MLPs and losses, with L2."""
    loss = data.draw(st.sampled_from(losses_for(problem)))
    l2 = data.draw(st.sampled_from([0.0, 1e-3]))
    y = targets_for(loss, problem, data.draw(st.integers(0, 9)))
    net, E, grads = run_code(problem.model, problem.X, y, loss, l2)
    g = np.zeros_like(net.theta)
    for into, grad in zip(net._views(g), grads):  # the gradients in model.parameters() order
        into[...] = grad
    L, expected = graph_grads(problem.model, problem.X, y, loss, l2)
    assert close(float(E), L, floor=1e-14)
    assert all(close(a, b, floor=1e-14) for a, b in zip(g.tolist(), expected))


def test_code_generation_is_quick_and_safe():
    """Code comes only from validated shapes: an unknown loss or a tied weight raises LayerFormError."""
    random.seed(0)
    model = nn.MLP(2, [3, 1])
    with pytest.raises(nn.LayerFormError, match="compile=False"):
        nn.layer_code(model, lambda p, t: (p - t) ** 2)
    tied = nn.MLP(2, [2, 2])
    tied.layers[1].neurons[0].w[0] = tied.layers[0].neurons[0].w[0]
    with pytest.raises(nn.LayerFormError, match="tied weights"):
        nn.layer_code(tied)
    with pytest.raises(nn.LayerFormError, match="nn.MLP"):
        nn.layer_code(nn.Neuron(2))
    with pytest.raises(ValueError, match="L2"):
        nn.layer_code(model, "mse", l2=float("nan"))


# --- training in layer form ---------------------------------------------------------------------


def train_both(build, X, y, **options):
    """Train two copies of the same model, on the graph and in layer form; return (model, history, opt)."""
    out = []
    for compile in (False, "layers"):
        model, optimizer = build()
        history = nn.fit(model, X, y, optimizer=optimizer, progress=False, compile=compile, **options)
        out.append((model, history, optimizer))
    return out


def assert_same_training(graph, matrix):
    (gm, gh, go), (mm, mh, mo) = graph, matrix
    assert len(gh.loss) == len(mh.loss) and gh.iterations_per_epoch == mh.iterations_per_epoch
    for i, (a, b) in enumerate(zip(gh.loss, mh.loss)):
        assert close(a, b), (i, a, b)
    assert all(close(a, b) for a, b in zip(gh.epoch_loss, mh.epoch_loss))
    assert gh.accuracy == mh.accuracy and gh.stopped_early == mh.stopped_early and gh.lr == mh.lr
    assert all(close(a, b, floor=1e-13) for a, b in zip(gh.update, mh.update))
    if gh.val_loss is not None:
        assert (
            all(close(a, b) for a, b in zip(gh.val_loss, mh.val_loss)) and gh.val_accuracy == mh.val_accuracy
        )
    assert all(close(p.data, q.data, floor=1e-13) for p, q in zip(gm.parameters(), mm.parameters()))
    assert all(close(p.grad, q.grad, floor=1e-13) for p, q in zip(gm.parameters(), mm.parameters()))
    assert go.k == mo.k


def micrograd_demo():
    random.seed(1337)
    model = nn.MLP(2, [16, 16, 1])
    return model, nn.SGD(model.parameters(), lr=nn.LinearDecay(1.0, 0.1, 100))


def test_micrograd_demo_trajectory():
    """micrograd's demo (moons, MLP(2, [16, 16, 1]), hinge + L2, SGD decay): the same loss at every step."""
    X, y = nn.data.moons(100, noise=0.1, seed=1337)
    assert_same_training(*train_both(micrograd_demo, X, y, loss="hinge", l2=1e-4, epochs=15))


@pytest.mark.parametrize("batch_size, iterations", [(None, 1), (1, 6), (2, 3)])
def test_seed003_regimes(batch_size, iterations):
    """Seed 003's three regimes (batch, stochastic, mini-batch) train the same in layer form."""
    X, y = nn.data.seed003()

    def build():
        random.seed(3)
        model = nn.MLP(3, [5, 2], activation="sigmoid")
        return model, nn.SGD(model.parameters(), lr=0.5, momentum=0.5)

    graph, matrix = train_both(build, X, y, loss="half_sse", epochs=8, batch_size=batch_size)
    assert graph[1].iterations_per_epoch == iterations
    assert_same_training(graph, matrix)


def test_spiral_cross_entropy_adam_with_validation_and_early_stop():
    """Three-class spiral, cross-entropy and Adam, mini-batches, validation and tol: the same History."""
    X, y = nn.data.spiral(60, seed=2)

    def build():
        random.seed(5)
        model = nn.MLP(2, [8, 3], activation="tanh")
        return model, nn.Adam(model.parameters(), lr=0.05)

    graph, matrix = train_both(
        build,
        X[:45],
        y[:45],
        loss="cross_entropy",
        epochs=6,
        batch_size=16,
        validation=(X[45:], y[45:]),
        tol=1e-9,
    )
    assert_same_training(graph, matrix)
    assert graph[2].m == pytest.approx(matrix[2].m, rel=1e-10, abs=1e-15)


def test_digits_adamw():
    """Digits (64 pixels, 10 classes), cross-entropy and AdamW in mini-batches of 32: the same losses."""
    pytest.importorskip("sklearn")
    X, y, _, _ = nn.data.digits()

    def build():
        random.seed(0)
        model = nn.MLP(64, [12, 10])
        return model, nn.AdamW(model.parameters(), lr=0.01, weight_decay=0.01)

    assert_same_training(*train_both(build, X[:96], y[:96], loss="cross_entropy", epochs=2, batch_size=32))


def test_bce_relu_and_a_trained_subset():
    """bce with relu, only the output layer's parameters trained (a subset): the same trajectory."""
    X, y = nn.data.moons(30, noise=0.1, seed=4, labels=(0, 1))

    def build():
        random.seed(8)
        model = nn.MLP(2, [4, 1])
        return model, nn.SGD(model.layers[1].parameters(), lr=0.3, weight_decay=0.01)

    assert_same_training(*train_both(build, X, y, loss="bce", epochs=5, batch_size=7, seed=3))


def test_divergence_restores_the_same_weights():
    """A learning rate far too large diverges at the same step on both paths, weights restored alike."""
    X, y = nn.data.seed003()
    results = []
    for compile in (False, "layers"):
        random.seed(3)
        model = nn.MLP(3, [5, 2], activation="tanh")
        with pytest.raises(nn.TrainingDiverged) as info:
            nn.fit(model, X, y, loss="mse", lr=1e4, epochs=50, progress=False, compile=compile)
        error = info.value
        results.append((error.epoch, error.step, [p.data for p in model.parameters()], model, str(error)))
    (ge, gs, gw, gm, gtext), (me, ms, mw, mm, mtext) = results
    assert (ge, gs) == (me, ms) and gtext == mtext  # the failing batch is done again on the graph
    assert all(close(a, b) for a, b in zip(gw, mw))
    assert all(p.grad == 0.0 for p in mm.parameters())


def test_networks_the_layer_form_cannot_train():
    """A tied network, a custom loss or an unknown optimizer get an error that names the graph path."""
    X, y = nn.data.seed003()
    random.seed(1)
    tied = nn.MLP(3, [2, 2])
    tied.layers[1].neurons[1].b = tied.layers[0].neurons[0].b
    before = [p.data for p in tied.parameters()]
    with pytest.raises(nn.LayerFormError, match="compile=False"):
        nn.fit(tied, X, y, epochs=1, progress=False, compile="layers")
    assert [p.data for p in tied.parameters()] == before
    model = nn.MLP(3, [2, 2])
    with pytest.raises(nn.LayerFormError, match="compile=False"):
        nn.fit(model, X, y, loss=lambda p, t: nn.mse(p, t), epochs=1, progress=False, compile="layers")

    class Mine(nn.SGD):
        pass

    with pytest.raises(nn.LayerFormError, match="compile=False"):
        nn.fit(model, X, y, optimizer=Mine(model.parameters()), epochs=1, progress=False, compile="layers")
    with pytest.raises(ValueError, match="'layers'"):
        nn.fit(model, X, y, epochs=1, progress=False, compile="layer")


def test_progress_bar_and_early_stop_in_layer_form(capsys):
    """The progress bar shows in text, and early stopping stops after the same epoch as the graph's."""
    X, y = nn.data.seed003()

    def build():
        random.seed(2)
        model = nn.MLP(3, [5, 2], activation="sigmoid")
        return model, nn.SGD(model.parameters(), lr=1e-4)

    model, optimizer = build()
    updates = nn.fit(model, X, y, loss="half_sse", optimizer=optimizer, epochs=12, progress=False).update
    tol = (updates[9] + updates[10]) / 2  # the updates shrink: the graph stops after epoch 11
    graph, matrix = train_both(build, X, y, loss="half_sse", epochs=30, tol=tol)
    assert graph[1].stopped_early and matrix[1].stopped_early and graph[1].epochs == matrix[1].epochs == 11
    model, optimizer = build()
    nn.fit(model, X, y, optimizer=optimizer, epochs=2, progress="text", compile="layers")
    assert "training" in capsys.readouterr().err


def test_matrix_net_writes_back():
    """MatrixNet's θ is the model's parameters in order; write_back puts θ's numbers into the Values."""
    random.seed(0)
    model = nn.MLP(2, [3, 2], shared_bias=[True, False])
    net = MatrixNet(model, "mse")
    assert [p.data for p in net.params] == [p.data for p in model.parameters()]
    net.theta[:] = np.arange(len(net.theta), dtype=float)
    net.write_back()
    assert [p.data for p in model.parameters()] == [float(k) for k in range(len(net.theta))]
    assert math.isclose(net.arrays[1][0, 0], 6.0)  # the shared bias of layer 1 follows its 6 weights


@pytest.mark.parametrize("which", ["seed002", "seed003"])
def test_view_code_equals_its_trace(which):
    """Seeds 002 and 003 both ways: the view's code, run on its numbers, gives the trace's E and gradients."""
    if which == "seed002":
        view = nn.layer_view(nn.seed002())
    else:
        random.seed(3)
        X, y = nn.data.seed003()
        view = nn.layer_view(nn.MLP(3, [5, 2], activation="sigmoid"), X, y, "half_sse", l2=0.01)
    E, out, grads = view.run_code()
    assert close(E, view.trace.root.data)
    read = [m for f in view.layers for m in (f.dW, f.db)]
    if view.l2:
        read = [m + p for m, p in zip(read, [m for f in view.layers for m in (f.penalty_dW, f.penalty_db)])]
    assert all(np.allclose(g, r, rtol=1e-12, atol=1e-15) for g, r in zip(grads, read))
    assert np.allclose(out, view.layers[-1].a, rtol=1e-12, atol=1e-15)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(mlps(max_width=3, max_layers=3, max_samples=4), st.data())
def test_layer_step_is_a_step_like_the_graphs(problem, data):
    """LayerStep, the layer code behind nn.steps' Step interface, gives GraphStep's loss and gradients."""
    loss = data.draw(st.sampled_from(losses_for(problem)))
    y = targets_for(loss, problem, data.draw(st.integers(0, 9)))
    rows = data.draw(st.lists(st.sampled_from(range(len(problem.X))), min_size=1, max_size=4, unique=True))
    params = problem.model.parameters()
    found = []
    for kind in (GraphStep, LayerStep):
        step = kind(problem.model, nn.losses.LOSSES[loss], problem.X, y, 0.01, params)
        value = step.forward(rows)
        outputs = step.outputs
        step.backward()
        found.append((value, [p.grad for p in params], outputs))
        step.release()
    (gl, gg, go), (ll, lg, lo) = found
    assert close(gl, ll) and all(close(a, b, floor=1e-14) for a, b in zip(gg, lg))
    flat_outputs = lambda outs: [float(v) for o in outs for v in (o if isinstance(o, list) else [o])]
    assert all(close(a, b, floor=1e-14) for a, b in zip(flat_outputs(go), flat_outputs(lo)))


def test_snapshots_in_layer_form():
    """fit(snapshots=k) in layer form keeps the same weights every k updates as the graph path."""
    X, y = nn.data.moons(40, noise=0.1, seed=6)
    kept = []
    for compile in (False, "layers"):
        random.seed(6)
        model = nn.MLP(2, [4, 1])
        history = nn.fit(model, X, y, loss="hinge", lr=0.1, epochs=6, batch_size=20, snapshots=4,
                         progress=False, compile=compile)  # fmt: skip
        kept.append(history.snapshots)
    graph, matrix = kept
    assert graph.steps == matrix.steps

    def flat(w):
        return [v for item in w for v in flat(item)] if isinstance(w, (list, tuple)) else [w]

    assert graph.weights and len(graph.weights) == len(matrix.weights)
    for a, b in zip(graph.weights, matrix.weights):
        assert all(close(p, q, floor=1e-13) for p, q in zip(flat(a), flat(b)))
