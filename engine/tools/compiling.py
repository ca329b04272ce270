"""The backward pass as a program: a graph written out as Python, and that Python run.

``codegen(root, inputs)`` writes the function the engine's backward pass amounts to:
one assignment per node in the order the forward pass ran them (each row of the rule
table says how it reads as code: ``Op.code``, read as the documents write it: z = b1 +
w1 * x1 + w2 * x2, in the order the engine adds, and ``n1 ** 2``), then one accumulation
per chain-rule step into a node that an input's gradient needs, in the order
``backward_steps`` takes them, each with a comment giving the step number and its local
derivative (``engine.vocab.formula``). Leaves that are not inputs are held fixed: written
as literals, and given no gradient. Labelled nodes keep their label where it is a plain
identifier; every other node is ``n<k>``, counting up in program order, so no text from a
label other than an identifier ever reaches the code. Constants bound into ops appear as
literals.

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
        g_n1 += g_L * (1 - L * L)  # step 1: ∂L/∂n1 = 1 − L²
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
import itertools
import keyword
import linecache
import math
import re
import weakref
from collections.abc import Callable, Collection, Iterable
from typing import Any

from .. import ops, vocab, walks
from .._nodes import as_float
from ..numbers import is_real, real
from ..ops import is_name
from ..record.steps import check_root
from ..walks import Node

FUNCTION = "forward_backward"  # the generated function's name
WIDTH = 100  # longest generated line before it is wrapped
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}\Z")  # ASCII only: no two labels fold to one name
_TEMPLATE = re.compile(r"\b(out|a|b|k)\b")
# Names the generated code uses itself (here and in nn's compiled training): never a node's name.
RESERVED = frozenset(dir(builtins)) | {FUNCTION, "RULES", "params", "rows", "targets", "losses", "outputs"}
# What generated JavaScript may not name a node: its keywords, the globals it uses and its functions.
JS_RESERVED = frozenset(
    """break case catch class const continue debugger default delete do else enum export extends false
    finally for function if implements import in instanceof interface let new null package private
    protected public return static super switch this throw true try typeof var void while with yield
    await arguments eval undefined NaN Infinity Math Number Object Array JSON globalThis window
    document console local data grad value grads""".split()
) | set(ops.JS_FUNCTIONS)
LANGUAGES = ("python", "js")


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


def code_names(root: Node, reserved: Iterable[str] = (), extra: Iterable[Any] = ()) -> dict:
    """Each node's name in generated code: its label where that is a plain identifier, else n<k>.

    A label (the root's trace name, L, when it has none) is kept when it is an ASCII
    identifier of at most 40 characters, not a keyword, not taken by the code itself
    (builtins, ``RESERVED``, the engine's functions) and not starting with ``g_``
    (gradients) or ``__``; the first node in program order to carry it keeps it. Every
    other node gets the next free ``n<k>``, counting up in the order the program computes
    the nodes (the forward pass's order), then ``extra`` (inputs the root does not use).
    """
    order = walks.forward_order(root)
    placed = set(order)
    order += [v for v in dict.fromkeys(extra) if v not in placed]
    taken = set(RESERVED) | set(ops.code_functions()) | set(reserved)
    out, used = {}, set()
    for node in [root, *order]:
        name = vocab.root_name(root) if node is root else vocab.printable(node.label) if node.label else None
        if (
            node not in out
            and name is not None
            and _IDENTIFIER.match(name)
            and not keyword.iskeyword(name)
            and not name.startswith(("g_", "__"))
            and name not in taken
            and name not in used
        ):
            out[node] = name
            used.add(name)
    k = 0
    for node in order:
        if node not in out:
            k += 1
            while f"n{k}" in used or f"n{k}" in taken:
                k += 1
            out[node] = f"n{k}"
            used.add(out[node])
    return out


def row(node: Node) -> ops.Op:
    """The op that made ``node``, if it is a row of ``engine.RULES`` (or one bound to a constant)."""
    op = node.op
    found = ops.RULES.get(getattr(op, "name", ""))
    if found is None or (found is not op if op.constant is None else found.partials is not op.partials):
        raise TypeError(
            f"{vocab.describe(node)} was made by {op!r}, which is not a row of engine.RULES, so it cannot be "
            "written as code; add the op to the rule table (engine.ops) or use the graph (backward())"
        )
    return op


def literal(k: float) -> str:
    """A number as generated code writes it: ``2`` for 2.0 (the same float in any arithmetic with
    a float), else its repr (``0.5``, ``(-0.25)``); never a name such as ``inf``."""
    k = float(k)
    if not math.isfinite(k):
        raise ValueError(f"generated code writes numbers as literals, and {k} has none; keep it finite")
    negative_zero = k == 0 and math.copysign(1.0, k) < 0  # an int has no sign: -0.0 stays a float
    if k == int(k) and abs(k) < 2**53 and not negative_zero:
        text = str(int(k))
        return f"({text})" if k < 0 else text
    return ops.code_literal(k)


# The rows' own code texts, read as the documents write them (the same floats, bit for bit):
_WHOLE = re.compile(r"(?<![\w.])(\(?-?)(\d+)\.0(?![\d.e])(\)?)")  # 2.0 -> 2, (-1.0) -> (-1)
_POW_ONE = re.compile(r" \*\* 1(?![\d.e(])")  # x ** 1 is x
_SUM = re.compile(r"sum\(\((?P<items>[^()]*?),?\), (?P<start>[\w.]+)\)")  # sum((a, b * c), s)
# Python's sum() adds its floats one by one, left to right, before 3.12; from 3.12 it compensates
# for rounding (Neumaier), which a chain of + does not: there the code keeps the row's sum(...).
PLAIN_SUM = sum((1.0, 1e100, 1.0, -1e100), 0.0) == 0.0


def readable(text: str) -> str:
    """A row's code text as the documents write it, the same floats bit for bit.

    ``sum((w1 * x1, w2 * x2), b1)`` (the engine's ``sum(terms, start)``) reads
    ``b1 + w1 * x1 + w2 * x2``: the start first, then the terms, in the order ``sum`` adds
    them (only where Python's ``sum`` adds left to right: ``PLAIN_SUM``); whole numbers
    lose their ``.0`` (``n3 ** 2``, ``2 * n3``: an int meets a float as the same float) and
    ``x ** 1`` is ``x``.

    >>> readable("2.0 * n3 ** 1.0"), readable("n3 ** 2.0"), readable("x ** (-2.0)")
    ('2 * n3', 'n3 ** 2', 'x ** (-2)')
    """
    m = _SUM.fullmatch(text)
    if m and PLAIN_SUM:
        return " + ".join([m["start"], *m["items"].split(", ")])  # a start of 0.0 stays: 0.0 + -0.0 is 0.0
    if text.startswith("sum(") or " if " in text:  # 1.0 if a > 0 else 0.0: its result stays a float
        return text
    text = _WHOLE.sub(lambda w: f"{w[1]}{w[2]}{w[3]}" if (w[1] == "(-") == (w[3] == ")") else w[0], text)
    return _POW_ONE.sub("", text)


def _template(entry, node, names, out):
    """One entry of a row's ``code`` filled in with this node's names, or None (call the row)."""
    op = node.op
    if entry is None:
        return None
    if callable(entry):
        text = entry([names[p] for p in node.parents], op.constant)
        return None if text is None else readable(text)
    shown = dict(zip(op.inputs, (names[p] for p in node.parents)))
    shown["out"] = out
    if op.constant is not None:
        shown["k"] = literal(op.constant) if " if " not in entry else ops.code_literal(op.constant)
    return _TEMPLATE.sub(lambda m: shown[m.group(1)], entry)


def _call_args(node, names, out=None):
    args = [names[p] for p in node.parents]
    if node.op.constant is not None:
        args.append(ops.code_literal(node.op.constant))
    return ", ".join(args + ([out] if out is not None else []))


def forward_code(node: Node, names: dict) -> str:
    """The Python text of ``node``'s forward, from its row: ``w1 * x1``, ``sigmoid(zH1)``."""
    op = row(node)
    text = _template(op.code[0] if op.code else None, node, names, names[node])
    return text if text is not None else f"RULES[{op.name!r}].forward({_call_args(node, names)})"


def partial_code(node: Node, index: int, names: dict) -> str:
    """The Python text of ∂node/∂parent[index], from its row: ``outH1``, ``out * (1 - out)`` filled in."""
    op = row(node)
    if op.is_nary:  # n-ary rows: the row's partials entry, or the formula (an input or 1: formula_at)
        args = [names[p] for p in node.parents]
        return op.code[1](args, index) if len(op.code) > 1 else vocab.formula(node, index, names)
    entry = op.code[1 + index] if len(op.code) > 1 + index else None
    text = _template(entry, node, names, names[node])
    if text is not None:
        return text
    return f"RULES[{op.name!r}].partials({_call_args(node, names, names[node])})[{index}]"


def _js_entry(node: Any, index: int, names: dict) -> str:
    """Entry ``index`` of the row's ``js`` (0 the forward, 1 + i ∂out/∂input i) filled in for ``node``."""
    op = row(node)
    if op.is_nary and index > 0 and len(op.js) == 1:  # ∂out/∂x_i an input or 1, as in Python
        return vocab.formula(node, index - 1, names)
    if op.is_nary and index > 0 and len(op.js) > 1:  # (input names, index) -> text
        return op.js[1]([names[p] for p in node.parents], index - 1)
    entry = op.js[index] if len(op.js) > index else None
    text = None
    if callable(entry):
        text = entry([names[p] for p in node.parents], op.constant)
    elif isinstance(entry, str):
        shown = dict(zip(op.inputs, (names[p] for p in node.parents)))
        shown["out"] = names[node]
        if op.constant is not None:
            shown["k"] = literal(op.constant)
        text = _TEMPLATE.sub(lambda m: shown[m.group(1)], entry)
    if text is None:
        what = "forward" if index == 0 or op.is_nary else f"∂out/∂{op.inputs[index - 1]}"
        raise ValueError(
            f"{vocab.describe(node)} was made by the {op.name!r} row, which has no JavaScript {what} (the "
            "row's js field); give the row js=(forward, partial, ...) or generate Python (language='python')"
        )
    return text


def js_forward_code(node: Node, names: dict) -> str:
    """The JavaScript text of ``node``'s forward, from its row's ``js``: ``w1 * x1``, ``sigmoid(zH1)``."""
    return _js_entry(node, 0, names)


def js_partial_code(node: Node, index: int, names: dict) -> str:
    """The JavaScript text of ∂node/∂parent[index], from its row's ``js``: ``outY1 * (1 - outY1)``."""
    return _js_entry(node, 1 + index, names)


def check_language(language: object) -> str:
    """``language`` if it is one generated code is written in ("python", "js"), else a clear ValueError."""
    if language not in LANGUAGES:
        raise ValueError(f"generated code is written in 'python' or 'js' (JavaScript), not {language!r}")
    return str(language)


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
        language: str = "python",
    ) -> None:
        self.language = check_language(language)
        if language == "js":
            reserved = [*reserved, *JS_RESERVED]
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
        self.names = code_names(root, reserved, inputs)  # inputs the root does not use: named too
        names, is_input = self.names, set(map(id, inputs))
        self.forward = []
        js = language == "js"
        forward, partial = (js_forward_code, js_partial_code) if js else (forward_code, partial_code)
        self.partial = partial
        for node in order:
            if node.parents:
                self.forward.append((node, f"{names[node]} = {forward(node, names)}"))
            elif id(node) not in is_input:
                if not is_real(node.data):
                    raise ValueError(
                        f"{vocab.describe(node)} is held fixed at {node.data!r}, and generated code writes a "
                        "held value as a literal, so it must be a finite number; give it a finite value, "
                        "or list it among the inputs"
                    )
                self.forward.append((node, f"{names[node]} = {float(node.data)!r}  # held fixed"))
        if wanted is None:  # the gradients returned: the inputs' (none for leaves held fixed)
            wanted = inputs
        needs = {id(v) for v in wanted}
        for node in reversed(walks.topological_order(root)):  # leaves first
            if any(id(p) in needs for p in node.parents):
                needs.add(id(node))
        interior, _ = walks.postorder(root)
        counts = {}
        for node in interior:
            counts[node] = sum(1 for p in node.parents if id(p) in needs)
        self.steps, seen, number, late = [], set(), 0, []
        self.locals: dict = {}  # step number -> its local derivative's code text
        for node in reversed(interior):  # as engine.backward.backprop takes them
            guarded = guard is not None and counts[node] >= guard
            for index, parent in enumerate(node.parents):
                number += 1
                if id(parent) not in needs:
                    continue
                local = partial(node, index, names)
                self.locals[number] = local
                assign = first_assigns and bool(parent.parents) and parent not in seen and not guarded
                if first_assigns and parent.parents and parent not in seen and guarded:
                    late.append(parent)  # its first term may be skipped: it starts at 0 instead
                seen.add(parent)
                line = accumulate(f"g_{names[parent]}", f"g_{names[node]}", local, assign)
                comment = f"step {number}: {vocab.local_formula(node, index, names)}"  # as tables write it
                self.steps.append((number, node, parent, line, comment, guarded))
        grads = [
            n
            for n in walks.topological_order(root)
            if n is not root and (n.parents or not first_assigns) and id(n) in needs
        ]
        listed = set(grads)
        grads += [v for v in dict.fromkeys(wanted) if v not in listed and v is not root]
        self.zeros = [n for n in grads if not (first_assigns and n.parents)]
        self.late_zeros = late
        text = " ".join(line for _, line in self.forward) + " ".join(s[3] for s in self.steps)
        used = set(re.findall(r"\b([A-Za-z_]\w*)\(", text))
        self.imports = sorted(({"RULES"} if "RULES" in text else set()) | (used & set(ops.code_functions())))

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


def wrap(line: str, indent: str, comment: str | None = None, marker: str = "#", end: str = "") -> list:
    """``line`` (code without its indent) as lines of at most WIDTH characters.

    A long line is broken after commas inside brackets; a comment that does not fit
    goes on its own line above. ``marker`` starts a comment (``//`` in JavaScript) and
    ``end`` ends the statement (``;``).
    """
    full = f"{indent}{line}{end}  {marker} {comment}" if comment else f"{indent}{line}{end}"
    if len(full) <= WIDTH:
        return [full]
    out = [f"{indent}{marker} {comment}"] if comment else []
    if len(indent) + len(line) + len(end) <= WIDTH:
        return [*out, indent + line + end]
    head, eq, rhs = line.partition(" = ")
    long_sum = bool(eq) and " + " in rhs and "(" not in rhs  # b1 + w1 * x1 + ...: broken before a +
    if long_sum:
        line = f"{head} = ({rhs})"
    line += end
    pieces, depth, start = [], 0, 0
    for i, ch in enumerate(line):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth > 0 and line[i + 1 : i + 2] == " ":
            pieces.append(line[start : i + 1])
            start = i + 2
        elif long_sum and ch == "+" and depth == 1 and line[i - 1 : i + 2] == " + ":
            pieces.append(line[start : i - 1])
            start = i
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


def codegen(root: Node, inputs: Iterable[Node], gradient: float = 1.0, language: str = "python") -> Source:
    """Python source of ``forward_backward(*inputs)`` -> (root's value, (∂root/∂input, ...)).

    One line per node of the forward pass, then one per chain-rule step in the order
    ``backward_steps(root)`` takes them, each commented with its step number and local
    derivative; names as the trace names nodes (see :func:`code_names`). ``gradient``
    seeds ∂root/∂root. Deterministic: the same graph gives the same text.

    ``language="js"`` writes the same program as JavaScript, from the rows' ``js``
    fields: ``function forward_backward(...)`` returning ``[value, [∂root/∂input, ...]]``,
    the same names, lines and arithmetic in the same order (a row with no JavaScript form
    is refused with a ValueError). A label that is a JavaScript word (``this``, ``Math``)
    is renamed n<k> there.
    """
    if check_language(language) == "js":
        return _js_source(Program(root, inputs, language="js"), gradient)
    return _source(Program(root, inputs), gradient)


def _js_comment(text: str) -> str:
    """A comment's text that cannot end its line early (U+2028/2029 end a line in JavaScript)."""
    return text.replace("\u2028", " ").replace("\u2029", " ")


def _js_functions(text: str) -> list[str]:
    """The definitions of the JS_FUNCTIONS that ``text`` calls, and those they call, each once."""
    found: dict = {}
    todo = [text]
    while todo:
        for name in re.findall(r"(?<![\w.])([A-Za-z_]\w*)\(", todo.pop()):
            if name in ops.JS_FUNCTIONS and name not in found:
                found[name] = ops.JS_FUNCTIONS[name]
                todo.append(found[name])
    return [found[name] for name in ops.JS_FUNCTIONS if name in found]  # in the table's order


def _js_body(p: "Program", gradient: float, indent: str = "  ") -> list[str]:
    """The forward and backward lines of a JavaScript program (its function's body, without return)."""
    from ..backward import check_gradient

    gradient = check_gradient(gradient)
    r = p.names[p.root]
    lines = [f"{indent}// forward: one line per node, each after its inputs"]
    for _, line in p.forward:
        code, _, comment = line.partition("  # ")
        lines += wrap(f"const {code}", indent, comment or None, "//", ";")
    lines.append(f"{indent}// backward: the chain-rule steps, in the order the engine takes them")
    lines.append(f"{indent}let g_{r} = {gradient!r};  // step 0: ∂{r}/∂{r}")
    zeros = [f"g_{p.names[n]} = 0.0" for n in p.zeros]
    current = f"{indent}let"
    for k, zero in enumerate(zeros):  # let g_a = 0.0, g_b = 0.0, ...; wrapped
        piece = f" {zero}{';' if k == len(zeros) - 1 else ','}"
        if len(current) + len(piece) > WIDTH and current.strip() != "let":
            lines.append(current)
            current = f"{indent}   "
        current += piece
    if zeros:
        lines.append(current)
    for _, _, _, line, comment, _ in p.steps:
        lines += wrap(line, indent, _js_comment(comment), "//", ";")
    return lines


def _js_source(p: "Program", gradient: float) -> Source:
    names, r = p.names, p.names[p.root]
    body = _js_body(p, gradient)
    lines = [
        f"// {r} and its gradients: a line per node, then one per chain-rule step (engine.codegen).",
        "",
    ]
    for definition in _js_functions("\n".join(body)):
        lines += [definition, ""]
    lines += wrap(f"function {FUNCTION}({', '.join(names[v] for v in p.inputs)}) {{", "")
    lines += body
    grads = ", ".join(f"g_{names[v]}" for v in p.inputs)
    lines += wrap(f"return [{r}, [{grads}]]", "  ", None, "//", ";")
    lines.append("}")
    return Source("\n".join(lines) + "\n")


def js_record(root: Node, inputs: Iterable[Node], nodes: Iterable[Node], name: str = "record") -> str:
    """JavaScript of ``name(*inputs)``: the whole pass as the engine records it, for a page to redraw.

    It returns ``{value, grads, data, grad, local}``: the root's value, the inputs' gradients,
    each of ``nodes``' data and gradient (in that order; every node of the graph may be
    listed) and every chain-rule step's local derivative, ``local[k - 1]`` for step k as
    ``backward_steps`` numbers them. The same lines as ``codegen(root, inputs,
    language="js")`` (the locals computed once more, the same floats), so the numbers are
    those ``backward()`` gives a graph rebuilt at the new inputs.
    """
    leaves = [n for n in walks.topological_order(root) if not n.parents]
    p = Program(root, inputs, wanted=leaves, language="js")
    if not is_name(name) or name in JS_RESERVED:
        raise ValueError(f"the function's name is a plain identifier, not {name!r}")
    names = p.names
    nodes = list(nodes)
    missing = [n for n in nodes if n not in names]
    if missing:
        raise ValueError(f"{vocab.describe(missing[0])} is not a node of {names[root]}'s graph")
    body = _js_body(p, 1.0)
    total = max(p.locals, default=0)
    local = [p.locals.get(k, "0.0") for k in range(1, total + 1)]
    lines = []
    for definition in _js_functions("\n".join(body)):
        lines += [definition, ""]
    lines.append(f"function {name}({', '.join(names[v] for v in p.inputs)}) {{")
    lines += body
    grad_of = {n: f"g_{names[n]}" for n in p.zeros} | {root: f"g_{names[root]}"}
    parts = {
        "value": names[root],
        "grads": f"[{', '.join(grad_of.get(v, '0.0') for v in p.inputs)}]",
        "data": f"[{', '.join(names[n] for n in nodes)}]",
        "grad": f"[{', '.join(grad_of.get(n, '0.0') for n in nodes)}]",
        "local": f"[{', '.join(local)}]",
    }
    lines += wrap(f"return {{{', '.join(f'{k}: {v}' for k, v in parts.items())}}}", "  ", None, "//", ";")
    lines.append("}")
    return "\n".join(lines) + "\n"


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


_SERIAL = itertools.count(1)  # each run gets a file name of its own in linecache


def run_source(source: str, name: str, filename: str = "<engine.codegen>") -> Callable:
    """Execute generated ``source`` (never user text) and return its function ``name``.

    The source is registered with ``linecache`` (under ``filename`` and a serial number) so a
    traceback shows the generated line; the entry is removed when the function is collected.
    """
    filename = (
        f"{filename[:-1]} #{next(_SERIAL)}>" if filename.endswith(">") else f"{filename} #{next(_SERIAL)}"
    )
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict = {}
    try:
        exec(builtins.compile(source, filename, "exec"), namespace)  # generated from the rule table only
        function = namespace[name]
    except BaseException:
        linecache.cache.pop(filename, None)
        raise
    weakref.finalize(function, linecache.cache.pop, filename, None)
    return function


def compile(root: Node, inputs: Iterable[Node], gradient: float = 1.0) -> Compiled:
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
    "js_record",
    "compile",
    "Source",
    "Compiled",
    "Program",
    "code_names",
    "forward_code",
    "partial_code",
    "literal",
    "readable",
    "PLAIN_SUM",
]
