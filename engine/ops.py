"""The rule table: every primitive operation, declared once.

Each row names an op and gives its forward function, its local partial
derivatives ∂out/∂input and the text of each partial. The vocabulary follows
PyTorch's derivatives.yaml: the inputs by name (a, b, ...), and ``out`` for the
op's own result. A partial is written so that the same code runs on floats
(ordinary backward) and on Values (``engine.grad(..., create_graph=True)``),
which is what gives higher derivatives for free.

The rows ending in ``k`` are the same ops with one input a plain number k:
``x * 3`` makes one node bound to 3 (see ``Op.bind``), not a node for the 3, and
no gradient flows to k; ``rsubk``, ``rdivk`` and ``rpowk`` are ``k - a``,
``k / a`` and ``k ** a``. ``sum``, ``dot`` and ``logsumexp`` take any number of inputs.

Everything else about an op is a field of its row, so nothing outside this file
special-cases an op by name: how a formula prints it (``text``), how its
partial reads for input i of n (``formula_at``), and where random tests may
evaluate it (``domain``, ``guard``, ``constants``; see ``engine.tools.strategies``).
A unary row written as a call (``exp(a)``) is also a ``Value`` method, a
function of :mod:`engine` and a function the formula parser accepts. ``code`` says
how :func:`engine.codegen` writes the row as Python (the same floats, bit for bit).

    >>> RULES["sigmoid"].formulas
    ('out * (1 - out)',)
"""

import ast
import keyword
import math
import numbers
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple


class Interval(NamedTuple):
    """Where random tests draw one input: [low, high], optionally only |x| >= low, or integers."""

    low: float
    high: float
    signed: bool = False  # True: low <= |x| <= high, either sign
    integer: bool = False


@dataclass(frozen=True, eq=False)
class Op:
    """One primitive: how to compute it forward, and its local partials."""

    name: str  # e.g. "mul"
    symbol: str  # shown in drawings and traces, e.g. "*"
    inputs: tuple  # names of the inputs used in the formulas, e.g. ("a", "b")
    forward: Callable  # floats -> float
    partials: Callable  # (*inputs, out) -> tuple of ∂out/∂input
    formulas: tuple  # text of each partial, in the order of ``partials``
    # -- per-op hooks, with defaults that suit most rows
    text: Callable | None = None  # (operand texts, k) -> (text, precedence); None: "name(a)"
    formula_at: Callable | None = None  # (index, n_inputs) -> formula text, for n-ary ops
    domain: tuple = ()  # an Interval per input (or alternatives: tuples of Intervals); () is [-5, 5]
    guard: Any = None  # what each input needs in random expressions: "positive", "nonzero", None,
    # an open interval (low, high) it must stay inside; or "apart" for all inputs: no two nearly equal
    constants: tuple = ()  # the numbers random expressions bind to a "k" op, simplest first
    constant: float | None = None  # set on an op bound to a number: see ``bind``
    bound: dict = field(default_factory=dict, repr=False)  # k -> this op bound to k
    # How engine.codegen writes the row as Python: (forward, ∂out/∂input, ...) in the names
    # a, b, k, out, each giving the very float forward/partials give (an entry may be a function
    # (input names, k) -> text, or None). () or a missing entry: the code calls the row's own functions.
    # An n-ary row has (forward, partials): partials a function (input names, index) -> text.
    code: tuple = ()
    # How engine.codegen(language="js") writes the row as JavaScript: the same shape as ``code``, in
    # the same names, each entry the same arithmetic in the same order (JavaScript's Math, and the
    # functions of JS_FUNCTIONS for the rows' own, such as sigmoid). () : the row has no JavaScript form.
    js: tuple = ()

    def bind(self, k: float) -> "Op":
        """This op with its last input fixed to the number ``k`` (``x * 2`` is mul by 2).

        The bound op's node has one parent; no node is made for the constant and
        no gradient flows to it. Its rule is still called as ``partials(a, k, out)``.
        Bound ops are cached, so ``x * 2`` twice shares one.
        """
        op = self.bound.get(k)
        if op is None:
            forward = self.forward
            op = replace(self, forward=lambda a: forward(a, k), constant=k, bound={})
            if k != 0.0:  # 0.0 and -0.0 compare equal: cache neither, so each keeps its sign
                if len(self.bound) >= 1024:
                    self.bound.clear()
                self.bound[k] = op
        return op

    # What a row's input names mean: "x_i" (a name ending in _i) is a list of inputs, and a
    # last input "k" is a plain number bound into the op. These properties say it; nothing
    # else reads the names.
    @property
    def is_nary(self) -> bool:
        """True for a row that takes any number of inputs (sum, dot, logsumexp): its inputs are lists."""
        return self.inputs[0].endswith("_i")

    @property
    def takes_constant(self) -> bool:
        """True for a row whose last input is a number k bound into the op (``x * 2``, ``leaky_relu``)."""
        return self.inputs[-1] == "k"

    @property
    def lists(self) -> tuple:
        """The inputs of an n-ary row that are lists, without their ``_i``: ``("w", "x")`` for dot."""
        return tuple(name[:-2] for name in self.inputs if name.endswith("_i"))

    @property
    def arity(self) -> int | None:
        """Number of Value inputs, or None for ops that take any number (sum, dot)."""
        if self.is_nary:
            return None
        return len(self.inputs) - self.takes_constant

    @property
    def is_unary(self) -> bool:
        """True for a row of one Value input and no constant: ``exp(a)``, a method ``x.exp()``."""
        return self.arity == 1 and not self.takes_constant

    @property
    def is_function(self) -> bool:
        """True for an op written as a call, ``exp(a)``, ``maximum(a, b)``, ``leaky_relu(a, k)``:
        a Value method (``a.maximum(b)``) and a parser function taking its row's inputs."""
        return self.arity is not None and self.text is None

    def formula(self, index: int, n_inputs: int) -> str:
        """Text of ∂out/∂input[index] for a node with ``n_inputs`` inputs."""
        if self.formula_at is not None:
            return self.formula_at(index, n_inputs)
        return self.formulas[0 if self.arity is None else index]

    def format(self, operands: list, k: float | None = None) -> tuple[str, int]:
        """How a formula writes this op on operand texts: ``(text, precedence)`` (higher binds tighter)."""
        if self.text is not None:
            return self.text(operands, k)
        args = [t for t, _ in operands] + ([number_text(k)] if k is not None else [])
        return f"{self.name}({', '.join(args)})", ATOM

    @property
    def label(self) -> str:
        """How drawings and traces show the op: ``*``, or ``* 2`` when bound to 2."""
        if self.constant is None:
            return self.symbol
        k = f"{self.constant:g}"
        return (
            f"{k} {self.symbol}"
            if self.name.startswith("r") and self.name.endswith("k")
            else f"{self.symbol} {k}"
        )

    def __call__(self, *inputs: Any) -> Any:
        """Record one node of this op on ``inputs``: ``RULES["mul"](a, b)`` (``engine.apply``)."""
        raise NotImplementedError("engine.value attaches Op.__call__ when it is imported")

    def __repr__(self):
        return f"<op {self.name}{'' if self.constant is None else f' k={self.constant!r}'}>"

    def __reduce__(self):  # pickles as its table name (and bound constant), not its functions
        row = RULES.get(self.name)
        if row is None or row.partials is not self.partials or (self.constant is None and row is not self):
            raise TypeError(f"{self!r} is not a row of engine.RULES, so it cannot be pickled")
        return (_row, (self.name, self.constant))


