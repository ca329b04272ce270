"""The backward pass as a program: a graph written out as Python, and that Python run.

``codegen(root, inputs)`` writes the function the engine's backward pass amounts to:
one assignment per node in the order the forward pass ran them (each row of the rule
table says how it reads as code: ``Op.code``), then one accumulation per chain-rule
step, in the order ``backward_steps`` takes them, each with a comment giving the step
number and its local derivative (``engine.vocab.formula``). Nodes keep the names the
trace gives them (``engine.vocab.names``); a label that is not a plain identifier
becomes ``n<k>``, so no text from a label other than an identifier ever reaches the
code. Constants bound into ops, and leaves that are not inputs, appear as literals.

``compile(root, inputs)`` runs that source (only ever generated source, never user
text) and returns a callable: values of the inputs -> (value, gradients), the very
floats a new graph and ``backward()`` would give.

    >>> from engine import Value
    >>> x, w = Value(0.5, label="x"), Value(-2.0, label="w")
    >>> L = (x * w).tanh(); L.label = "L"
    >>> print(codegen(L, [x, w]), end="")
    # L and its gradients: a line per node, then one per chain-rule step (engine.codegen).
    <BLANKLINE>
    from engine.ops import tanh
    <BLANKLINE>
    <BLANKLINE>
    def forward_backward(x, w):
        # forward: one line per node, each after its inputs
        n1 = x * w
        L = tanh(n1)
        # backward: the chain-rule steps, in the order the engine takes them
        g_L = 1.0  # step 0: ∂L/∂L
        g_n1 = g_x = g_w = 0.0
        g_n1 += g_L * (1 - L * L)  # step 1: ∂L/∂n1 = 1 - L**2
        g_x += g_n1 * w  # step 2: ∂n1/∂x = w
        g_w += g_n1 * x  # step 3: ∂n1/∂w = x
        return L, (g_x, g_w)
    >>> f = compile(L, [x, w])
    >>> value, grads = f(0.5, -2.0)
    >>> L.backward(); value == L.data and grads == [x.grad, w.grad]
    True
"""

import builtins
import html
import keyword
import linecache
import math
import re
from collections.abc import Callable, Collection, Iterable
from typing import Any

from .. import ops, vocab, walks
from .._nodes import as_float
from ..numbers import real
from ..record.steps import check_root

FUNCTION = "forward_backward"  # the generated function's name
WIDTH = 100  # longest generated line before it is wrapped
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}\Z")  # ASCII only: no two labels fold to one name
_TEMPLATE = re.compile(r"\b(out|a|b|k)\b")
# Names the generated code uses itself (here and in nn's compiled training): never a node's name.
RESERVED = frozenset(dir(builtins)) | {FUNCTION, "RULES", "params", "rows", "targets", "losses", "outputs"}


class Source(str):
    """Generated Python source: a ``str`` that Jupyter shows syntax-highlighted."""

    def _repr_html_(self):
        try:
            from pygments import highlight
            from pygments.formatters import HtmlFormatter
            from pygments.lexers import PythonLexer
        except ImportError:
            return f"<pre>{html.escape(str(self))}</pre>"
        return highlight(str(self), PythonLexer(), HtmlFormatter(noclasses=True))


def code_names(root: Any, reserved: Iterable[str] = ()) -> dict:
    """Each node's name in generated code: its trace name where that is a plain identifier, else n<k>.

    A trace name is kept when it is an ASCII identifier of at most 40 characters, not a
    keyword, not taken by the code itself (builtins, ``RESERVED``, the engine's functions)
    and not starting with ``g_`` (gradients) or ``__``. Otherwise, or when two nodes
    share a name, the node gets the next free ``n<k>``.
    """
    shown = vocab.names(root)
    taken = set(RESERVED) | set(ops.functions()) | set(reserved)
    out, used = {}, set()
    for node, name in shown.items():
        if (
            _IDENTIFIER.match(name)
            and not keyword.iskeyword(name)
            and not name.startswith(("g_", "__"))
            and name not in taken
            and name not in used
        ):
            out[node] = name
            used.add(name)
    k = 0
    for node in shown:
        if node not in out:
            k += 1
            while f"n{k}" in used or f"n{k}" in taken:
                k += 1
            out[node] = f"n{k}"
            used.add(out[node])
    return out


def row(node: Any) -> ops.Op:
    """The op that made ``node``, if it is a row of ``engine.RULES`` (or one bound to a constant)."""
    op = node.op
    found = ops.RULES.get(getattr(op, "name", ""))
    if found is None or (found is not op if op.constant is None else found.partials is not op.partials):
        raise TypeError(
            f"{vocab.describe(node)} was made by {op!r}, which is not a row of engine.RULES, so it cannot be "
            "written as code; add the op to the rule table (engine.ops) or use the graph (backward())"
        )
    return op


