"""Your turn: the learner computes each chain-rule step, and a wrong answer is diagnosed.

``quiz(L)`` walks one recorded backward pass (all of it, or ``to="w1"``, the steps on the
paths to w1). At each step it asks for the local derivative ∂node/∂parent, the product, or
the new ∂L/∂parent (``ask`` chooses which), as a number or as a formula in the graph's own
names (``outY1 * (1 - outY1)``), read by the safe formula parser :mod:`engine.tools.expr`
and never run as code. A first miss gets the rule table's formula as a hint; a second
gets the answer and what the miss most likely was (:mod:`engine.views.diagnosing`). A
:class:`Quiz` is a plain object, so a notebook widget (:meth:`Quiz.widget`), the terminal
(:meth:`Quiz.play`, ``chainrule steps --quiz``) and an offline page (:meth:`Quiz.page`)
share it.

    >>> from engine import Value
    >>> x, w = Value(0.5, label="x"), Value(-2.0, label="w")
    >>> z = x * w; z.label = "z"
    >>> out = z.sigmoid(); out.label = "out"
    >>> q = quiz(out)
    >>> print(q.question.ask)
    ∂out/∂z = ?
    >>> q.answer("out * (1 - out)").correct
    True
"""

import html
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from .. import markup, numbers, vocab
from ..record.tracing import Trace, record
from ..tools import expr
from ..vocab import fmt
from ..walks import Node
from .diagnosing import ABS, Candidate, close, swapped_local

REL = 5e-4  # a typed number is right within 0.05 %: about four significant digits, as hand work rounds
ASK = ("local", "grad")  # what each step asks by default
KINDS = ("local", "product", "grad")


@dataclass(frozen=True, slots=True, eq=False)
class Question:
    """One thing to compute at one chain-rule step: ``what`` is "local", "product" or "grad".

    ``context`` gives the numbers the step starts from, ``ask`` the quantity asked for,
    ``answer`` its value, ``hint`` the rule-table formula shown after a first miss and
    ``slips`` what the usual mistakes would give (:class:`Candidate`).
    """

    number: int
    step: Any
    what: str
    context: str
    ask: str
    answer: float
    hint: str
    solution: str
    slips: tuple

    @property
    def prompt(self) -> str:
        """The question as the terminal shows it: the context, then what to compute."""
        return f"{self.context}\n{self.ask}"


@dataclass(frozen=True, slots=True)
class Feedback:
    """What one answer got. ``valid`` is False for text that is not a number or formula (no try
    is used up); ``done`` is True when the quiz moves on (a right answer, or a second miss, when
    ``solution`` and the diagnosis ``kind`` are filled in)."""

    correct: bool
    valid: bool
    done: bool
    text: str
    value: float | None = None
    hint: str | None = None
    solution: str | None = None
    kind: str | None = None

    def __str__(self):
        return self.text


class QuizError(ValueError):
    """The quiz cannot be made as asked; the message says why."""


