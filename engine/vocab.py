"""The shared vocabulary: the names of a graph's nodes, and how numbers and formulas read.

Every record and view (trace tables, explanations, drawings, frames, generated code)
names a node, rounds a number and fills in a derivative's formula through this module,
so one step reads the same everywhere.

    >>> from engine import Value
    >>> from engine.walks import preorder
    >>> x, w = Value(0.5, label="x"), Value(-2.0, label="w")
    >>> y = (x * w).tanh()
    >>> [names(y)[n] for n in preorder(y)]
    ['L', 'n1', 'x', 'w']
"""

import math
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from .ops import ATOM
from .walks import Node, postorder, preorder


def root_name(root: Node) -> str:
    """The loss's name: its label, or L."""
    return printable(root.label) if root.label else "L"


_PICTURES = {c: 0x2400 + c for c in range(32)} | {0x7F: 0x2421}  # U+0000 -> ␀, tab -> ␉, newline -> ␊
_UNSHOWABLE = re.compile(r"[\ud800-\udfff\x80-\x9f\u2028\u2029]")  # lone surrogates, C1 controls, breaks


def printable(text: str) -> str:
    """A label as every view can show it on one line: control characters as their pictures
    (``"a\\tb"`` -> ``"a␉b"``), lone surrogates and other unshowable characters as �."""
    return _UNSHOWABLE.sub("\ufffd", text.translate(_PICTURES))


def names(root: Node) -> dict:
    """A display name for every node below ``root``: its label, or n1, n2, ... as its formula reads.

    The root without a label is L; a label used by several nodes gets #2, #3, ... after the first.
    Labels are shown :func:`printable` (a control character as its picture, ␀).
    """
    out: dict = {}
    used: Counter = Counter()
    k = 0
    for node in preorder(root):
        if node is root:
            out[node] = root_name(node)
            used[out[node]] += 1
        elif node.label:  # an empty label names nothing: the node is named like an unlabelled one
            label = printable(node.label)
            used[label] += 1
            out[node] = label if used[label] == 1 else f"{label}#{used[label]}"
        else:
            k += 1
            out[node] = f"n{k}"
    return out


def describe(v: Any) -> str:
    """A Value in a sentence: its label, or Value(its number)."""
    if not hasattr(v, "parents"):
        return repr(v)
    return printable(v.label) if v.label else f"Value({v.data!r})"


# ---------------------------------------------------------------------------
# Numbers and formulas

DIGITS = 5  # decimals shown for numbers near 1, as the documents round them


def fmt(x: float, digits: int = DIGITS) -> str:
    """A number as the documents round it: ``digits`` decimals, or ``digits`` significant digits
    below 0.01, in fixed notation down to 1e-6 (as JavaScript's toPrecision writes them), so a
    table's column reads alike; only beyond that, or from 1e6 up, with an exponent.

    >>> fmt(0.5384), fmt(0.00472), fmt(-2.99271e-05), fmt(27), fmt(-0.0), fmt(3e-9)
    ('0.53840', '0.0047200', '-0.000029927', '27.00000', '0.00000', '3.0000e-09')
    """
    x = float(x) + 0.0  # + 0.0 turns -0.0 into 0.0
    if x == 0.0 or 0.01 <= abs(x) < 1e6:
        return f"{x:.{digits}f}"
    rounded = float(f"{x:.{max(digits - 1, 0)}e}")  # to `digits` significant digits first
    if 1e-6 <= abs(rounded) < 0.01:
        return f"{rounded:.{max(digits - 1, 0) - math.floor(math.log10(abs(rounded)))}f}"
    return f"{x:#.{digits}g}"


_INPUT = re.compile(r"\b(out|a|b|k|[wx]_\d+)\b")


def formula(node: Node, index: int, names: dict, digits: int = DIGITS) -> str:
    """The rule table's text of ∂node/∂parent[index], each input named as the graph names it.

    ``out`` becomes the node's name, ``a``, ``b`` (or ``w_i``, ``x_i`` of a dot) its
    parents' names and a bound constant ``k`` its value: dot's ``x_1`` for w5 reads
    ``outH1``, powk's ``k * a**(k - 1)`` for x**2 reads ``2 * x**(2 - 1)``.
    """
    op, parents = node.op, node.parents
    at: dict[str, int] = {}  # an input's name -> its parent's index; x_i of a group is found by i
    groups: dict[str, int] = {}  # n-ary: a group such as w_1..w_n -> where it starts among the parents
    n = 0
    if op.arity is None:  # n-ary: groups such as w_1..w_n, x_1..x_n, then any fixed inputs (b)
        names_ = list(op.lists)
        n = len(parents) // len(names_)  # fixed inputs are optional and fewer than the groups
        groups = {prefix: g * n for g, prefix in enumerate(names_)}
        fixed = op.inputs[len(names_) :]
        at = {name: len(names_) * n + j for j, name in enumerate(fixed) if len(names_) * n + j < len(parents)}
    else:
        at = {name: j for j, name in enumerate(op.inputs[: len(parents)])}

    def shown(m):  # each name looked up as it is met: linear in the formula, not in the node's inputs
        token = m.group(1)
        if token == "out":
            return names[node]
        if token == "k" and op.constant is not None:
            k = op.constant
            return f"{k:g}" if k >= 0 else f"({k:g})"
        if token in at:
            return names[parents[at[token]]]
        prefix, _, i = token.partition("_")
        if i and prefix in groups and 1 <= int(i) <= n:
            return names[parents[groups[prefix] + int(i) - 1]]
        return token

    return simplify(_INPUT.sub(shown, op.formula(index, len(parents))))


