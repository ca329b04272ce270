"""Hypothesis strategies for property-based gradient checks.

- ``op_inputs(name)`` draws inputs inside one op's smooth domain (``DOMAINS``),
  a margin away from kinks (relu at 0) and domain edges (log at 0).
- ``expressions()`` draws random expression graphs over every op in
  ``engine.RULES``, with shared nodes (diamonds), kept away from kinks and
  domain edges so that finite differences are a fair reference. Each drawn
  :class:`Expression` reads as the Python that builds it, and a failing one
  shrinks to a small, clear case.
- Each op's input domain, guard and constants are fields of its row in
  ``engine.ops``, so a new row is drawn with no change here. Random networks
  (``mlps()``) are in ``nn.strategies``.

    >>> from hypothesis import given
    >>> from engine.tools.checking import gradcheck
    >>> from engine.tools.strategies import expressions
    >>> @given(expressions())
    ... def test_gradients(e):
    ...     gradcheck(e)
"""

from collections.abc import Iterable
from typing import Any, NamedTuple

from hypothesis import settings
from hypothesis import strategies as st

from .. import ops, walks
from ..backward import grad
from ..value import Value, apply
from ..walks import topological_order
from .checking import EPS
from .expr import expression_text

MARGIN = 1e-2  # how far op_inputs stay from kinks and domain edges


def examples(share: float, least: int = 10) -> settings:
    """Hypothesis settings whose ``max_examples`` is ``share`` times the loaded profile's (at least
    ``least``): ``@settings(examples(0.5))`` runs half as many examples as a plain property, so a
    heavier test still grows with the profile (60 a property in chainrule's "dev", 400 in "ci")."""
    return settings(max_examples=max(least, round(share * settings().max_examples)))


def reals(low: float = -5.0, high: float = 5.0) -> st.SearchStrategy[float]:
    """Finite floats in [low, high]."""
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def away_from_zero(low: float = 0.1, high: float = 5.0) -> st.SearchStrategy[float]:
    """Floats with ``low <= |x| <= high``, either sign."""
    return st.tuples(reals(low, high), st.booleans()).map(lambda t: -t[0] if t[1] else t[0])


def _interval(iv):
    """One input drawn from an ``ops.Interval``."""
    if iv.integer:
        return st.integers(int(iv.low), int(iv.high)).map(float)
    return away_from_zero(iv.low, iv.high) if iv.signed else reals(iv.low, iv.high)


def domain(op: ops.Op) -> st.SearchStrategy[list]:
    """The inputs of ``op`` as a strategy of a list of floats, from its row's ``domain``.

    For the ops ending in k the last float is k; an n-ary op draws 1 to 5 of each input
    group (dot: w_1..w_n, x_1..x_n) and its fixed inputs (dot's b) or not.
    """
    spec = op.domain or (ops.R,) * len(op.inputs)
    if op.arity is None:
        groups = len(op.lists)
        fixed = len(op.inputs) - groups
        one = _interval(spec[0])

        @st.composite
        def nary(draw):
            n = draw(st.integers(1, 5))
            tail = draw(st.lists(one, min_size=0, max_size=fixed))
            return draw(st.lists(one, min_size=groups * n, max_size=groups * n)) + tail

        return nary()
    alternatives = [spec] if isinstance(spec[0], ops.Interval) else list(spec)
    return st.one_of([st.tuples(*map(_interval, alt)).map(list) for alt in alternatives])


class _Domains(dict):
    """{op name: strategy of its inputs}, made from the rule table when first asked."""

    def __missing__(self, name):
        if name not in ops.RULES:
            raise KeyError(name)
        self[name] = domain(ops.RULES[name])
        return self[name]

    def __iter__(self):
        return iter(ops.RULES)

    def __len__(self):
        return len(ops.RULES)

    def __contains__(self, name):
        return name in ops.RULES


DOMAINS = _Domains()  # inputs for each op, as a list of floats; for the ops ending in k the last one is k


def op_inputs(name: str) -> st.SearchStrategy[list]:
    """A strategy for the inputs of the op ``name`` (a key of ``engine.RULES``)."""
    try:
        return DOMAINS[name]
    except KeyError:
        raise KeyError(f"no op {name!r} in engine.RULES; the ops are {', '.join(ops.RULES)}") from None


# ---------------------------------------------------------------------------
# Random expressions

EDGE = 0.1  # the least distance from an input of log, sqrt, pow, / or relu to its edge or kink
SAFETY = 1e3  # ... and at least this many finite-difference steps (eps * slope) away
LIMIT = 100.0  # every node's value stays within ±LIMIT, so no overflow and modest rounding


def _room(a):
    """How far ``a`` must stay from an edge: EDGE, or more when a moves fast with the leaves."""
    if not a.parents:
        return max(EDGE, SAFETY * EPS)
    leaves = [n for n in topological_order(a) if not n.parents]
    slope = sum(abs(g) for g in grad(a, leaves))
    return max(EDGE, SAFETY * EPS * slope)


def _positive(a, *_):
    return a.data >= _room(a)


def _nonzero(a):
    return abs(a.data) >= _room(a)


_NEEDS = {None: lambda a: True, "positive": _positive, "nonzero": _nonzero}


def _need(need):
    """One input's need: a name of ``_NEEDS``, or an open interval (low, high) to stay inside."""
    if isinstance(need, tuple):
        low, high = need
        return lambda a: low + _room(a) <= a.data <= high - _room(a)
    return _NEEDS[need]


def _apart(*parents):
    """No two inputs nearly equal (maximum's kink): each pair is one node or further apart than its room."""
    return all(
        p is q or abs(p.data - q.data) >= max(_room(p), _room(q))
        for i, p in enumerate(parents)
        for q in parents[i + 1 :]
    )


