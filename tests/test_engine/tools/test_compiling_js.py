"""Tests for engine.codegen(language="js"): the rule table's JavaScript, run in Node.js against Python."""

import json
import math
import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
import nn
from engine import RULES, Value
from engine.record.tracing import trace
from engine.tools.compiling import codegen, compile, js_record
from engine.tools.strategies import examples, expressions, op_inputs

REL = 1e-12
# Node reads one JSON line {source, name, args} and answers one line: the function's result, or its error.
RUNNER = r"""
const readline = require("readline");
const lines = readline.createInterface({ input: process.stdin });
lines.on("line", (line) => {
  const job = JSON.parse(line);
  let answer;
  try {
    const f = new Function(job.source + "\nreturn " + job.name + ";")();
    answer = { result: f(...job.args) };
  } catch (error) {
    answer = { error: String(error) };
  }
  const text = JSON.stringify(answer, (k, v) => (typeof v === "number" && !isFinite(v) ? String(v) : v));
  process.stdout.write(text + "\n");
});
"""


class Node:
    """One Node.js process that runs generated JavaScript sources (only generated ones) on request."""

    def __init__(self, path):
        self.process = subprocess.Popen(
            [path, "-e", RUNNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8"
        )

    def run(self, source, args, name="forward_backward"):
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps({"source": source, "name": name, "args": args}) + "\n")
        self.process.stdin.flush()
        answer = json.loads(self.process.stdout.readline())
        if "error" in answer:
            raise RuntimeError(answer["error"])
        return answer["result"]

    def close(self):
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def node():
    """A Node.js process for the module's tests; skipped where Node.js is not installed."""
    path = shutil.which("node")
    if path is None:
        pytest.skip("no Node.js (`node`): the JavaScript is run there")
    runner = Node(path)
    yield runner
    runner.close()


def close(js, py):
    """Whether a JavaScript number (a float, or 'NaN'/'Infinity' text) equals Python's to 1e-12 relative."""
    return isinstance(js, (int, float)) and math.isclose(float(js), py, rel_tol=REL, abs_tol=0.0)


def graph_result(root, inputs):
    """What backward() gives: the root's value and each input's gradient, from zeroed gradients."""
    for n in engine.topological_order(root):
        n.grad = 0.0
    root.backward()
    return root.data, [v.grad for v in inputs]


def arithmetic_only(op):
    """Whether a row's JavaScript is only + - * / and comparisons: no Math, pow or helper (the same bits)."""
    texts = [e for e in op.js if isinstance(e, str)]
    return len(texts) == len(op.js) and not any("(" in t or "**" in t for t in texts)


@pytest.mark.parametrize("name", sorted(RULES))
@settings(examples(0.2), deadline=None)
@given(data=st.data())
def test_every_row_in_node_equals_python(node, name, data):
    """Every row of the rule table, run as generated JavaScript at random points, equals Python to 1e-12."""
    op = RULES[name]
    xs = data.draw(op_inputs(name))
    if op.takes_constant:
        *xs, k = xs
        op = op.bind(k)
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
    try:
        root = op(*leaves)
        expected = compile(root, leaves)(*xs)
    except (ArithmeticError, ValueError):
        return  # outside the row's domain: Python refuses, so there is nothing to compare
    value, grads = node.run(codegen(root, leaves, language="js"), xs)
    assert close(value, expected[0]), (name, xs, value, expected[0])
    assert all(close(g, e) for g, e in zip(grads, expected[1])), (name, xs, grads, expected[1])
    if arithmetic_only(RULES[name]):  # the same IEEE operations in the same order: the same bits
        assert [value, *grads] == [expected[0], *expected[1]]


def test_every_row_has_a_javascript_form():
    """Each row of the table as shipped has its JavaScript forward and one partial per input."""
    for op in RULES.values():
        assert op.js, op.name
        assert len(op.js) in ((1,) if op.is_nary else (1 + (op.arity or 0),)) or op.is_nary, op.name


def test_seed002_in_node_equals_backward(node):
    """Seed 002's whole generated program, run in Node.js, gives E and every ∂E/∂w as backward() does."""
    net = nn.seed002()
    params = list(net.params.values())
    value, grads = node.run(codegen(net.E, params, language="js"), [p.data for p in params])
    expected = graph_result(net.E, params)
    assert close(value, expected[0])
    assert all(close(g, e) for g, e in zip(grads, expected[1]))
    assert [value, *grads] == [expected[0], *expected[1]]  # on this machine: bit for bit


