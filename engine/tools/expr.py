"""Formula text and graphs, both ways: a safe parser, and the printer.

:func:`build` reads a small formula such as ``tanh(x*w + b)`` into a Value graph. The
text is parsed with :mod:`ast` and only a whitelist of node kinds is walked: number
literals, names, ``+ - * / **``, unary ``-`` and calls of the function rows of the rule
table (exp log sqrt tanh sigmoid relu sin cos ..., maximum(a, b), leaky_relu(a, k)), each
with its row's inputs (a bound constant k as a number). Nothing is ever passed to
``eval``, ``exec`` or ``compile``; anything else is refused with an
:class:`ExpressionError` that names what is not allowed.

    >>> f, leaves = build("x*w + b", {"x": 0.5, "w": -1, "b": 0.2})
    >>> round(f.data, 6), sorted(leaves)
    (-0.3, ['b', 'w', 'x'])
"""

import ast
import keyword
import math
import operator
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from .. import ops, walks
from ..modes import detect_anomaly
from ..numbers import real
from ..value import Value

FUNCTIONS = ops.FUNCTIONS  # the functions a formula may call: the function rows of the rule table
MAX_LENGTH = 10_000  # characters
MAX_DEPTH = 200  # levels of operators and calls (a chain a + b + c + ... is one level per operator)

_BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
_SYMBOL = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}
_VALUE_OPS = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv,
              "pow": operator.pow}  # fmt: skip

# What the refused node kinds are called in error messages.
_KIND = {
    ast.Attribute: "attribute access is",
    ast.Subscript: "subscripts are",
    ast.Slice: "slices are",
    ast.Lambda: "lambda is",
    ast.ListComp: "comprehensions are",
    ast.SetComp: "comprehensions are",
    ast.DictComp: "comprehensions are",
    ast.GeneratorExp: "generator expressions are",
    ast.Compare: "comparisons are",
    ast.BoolOp: "and/or are",
    ast.IfExp: "if/else expressions are",
    ast.List: "lists are",
    ast.Tuple: "tuples are",
    ast.Set: "sets are",
    ast.Dict: "dicts are",
    ast.JoinedStr: "f-strings are",
    ast.NamedExpr: "assignment (:=) is",
    ast.Starred: "starred arguments are",
    ast.Await: "await is",
    ast.Yield: "yield is",
    ast.YieldFrom: "yield is",
}


def _lists() -> dict:
    """The rows taking any number of inputs (sum, dot, logsumexp): called with lists, as the printer
    writes them; an input named ``x_i`` is a list ``[...]``, any other a value that may be left out
    at the end (``dot([w1, w2], [x1, x2])`` has no bias)."""
    return {name: op for name, op in ops.RULES.items() if op.arity is None}


def _signature(op):
    return f"{op.name}({', '.join(f'[{i[:-2]}1, ...]' if i[:-2] in op.lists else i for i in op.inputs)})"


def _allowed():
    calls = [f"{f}(...)" for f in ops.functions()] + [_signature(op) for op in _lists().values()]
    return "allowed: numbers, names, + - * / **, unary -, and " + ", ".join(calls)


_TOO_DEEP = (
    f"the expression is nested too deeply: at most {MAX_DEPTH} levels of operators and calls "
    "(a chain a + b + c + ... counts one level per operator; use fewer terms)"
)


class ExpressionError(ValueError):
    """The formula text is not one that :func:`build` accepts; the message says why."""


