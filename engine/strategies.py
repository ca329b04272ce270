"""Hypothesis strategies for property-based gradient checks.

``op_inputs(name)`` draws inputs inside an op's smooth domain, kept a margin
away from kinks (relu at 0) and domain edges (log at 0), so that central
finite differences are a fair reference.

    >>> from hypothesis import given
    >>> from engine.strategies import op_inputs
    >>> @given(op_inputs("log"))
    ... def test_log(inputs): ...
"""

from hypothesis import strategies as st

MARGIN = 1e-2  # how far inputs stay from kinks and domain edges


def reals(low=-5.0, high=5.0):
    """Finite floats in [low, high]."""
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def away_from_zero(low=0.1, high=5.0):
    """Floats with low <= |x| <= high, either sign."""
    return st.tuples(reals(low, high), st.booleans()).map(lambda t: -t[0] if t[1] else t[0])


def _vectors(n):
    return st.lists(reals(-3.0, 3.0), min_size=n, max_size=n)


@st.composite
def _dot_inputs(draw):
    n = draw(st.integers(1, 5))
    bias = draw(st.one_of(st.none(), reals(-3.0, 3.0)))
    return draw(_vectors(n)) + draw(_vectors(n)) + ([] if bias is None else [bias])


@st.composite
def _powk_inputs(draw):
    # a positive base with any exponent, or a negative base with an integer exponent
    if draw(st.booleans()):
        return [draw(reals(0.2, 4.0)), draw(reals(-3.0, 3.0))]
    return [draw(away_from_zero(0.2, 4.0)), float(draw(st.integers(-3, 4)))]


# Inputs for each op, as a list of floats; for the ops ending in k the last one is k.
DOMAINS = {
    "add": st.lists(reals(), min_size=2, max_size=2),
    "mul": st.lists(reals(), min_size=2, max_size=2),
    "div": st.tuples(reals(), away_from_zero()).map(list),
    "neg": st.lists(reals(), min_size=1, max_size=1),
    "pow": st.tuples(reals(0.2, 4.0), reals(-3.0, 3.0)).map(list),
    "addk": st.lists(reals(), min_size=2, max_size=2),
    "mulk": st.lists(reals(), min_size=2, max_size=2),
    "divk": st.tuples(reals(), away_from_zero()).map(list),
    "powk": _powk_inputs(),
    "exp": st.lists(reals(-5.0, 5.0), min_size=1, max_size=1),
    "log": st.lists(reals(0.05, 50.0), min_size=1, max_size=1),
    "sqrt": st.lists(reals(0.05, 50.0), min_size=1, max_size=1),
    "tanh": st.lists(reals(), min_size=1, max_size=1),
    "sigmoid": st.lists(reals(-8.0, 8.0), min_size=1, max_size=1),
    "relu": st.lists(away_from_zero(MARGIN, 5.0), min_size=1, max_size=1),
    "sin": st.lists(reals(), min_size=1, max_size=1),
    "cos": st.lists(reals(), min_size=1, max_size=1),
    "sum": st.lists(reals(), min_size=1, max_size=6),
    "dot": _dot_inputs(),
}


def op_inputs(name):
    """A strategy for the inputs of the op ``name`` (a key of ``engine.RULES``)."""
    try:
        return DOMAINS[name]
    except KeyError:
        raise KeyError(f"no input domain for op {name!r}; add one to engine.strategies.DOMAINS") from None
