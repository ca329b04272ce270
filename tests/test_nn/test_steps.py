"""Tests for nn.steps: the Step interface fit trains through, and the collector paused around graph steps."""

import doctest
import gc
import random

import pytest

import nn
import nn.steps
from nn import MLP, data, fit, losses
from nn.steps import CompiledStep, GraphStep, collector_paused


def test_docstring_examples():
    """The examples in nn.steps' docstrings run and give the documented results."""
    assert doctest.testmod(nn.steps).failed == 0


@pytest.fixture
def collector():
    """The collector as a test found it is put back afterwards, whatever the test did to it."""
    was_on = gc.isenabled()
    yield
    if was_on:
        gc.enable()
    else:
        gc.disable()


def watched_mse(seen, fail_at=None, error=KeyboardInterrupt):
    """mse that records whether the collector is on at each call, and raises ``error`` at call ``fail_at``."""

    def loss(pred, target):
        seen.append(gc.isenabled())
        if fail_at is not None and len(seen) == fail_at:
            raise error("stop here")
        return losses.mse(pred, target)

    return loss


def seed003_model():
    random.seed(0)
    return MLP(3, [4, 2], activation="sigmoid")


@pytest.mark.parametrize("batch_size", [None, 1, 2])
def test_the_collector_is_off_inside_every_graph_step_and_on_after(collector, batch_size):
    """With the collector on, each loss of a training step runs with it paused; it is on again after fit."""
    gc.enable()
    seen = []
    X, y = data.seed003()
    history = fit(
        seed003_model(), X, y, loss=watched_mse(seen), epochs=2, batch_size=batch_size, progress=False
    )
    assert seen[0] is True  # fit's check of the data, before training: the collector as the user had it
    assert seen[1:] == [False] * (2 * len(X)) and history.iterations == 2 * history.iterations_per_epoch
    assert gc.isenabled()


def test_a_collector_the_user_turned_off_stays_off(collector):
    """fit never turns on a collector the user had off: off inside the steps and still off after."""
    gc.disable()
    seen = []
    X, y = data.seed003()
    fit(seed003_model(), X, y, loss=watched_mse(seen), epochs=2, batch_size=2, progress=False)
    assert not any(seen) and not gc.isenabled()


@pytest.mark.parametrize("on", [True, False])
@pytest.mark.parametrize("error", [KeyboardInterrupt, RuntimeError, OverflowError])
def test_the_collector_is_put_back_when_a_step_fails(collector, on, error):
    """An interrupt, an error, or divergence inside a step leaves the collector exactly as the user had it."""
    (gc.enable if on else gc.disable)()
    X, y = data.seed003()
    expected = nn.TrainingDiverged if error is OverflowError else error  # an overflow is divergence
    with pytest.raises(expected):
        fit(seed003_model(), X, y, loss=watched_mse([], fail_at=4, error=error), batch_size=1, progress=False)
    assert gc.isenabled() is on


@pytest.mark.parametrize("on", [True, False])
def test_collector_paused_restores_the_state_it_found(collector, on):
    """collector_paused() turns the collector off inside, then back to its previous state, also on errors."""
    (gc.enable if on else gc.disable)()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled() is on
    with pytest.raises(KeyboardInterrupt), collector_paused():
        raise KeyboardInterrupt
    assert gc.isenabled() is on


def test_only_the_graph_step_pauses_the_collector():
    """The graph step asks for the pause (its garbage is acyclic); the generated step makes no graph."""
    assert GraphStep.pauses_collector and not CompiledStep.pauses_collector


def test_a_graph_step_releases_its_graph():
    """After release() the graph step keeps no Value of the last batch's graph."""
    model = seed003_model()
    X, y = data.seed003()
    step = GraphStep(model, losses.mse, X, y, 0.0, model.parameters())
    step.forward([0, 1])
    step.backward()
    assert step.L is not None and len(step.outputs) == 2
    step.release()
    assert step.L is None and step.outputs == []