def _row(name, constant):
    op = RULES[name]
    return op if constant is None else op.bind(constant)


# ---------------------------------------------------------------------------
# Functions that take a float or a Value: the partials call these, so one rule
# runs on floats (backward) and on Values (higher derivatives).


def function(name: str) -> Callable:
    """``name(x)`` for a float (the row's forward) or a Value (its method), e.g. ``exp = function("exp")``.

    A row with more inputs takes them all: ``maximum(a, b)``, ``leaky_relu(a, k)``
    (k a plain number, bound into the op); a plain number among Values becomes a
    leaf, as in ``engine.apply``. This is also the Value method of such a row.
    """

    def f(x, *rest):
        op = RULES[name]
        if not rest and op.is_unary:
            return getattr(x, name)() if hasattr(x, "parents") else _checked(op, _real(name, x))
        if 1 + len(rest) != len(op.inputs):
            raise TypeError(
                f"{op.format([(a, ATOM) for a in op.inputs])[0]} takes {len(op.inputs)} inputs, "
                f"got {1 + len(rest)}"
            )
        if not any(hasattr(v, "parents") for v in (x, *rest)):  # numbers only: a float back
            return _checked(op, *(_real(name, v) for v in (x, *rest)))
        if op.takes_constant:  # leaky_relu(x, 0.01): one node, bound to the number k
            k = rest[-1]
            if hasattr(k, "parents") or not math.isfinite(k := _real(name, k)):
                raise TypeError(f"{name}: k must be a finite number (not a Value), got {rest[-1]!r}")
            return op.bind(float(k))(x, *rest[:-1])
        return op(x, *rest)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"{name}(...) for floats or Values: the rule table's {name!r} row."
    return f


def _real(name, x):
    """A number given to a helper as a float: numpy.int64, Fraction, ... are numbers too."""
    if isinstance(x, (float, int)):
        return x
    if not isinstance(x, numbers.Real):
        raise TypeError(f"{name}() takes a number or a Value, not {type(x).__name__} {x!r}")
    try:
        return float(x)
    except OverflowError:
        raise OverflowError(f"{name}(x): x is too large for a float (about 1.8e308 at most)") from None


def logsumexp(values: Any) -> Any:
    """log Σ e^x_i as ONE node (a float for floats), stable for any size: ∂out/∂x_i = e^(x_i − out).

    >>> round(logsumexp([1000.0, 1000.0]), 6)  # 1000 + log 2, with no overflow
    1000.693147
    """
    values = tuple(values)
    if not values:
        raise ValueError("logsumexp of no values is log 0 = -inf; give at least one value")
    if all(isinstance(v, (float, int)) for v in values):
        return _checked(LOGSUMEXP, *values)
    return LOGSUMEXP(*values)  # Op.__call__ is engine.apply: numbers become leaves


exp, log, sqrt, tanh, sigmoid, relu, sin, cos = map(
    function, ["exp", "log", "sqrt", "tanh", "sigmoid", "relu", "sin", "cos"]
)
maximum, minimum, leaky_relu, softplus, log1p, expm1, tan, atan, sinh, cosh = map(
    function,
    ["maximum", "minimum", "leaky_relu", "softplus", "log1p", "expm1", "tan", "atan", "sinh", "cosh"],
)  # and abs, defined at the end of this file (abs(k) above is Python's own)


# Forward functions that need care: stable formulas and explicit domains.
def _sigmoid(a):
    if a >= 0.0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)  # a < 0, so no overflow
    return e / (1.0 + e)


def _relu(a):
    return a if a > 0.0 else 0.0


def _div(a, b):
    if b == 0.0:
        raise ZeroDivisionError(
            "division by zero; guard the denominator (add a small epsilon) or check it first"
        )
    return a / b


def _pow(a, b):
    # math.pow never returns a complex number: (-8) ** (1/3) raises instead.
    if a < 0.0 and b != int(b):
        raise ValueError("a negative number to a fractional power is not a real number")
    if a == 0.0 and b < 0.0:
        raise ZeroDivisionError("zero to a negative power is infinite")
    return math.pow(a, b)


def _log(a):
    if a <= 0.0:
        raise ValueError("log needs a positive input")
    return math.log(a)


def _sqrt(a):
    if a < 0.0:
        raise ValueError("sqrt needs an input >= 0")
    return math.sqrt(a)


def _exp(a):
    if a > 709.78:  # math.log(sys.float_info.max)
        raise OverflowError("exp(a) is larger than the largest float (a must be <= 709.78)")
    return math.exp(a)


def _log1p(a):
    if a <= -1.0:
        raise ValueError("log1p needs an input > -1")
    return math.log1p(a)


def _softplus(a):  # log(1 + e^a), written so that exp never overflows: max(a, 0) + log(1 + e^-|a|)
    return (a if a > 0.0 else 0.0) + math.log1p(math.exp(-math.fabs(a)))


def _logsumexp(*xs):  # log Σ e^x_i, shifted by the largest x so that exp never overflows
    m = max(xs)
    if m - m != 0.0:  # m is ±inf (the sum is e^m, whatever the rest) or nan
        return m
    return m + math.log(math.fsum([math.exp(x - m) for x in xs]))


def _finite(f):
    """``f`` with its OverflowError saying what to do (sinh, cosh, expm1 beyond the largest float)."""

    def forward(a):
        try:
            return f(a)
        except OverflowError:
            raise OverflowError(
                f"{f.__name__}(a) is larger than the largest float (|a| must be below about 709.78)"
            ) from None

    return forward