def parse(text: str) -> ast.Expression:
    """Parse ``text`` and check every node against the whitelist; return the ``ast.Expression``.

    The tree is only ever walked by :func:`build`, never compiled or run.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"the expression must be a string, not {type(text).__name__}")
    if not text.strip():
        raise ExpressionError("the expression is empty; write a formula such as 'tanh(x*w + b)'")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is {len(text)} characters long; at most {MAX_LENGTH} allowed")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        where = f" at column {exc.offset}" if exc.offset else ""
        raise ExpressionError(f"cannot parse {_short(text)}{where}: {exc.msg}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError(_TOO_DEEP) from None
    _check(tree.body, text.strip(), 0)
    return tree


def names(text: str) -> list[str]:
    """The variable names used in ``text``, in order of first appearance (function names excluded).

    >>> names("tanh(x*w + b) * x")
    ['x', 'w', 'b']
    """
    return _names(parse(text))


def _names(tree):
    seen: dict[str, tuple[int, int]] = {}  # name -> where it first appears
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in ops.functions() and node.id not in _lists():
            where = (node.lineno, node.col_offset)
            seen[node.id] = min(where, seen.get(node.id, where))
    return sorted(seen, key=lambda name: seen[name])


def build(text: str, values: Mapping[str, Any]) -> tuple[Value, dict[str, Value]]:
    """Build the Value graph of ``text``; ``values`` maps each name to a number (or a Value).

    Returns ``(result, leaves)``: the result (a Value, or a Value leaf if the text
    has no variables) and a dict name -> leaf Value labelled with that name. Every
    use of a name is the same leaf, so gradients add up over its uses.
    """
    tree = parse(text)
    needed = _names(tree)
    values = _folded(values)
    missing = [n for n in needed if n not in values]
    if missing:
        raise ExpressionError(
            f"no value for {', '.join(map(repr, missing))}: give every name a number (e.g. {missing[0]}=0.5)"
        )
    leaves = {}
    for name in needed:
        v = values[name]
        if isinstance(v, Value):
            leaves[name] = v
        else:
            try:
                leaves[name] = Value(real(v, f"the value of {name!r}"), label=name)
            except (TypeError, ValueError) as exc:  # the number rule's words (engine.numbers)
                raise ExpressionError(str(exc)) from None
    try:
        with detect_anomaly():  # a result that overflows to inf is an error here, not a silent inf
            result = _build(tree.body, leaves)
    except (ArithmeticError, ValueError) as exc:
        raise ExpressionError(f"cannot evaluate {_short(text)}: {exc}") from None
    if not isinstance(result, Value):
        result = Value(result)
    return result, leaves


def _folded(values: Any) -> dict:
    """``values`` keyed as Python reads names: NFKC-folded (``ｘ`` is ``x``), as ``ast`` folds the text."""
    if not isinstance(values, Mapping):
        raise ExpressionError(
            f"values maps each name to a number, e.g. {{'x': 0.5}}; got {type(values).__name__}"
        )
    out: dict = {}
    given: dict = {}
    for key, v in values.items():
        name = unicodedata.normalize("NFKC", key) if isinstance(key, str) else key
        if name in out and out[name] is not v:
            raise ExpressionError(
                f"the names {given[name]!r} and {key!r} are the same name to Python ({name!r}); "
                "give one value"
            )
        out[name], given[name] = v, key
    return out


def _fits_float(x):
    try:
        return math.isfinite(float(x))
    except OverflowError:
        return False


def _short(text, limit=80):
    text = text.strip()
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _where(node, text):
    segment = ast.get_source_segment(text, node)
    if segment and len(segment) > 60:
        segment = segment[:57] + "..."
    col = node.col_offset if hasattr(node, "col_offset") else None
    at = f" at column {col + 1}" if col is not None else ""
    return f"{segment!r}{at}" if segment else at.strip()


def _refuse(node, text, what):
    raise ExpressionError(f"{what} not allowed: {_where(node, text)}; {_allowed()}")


def _check(node, text, depth):
    """Raise ExpressionError at the first node that is not on the whitelist."""
    if depth > MAX_DEPTH:
        raise ExpressionError(_TOO_DEEP)
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            kinds = {str: "strings are", bytes: "bytes are", complex: "complex numbers are"}
            _refuse(node, text, kinds.get(type(value), f"the constant {value!r} is"))
        if not _fits_float(value):
            raise ExpressionError(f"the number {_where(node, text)} is too large for a float")
        return
    if isinstance(node, ast.Name):
        if node.id in ops.functions():
            raise ExpressionError(f"{node.id} is a function: call it, as in {node.id}(x)")
        if node.id in _lists():
            raise ExpressionError(f"{node.id} is a function: call it, as in {_signature(ops.RULES[node.id])}")
        return
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY:
            _refuse(node, text, f"the operator {_op_text(node.op)} is")
        _check(node.left, text, depth + 1)
        _check(node.right, text, depth + 1)
        return
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub):
            _refuse(node, text, f"the unary operator {_op_text(node.op)} is")
        _check(node.operand, text, depth + 1)
        return
    if isinstance(node, ast.Call):
        lists = _lists()
        if not isinstance(node.func, ast.Name) or node.func.id not in (*ops.functions(), *lists):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else ast.get_source_segment(text, func)
            raise ExpressionError(
                f"calling {called} is not allowed: {_where(node, text)}; only "
                f"{', '.join((*ops.functions(), *lists))} can be called"
            )
        if node.keywords:
            _refuse(node, text, "keyword arguments are")
        if node.func.id in lists:
            _check_list_call(node, lists[node.func.id], text, depth)
            return
        inputs = ops.RULES[node.func.id].inputs  # a call takes its row's inputs: exp(a), maximum(a, b)
        if len(node.args) != len(inputs):
            name = node.func.id
            count = (
                "exactly one argument"
                if len(inputs) == 1
                else f"{len(inputs)} arguments, {name}({', '.join(inputs)})"
            )
            raise ExpressionError(f"{name} takes {count}, got {len(node.args)}: {_where(node, text)}")
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                _refuse(arg, text, "starred arguments are")
            _check(arg, text, depth + 1)
        return
    _refuse(node, text, _KIND.get(type(node), f"{type(node).__name__} is"))


def _check_list_call(node, op, text, depth):
    """``sum([a, b])``, ``dot([w1, w2], [x1, x2], b)``: a list for each x_i input, of equal lengths."""
    lists = op.lists
    if not len(lists) <= len(node.args) <= len(op.inputs):
        raise ExpressionError(
            f"{op.name} is written {_signature(op)}, not with {len(node.args)} argument(s): "
            + _where(node, text)
        )
    sizes = set()
    for arg, name in zip(node.args, op.inputs):
        if name[:-2] in op.lists:
            if not isinstance(arg, ast.List) or not arg.elts:
                raise ExpressionError(
                    f"{op.name} takes a list of one or more values for {name}, as in {_signature(op)}: "
                    f"{_where(arg, text)}"
                )
            sizes.add(len(arg.elts))
            for item in arg.elts:
                if isinstance(item, ast.Starred):
                    _refuse(item, text, "starred arguments are")
                _check(item, text, depth + 1)
        else:
            _check(arg, text, depth + 1)
    if len(sizes) > 1:
        raise ExpressionError(f"the lists of {op.name} must have the same length: {_where(node, text)}")


def _op_text(op):
    return {
        ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.BitAnd: "&", ast.BitOr: "|",
        ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>", ast.UAdd: "unary +", ast.Not: "not",
        ast.Invert: "~",
    }.get(type(op), type(op).__name__)  # fmt: skip


def _build(node, leaves):
    """Walk a checked tree; number-only subtrees stay floats (they become bound constants)."""
    if isinstance(node, ast.Constant):
        assert isinstance(node.value, (int, float))  # a finite real number: checked by _check
        return float(node.value)
    if isinstance(node, ast.Name):
        return leaves[node.id]
    if isinstance(node, ast.UnaryOp):  # only unary minus passes the check
        return -_build(node.operand, leaves)
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)  # _check lets only calls of named functions through
        name = node.func.id
        if name in _lists():  # a row of any number of inputs: its lists, flattened
            op = ops.RULES[name]
            items = [x for a in node.args for x in (a.elts if isinstance(a, ast.List) else [a])]
            flat = [_build(x, leaves) for x in items]
            if not any(isinstance(x, Value) for x in flat):
                try:
                    return op.forward(*flat)
                except (ArithmeticError, ValueError) as exc:
                    raise ops.domain_error(op, exc, flat) from None
            return op(*flat)  # a plain number among Values becomes a leaf, as in engine.apply
        args = [_build(arg, leaves) for arg in node.args]
        if ops.RULES[name].takes_constant and isinstance(args[-1], Value):  # leaky_relu(x, 0.01)
            raise ExpressionError(f"the last argument of {name} (k) must be a number, not one with names")
        return ops.function(name)(*args)
    a, b = _build(node.left, leaves), _build(node.right, leaves)
    name = _BINARY[type(node.op)]
    if isinstance(a, Value) or isinstance(b, Value):
        return _VALUE_OPS[name](a, b)  # a number operand is bound into the op (x * 2 is "* 2")
    return _constant(name, a, b)


def _constant(name, a, b):
    """Arithmetic on two plain numbers with the engine's rules (no complex results, clear errors)."""
    if name == "sub":
        result = a - b
    else:
        op = ops.RULES[name]
        try:
            result = op.forward(a, b)
        except (ArithmeticError, ValueError) as exc:
            raise ops.domain_error(op, exc, (a, b)) from None
    if not math.isfinite(result):
        raise ExpressionError(f"{a!r} {_SYMBOL[name]} {b!r} is too large for a float")
    return result


