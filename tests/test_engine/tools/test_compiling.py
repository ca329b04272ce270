"""Tests for engine.compiling: the backward pass printed as Python (codegen) and run (compile)."""

import ast
import math
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
from engine.tools import compiling
from engine.tools.compiling import code_names, codegen, compile
from engine.tools.strategies import examples, expressions, op_inputs

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


@pytest.mark.skipif(
    not compiling.PLAIN_SUM, reason="Python >= 3.12 sums with compensation: the code keeps sum()"
)
def test_seed002_matches_the_golden_file():
    """The generated source of seed 002 is exactly the committed golden file (deterministic)."""
    assert seed002_source() == GOLDEN.read_text(encoding="utf-8")
    assert seed002_source() == seed002_source()


def test_one_line_per_step_with_the_trace_numbers_names_and_formulas():
    """Each step into a node an input's gradient needs has one line, in order, with its trace number."""
    net = nn.seed002()
    steps = trace(net.E).steps
    source = codegen(net.E, list(net.params.values()))
    comments = re.findall(r"# (step \d+: .*)$", source, re.M)
    assert comments[0] == "step 0: ∂E/∂E"
    names = code_names(net.E)
    held = {n for n in engine.walks.leaves(net.E) if n.label in ("x1", "x2")}
    kept = [s for s in steps if s.parent not in held]
    assert len(kept) == len(steps) - 4  # ∂zH/∂x1 and ∂zH/∂x2 for both hidden neurons: no gradient asked
    shown = {trace_name: names[n] for n, trace_name in trace(net.E).names.items()}
    expected = [
        f"step {s.number}: ∂{names[s.node]}/∂{names[s.parent]} = "
        + engine.vocab.pretty(re.sub(r"\b\w+\b", lambda m: shown.get(m.group(0), m.group(0)), s.formula))
        for s in kept  # the formula as the trace table writes it (2 · n1, 1 − L²)
    ]
    assert comments[1:] == expected
    assert "    g_w5 += g_zY1 * outH1  # step 7: ∂zY1/∂w5 = outH1" in source.splitlines()
    assert "g_x1" not in source and "g_x2" not in source


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


@settings(examples(5), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions())
def test_compiled_equals_backward_on_random_expressions(e):
    """Random expressions over every op: the compiled pass equals backward() bit for bit."""
    f = compile(e.root, e.leaves)
    assert_same(f(*[v.data for v in e.leaves]), graph_result(e.root, e.leaves))


@settings(examples(1), deadline=None, suppress_health_check=[HealthCheck.too_slow])
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


@settings(examples(3), deadline=None)
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


def forward_lines(source):
    return source.split("# forward")[1].split("# backward")[0].strip().splitlines()[1:]


@pytest.mark.skipif(
    not compiling.PLAIN_SUM, reason="Python >= 3.12 sums with compensation: the code keeps sum()"
)
def test_seed002_reads_as_the_documents_write_it():
    """z = b + w·x as one line of + in the engine's order, squares as ** 2, their slopes as 2 * n
    (the comment in the tables' words, 2 · n)."""
    source = seed002_source()
    lines = [line.strip() for line in forward_lines(source)]
    assert "zH1 = b1 + w1 * x1 + w2 * x2" in lines and "zY2 = b2 + w7 * outH1 + w8 * outH2" in lines
    assert "n2 = n1 ** 2" in lines and "E = 0.0 + n3 + n6" in lines
    assert "    g_n1 += g_n2 * (2 * n1)  # step 4: ∂n2/∂n1 = 2 · n1" in source.splitlines()
    assert "sum(" not in source and "2.0" not in source and "** 1" not in source


def test_unlabelled_nodes_are_numbered_in_program_order():
    """n1, n2, ... count up as the forward lines compute them, on seed 002 and on random expressions."""
    lines = forward_lines(seed002_source())
    made = [int(m.group(1)) for line in lines if (m := re.match(r"\s*n(\d+) = ", line))]
    assert made == list(range(1, len(made) + 1)) == [1, 2, 3, 4, 5, 6]


@given(expressions())
def test_generated_names_count_up_on_random_expressions(e):
    """On random expressions the generated names n1, n2, ... appear in the forward part in order."""
    source = codegen(e.root, e.leaves)
    made = [int(m.group(1)) for line in forward_lines(source) if (m := re.match(r"\s*n(\d+) = ", line))]
    assert made == sorted(made) == list(range(1, len(made) + 1))


