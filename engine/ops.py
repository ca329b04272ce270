"""The rule table: every primitive operation, declared once.

Each row names an op and gives its forward function, its local partial
derivatives ∂out/∂input and the text of each partial. The vocabulary follows
PyTorch's derivatives.yaml: the inputs by name (a, b, ...), and ``out`` for the
op's own result. A partial is written so that the same code runs on floats
(ordinary backward) and on Values (``engine.grad(..., create_graph=True)``),
which is what gives higher derivatives for free.

The rows ending in ``k`` (``addk``, ``mulk``, ``divk``, ``powk``) are the same
ops with the second input a plain number k: ``x * 3`` makes one node bound to
3 (see ``Op.bind``), not a node for the 3. No gradient flows to k. ``sum`` and ``dot``
take any number of inputs; their formulas are written per input kind.

    >>> RULES["sigmoid"].formulas
    ('out * (1 - out)',)
"""

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, eq=False)
class Op:
    """One primitive: how to compute it forward, and its local partials."""

    name: str  # e.g. "mul"
    symbol: str  # shown in drawings and traces, e.g. "*"
    inputs: tuple  # names of the inputs used in the formulas, e.g. ("a", "b")
    forward: Callable  # floats -> float
    partials: Callable  # (*inputs, out) -> tuple of ∂out/∂input
    formulas: tuple  # text of each partial, in the order of ``partials``
    constant: float = None  # set on an op bound to a number: see ``bind``
    bound: dict = field(default_factory=dict, repr=False)  # k -> this op bound to k

    def bind(self, k):
        """This op with its last input fixed to the number ``k`` (``x * 2`` is mul by 2).

        The bound op's node has one parent; no node is made for the constant and
        no gradient flows to it. Its rule is still called as ``partials(a, k, out)``.
        Bound ops are cached, so ``x * 2`` twice shares one.
        """
        op = self.bound.get(k)
        if op is None:
            forward = self.forward
            op = Op(
                self.name, self.symbol, self.inputs, lambda a: forward(a, k), self.partials, self.formulas, k
            )
            if k != 0.0:  # 0.0 and -0.0 compare equal; don't share their ops
                if len(self.bound) >= 1024:
                    self.bound.clear()
                self.bound[k] = op
        return op

    @property
    def arity(self):
        """Number of inputs, or None for ops that take any number (sum, dot)."""
        if self.inputs[0].endswith("_i"):
            return None
        return len(self.inputs) - (self.constant is not None)

    def __call__(self, *inputs):
        """Apply this op to Values (or numbers), recording a node: ``RULES["mul"](a, b)``."""
        from .value import apply

        return apply(self, *inputs)

    def formula(self, index, n_inputs):
        """Text of ∂out/∂input[index] for a node with ``n_inputs`` inputs."""
        if self.name == "dot":  # inputs are w_1..w_n, x_1..x_n[, b]
            n = n_inputs // 2
            i = index % n + 1 if index < 2 * n else None
            return f"x_{i}" if index < n else f"w_{i}" if i else "1"
        if self.arity is None:
            return self.formulas[0]
        return self.formulas[index]

    @property
    def label(self):
        """How drawings and traces show the op: ``*``, or ``* 2`` when bound to 2."""
        if self.constant is None:
            return self.symbol
        return f"{self.symbol} {self.constant:g}"

    def __repr__(self):
        return f"<op {self.name}{'' if self.constant is None else f' k={self.constant!r}'}>"


# Polymorphic helpers: the partials call these, so they work on floats and on
# Values alike (a Value has methods of the same names).
def _is_number(x):
    return isinstance(x, (float, int))


def exp(x):
    """e ** x, for a float or a Value."""
    return _checked(EXP, x) if _is_number(x) else x.exp()


def log(x):
    """Natural logarithm, for a float or a Value."""
    return _checked(LOG, x) if _is_number(x) else x.log()


def sqrt(x):
    """Square root, for a float or a Value."""
    return _checked(SQRT, x) if _is_number(x) else x.sqrt()


def tanh(x):
    """Hyperbolic tangent, for a float or a Value."""
    return math.tanh(x) if _is_number(x) else x.tanh()


def sigmoid(x):
    """Logistic function 1 / (1 + e^-x), for a float or a Value."""
    return _sigmoid(x) if _is_number(x) else x.sigmoid()


def relu(x):
    """max(0, x), for a float or a Value."""
    return _relu(x) if _is_number(x) else x.relu()


def sin(x):
    """Sine, for a float or a Value."""
    return math.sin(x) if _is_number(x) else x.sin()


def cos(x):
    """Cosine, for a float or a Value."""
    return math.cos(x) if _is_number(x) else x.cos()


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
        raise ZeroDivisionError("division by zero")
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


