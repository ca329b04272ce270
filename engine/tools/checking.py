"""Gradient checks: the derivatives backward computes, against central finite differences.

``gradcheck`` compares each ∂out/∂x from the backward pass with the numeric
slope (f(x + eps) - f(x - eps)) / 2eps; ``gradgradcheck`` compares each second
derivative from ``engine.grad(..., create_graph=True)`` with central
differences of first derivatives. Both return a :class:`GradcheckReport` and
raise :class:`GradcheckError` (an AssertionError) naming the input, the
analytic and numeric values and the error when a derivative disagrees.

The defaults suit float64, like PyTorch's gradcheck: ``eps=1e-6``,
``atol=1e-5``, ``rtol=1e-3``, and a derivative agrees when
``|analytic - numeric| <= atol + rtol * |numeric|``.

What is checked can be given three ways:

- ``gradcheck(f, [0.5, 2.0])``: ``f`` takes Values (one per input) and returns a
  scalar Value. The inputs are numbers or Values (their data and labels are
  used; ``f`` is called with fresh leaves, so the originals are not touched).
- ``gradcheck(out)`` or ``gradcheck(out, [w, b])``: an already-built graph, checked
  with respect to all its leaves or the given nodes. The graph is recomputed
  from the rule table at the shifted points; it must be up to date (a leaf
  changed after the forward pass is reported as an error).
- ``gradcheck(e)`` for anything with ``.root`` and ``.leaves``, such as an
  expression drawn by ``engine.tools.strategies.expressions()``.

Kinks and domain edges. A finite difference is only a fair reference where the
function is smooth. When the central difference disagrees, the one-sided
slopes (f(x + eps) - f(x)) / eps and (f(x) - f(x - eps)) / eps are compared
too. If they disagree with each other, there is a kink within eps of x (relu
at 0, or a jump in the first derivative for ``gradgradcheck``); the analytic
value then passes, marked ``"kink"``, if it lies between the two slopes
(within the tolerance): that is the range of valid one-sided derivatives and
subgradients, and it holds relu's convention of slope 0 at 0. Outside that
range it fails. Where the function cannot be evaluated at x ± eps (log or sqrt
just above 0, a division close to 0, exp overflowing) no finite difference
exists: the derivative is marked ``"skipped"`` with the reason; so is one
that is itself infinite at x (sqrt or x ** 0.5 at exactly 0, where backward
raises FloatingPointError). Kinks and skips are listed in the report and do
not fail the check unless ``strict=True``. An eps lost in rounding (x + eps ==
x), an input or an output that is not a finite float is a ValueError.

    >>> report = gradcheck(lambda x, y: x * y.sin(), [0.5, 2.0])
    >>> report.ok, [c.name for c in report.checks]
    (True, ['∂out/∂x', '∂out/∂y'])
"""

import inspect
import math
from dataclasses import dataclass
from typing import Any

from .. import walks
from ..backward import grad
from ..numbers import real, setting
from ..ops import Op, domain_error
from ..value import Value, apply
from ..walks import topological_order
from .expr import expression_text

EPS, ATOL, RTOL = 1e-6, 1e-5, 1e-3
_UNDEFINED = (ArithmeticError, ValueError)  # what a forward or backward raises outside its domain


class GradcheckError(AssertionError):
    """A derivative disagreed with its finite difference; ``.report`` holds every comparison."""

    def __init__(self, report: "GradcheckReport") -> None:
        super().__init__(report.describe_failures())
        self.report = report


@dataclass(frozen=True)
class Check:
    """One derivative compared: its name, both values, the error and what was concluded.

    ``status`` is "ok", "kink" (passed as a one-sided derivative at a kink),
    "skipped" (no finite difference exists there) or "failed".
    """

    name: str
    analytic: float
    numeric: float
    error: float
    allowed: float
    status: str
    note: str = ""


