"""Tests for nn.train: the three regimes, batches, shuffling, early stopping, History, the progress bar,
checks before training, validation, and divergence."""

import doctest
import math
import random
import re

import pytest

import engine
import nn
import nn.train
from engine import Value
from engine.numbers import real, setting
from nn import MLP, SGD, Adam, LinearDecay, TrainingDiverged, data, fit, losses, predict


def test_docstring_examples():
    """The examples in nn.train's and the nn package's docstrings run and give the documented results."""
    assert doctest.testmod(nn.train).failed == 0
    assert doctest.testmod(nn).failed == 0


def seed003_model(seed=0):
    """Seed 003's network: 3 inputs, 5 sigmoid hidden neurons, 2 linear outputs."""
    random.seed(seed)
    return MLP(3, [5, 2], activation="sigmoid", output_activation="linear")


@pytest.mark.parametrize("batch_size, iterations", [(None, 1), (1, 6), (2, 3), (4, 2), (6, 1), (50, 1)])
def test_iterations_per_epoch_follow_seed_003(batch_size, iterations):
    """Six rows give 1, 6 and 3 iterations per epoch at batch sizes None, 1 and 2 (and ⌈6/k⌉ for any k)."""
    X, y = data.seed003()
    history = fit(seed003_model(), X, y, loss="half_sse", epochs=3, batch_size=batch_size, progress=False)
    assert history.iterations_per_epoch == iterations
    assert history.iterations == len(history.loss) == len(history.lr) == 3 * iterations
    assert history.epochs == len(history.epoch_loss) == 3


@pytest.mark.parametrize("batch_size", [None, 1, 2])
def test_every_regime_lowers_the_loss(batch_size):
    """Batch, stochastic and mini-batch gradient descent all lower seed 003's loss."""
    X, y = data.seed003()
    history = fit(
        seed003_model(), X, y, loss="half_sse", epochs=40, batch_size=batch_size, lr=0.2, progress=False
    )
    assert history.epoch_loss[-1] < 0.5 * history.epoch_loss[0]


def frozen_fit(model, X, y, **options):
    """fit with an optimizer over a spare Value, so the model never changes and each loss is checkable."""
    return fit(model, X, y, optimizer=SGD([Value(0.0)], lr=0.1), epochs=1, progress=False, **options)


def test_short_last_batch_is_the_mean_over_its_own_rows():
    """With 6 rows and batch size 4 the batches are rows 0–3 and 4–5, each loss the mean over its rows."""
    X, y = data.seed003()
    model = seed003_model()
    per_row = [losses.half_sse(model(x), t).data for x, t in zip(X, y)]
    history = frozen_fit(model, X, y, loss="half_sse", batch_size=4, shuffle=False)
    assert history.loss == pytest.approx([sum(per_row[:4]) / 4, sum(per_row[4:]) / 2], rel=1e-14)
    assert history.epoch_loss == pytest.approx([sum(per_row) / 6], rel=1e-14)


def test_shuffling_is_seeded_and_leaves_random_alone():
    """The same seed gives the same training, another seed another; the global random state is untouched."""
    X, y = data.seed003()
    runs = {}
    for seed in (1, 1, 2):
        state = random.getstate()
        runs.setdefault(seed, []).append(
            fit(seed003_model(), X, y, epochs=2, batch_size=1, seed=seed, progress=False)
        )
        assert random.getstate() == state
    assert runs[1][0].loss == runs[1][1].loss
    assert runs[1][0].loss != runs[2][0].loss
    unshuffled = fit(seed003_model(), X, y, epochs=2, batch_size=1, shuffle=False, progress=False)
    assert unshuffled.loss != runs[1][0].loss


def test_batch_gradient_descent_keeps_the_rows_in_order():
    """With the whole set in one batch shuffling does not apply: the results are the same either way."""
    X, y = data.seed003()
    a = fit(seed003_model(), X, y, epochs=3, shuffle=True, progress=False)
    b = fit(seed003_model(), X, y, epochs=3, shuffle=False, progress=False)
    assert a.loss == b.loss