_JOINT = {"apart": _apart}  # needs of all the inputs together, named by a row's guard


def _guard(op):
    """``guard(*parents[, k])`` from the row's ``guard``: is each input where the op is smooth?"""
    spec = op.guard
    if spec is None:
        return None
    if isinstance(spec, str):
        return _JOINT[spec]
    if op.takes_constant:

        def guard(*args):
            needs = spec(args[-1]) if callable(spec) else spec
            return all(_need(need)(p) for p, need in zip(args[:-1], needs))

        return guard
    return lambda *parents: all(_need(need)(p) for p, need in zip(parents, spec))


class Builder(NamedTuple):
    """How expressions() uses an op: how many Value parents, constants to bind, a domain guard.

    ``parents`` is a count, or None for the n-ary ops; ``constants`` a strategy
    for k (bound ops only); ``guard(*parents[, k])`` says whether the op is safe
    (smooth, a margin from edges) at the parents' values. All three come from
    the op's row of the rule table (see :func:`builder`).
    """

    parents: int | None
    constants: Any = None  # a hypothesis strategy, or None
    guard: Any = None  # a callable, or None


def builder(op: ops.Op) -> Builder:
    """How expressions() uses ``op``, read off its row: arity, the constants to bind, the guard."""
    constants = st.sampled_from(op.constants) if op.constants else None
    return Builder(op.arity, constants, _guard(op))


BUILDERS = {name: builder(op) for name, op in ops.RULES.items()}  # in table order: simplest first
FALLBACK = "sin"  # used on the first parent when the drawn op is unsafe there: smooth and bounded


class Expression:
    """A random expression graph: ``root`` (the output), ``leaves`` (x0, x1, ...) and ``text``.

    ``text`` is the Python that rebuilds it (with ``from engine import *``);
    an interior node used more than once is named (``t0 = ...; ...``).
    ``gradcheck(e)`` checks it with respect to its leaves.
    """

    __slots__ = ("root", "leaves", "text", "_repr")

    def __init__(self, root: Value, leaves: Iterable[Value]) -> None:
        self.root, self.leaves = root, tuple(leaves)
        self.text = expression_text(root)
        values = ", ".join(f"{v.label}={v.data!r}" for v in self.leaves)
        self._repr = f"<{self.text} at {values}>"

    @property
    def values(self) -> dict:
        """The leaves' values by label: {"x0": 0.5, ...}."""
        return {v.label: v.data for v in self.leaves}

    @property
    def ops(self) -> set:
        """The names of the ops used (bound ops by their own names, e.g. "mulk")."""
        return {n.op.name for n in topological_order(self.root) if n.parents}

    @property
    def size(self) -> int:
        """The number of op nodes."""
        return sum(1 for n in topological_order(self.root) if n.parents)

    def __repr__(self):
        return self._repr


def expressions(
    ops: list | None = None, max_leaves: int = 3, max_nodes: int = 8, max_depth: int = 4, max_width: int = 3
) -> st.SearchStrategy[Expression]:
    """A strategy for random expression graphs (:class:`Expression`), smooth where they are drawn.

    Up to ``max_leaves`` leaves x0, x1, ... in [-3, 3] and up to ``max_nodes``
    op nodes, none deeper than ``max_depth``; sum and dot take up to
    ``max_width`` terms. Each op's parents are drawn from all earlier nodes, so
    nodes are shared (diamonds). ``ops`` limits the ops used: names from
    ``engine.RULES`` (all of them by default) or your own ``Op`` objects, which
    are assumed smooth wherever their forward function succeeds.

    An op is used only where it is safe: inputs of log, sqrt and pow stay
    positive and of / and relu away from zero (log1p's above -1, tan's inside
    ±π/2, maximum's two apart), by at least EDGE = 0.1 and at least 1000
    finite-difference steps, and every value stays within ±100.
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
        ops_ = list(table.RULES)
    chosen = []
    for op in ops_:
        if isinstance(op, ops.Op):
            if op.constant is not None:
                raise ValueError(f"expressions: give the unbound op, not {op!r} (constants are drawn)")
            chosen.append(op)
        elif op not in table.RULES:
            raise ValueError(f"expressions: unknown op {op!r}; the ops are {', '.join(table.RULES)}")
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
    leaves = walks.leaves(root)
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
    state.height[made] = 1 + max(state.height[p] for p in made.parents)
    return made


def _node(draw, name, operand, max_width):
    """One new node: the op ``name`` on operands drawn by ``operand()``, or the fallback if unsafe."""
    op = name if isinstance(name, ops.Op) else ops.RULES[name]  # a user's op: smooth where it succeeds
    how = BUILDERS[name] if isinstance(name, str) and BUILDERS.get(name) else builder(op)
    if how.parents is None:  # n-ary: n of each input group (w_1..w_n, x_1..x_n), then fixed inputs or not
        groups = len(op.lists)
        count = groups * draw(st.integers(1, max_width)) + draw(st.integers(0, len(op.inputs) - groups))
        parents = [operand() for _ in range(count)]
    else:
        parents = [operand() for _ in range(how.parents)]
    if how.constants is not None:
        k = draw(how.constants)
        op, guard_args = op.bind(k), (*parents, k)
    else:
        guard_args = tuple(parents)
    node = None
    if how.guard is None or how.guard(*guard_args):
        try:
            node = apply(op, *parents)
        except (ArithmeticError, ValueError):
            node = None
    if node is None or not abs(node.data) <= LIMIT:
        node = apply(ops.RULES[FALLBACK], parents[0])
    return node


__all__ = [
    "reals", "away_from_zero", "op_inputs", "DOMAINS", "MARGIN",
    "expressions", "Expression", "BUILDERS", "Builder", "builder", "domain",
]  # fmt: skip