@dataclass(frozen=True)
class GradcheckReport:
    """Every derivative compared by one gradcheck (``order`` 1) or gradgradcheck (order 2)."""

    order: int
    expression: str
    point: dict
    checks: tuple
    eps: float
    atol: float
    rtol: float
    strict: bool = False

    @property
    def failures(self) -> list[Check]:
        bad = ("failed", "kink", "skipped") if self.strict else ("failed",)
        return [c for c in self.checks if c.status in bad]

    @property
    def kinks(self) -> list[Check]:
        return [c for c in self.checks if c.status == "kink"]

    @property
    def skipped(self) -> list[Check]:
        return [c for c in self.checks if c.status == "skipped"]

    @property
    def ok(self) -> bool:
        """True when no derivative failed (kinks and skips count only with ``strict``)."""
        return not self.failures

    @property
    def max_error(self) -> float:
        """The largest ``|analytic - numeric|`` among the derivatives compared."""
        return max((c.error for c in self.checks if c.status != "skipped"), default=0.0)

    def __bool__(self):
        return self.ok

    def _title(self):
        what = "gradcheck" if self.order == 1 else "gradgradcheck"
        at = ", ".join(f"{k}={v!r}" for k, v in self.point.items())
        of = f" of {self.expression}" if self.expression else ""
        return f"{what}{of} at {at}"

    def _counts(self):
        n = len(self.checks)
        agree = sum(c.status == "ok" for c in self.checks)
        parts = [f"{agree} of {n} derivatives agree"]
        if self.kinks:
            parts.append(f"{len(self.kinks)} at a kink")
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped")
        failed = sum(c.status == "failed" for c in self.checks)
        if failed:
            parts.append(f"{failed} failed")
        return ", ".join(parts)

    def __repr__(self):
        return f"<GradcheckReport: {self._counts()}, max error {self.max_error:.3g}>"

    def __str__(self):
        lines = [f"{self._title()} (eps {self.eps:g}, atol {self.atol:g}, rtol {self.rtol:g}):"]
        width = max((len(c.name) for c in self.checks), default=0)
        for c in self.checks:
            line = f"  {c.name:<{width}}  analytic {c.analytic:<19.12g}"
            if c.status != "skipped":
                line += f" numeric {c.numeric:<19.12g} error {c.error:<8.2g}"
            line += f"  {c.status}" + (f": {c.note}" if c.note else "")
            lines.append(line)
        lines.append(f"  {self._counts()}")
        return "\n".join(lines)

    def describe_failures(self) -> str:
        """The failed derivatives, each with its analytic and numeric values and the error."""
        failures = self.failures
        lines = [f"{self._title()}: {len(failures)} of {len(self.checks)} derivatives disagree"]
        for c in failures:
            if c.status == "skipped":
                lines.append(f"  {c.name}: analytic {c.analytic!r}, not checked: {c.note} (strict=True)")
                continue
            lines.append(
                f"  {c.name}: analytic {c.analytic!r}, numeric {c.numeric!r}, error {c.error:.3g} "
                f"> allowed {c.allowed:.3g} (atol {self.atol:g} + rtol {self.rtol:g} * |numeric|)"
                + (f"; {c.note}" if c.note else "")
            )
        return "\n".join(lines)


def gradcheck(
    f: Any,
    inputs: Any = None,
    *,
    eps: float = EPS,
    atol: float = ATOL,
    rtol: float = RTOL,
    strict: bool = False,
    raise_exception: bool = True,
) -> GradcheckReport:
    """Check every ∂out/∂input from backward against a central finite difference.

    ``f`` is a function of Values with ``inputs`` (numbers or Values), a Value
    (an output already computed, with ``inputs`` its leaves to check, all by
    default), or an object with ``.root`` and ``.leaves``. Returns a
    :class:`GradcheckReport`; raises :class:`GradcheckError` on disagreement
    unless ``raise_exception=False``.

    >>> x = Value(3.0, label="x")
    >>> gradcheck(x * x * x).checks[0].analytic
    27.0
    """
    return _check(1, f, inputs, eps, atol, rtol, strict, raise_exception)


