"""Tests for engine.compiling: the backward pass printed as Python (codegen) and run (compile)."""

import ast
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
import nn
from engine import RULES, Value
from engine.record.tracing import trace
from engine.tools.compiling import code_names, codegen, compile
from engine.tools.strategies import expressions, op_inputs

GOLDEN = Path(__file__).parent / "data" / "seed002_codegen.txt"


def bits(x):
    """The exact bits of a float (so 0.0 and -0.0 differ, as bit-for-bit equality demands)."""
    return struct.pack("<d", x)


def graph_result(root, inputs):
    """What backward() gives: the root's value and each input's gradient, from zeroed gradients."""
    for n in engine.topological_order(root):
        n.grad = 0.0
    for v in inputs:
        v.grad = 0.0
    root.backward()
    return root.data, [v.grad for v in inputs]


def assert_same(compiled, graph):
    assert bits(compiled[0]) == bits(graph[0]), (compiled[0], graph[0])
    assert [bits(g) for g in compiled[1]] == [bits(g) for g in graph[1]], (compiled[1], graph[1])


def seed002_source():
    net = nn.seed002()
    return codegen(net.E, list(net.params.values()))


def test_seed002_matches_the_golden_file():
    """The generated source of seed 002 is exactly the committed golden file (deterministic)."""
    assert seed002_source() == GOLDEN.read_text(encoding="utf-8")
    assert seed002_source() == seed002_source()


def test_one_line_per_step_with_the_trace_numbers_names_and_formulas():
    """Every chain-rule step of the trace has one line, in order, with its number, names and formula."""
    net = nn.seed002()
    steps = trace(net.E).steps
    source = codegen(nn.seed002().E, list(nn.seed002().params.values()))
    comments = re.findall(r"# (step \d+: .*)$", source, re.M)
    assert comments[0] == "step 0: ∂E/∂E"
    expected = [f"step {s.number}: ∂{s.node_name}/∂{s.parent_name} = {s.formula}" for s in steps]
    assert comments[1:] == expected
    assert "    g_w5 += g_zY1 * outH1  # step 7: ∂zY1/∂w5 = outH1" in source.splitlines()


def test_one_line_per_forward_node():
    """The forward part has one assignment per node below the root (leaves that are not inputs: literals)."""
    net = nn.seed002()
    source = codegen(net.E, list(net.params.values()))
    forward = source.split("# forward")[1].split("# backward")[0].strip().splitlines()[1:]
    nodes = [n for n in engine.topological_order(net.E) if n.parents or n.label in ("x1", "x2")]
    assert len(forward) == len(nodes)
    assert "    outH1 = sigmoid(zH1)" in source and "    x1 = 0.95  # held fixed" in source


def test_seed002_compiled_equals_backward():
    """Seed 002 compiled gives E and every ∂E/∂w bit for bit as backward() does."""
    net = nn.seed002()
    params = list(net.params.values())
    f = compile(net.E, params)
    assert_same(f(*[p.data for p in params]), graph_result(net.E, params))


def test_source_shows_highlighted_in_jupyter():
    """The source is a str whose HTML form is highlighted by pygments when it is installed."""
    source = seed002_source()
    assert isinstance(source, str)
    page = source._repr_html_()
    assert "forward_backward" in page
    if pytest.importorskip("pygments"):
        assert "<span" in page


@pytest.mark.skipif(
    shutil.which("ruff") is None and not Path(sys.executable).with_name("ruff").exists(), reason="no ruff"
)
def test_generated_source_passes_ruff(tmp_path):
    """The generated source of seed 002, of a 16-16-1 MLP and of its training step passes ruff check."""
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    import random

    import nn.compiled

    random.seed(0)
    model = nn.MLP(2, [16, 16, 1])
    loss = nn.hinge(model([0.5, -1.0]), 1) + nn.l2(model.parameters())
    X, y = nn.data.moons(10, seed=1)
    step = nn.compiled.BatchStep(model, nn.hinge, X, y)
    sources = [seed002_source(), codegen(loss, model.parameters()), step.source]
    for i, source in enumerate(sources):
        path = tmp_path / f"generated{i}.py"
        path.write_text(source, encoding="utf-8")
        done = subprocess.run(
            [
                ruff,
                "check",
                "--isolated",
                "--select",
                "E,F,W,I,B,UP",
                "--line-length",
                "110",
                "--ignore",
                "B905",
                str(path),
            ],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stdout + done.stderr


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions())
def test_compiled_equals_backward_on_random_expressions(e):
    """Random expressions over every op: the compiled pass equals backward() bit for bit."""
    f = compile(e.root, e.leaves)
    assert_same(f(*[v.data for v in e.leaves]), graph_result(e.root, e.leaves))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions(max_leaves=2, max_nodes=5), st.data())
