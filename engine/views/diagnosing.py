"""Which mistake made a hand-computed gradient wrong: ``diagnose`` and ``diagnose_update``.

A gradient checker says how far two numbers are apart. ``diagnose(root, claimed)`` says
why: it reads one recorded backward pass (a :class:`engine.Trace`, the paths of
:func:`engine.explain`) and compares each claimed ∂L/∂w with the gradients the usual
slips would give, each computed from the recorded factors:

================ ========================================================================
kind             what the learner did
================ ========================================================================
correct          nothing wrong (within the tolerance, see :func:`close`)
sign             got −∂L/∂w
missing_path     left out one path of the sum (or wrote ``=`` where the pass needs ``+=``)
factor           off by a constant factor: a constant of the graph (the loss's ½) left out
                 or counted twice, or off by a plain factor (−1, ½, ¼, 0.1, 0.01, 10, 100, −2, −½)
missing_upstream stopped the chain at a node: multiplied only the factors below it
local_at_input   took an activation's derivative at its input instead of its output (or the
                 other way round), as the rule table's row writes it
accumulated      k ≥ 2 times the gradient: backward run k times without zeroing
unknown          none of these; the text names the nearest candidate
================ ========================================================================

When two kinds give the same number for a graph, the first kind in :data:`PRECEDENCE` (the
order of the table) names the finding and ``.also`` lists the others: −1 × ∂L/∂w is a sign
slip before a factor; a path whose product is 0 leaves the sum right, so it is correct;
doubling on a loss with ½ is the dropped ½ before a second backward pass (10 × and 100 ×
are factors, a slipped decimal point, before ten passes); stopping the chain just below
the ½ is the dropped ½ too. Nothing here changes a ``.grad``.

    >>> from engine import Value
    >>> x, w = Value(0.5, label="x"), Value(-2.0, label="w")
    >>> z = x * w; z.label = "z"
    >>> out = z.sigmoid(); out.label = "out"
    >>> E = (0.8 - out) ** 2 * 0.5; E.label = "E"
    >>> from engine import grad
    >>> dw, dx = grad(E, [w, x])  # the right ∂E/∂w and ∂E/∂x
    >>> d = diagnose(E, {w: -dw, x: 2 * dx})
    >>> [f.kind for f in d]
    ['sign', 'factor']
    >>> print(d[x].text)  # doctest: +ELLIPSIS
    ∂E/∂x = 0.41765: off by a factor of 2: the constant 0.5 of E (∂E/∂n1 = 0.5) was left out; ...
"""

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .. import numbers, vocab
from ..record.tracing import Trace, record
from ..vocab import fmt
from ..walks import Node
from .explaining import explain

REL = 1e-6  # relative tolerance of close()
ABS = 1e-9  # absolute tolerance of close(), for gradients near 0
PRECEDENCE = (
    "correct",
    "sign",
    "missing_path",
    "factor",
    "missing_upstream",
    "local_at_input",
    "accumulated",
    "unknown",
)
MAX_PATHS = 64  # paths of explain() tried as missing_path candidates
MAX_TIMES = 100  # accumulated: backward run at most this many times
RATIOS = (-1.0, 0.5, 0.25, 0.1, 0.01, 10.0, 100.0, -2.0, -0.5)  # plain factors, after the constants


def close(a: float, b: float, rel: float = REL, abs: float = ABS) -> bool:
    """Whether ``a`` agrees with ``b``: ``|a − b| <= max(rel · max(|a|, |b|), abs)``.

    With the defaults a number within one part in a million of the answer is correct, and
    so is any number within 1e-9 of it (so 1e-10 is a right answer to a gradient of 0, where
    no relative tolerance helps). Exactly at the edge counts as close; nan is never close.
    """
    return math.fabs(a - b) <= max(rel * max(math.fabs(a), math.fabs(b)), abs)


@dataclass(frozen=True, slots=True)
class Candidate:
    """What one slip would give: its kind, the number and a sentence saying where it happened."""

    kind: str
    value: float
    text: str


@dataclass(frozen=True, slots=True, eq=False)
class Finding:
    """The diagnosis of one claimed gradient: ``kind`` (see :data:`PRECEDENCE`) and ``text``.

    ``name`` is the gradient's name (∂E/∂w1), ``expected`` the recorded pass's value,
    ``nearest`` the candidate that matched (or, for ``unknown``, the closest one) and
    ``also`` the other kinds that give the same number here.
    """

    param: Any
    name: str
    claimed: float
    expected: float
    kind: str
    text: str
    nearest: Candidate | None = None
    also: tuple = ()

    def __str__(self):
        return self.text