_NUM = r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?"
_OPERAND = rf"(?:\(({_NUM})\)|({_NUM}))"  # a number, perhaps in parentheses: 2, (-0.5)
_ARITH = re.compile(rf"\({_OPERAND} ([-+*/]) {_OPERAND}\)")  # (2 - 1): numbers only, in parentheses
_PAREN_NUM = re.compile(r"(?<![\w)^])\((\d+(?:\.\d+)?)\)")  # (2) -> 2 (not a call's argument, not w^(2))
_POW1 = re.compile(r"\*\*1(?![\d.])")
_NEG_NEG = re.compile(r"-\(-(\d+(?:\.\d+)?)\)")


def simplify(text: str) -> str:
    """A formula with its bound constants folded: ``2 * x**(2 - 1)`` reads ``2 * x``.

    Only arithmetic on written numbers is done (``(2 - 1)`` -> ``1``, ``x**1`` -> ``x``,
    ``-(-2)`` -> ``2``); names and the formula's shape are left as the rule table wrote them.

    >>> simplify("2 * x**(2 - 1)"), simplify("3 * x**(3 - 1)"), simplify("-(-2) / a**2")
    ('2 * x', '3 * x**2', '2 / a**2')
    >>> simplify("(-0.5) * x**((-0.5) - 1)"), simplify("a^(1)_1 * (2)")
    ('(-0.5) * x**(-1.5)', 'a^(1)_1 * 2')

    """
    ops = {"+": float.__add__, "-": float.__sub__, "*": float.__mul__, "/": float.__truediv__}
    for _ in range(4):  # a few rounds: one fold can make another possible
        before = text

        def fold(m):
            a, op, b = float(m.group(1) or m.group(2)), m.group(3), float(m.group(4) or m.group(5))
            if op == "/" and b == 0.0:
                return m.group(0)
            v = ops[op](a, b)
            t = f"{v:g}"
            return t if v >= 0 else f"({t})"

        text = _ARITH.sub(fold, text)
        text = _PAREN_NUM.sub(r"\1", text)
        text = _NEG_NEG.sub(r"\1", text)
        text = _POW1.sub("", text)
        if text == before:
            return text
    return text


# ---------------------------------------------------------------------------
# Keys, markup and stale graphs

_SQUARES = {"2": "²", "3": "³"}
_POWER = re.compile(r" ?\*\* ?([23])(?![\d.])")
_TRAILING_K = re.compile(rf"^(.+) \* ({_NUM})$")


