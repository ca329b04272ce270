"""Tests for engine.views.quizzing and quizpage: the quiz's logic, its widget and its offline page."""

import io
import json
import re
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
import nn
from engine import Value
from engine.tools import expr
from engine.views import quizpage
from engine.views.quizzing import REL, Quiz, QuizError, quiz

HOSTILE = [
    "",
    "   ",
    "__import__('os').system('true')",
    "open('/etc/passwd')",
    "().__class__",
    "x" * 20_000,
    "1e999",
    "nan",
    "inf",
    "lambda: 1",
    "exp(",
    "outY1 outY1",
    "\x00",
    "\ud800",
    "'text'",
    "[1, 2]",
    "1 if 1 else 2",
    "no_such_node * 2",
    "(" * 500 + "1" + ")" * 500,
]


@pytest.fixture
def net():
    return nn.seed002()


def right_answer(q):
    """The number each question asks for, read from the recorded step itself."""
    s = q.step
    return {"local": s.local, "product": s.product, "grad": s.grad}[q.what]


def test_right_numbers_score_full_marks(net):
    """Typing each step's recorded number answers every question right at the first try."""
    q = quiz(net.E, ask=("local", "product", "grad"))
    t = engine.trace(nn.seed002().E)
    assert len(q.questions) == 3 * len(t)
    while q.question is not None:
        fb = q.answer(repr(right_answer(q.question)))
        assert fb.correct and fb.done
    assert q.score == (len(q.questions), len(q.questions)) and q.first_try == len(q.questions)
    assert (
        q.text_score()
        == f"score: {len(q.questions)} of {len(q.questions)} right, {len(q.questions)} at the first try"
    )


def test_the_quiz_changes_no_grad(net):
    """Making and answering a quiz leaves every .grad as it was."""
    nodes = engine.walks.topological_order(net.E)
    for k, n in enumerate(nodes):
        n.grad = 0.5 * k
    before = [n.grad for n in nodes]
    q = quiz(net.E)
    q.answer("1")
    q.answer("nonsense(")
    assert [n.grad for n in nodes] == before


def test_formulas_in_the_graphs_names(net):
    """Each step's rule-table formula, in the graph's names, is a right answer to its local derivative."""
    q = quiz(net.E, ask="local")
    n = 0
    while q.question is not None:
        fb = q.answer(q.question.step.formula)
        assert fb.correct, (q.question.step.formula, fb.text)
        n += 1
    assert n == len(engine.trace(nn.seed002().E))
    assert quiz(net.E, to="w5", ask="local").answer("1.0 * 1").correct


def test_rounded_numbers_are_right(net):
    """Hand-rounded numbers (about four significant digits) are right; three digits off are not."""
    q = quiz(net.E, to="w5", ask="local")
    while q.question.step.node.label != "outY1":
        q.answer(repr(right_answer(q.question)))
    assert q.question.ask == "∂outY1/∂zY1 = ?"
    exact = right_answer(q.question)
    assert REL == 5e-4
    assert not q.answer(f"{exact * (1 + 1.5 * REL):.8f}").correct
    assert q.answer("0.23212").correct


def test_a_miss_gets_a_hint_then_the_answer_and_the_slip(net):
    """A first miss shows the rule-table formula; a second, the answer and what the slip was."""
    q = quiz(net.E, to="w5", ask="local")
    while q.question.step.node.label != "outY1":
        q.answer(repr(right_answer(q.question)))
    index = q.index
    first = q.answer("zY1 * (1 - zY1)")
    assert not first.correct and not first.done and first.valid
    assert "sigmoid row gives ∂out/∂a = out · (1 − out); here ∂outY1/∂zY1 = outY1 · (1 − outY1)" in first.text
    assert q.index == index
    second = q.answer("zY1 * (1 - zY1)")
    assert (
        second.done
        and second.kind == "local_at_input"
        and "taken at the input: zY1 · (1 − zY1)" in second.text
    )
    assert "∂outY1/∂zY1 = outY1 · (1 − outY1) = 0.23212" in second.text
    assert q.index == index + 1 and q.score == (index, index + 1)