def test_batch_loss_is_the_mean_plus_l2():
    """The iteration loss is the mean per-row loss plus l2·Σp² over all parameters."""
    X, y = data.seed003()
    model = seed003_model()
    per_row = [losses.mse(model(x), t).data for x, t in zip(X, y)]
    penalty = 0.01 * sum(p.data**2 for p in model.parameters())
    history = frozen_fit(model, X, y, loss="mse", l2=0.01)
    assert history.loss[0] == pytest.approx(sum(per_row) / 6 + penalty, rel=1e-14)


def test_early_stopping_on_the_update_size():
    """Training stops after the first epoch whose largest parameter change max |Δp| is below τ."""
    X, y = data.ice_cream()
    random.seed(0)
    model = MLP(2, [2, 1], activation="relu", output_activation="relu")
    history = fit(model, X, y, loss="mse", epochs=2000, lr=0.1, tol=1e-4, progress=False)
    assert history.stopped_early and history.epochs < 2000
    assert history.update[-1] < 1e-4 and all(u >= 1e-4 for u in history.update[:-1])


def test_no_early_stop_without_tol():
    """Without tol every epoch runs."""
    X, y = data.seed003()
    history = fit(seed003_model(), X, y, epochs=5, lr=1e-12, progress=False)
    assert history.epochs == 5 and not history.stopped_early


def ice_cream_model(output_bias=0.0):
    """Seed 000's 2-2-1 ReLU network with fixed weights; only the output bias is left to learn."""
    return MLP.from_weights(
        [[[0.9, 0.4], [0.2, 0.7]], [[0.2, 0.2]]], [[0.0, -0.1], [output_bias]], "relu", "relu"
    )


def test_training_one_chosen_bias_like_seed_000():
    """params=[bias] trains that bias alone, to the minimum a brute-force sweep of the bias finds."""
    X, y = data.ice_cream()

    def mse_at(b):
        model = ice_cream_model(b)
        return losses.mean([losses.mse(model(x), t) for x, t in zip(X, y)]).data

    sweep = [k / 1000 for k in range(-500, 501)]
    best = min(sweep, key=mse_at)
    model = ice_cream_model(0.0)
    bias = model.layers[-1].neurons[0].b
    others = {name: p.data for name, p in model.named_parameters() if p is not bias}
    history = fit(model, X, y, loss="mse", epochs=500, lr=0.2, params=[bias], tol=1e-7, progress=False)
    assert history.stopped_early and history.loss[-1] < history.loss[0]
    assert 0.2 < best < 0.4 and bias.data == pytest.approx(best, abs=1e-3)
    assert {name: p.data for name, p in model.named_parameters() if p is not bias} == others


def test_accuracy_is_recorded_for_classification():
    """With hinge or bce, accuracy is the fraction of rows on the right side per epoch; with mse, None."""
    X, y = data.moons(20, seed=0)
    random.seed(0)
    model = MLP(2, [4, 1])
    scores = predict(model, X)
    expected = sum((s > 0) == (t > 0) for s, t in zip(scores, y)) / 20
    assert frozen_fit(model, X, y, loss="hinge").accuracy == [expected]
    X01, y01 = data.moons(20, seed=0, labels=(0, 1))
    assert frozen_fit(model, X01, y01, loss=losses.bce).accuracy == [expected]
    assert frozen_fit(model, X, y, loss="mse").accuracy is None


def test_fit_reproduces_micrograds_demo_loop():
    """fit with hinge, 1e-4·L2 and LinearDecay(1, 0.1, 100) gives the same losses as micrograd's demo loop."""
    X, y = data.moons(30, seed=2)
    random.seed(1)
    model = MLP(2, [8, 1])
    expected = []
    for k in range(4):
        total = losses.mean([(1 + -t * model(x)).relu() for x, t in zip(X, y)])
        total = total + 1e-4 * engine.sum([p * p for p in model.parameters()])
        model.zero_grad()
        total.backward()
        for p in model.parameters():
            p.data -= (1.0 - 0.9 * k / 100) * p.grad
        expected.append(total.data)
    random.seed(1)
    model = MLP(2, [8, 1])
    opt = SGD(model.parameters(), lr=LinearDecay(1.0, 0.1, 100))
    history = fit(model, X, y, loss="hinge", optimizer=opt, l2=1e-4, epochs=4, progress=False)
    assert history.loss == expected
    assert history.lr == [1.0, 0.991, 0.982, 0.973]


