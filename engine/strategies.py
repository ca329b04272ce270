"""Hypothesis strategies for property-based gradient checks.

- ``op_inputs(name)`` draws inputs inside one op's smooth domain (``DOMAINS``),
  a margin away from kinks (relu at 0) and domain edges (log at 0).
- ``expressions()`` draws random expression graphs over every op in
  ``engine.RULES``, with shared nodes (diamonds), kept away from kinks and
  domain edges so that finite differences are a fair reference. Each drawn
  :class:`Expression` reads as the Python that builds it, and a failing one
  shrinks to a small, clear case.
- ``mlps()`` draws small ``nn.MLP`` networks with a batch of inputs and targets.

    >>> from hypothesis import given
    >>> from engine.checking import gradcheck
    >>> from engine.strategies import expressions
    >>> @given(expressions())
    ... def test_gradients(e):
    ...     gradcheck(e)
"""

from typing import NamedTuple

from hypothesis import strategies as st

from . import ops
from .checking import EPS, expression_text, leaves_of
from .value import Value, grad, topological_order

MARGIN = 1e-2  # how far op_inputs stay from kinks and domain edges


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


# ---------------------------------------------------------------------------
# Random expressions

EDGE = 0.1  # the least distance from an input of log, sqrt, pow, / or relu to its edge or kink
SAFETY = 1e3  # ... and at least this many finite-difference steps (eps * slope) away
LIMIT = 100.0  # every node's value stays within ±LIMIT, so no overflow and modest rounding


def _room(a):
    """How far ``a`` must stay from an edge: EDGE, or more when a moves fast with the leaves."""
    if not a._parents:
        return max(EDGE, SAFETY * EPS)
    leaves = [n for n in topological_order(a) if not n._parents]
    slope = sum(abs(g) for g in grad(a, leaves))
    return max(EDGE, SAFETY * EPS * slope)


def _positive(a, *_):
    return a.data >= _room(a)


def _nonzero(a):
    return abs(a.data) >= _room(a)


def _powk_safe(a, k):
    if k == int(k) and k >= 0:  # a polynomial: smooth everywhere
        return True
    return _positive(a) if k != int(k) else _nonzero(a)


class Builder(NamedTuple):
    """How expressions() uses an op: how many Value parents, constants to bind, a domain guard.

    ``parents`` is a count, or "sum" / "dot" for the n-ary ops; ``constants`` a
    strategy for k (bound ops only); ``guard(*parents[, k])`` says whether the
    op is safe (smooth, a margin from edges) at the parents' values.
    """

    parents: object
    constants: object = None
    guard: object = None


def _grid(high, step=0.25, least=0.0):
    """Round constants that read well: ±multiples of ``step`` with least <= |k| <= high."""
    size = st.integers(round(least / step), round(high / step)).map(lambda i: i * step)
    return st.tuples(size, st.booleans()).map(lambda t: -t[0] if t[1] and t[0] else t[0])


# Ordered simplest first: a failing case shrinks towards the earlier ops.
BUILDERS = {
    "add": Builder(2),
    "mul": Builder(2),
    "neg": Builder(1),
    "addk": Builder(1, _grid(3)),
    "mulk": Builder(1, _grid(3)),
    "sum": Builder("sum"),
    "dot": Builder("dot"),
    "div": Builder(2, guard=lambda a, b: _nonzero(b)),
    "divk": Builder(1, _grid(3, least=0.5)),
    "powk": Builder(1, st.sampled_from([2.0, 3.0, 1.0, 0.0, -1.0, -2.0, 0.5, 1.5, -0.5]), _powk_safe),
    "pow": Builder(2, guard=_positive),
    "exp": Builder(1),
    "log": Builder(1, guard=_positive),
    "sqrt": Builder(1, guard=_positive),
    "tanh": Builder(1),
    "sigmoid": Builder(1),
    "relu": Builder(1, guard=_nonzero),
    "sin": Builder(1),
    "cos": Builder(1),
}
FALLBACK = "sin"  # used on the first parent when the drawn op is unsafe there: smooth and bounded


