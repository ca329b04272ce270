"""Value: one float that records every operation on it, and the backward pass.

Each operation makes a new node holding its op (a row of ``engine.ops.RULES``)
and its parents as a tuple. A node keeps no closure, so a graph holds no
reference cycles and is freed as soon as it is dropped. ``backward()`` walks
the graph in reverse topological order and applies the chain rule once per
edge, in :func:`backprop`; stepping and tracing reuse that same loop.

    >>> x = Value(3.0, label="x")
    >>> y = x * x * x
    >>> y.backward(); x.grad
    27.0
"""

import builtins
import decimal
import math
import numbers
import operator
from contextlib import contextmanager

from . import ops
from .ops import ADD, ADDK, DIV, DIVK, DOT, MUL, MULK, NEG, POW, POWK, RELU, SIGMOID, SUM, TANH, Op

_new = object.__new__
_addk, _mulk = ADDK.bound, MULK.bound  # bound-op caches, read directly on the hot path
_isfinite = math.isfinite

# Switches flipped by the context managers below (one interpreter-wide state).
_recording = True  # False inside no_grad(): ops make leaves, no graph
_checking = False  # True inside detect_anomaly(): every result must be finite
_scope = None  # set by scope(): a group name stored on every new node


class Value:
    """A scalar that remembers how it was computed, so gradients can flow back to it.

    ``data`` is the float, ``grad`` is ∂L/∂(this value) after ``L.backward()``,
    ``label`` is an optional name such as ``"w5"``, and ``scope`` the group that
    made it (an nn neuron, or ``engine.scope``) for drawings.
    """

    __slots__ = ("data", "grad", "label", "scope", "_op", "_parents", "__weakref__")

    def __init__(self, data, label=None):
        if data.__class__ is not float:
            data = _to_float(data)
        elif data - data != 0.0:  # NaN or ±inf
            raise ValueError(f"Value({data}): only finite numbers can be held; got {data}")
        self.data = data
        self.grad = 0.0
        self.label = label
        self.scope = _scope
        self._op = None
        self._parents = ()

    @property
    def op(self):
        """The rule (an ``engine.ops.Op``) that made this node, or None for a leaf."""
        return self._op

    @property
    def parents(self):
        """The inputs of the op that made this node, in order (a tuple)."""
        return self._parents

    def __repr__(self):
        label = f", label={self.label!r}" if self.label is not None else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def __float__(self):
        return self.data

    # Comparisons look at the numbers and record nothing; == stays identity, so
    # Values can be dict keys and set members.
    def __lt__(self, other):
        return self.data < _data(other)

    def __le__(self, other):
        return self.data <= _data(other)

    def __gt__(self, other):
        return self.data > _data(other)

    def __ge__(self, other):
        return self.data >= _data(other)

    __hash__ = object.__hash__

    # Primitive ops: a forward value, the rule, the parents. A plain number
    # operand is bound into the op (x * 2 is one node, "* 2"), not made a node.
    def __add__(self, other):
        if other.__class__ is Value:
            return _result(self.data + other.data, ADD, (self, other))
        k = _number(other)
        return _result(self.data + k, _addk.get(k) or ADDK.bind(k), (self,))

    def __mul__(self, other):
        if other.__class__ is Value:
            return _result(self.data * other.data, MUL, (self, other))
        k = _number(other)
        return _result(self.data * k, _mulk.get(k) or MULK.bind(k), (self,))

    def __truediv__(self, other):
        denominator = other.data if other.__class__ is Value else _number(other)
        if denominator == 0.0:
            raise ZeroDivisionError(
                f"division by zero: {_name(self)} / {_name(other)}, which is 0.0; "
                "guard the denominator (add a small epsilon) or check it before dividing"
            )
        if other.__class__ is Value:
            return _result(self.data / denominator, DIV, (self, other))
        return _result(self.data / denominator, DIVK.bind(denominator), (self,))

    def __neg__(self):
        return _result(-self.data, NEG, (self,))

    def __pow__(self, other):
        if other.__class__ is Value:
            return _apply(POW, self, other)
        return _apply(POWK.bind(_number(other)), self)

    # Derived ops are compositions of the primitives.
    __radd__ = __add__  # k + a is a + k
    __rmul__ = __mul__  # k * a is a * k

    def __sub__(self, other):  # a - b is a + (-b)
        return self + (-other)

    def __rsub__(self, other):  # k - a is (-a) + k
        return (-self) + other

    def __rtruediv__(self, other):  # k / a is k * a**-1
        if self.data == 0.0:
            raise ZeroDivisionError(
                f"division by zero: {other!r} / {_name(self)}, which is 0.0; "
                "guard the denominator (add a small epsilon) or check it before dividing"
            )
        return self**-1 * other

    def __rpow__(self, other):  # k ** a, with k made a leaf so that a**b's rule applies
        return Value(other) ** self

    def exp(self):
        return _apply(ops.EXP, self)

    def log(self):
        return _apply(ops.LOG, self)

    def sqrt(self):
        return _apply(ops.SQRT, self)

    def tanh(self):
        return _result(math.tanh(self.data), TANH, (self,))

    def sigmoid(self):
        return _result(ops._sigmoid(self.data), SIGMOID, (self,))

    def relu(self):
        d = self.data
        return _result(d if d > 0.0 else 0.0, RELU, (self,))

    def sin(self):
        return _result(math.sin(self.data), ops.SIN, (self,))

    def cos(self):
        return _result(math.cos(self.data), ops.COS, (self,))

    def backward(self, gradient=1.0):
        """Fill ``.grad`` of every node below with ∂self/∂node, times ``gradient``.

        As in PyTorch, leaves accumulate across calls (zero them between steps)
        while interior nodes hold the gradients of this call only.
        """
        for _ in backprop(self, gradient):
            pass