# Partials with edge cases that one expression cannot cover.
def _pow_partials(a, b, out):
    # d/da a**b = b * a**(b-1); at a == b == 0 it is 0 (a**0 is the constant 1).
    da = 0.0 if float(a) == 0.0 and float(b) == 0.0 else b * a ** (b - 1)
    return da, _pow_b_partial(a, out)


def _pow_b_partial(a, out):
    # d/db a**b = out * log(a) needs a > 0. At a == 0 (b > 0) the limit is 0.
    # For a < 0 a**b is real only at integer b, so it has no derivative in b.
    if float(a) > 0.0:
        return out * log(a)
    if float(a) == 0.0:
        return 0.0
    raise ValueError(
        "d(a ** b)/db is undefined for a < 0 (a ** b is not real for b near an integer); "
        "if the exponent is a constant, pass a plain number: x ** 3, not x ** Value(3)"
    )


def _powk_partials(a, k, out):
    return (0.0 if k == 0 else k * a ** (k - 1),)  # a**0 is constant: slope 0, even at a == 0


def _abs_partials(a, out):  # sign(a); 0 at a == 0, as torch.abs
    return (1.0 if a > 0 else -1.0 if a < 0 else 0.0,)


def _maximum_partials(a, b, out):
    # At a tie a == b the gradient is split, 1/2 to each input, as torch.maximum does.
    a, b = float(a), float(b)
    return (1.0 if a > b else 0.5 if a == b else 0.0, 1.0 if b > a else 0.5 if a == b else 0.0)


def _minimum_partials(a, b, out):  # the tie as in maximum: 1/2 each
    a, b = float(a), float(b)
    return (1.0 if a < b else 0.5 if a == b else 0.0, 1.0 if b < a else 0.5 if a == b else 0.0)


def _logsumexp_partials(*args):
    # ∂out/∂x_i = e^(x_i - out), the softmax p_i, computed as e^(x_i - m) / Σ_j e^(x_j - m) with m the
    # largest x: e^(x_i - out) itself is wrong at large |x| (1e17 + log 2 rounds to 1e17, so p_i = 1).
    xs = args[:-1]
    m = max(float(x) for x in xs)
    e = [exp(x - m) for x in xs]
    total = sum(e[1:], e[0])
    return tuple(p / total for p in e)


_SOFTMAX: list = [((), ())]  # the last (xs, softmax of xs) that softmax() computed


def softmax(xs: tuple) -> tuple:
    """logsumexp's partials at the floats ``xs`` (the softmax), as its rule gives them, bit for bit.

    The code engine.codegen writes asks for them once per input of a logsumexp node, so the
    last answer is kept: the exps are computed once per node, not once per input.
    """
    last = _SOFTMAX[0]
    if last[0] == xs:  # never true for a nan (nan != nan): then it is computed again
        return last[1]
    p = _logsumexp_partials(*xs, 0.0)  # (the rule reads out only through its inputs' max)
    _SOFTMAX[0] = (xs, p)
    return p


def _logsumexp_code(names, k):  # logsumexp((x_1, ..., x_n)): engine.logsumexp on floats is the row's forward
    return f"logsumexp({_tuple(names)})"


def _logsumexp_partial_code(names, index):  # the softmax of the inputs, taken at input ``index``
    return f"softmax({_tuple(names)})[{index}]"


def code_functions() -> tuple[str, ...]:
    """The functions generated code may call: the function rows, and logsumexp with its softmax."""
    return (*functions(), "logsumexp", "softmax")


def _sum_partials(*args):
    return (1.0,) * (len(args) - 1)


def _dot(*args):
    n = len(args) // 2
    start = args[-1] if len(args) % 2 else 0.0
    # z = b + w_1 x_1 + ... + w_n x_n, in that order (as micrograd's Neuron sums)
    return sum(map(operator.mul, args[:n], args[n : 2 * n]), start)


def _dot_partials(*args):
    # args = w_1..w_n, x_1..x_n, [b], out
    n = (len(args) - 1) // 2
    return args[n : 2 * n] + args[:n] + (1.0,) * ((len(args) - 1) % 2)


def _dot_formula(index, n_inputs):
    # inputs are w_1..w_n, x_1..x_n[, b]: ∂z/∂w_i = x_i, ∂z/∂x_i = w_i, ∂z/∂b = 1
    n = n_inputs // 2
    i = index % n + 1 if index < 2 * n else None
    return f"x_{i}" if index < n else f"w_{i}" if i else "1"


# How formulas print ops: the texts of the operands (with their precedence) -> (text, precedence).
ATOM = 9  # a name, a number or a call: never needs parentheses


def number_text(k: float) -> str:
    """A bound constant as a formula writes it: 2 for 2.0, 0.5 for 0.5."""
    text = repr(float(k))
    return text[:-2] if text.endswith(".0") else text


def _wrap(operand, need):  # parenthesise an operand that binds less tightly than ``need``
    return operand[0] if operand[1] >= need else f"({operand[0]})"


def infix(symbol: str, prec: int, left: int | None = None, right: int | None = None) -> Callable:
    """``a symbol b`` (or ``a symbol k`` for a bound op); operands binding less than
    ``left`` / ``right`` (default: left-associative) get parentheses."""

    def text(ops_, k):
        rhs = number_text(k) if k is not None else _wrap(ops_[1], prec + 1 if right is None else right)
        return f"{_wrap(ops_[0], prec if left is None else left)} {symbol} {rhs}", prec

    return text


def prefix(symbol: str, prec: int, right: int | None = None) -> Callable:
    """``k symbol a`` for an op bound to a constant on the left: ``k - a``, ``k / a``, ``k ** a``."""

    def text(ops_, k):
        lhs = number_text(k) if k >= 0 else f"({number_text(k)})"
        return f"{lhs} {symbol} {_wrap(ops_[0], prec + 1 if right is None else right)}", prec

    return text


def _addk_text(ops_, k):  # x + -2 reads x - 2
    if math.copysign(1.0, k) < 0:
        return f"{_wrap(ops_[0], 1)} - {number_text(-k)}", 1
    return f"{_wrap(ops_[0], 1)} + {number_text(k)}", 1