def test_fit_with_adam():
    """fit accepts any optimizer, here Adam, and lowers the loss."""
    X, y = data.seed003()
    model = seed003_model()
    history = fit(model, X, y, optimizer=Adam(model.parameters(), lr=0.05), epochs=30, progress=False)
    assert history.epoch_loss[-1] < history.epoch_loss[0]


def test_progress_bar_is_shown_or_silenced(capsys):
    """progress=True draws a tqdm bar on stderr; progress=False prints nothing."""
    X, y = data.seed003()
    fit(seed003_model(), X, y, epochs=2, progress=True)
    err = capsys.readouterr().err
    assert "training" in err and "2/2" in err and "loss=" in err
    fit(seed003_model(), X, y, epochs=2, progress=False)
    assert capsys.readouterr() == ("", "")


def test_progress_bar_falls_back_to_text_when_the_widget_fails(monkeypatch):
    """When tqdm's notebook bar cannot make its widget (no ipywidgets), the text bar is used instead."""
    import tqdm
    import tqdm.auto

    class NoWidget:
        def __init__(self, **options):
            raise ImportError("IProgress not found. Please update jupyter and ipywidgets.")

    monkeypatch.setattr(tqdm.auto, "tqdm", NoWidget)
    bar = nn.train._progress_bar(True, total=1, disable=True)
    assert type(bar) is tqdm.tqdm
    bar.close()


def test_progress_text_asks_for_the_text_bar(monkeypatch):
    """progress="text" uses tqdm's text bar without trying the notebook widget."""
    import tqdm
    import tqdm.auto

    class Widget:
        def __init__(self, **options):
            raise AssertionError("the notebook bar must not be tried")

    monkeypatch.setattr(tqdm.auto, "tqdm", Widget)
    bar = nn.train._progress_bar("text", total=1, disable=True)
    assert type(bar) is tqdm.tqdm
    bar.close()


def test_predict_gives_floats_and_keeps_no_graph():
    """predict returns plain floats (lists for several outputs) computed without recording a graph."""
    model = MLP.from_weights([[[1.0, 1.0], [1.0, -1.0]]], [[0.0, 0.5]])
    assert predict(model, [[1.0, 2.0]]) == [[3.0, -0.5]]
    assert predict(MLP.from_weights([[[2.0]]]), [[1.5]]) == [3.0]


@pytest.mark.parametrize(
    "options, kind, message",
    [
        ({"loss": "huber"}, ValueError, "unknown loss"),
        ({"epochs": 0}, ValueError, "fit's epochs must be at least 1, not 0"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"batch_size": 2.5}, TypeError, "fit's batch_size .* takes a whole number"),
        ({"tol": -1.0}, ValueError, "fit's tol must be at least 0"),
        ({"tol": "small"}, TypeError, "fit's tol takes a real number, not str 'small'"),
        ({"epochs": 2.0}, TypeError, "fit's epochs takes a whole number"),
        ({"batch_size": True}, TypeError, "batch_size"),
        ({"params": [Value(0.0)], "optimizer": "sgd"}, ValueError, "not both"),
    ],
)
def test_bad_options_are_clear_errors(options, kind, message):
    """Unknown losses and out-of-range settings raise ValueError (TypeError: wrong kind) before training."""
    X, y = data.seed003()
    with pytest.raises(kind, match=message):
        fit(seed003_model(), X, y, progress=False, **options)


@pytest.mark.parametrize(
    "model, options, message",
    [
        (lambda x: x, {}, r"fit trains a model such as nn.MLP \(with parameters\(\)\), got function"),
        ("mlp", {}, "fit trains a model such as nn.MLP"),
        (
            None,
            {"optimizer": "sgd"},
            r"optimizer must be one such as nn.SGD\(model.parameters\(\), lr=0.1\), got 'sgd'",
        ),
    ],
)
def test_a_model_or_optimizer_of_the_wrong_kind_is_a_type_error(model, options, message):
    """Something that is not a model, or not an optimizer, raises TypeError saying what fit needs."""
    X, y = data.seed003()
    with pytest.raises(TypeError, match=message):
        fit(model or seed003_model(), X, y, progress=False, **options)