def _to_float(x):
    """Convert a number given to Value() to a finite float, or say clearly why not."""
    if isinstance(x, Value):
        return x.data  # Value(Value(2)) holds 2.0: a new leaf, not a nested Value
    if isinstance(x, (str, bytes)) or not isinstance(x, (numbers.Real, decimal.Decimal)):
        hint = " (parse it first: Value(float(s)))" if isinstance(x, str) else ""
        raise TypeError(f"Value() takes a real number, not {type(x).__name__} {x!r}{hint}")
    try:
        f = float(x)
    except OverflowError:
        raise ValueError(
            f"Value(...): the {type(x).__name__} given is too large for a float (about "
            f"{int(x.bit_length() * 0.30103)} digits; the largest float is about 1.8e308); "
            "rescale your inputs"
        ) from None
    if not _isfinite(f):
        raise ValueError(f"Value({x}): only finite numbers can be held")
    return f


def _number(x):
    """A plain operand as a finite float (the fast path is a float already)."""
    if x.__class__ is float and x - x == 0.0:
        return x
    if x.__class__ is int and -(2**53) <= x <= 2**53:
        return float(x)
    if isinstance(x, Value):
        return x.data
    return _to_float(x)


def _name(v):
    if not isinstance(v, Value):
        return repr(v)
    return repr(v.label) if v.label is not None else f"Value({v.data!r})"


def _data(x):
    return x.data if isinstance(x, Value) else x


def _lift(x):
    return x if x.__class__ is Value else Value(x)