def _dot_text(ops_, k):
    n = len(ops_) // 2
    ws, xs = ", ".join(t for t, _ in ops_[:n]), ", ".join(t for t, _ in ops_[n : 2 * n])
    bias = f", {ops_[-1][0]}" if len(ops_) % 2 else ""
    return f"dot([{ws}], [{xs}]{bias})", ATOM


def code_literal(k: float) -> str:
    """A bound constant as generated code writes it: its repr, in parentheses when negative."""
    text = repr(float(k))
    return f"({text})" if text.startswith("-") else text


def _sum_code(names, k):  # sum((x_1, ..., x_n), 0.0): the row's sum(xs, 0.0)
    return f"sum({_tuple(names)}, 0.0)"


def _dot_code(names, k):  # z = sum((w_1 * x_1, ..., w_n * x_n), b): the terms in _dot's order
    n = len(names) // 2
    terms = [f"{w} * {x}" for w, x in zip(names[:n], names[n : 2 * n])]
    return f"sum({_tuple(terms)}, {names[-1] if len(names) % 2 else '0.0'})"


def _tuple(items):
    return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"


def _powk_code(names, k):  # a ** k is the row's _pow when k is a whole number (else: call the row)
    return f"{names[0]} ** {code_literal(k)}" if float(k) == int(k) else None


def _powk_partial_code(names, k):  # k * a**(k - 1), with k - 1 worked out as _powk_partials does
    return "0.0" if float(k) == 0 else f"{code_literal(k)} * {names[0]} ** {code_literal(float(k) - 1)}"


_POWK_CODE = (_powk_code, _powk_partial_code)


# The rows' JavaScript (engine.codegen(language="js")): the same floats as the Python, in the same order.
# Python's sum() adds floats left to right before 3.12 and compensates for rounding from 3.12 on; the
# JavaScript does what this Python does, so the two programs agree.
PLAIN_SUM = sum((1.0, 1e100, 1.0, -1e100), 0.0) == 0.0


def js_number(k: float) -> str:
    """A bound constant as generated JavaScript writes it: ``2`` for 2.0, ``(-0.5)``, else its repr."""
    k = float(k)
    if k == int(k) and -(2**53) < k < 2**53 and math.copysign(1.0, k) > 0:
        return str(int(k))
    if k == int(k) and -(2**53) < k < 0:
        return f"({int(k)})"
    return code_literal(k)


def _sum_js(names, k):  # 0.0 + x_1 + ... + x_n, as the row's sum(xs, 0.0) adds
    return " + ".join(["0.0", *names]) if PLAIN_SUM else f"pysum([{', '.join(names)}], 0.0)"


def _dot_js(names, k):  # b + w_1 * x_1 + ... + w_n * x_n, in _dot's order
    n = len(names) // 2
    terms = [f"{w} * {x}" for w, x in zip(names[:n], names[n : 2 * n])]
    start = names[-1] if len(names) % 2 else "0.0"
    return " + ".join([start, *terms]) if PLAIN_SUM else f"pysum([{', '.join(terms)}], {start})"


def _powk_js(names, k):  # a ** k: JavaScript's ** is pow, as Python's float ** (no complex numbers: NaN)
    return f"{names[0]} ** {js_number(k)}"


def _powk_partial_js(names, k):  # k * a**(k - 1), k - 1 worked out as _powk_partials does
    if float(k) == 0:
        return "0.0"
    if float(k) - 1 == 1:
        return f"{js_number(k)} * {names[0]}"
    return f"{js_number(k)} * {names[0]} ** {js_number(float(k) - 1)}"


def _logsumexp_js(names, k):
    return f"logsumexp([{', '.join(names)}])"


def _logsumexp_partial_js(names, index):
    return f"softmax([{', '.join(names)}])[{index}]"


# The functions the rows' JavaScript calls besides Math's: each the Python of its row, step for step.
JS_FUNCTIONS = {
    "sigmoid": """\
function sigmoid(a) {  // as the sigmoid row: 1 / (1 + e^-a), or e^a / (1 + e^a) below 0 (no overflow)
  if (a >= 0.0) return 1.0 / (1.0 + Math.exp(-a));
  const e = Math.exp(a);
  return e / (1.0 + e);
}""",
    "softplus": """\
function softplus(a) {  // as the softplus row: max(a, 0) + log(1 + e^-|a|)
  return (a > 0.0 ? a : 0.0) + Math.log1p(Math.exp(-Math.abs(a)));
}""",
    "pysum": (
        """\
function pysum(xs, start) {  // Python's sum(xs, start) of floats: left to right
  let s = start;
  for (const x of xs) s += x;
  return s;
}"""
        if PLAIN_SUM
        else """\
function pysum(xs, start) {  // Python's sum(xs, start) of floats: Neumaier's compensated sum
  let s = start, c = 0.0;
  for (const x of xs) {
    const t = s + x;
    c += Math.abs(s) >= Math.abs(x) ? s - t + x : x - t + s;
    s = t;
  }
  return c !== 0.0 && Number.isFinite(c) ? s + c : s;
}"""
    ),
    "fsum": """\
function fsum(xs) {  // Python's math.fsum: the sum correctly rounded (Shewchuk's partials)
  const p = [];
  for (let x of xs) {
    let i = 0;
    for (let j = 0; j < p.length; j++) {
      let y = p[j];
      if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0.0) p[i++] = lo;
      x = hi;
    }
    p.length = i;
    if (x !== 0.0) p.push(x);
  }
  let n = p.length, hi = 0.0, lo = 0.0;
  if (n > 0) {
    hi = p[--n];
    while (n > 0) {
      const x = hi, y = p[--n];
      hi = x + y;
      lo = y - (hi - x);
      if (lo !== 0.0) break;
    }
    if (n > 0 && ((lo < 0.0 && p[n - 1] < 0.0) || (lo > 0.0 && p[n - 1] > 0.0))) {
      const y = lo * 2.0, x = hi + y;
      if (y === x - hi) hi = x;
    }
  }
  return hi;
}""",
    "logsumexp": """\
function logsumexp(xs) {  // as the logsumexp row: log Σ e^(x_i - m) + m, m the largest x
  let m = xs[0];
  for (const x of xs) if (x > m) m = x;
  if (m - m !== 0.0) return m;
  return m + Math.log(fsum(xs.map((x) => Math.exp(x - m))));
}""",
    "softmax": """\
function softmax(xs) {  // logsumexp's partials, as its rule: e^(x_i - m) / Σ_j e^(x_j - m)
  let m = xs[0];
  for (const x of xs) if (x > m) m = x;
  const e = xs.map((x) => Math.exp(x - m));
  const total = pysum(e.slice(1), e[0]);
  return e.map((p) => p / total);
}""",
}
# What a row's JavaScript text may call: these, and Math's functions.
JS_MATH = frozenset(
    "abs exp log sqrt tanh sin cos tan atan sinh cosh log1p expm1 pow max min floor ceil sign".split()
)
_JS_TOKEN = re.compile(
    r"\s+|(?P<math>Math\.[a-z0-9]+)|(?P<name>[A-Za-z_]\w*)|(?P<number>\d+(\.\d*)?([eE][+-]?\d+)?)"
    r"|\*\*|[=!]==?|<=|>=|&&|\|\||[-+*/()?:<>!,]"
)