class Quiz:
    """A quiz over one recorded backward pass: ``.question`` (None at the end), ``.answer(text)``,
    ``.score`` as (right, asked so far) and ``.text_score()``. See :func:`quiz`."""

    def __init__(
        self, root: Any, to: Any = None, ask: Any = ASK, digits: int = vocab.DIGITS, rel: float = REL
    ) -> None:
        t = record(root)
        if to is not None:
            t = t.to(to)
        if isinstance(ask, str):
            ask = (ask,)
        ask = tuple(ask)
        bad = [a for a in ask if a not in KINDS]
        if bad or not ask:
            raise QuizError(f"ask takes some of {', '.join(KINDS)}, got {ask!r}")
        if not t.steps:
            raise QuizError(f"there are no chain-rule steps below {t.names[t.root]} to ask about")
        self.trace: Trace = t
        self.digits = numbers.count(digits, "quiz(digits=...)")
        self.rel = numbers.setting(rel, "quiz(rel=...)")
        self.values = {name: node.data for node, name in t.names.items() if name.isidentifier()}
        first: dict = {}  # parent -> the first step that adds to it
        for s in t.steps:
            first.setdefault(s.parent, s)
        self.questions = [
            _question(t, s, what, len(t.steps) * len(ask), k, self.digits, first[s.parent] is s)
            for k, (s, what) in enumerate(((s, w) for s in t.steps for w in ask), 1)
        ]
        self.index = 0
        self.tries = 0
        self.right = 0
        self.first_try = 0
        self.log: list = []  # (question, feedback) of every finished question

    @property
    def question(self) -> Question | None:
        """The question now asked, or None when every question is done."""
        return self.questions[self.index] if self.index < len(self.questions) else None

    @property
    def finished(self) -> bool:
        return self.index >= len(self.questions)

    @property
    def score(self) -> tuple[int, int]:
        """(questions answered right, questions finished)."""
        return self.right, self.index

    def text_score(self) -> str:
        """The score as a sentence."""
        right, asked = self.score
        if asked == 0:
            return f"score: no question answered yet (of {len(self.questions)})"
        first = f", {self.first_try} at the first try" if self.right else ""
        rest = "" if self.finished else f" ({len(self.questions) - asked} not asked)"
        return f"score: {right} of {asked} right{first}{rest}"

    def read(self, text: Any) -> float:
        """The number ``text`` means: a number or a formula in the graph's names (else ExpressionError)."""
        if not isinstance(text, str):
            raise expr.ExpressionError(f"type a number or a formula as text, not {type(text).__name__}")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise expr.ExpressionError(
                "the text holds bytes that are not UTF-8 text (or a lone surrogate)"
            ) from None
        used = expr.names(text)  # parses and checks against the whitelist first
        unknown = [n for n in used if n not in self.values]
        if unknown:
            some = ", ".join(list(self.values)[:12]) + (", ..." if len(self.values) > 12 else "")
            raise expr.ExpressionError(f"no node named {unknown[0]!r} in this graph; its names: {some}")
        result, _ = expr.build(text, {n: self.values[n] for n in used})
        return float(result.data)

    def answer(self, text: Any) -> Feedback:
        """Check ``text`` against the current question and move on when it is done."""
        q = self.question
        if q is None:
            return Feedback(False, False, True, f"the quiz is over; {self.text_score()}")
        try:
            value = self.read(text)
        except expr.ExpressionError as exc:
            return Feedback(False, False, False, f"cannot read that: {exc}")
        d = self.digits
        if close(value, q.answer, self.rel, ABS):
            self.right += 1
            self.first_try += self.tries == 0
            fb = Feedback(True, True, True, f"right: {q.solution}", value)
        elif self.tries == 0:
            self.tries = 1
            return Feedback(False, True, False, f"not {fmt(value, d)}; hint: {q.hint}", value, q.hint)
        else:
            slip = next((c for c in q.slips if close(value, c.value, self.rel, ABS)), None)
            why = f" ({slip.text})" if slip is not None else " (no usual slip gives that)"
            kind = slip.kind if slip is not None else "unknown"
            fb = Feedback(False, True, True, f"not {fmt(value, d)}{why}; {q.solution}", value, q.hint,
                          q.solution, kind)  # fmt: skip
        self.log.append((q, fb))
        self.index += 1
        self.tries = 0
        return fb

    def __repr__(self):
        return f"<Quiz of {len(self.questions)} questions on {len(self.trace)} steps: {self.text_score()}>"

    # -- the three faces

    def play(self, input: TextIO | None = None, output: TextIO | None = None) -> tuple[int, int]:
        """Ask every question in the terminal, one line per answer; end of input (Ctrl-D) gives the score."""
        input = sys.stdin if input is None else input
        output = sys.stdout if output is None else output
        L = self.trace.names[self.trace.root]
        intro = f"Your turn: {len(self.questions)} questions on the backward pass from {L}. Type a number "
        intro += f"or a formula in the graph's names (e.g. {_example(self)}); Ctrl-D ends."
        print(intro, file=output)
        unreadable = 0
        while (q := self.question) is not None:
            print(f"\n{q.prompt}", file=output)
            line = _readline(input, output)
            unreadable = unreadable + 1 if line == "\udcff" else 0
            if line is None or unreadable > 10:  # the end, or a stream of bytes that never become text
                print("", file=output)
                break
            fb = self.answer(line)
            print(f"  {fb.text}", file=output)
        print(f"\n{self.text_score()}", file=output)
        return self.score

    def widget(self) -> Any:
        """The quiz as an ipywidgets box: question, an #answer field, a Check button, the feedback."""
        try:
            import ipywidgets as w
        except ImportError:
            raise ImportError("the quiz widget needs ipywidgets: pip install 'chainrule[widgets]'") from None
        question, feedback, score = w.HTML(), w.HTML(), w.HTML()
        box = w.Text(placeholder="a number or a formula, e.g. " + _example(self), description="answer")
        check = w.Button(description="Check")

        def show(fb=None):
            q = self.question
            question.value = "<p><b>the end</b></p>" if q is None else _html_lines(q.prompt)
            if fb is not None:
                color = "#070" if fb.correct else ("#a60" if not fb.done or not fb.valid else "#b00")
                feedback.value = f'<p style="color:{color}">{_h(fb.text)}</p>'
            score.value = f"<p><small>{_h(self.text_score())}</small></p>"

        def on_check(_=None):
            fb = self.answer(box.value)
            show(fb)
            if fb.done:
                box.value = ""

        check.on_click(on_check)
        show()
        ui = w.VBox([question, w.HBox([box, check]), feedback, score])
        ui.quiz, ui.field, ui.check, ui.feedback = self, box, check, feedback  # for tests and notebooks
        return ui

    def _ipython_display_(self):  # pragma: no cover - Jupyter only
        from IPython.display import display

        try:
            display(self.widget())
        except ImportError:
            display(repr(self))

    def page(self, path: Any) -> Path:
        """Write the quiz as one offline HTML page (no network, works from file://); returns the path."""
        from .quizpage import write

        return write(self, path)