def _template(entry, node, names, out):
    """One entry of a row's ``code`` filled in with this node's names, or None (call the row)."""
    op, args = node.op, [names[p] for p in node.parents]
    if entry is None:
        return None
    if callable(entry):
        return entry(args, op.constant)
    shown = dict(zip(op.inputs, args))
    shown["out"] = out
    if op.constant is not None:
        shown["k"] = ops.code_literal(op.constant)
    return _TEMPLATE.sub(lambda m: shown[m.group(1)], entry)


def _call_args(node, names, out=None):
    args = [names[p] for p in node.parents]
    if node.op.constant is not None:
        args.append(ops.code_literal(node.op.constant))
    return ", ".join(args + ([out] if out is not None else []))


def forward_code(node: Any, names: dict) -> str:
    """The Python text of ``node``'s forward, from its row: ``w1 * x1``, ``sigmoid(zH1)``."""
    op = row(node)
    text = _template(op.code[0] if op.code else None, node, names, names[node])
    return text if text is not None else f"RULES[{op.name!r}].forward({_call_args(node, names)})"


def partial_code(node: Any, index: int, names: dict) -> str:
    """The Python text of ∂node/∂parent[index], from its row: ``outH1``, ``out * (1 - out)`` filled in."""
    op = row(node)
    if op.arity is None and len(op.code) == 1:  # n-ary rows: each partial is an input or 1 (formula_at)
        return vocab.formula(node, index, names)
    entry = op.code[1 + index] if len(op.code) > 1 + index else None
    text = _template(entry, node, names, names[node])
    if text is not None:
        return text
    return f"RULES[{op.name!r}].partials({_call_args(node, names, names[node])})[{index}]"


def accumulate(grad: str, upstream: str, local: str, assign: bool = False) -> str:
    """``grad += upstream * local`` as code (``+= upstream`` for a local of 1, ``-=`` for -1)."""
    if local in ("1", "-1"):
        if assign:
            return f"{grad} = {'-' if local == '-1' else ''}{upstream}"
        return f"{grad} {'-' if local == '-1' else '+'}= {upstream}"
    if not (_IDENTIFIER.match(local) or re.fullmatch(r"[0-9.e+-]+|\(-[0-9.e+-]+\)", local)):
        local = f"({local})"
    return f"{grad} {'' if assign else '+'}= {upstream} * {local}"


