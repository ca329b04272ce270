"""Value: one float that records every operation on it.

Each operation makes a new node holding its op (a row of the rule table,
``engine.ops.RULES``) and its parents as a tuple. A node keeps no closure, so a
graph holds no reference cycles and is freed as soon as it is dropped.
``backward()`` hands the graph to :mod:`engine.backward`, where the chain rule
happens.

    >>> x = Value(3.0, label="x")
    >>> y = x * x * x
    >>> y.backward(); x.grad
    27.0
"""

from __future__ import annotations

from collections.abc import Iterable

from . import _copying, modes, ops
from . import backward as _pass
from ._nodes import as_float, maker, nary, number
from .ops import ADD, ADDK, DIV, DIVK, DOT, MUL, MULK, NEG, POW, POWK, RDIVK, RPOWK, RSUBK, SUM, Op

Number = float | int


# The primitive ops' node makers, one per row of the rule table (engine/_nodes.py derives them).
_add, _mul, _div, _pow, _neg = map(maker, (ADD, MUL, DIV, POW, NEG))
_addk, _mulk, _divk, _powk, _rsubk, _rdivk, _rpowk = map(maker, (ADDK, MULK, DIVK, POWK, RSUBK, RDIVK, RPOWK))


class Value:
    """A scalar that remembers how it was computed, so gradients can flow back to it.

    ``data`` is the float, ``grad`` is ∂L/∂(this value) after ``L.backward()``,
    ``label`` is an optional name such as ``"w5"``, and ``scope`` the group that
    made it (an nn neuron, or ``engine.scope``) for drawings.
    """

    # op: the rule (an engine.ops.Op) that made this node, None for a leaf; parents: its
    # inputs, in order (a tuple). Both are set once, when the node is made.
    __slots__ = ("data", "grad", "label", "scope", "op", "parents", "__weakref__")

    def __init__(self, data: Number, label: str | None = None):
        self.data = as_float(data)
        self.grad = 0.0
        if label is not None and not isinstance(label, str):
            raise TypeError(f"a label is a str such as 'w5' (or None), not {type(label).__name__} {label!r}")
        self.label = label
        self.scope = modes.current.get().scope
        self.op: Op | None = None
        self.parents: tuple = ()

    def __repr__(self):
        label = f", label={self.label!r}" if self.label is not None else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def __float__(self):
        return self.data

    def __bool__(self):  # truthiness follows the number, as for a float: Value(0.0) is false
        return self.data != 0.0

    # Comparisons look at the numbers and record nothing. == stays identity, so
    # Values can be dict keys and set members: compare a.data == b.data for numbers.
    def __lt__(self, other):
        return self.data < _data(other)

    def __le__(self, other):
        return self.data <= _data(other)

    def __gt__(self, other):
        return self.data > _data(other)

    def __ge__(self, other):
        return self.data >= _data(other)

    __hash__ = object.__hash__

    # Primitive ops: the row of the rule table, applied. A plain number operand
    # is bound into the op (x * 2 is one node, "* 2"), not made a node.
    def __add__(self, other):
        if other.__class__ is Value:
            return _add(self, other)
        return _addk(self, number(other))

    def __mul__(self, other):
        if other.__class__ is Value:
            return _mul(self, other)
        return _mulk(self, number(other))

    def __truediv__(self, other):
        if other.__class__ is Value:
            return _div(self, other)
        return _divk(self, number(other))

    def __neg__(self):
        return _neg(self)

    def __pow__(self, other):
        if other.__class__ is Value:
            return _pow(self, other)
        return _powk(self, number(other))

    # Reflected forms: the number comes first.
    __radd__ = __add__  # k + a is a + k
    __rmul__ = __mul__  # k * a is a * k

    def __rsub__(self, other):  # k - a
        return _rsubk(self, number(other))

    def __rtruediv__(self, other):  # k / a
        return _rdivk(self, number(other))

    def __rpow__(self, other):  # k ** a: the base is a constant, so no gradient flows to it
        return _rpowk(self, number(other))

    # Derived ops are compositions of the primitives.
    def __sub__(self, other):  # a - b is a + (-b)
        return self + (-other)

    # One method per function row of the rule table (x.exp(), x.maximum(y)), added below the class;
    __abs__ = maker(ops.ABS)  # abs(x): Python's call of the "abs" row

    # Copying and pickling walk the graph iteratively (any depth); shared nodes stay shared.
    __copy__, __deepcopy__ = _copying.copy_node, _copying.deepcopy_graph
    __reduce_ex__, __setstate__ = _copying.reduce_graph, _copying.set_parents

    def backward(self, gradient: Number = 1.0) -> None:
        """Fill ``.grad`` of every node below with ∂self/∂node, times ``gradient``.

        As in PyTorch, leaves accumulate across calls (zero them between steps)
        while interior nodes hold the gradients of this call only. A backward
        pass is all or nothing: if it raises, every ``.grad`` is as it was.
        """
        _pass.run(self, gradient)

    # micrograd's names, so Karpathy's lecture runs unchanged (its draw_dot, its hand-stepped _backward()).
    @property
    def _prev(self) -> tuple:  # the parents, in order (micrograd keeps a set)
        return self.parents

    @property
    def _op(self) -> str:  # the op as drawings show it: '*', 'tanh', '* 2'; '' for a leaf
        return "" if self.op is None else self.op.label

    def _backward(self) -> None:  # this node's own chain-rule step: each parent.grad += self.grad * local
        _pass.step(self)