def check_js(op: "Op", entry: str) -> None:
    """Refuse a row's JavaScript text that is not plain arithmetic on its inputs (a ValueError)."""
    allowed = {*op.inputs, "out", *JS_FUNCTIONS}
    position = 0
    while position < len(entry):
        m = _JS_TOKEN.match(entry, position)
        bad = (
            m is None
            or (m["math"] and m["math"][5:] not in JS_MATH)
            or (m["name"] and m["name"] not in allowed)
            or (m.group(0) in ("==", "!="))
        )
        if bad:
            raise ValueError(
                f"{op.name}: the JavaScript text {entry!r} may use only its inputs, out, numbers, arithmetic, "
                "comparisons (===, !==, <, ...), ?: and Math's or engine.ops.JS_FUNCTIONS' functions"
            )
        assert m is not None
        position = m.end()


def _powk_guard(k):  # what a ** k needs of a to be smooth
    if k == int(k):
        return (None,) if k >= 0 else ("nonzero",)  # a polynomial, or 1/a^n
    return ("positive",)


R, R_NONZERO, POSITIVE = Interval(-5.0, 5.0), Interval(0.1, 5.0, signed=True), Interval(0.05, 50.0)
APART = (
    tuple(  # two inputs at least 0.1 apart, either one the larger (maximum and minimum are kinked at a tie)
        alt
        for low, high in (
            (Interval(-5.0, -0.05), Interval(0.05, 5.0)),
            (Interval(1.0, 5.0), Interval(-0.9, 0.9)),
        )
        for alt in ((low, high), (high, low))
    )
)
GRID = tuple(sorted({s * i * 0.25 for i in range(13) for s in (1, -1)}, key=lambda k: (abs(k), k < 0)))

