"""How a node is made, quickly: numbers checked, the row's forward run, the thread's mode applied.

These are the speed tricks kept out of ``value.py``: no ``__init__`` call per node, no
read of the mode while no thread has set one, bound ops looked up in their row's cache,
and one node maker per row (``maker``, a plain closure). Every forward value comes from
the op's row of the rule table.
"""

import decimal
import math
import numbers
from collections.abc import Callable
from typing import Any

from . import modes
from .numbers import real
from .ops import domain_error

_new = object.__new__
_mode = modes.current.get
_active = modes.active  # [0] while no thread has a mode set: then no need to ask which
_isfinite = math.isfinite


def node(cls, data, op, parents):
    """A new node of class ``cls`` (Value) holding ``data``, made by ``op`` from ``parents``."""
    out = _new(cls)
    out.data = data
    out.grad = 0.0
    out.label = None
    if _active[0]:  # a mode is set in some thread: this thread's scope (nn's neurons), and the rest
        mode = _mode()
        out.scope = mode.scope
        if not mode.recording or mode.checking:
            return finish(out, op, parents, mode)
    else:  # the usual case: record, no checks, no scope
        out.scope = None
    out.op = op
    out.parents = parents
    return out


def finish(out, op, parents, mode):
    """Record ``out``'s op and parents as ``mode`` says (none inside no_grad), and check it if asked."""
    data = out.data
    if mode.recording:
        out.op = op
        out.parents = parents
    else:
        out.op = None
        out.parents = ()
    if mode.checking and not _isfinite(data):
        raise FloatingPointError(
            f"detect_anomaly: {describe(op, parents)} gave {data} (not finite); "
            "inspect those inputs or rescale the computation"
        )
    return out


def maker(row):
    """The function that makes one node of ``row``: ``(a, b)``, ``(a, k)`` for a row bound to k, or ``(a,)``.

    A plain closure over the row: the forward is the row's own function (a math error
    becomes one that names the op), and a bound op is looked up in the row's cache
    (``x * 2`` twice shares one op). (benchmarks/bench_nodes.py measured it against
    generated code: no faster by a clear margin.)
    """
    forward = row.forward
    make: Callable[..., Any]
    if row.takes_constant:
        cache = row.bound

        def make_k(a, k):
            op = cache.get(k) or row.bind(k)
            try:
                data = forward(a.data, k)
            except (ArithmeticError, ValueError) as exc:
                raise _failed(op, exc, (a,)) from None
            return node(a.__class__, data, op, (a,))

        make = make_k
    elif row.arity == 2:

        def make_2(a, b):
            try:
                data = forward(a.data, b.data)
            except (ArithmeticError, ValueError) as exc:
                raise _failed(row, exc, (a, b)) from None
            return node(a.__class__, data, row, (a, b))

        make = make_2
    else:

        def make_1(a):
            try:
                data = forward(a.data)
            except (ArithmeticError, ValueError) as exc:
                raise _failed(row, exc, (a,)) from None
            return node(a.__class__, data, row, (a,))

        make = make_1
    make.__name__ = make.__qualname__ = f"make_{row.name}"
    return make


def nary(op, parents):
    """``op`` applied to a tuple of Values (sum, dot, or any op of the table)."""
    try:
        data = op.forward(*[p.data for p in parents])  # a bound op's forward has k built in
    except (ArithmeticError, ValueError) as exc:
        raise _failed(op, exc, parents) from None
    return node(parents[0].__class__, data, op, parents)


def _failed(op, exc, parents):
    data = [p.data for p in parents] + ([op.constant] if op.constant is not None else [])
    return domain_error(op, exc, data, [p.label for p in parents])


def backward_error(node, exc):
    """The error for a rule that fails in backward: an infinite or too large slope is non-finite."""
    where = f"node {node.label!r}" if node.label is not None else "a node"
    at = f"backward through {where} = {describe(node.op, node.parents)}"
    if isinstance(exc, (ZeroDivisionError, OverflowError)):  # a slope that is infinite or beyond a float
        n = len(node.parents)
        rule = " and ".join(dict.fromkeys(node.op.formula(i, n) for i in range(n)))
        what = "infinite (a domain edge)" if isinstance(exc, ZeroDivisionError) else "too large for a float"
        return FloatingPointError(
            f"{at}: the local derivative {rule} is {what} at these inputs, so the gradient would not "
            "be finite; keep the input away from the edge (e.g. add a small epsilon) or rescale it"
        )
    return type(exc)(f"{at}: the local derivative cannot be computed here ({exc})")


def describe(op, parents):
    """``mul(a=2.0, 3.0)``: an op with its inputs' labels and numbers, for error messages."""
    args = ", ".join(f"{p.label}={p.data!r}" if p.label is not None else repr(p.data) for p in parents)
    if op.constant is not None:
        args += f", {op.constant!r}"
    return f"{op.name}({args})"


def name(v):
    """How an error message names a Value: its label, or its number."""
    if not hasattr(v, "data"):
        return repr(v)
    return repr(v.label) if getattr(v, "label", None) is not None else f"Value({v.data!r})"


def as_float(x):
    """A number given to Value() as a finite float, or the number rule's error (engine.numbers)."""
    if x.__class__ is float and x - x == 0.0:  # the usual case: a finite float already
        return x
    if hasattr(x, "data") and hasattr(x, "parents"):
        return x.data  # Value(Value(2)) holds 2.0: a new leaf, not a nested Value
    return real(x, "Value()")


def number(x):
    """A plain operand (``x * 2``) as a finite float; the fast path is a float already."""
    if x.__class__ is float and x - x == 0.0:
        return x
    if x.__class__ is int and -(2**53) <= x <= 2**53:
        return float(x)
    if (
        isinstance(x, (str, bytes))
        or not isinstance(x, (numbers.Real, decimal.Decimal))
        and not hasattr(x, "data")
    ):
        raise TypeError(
            f"unsupported operand: a Value combines with Values and real numbers, not "
            f"{type(x).__name__} {x!r}"
        )
    return as_float(x)