# ---------------------------------------------------------------------------
# The printer: a graph as the Python text that rebuilds it


def leaf_names(root: Value) -> dict:
    """The name :func:`expression_text` gives each leaf below ``root``: {leaf: name}.

    A leaf keeps its label when the label is a plain name Python reads as itself (an
    identifier, NFKC-normal, not a keyword nor a function of the formulas). A second leaf
    with the same label is ``label_2`` (then ``_3``, ...); a leaf without a label, or whose
    label is not such a name, is ``x<i>`` (i counts the leaves in reading order). No
    generated name is one that a label keeps.

    >>> a, b = Value(1.0, label="x"), Value(2.0, label="x")
    >>> sorted(leaf_names(a * b).values())
    ['x', 'x_2']
    """
    leaves = walks.leaves(root)  # in reading order: the first x keeps its name
    kept = [n.label if _plain_name(n.label) else None for n in leaves]
    taken = set(filter(None, kept))
    out: dict = {}
    used: set = set()
    for i, (leaf, label) in enumerate(zip(leaves, kept)):
        name = label
        if label is None or label in used:
            base, k = (f"x{i}", 1) if label is None else (label, 2)
            name = base if label is None else f"{base}_{k}"
            while name in used or name in taken:
                k += 1
                name = f"{base}_{k}"
        used.add(name)
        out[leaf] = name
    return out