# fmt: off
# Each row: its name, then its fields in four groups, one field a line:
#   maths        inputs (names used in the formulas), forward (floats -> float),
#                partials (∂out/∂input, the same code for floats and Values)
#   display      symbol (drawings, traces), formulas (the text of each partial),
#                text (how a formula prints it), formula_at (the text for input i of n)
#   test domain  domain, guard, constants: where random tests may evaluate it
#   code         code: how engine.codegen writes it as Python; js: the same as JavaScript
_TABLE = [
    Op(  # a + b: each input moves the sum one for one
        name="add",
        inputs=("a", "b"),  # maths
        forward=operator.add,
        partials=lambda a, b, out: (1.0, 1.0),
        symbol="+",  # display
        formulas=("1", "1"),
        text=infix("+", 1),
        code=("a + b", "1", "1"),  # code
        js=("a + b", "1", "1"),  # JavaScript
    ),
    Op(  # a * b: each input's slope is the other input
        name="mul",
        inputs=("a", "b"),  # maths
        forward=operator.mul,
        partials=lambda a, b, out: (b, a),
        symbol="*",  # display
        formulas=("b", "a"),
        text=infix("*", 2),
        code=("a * b", "b", "a"),  # code
        js=("a * b", "b", "a"),  # JavaScript
    ),
    Op(  # -a
        name="neg",
        inputs=("a",),  # maths
        forward=operator.neg,
        partials=lambda a, out: (-1.0,),
        symbol="-",  # display
        formulas=("-1",),
        text=lambda o, k: (f"-{_wrap(o[0], ATOM)}", 3),
        code=("-a", "-1"),  # code
        js=("-a", "-1"),  # JavaScript
    ),
    Op(  # a + k, k a plain number bound into the node
        name="addk",
        inputs=("a", "k"),  # maths
        forward=operator.add,
        partials=lambda a, k, out: (1.0,),
        symbol="+",  # display
        formulas=("1",),
        text=_addk_text,
        constants=GRID,  # test domain
        code=("a + k", "1"),  # code
        js=("a + k", "1"),  # JavaScript
    ),
    Op(  # a * k: the slope is k
        name="mulk",
        inputs=("a", "k"),  # maths
        forward=operator.mul,
        partials=lambda a, k, out: (k,),
        symbol="*",  # display
        formulas=("k",),
        text=infix("*", 2),
        constants=GRID,  # test domain
        code=("a * k", "k"),  # code
        js=("a * k", "k"),  # JavaScript
    ),
    Op(  # Σ x_i, any number of inputs: one node, each slope 1
        name="sum",
        inputs=("x_i",),  # maths
        forward=lambda *xs: sum(xs, 0.0),
        partials=_sum_partials,
        symbol="Σ",  # display
        formulas=("1",),
        text=lambda o, k: (f"sum([{', '.join(t for t, _ in o)}])", ATOM),
        code=(_sum_code,),  # code
        js=(_sum_js,),  # JavaScript
    ),
    Op(  # z = w·x + b, a neuron's weighted sum as one node
        name="dot",
        inputs=("w_i", "x_i", "b"),  # maths
        forward=_dot,
        partials=_dot_partials,
        symbol="w·x+b",  # display
        formulas=("x_i", "w_i", "1"),
        text=_dot_text,
        formula_at=_dot_formula,
        domain=(Interval(-3.0, 3.0),),  # test domain
        code=(_dot_code,),  # code
        js=(_dot_js,),  # JavaScript
    ),
    Op(  # a / b
        name="div",
        inputs=("a", "b"),  # maths
        forward=_div,
        partials=lambda a, b, out: (1 / b, -out / b),
        symbol="/",  # display
        formulas=("1 / b", "-a / b**2"),
        text=infix("/", 2),
        domain=(R, R_NONZERO),  # test domain
        guard=(None, "nonzero"),
        code=("a / b", "1 / b", "-out / b"),  # code
        js=("a / b", "1 / b", "-out / b"),  # JavaScript
    ),
    Op(  # a / k
        name="divk",
        inputs=("a", "k"),  # maths
        forward=_div,
        partials=lambda a, k, out: (1 / k,),
        symbol="/",  # display
        formulas=("1 / k",),
        text=infix("/", 2),
        domain=(R, R_NONZERO),  # test domain
        constants=tuple(k for k in GRID if abs(k) >= 0.5),
        code=("a / k", "1 / k"),  # code
        js=("a / k", "1 / k"),  # JavaScript
    ),
    Op(  # a ** k, the exponent a plain number (x ** 2)
        name="powk",
        inputs=("a", "k"),  # maths
        forward=_pow,
        partials=_powk_partials,
        symbol="**",  # display
        formulas=("k * a**(k - 1)",),
        text=infix("**", 4, left=ATOM),
        domain=(  # test domain: a > 0 for any k, or a of either sign for a whole k
            (Interval(0.2, 4.0), Interval(-3.0, 3.0)),
            (Interval(0.2, 4.0, signed=True), Interval(-3, 4, integer=True)),
        ),
        guard=_powk_guard,
        constants=(2.0, 3.0, 1.0, 0.0, -1.0, -2.0, 0.5, 1.5, -0.5),
        code=_POWK_CODE,  # code
        js=(_powk_js, _powk_partial_js),  # JavaScript
    ),
    Op(  # a ** b, both Values: needs a > 0 for the slope in b
        name="pow",
        inputs=("a", "b"),  # maths
        forward=_pow,
        partials=_pow_partials,
        symbol="**",  # display
        formulas=("b * a**(b - 1)", "out * log(a)"),
        text=infix("**", 4, left=ATOM, right=3),
        domain=(Interval(0.2, 4.0), Interval(-3.0, 3.0)),  # test domain
        guard=("positive", None),
        code=(  # code: the forward calls the row (math.pow's domain errors, never a complex number)
            None,
            "0.0 if a == 0.0 and b == 0.0 else b * a ** (b - 1)",
            "out * log(a) if a != 0.0 else 0.0",  # log raises for a < 0, as the rule does
        ),
        js=(  # JavaScript
            "a ** b",
            "a === 0 && b === 0 ? 0.0 : b * a ** (b - 1)",
            "a !== 0 ? out * Math.log(a) : 0.0",
        ),
    ),
    Op(  # e^a: its own slope
        name="exp",
        inputs=("a",),  # maths
        forward=_exp,
        partials=lambda a, out: (out,),
        symbol="exp",  # display
        formulas=("out",),
        code=("exp(a)", "out"),  # code
        js=("Math.exp(a)", "out"),  # JavaScript
    ),
    Op(  # log a, a > 0
        name="log",
        inputs=("a",),  # maths
        forward=_log,
        partials=lambda a, out: (1 / a,),
        symbol="log",  # display
        formulas=("1 / a",),
        domain=(POSITIVE,),  # test domain
        guard=("positive",),
        code=("log(a)", "1 / a"),  # code
        js=("Math.log(a)", "1 / a"),  # JavaScript
    ),
    Op(  # √a, a >= 0
        name="sqrt",
        inputs=("a",),  # maths
        forward=_sqrt,
        partials=lambda a, out: (0.5 / out,),
        symbol="√",  # display
        formulas=("1 / (2 * out)",),
        domain=(POSITIVE,),  # test domain
        guard=("positive",),
        code=("sqrt(a)", "0.5 / out"),  # code
        js=("Math.sqrt(a)", "0.5 / out"),  # JavaScript
    ),
    Op(  # tanh a: the slope from the output, 1 - out²
        name="tanh",
        inputs=("a",),  # maths
        forward=math.tanh,
        partials=lambda a, out: (1 - out * out,),
        symbol="tanh",  # display
        formulas=("1 - out**2",),
        code=("tanh(a)", "1 - out * out"),  # code
        js=("Math.tanh(a)", "1 - out * out"),  # JavaScript
    ),
    Op(  # σ(a) = 1 / (1 + e^-a): the slope from the output
        name="sigmoid",
        inputs=("a",),  # maths
        forward=_sigmoid,
        partials=lambda a, out: (out * (1 - out),),
        symbol="σ",  # display
        formulas=("out * (1 - out)",),
        domain=(Interval(-8.0, 8.0),),  # test domain
        code=("sigmoid(a)", "out * (1 - out)"),  # code
        js=("sigmoid(a)", "out * (1 - out)"),  # JavaScript
    ),
    Op(  # max(a, 0): slope 1 above 0, else 0
        name="relu",
        inputs=("a",),  # maths
        forward=_relu,
        partials=lambda a, out: (1.0 if a > 0 else 0.0,),
        symbol="ReLU",  # display
        formulas=("1 if a > 0 else 0",),
        domain=(Interval(0.01, 5.0, signed=True),),  # test domain
        guard=("nonzero",),
        code=("a if a > 0.0 else 0.0", "1.0 if a > 0 else 0.0"),  # code
        js=("a > 0.0 ? a : 0.0", "a > 0 ? 1.0 : 0.0"),  # JavaScript
    ),
    Op(  # sin a
        name="sin",
        inputs=("a",),  # maths
        forward=math.sin,
        partials=lambda a, out: (cos(a),),
        symbol="sin",  # display
        formulas=("cos(a)",),
        code=("sin(a)", "cos(a)"),  # code
        js=("Math.sin(a)", "Math.cos(a)"),  # JavaScript
    ),
    Op(  # cos a
        name="cos",
        inputs=("a",),  # maths
        forward=math.cos,
        partials=lambda a, out: (-sin(a),),
        symbol="cos",  # display
        formulas=("-sin(a)",),
        code=("cos(a)", "-sin(a)"),  # code
        js=("Math.cos(a)", "-Math.sin(a)"),  # JavaScript
    ),
    Op(  # k - a
        name="rsubk",
        inputs=("a", "k"),  # maths
        forward=lambda a, k: k - a,
        partials=lambda a, k, out: (-1.0,),
        symbol="-",  # display
        formulas=("-1",),
        text=prefix("-", 1),
        constants=GRID,  # test domain
        code=("k - a", "-1"),  # code
        js=("k - a", "-1"),  # JavaScript
    ),
    Op(  # k / a
        name="rdivk",
        inputs=("a", "k"),  # maths
        forward=lambda a, k: _div(k, a),
        partials=lambda a, k, out: (-out / a,),
        symbol="/",  # display
        formulas=("-k / a**2",),
        text=prefix("/", 2),
        domain=(R_NONZERO, R),  # test domain
        guard=("nonzero",),
        constants=GRID,
        code=("k / a", "-out / a"),  # code
        js=("k / a", "-out / a"),  # JavaScript
    ),
    Op(  # k ** a, the base a plain number
        name="rpowk",
        inputs=("a", "k"),  # maths
        forward=lambda a, k: _pow(k, a),
        partials=lambda a, k, out: (_pow_b_partial(k, out),),
        symbol="**",  # display
        formulas=("out * log(k)",),
        text=prefix("**", 4, right=3),
        domain=(Interval(-3.0, 3.0), Interval(0.2, 4.0)),  # test domain
        constants=(2.0, 0.5, 3.0, 1.5),
        code=(None, "out * log(k) if k != 0.0 else 0.0"),  # code
        js=("k ** a", "k !== 0 ? out * Math.log(k) : 0.0"),  # JavaScript
    ),
    # abs: slope sign(a), 0 at the kink a == 0 (as torch.abs). maximum/minimum: at a tie a == b each
    # input gets 1/2 (as torch.maximum/torch.minimum), which is also what a central difference gives there.
    Op(  # |a|
        name="abs",
        inputs=("a",),  # maths
        forward=math.fabs,
        partials=_abs_partials,
        symbol="abs",  # display
        formulas=("1 if a > 0 else -1 if a < 0 else 0",),
        domain=(Interval(0.01, 5.0, signed=True),),  # test domain
        guard=("nonzero",),
        code=("abs(a)", "1.0 if a > 0 else -1.0 if a < 0 else 0.0"),  # code
        js=("Math.abs(a)", "a > 0 ? 1.0 : a < 0 ? -1.0 : 0.0"),  # JavaScript
    ),
    Op(  # the larger of a and b
        name="maximum",
        inputs=("a", "b"),  # maths
        forward=max,
        partials=_maximum_partials,
        symbol="max",  # display
        formulas=("1 if a > b else 0.5 if a == b else 0", "1 if b > a else 0.5 if a == b else 0"),
        domain=APART,  # test domain
        guard="apart",
        code=(  # code
            "maximum(a, b)",
            "1.0 if a > b else 0.5 if a == b else 0.0",
            "1.0 if b > a else 0.5 if a == b else 0.0",
        ),
        js=(  # JavaScript
            "b > a ? b : a",
            "a > b ? 1.0 : a === b ? 0.5 : 0.0",
            "b > a ? 1.0 : a === b ? 0.5 : 0.0",
        ),
    ),
    Op(  # the smaller of a and b
        name="minimum",
        inputs=("a", "b"),  # maths
        forward=min,
        partials=_minimum_partials,
        symbol="min",  # display
        formulas=("1 if a < b else 0.5 if a == b else 0", "1 if b < a else 0.5 if a == b else 0"),
        domain=APART,  # test domain
        guard="apart",
        code=(  # code
            "minimum(a, b)",
            "1.0 if a < b else 0.5 if a == b else 0.0",
            "1.0 if b < a else 0.5 if a == b else 0.0",
        ),
        js=(  # JavaScript
            "b < a ? b : a",
            "a < b ? 1.0 : a === b ? 0.5 : 0.0",
            "b < a ? 1.0 : a === b ? 0.5 : 0.0",
        ),
    ),
    # leaky_relu(a, k): the slope k for a <= 0 is bound like a constant (x.leaky_relu(0.01));
    # at 0 the slope is k, as torch's
    Op(  # a above 0, else k * a
        name="leaky_relu",
        inputs=("a", "k"),  # maths
        forward=lambda a, k: a if a > 0.0 else k * a,
        partials=lambda a, k, out: (1.0 if a > 0 else k,),
        symbol="LReLU",  # display
        formulas=("1 if a > 0 else k",),
        domain=(Interval(0.01, 5.0, signed=True), Interval(0.0, 1.0)),  # test domain
        guard=("nonzero",),
        constants=(0.01, 0.1, 0.2),
        code=("a if a > 0.0 else k * a", "1.0 if a > 0 else k"),  # code
        js=("a > 0.0 ? a : k * a", "a > 0 ? 1.0 : k"),  # JavaScript
    ),
    Op(  # log(1 + e^a), a smooth ReLU
        name="softplus",
        inputs=("a",),  # maths
        forward=_softplus,
        partials=lambda a, out: (sigmoid(a),),
        symbol="softplus",  # display
        formulas=("sigmoid(a)",),
        domain=(Interval(-20.0, 20.0),),  # test domain
        code=("softplus(a)", "sigmoid(a)"),  # code
        js=("softplus(a)", "sigmoid(a)"),  # JavaScript
    ),
    Op(  # log(1 + a), exact near a = 0
        name="log1p",
        inputs=("a",),  # maths
        forward=_log1p,
        partials=lambda a, out: (1 / (1 + a),),
        symbol="log1p",  # display
        formulas=("1 / (1 + a)",),
        domain=(Interval(-0.95, 50.0),),  # test domain
        guard=((-1.0, math.inf),),
        code=("log1p(a)", "1 / (1 + a)"),  # code
        js=("Math.log1p(a)", "1 / (1 + a)"),  # JavaScript
    ),
    Op(  # e^a - 1, exact near a = 0
        name="expm1",
        inputs=("a",),  # maths
        forward=_finite(math.expm1),
        partials=lambda a, out: (out + 1,),
        symbol="expm1",  # display
        formulas=("out + 1",),
        code=("expm1(a)", "out + 1"),  # code
        js=("Math.expm1(a)", "out + 1"),  # JavaScript
    ),
    Op(  # tan a
        name="tan",
        inputs=("a",),  # maths
        forward=math.tan,
        partials=lambda a, out: (1 + out * out,),
        symbol="tan",  # display
        formulas=("1 + out**2",),
        domain=(Interval(-1.4, 1.4),),  # test domain
        guard=((-math.pi / 2, math.pi / 2),),
        code=("tan(a)", "1 + out * out"),  # code
        js=("Math.tan(a)", "1 + out * out"),  # JavaScript
    ),
    Op(  # atan a
        name="atan",
        inputs=("a",),  # maths
        forward=math.atan,
        partials=lambda a, out: (1 / (1 + a * a),),
        symbol="atan",  # display
        formulas=("1 / (1 + a**2)",),
        code=("atan(a)", "1 / (1 + a * a)"),  # code
        js=("Math.atan(a)", "1 / (1 + a * a)"),  # JavaScript
    ),
    Op(  # sinh a
        name="sinh",
        inputs=("a",),  # maths
        forward=_finite(math.sinh),
        partials=lambda a, out: (cosh(a),),
        symbol="sinh",  # display
        formulas=("cosh(a)",),
        code=("sinh(a)", "cosh(a)"),  # code
        js=("Math.sinh(a)", "Math.cosh(a)"),  # JavaScript
    ),
    Op(  # cosh a
        name="cosh",
        inputs=("a",),  # maths
        forward=_finite(math.cosh),
        partials=lambda a, out: (sinh(a),),
        symbol="cosh",  # display
        formulas=("sinh(a)",),
        code=("cosh(a)", "sinh(a)"),  # code
        js=("Math.cosh(a)", "Math.sinh(a)"),  # JavaScript
    ),
    Op(  # log Σ e^x_i, any number of inputs, stable at any size
        name="logsumexp",
        inputs=("x_i",),  # maths
        forward=_logsumexp,
        partials=_logsumexp_partials,
        symbol="logΣexp",  # display
        formulas=("exp(x_i - out)",),
        text=lambda o, k: (f"logsumexp([{', '.join(t for t, _ in o)}])", ATOM),
        formula_at=lambda i, n: f"exp(x_{i + 1} - out)",
        code=(_logsumexp_code, _logsumexp_partial_code),  # code
        js=(_logsumexp_js, _logsumexp_partial_js),  # JavaScript
    ),
]
# fmt: on