def test_inputs_the_engine_takes_are_accepted():
    """Rows of ints, bools, Decimals or Values train as the engine holds them: as floats."""
    from decimal import Decimal

    model = MLP.from_weights([[[1.0, 1.0, 1.0]]], [[0.0]])
    rows = [[1, True, Decimal("0.5")], [Value(0.25), 0.0, False]]
    assert frozen_fit(model, rows, [0.0, 0.0], loss="mse").loss == [(2.5**2 + 0.25**2) / 2]


def test_bad_data_is_a_clear_error():
    """X and y of different lengths, or no rows, raise ValueError."""
    with pytest.raises(ValueError, match="6 rows but y has 5"):
        fit(seed003_model(), *data.seed003()[:1], data.seed003()[1][:5], progress=False)
    with pytest.raises(ValueError, match="at least one row"):
        fit(seed003_model(), [], [], progress=False)


def weights(model):
    """Every parameter's value, in order."""
    return [p.data for p in model.parameters()]


def moons_model(seed=1337):
    """micrograd's demo network, MLP(2, [16, 16, 1]), from a seeded draw."""
    random.seed(seed)
    return MLP(2, [16, 16, 1])


@pytest.mark.parametrize(
    "loss, labels, message",
    [
        (
            "hinge",
            (0, 1),
            r"hinge loss needs labels -1 or \+1, got 0 \(row \d+\); map 0/1 labels with y = 2\*y - 1",
        ),
        (
            "bce",
            (-1, 1),
            r"bce loss needs labels 0 or 1 \(or probabilities in \[0, 1\]\), got -1 \(row \d+\)",
        ),
        ("bce", (0, 2), r"bce loss needs labels 0 or 1 .*, got 2 \(row \d+\)"),
    ],
)
def test_labels_of_the_wrong_convention_fail_before_training(loss, labels, message):
    """fit with labels its loss cannot use raises ValueError naming the row and leaves the model unchanged."""
    X, y = data.moons(20, seed=0, labels=labels)
    model = moons_model()
    start = weights(model)
    with pytest.raises(ValueError, match=message):
        fit(model, X, y, loss=loss, epochs=3, progress=False)
    assert weights(model) == start and all(p.grad == 0.0 for p in model.parameters())


def test_regression_targets_must_be_finite():
    """A NaN target for mse raises ValueError naming the row and output before training."""
    X, y = data.seed003()
    y[4] = [0.5, math.nan]
    model = seed003_model()
    start = weights(model)
    with pytest.raises(
        ValueError, match=r"mse loss needs finite numbers as targets, got nan \(row 4, output 1\)"
    ):
        fit(model, X, y, loss="mse", progress=False)
    assert weights(model) == start


@pytest.mark.parametrize("l2", [-1, -1e-4, math.nan, math.inf, "1e-4", True, None])
def test_a_bad_l2_penalty_is_a_clear_error(l2):
    """l2 is a setting >= 0: a negative, NaN, infinite or non-number penalty gets the number rule's error."""
    X, y = data.seed003()
    model = seed003_model()
    start = weights(model)
    with pytest.raises((TypeError, ValueError)) as expected:
        setting(l2, "fit's l2 (the penalty weight)")
    with pytest.raises(expected.type, match=re.escape(str(expected.value))):
        fit(model, X, y, l2=l2, progress=False)
    assert weights(model) == start


def test_fit_inside_no_grad_is_a_clear_error():
    """fit called inside engine.no_grad() raises RuntimeError saying so, and trains nothing."""
    X, y = data.seed003()
    model = seed003_model()
    start = weights(model)
    with (
        engine.no_grad(),
        pytest.raises(
            RuntimeError, match=r"fit needs the graph recorded; it was called inside engine.no_grad\(\)"
        ),
    ):
        fit(model, X, y, progress=False)
    assert weights(model) == start
    assert fit(model, X, y, epochs=1, progress=False).iterations == 1  # outside, it trains