def test_equals_instead_of_plus_equals(net):
    """At a second step into outH1, the product alone (= for +=) is diagnosed as a lost earlier path."""
    q = quiz(net.E, to="w1", ask="grad")
    while not (q.question.step.parent.label == "outH1" and q.question.step.product != q.question.step.grad):
        q.answer(repr(right_answer(q.question)))
    product = repr(q.question.step.product)
    assert not q.answer(product).done
    fb = q.answer(product)
    assert fb.kind == "missing_path" and "= instead of +=" in fb.text


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_gets_a_clear_message(net, text):
    """Text that is not a number or a formula of the graph is refused, saying why, and uses no try."""
    q = quiz(net.E)
    fb = q.answer(text)
    assert not fb.valid and not fb.correct and not fb.done
    assert fb.text.startswith("cannot read that: ") and len(fb.text) < 700
    assert (q.index, q.tries) == (0, 0)


def test_not_text_is_refused(net):
    """An answer that is not a str is refused with a message, not an exception."""
    fb = quiz(net.E).answer(0.5)
    assert not fb.valid and "as text" in fb.text


def test_to_keeps_the_steps_to_a_parameter(net):
    """quiz(L, to="w1") asks only about the steps of Trace.to("w1")."""
    q = quiz(net.E, to="w1")
    steps = engine.trace(nn.seed002().E).to("w1")
    assert [x.step.number for x in q.questions[::2]] == [s.number for s in steps]


@pytest.mark.parametrize(
    "kwargs, error, message",
    [({"ask": "bogus"}, QuizError, "ask takes"), ({"ask": ()}, QuizError, "ask takes"),
     ({"to": "w9"}, KeyError, "no node labelled"), ({"digits": 0}, ValueError, "digits"),
     ({"rel": -1.0}, ValueError, "rel")],
)  # fmt: skip
def test_bad_settings(net, kwargs, error, message):
    """A bad ask, to, digits or rel is refused clearly."""
    with pytest.raises(error, match=message):
        Quiz(net.E, **kwargs)


def test_a_leaf_has_nothing_to_ask():
    """A root with no steps makes no quiz, and says so."""
    with pytest.raises(QuizError, match="no chain-rule steps"):
        quiz(Value(1.0, label="x"))


def test_the_end(net):
    """After the last question, answers are refused with the score."""
    q = quiz(net.E, to="w5", ask="local")
    for _ in range(len(q.questions)):
        q.answer("0")
        q.answer("0")
    assert q.finished and q.question is None
    assert "the quiz is over" in q.answer("1").text


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(engine.strategies.expressions())
def test_random_graphs(e):
    """On random expressions every recorded number and every parseable formula is a right answer."""
    q = quiz(e.root, ask=("local", "grad"))
    while q.question is not None:
        s = q.question.step
        if q.question.what == "local":
            try:
                expr.names(s.formula)
                parseable = True
            except expr.ExpressionError:
                parseable = False  # relu's "1 if a > 0 else 0" is the rule table's, not a formula to type
            if parseable:
                fb = q.answer(s.formula)
                if fb.valid:  # a value outside a function's domain elsewhere is refused, never miscounted
                    assert fb.correct, (s.formula, fb.text)
                    continue
        assert q.answer(repr(right_answer(q.question))).correct


# --- the terminal ----------------------------------------------------------------------


def test_play_reads_lines_and_ends_at_eof(net):
    """play() asks, reads one line per answer and prints the score at the end of input."""
    q = quiz(net.E, to="w5", ask="local")
    answers = [repr(right_answer(x)) for x in q.questions[:3]] + ["__import__('os')"]
    out = io.StringIO()
    score = q.play(io.StringIO("\n".join(answers) + "\n"), out)
    text = out.getvalue()
    assert score == (3, 3)
    assert "cannot read that: calling __import__ is not allowed" in text
    assert text.rstrip().endswith(
        f"score: 3 of 3 right, 3 at the first try ({len(q.questions) - 3} not asked)"
    )