def _plain_name(label: Any) -> bool:
    return (
        isinstance(label, str)
        and label.isidentifier()
        and not keyword.iskeyword(label)
        and unicodedata.normalize("NFKC", label) == label
        and label not in ops.functions()
        and label not in _lists()
    )


def expression_text(root: Value) -> str:
    """The graph below ``root`` as Python text that rebuilds it with engine's functions.

    Leaves appear by name (:func:`leaf_names`: the label when it is a plain name, ``x_2``
    for a second leaf labelled x, ``x<i>`` otherwise, with a comment at the end saying
    which label each name stands for when the label is not a plain name), constants bound
    into an op as numbers, and an interior node used more than once is named once
    (``t0 = ...; ...``, a name no leaf has), so shared nodes (diamonds) show. Each op is
    written as its row of the rule table says (``Op.format``).

    >>> x = Value(2.0, label="x")
    >>> t = x * 3
    >>> expression_text((t + t).log() - 1.5)
    't0 = x * 3; log(t0 + t0) - 1.5'
    >>> expression_text(Value(1.0, label="a b") * x)
    "x0 * x  # x0 is the leaf labelled 'a b'"
    """
    order = walks.topological_order(root)
    uses = walks.uses(root)
    names = leaf_names(root)
    taken = set(names.values())
    let_number = 0
    # Each node's text is first a template in which every operand stands as a mark \x00k\x00 for
    # the k-th node's text; the marks are filled in once at the end, so a deep chain costs
    # linear time (pasting whole operand texts into each node would copy them again and again).
    templates: list[str] = []
    operand: dict = {}  # node -> (its mark, or its name t_i if shared or a leaf's name; precedence)
    lets: list[tuple[str, int]] = []  # (t_i, the template its line defines)
    for node in reversed(order):
        if not node.parents:
            operand[node] = (names[node], ops.ATOM)
            continue
        text, precedence = node.op.format([operand[p] for p in node.parents], node.op.constant)
        templates.append(text)
        if uses.get(node, 0) > 1:
            while f"t{let_number}" in taken:
                let_number += 1
            name = f"t{let_number}"
            let_number += 1
            lets.append((name, len(templates) - 1))
            operand[node] = (name, ops.ATOM)
        else:
            operand[node] = (f"\x00{len(templates) - 1}\x00", precedence)
    top = operand[root][0]
    lines = [f"{name} = {_fill(templates[k], templates)}" for name, k in lets]
    text = "; ".join(lines + [_fill(top, templates)])
    renamed = [
        (name, leaf.label) for leaf, name in names.items() if leaf.label and not _plain_name(leaf.label)
    ]
    if renamed:  # repr writes any label on one line, escaped: a comment it cannot end
        text += "  # " + ", ".join(f"{name} is the leaf labelled {label!r}" for name, label in renamed)
    return text


_MARK = re.compile("\x00(\\d+)\x00")


def _fill(text: str, templates: list[str]) -> str:
    """``text`` with every mark replaced by its template, itself filled in (iteratively)."""
    out: list[str] = []
    stack: list[tuple[bool, str]] = [(True, text)]  # (a template to fill?, text)
    while stack:
        fill, piece = stack.pop()
        if not fill:
            out.append(piece)
            continue
        parts = _MARK.split(piece)  # text, k, text, k, ..., text
        for j in reversed(range(len(parts))):
            stack.append((True, templates[int(parts[j])]) if j % 2 else (False, parts[j]))
    return "".join(out)


__all__ = ["ExpressionError", "FUNCTIONS", "build", "names", "parse", "expression_text", "leaf_names"]