@pytest.mark.parametrize(
    "X, y, message",
    [
        (
            [[0.1, 0.2, 0.3], [0.1, 0.2]],
            [[0.0, 0.0]] * 2,
            r"X\[1\] has 2 values but X\[0\] has 3; every row needs the same number of inputs",
        ),
        ([0.1, 0.2], [[0.0, 0.0]] * 2, r"X\[0\] is 0.1, not a row of numbers; give each row as a list"),
        ([[0.1, 0.2]], [[0.0, 0.0]], "this network takes 3 inputs, got 2"),
        ([[0.1, 0.2, 0.3]], [[0.0, 0.0, 0.0]], "2 outputs but the target has 3"),
        (
            [[0.1, 0.2, 0.3]] * 2,
            [[0.0, 0.0], 1.0],
            r"y\[1\] is 1.0 but y\[0\] is \[0.0, 0.0\]; every target needs the same shape",
        ),
        (5, [1.0], "X and y must be sequences"),
        ([[0.1, 0.2, 0.3]] * 3, [[0.0, 0.0]] * 2, "X has 3 rows but y has 2 targets"),
    ],
)
def test_bad_rows_are_caught_before_training(X, y, message):
    """Ragged rows, non-numbers, rows that are not lists, a model of another width, targets of mixed shape
    raise ValueError naming the row before any update."""
    model = seed003_model()
    start = weights(model)
    with pytest.raises(ValueError, match=message):
        fit(model, X, y, loss="mse", batch_size=1, progress=False)
    assert weights(model) == start


@pytest.mark.parametrize("bad", [math.nan, "0.2", 10**400, 0.2j, None, math.inf])
def test_a_row_that_is_not_numbers_gets_the_number_rules_error(bad):
    """A number the engine refuses in a row gets engine.numbers' error, naming the row, before training."""
    model = seed003_model()
    start = weights(model)
    with pytest.raises((TypeError, ValueError)) as expected:
        real(bad, "fit's X[0][1]")
    with pytest.raises(expected.type, match=re.escape(str(expected.value))):
        fit(model, [[0.1, bad, 0.3]], [[0.0, 0.0]], loss="mse", batch_size=1, progress=False)
    assert weights(model) == start


def test_validation_loss_and_accuracy_are_recorded_per_epoch():
    """validation=(X_val, y_val) records per epoch the mean loss (+ L2) and accuracy at the end weights."""
    X, y = data.moons(40, seed=0)
    X_val, y_val = data.moons(30, seed=1)
    model = moons_model()
    history = fit(
        model, X, y, loss="hinge", l2=1e-3, lr=0.05, epochs=3, validation=(X_val, y_val), progress=False
    )
    assert len(history.val_loss) == len(history.val_accuracy) == history.epochs == 3
    scores = predict(model, X_val)
    expected = sum(max(0.0, 1 - t * s) for s, t in zip(scores, y_val)) / 30 + 1e-3 * sum(
        w * w for w in weights(model)
    )
    assert history.val_loss[-1] == pytest.approx(expected, rel=1e-12)
    assert history.val_accuracy[-1] == sum((s > 0) == (t > 0) for s, t in zip(scores, y_val)) / 30


def test_validation_for_regression_has_no_accuracy():
    """With a regression loss val_loss is recorded, val_accuracy is None; without validation both are None."""
    X, y = data.seed003()
    history = fit(seed003_model(), X, y, loss="half_sse", epochs=2, validation=(X[:2], y[:2]), progress=False)
    assert len(history.val_loss) == 2 and history.val_accuracy is None
    plain = fit(seed003_model(), X, y, epochs=2, progress=False)
    assert plain.val_loss is None and plain.val_accuracy is None


def test_validation_does_not_change_training():
    """Training with validation has the same losses as without: evaluating records no graph, moves nothing."""
    X, y = data.seed003()
    a = fit(seed003_model(), X, y, epochs=3, batch_size=2, progress=False)
    b = fit(seed003_model(), X, y, epochs=3, batch_size=2, validation=(X, y), progress=False)
    assert a.loss == b.loss