def quiz(
    root: "Node | Trace", to: Any = None, ask: Any = ASK, digits: int = vocab.DIGITS, rel: float = REL
) -> Quiz:
    """A :class:`Quiz` on the backward pass of ``root`` (a Value or a Trace), on every step or
    those on the paths to ``to`` (as ``Trace.to``). ``ask`` is some of "local", "product",
    "grad"; a typed number is right within ``rel`` (relative) or 1e-9. No ``.grad`` changes."""
    return Quiz(root, to, ask, digits, rel)


# ---------------------------------------------------------------------------


def _question(t: Trace, s: Any, what: str, n: int, number: int, d: int, first: bool) -> Question:
    L, N, P = s.root_name, s.node_name, s.parent_name
    before = s.grad - s.product  # ∂L/∂parent before this step
    local = f"∂{N}/∂{P}"
    if s.node.parents.count(s.parent) > 1:  # x * x: say which use of x this step is
        local += f" (as input {s.index + 1} of {len(s.node.parents)})"
    formula = vocab.pretty(s.formula)
    head = f"question {number} of {n}, step {s.number}: {N} = {vocab.pretty(_key(t, s.node))}"
    values = f"{N} = {fmt(s.node.data, d)}, {P} = {fmt(s.parent.data, d)}, ∂{L}/∂{N} = {fmt(s.upstream, d)}"
    context = f"{head}\n  {values}"
    row = f"{_input(s)}{vocab.pretty(s.rule)}"
    rule = f"the rule table's {s.node.op.name} row gives {row}; here {local} = {formula}"
    swap = swapped_local(s, t.names)
    slips: list = []
    if what == "local":
        ask, answer = f"{local} = ?", s.local
        hint = rule
        solution = f"{local} = {formula} = {fmt(s.local, d)}"
        slips.append(Candidate("sign", -s.local, "the sign is wrong"))
        if swap is not None:
            slips.append(Candidate("local_at_input", swap[0], f"taken at the {swap[2]}: {swap[1]}"))
        slips.append(Candidate("missing_upstream", s.product, f"that is the product ∂{L}/∂{N} · {local}"))
    elif what == "product":
        ask, answer = f"∂{L}/∂{N} · {local} = ?", s.product
        hint = f"multiply ∂{L}/∂{N} = {fmt(s.upstream, d)} by {local} ({rule})"
        solution = f"∂{L}/∂{N} · {local} = {fmt(s.upstream, d)} × {fmt(s.local, d)} = {fmt(s.product, d)}"
        slips.append(Candidate("sign", -s.product, "the sign is wrong"))
        slips.append(Candidate("missing_upstream", s.local, f"only {local}: the chain needs ∂{L}/∂{N} too"))
        if swap is not None:
            slips.append(Candidate("local_at_input", s.upstream * swap[0], f"{local} taken at the {swap[2]}"))
    else:
        ask = f"∂{L}/∂{P} after this step = ?"
        answer = s.grad
        so_far = (
            f"this is the first step into {P}"
            if first
            else f"∂{L}/∂{P} was {fmt(before, d)} before this step"
        )
        hint = f"∂{L}/∂{P} += ∂{L}/∂{N} · {local}, with {local} = {formula}; {so_far}"
        added = f"{fmt(s.upstream, d)} × {fmt(s.local, d)} = {fmt(s.grad, d)}"
        solution = f"∂{L}/∂{P} = {added}" if first else f"∂{L}/∂{P} = {fmt(before, d)} + {added}"
        if not first:
            lost = f"= instead of +=: the {fmt(before, d)} from earlier steps into {P} is lost"
            slips.append(Candidate("missing_path", s.product, lost))
        slips.append(Candidate("sign", before - s.product, "the product was subtracted, not added"))
        slips.append(
            Candidate("missing_upstream", before + s.local, f"only {local}: the chain needs ∂{L}/∂{N} too")
        )
        if swap is not None:
            slips.append(
                Candidate("local_at_input", before + s.upstream * swap[0], f"{local} taken at the {swap[2]}")
            )
    for r in (2.0, 0.5):
        slips.append(Candidate("factor", r * answer, f"off by a factor of {r:g}"))
    return Question(number, s, what, context, ask, answer, hint, solution, tuple(slips))