class Expression:
    """A random expression graph: ``root`` (the output), ``leaves`` (x0, x1, ...) and ``text``.

    ``text`` is the Python that rebuilds it (with ``from engine import *``);
    an interior node used more than once is named (``t0 = ...; ...``).
    ``gradcheck(e)`` checks it with respect to its leaves.
    """

    __slots__ = ("root", "leaves", "text", "_repr")

    def __init__(self, root, leaves):
        self.root, self.leaves = root, tuple(leaves)
        self.text = expression_text(root)
        values = ", ".join(f"{v.label}={v.data!r}" for v in self.leaves)
        self._repr = f"<{self.text} at {values}>"

    @property
    def values(self):
        """The leaves' values by label: {"x0": 0.5, ...}."""
        return {v.label: v.data for v in self.leaves}

    @property
    def ops(self):
        """The names of the ops used (bound ops by their own names, e.g. "mulk")."""
        return {n._op.name for n in topological_order(self.root) if n._parents}

    @property
    def size(self):
        """The number of op nodes."""
        return sum(1 for n in topological_order(self.root) if n._parents)

    def __repr__(self):
        return self._repr


def expressions(ops=None, max_leaves=3, max_nodes=8, max_depth=4, max_width=3):
    """A strategy for random expression graphs (:class:`Expression`), smooth where they are drawn.

    Up to ``max_leaves`` leaves x0, x1, ... in [-3, 3] and up to ``max_nodes``
    op nodes, none deeper than ``max_depth``; sum and dot take up to
    ``max_width`` terms. Each op's parents are drawn from all earlier nodes, so
    nodes are shared (diamonds). ``ops`` limits the ops used: names from
    ``engine.RULES`` (all of them by default) or your own ``Op`` objects, which
    are assumed smooth wherever their forward function succeeds.

    An op is used only where it is safe: inputs of log, sqrt and pow stay
    positive and of / and relu away from zero, by at least EDGE = 0.1 and at
    least 1000 finite-difference steps, and every value stays within ±100.
    Where the drawn op is not safe, sin of its first parent is used instead.
    """
    names = _op_names(ops)
    for name, value in (("max_leaves", max_leaves), ("max_nodes", max_nodes), ("max_depth", max_depth)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"expressions: {name} must be a positive integer, not {value!r}")
    if not isinstance(max_width, int) or max_width < 1:
        raise ValueError(f"expressions: max_width must be a positive integer, not {max_width!r}")
    return _expressions(names, max_leaves, max_nodes, max_depth, max_width)


def _op_names(ops_):
    table = ops  # the rule table is looked up now and at every draw, so a patched RULES is used
    if ops_ is None:
        ops_ = [n for n in BUILDERS if n in table.RULES] + [n for n in table.RULES if n not in BUILDERS]
    chosen = []
    for op in ops_:
        if isinstance(op, ops.Op):
            if op.constant is not None:
                raise ValueError(f"expressions: give the unbound op, not {op!r} (constants are drawn)")
            chosen.append(op)
        elif op not in table.RULES:
            raise ValueError(f"expressions: unknown op {op!r}; the ops are {', '.join(table.RULES)}")
        elif op not in BUILDERS:
            raise ValueError(
                f"expressions: op {op!r} is in engine.RULES but engine.strategies has no builder for it; "
                "add one to engine.strategies.BUILDERS (and an input domain to DOMAINS)"
            )
        else:
            chosen.append(op)
    if not chosen:
        raise ValueError("expressions: ops is empty; give at least one op")
    return tuple(chosen)


@st.composite
def _expressions(draw, names, max_leaves, max_nodes, max_depth, max_width):
    # Top-down: each operand is either a new op node (while the depth and node
    # budgets last) or a node drawn from those made so far (a leaf, or a reused
    # node: a diamond). Children are made first, so every guard sees real values.
    n_leaves = draw(st.integers(1, max_leaves))
    leaves = [Value(draw(reals(-3.0, 3.0)), label=f"x{i}") for i in range(n_leaves)]
    state = _State(names, max_width, dict.fromkeys(leaves, 0), [max_nodes])
    root = draw(_subexpression(state, max_depth))
    leaves = leaves_of(root)
    for i, v in enumerate(leaves):  # number the leaves that appear, in reading order
        v.label = f"x{i}"
    return Expression(root, leaves)


