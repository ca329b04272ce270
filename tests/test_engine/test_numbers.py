"""Tests for engine.numbers: one rule for numbers, asked by every place that takes a number from a user."""

import decimal
import doctest
import fractions
import math
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
import engine.numbers
import nn
from engine import Value, gradcheck
from engine.numbers import count, is_real, real, setting
from engine.tools.expr import ExpressionError, build


def test_docstring_examples():
    """The examples in engine.numbers' docstring run and give the documented results."""
    assert doctest.testmod(engine.numbers).failed == 0


small = st.floats(min_value=-100.0, max_value=100.0, allow_nan=False)
ACCEPTED = st.one_of(
    st.integers(-100, 100),
    small,
    st.booleans(),
    st.integers(-100, 100).map(np.int64),
    small.map(np.float32),
    small.map(np.float64),
    small.map(lambda f: decimal.Decimal(repr(f))),
    st.fractions(min_value=-100, max_value=100, max_denominator=1000),
)
REFUSED = st.one_of(
    st.text(max_size=5),
    st.complex_numbers(allow_nan=False, allow_infinity=False).filter(lambda z: z.imag != 0),
    st.sampled_from([math.nan, math.inf, -math.inf, None, np.float64("nan"), decimal.Decimal("Infinity")]),
    st.sampled_from([10**400, decimal.Decimal("1e400"), np.float32("inf")]),
)


def _fit(x, compile):
    """fit on one row holding ``x``: the loss of its one step."""
    model = nn.MLP.from_weights([[[0.5]]], [[0.25]])
    return nn.fit(model, [[x]], [1.0], loss="mse", epochs=1, progress=False, compile=compile).loss[0]


# Each place that takes a number, as a function of the number, and the name it gives in its errors.
SITES = {
    "Value()": (lambda x: Value(x).data, "Value()"),
    "Neuron(w=...)": (lambda x: nn.Neuron(1, w=[x]).w[0].data, "a weight"),
    "from_weights": (lambda x: nn.MLP.from_weights([[[x]]]).parameters()[0].data, "a weight"),
    "load_state_dict": (
        lambda x: _loaded(x),
        "parameter 'layer1.neuron1.w1'",
    ),
    "fit": (lambda x: _fit(x, False), "fit's X[0][0]"),
    "fit(compile=True)": (lambda x: _fit(x, True), "fit's X[0][0]"),
    "gradcheck": (lambda x: gradcheck(lambda a: a * a, [x]).checks[0].analytic / 2, "gradcheck's input 0"),
    "parser": (lambda x: build("x * 1", {"x": x})[0].data, "the value of 'x'"),
    "engine.compile": (lambda x: _compiled(x), "the compiled pass's a"),
}


def _compiled(x):
    a = Value(0.0, label="a")
    return engine.compile(a * 1.0, [a])(x)[0]


def _loaded(x):
    model = nn.MLP.from_weights([[[0.0]]], [[0.0]])
    model.load_state_dict({"layer1.neuron1.w1": x, "layer1.neuron1.b": 0.0})
    return model.parameters()[0].data


def _core(message, where):
    """The refusal's words without the place's name and the parsing hint (which names the call)."""
    return re.sub(r" \(parse it first: .*\)$", "", message.replace(where, "<where>"))


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ACCEPTED)
def test_every_place_accepts_the_same_numbers(x):
    """A finite real of any kind is accepted everywhere and held as the same float (fit: the same loss)."""
    assert is_real(x)
    f = real(x)
    held = {name: site(x) for name, (site, _) in SITES.items()}
    for name in ("Value()", "Neuron(w=...)", "from_weights", "load_state_dict", "parser", "engine.compile"):
        assert type(held[name]) is float and held[name] == f, name
    assert held["gradcheck"] == pytest.approx(f, rel=1e-6, abs=1e-6)  # d(x²)/dx = 2x, analytically
    graph_loss = (0.5 * f + 0.25 - 1.0) ** 2
    assert held["fit"] == held["fit(compile=True)"] == pytest.approx(graph_loss, rel=1e-12)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(REFUSED)
def test_every_place_refuses_the_same_numbers_with_the_same_words(x):
    """A string, complex, NaN, ±inf, None or a number beyond a float is refused everywhere with the rule's
    error: the same type (ExpressionError for the parser) and the same words, naming the place."""
    assert not is_real(x)
    cores = set()
    for name, (site, where) in SITES.items():
        with pytest.raises((TypeError, ValueError)) as expected:
            real(x, where)
        kind = ExpressionError if name == "parser" else expected.type
        with pytest.raises(kind) as got:
            site(x)
        prefix = "layer 1: " if name == "from_weights" else ""  # from_weights names the layer first
        assert str(got.value) == prefix + str(expected.value), name
        cores.add(_core(str(got.value).removeprefix(prefix), where))
    assert len(cores) == 1, cores


@pytest.mark.parametrize(
    "x", [0.1, np.float32(0.1), decimal.Decimal("0.1"), fractions.Fraction(1, 10), np.int64(2)]
)
def test_settings_and_counts_are_plain_python_numbers(x):
    """setting() gives a float and count() an int, whatever kind of number they were given."""
    assert type(setting(x, "lr", positive=True)) is float
    assert type(count(np.int64(3), "epochs")) is int and count(np.int64(3), "epochs") == 3


@pytest.mark.parametrize(
    "call, kind, words",
    [
        (lambda: setting(True, "lr"), TypeError, "lr takes a number, not the bool True"),
        (lambda: setting(-1, "lr"), ValueError, "lr must be at least 0, not -1"),
        (lambda: setting(0, "lr", positive=True), ValueError, "lr must be above 0, not 0"),
        (lambda: setting(1.0, "momentum", below=1.0), ValueError, "momentum must be at least 0 and below 1"),
        (lambda: count(2.5, "epochs"), TypeError, "epochs takes a whole number"),
        (lambda: count(True, "epochs"), TypeError, "epochs takes a whole number"),
        (lambda: count(0, "epochs"), ValueError, "epochs must be at least 1, not 0"),
    ],
)
def test_settings_and_counts_refuse_with_clear_words(call, kind, words):
    """A bool setting, a setting out of range, a count that is not a whole number: each error says so."""
    with pytest.raises(kind, match=re.escape(words)):
        call()