def test_compiled_at_new_numbers_equals_a_rebuilt_graph(e, data):
    """Called with new numbers, the compiled pass equals the graph rebuilt at them (or fails as it does)."""
    f = compile(e.root, e.leaves)
    new = [data.draw(st.floats(-3.0, 3.0)) for _ in e.leaves]
    namespace = {name: getattr(engine, name) for name in engine.ops.functions()}
    namespace.update(sum=engine.sum, dot=engine.dot, logsumexp=engine.logsumexp)
    leaves = [Value(x, label=v.label) for x, v in zip(new, e.leaves)]
    namespace.update({v.label: leaf for v, leaf in zip(e.leaves, leaves)})
    lets, _, last = e.text.rpartition("; ")
    try:
        for let in filter(None, lets.split("; ")):
            name, _, text = let.partition(" = ")
            namespace[name] = eval(text, namespace)  # test-only: the strategy's own text, not user input
        root = eval(last, namespace)
        if not isinstance(root, Value):
            return
        expected = graph_result(root, leaves)
    except (ArithmeticError, ValueError) as exc:
        with pytest.raises(type(exc)):
            f(*new)
        return
    assert_same(f(*new), expected)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(RULES)), st.data())
def test_every_row_compiles_to_its_own_forward_and_partials(name, data):
    """For every row of the rule table, the generated forward and partials equal the row's, bit for bit."""
    op = RULES[name]
    xs = data.draw(op_inputs(name))
    if op.inputs[-1] == "k":
        *xs, k = xs
        op = op.bind(k)
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
    try:
        root = op(*leaves)
    except (ArithmeticError, ValueError):
        return
    assert_same(compile(root, leaves)(*xs), graph_result(root, leaves))


def test_powk_with_fractional_exponent_calls_the_row_and_fails_as_it_does():
    """x ** 0.5 at a negative x fails with the row's ValueError, not a complex number."""
    x = Value(4.0, label="x")
    f = compile(x**0.5, [x])
    assert f(9.0)[0] == 3.0
    with pytest.raises(ValueError, match="negative number to a fractional power"):
        f(-1.0)


HOSTILE = [
    "x; import os",
    "a\nimport os\nos.system('echo pwned')",
    "__import__('os')",
    "lambda",
    "g_x",
    "x",
    "n1",
    "ﬁ",  # folds to "fi" under NFKC: not kept
    "fi",
    "sum",
    "RULES",
    "forward_backward",
    "w" * 60,
    "# comment",
    "'''",
    "x",  # a second x
]


def test_hostile_labels_become_identifiers_and_never_reach_the_code():
    """Labels that are not plain identifiers become n<k>: no other label text ever reaches the code."""
    leaves = [Value(0.1 * (i + 1), label=label) for i, label in enumerate(HOSTILE)]
    root = engine.sum([leaf * leaf for leaf in leaves]).tanh()
    root.label = "os.system('rm -rf /')"
    source = codegen(root, leaves)
    for bad in ("import os", "os.system", "__import__", "rm -rf", "'''", "pwned", "w" * 60):
        assert bad not in source
    tree = ast.parse(source)
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    names |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.arguments) for a in n.args}
    allowed = set(HOSTILE) | {"sum", "tanh"}
    for name in names:  # every name is a kept label, generated (n<k>, g_...), or a function the code uses
        assert name in allowed or re.fullmatch(r"(g_)?(n\d+|x|fi|g_x)", name), name
    shown = code_names(root)
    assert len(set(shown.values())) == len(shown)  # one name per node
    assert shown[leaves[5]] == "x" and shown[leaves[8]] == "fi"
    assert_same(compile(root, leaves)(*[v.data for v in leaves]), graph_result(root, leaves))


def test_an_op_outside_the_rule_table_is_refused():
    """A node made by an Op that is not a row of engine.RULES raises a clear TypeError."""
    import math

    from engine.ops import Op

    cube = Op("cube", "³", ("a",), lambda a: a**3, lambda a, out: (3 * a * a,), ("3 * a**2",))
    x = Value(2.0, label="x")
    y = cube(x) + 1.0
    assert math.isclose(y.data, 9.0)
    with pytest.raises(TypeError, match="not a row of engine.RULES"):
        codegen(y, [x])


def test_bad_inputs_get_clear_errors():
    """Inputs must be distinct leaves; the compiled function takes one finite number per input."""
    x, w = Value(0.5, label="x"), Value(-2.0, label="w")
    y = x * w
    with pytest.raises(ValueError, match="leaves"):
        codegen(y, [y])
    with pytest.raises(ValueError, match="twice"):
        codegen(y, [x, x])
    with pytest.raises(TypeError, match="expected the Value"):
        codegen(2.0, [x])
    f = compile(y, [x, w])
    with pytest.raises(TypeError, match="takes 2 numbers"):
        f(1.0)
    with pytest.raises(ValueError, match="finite"):
        f(float("nan"), 1.0)
    with pytest.raises(TypeError):
        f("1", 2.0)


def test_math_errors_and_overflow_raise_as_the_graph_would():
    """A division by zero or an overflow in the compiled pass raises, saying where."""
    x, y = Value(1.0, label="x"), Value(2.0, label="y")
    f = compile(x / y, [x, y])
    with pytest.raises(ZeroDivisionError, match="compiled pass"):
        f(1.0, 0.0)
    g = compile((x * y).exp(), [x, y])
    with pytest.raises(OverflowError):
        g(30.0, 30.0)


def test_an_input_the_root_does_not_use_gets_gradient_zero():
    """An input not in the graph is an argument with gradient 0."""
    x, unused = Value(3.0, label="x"), Value(1.0, label="u")
    assert compile(x * x, [x, unused])(3.0, 5.0) == (9.0, [6.0, 0.0])


def test_codegen_and_compile_are_engine_functions():
    """engine.codegen and engine.compile are the functions (the module is engine.compiling)."""
    assert engine.codegen is codegen and engine.compile is compile