def test_no_gradient_for_a_leaf_held_fixed_unless_asked():
    """Leaves that are not inputs get no gradient; listed as inputs they get theirs, as backward()."""
    x, w, b = Value(0.5, label="x"), Value(-2.0, label="w"), Value(0.1, label="b")
    L = (x * w + b).tanh()
    source = codegen(L, [w])
    assert "g_x" not in source and "g_b" not in source and "g_w += " in source
    assert "x = 0.5  # held fixed" in source
    f = compile(L, [w, x, b])
    assert_same(f(-2.0, 0.5, 0.1), graph_result(L, [w, x, b]))
    assert compile(L, [w])(-2.0)[1] == graph_result(L, [w])[1]


@given(expressions(), st.data())
def test_gradients_asked_for_some_inputs_equal_backward(e, data):
    """Compiled for any subset of the leaves (the rest held fixed), the gradients are backward()'s."""
    chosen = [v for v in e.leaves if data.draw(st.booleans())]
    f = compile(e.root, chosen)
    value, grads = f(*[v.data for v in chosen])
    expected_value, expected = graph_result(e.root, chosen)
    assert bits(value) == bits(expected_value) and value == expected_value
    assert [bits(g) for g in grads] == [bits(g) for g in expected] and grads == expected


@pytest.mark.parametrize("held", [math.inf, -math.inf, math.nan])
def test_a_held_value_that_is_not_finite_is_refused(held):
    """A leaf held fixed at inf or NaN is refused with a clear ValueError, never `w = inf` and a NameError."""
    x, w = Value(1.0, label="x"), Value(1.0, label="w")
    w.data = held
    with pytest.raises(ValueError, match="held fixed at .* must be a finite number"):
        codegen(x * w, [x])
    with pytest.raises(ValueError, match="held fixed"):
        compile(x * w, [x])


@pytest.mark.parametrize("data", [0.25, 3, True])
def test_a_held_value_is_written_as_a_float_literal(data):
    """A held leaf's data (an int or bool set by hand) is written as its float's repr."""
    x, w = Value(1.0, label="x"), Value(1.0, label="w")
    w.data = data
    source = codegen(x * w, [x])
    assert f"w = {float(data)!r}  # held fixed" in source
    assert compile(x * w, [x])(2.0)[0] == 2.0 * float(data)


@given(st.floats(-1e6, 1e6) | st.integers(-(2**60), 2**60).map(float) | st.sampled_from([-0.0, 0.0, 2.0**53]))
def test_literals_are_the_same_float(k):
    """Every constant is written as a literal Python reads back as the same float, sign of zero included."""
    text = compiling.literal(k)
    assert bits(float(eval(text))) == bits(k)  # test-only: a literal the module wrote
    for name in ("x * {}", "x + {}", "{} - x", "x / {}", "{} / x"):
        for x in (1.5, -0.0, 0.0, -3.0):
            if "/ x" in name and x == 0 or "/ {}" in name and k == 0:
                continue
            assert bits(eval(name.format(text))) == bits(eval(name.format(repr(k))))  # test-only


def test_compiled_sources_leave_linecache_with_their_function():
    """40 compiles of 500-node graphs, dropped, leave no entry behind in linecache."""
    import gc
    import linecache

    gc.collect()
    before = {k for k in linecache.cache if k.startswith("<engine.codegen")}
    for i in range(40):
        leaves = [Value(0.01 * j, label=f"x{j}") for j in range(250)]
        root = engine.sum([leaf * (i + 1) for leaf in leaves])
        f = compile(root, leaves)
        assert f.function.__code__.co_filename in linecache.cache
        del f
    gc.collect()
    after = {k for k in linecache.cache if k.startswith("<engine.codegen")}
    assert after <= before


def test_a_traceback_shows_the_generated_line():
    """While the function lives its source is in linecache, under a name of its own per compile."""
    import linecache
    import traceback

    x = Value(1.0, label="x")
    f, g = compile(1.0 / x, [x]), compile(1.0 / x, [x])
    assert f.function.__code__.co_filename != g.function.__code__.co_filename
    try:
        f.function(0.0)
    except ZeroDivisionError as exc:
        text = "".join(traceback.format_exception(exc))
    assert "L = 1 / x" in text
    assert linecache.getline(f.function.__code__.co_filename, 1).startswith("# L and its gradients")


@pytest.mark.skipif(
    not compiling.PLAIN_SUM, reason="Python >= 3.12 sums with compensation: the code keeps sum()"
)
def test_a_long_sum_is_wrapped_in_parentheses_before_a_plus():
    """A dot of 30 terms is one parenthesised sum over several lines of at most WIDTH characters."""
    xs = [Value(0.1 * i, label=f"x{i}") for i in range(30)]
    source = codegen(engine.dot(xs, xs[::-1]), xs)
    assert all(len(line) <= compiling.WIDTH for line in source.splitlines())
    assert "    L = (0.0 + x0 * x29 + x1 * x28" in source and "\n            + x" in source
    ast.parse(source)