def _result(data, op, parents):
    """Make the node for ``op`` applied to ``parents`` with forward value ``data``."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = None
    out.scope = _scope
    if _recording:
        out._op = op
        out._parents = parents
    else:
        out._op = None
        out._parents = ()
    if _checking and not _isfinite(data):
        raise FloatingPointError(
            f"detect_anomaly: {_describe(op, parents)} gave {data} (not finite); "
            "inspect those inputs or rescale the computation"
        )
    return out


def _apply(op, *parents):
    """A node for an op whose forward function may reject its inputs."""
    try:
        data = op.forward(*[p.data for p in parents])
    except (ArithmeticError, ValueError) as exc:
        raise ops.domain_error(op, exc, [p.data for p in parents], [p.label for p in parents]) from None
    return _result(data, op, parents)


def apply(op, *inputs):
    """Record one node of ``op`` (a rule, possibly bound to a constant) on ``inputs``."""
    return _apply(op, *map(_lift, inputs))


def _describe(op, parents):
    args = ", ".join(f"{p.label}={p.data!r}" if p.label is not None else repr(p.data) for p in parents)
    return f"{op.name}({args})"


def sum(values):
    """One node for the sum of many values: ∂(Σx_i)/∂x_i = 1.

    >>> sum([Value(1.0), 2, Value(3.0)]).data
    6.0
    """
    parents = tuple(map(_lift, values))
    if not parents:
        return Value(0.0)
    return _result(builtins.sum([p.data for p in parents], 0.0), SUM, parents)


def dot(weights, inputs, bias=None):
    """One node for z = w·x + b, with ∂z/∂w_i = x_i, ∂z/∂x_i = w_i and ∂z/∂b = 1.

    >>> dot([Value(2.0), Value(3.0)], [1.0, 4.0], bias=Value(0.5)).data
    14.5
    """
    weights, inputs = tuple(weights), tuple(inputs)
    n = len(weights)
    if len(inputs) != n:
        raise ValueError(f"dot: {n} weights but {len(inputs)} inputs; they must have the same length")
    parents = weights + inputs if bias is None else (*weights, *inputs, bias)
    for p in parents:
        if p.__class__ is not Value:  # numbers among the inputs: make them leaves
            parents = tuple(map(_lift, parents))
            break
    data = [p.data for p in parents]
    # z = b + w_1 x_1 + ... + w_n x_n, in that order (as micrograd's Neuron sums)
    z = builtins.sum(map(operator.mul, data[:n], data[n : 2 * n]), 0.0 if bias is None else data[-1])
    return _result(z, DOT, parents)


# ---------------------------------------------------------------------------
# Backward


def topological_order(root):
    """Every node below ``root``, each before the nodes it was computed from (root first).

    Iterative and deterministic: the interior nodes in reverse post-order, then the leaves.
    """
    interior, leaves = _postorder(root)
    interior.reverse()
    return interior + leaves


_EXIT = object()  # marks, on the stack of _postorder, that a node's inputs are all done


def _postorder(root):
    """Interior nodes below ``root``, each after all of its inputs; and the leaves.

    An iterative depth-first search: a node is placed once every input is placed.
    """
    if not root._parents:
        return [], [root]
    order, leaves, seen = [], [], set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node is _EXIT:
            order.append(stack.pop())
        elif node not in seen:
            seen.add(node)
            stack += (node, _EXIT)
            for parent in node._parents:
                if parent not in seen:
                    if parent._parents:
                        stack.append(parent)
                    else:
                        seen.add(parent)
                        leaves.append(parent)
    return order, leaves


def local_partials(node, as_values=False):
    """∂node/∂parent for each parent of an interior node, from its rule.

    With ``as_values`` the partials are Values built from the graph itself, so
    they can be differentiated again.
    """
    op = node._op
    inputs = node._parents if as_values else [p.data for p in node._parents]
    if op.constant is not None:
        inputs = [*inputs, op.constant]
    try:
        return op.partials(*inputs, node if as_values else node.data)
    except (ArithmeticError, ValueError) as exc:
        raise _backward_error(node, exc) from None


def _backward_error(node, exc):
    where = f"node {node.label!r}" if node.label is not None else "a node"
    return type(exc)(
        f"backward through {where} = {_describe(node._op, node._parents)}: the local "
        f"derivative cannot be computed here ({exc})"
    )


def backprop(root, gradient=1.0, record=False, create_graph=False):
    """The backward pass as a generator: the one loop where the chain rule happens.

    Seeds ``root.grad`` with ``gradient`` and zeroes the interior nodes' grads,
    then takes the nodes in reverse topological order (deterministic), so each
    node's gradient is complete before it is passed on.
    With ``record`` it pauses after every chain-rule step and yields
    ``(node, parent, local)``; a node's steps come together, in parent order.
    Otherwise it yields nothing and runs to the end. Leaves' grads accumulate
    across passes: during a pass a leaf's ``.grad`` holds this pass's sum so
    far, and what it held before is added once the pass ends. With
    ``create_graph`` every product is a Value.
    """
    if not _isfinite(root.data):
        raise FloatingPointError(
            f"backward from a non-finite value ({root.data}); run the forward pass inside "
            "engine.detect_anomaly() to find the op that produced it"
        )
    order, leaves = _postorder(root)
    for node in order:
        node.grad = 0.0  # interior nodes hold this pass's gradients only
    # Leaves sum this pass's terms from zero and add the total to what they held
    # at the end (as PyTorch does), so backward twice doubles a gradient exactly.
    before = [leaf.grad for leaf in leaves]
    for leaf in leaves:
        leaf.grad = 0.0
    root.grad = gradient
    watch = record or _checking
    for node in reversed(order):  # each node after every node that uses it
        parents = node._parents
        try:  # the local derivatives ∂node/∂parent, from the rule table
            op = node._op
            if create_graph:
                locals_ = local_partials(node, as_values=True)
            elif len(parents) == 2:
                locals_ = op.partials(parents[0].data, parents[1].data, node.data)
            elif len(parents) != 1:
                locals_ = op.partials(*[p.data for p in parents], node.data)
            elif op.constant is None:
                locals_ = op.partials(parents[0].data, node.data)
            else:  # an op bound to a number k: its rule takes (a, k, out)
                locals_ = op.partials(parents[0].data, op.constant, node.data)
        except (ArithmeticError, ValueError) as exc:
            raise _backward_error(node, exc) from None
        for parent, local in zip(parents, locals_):
            parent.grad += node.grad * local  # dL/dparent += dL/dnode * dnode/dparent
            if watch:
                if _checking and not _isfinite(_data(parent.grad)):
                    raise FloatingPointError(
                        f"detect_anomaly: backward through {_describe(node._op, parents)} "
                        f"gave the gradient {parent.grad} for {_name(parent)}"
                    )
                if record:
                    yield node, parent, local
    for leaf, held in zip(leaves, before):
        if held:
            leaf.grad = held + leaf.grad
    if not create_graph:
        bad = [v for v in leaves if not _isfinite(v.grad)]
        if bad:
            names = ", ".join(_name(v) for v in bad[:5])
            raise FloatingPointError(
                f"backward left non-finite gradients on {names}; run it inside "
                "engine.detect_anomaly() to find the op that produced them"
            )


def grad(output, inputs, create_graph=False):
    """∂output/∂input for each input, without changing any ``.grad``.

    With ``create_graph=True`` the gradients are Values in a new graph, so they
    can be differentiated again.

    >>> x = Value(2.0)
    >>> (dx,) = grad(x * x * x, [x], create_graph=True)
    >>> dx.data, grad(dx, [x])[0]
    (12.0, 12.0)
    """
    inputs = list(inputs)
    nodes = topological_order(output)
    saved = [n.grad for n in nodes] + [v.grad for v in inputs]
    try:
        for n in nodes:
            n.grad = 0.0
        for v in inputs:
            v.grad = 0.0
        seed = Value(1.0) if create_graph else 1.0
        for _ in backprop(output, seed, create_graph=create_graph):
            pass
        result = [v.grad for v in inputs]
    finally:
        for n, g in zip(nodes + inputs, saved):
            n.grad = g
    if create_graph:
        return [g if isinstance(g, Value) else Value(g) for g in result]
    return result


# ---------------------------------------------------------------------------
# Contexts


@contextmanager
def no_grad():
    """Inside this block operations compute values but record no graph."""
    global _recording
    before, _recording = _recording, False
    try:
        yield
    finally:
        _recording = before


@contextmanager
def detect_anomaly():
    """Inside this block the first op (forward or backward) to give NaN or ±inf raises.

    The error names the op, its inputs and their labels.
    """
    global _checking
    before, _checking = _checking, True
    try:
        yield
    finally:
        _checking = before


@contextmanager
def scope(name):
    """Nodes made inside this block carry ``scope=name`` (drawings group them).

    Scopes nest with "/": ``scope("layer 1")`` then ``scope("H1")`` gives "layer 1/H1".
    """
    global _scope
    before = _scope
    _scope = name if before is None else f"{before}/{name}"
    try:
        yield
    finally:
        _scope = before


__all__ = [
    "Value", "Op", "apply", "sum", "dot", "grad", "backprop", "topological_order", "local_partials",
    "no_grad", "detect_anomaly", "scope",
]  # fmt: skip