@pytest.mark.parametrize(
    "validation, message",
    [
        (([[0.1, 0.2, 0.3]],), r"validation must be a pair \(X_val, y_val\) .*, got a tuple of 1$"),
        ("val", "validation must be a pair .*, got a str$"),
        (([[0.1, 0.2, 0.3]], [[0.0, 0.0]] * 2), "X_val has 1 rows but y_val has 2 targets"),
        (([[0.1, 0.2]], [[0.0, 0.0]]), r"X_val\[0\] has 2 values but the training rows have 3"),
        (
            ([[0.1, 0.2, 0.3]], [[0.0, math.inf]]),
            r"mse loss needs finite numbers as targets, got inf \(row 0, output 1\)",
        ),
        (([], []), "X_val is empty"),
    ],
)
def test_bad_validation_data_is_a_clear_error(validation, message):
    """Validation data is checked like the training data, before any update."""
    X, y = data.seed003()
    model = seed003_model()
    start = weights(model)
    with pytest.raises(ValueError, match=message):
        fit(model, X, y, loss="mse", validation=validation, progress=False)
    assert weights(model) == start


def test_a_huge_learning_rate_diverges_and_restores_the_last_good_weights():
    """On moons lr = 1e6 raises TrainingDiverged saying where and what to do, and restores good weights."""
    X, y = data.moons(100, noise=0.1, seed=1337)
    model = moons_model()
    start = weights(model)
    with pytest.raises(
        TrainingDiverged,
        match=r"^training diverged at epoch 2, step 1 \(loss = [0-9.e+]+\); "
        r"lower the learning rate \(it was 1e\+06\); "
        r"the parameters are restored to the weights of the last good step$",
    ) as caught:
        fit(model, X, y, loss="hinge", lr=1e6, epochs=10, progress=False)
    error = caught.value
    assert isinstance(error, FloatingPointError) and isinstance(error, nn.TrainingDiverged)
    assert (error.epoch, error.step, error.lr) == (2, 1, 1e6) and error.loss > 1e6 * error.history.loss[0]
    assert all(math.isfinite(w) for w in weights(model))
    assert weights(model) == start  # the last good loss, history.loss[0], was the untrained model's
    assert all(p.grad == 0.0 for p in model.parameters())


def test_divergence_later_restores_the_weights_of_the_last_good_loss():
    """When a growing rate diverges after some steps, the restored weights give exactly the last loss."""
    X, y = data.moons(40, noise=0.1, seed=3)
    model = moons_model()
    start = weights(model)
    optimizer = SGD(model.parameters(), lr=lambda k: 0.01 * 10**k)
    with pytest.raises(TrainingDiverged) as caught:
        fit(model, X, y, loss="hinge", optimizer=optimizer, epochs=30, progress=False)
    history = caught.value.history
    assert history.iterations >= 3 and weights(model) != start
    assert all(math.isfinite(w) for w in weights(model))
    again = losses.mean([losses.hinge(model(x), t) for x, t in zip(X, y)]).data
    assert again == history.loss[-1]
    assert f"it was {history.lr[-1]:g}" in str(caught.value)


def test_an_overflow_in_the_forward_pass_is_divergence():
    """An engine OverflowError during the forward pass (exp of a huge number) becomes TrainingDiverged."""
    X, y = data.seed003()
    model = seed003_model()
    exp_loss = lambda pred, target: losses.mean([((p - t) ** 2).exp() for p, t in zip(pred, target)])
    with pytest.raises(TrainingDiverged, match=r"the forward pass raised OverflowError: exp") as caught:
        fit(model, X, y, loss=exp_loss, lr=1e4, epochs=20, progress=False)
    assert isinstance(caught.value.__cause__, OverflowError)
    assert all(math.isfinite(w) for w in weights(model))


def test_detect_anomaly_errors_become_divergence():
    """Inside engine.detect_anomaly() an op giving inf raises FloatingPointError, reported as divergence."""
    X, y = data.seed003()
    model = seed003_model()
    start = weights(model)
    huge = lambda pred, target: losses.half_sse(pred, target) * 1e308 * 1e308
    with (
        engine.detect_anomaly(),
        pytest.raises(TrainingDiverged, match="raised FloatingPointError: detect_anomaly") as caught,
    ):
        fit(model, X, y, loss=huge, progress=False)
    assert type(caught.value.__cause__) is FloatingPointError and weights(model) == start