def gradgradcheck(
    f: Any,
    inputs: Any = None,
    *,
    eps: float = EPS,
    atol: float = ATOL,
    rtol: float = RTOL,
    strict: bool = False,
    raise_exception: bool = True,
) -> GradcheckReport:
    """Check every ∂²out/∂x_i∂x_j from ``engine.grad(create_graph=True)`` against finite differences.

    The numeric reference is the central difference of the first derivatives
    (computed by backward at x_j ± eps). Arguments as for :func:`gradcheck`.

    >>> gradgradcheck(lambda x: x.tanh(), [0.3]).ok
    True
    """
    return _check(2, f, inputs, eps, atol, rtol, strict, raise_exception)


# ---------------------------------------------------------------------------
# What to check: a builder that computes the output at any point


class _Function:
    """A function of Values with its inputs: ``f(*leaves)``."""

    def __init__(self, f, inputs):
        if inputs is None:
            raise TypeError(
                "gradcheck(f, inputs): give the inputs of f, e.g. gradcheck(f, [0.5, 2.0]) "
                "(or pass an output Value to check an already-built graph)"
            )
        if isinstance(inputs, (int, float, Value)):
            inputs = [inputs]
        inputs = list(inputs)
        names = _parameter_names(f, len(inputs))
        self.f = f
        self.labels = [
            v.label if isinstance(v, Value) and v.label is not None else name
            for v, name in zip(inputs, names)
        ]
        self.x = [_as_float(v, i) for i, v in enumerate(inputs)]
        self.expression = None

    def build(self, xs):
        """(out, leaves) for the inputs ``xs``, as a graph."""
        leaves = [Value(x, label=label) for x, label in zip(xs, self.labels)]
        out = self.f(*leaves)
        if not isinstance(out, Value):
            kind = type(out).__name__
            hint = (
                "; check a scalar: sum the outputs (engine.sum(outs)) or check each"
                if isinstance(out, (list, tuple))
                else ""
            )
            raise TypeError(
                f"gradcheck: f must return a scalar Value computed from its inputs, not {kind}{hint}"
            )
        return out, leaves

    def value(self, xs):
        return self.build(xs)[0].data


class _Graph:
    """An already-built graph: ``root`` recomputed with ``inputs`` shifted."""

    def __init__(self, root, inputs, expression=None):
        self.root = root
        order = topological_order(root)
        if inputs is None:
            inputs = walks.leaves(root)
        elif isinstance(inputs, Value):
            inputs = [inputs]
        inputs = list(inputs)
        below = set(order)
        for i, v in enumerate(inputs):
            if not isinstance(v, Value):
                raise TypeError(
                    f"gradcheck(out, inputs): input {i} is {type(v).__name__} {v!r}; give the Values "
                    "(leaves) the output was computed from"
                )
            if v not in below:
                raise ValueError(
                    f"gradcheck(out, inputs): input {_describe_leaf(v, i)} is not part of the output's "
                    "graph; give the Values (leaves) the output was computed from"
                )
        if len(set(inputs)) != len(inputs):
            raise ValueError("gradcheck(out, inputs): the same Value is given twice; give each input once")
        self.inputs = inputs
        self.labels = [v.label if v.label is not None else f"x{i}" for i, v in enumerate(inputs)]
        self.x = [v.data for v in inputs]
        # Recompute only the nodes that depend on an input, in parents-first order.
        moved = set(inputs)
        self.order = []
        for node in reversed(order):
            if node not in moved and any(p in moved for p in node.parents):
                moved.add(node)
                self.order.append(node)
        self.expression = expression if expression is not None else _short_text(root, len(order))
        replayed = self.value(self.x)
        if not math.isclose(replayed, root.data, rel_tol=1e-9, abs_tol=1e-12):
            raise ValueError(
                f"gradcheck: the graph is out of date: recomputing it from its leaves gives {replayed!r}, "
                f"but the output holds {root.data!r}; a leaf changed after the forward pass. "
                "Run the forward pass again before checking"
            )

    def value(self, xs):
        """The output's value with the inputs set to ``xs`` (floats only, no graph)."""
        data = dict(zip(self.inputs, xs))
        for node in self.order:
            args = [data[p] if p in data else p.data for p in node.parents]
            try:
                data[node] = node.op.forward(*args)
            except _UNDEFINED as exc:
                raise domain_error(node.op, exc, args) from None
        return data.get(self.root, self.root.data)

    def build(self, xs):
        """(out, leaves): a fresh graph of the same ops with the inputs set to ``xs``."""
        leaves = [Value(x, label=label) for x, label in zip(xs, self.labels)]
        made = dict(zip(self.inputs, leaves))
        for node in self.order:
            made[node] = apply(node.op, *[made.get(p, p) for p in node.parents])
        return made.get(self.root, self.root), leaves