def test_seed002_javascript_reads_like_the_python():
    """The JavaScript has the Python's names and lines, in the same order, as const/let statements."""
    net = nn.seed002()
    params = list(net.params.values())
    py, js = codegen(net.E, params), codegen(net.E, params, language="js")
    py_lines = [line.strip() for line in py.splitlines() if line.strip().startswith(("z", "out", "g_w5 +="))]
    for line in py_lines:
        code, _, comment = line.partition("  # ")
        statement = f"const {code};" if not code.startswith("g_") else f"{code};"
        assert f"{statement}  // {comment}" in js or f"{statement}" in js, line
    assert "function forward_backward(w1, w2, w3, w4, w5, w6, w7, w8, b1, b2) {" in js
    assert "  return [E, [g_w1, g_w2, g_w3, g_w4, g_w5, g_w6, g_w7, g_w8, g_b1, g_b2]];" in js
    assert "function sigmoid(a)" in js and "softplus" not in js  # only the helpers it calls
    assert all(len(line) <= 100 for line in js.splitlines() if not line.startswith("function "))


@settings(examples(0.5), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions())
def test_random_expressions_in_node_equal_backward(node, e):
    """Random expressions over every op: the JavaScript pass equals backward() to 1e-12 relative."""
    value, grads = node.run(codegen(e.root, e.leaves, language="js"), [v.data for v in e.leaves])
    expected = graph_result(e.root, e.leaves)
    assert close(value, expected[0]), (e.text, value, expected[0])
    assert all(close(g, x) for g, x in zip(grads, expected[1])), (e.text, grads, expected[1])


def test_record_gives_every_node_and_step_of_the_trace(node):
    """js_record gives each node's data and grad and each step's local derivative, as the trace holds them."""
    net = nn.seed002()
    params = list(net.params.values())
    t = trace(net.E)
    nodes = list(engine.topological_order(net.E))
    got = node.run(js_record(net.E, params, nodes), [p.data for p in params], name="record")
    assert got["data"] == [n.data for n in nodes]
    assert got["grad"] == [n.grad for n in nodes]
    assert got["local"] == [s.local for s in t.steps]
    assert got["value"] == net.E.data and got["grads"] == [p.grad for p in params]


def test_a_row_without_javascript_is_refused(monkeypatch):
    """codegen(language="js") refuses a row with no JavaScript form, saying which row and what to add."""
    row = engine.Op(
        "cube_nojs", "³", ("a",), lambda a: a**3, lambda a, out: (3 * a * a,), ("3 * a**2",), code=("a ** 3",)
    )
    monkeypatch.setitem(engine.RULES, row.name, row)  # taken out again after the test
    monkeypatch.setattr(Value, row.name, None, raising=False)
    engine.register(row)
    x = Value(2.0, label="x")
    y = x.cube_nojs() + 1.0
    assert "a ** 3" not in codegen(y, [x]) and "x ** 3" in codegen(y, [x])  # Python: fine
    with pytest.raises(ValueError, match="'cube_nojs' row, which has no JavaScript forward"):
        codegen(y, [x], language="js")


@pytest.mark.parametrize(
    "js",
    [
        ('require("fs")',),
        ("a.constructor",),
        ("a[0]",),
        ("'text'",),
        ("alert(a)",),
        ("a; b",),
        ("Math.random()",),
        ("a == 1 ? 1 : 0",),
        ("`${a}`",),
        ("a = 1",),
    ],
)
def test_register_refuses_javascript_that_is_not_arithmetic(monkeypatch, js):
    """A row's JavaScript text is pasted into generated code: anything beyond arithmetic is refused."""
    row = engine.Op(
        "cube_badjs", "³", ("a",), lambda a: a**3, lambda a, out: (3 * a * a,), ("3 * a**2",), js=js
    )
    before = dict(engine.RULES)
    with pytest.raises(ValueError, match="JavaScript text"):
        engine.register(row)
    assert dict(engine.RULES) == before


def test_unknown_language_and_javascript_words_as_labels():
    """An unknown language is refused; a label that is a JavaScript word is renamed in the JavaScript only."""
    x, w = Value(0.5, label="this"), Value(2.0, label="Math")
    y = x * w
    with pytest.raises(ValueError, match="'python' or 'js'"):
        codegen(y, [x, w], language="ruby")
    assert "def forward_backward(this, Math):" in codegen(y, [x, w])
    js = codegen(y, [x, w], language="js")
    assert "function forward_backward(n1, n2) {" in js and "this" not in js


def test_hostile_labels_never_reach_the_javascript(node):
    """Labels that are not identifiers (script tags, quotes, U+2028) become n<k> and never reach the text."""
    hostile = ["</script><script>alert(1)</script>", "a\u2028b", "'\"", "x; process.exit()", "ok"]
    leaves = [Value(0.1 * (i + 1), label=label) for i, label in enumerate(hostile)]
    root = engine.sum([leaf * leaf for leaf in leaves]).tanh()
    root.label = "</script>"
    js = codegen(root, leaves, language="js")
    for bad in ("script", "alert", "\u2028", "'", '"', "process"):
        assert bad not in js
    value, grads = node.run(js, [v.data for v in leaves])
    expected = graph_result(root, leaves)
    assert close(value, expected[0]) and all(close(g, x) for g, x in zip(grads, expected[1]))