def test_a_loss_that_is_not_finite_from_the_start_names_the_data():
    """If the untrained model's loss is already inf, the error says so and blames no learning rate."""
    X, y = data.seed003()
    model = seed003_model()
    start = weights(model)
    huge = lambda pred, target: losses.half_sse(pred, target) * 1e308 * 1e308
    with pytest.raises(
        TrainingDiverged, match=r"step 1 \(loss = inf\); before any update, so check the inputs"
    ):
        fit(model, X, y, loss=huge, progress=False)
    assert weights(model) == start


def test_an_update_to_an_infinite_weight_is_caught_at_the_end_of_the_epoch():
    """An update leaving a weight at ±inf in the last step is caught and the weights before it restored."""
    X, y = data.seed003()
    model = seed003_model()
    start = weights(model)
    with pytest.raises(
        TrainingDiverged, match=r"epoch 1, step 1 \(the update left a weight that is not finite\)"
    ):
        fit(model, X, y, loss="mse", lr=1e308, epochs=1, progress=False)
    assert weights(model) == start


def test_a_schedule_gone_negative_stops_fit_at_that_step():
    """A schedule that turns negative raises ValueError at that step; the steps before it stand, no later."""
    X, y = data.seed003()
    model = seed003_model()
    opt = SGD(model.parameters(), lr=lambda k: 0.1 if k < 2 else -0.1)
    with pytest.raises(ValueError, match=r"gave the learning rate -0.1 at step 2"):
        fit(model, X, y, optimizer=opt, epochs=5, progress=False)
    reference = seed003_model()
    fit(reference, X, y, lr=0.1, epochs=2, progress=False)
    assert weights(model) == weights(reference)


def one_vs_rest(pred, label):
    """A multi-class loss for tests: mse against the one-hot vector of an integer class label."""
    return losses.mse(pred, [1.0 if k == label else 0.0 for k in range(len(pred))])


one_vs_rest.is_right = lambda pred, label: max(range(len(pred)), key=lambda k: pred[k].data) == label


def test_a_loss_with_its_own_is_right_rule_gets_accuracy():
    """A loss carrying is_right(pred, target) has accuracy and val_accuracy counted by it (argmax here)."""
    X, y = data.spiral(30, seed=0)
    X_val, y_val = data.spiral(12, seed=1)
    random.seed(0)
    model = MLP(2, [8, 3])
    argmax_right = lambda rows, labels: sum(  # noqa: E731
        max(range(3), key=lambda k: out[k]) == t for out, t in zip(predict(model, rows), labels)
    )
    history = frozen_fit(model, X, y, loss=one_vs_rest, validation=(X_val, y_val))
    assert history.accuracy == [argmax_right(X, y) / 30]
    assert history.val_accuracy == [argmax_right(X_val, y_val) / 12]


def test_fit_learns_three_spiral_classes():
    """With integer labels, three outputs and an argmax rule, fit learns the 3-class spiral well."""
    X, y = data.spiral(90, seed=0)
    X_val, y_val = data.spiral(60, seed=1)
    random.seed(0)
    model = MLP(2, [16, 16, 3])
    history = fit(
        model, X, y, loss=one_vs_rest, optimizer=Adam(model.parameters(), lr=0.05), epochs=25,
        validation=(X_val, y_val), progress=False,
    )  # fmt: skip
    assert history.accuracy[0] < 0.5 and history.accuracy[-1] > 0.85 and history.val_accuracy[-1] > 0.85


def test_a_custom_loss_can_check_its_targets_before_training():
    """A loss's own check_targets(y) runs before any update, so its error leaves the model unchanged."""
    X, y = data.spiral(30, seed=0)

    def strict(pred, label):
        return one_vs_rest(pred, label)

    def check_targets(labels):
        bad = next((r for r, t in enumerate(labels) if t not in (0, 1, 2)), None)
        if bad is not None:
            raise ValueError(f"strict needs class labels 0, 1 or 2, got {labels[bad]!r} (row {bad})")

    strict.check_targets = check_targets
    random.seed(0)
    model = MLP(2, [8, 3])
    start = weights(model)
    with pytest.raises(ValueError, match=r"got 3 \(row 5\)"):
        fit(model, X, y[:5] + [3] + y[6:], loss=strict, progress=False)
    assert weights(model) == start
    assert fit(model, X, y, loss=strict, epochs=1, progress=False).iterations == 1