RULES = {op.name: op for op in _TABLE}


def functions() -> tuple[str, ...]:
    """The names of the function rows now in the table (exp, log, ...): Value methods, calls in formulas."""
    return tuple(name for name, op in RULES.items() if op.is_function)


FUNCTIONS = functions()  # those of the table as shipped
# The rows the core calls by name (Value's operators, engine.sum, engine.dot, engine.logsumexp).
ADD, MUL, NEG, DIV, POW, SUM, DOT = (RULES[n] for n in ("add", "mul", "neg", "div", "pow", "sum", "dot"))
ADDK, MULK, DIVK, POWK, RSUBK, RDIVK, RPOWK = (
    RULES[n] for n in ("addk", "mulk", "divk", "powk", "rsubk", "rdivk", "rpowk")
)
ABS, LOGSUMEXP = RULES["abs"], RULES["logsumexp"]


def is_name(text: object) -> bool:
    """Whether ``text`` may name a row or an input in code: an identifier, not a keyword, no ``__``."""
    return isinstance(text, str) and text.isidentifier() and not keyword.iskeyword(text) and "__" not in text


# What a row's code text may contain: arithmetic, comparisons, conditionals and calls of the table's
# functions on its input names and number literals; no attributes, subscripts or other names.
_CODE_NODES = (
    ast.Expression, ast.BinOp, ast.UnaryOp, ast.Compare, ast.IfExp, ast.BoolOp, ast.Call, ast.Name,
    ast.Constant, ast.Load, ast.operator, ast.unaryop, ast.cmpop, ast.boolop,
)  # fmt: skip