# --- the widget ------------------------------------------------------------------------


def test_widget_checks_answers(net):
    """The widget's field and Check button drive the same Quiz, and the feedback shows the result."""
    pytest.importorskip("ipywidgets", reason="ipywidgets is not installed (widgets extra)")
    q = quiz(net.E, to="w5", ask="local")
    ui = q.widget()
    ui.field.value = "1"
    ui.check.click()
    assert "right" in ui.feedback.value and q.index == 1 and ui.field.value == ""
    ui.field.value = "<script>alert(1)</script>"
    ui.check.click()
    assert "<script>" not in ui.feedback.value and "cannot read that" in ui.feedback.value


# --- the page --------------------------------------------------------------------------


def test_script_json_escapes():
    """JSON inside <script> has no <, >, & or line separators left raw, and reads back the same."""
    data = {"label": "</script><b>&\u2028\u2029"}
    text = quizpage.script_json(data)
    assert not re.search("[<>&\u2028\u2029]", text)
    assert json.loads(text) == data


def _hostile_graph():
    x = Value(0.5, label="</script><img src=x onerror=alert(1)>&")
    w = Value(-2.0, label="w")
    z = x * w
    z.label = "z"
    out = z.sigmoid()
    out.label = "out"
    return out


def test_page_escapes_labels(tmp_path):
    """A label with HTML in it appears in the page only escaped."""
    path = quiz(_hostile_graph()).page(tmp_path / "quiz.html")
    text = path.read_text(encoding="utf-8")
    assert "<img" not in text and text.count("</script>") == 2
    with pytest.raises(ValueError, match=".html"):
        quiz(_hostile_graph()).page(tmp_path / "quiz.txt")


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium driven by Playwright; skipped with the reason when either is missing."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (test extra)")
    if not shutil.which(CHROMIUM):
        pytest.skip("no Chromium at /usr/bin/chromium: `apt-get install -y chromium` (CI installs it)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def _open(browser, path):
    page = browser.new_page(viewport={"width": 1000, "height": 800})
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    return page, errors


def _type(page, text):
    page.fill("#answer", text)
    page.click("#check")
    return page.text_content("#feedback")


@pytest.mark.browser
def test_page_in_a_browser(browser, tmp_path):
    """In Chromium the page asks the Quiz's questions, takes numbers and formulas, hints, diagnoses."""
    net = nn.seed002()
    q = quiz(net.E, to="w5", ask="local")
    page, errors = _open(browser, q.page(tmp_path / "quiz.html"))
    assert page.text_content("#question") == q.questions[0].prompt
    for k, question in enumerate(q.questions):
        s = question.step
        if s.node.label == "outY1":
            assert _type(page, "zY1 * (1 - zY1)").startswith(
                "not 0.24768; hint: the rule table's sigmoid row"
            )
            assert "taken at the input: zY1 · (1 − zY1)" in _type(page, "zY1*(1-zY1)")
        elif k % 2:
            assert _type(page, s.formula).startswith("right: ")
        else:
            assert _type(page, repr(s.local)).startswith("right: ")
    n = len(q.questions)
    assert page.text_content("#score") == f"score: {n - 1} of {n} right, {n - 1} at the first try"
    assert page.text_content("#question") == "the end"
    assert errors == []


@pytest.mark.browser
def test_page_refuses_hostile_text(browser, tmp_path):
    """Hostile text gets a clear message in the page and uses no try; labels show as text."""
    q = quiz(_hostile_graph())
    page, errors = _open(browser, q.page(tmp_path / "quiz.html"))
    for text in HOSTILE[2:]:
        if "\ud800" in text or "\x00" in text:
            continue
        assert _type(page, text).startswith("cannot read that: ") or text in ("nan", "inf"), text
    assert page.text_content("#score") == f"score: no question answered yet (of {len(q.questions)})"
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert errors == []


@pytest.mark.browser
def test_page_reader_agrees_with_the_parser(browser, tmp_path):
    """The page's formula reader gives the numbers engine.tools.expr gives for the same formulas."""
    net = nn.seed002()
    q = quiz(net.E)
    page, errors = _open(browser, q.page(tmp_path / "quiz.html"))
    formulas = [
        "outY1 * (1 - outY1)", "-2 ** 2", "2 ** -1", "2 ** 3 ** 2", "1 - -w1", "exp(zH1) / (1 + exp(zH1))",
        "sigmoid(zY1) - outY1", "maximum(w1, w2) + minimum(w1, w2)", "tanh(0.5) * log(2) / sqrt(2)",
        "leaky_relu(-w1, 0.1)", "1e-3 * .5 + 3.", "softplus(-w2) + log1p(w3) + expm1(w4)",
        "atan(1) + sinh(1) - cosh(1) + tan(0.2) + abs(-3) + relu(-1) + sin(1) * cos(1)",
    ]  # fmt: skip
    for f in formulas:
        got = page.evaluate("f => window.chainruleQuiz.evaluate(f)", f)
        assert got == pytest.approx(q.read(f), rel=1e-12, abs=1e-15), f
    assert errors == []


class _Broken(io.StringIO):
    """A stream whose every line is bytes that are not UTF-8."""

    def readline(self, *args):
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")


def test_play_survives_unreadable_input(net):
    """Bytes that are not text get a clear message each time, and an endless stream of them ends the quiz."""
    q = quiz(net.E, to="w5")
    out = io.StringIO()
    assert q.play(_Broken(), out) == (0, 0)
    assert out.getvalue().count("the text holds bytes that are not UTF-8 text") == 10


def test_play_ends_on_a_closed_stream(net):
    """A closed input stream ends the quiz with the score, like Ctrl-D."""
    stream = io.StringIO("1\n")
    stream.close()
    out = io.StringIO()
    q = quiz(net.E)
    assert q.play(stream, out) == (0, 0)
    assert out.getvalue().rstrip().endswith(f"score: no question answered yet (of {len(q.questions)})")


def _formulas():
    """Formula text over seed 002's names, numbers, + - * / **, unary minus and calls."""
    names = st.sampled_from(["w1", "w5", "outY1", "zH1", "x2", "n3", "b2"])
    numbers = st.floats(0, 50, allow_nan=False).map(repr) | st.integers(0, 9).map(str)
    calls = st.sampled_from(["exp", "log", "sqrt", "tanh", "sigmoid", "relu", "sin", "cos", "abs", "atan"])

    def extend(inner):
        binary = st.tuples(inner, st.sampled_from([" + ", " - ", " * ", " / ", " ** "]), inner)
        return (
            binary.map(lambda t: f"({t[0]}{t[1]}{t[2]})")
            | inner.map(lambda a: f"-{a}")
            | st.tuples(calls, inner).map(lambda t: f"{t[0]}({t[1]})")
            | st.tuples(inner, inner).map(lambda t: f"maximum({t[0]}, {t[1]})")
        )

    return st.recursive(names | numbers, extend, max_leaves=8)


@pytest.mark.browser
def test_page_reader_agrees_on_random_formulas(browser, tmp_path):
    """On random formulas the page's reader and the Python parser agree: the same number, or both refuse."""
    q = quiz(nn.seed002().E)
    page, errors = _open(browser, q.page(tmp_path / "quiz.html"))
    js = "f => { try { return [true, chainruleQuiz.evaluate(f)]; } catch (e) { return [false, e.message]; } }"

    @settings(
        deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
    )
    @given(_formulas())
    def check(text):
        ok, got = page.evaluate(js, text)
        try:
            want = q.read(text)
        except expr.ExpressionError:
            assert not ok, (text, got)
            return
        assert ok, (text, got, want)
        assert got == pytest.approx(want, rel=1e-9, abs=1e-12), text

    check()
    assert errors == []