class Diagnosis(Sequence):
    """One :class:`Finding` per claimed parameter, in the order given; ``d["w1"]`` finds one by label."""

    def __init__(self, findings: list) -> None:
        self.findings = list(findings)

    def __len__(self):
        return len(self.findings)

    def __getitem__(self, i):
        if isinstance(i, (int, slice)):
            return self.findings[i]
        for f in self.findings:
            if f.param is i or (isinstance(i, str) and f.param.label == i):
                return f
        raise KeyError(f"no finding for {i!r}; diagnosed: {', '.join(f.name for f in self.findings)}")

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    def __repr__(self):
        return f"<Diagnosis: {', '.join(f'{f.name} {f.kind}' for f in self.findings)}>"

    def __str__(self):
        return "\n".join(f.text for f in self.findings)

    def _repr_html_(self):
        from .. import markup

        rows = "".join(
            f"<tr><td>{markup.markup(f.name)}</td><td>{markup.markup(f.kind)}</td>"
            f"<td>{markup.markup(f.text)}</td></tr>"
            for f in self.findings
        )
        return f'<table class="chainrule-diagnosis"><tbody>{rows}</tbody></table>'


# ---------------------------------------------------------------------------
# The recorded pass, read a few ways (each linear in the number of steps)


def replay(t: Trace, local: Any = None, overwrite: bool = False) -> dict:
    """∂L/∂node for every node, from the recorded steps, with some steps' local derivatives changed.

    ``local(step)`` gives the local derivative to use (default: the recorded one);
    ``overwrite`` writes ``=`` where the pass adds ``+=`` (each parent keeps only its last
    product). Only arithmetic on the recorded numbers: no derivative is recomputed.
    """
    g: dict = {t.root: float(t.gradient)}
    for s in t.steps:
        product = g.get(s.node, 0.0) * (s.local if local is None else local(s))
        g[s.parent] = product if overwrite else g.get(s.parent, 0.0) + product
    return g


def tangents(t: Trace, param: Any) -> dict:
    """∂node/∂param for every node above ``param`` (forward mode over the recorded locals)."""
    d: dict = {param: 1.0}
    for s in reversed(t.steps):  # the lowest nodes' steps came last
        if s.node is not param and s.parent in d:
            d[s.node] = d.get(s.node, 0.0) + s.local * d[s.parent]
    return d


_OUT = re.compile(r"\bout\b")
_A = re.compile(r"\ba\b")


def swapped_local(step: Any, names: dict | None = None) -> tuple[float, str, str] | None:
    """A unary row's local derivative at the wrong place: ``(value, formula, where)`` or None.

    A row whose formula is written in ``out`` (sigmoid: ``out * (1 - out)``, exp: ``out``) is
    evaluated with the input in place of ``out``; one written only in its input ``a`` (sin:
    ``cos(a)``) with the output in place of ``a``. ``where`` is "input" or "output", the place
    the slip used. Rows with other inputs, or where the swap leaves the domain, give None.
    """
    node, op = step.node, step.node.op
    if op.arity != 1 or len(node.parents) != 1:
        return None
    rule = op.formula(0, 1)
    a, out = node.parents[0].data, node.data
    k = [] if op.constant is None else [op.constant]
    if _OUT.search(rule):
        args, where, text = (a, *k, a), "input", _OUT.sub("a", rule)
    elif _A.search(rule):
        args, where, text = (out, *k, out), "output", _A.sub("out", rule)
    else:
        return None
    try:
        value = float(op.partials(*args)[0])
    except (ArithmeticError, ValueError, TypeError):
        return None
    if not math.isfinite(value) or value == step.local:
        return None
    if names is not None:
        shown = {"a": names[node.parents[0]], "out": names[node]}
        if op.constant is not None:
            shown["k"] = f"{op.constant:g}" if op.constant >= 0 else f"({op.constant:g})"
        text = vocab.pretty(vocab.simplify(re.sub(r"\b(out|a|k)\b", lambda m: shown[m.group(1)], text)))
    return value, text, where


def _divides(rule: str) -> bool:
    """Whether a bound row's formula divides by its constant (``1 / k``) rather than multiplying by it."""
    return re.search(r"/\s*k\b", rule) is not None


# ---------------------------------------------------------------------------