def _target(f, inputs):
    if isinstance(f, Op):  # a rule (of the table, or your own), checked on its own
        op = f
        return _Function(lambda *xs: apply(op, *xs), inputs)
    if isinstance(f, Value):
        return _Graph(f, inputs)
    if hasattr(f, "root") and hasattr(f, "leaves") and not callable(f):
        text = getattr(f, "text", None)
        return _Graph(f.root, f.leaves if inputs is None else inputs, text)
    if callable(f):
        return _Function(f, inputs)
    raise TypeError(
        f"gradcheck: cannot check {type(f).__name__}; give a function of Values and its inputs, "
        "an output Value, or an expression from engine.strategies"
    )


def _parameter_names(f, n):
    """Names for the inputs: f's parameter names when it has n plain ones, else x0, x1, ..."""
    try:
        params = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        params = []
    plain = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return plain[:n] if len(plain) >= n else [f"x{i}" for i in range(n)]


def _as_float(v, i):
    """A point's number as a float (a Value gives its data), by the number rule (engine.numbers)."""
    return v.data if isinstance(v, Value) else real(v, f"gradcheck's input {i}")


def _short(v):
    text = repr(v)
    return text if len(text) <= 40 else f"{text[:20]}...{text[-10:]} ({len(text)} characters)"


def _describe_leaf(v, i):
    return f"{i} ({v.label!r})" if v.label is not None else f"{i} (Value({v.data!r}))"


def _short_text(root, size, limit=40):
    """The graph as text for messages, when it is small enough to read."""
    return expression_text(root) if size <= limit else None


# ---------------------------------------------------------------------------
# The comparison