def check_row(op: "Op") -> None:
    """Refuse a row whose name, inputs or code text could not be written safely into generated code.

    Node makers and ``engine.codegen`` paste a row's name, input names and code text into
    Python source, so each must be a plain identifier (or a plain arithmetic expression
    of them); anything else raises ValueError before any code is built.
    """
    if not is_name(op.name):
        raise ValueError(
            f"a row's name is a plain identifier such as 'softsign' (letters, digits, _; not a keyword, "
            f"no '__'), not {op.name!r}"
        )
    inputs = op.inputs
    if not isinstance(inputs, tuple) or not inputs or not all(is_name(i) for i in inputs) or "out" in inputs:
        raise ValueError(f"{op.name}: inputs are a tuple of identifiers such as ('a', 'b'), not {inputs!r}")
    texts = (op.symbol, *op.formulas)
    if not all(isinstance(t, str) and t.isprintable() for t in texts):
        raise ValueError(f"{op.name}: the symbol and formulas are one-line texts, not {texts!r}")
    allowed = {*inputs, "out", *(i[:-2] for i in inputs), *code_functions(), op.name}
    # engine.codegen writes an n-ary row's partials from its formulas: those are code too
    if not isinstance(op.js, tuple):
        raise ValueError(f"{op.name}: js is a tuple of JavaScript texts (or functions), not {op.js!r}")
    for entry in op.js:
        if isinstance(entry, str):
            check_js(op, entry)
        elif not callable(entry):
            raise ValueError(f"{op.name}: each js entry is a JavaScript text or a function, not {entry!r}")
    for entry in (*op.code, *(op.formulas if op.is_nary else ())):
        if not isinstance(entry, str):
            continue
        try:
            tree = ast.parse(entry, mode="eval")
        except SyntaxError:
            raise ValueError(f"{op.name}: the code text {entry!r} is not a Python expression") from None
        for node in ast.walk(tree):
            if (
                not isinstance(node, _CODE_NODES)
                or isinstance(node, ast.Name)
                and node.id not in allowed
                or isinstance(node, ast.Constant)
                and type(node.value) not in (int, float)
                or isinstance(node, ast.Call)
                and (not isinstance(node.func, ast.Name) or node.keywords)
            ):
                raise ValueError(
                    f"{op.name}: the code text {entry!r} may use only its inputs, out, numbers, arithmetic "
                    "and the rule table's functions"
                )


def domain_error(op: "Op", exc: Exception, inputs: Any, labels: Any = ()) -> Exception:
    """An error of the same kind as ``exc`` that names the op, its inputs and their labels."""
    args = ", ".join(
        f"{lab}={x!r}" if lab else repr(x) for x, lab in zip(inputs, list(labels) + [None] * len(inputs))
    )
    return type(exc)(f"{op.name}({args}): {exc}")


def _checked(op, *xs):
    """Run ``op.forward`` on floats, turning a bare math error into one that names the op."""
    try:
        return op.forward(*xs)
    except (ArithmeticError, ValueError) as exc:
        raise domain_error(op, exc, xs) from None


# Python's abs(x) calls the "abs" row on a Value (Value.__abs__); engine.ops.abs is that row's helper
# too, like the others. It is defined last, so the module above uses the builtin; engine.abs is kept
# out of engine's __all__, so `from engine import *` never hides the builtin.
abs = function("abs")