def candidates(t: Trace, param: Any, memo: dict | None = None) -> list[Candidate]:
    """What each known slip would give for ∂L/∂param, in the order of :data:`PRECEDENCE`.

    Each candidate is one pass over the recorded steps (a replay or a sweep) or less, so the
    cost is the number of steps times the few replays (one per op row with swapped local
    derivatives, two per constant of the graph), not the number of paths: explain's paths are
    tried only as far as MAX_PATHS. Replays do not depend on ``param`` (a changed edge off the
    paths to it changes nothing here), so ``memo`` (a dict) keeps them for the next parameter.
    """
    memo = {} if memo is None else memo

    def cached(key, make):
        if key not in memo:
            memo[key] = make()
        return memo[key]

    above = t.above(param)  # a clear error when param is not below the root
    names, L = t.names, t.names[t.root]
    P = names[param]
    G = f"∂{L}/∂{P}"
    g = cached("pass", lambda: replay(t))
    expected = g.get(param, 0.0)
    steps = [s for s in t.steps if s.parent in above]
    out = [Candidate("correct", expected, f"{G} = {fmt(expected)} is right")]
    out.append(
        Candidate("sign", -expected, f"the sign is wrong: {G} is {fmt(expected)}, not {fmt(-expected)}")
    )

    # missing_path: all but one of explain's paths, and `=` where the pass adds
    e = explain(t, param, max_paths=MAX_PATHS)
    if len(e.paths) > 1:
        shared = set.intersection(*({f.lower for f in p.factors} for p in e.paths))
        for k, path in enumerate(e.paths, 1):
            through = [names[f.lower] for f in path.factors[:-1] if f.lower not in shared]
            via = f", the one through {', '.join(through)}" if through else ""
            factors = " · ".join(f.name for f in path.factors)
            out.append(Candidate(
                "missing_path", expected - path.value,
                f"path {k} of {e.n_paths} is left out{via}: {factors} = {fmt(path.value)}; "
                f"the gradient is the sum over every path, {fmt(expected)}",
            ))  # fmt: skip
    over = cached("overwrite", lambda: replay(t, overwrite=True)).get(param, 0.0)
    uses = _uses(steps)
    reused = [names[n] for n, c in uses.items() if c > 1]
    if reused:
        out.append(Candidate(
            "missing_path", over,
            f"a gradient was overwritten (=) where the chain rule adds (+=): {', '.join(reused)} "
            f"{'is' if len(reused) == 1 else 'are'} used more than once and kept only the last product; "
            f"adding every step gives {fmt(expected)}",
        ))  # fmt: skip
    d = tangents(t, param)
    for s in steps:  # a node used several times, visited for one use too few
        if uses[s.parent] > 1 and s.parent in d:
            out.append(Candidate(
                "missing_path", expected - s.product * d[s.parent],
                f"one use of {s.parent_name} was left out: step {s.number}, ∂{L}/∂{s.node_name} · "
                f"∂{s.node_name}/∂{s.parent_name} = {fmt(s.product)}, "
                f"was never added to ∂{L}/∂{s.parent_name} "
                f"({s.parent_name} is used {uses[s.parent]} times, and each use adds its product)",
            ))  # fmt: skip

    # missing_upstream: ∂N/∂param for a node N between param and the root
    order = {s.node: s.number for s in reversed(t.steps)}
    inner = (n for n in d if n is not param and n is not t.root)
    for node in sorted(inner, key=lambda n: (not n.label, order[n])):  # labelled nodes first
        out.append(Candidate(
            "missing_upstream", d[node],
            f"the chain stops at {names[node]}: ∂{names[node]}/∂{P} = {fmt(d[node])} is only the part below "
            f"{names[node]}; the chain goes on up to {L}, times ∂{L}/∂{names[node]} = {fmt(g[node])}",
        ))  # fmt: skip

    # local_at_input: one activation's derivative taken at the wrong place, or every node of its row
    by_row: dict = {}
    for s in steps:
        swap = swapped_local(s, names)
        if swap is None or s.parent not in d:
            continue
        value, text, where = swap
        right = vocab.pretty(s.formula)
        other = "output" if where == "input" else "input"
        out.append(Candidate(
            "local_at_input", expected + g[s.node] * (value - s.local) * d[s.parent],
            f"∂{s.node_name}/∂{s.parent_name} was taken at the {where}, {text} = {fmt(value)}; the rule "
            f"table's {s.node.op.name} row writes it at the {other}: {right} = {fmt(s.local)}",
        ))  # fmt: skip
        by_row.setdefault(s.node.op.name, []).append((s, value))
    for row, swaps in by_row.items():
        if len(swaps) > 1:
            value = cached(("row", row), lambda row=row: _swapped_replay(t, row)).get(param, 0.0)
            nodes = ", ".join(s.node_name for s, _ in swaps)
            out.append(Candidate(
                "local_at_input", value,
                f"every {row} derivative ({nodes}) was taken at the wrong place (in its input where the "
                f"rule table writes its output, or the other way round)",
            ))  # fmt: skip

    # factor: a constant of the graph left out or counted twice, then plain factors
    groups: dict = {}
    for s in steps:
        op = s.node.op
        if op.constant is not None and op.constant not in (0.0, 1.0, -1.0) and re.search(r"\bk\b", s.rule):
            groups.setdefault((op.name, op.constant), []).append(s)
    for (op_name, k), group in groups.items():
        divides = _divides(group[0].rule)
        at = ", ".join(dict.fromkeys(s.node_name for s in group))
        first = group[0]
        local = f"∂{first.node_name}/∂{first.parent_name} = {vocab.pretty(first.formula)}"
        where = f"the constant {k:g} of {at} ({local})"
        for dropped in (True, False):
            scale = k if divides == dropped else 1.0 / k
            value = cached((op_name, k, scale), lambda n=op_name, k=k, c=scale: _scaled_replay(t, n, k, c))
            value = value.get(param, 0.0)
            what = "left out" if dropped else "counted twice"
            out.append(Candidate(
                "factor", value, f"off by a factor of {_ratio(value, expected)}: "
                f"{where} was {what}; with it once {G} = {fmt(expected)}",
            ))  # fmt: skip
    # accumulated: nearest whole multiple, tried by the caller; plain ratios
    for r in RATIOS:
        out.append(Candidate(
            "factor", r * expected,
            f"off by a factor of {r:g}: {G} is {fmt(expected)}, not {fmt(r * expected)}",
        ))  # fmt: skip
    return out