def _check(order, f, inputs, eps, atol, rtol, strict, raise_exception):
    eps, atol, rtol = (_tolerance(name, v) for name, v in (("eps", eps), ("atol", atol), ("rtol", rtol)))
    target = _target(f, inputs)
    x, labels = target.x, target.labels
    if not x:
        raise ValueError("gradcheck: there are no inputs to check")
    names = _unique(labels)
    out, leaves = (target.root, target.inputs) if isinstance(target, _Graph) else target.build(x)
    out_name = out.label if out.label is not None else "out"
    row_names = [f"∂{out_name}/∂{n}" for n in names]
    if target.expression is None:
        target.expression = _short_text(out, len(topological_order(out)))

    point = dict(zip(names, x))
    if not math.isfinite(out.data):
        at = ", ".join(f"{k}={v!r}" for k, v in point.items())
        raise ValueError(
            f"gradcheck: the output is {out.data} at {at}; only a finite output has derivatives to "
            "check: rescale the inputs"
        )
    for j, xj in enumerate(x):
        if xj + eps == xj or xj - eps == xj:
            raise ValueError(
                f"gradcheck: eps={eps:g} is too small for {names[j]}={xj!r}: x ± eps rounds to x in "
                f"float64, so there is no finite difference; use eps of about {max(abs(xj), 1.0) * 1e-6:.2g}"
            )

    # Analytic: rows of the Jacobian of F, where F is f (order 1) or its gradient (order 2).
    try:
        if order == 1:
            analytic = [grad(out, leaves)]
            F = lambda xs: [target.value(xs)]
            center = F(x)
        else:
            first = grad(out, leaves, create_graph=True)
            analytic = [grad(g, leaves) for g in first]

            def F(xs):
                o, ls = target.build(xs)
                return grad(o, ls)

            center = F(x)
    except _UNDEFINED as exc:  # no derivative at this point (sqrt or x ** 0.5 at 0): nothing to compare
        note = f"not defined here: {exc}"
        n = len(x) if order == 2 else 1
        checks = [
            Check(row_names[j] if order == 1 else _second_name(out_name, names, i, j),
                  math.nan, math.nan, math.nan, math.nan, "skipped", note)
            for i in range(n) for j in range(len(x))
        ]  # fmt: skip
        return _report(order, target.expression, point, checks, eps, atol, rtol, strict, raise_exception)
    if order == 1 and not math.isclose(center[0], out.data, rel_tol=1e-9, abs_tol=1e-12):
        raise ValueError(
            f"gradcheck: f gave {out.data!r} and then {center[0]!r} at the same inputs; "
            "it must be deterministic (fix the seed of any randomness inside it)"
        )

    checks = []
    order_of = {}  # report the derivatives row by row: ∂/∂x0, ∂/∂x1, ... (∂²/∂x0², ∂²/∂x0∂x1, ...)
    for i in range(len(analytic)):
        for j in range(len(x)):
            order_of[row_names[j] if order == 1 else _second_name(out_name, names, i, j)] = (i, j)
    for j in range(len(x)):
        up, down = list(x), list(x)
        up[j] += eps
        down[j] -= eps
        h_up, h_down = up[j] - x[j], x[j] - down[j]  # the steps as represented in floats
        try:
            f_up, f_down = F(up), F(down)
            bad = [v for v in f_up + f_down if not math.isfinite(v)]
            if bad:
                raise ArithmeticError(f"it gives {bad[0]}")
        except _UNDEFINED as exc:
            note = f"not defined at {names[j]} ± eps ({exc}): a domain edge, no finite difference there"
            for i in range(len(analytic)):
                name = row_names[j] if order == 1 else _second_name(out_name, names, i, j)
                checks.append(Check(name, analytic[i][j], math.nan, math.nan, math.nan, "skipped", note))
            continue
        for i in range(len(analytic)):
            name = row_names[j] if order == 1 else _second_name(out_name, names, i, j)
            a = analytic[i][j]
            numeric = (f_up[i] - f_down[i]) / (h_up + h_down)
            error, allowed = abs(a - numeric), atol + rtol * abs(numeric)
            status, note = "ok", ""
            if not error <= allowed:
                status, note = _kink(
                    a, (f_up[i] - center[i]) / h_up, (center[i] - f_down[i]) / h_down, atol, rtol
                )
            checks.append(Check(name, a, numeric, error, allowed, status, note))

    checks.sort(key=lambda c: order_of[c.name])
    return _report(order, target.expression, point, checks, eps, atol, rtol, strict, raise_exception)


def _report(order, expression, point, checks, eps, atol, rtol, strict, raise_exception):
    report = GradcheckReport(order, expression, point, tuple(checks), eps, atol, rtol, strict)
    if raise_exception and not report.ok:
        raise GradcheckError(report)
    return report


def _tolerance(name, v):
    """eps > 0, atol >= 0 and rtol >= 0: each a setting as a float (engine.numbers), or its error."""
    return setting(v, f"gradcheck's {name}", positive=name == "eps")


def _kink(analytic, right, left, atol, rtol):
    """Status and note for a derivative whose central difference disagrees: a kink, or a failure."""
    low, high = min(left, right), max(left, right)
    tol = atol + rtol * max(abs(left), abs(right))
    if high - low <= tol:  # the one-sided slopes agree: f is smooth here, so the analytic value is wrong
        return "failed", ""
    slopes = f"one-sided slopes {left:.6g} (left) and {right:.6g} (right)"
    if low - tol <= analytic <= high + tol:
        return "kink", f"a kink within eps: {slopes}; the analytic value lies between them"
    return "failed", f"a kink within eps: {slopes}, and the analytic value is outside them"


def _second_name(out_name, names, i, j):
    if i == j:
        return f"∂²{out_name}/∂{names[i]}²"
    return f"∂²{out_name}/∂{names[i]}∂{names[j]}"


def _unique(labels):
    """Labels for messages, with positions added where two inputs share one."""
    seen: dict[str, int] = {}
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
    return [label if seen[label] == 1 else f"{label}[{i}]" for i, label in enumerate(labels)]


# ---------------------------------------------------------------------------
# Text of a graph

__all__ = [
    "gradcheck", "gradgradcheck", "GradcheckError", "GradcheckReport", "Check",
    "expression_text",
]  # fmt: skip