class Program:
    """The pieces of a generated pass: names, forward lines, step lines and the imports they need.

    ``forward``: (node, line) in forward order (constant leaves as literals, inputs skipped);
    ``steps``: (number, node, parent, line, comment) in ``backward_steps`` order, only those
    into ``wanted`` nodes' ancestors when ``wanted`` is given; ``zeros``: the gradients that
    start at 0 (all but the root's, or only the leaves' with ``first_assigns``: then a node's
    first term is an assignment). With ``guard=m`` the steps of a node with at least m of
    them run only ``if`` its gradient is not 0 (they would add zeros): faster, same numbers.
    """

    def __init__(
        self,
        root: Any,
        inputs: Iterable,
        wanted: Collection | None = None,
        first_assigns: bool = False,
        reserved: Iterable[str] = (),
        guard: int | None = None,
    ) -> None:
        check_root(root)
        inputs = list(inputs)
        for v in inputs:
            check_root(v)
            if v.parents:
                raise ValueError(
                    f"the inputs of generated code are leaves (Values computed from nothing); "
                    f"{vocab.describe(v)} is computed from {len(v.parents)} others"
                )
        if len(set(map(id, inputs))) != len(inputs):
            raise ValueError("an input is listed twice; give each leaf once")
        self.root, self.inputs = root, inputs
        order = walks.forward_order(root)
        self.names = code_names(root, reserved)
        k = len(self.names)
        for v in inputs:  # inputs the root does not depend on still get a name (their gradient is 0)
            if v not in self.names:
                k += 1
                while f"n{k}" in self.names.values():
                    k += 1
                self.names[v] = f"n{k}"
        names, is_input = self.names, set(map(id, inputs))
        self.forward = []
        for node in order:
            if node.parents:
                self.forward.append((node, f"{names[node]} = {forward_code(node, names)}"))
            elif id(node) not in is_input:
                self.forward.append((node, f"{names[node]} = {node.data!r}  # held fixed"))
        needs = None
        if wanted is not None:
            needs = {id(v) for v in wanted}
            for node in reversed(walks.topological_order(root)):  # leaves first
                if any(id(p) in needs for p in node.parents):
                    needs.add(id(node))
        interior, _ = walks.postorder(root)
        counts = {}
        for node in interior:
            counts[node] = sum(1 for p in node.parents if needs is None or id(p) in needs)
        self.steps, seen, number, late = [], set(), 0, []
        for node in reversed(interior):  # as engine.backward.backprop takes them
            guarded = guard is not None and counts[node] >= guard
            for index, parent in enumerate(node.parents):
                number += 1
                if needs is not None and id(parent) not in needs:
                    continue
                local = partial_code(node, index, names)
                assign = first_assigns and bool(parent.parents) and parent not in seen and not guarded
                if first_assigns and parent.parents and parent not in seen and guarded:
                    late.append(parent)  # its first term may be skipped: it starts at 0 instead
                seen.add(parent)
                line = accumulate(f"g_{names[parent]}", f"g_{names[node]}", local, assign)
                comment = (
                    f"step {number}: ∂{names[node]}/∂{names[parent]} = {vocab.formula(node, index, names)}"
                )
                self.steps.append((number, node, parent, line, comment, guarded))
        grads = [
            n for n in walks.topological_order(root) if n is not root and (n.parents or not first_assigns)
        ]
        if needs is not None:
            grads = [n for n in grads if id(n) in needs]
        grads += [v for v in (inputs if wanted is None else wanted) if v not in grads and v is not root]
        self.zeros = [n for n in grads if not (first_assigns and n.parents)]
        self.late_zeros = late
        text = " ".join(line for _, line in self.forward) + " ".join(s[3] for s in self.steps)
        used = set(re.findall(r"\b([A-Za-z_]\w*)\(", text))
        self.imports = sorted(({"RULES"} if "RULES" in text else set()) | (used & set(ops.functions())))

    def import_line(self) -> str | None:
        """``from engine.ops import ...`` for what the code calls, or None."""
        return f"from engine.ops import {', '.join(self.imports)}" if self.imports else None

    def step_lines(self, indent: str, comments: bool = True) -> list[str]:
        """The chain-rule steps as lines; a guarded node's steps inside ``if g_node:``."""
        lines, current = [], None
        for _, node, _, line, comment, guarded in self.steps:
            if guarded and node is not current:
                lines.append(f"{indent}if g_{self.names[node]}:  # its steps add 0 when its gradient is 0")
            current = node
            lines += wrap(line, indent + "    " * guarded, comment if comments else None)
        return lines

    def zero_lines(self, indent: str, nodes: Iterable | None = None) -> list[str]:
        """``g_a = g_b = ... = 0.0``, wrapped: every gradient but the root's starts at 0."""
        names = [f"g_{self.names[n]}" for n in (self.zeros if nodes is None else nodes)]
        lines: list[str] = []
        line: list[str] = []
        for name in names:
            if line and len(indent) + len(" = ".join([*line, name])) + 6 > WIDTH:
                lines.append(indent + " = ".join(line) + " = 0.0")
                line = []
            line.append(name)
        if line:
            lines.append(indent + " = ".join(line) + " = 0.0")
        return lines


def wrap(line: str, indent: str, comment: str | None = None) -> list:
    """``line`` (code without its indent) as lines of at most WIDTH characters.

    A long line is broken after commas inside brackets; a comment that does not fit
    goes on its own line above.
    """
    full = f"{indent}{line}  # {comment}" if comment else f"{indent}{line}"
    if len(full) <= WIDTH:
        return [full]
    out = [f"{indent}# {comment}"] if comment else []
    if len(indent) + len(line) <= WIDTH:
        return [*out, indent + line]
    pieces, depth, start = [], 0, 0
    for i, ch in enumerate(line):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth > 0 and line[i + 1 : i + 2] == " ":
            pieces.append(line[start : i + 1])
            start = i + 2
    pieces.append(line[start:])
    current = indent + pieces[0]
    for piece in pieces[1:]:
        if len(current) + 1 + len(piece) > WIDTH:
            out.append(current)
            current = indent + "        " + piece
        else:
            current += " " + piece
    out.append(current)
    return out


def codegen(root: Any, inputs: Iterable[Any], gradient: float = 1.0) -> Source:
    """Python source of ``forward_backward(*inputs)`` -> (root's value, (∂root/∂input, ...)).

    One line per node of the forward pass, then one per chain-rule step in the order
    ``backward_steps(root)`` takes them, each commented with its step number and local
    derivative; names as the trace names nodes (see :func:`code_names`). ``gradient``
    seeds ∂root/∂root. Deterministic: the same graph gives the same text.
    """
    return _source(Program(root, inputs), gradient)