def _input(s: Any) -> str:
    """``∂out/∂a = `` for a row with named inputs; nothing for sum and dot, whose inputs are numbered."""
    op = s.node.op
    return f"∂out/∂{op.inputs[s.index]} = " if op.arity is not None and s.index < len(op.inputs) else ""


def _key(t: Trace, node: Any) -> str:
    """What ``node`` computes, in its parents' names (``σ(zY1)``)."""
    from ..ops import ATOM

    parents = [(t.names[p], ATOM) for p in node.parents]
    return node.op.format(parents, node.op.constant)[0]


def _example(q: Quiz) -> str:
    """A number and a formula a learner might type: the first step whose formula names a node."""
    for s in q.trace.steps:
        if any(c.isalpha() for c in s.formula) and all(n in q.values for n in _safe_names(s.formula)):
            return f"{fmt(s.local, 3)} or {s.formula}"
    return fmt(q.trace.steps[0].local, 3)


def _safe_names(text: str) -> list:
    try:
        return expr.names(text)
    except expr.ExpressionError:
        return ["?"]


def _readline(input: TextIO, output: TextIO) -> str | None:
    """One answer line; None at the end of input (or a closed stream, or Ctrl-C). Bytes that are not
    UTF-8 come back as a lone surrogate, which :meth:`Quiz.read` refuses with a clear message."""
    print("> ", end="", file=output, flush=True)
    try:
        line = input.readline()
    except UnicodeDecodeError:
        return "\udcff"
    except (ValueError, OSError, KeyboardInterrupt):  # a closed stream, or Ctrl-C: the end
        return None
    if line == "":
        return None
    return line.rstrip("\r\n")


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def _html_lines(text: str) -> str:
    return "<p>" + "<br/>".join(markup.markup(line) for line in text.splitlines()) + "</p>"


__all__ = ["quiz", "Quiz", "Question", "Feedback", "QuizError", "REL", "ASK", "KINDS"]