def _swapped_replay(t: Trace, row: str) -> dict:
    """The pass with every node of ``row`` taking its local derivative at the wrong place."""
    changed = {}
    for s in t.steps:
        if s.node.op.name == row and (swap := swapped_local(s)) is not None:
            changed[s] = swap[0]
    return replay(t, lambda s: changed.get(s, s.local))


def _scaled_replay(t: Trace, name: str, k: float, scale: float) -> dict:
    """The pass with the local derivatives of every node of op ``name`` bound to ``k`` times ``scale``."""
    return replay(
        t, lambda s: s.local * scale if s.node.op.name == name and s.node.op.constant == k else s.local
    )


def _ratio(value: float, expected: float) -> str:
    return f"{value / expected:g}" if expected != 0.0 else "(undefined: the gradient is 0)"


def _uses(steps: list) -> dict:
    count: dict = {}
    for s in steps:
        count[s.parent] = count.get(s.parent, 0) + 1
    return count


def _accumulated(expected: float, claimed: float, G: str) -> Candidate:
    k = 2
    if expected != 0.0 and math.isfinite(r := claimed / expected):
        k = int(min(max(round(r), 2), MAX_TIMES))
    return Candidate(
        "accumulated", k * expected,
        f"{k} times the gradient {fmt(expected)}: backward ran {k} times "
        f"without zeroing the gradients in between (zero_grad() before each backward)",
    )  # fmt: skip


def diagnose(root: "Node | Trace", claimed: Mapping, rel: float = REL, abs: float = ABS) -> Diagnosis:
    """Name the slip behind each hand-computed gradient in ``claimed`` ({parameter: ∂L/∂parameter}).

    ``root`` is the loss (a Value) or a :class:`Trace` of it; a parameter is a Value or its
    label. Each claimed number is compared (:func:`close`, tolerances ``rel`` and ``abs``)
    with the gradient of one recorded pass and with what each known slip would give
    (:func:`candidates`); the first match in :data:`PRECEDENCE` names the finding. No
    ``.grad`` changes.
    """
    if not isinstance(claimed, Mapping):
        raise TypeError(
            f"claimed must map parameters (Values or labels) to numbers, got {type(claimed).__name__}"
        )
    rel = numbers.setting(rel, "diagnose(rel=...)")
    abs = numbers.setting(abs, "diagnose(abs=...)")
    t = record(root)
    findings: list = []
    memo: dict = {}  # replays shared by every parameter
    for key, number in claimed.items():
        param = t.find(key)
        value = numbers.real(number, f"diagnose(): the claimed gradient of {vocab.describe(param)}")
        findings.append(_finding(t, param, value, rel, abs, memo))  # a clear error if param is not below
    return Diagnosis(findings)