# Partials with edge cases that one expression cannot cover.
def _pow_partials(a, b, out):
    # d/da a**b = b * a**(b-1); at a == b == 0 it is 0 (a**0 is the constant 1).
    da = 0.0 if float(a) == 0.0 and float(b) == 0.0 else b * a ** (b - 1)
    # d/db a**b = out * log(a) needs a > 0. At a == 0 (b > 0) the limit is 0.
    # For a < 0 a**b is real only at integer b, so it has no derivative in b.
    if float(a) > 0.0:
        db = out * log(a)
    elif float(a) == 0.0:
        db = 0.0
    else:
        raise ValueError(
            "d(a ** b)/db is undefined for a < 0 (a ** b is not real for b near an integer); "
            "if the exponent is a constant, pass a plain number: x ** 3, not x ** Value(3)"
        )
    return da, db


def _powk_partials(a, k, out):
    return (0.0 if k == 0 else k * a ** (k - 1),)  # a**0 is constant: slope 0, even at a == 0


def _sum_partials(*args):
    return (1.0,) * (len(args) - 1)


def _dot_partials(*args):
    # args = w_1..w_n, x_1..x_n, [b], out
    n = (len(args) - 1) // 2
    return args[n : 2 * n] + args[:n] + (1.0,) * ((len(args) - 1) % 2)


def _dot(*args):
    n = len(args) // 2
    start = args[-1] if len(args) % 2 else 0.0
    # z = b + w_1 x_1 + ... + w_n x_n, in that order (as micrograd's Neuron sums)
    return sum(map(operator.mul, args[:n], args[n : 2 * n]), start)


# fmt: off
#   name       symbol  inputs         forward        partials ∂out/∂input, for floats and Values              formula text
_TABLE = [
  Op("add",     "+",   ("a", "b"),    operator.add,  lambda a, b, out: (1.0, 1.0),                            ("1", "1")),
  Op("mul",     "*",   ("a", "b"),    operator.mul,  lambda a, b, out: (b, a),                                ("b", "a")),
  Op("div",     "/",   ("a", "b"),    _div,          lambda a, b, out: (1 / b, -out / b),                     ("1 / b", "-a / b**2")),
  Op("neg",     "-",   ("a",),        operator.neg,  lambda a, out: (-1.0,),                                  ("-1",)),
  Op("pow",     "**",  ("a", "b"),    _pow,          _pow_partials,                                           ("b * a**(b - 1)", "out * log(a)")),
  Op("addk",    "+",   ("a", "k"),    operator.add,  lambda a, k, out: (1.0,),                                ("1",)),
  Op("mulk",    "*",   ("a", "k"),    operator.mul,  lambda a, k, out: (k,),                                  ("k",)),
  Op("divk",    "/",   ("a", "k"),    _div,          lambda a, k, out: (1 / k,),                              ("1 / k",)),
  Op("powk",    "**",  ("a", "k"),    _pow,          _powk_partials,                                          ("k * a**(k - 1)",)),
  Op("exp",     "exp", ("a",),        _exp,          lambda a, out: (out,),                                   ("out",)),
  Op("log",     "log", ("a",),        _log,          lambda a, out: (1 / a,),                                 ("1 / a",)),
  Op("sqrt",    "√",   ("a",),        _sqrt,         lambda a, out: (0.5 / out,),                             ("1 / (2 * out)",)),
  Op("tanh",    "tanh", ("a",),       math.tanh,     lambda a, out: (1 - out * out,),                         ("1 - out**2",)),
  Op("sigmoid", "σ",   ("a",),        _sigmoid,      lambda a, out: (out * (1 - out),),                       ("out * (1 - out)",)),
  Op("relu",    "ReLU", ("a",),       _relu,         lambda a, out: (1.0 if a > 0 else 0.0,),                 ("1 if a > 0 else 0",)),
  Op("sin",     "sin", ("a",),        math.sin,      lambda a, out: (cos(a),),                                ("cos(a)",)),
  Op("cos",     "cos", ("a",),        math.cos,      lambda a, out: (-sin(a),),                               ("-sin(a)",)),
  Op("sum",     "Σ",   ("x_i",),      lambda *xs: sum(xs, 0.0), _sum_partials,                               ("1",)),
  Op("dot",     "w·x+b", ("w_i", "x_i", "b"), _dot,  _dot_partials,                                           ("x_i", "w_i", "1")),
]
# fmt: on

RULES = {op.name: op for op in _TABLE}
ADD, MUL, DIV, NEG, POW, ADDK, MULK, DIVK, POWK, EXP, LOG, SQRT, TANH, SIGMOID, RELU, SIN, COS, SUM, DOT = (
    _TABLE
)


def domain_error(op, exc, inputs, labels=()):
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