class _State(NamedTuple):
    names: tuple  # the ops to draw from
    max_width: int
    height: dict  # every node made so far (leaves first) -> its height above the leaves
    budget: list  # [how many more op nodes may be made]


@st.composite
def _subexpression(draw, state, depth):
    # One op node and, recursively, its new operands. Each is its own drawn
    # strategy, so hypothesis can shrink a node to one of its subexpressions.
    state.budget[0] -= 1

    def operand():
        if depth > 1 and state.budget[0] > 0 and draw(st.integers(0, 2)):  # 2 in 3: a new node
            return draw(_subexpression(state, depth - 1))
        height = state.height
        return draw(st.sampled_from([n for n in height if height[n] < depth]))

    made = _node(draw, draw(st.sampled_from(state.names)), operand, state.max_width)
    state.height[made] = 1 + max(state.height[p] for p in made._parents)
    return made


def _node(draw, name, operand, max_width):
    """One new node: the op ``name`` on operands drawn by ``operand()``, or the fallback if unsafe."""
    if isinstance(name, ops.Op):  # a user's op: any arity it declares, smooth where it succeeds
        op, builder = name, Builder(name.arity if name.arity is not None else "sum")
    else:
        op, builder = ops.RULES[name], BUILDERS[name]
    if builder.parents == "sum":
        parents = [operand() for _ in range(draw(st.integers(1, max_width)))]
    elif builder.parents == "dot":
        n = draw(st.integers(1, max_width))
        parents = [operand() for _ in range(2 * n + draw(st.integers(0, 1)))]
    else:
        parents = [operand() for _ in range(builder.parents)]
    if builder.constants is not None:
        k = draw(builder.constants)
        op, guard_args = op.bind(k), (*parents, k)
    else:
        guard_args = tuple(parents)
    node = None
    if builder.guard is None or builder.guard(*guard_args):
        try:
            node = op(*parents)
        except (ArithmeticError, ValueError):
            node = None
    if node is None or not abs(node.data) <= LIMIT:
        node = ops.RULES[FALLBACK](parents[0])
    return node


# ---------------------------------------------------------------------------
# Random MLPs


class Problem(NamedTuple):
    """A drawn network with a batch: ``model`` (an ``nn.MLP``), inputs ``X`` and targets ``y``.

    ``X`` holds one list of ``nin`` numbers per sample and ``y`` one list per
    sample with a target per output.
    """

    model: object
    X: list
    y: list

    def __repr__(self):
        weights = [[[w.data for w in n.w] for n in layer.neurons] for layer in self.model.layers]
        biases = [[n.b.data for n in layer.neurons] for layer in self.model.layers]
        return f"<{self.model!r} weights={weights!r} biases={biases!r} X={self.X!r} y={self.y!r}>"


def mlps(max_inputs=3, max_width=4, max_layers=3, max_samples=4, activations=None, fused=True):
    """A strategy for small ``nn.MLP`` networks with a batch of inputs and targets (a :class:`Problem`).

    The layer sizes, the hidden and output activations (from ``activations``,
    default relu, tanh, sigmoid and linear), every weight and bias in [-1, 1]
    and the data (inputs in [-2, 2], targets in [-1, 1]) are drawn, so a
    failing case shrinks to a small network with round numbers. ``fused``
    chooses dot-node neurons or elementary ``*`` and ``+`` ones.
    """
    from nn.module import ACTIVATIONS

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
    from nn.module import MLP

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


__all__ = [
    "reals", "away_from_zero", "op_inputs", "DOMAINS", "MARGIN",
    "expressions", "Expression", "BUILDERS", "Builder", "mlps", "Problem",
]  # fmt: skip