def _finding(t: Trace, param: Any, claimed: float, rel: float, abs: float, memo: dict) -> Finding:
    cands = candidates(t, param, memo)  # first: a clear error when param is not below the root
    names = t.names
    G = f"∂{names[t.root]}/∂{names[param]}"
    expected = cands[0].value
    cands.append(_accumulated(expected, claimed, G))
    rank = {k: i for i, k in enumerate(PRECEDENCE)}
    matched = sorted((c for c in cands if close(claimed, c.value, rel, abs)), key=lambda c: rank[c.kind])
    if matched:
        best = matched[0]
        also = tuple(dict.fromkeys(c.kind for c in matched[1:] if c.kind != best.kind))
        text = best.text if best.kind == "correct" else f"{G} = {fmt(claimed)}: {best.text}"
        return Finding(param, G, claimed, expected, best.kind, text, best, also)
    wrong = [c for c in cands if not close(c.value, expected, rel, abs)]
    nearest = min(wrong, key=lambda c: math.fabs(c.value - claimed), default=None)
    text = f"{G} = {fmt(claimed)} is not {fmt(expected)}, and no known slip gives it"
    if nearest is not None:
        text += f"; the nearest is {nearest.kind}, {fmt(nearest.value)}: {nearest.text}"
    return Finding(param, G, claimed, expected, "unknown", text, nearest)


# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UpdateFinding:
    """The diagnosis of one hand-made gradient-descent step: ``kind`` and ``text``; ``rate`` is the
    learning rate the claimed value implies (None when the gradient is 0)."""

    name: str
    claimed: float
    expected: float
    kind: str
    text: str
    rate: float | None = None

    def __str__(self):
        return self.text


def diagnose_update(
    param: Any,
    grad: float,
    lr: float,
    before: float,
    claimed_after: float,
    rel: float = REL,
    abs: float = ABS,
    loss: str = "L",
) -> UpdateFinding:
    """Name the slip in one step w ← w − lr · ∂L/∂w done by hand.

    ``param`` names the weight (a Value or its label), ``grad`` is the ∂L/∂w the learner used,
    ``before`` the weight before the step and ``claimed_after`` the learner's new weight. The
    kinds: ``correct``; ``update_sign`` (lr · grad added: seed 002's article gets w5 =
    0.1807289 so); ``lr`` (another learning rate, one with at most two significant digits such
    as 0.1 or 1, named in the text); ``unknown``. ``loss`` names the loss in the text (E, L);
    numbers show 7 decimals, as the documents show updated weights.
    """
    name = vocab.describe(param) if hasattr(param, "parents") else str(param)
    grad = numbers.real(grad, "diagnose_update(grad=...)")
    lr = numbers.setting(lr, "diagnose_update(lr=...)", positive=True)
    before = numbers.real(before, "diagnose_update(before=...)")
    after = numbers.real(claimed_after, "diagnose_update(claimed_after=...)")
    expected = before - lr * grad
    d, G = 7, f"∂{vocab.printable(str(loss))}/∂{name}"
    rule = f"{name} ← {name} − α·{G} = {fmt(before, d)} − {lr:g} × {fmt(grad, d)} = {fmt(expected, d)}"
    rate = (before - after) / grad if grad != 0.0 else None
    said = f"{name} = {fmt(after, d)}"
    if close(after, expected, rel, abs):
        return UpdateFinding(name, after, expected, "correct", f"{said} is right: {rule}", rate)
    if close(after, before + lr * grad, rel, abs):
        return UpdateFinding(
            name, after, expected, "update_sign",
            f"{said} adds α·{G}; gradient descent subtracts it (a step against the gradient lowers "
            f"the loss): {rule}", -lr,
        )  # fmt: skip
    if rate is not None and rate > 0.0 and close(float(f"{rate:.2g}"), rate, rel, abs):
        return UpdateFinding(
            name, after, expected, "lr",
            f"{said} is a step with learning rate {rate:g}, not α = {lr:g}: {rule}", rate,
        )  # fmt: skip
    return UpdateFinding(name, after, expected, "unknown", f"{said} is not {fmt(expected, d)}: {rule}", rate)


__all__ = [
    "diagnose",
    "diagnose_update",
    "close",
    "candidates",
    "replay",
    "tangents",
    "swapped_local",
    "Diagnosis",
    "Finding",
    "Candidate",
    "UpdateFinding",
    "PRECEDENCE",
    "REL",
    "ABS",
]