def _function_method(op):  # x.exp(): one unary node; x.maximum(y), x.leaky_relu(0.01): engine.maximum(x, y)
    single = op.is_unary
    method = maker(op) if single else ops.function(op.name)
    method.__name__, method.__qualname__ = op.name, f"Value.{op.name}"  # so pickle finds Value.exp
    method.__module__ = __name__  # engine.value, also for a method made by engine.ops.function
    method.__doc__ = f"{op.name}(self): the rule table's {op.name!r} row; ∂out/∂a = {op.formulas[0]}."
    return method


def register(op: Op) -> Op:
    """Add ``op`` as a row of the rule table (``engine.RULES``); a function row becomes a Value method.

    The rows of ``engine/ops.py`` are registered on import; this is for a row of your own.
    """
    if not isinstance(op, Op) or op.constant is not None:
        raise TypeError(f"register() takes an unbound engine.Op, not {op!r}")
    ops.check_row(op)  # before any code is built: nothing is changed if it raises
    if op.name in ops.RULES and ops.RULES[op.name] is not op:
        raise ValueError(f"engine.RULES already has a row named {op.name!r}")
    method = _function_method(op) if op.is_function else None
    if method is not None and getattr(Value, op.name, None) is not None and op.name not in ops.RULES:
        raise ValueError(f"{op.name!r} is already a Value attribute (x.{op.name}); give the row another name")
    ops.RULES[op.name] = op
    if method is not None:
        setattr(Value, op.name, method)
    return op


for _op in list(ops.RULES.values()):
    register(_op)


def _data(x):
    return x.data if isinstance(x, Value) else x


def apply(op: Op, *inputs: Value | Number) -> Value:
    """Record one node of ``op`` (a rule, possibly bound to a constant) on ``inputs``.

    >>> apply(ops.RULES["mul"], Value(2.0), 3.0).data
    6.0
    """
    if not isinstance(op, Op):
        raise TypeError(f"apply() takes an engine.Op (a row of engine.RULES), not {type(op).__name__}")
    parents = tuple(x if isinstance(x, Value) else Value(x) for x in inputs)
    if op.arity is not None and len(parents) != op.arity:
        raise TypeError(f"{op.name} takes {op.arity} input(s), got {len(parents)}")
    return nary(op, parents)


# An op of the table is called on Values to record a node: RULES["mul"](a, b). The
# table cannot import Value (it comes first), so the call is attached here.
Op.__call__ = apply  # type: ignore[method-assign, assignment]


def sum(values: Iterable[Value | Number]) -> Value:
    """One node for the sum of many values: ∂(Σx_i)/∂x_i = 1.

    >>> sum([Value(1.0), 2, Value(3.0)]).data
    6.0
    """
    parents = tuple(v if isinstance(v, Value) else Value(v) for v in values)
    if not parents:
        return Value(0.0)
    return nary(SUM, parents)


def dot(
    weights: Iterable[Value | Number], inputs: Iterable[Value | Number], bias: Value | Number | None = None
) -> Value:
    """One node for z = w·x + b, with ∂z/∂w_i = x_i, ∂z/∂x_i = w_i and ∂z/∂b = 1.

    >>> dot([Value(2.0), Value(3.0)], [1.0, 4.0], bias=Value(0.5)).data
    14.5
    """
    weights, inputs = tuple(weights), tuple(inputs)
    if len(inputs) != len(weights):
        raise ValueError(
            f"dot: {len(weights)} weights but {len(inputs)} inputs; they must have the same length"
        )
    parents = weights + inputs if bias is None else (*weights, *inputs, bias)
    for p in parents:
        if p.__class__ is not Value:  # numbers among the inputs: make them leaves
            parents = tuple(x if isinstance(x, Value) else Value(x) for x in parents)
            break
    return nary(DOT, parents)


__all__ = ["Value", "apply", "sum", "dot", "register"]