def _split_top(text, sep=", "):
    """``text`` split at ``sep`` outside brackets."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(text):
        c = text[i]
        depth += c in "([" and 1 or (c in ")]" and -1) or 0
        if depth == 0 and text.startswith(sep, i):
            parts.append(text[start:i])
            start = i = i + len(sep)
            continue
        i += 1
    return parts + [text[start:]]


def pretty(text: str) -> str:
    """A formula as the documents print it: ``(0.05 - outY1) ** 2 * 0.5`` -> ``½·(0.05 − outY1)²``.

    Squares and cubes as ², ³; a product by a number with the number first (½ for 0.5);
    ``·`` for ×, ``−`` for minus; ``sum([a, b])`` as ``a + b``. For reading only: the
    rule table's text (``Step.formula``) stays plain Python.

    >>> pretty("sum([(0.05 - outY1) ** 2 * 0.5, (0.82 - outY2) ** 2 * 0.5])")
    '½(0.05 − outY1)² + ½(0.82 − outY2)²'
    >>> pretty("outY1 * (1 - outY1)"), pretty("2 * n3")
    ('outY1 · (1 − outY1)', '2 · n3')
    """
    if text.startswith("sum([") and text.endswith("])") and "sum([" not in text[5:]:
        terms = _split_top(text[5:-2])
        if all(t.count("(") == t.count(")") for t in terms):
            return " + ".join(pretty(t) for t in terms)
    text = _POWER.sub(lambda m: _SQUARES[m.group(1)], text)
    m = _TRAILING_K.match(text)
    if m and _split_top(m.group(1), " * ") == [m.group(1)]:  # x * k, one factor: k first
        k = {"0.5": "½"}.get(m.group(2), m.group(2))
        x = m.group(1)
        text = (f"½{x}" if x.startswith("(") else f"½·{x}") if k == "½" else f"{k} * {x}"
    text = re.sub(r"(?<=\S) - ", " − ", text)
    text = re.sub(r"(?:(?<=[\s(])|^)-(?=[\w(])", "−", text)
    return text.replace(" * ", " · ")


def expression(node: Node, names: dict) -> str:
    """How ``node`` was computed from its inputs, each named as the graph names it: ``0.05 - outY1``."""
    if not node.parents:
        return names[node]
    operands = [(names[p], ATOM) for p in node.parents]
    return node.op.format(operands, node.op.constant)[0]


def key(nodes: Iterable, names: dict) -> list[tuple[Any, str]]:
    """``[(node, "n3 = 0.05 - outY1"), ...]``: what each unlabelled node among ``nodes`` computes.

    The generated names n1, n2, ... mean nothing on their own; this is their legend, in
    the order of the names.
    """
    unnamed = [v for v in nodes if not v.label and v.parents and names.get(v, "").startswith("n")]
    unnamed.sort(key=lambda v: int(names[v][1:]) if names[v][1:].isdigit() else 0)
    return [(v, f"{names[v]} = {pretty(expression(v, names))}") for v in unnamed]


def written(root: Node, names: dict) -> str | None:
    """``root`` as one formula over its named nodes, unlabelled nodes written out: the documents' E.

    ``E = 0.5 * (0.05 - outY1)**2 + 0.5 * (0.82 - outY2)**2`` for seed 002's loss; None
    when the formula would be long (more than 160 characters) or ``root`` has no unlabelled input.
    """
    if not any(not p.label and p.parents for p in root.parents):
        return None
    texts: dict = {}
    for v in postorder(root)[0]:
        operands = []
        for p in v.parents:
            if p.parents and not p.label and p in texts:
                operands.append(texts[p])
            else:
                operands.append((names[p], ATOM))
        texts[v] = v.op.format(operands, v.op.constant)
        if len(texts[v][0]) > 160:
            return None
    return f"{names[root]} = {pretty(texts[root][0])}"


# ---------------------------------------------------------------------------
# Words: how every view writes a derivative and a chain-rule step
#
# ``·`` joins symbols and ``×`` joins numbers: ∂E/∂w5 += ∂E/∂zY1 · ∂zY1/∂w5 = 0.13549 × 0.53842.
# An edge's ∂node/∂parent is its LOCAL derivative; the formulas read as ``pretty`` prints them.

LOCAL = "local derivative"  # ∂node/∂parent, an edge's own number: the one word for it


def partial(top: str, bottom: str) -> str:
    """A derivative as the documents write it: ``partial("E", "w5")`` is ``∂E/∂w5``."""
    return f"∂{top}/∂{bottom}"


def chain(root: str, node: str, parent: str) -> str:
    """One backward step in symbols: ``∂E/∂w5 += ∂E/∂zY1 · ∂zY1/∂w5``.

    >>> chain("E", "zY1", "w5")
    '∂E/∂w5 += ∂E/∂zY1 · ∂zY1/∂w5'
    """
    return f"{partial(root, parent)} += {partial(root, node)} · {partial(node, parent)}"


def tangent(wrt: str, node: str, parent: str) -> str:
    """One forward-mode step in symbols: ``∂zY1/∂w1 += ∂zY1/∂outH1 · ∂outH1/∂w1``.

    >>> tangent("w1", "zY1", "outH1")
    '∂zY1/∂w1 += ∂zY1/∂outH1 · ∂outH1/∂w1'
    """
    return f"{partial(node, wrt)} += {partial(node, parent)} · {partial(parent, wrt)}"


def local_formula(node: Node, index: int, names: dict) -> str:
    """An edge's local derivative and its formula, as tables, steps and code comments write it.

    >>> from engine import Value
    >>> z = Value(0.5, label="z"); a = z.sigmoid(); a.label = "a"
    >>> local_formula(a, 0, names(a))
    '∂a/∂z = a · (1 − a)'
    """
    return f"{partial(names[node], names[node.parents[index]])} = {pretty(formula(node, index, names))}"


__all__ = [
    "root_name", "names", "printable", "describe", "fmt", "formula", "DIGITS",
    "simplify", "pretty", "expression", "key", "written",
    "LOCAL", "partial", "chain", "tangent", "local_formula",
]  # fmt: skip