def _source(p, gradient):
    from ..backward import check_gradient

    gradient = check_gradient(gradient)
    names, r = p.names, p.names[p.root]
    lines = [
        f"# {r} and its gradients: a line per node, then one per chain-rule step (engine.codegen).",
        "",
    ]
    if p.import_line():
        lines += [p.import_line(), ""]
    lines += ["", *wrap(f"def {FUNCTION}({', '.join(names[v] for v in p.inputs)}):", "")]
    lines.append("    # forward: one line per node, each after its inputs")
    for _, line in p.forward:
        code, _, comment = line.partition("  # ")
        lines += wrap(code, "    ", comment or None)
    lines.append("    # backward: the chain-rule steps, in the order the engine takes them")
    lines.append(f"    g_{r} = {gradient!r}  # step 0: ∂{r}/∂{r}")
    lines += p.zero_lines("    ")
    lines += p.step_lines("    ")
    grads = ", ".join(f"g_{names[v]}" for v in p.inputs)
    lines += wrap(f"return {r}, ({grads}{',' if len(p.inputs) == 1 else ''})", "    ")
    return Source("\n".join(lines) + "\n")


class Compiled:
    """A generated pass, run: ``f(*values)`` -> (value, [∂root/∂input, ...]); ``f.source`` is its code."""

    def __init__(self, function: Callable, source: Source, names: list, root_name: str):
        self.function, self.source, self.names, self.root_name = function, source, names, root_name

    def __call__(self, *values: float) -> tuple:
        if len(values) != len(self.names):
            raise TypeError(
                f"this compiled pass takes {len(self.names)} numbers ({', '.join(self.names)}), "
                f"got {len(values)}"
            )
        xs = [  # a Value gives its number; any other number is asked of the number rule (engine.numbers)
            as_float(v) if hasattr(v, "parents") else real(v, f"the compiled pass's {name}")
            for v, name in zip(values, self.names)
        ]
        try:
            value, grads = self.function(*xs)
        except (ArithmeticError, ValueError) as exc:
            kind = type(exc)
            if kind in (ZeroDivisionError, OverflowError) and self._in_backward(exc):
                kind = FloatingPointError  # a local derivative that is not finite: the graph says the same
            raise kind(f"the compiled pass of {self.root_name} failed at {xs!r}: {exc}") from None
        if not math.isfinite(value):
            raise FloatingPointError(
                f"the compiled pass of {self.root_name} gave the non-finite value {value} at {xs!r}"
            )
        bad = [n for n, g in zip(self.names, grads) if not math.isfinite(g)]
        if bad:
            raise FloatingPointError(
                f"the compiled pass of {self.root_name} left non-finite gradients on {', '.join(bad[:5])}"
            )
        return value, list(grads)

    def _in_backward(self, exc: BaseException) -> bool:
        """Whether ``exc`` was raised on a line of the generated backward part (a chain-rule step)."""
        code = self.function.__code__
        marker = next(
            (
                k
                for k, line in enumerate(str(self.source).splitlines(), 1)
                if line.strip().startswith("# backward")
            ),
            None,
        )
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code is code:
                return marker is not None and tb.tb_lineno > marker
            tb = tb.tb_next
        return False

    def _repr_html_(self):
        return self.source._repr_html_()

    def __repr__(self):
        return f"<compiled pass of {self.root_name}: {len(self.source.splitlines())} lines>"


def run_source(source: str, name: str, filename: str = "<engine.codegen>") -> Callable:
    """Execute generated ``source`` (never user text) and return its function ``name``.

    The source is registered with ``linecache`` so a traceback shows the generated line.
    """
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict = {}
    exec(builtins.compile(source, filename, "exec"), namespace)  # generated from the rule table only
    return namespace[name]


def compile(root: Any, inputs: Iterable[Any], gradient: float = 1.0) -> Compiled:
    """``codegen(root, inputs)``, executed: a callable (values of the inputs) -> (value, gradients).

    Calling it with new numbers gives, bit for bit, the value and gradients a graph
    rebuilt at those numbers gives with ``backward()`` (the same operations in the same
    order); a math error or a non-finite result raises as the graph would.
    """
    p = Program(root, inputs)
    source = _source(p, gradient)
    function = run_source(source, FUNCTION, f"<engine.codegen of {p.names[root]}>")
    return Compiled(function, source, [p.names[v] for v in p.inputs], p.names[root])


__all__ = [
    "codegen",
    "compile",
    "Source",
    "Compiled",
    "Program",
    "code_names",
    "forward_code",
    "partial_code",
]
