"""Tests for engine.expr: the safe formula parser behind ``chainrule graph``."""

import ast
import inspect
import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import engine
from engine import Value
from engine.tools import expr
from engine.tools.expr import ExpressionError, build, expression_text, names, parse
from engine.tools.strategies import examples, expressions


def test_builds_values_and_gradients():
    """A formula builds the graph the engine would, with one labelled leaf per name."""
    f, leaves = build("tanh(x*w + b)", {"x": 0.5, "w": -1, "b": 0.2})
    assert f.data == math.tanh(0.5 * -1 + 0.2)
    assert {n: v.label for n, v in leaves.items()} == {"x": "x", "w": "w", "b": "b"}
    f.backward()
    slope = 1 - f.data**2
    assert leaves["x"].grad == pytest.approx(slope * -1) and leaves["w"].grad == pytest.approx(slope * 0.5)


def test_every_use_of_a_name_is_one_leaf():
    """A name used twice is the same leaf, so its gradient sums over both uses."""
    f, leaves = build("x * x + sin(x)", {"x": 1.5})
    f.backward()
    assert leaves["x"].grad == pytest.approx(2 * 1.5 + math.cos(1.5))


def test_number_only_parts_become_bound_constants():
    """Arithmetic on plain numbers is folded, so x * (2 + 3) is one "* 5" node with parent x."""
    f, leaves = build("x * (2 + 3)", {"x": 1.0})
    assert f.op.name == "mulk" and f.op.constant == 5.0
    assert f.parents == (leaves["x"],)
    g, _ = build("2 - 3 / 4", {})
    assert isinstance(g, Value) and g.data == 2 - 3 / 4 and not g.parents


def test_values_may_be_given_as_values():
    """A Value given for a name is used as that name's leaf."""
    x = Value(2.0, label="x")
    f, leaves = build("x ** 2", {"x": x})
    assert leaves["x"] is x and f.parents == (x,) and f.data == 4.0


def test_names_in_order_of_appearance():
    """names() lists the variables as they first appear, without the function names."""
    assert names("tanh(x*w + b) * x") == ["x", "w", "b"]
    assert names("exp(b) + a") == ["b", "a"]
    assert names("3 * 4") == []


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("__import__('os')", "calling __import__ is not allowed"),
        ("__import__('os').system('ls')", "is not allowed"),
        ("x.data", "attribute access is not allowed"),
        ("().__class__.__bases__", "attribute access is not allowed"),
        ("x[0]", "subscripts are not allowed"),
        ("open('/etc/passwd')", "calling open is not allowed"),
        ("eval('1')", "calling eval is not allowed"),
        ("lambda: 1", "lambda is not allowed"),
        ("'text'", "strings are not allowed"),
        ("b'bytes'", "bytes are not allowed"),
        ("f'{x}'", "f-strings are not allowed"),
        ("[i for i in y]", "comprehensions are not allowed"),
        ("(i for i in y)", "generator expressions are not allowed"),
        ("exp(x=1)", "keyword arguments are not allowed"),
        ("exp(*xs)", "starred arguments are not allowed"),
        ("exp(x, y)", "exp takes exactly one argument, got 2"),
        ("exp", "exp is a function: call it"),
        ("x if y else z", "if/else expressions are not allowed"),
        ("x == y", "comparisons are not allowed"),
        ("x and y", "and/or are not allowed"),
        ("(x := 2)", "assignment (:=) is not allowed"),
        ("[x, y]", "lists are not allowed"),
        ("x, y", "tuples are not allowed"),
        ("{'a': 1}", "dicts are not allowed"),
        ("x // 2", "the operator // is not allowed"),
        ("x % 2", "the operator % is not allowed"),
        ("x @ y", "the operator @ is not allowed"),
        ("~x", "the unary operator ~ is not allowed"),
        ("not x", "the unary operator not is not allowed"),
        ("+x", "the unary operator unary + is not allowed"),
        ("True", "the constant True is not allowed"),
        ("None", "the constant None is not allowed"),
        ("2j", "complex numbers are not allowed"),
        ("1e400", "too large for a float"),
        ("x = 1", "cannot parse"),
        ("import os", "cannot parse"),
        ("x +", "cannot parse"),
        ("", "the expression is empty"),
        ("   ", "the expression is empty"),
    ],
)
def test_refuses_everything_but_the_whitelist(text, fragment):
    """Anything but numbers, names, + - * / **, unary - and the engine's functions is refused, saying what."""
    with pytest.raises(ExpressionError) as info:
        build(text, {"x": 1.0, "y": 2.0, "z": 3.0, "xs": 1.0})
    assert fragment in str(info.value)


def test_refusal_says_where_and_what_is_allowed():
    """A refused piece is quoted with its column, followed by the list of what is allowed."""
    with pytest.raises(ExpressionError) as info:
        parse("x + y.grad")
    message = str(info.value)
    assert "'y.grad' at column 5" in message and "allowed: numbers, names, + - * / **" in message


def test_missing_names_and_bad_values():
    """A name without a value, or a value that is not a finite number, gets a clear error."""
    with pytest.raises(
        ExpressionError, match=r"no value for 'w', 'b': give every name a number \(e.g. w=0.5\)"
    ):
        build("x*w + b", {"x": 1.0})
    with pytest.raises(ExpressionError, match="value of 'x'"):
        build("x + 1", {"x": "one"})
    with pytest.raises(ExpressionError, match="value of 'x'"):
        build("x + 1", {"x": math.inf})


def test_math_errors_name_the_formula():
    """A value outside a function's domain, a division by zero or an overflow is an ExpressionError."""
    for text, values, fragment in [
        ("log(x)", {"x": -1.0}, "log needs a positive input"),
        ("x / (y - y)", {"x": 1.0, "y": 2.0}, "division by zero"),
        ("1 / 0", {}, "division by zero"),
        ("x * 1e308 * 10", {"x": 1.0}, "not finite"),
        ("10 ** 400", {}, "pow"),
        ("(-8) ** (1 / 3)", {}, "not a real number"),
    ]:
        with pytest.raises(ExpressionError, match="cannot evaluate") as info:
            build(text, values)
        assert fragment in str(info.value)


def test_depth_and_length_limits():
    """Very deep nesting and very long text are refused with a message, not a crash."""
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse("+".join(["x"] * (expr.MAX_DEPTH + 5)))
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse("-" * 5000 + "x")
    with pytest.raises(ExpressionError, match="characters long"):
        parse("x" * (expr.MAX_LENGTH + 1))
    assert build("+".join(["x"] * 100), {"x": 1.0})[0].data == 100.0  # a long sum within the limit is fine


def test_not_a_string():
    """parse() takes text only."""
    with pytest.raises(ExpressionError, match="must be a string"):
        parse(42)


def test_module_never_runs_user_text():
    """engine.tools.expr calls no eval, exec, compile, __import__ or getattr: it walks ast.parse's tree."""
    tree = ast.parse(inspect.getsource(expr))
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert not called & {"eval", "exec", "compile", "__import__", "getattr", "globals", "vars"}
    assert set(expr.FUNCTIONS) == {
        "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "sin", "cos",
        "abs", "maximum", "minimum", "leaky_relu", "softplus", "log1p", "expm1", "tan", "atan",
        "sinh", "cosh",
    }  # fmt: skip


@settings(examples(2.5))
@given(expressions())
def test_rebuilds_the_engines_own_expression_text(e):
    """The text of a random expression graph (every row, sum, dot and logsumexp too) parses back to the
    same value and the same gradients."""
    assume(";" not in e.text)  # shared nodes are written with `t0 = ...;`, which is not a formula
    f, leaves = build(e.text, e.values)
    assert f.data == pytest.approx(e.root.data, rel=1e-12, abs=1e-12)
    f.backward()
    expected = engine.grad(e.root, e.leaves)
    for leaf, g in zip(e.leaves, expected):
        assert leaves[leaf.label].grad == pytest.approx(g, rel=1e-9, abs=1e-9)


def test_prints_a_deep_chain_whole():
    """A 50,000-op chain prints without recursion, every op in place, innermost first (in linear time)."""
    x = Value(2.0, label="x")
    y = x
    for _ in range(25_000):
        y = (y * 3).tanh()
    text = expression_text(y)
    assert text == "tanh(" * 25_000 + "x" + " * 3)" * 25_000
    shared = x * 3  # a shared node deep inside: named once, on its own line
    z = shared + shared
    for _ in range(10_000):
        z = z.sin()
    assert expression_text(z) == "t0 = x * 3; " + "sin(" * 10_000 + "t0 + t0" + ")" * 10_000


def test_calls_take_their_rows_inputs():
    """maximum(a, b) takes two arguments and leaky_relu(a, k) a number k; the printer writes them back."""
    f, leaves = build("maximum(x, y) + leaky_relu(x, 0.1) * abs(y)", {"x": 0.5, "y": -1.0})
    assert f.data == 0.5 + 0.5 * 1.0
    assert expression_text(f) == "maximum(x, y) + leaky_relu(x, 0.1) * abs(y)"
    with pytest.raises(ExpressionError, match=r"maximum takes 2 arguments, maximum\(a, b\), got 1"):
        build("maximum(x)", {"x": 1.0})
    with pytest.raises(ExpressionError, match=r"the last argument of leaky_relu \(k\) must be a number"):
        build("leaky_relu(x, y)", {"x": 1.0, "y": 0.1})
    assert build("leaky_relu(x, -0.5 * 0.2)", {"x": -1.0})[0].data == pytest.approx(0.1)


def test_lists_for_the_rows_of_any_number_of_inputs():
    """sum([...]), dot([w...], [x...], b) and logsumexp([...]) parse as one node each, as printed."""
    values = {"x": 0.5, "y": -1.0, "w1": 0.3, "w2": 0.2, "b": 0.1}
    f, leaves = build("dot([w1, w2], [x, y], b) + sum([x, y * 2]) * logsumexp([x, y])", values)
    z = engine.dot([leaves["w1"], leaves["w2"]], [leaves["x"], leaves["y"]], leaves["b"])
    expected = z + engine.sum([leaves["x"], leaves["y"] * 2]) * engine.logsumexp([leaves["x"], leaves["y"]])
    assert f.data == expected.data
    assert [p.op.name for p in f.parents] == ["dot", "mul"]
    assert expression_text(f) == "dot([w1, w2], [x, y], b) + sum([x, y * 2]) * logsumexp([x, y])"
    assert build("dot([w1], [y])", values)[0].data == 0.3 * -1.0  # no bias
    assert build("sum([1, 2.5])", {})[0].data == 3.5  # numbers only: a number


@pytest.mark.parametrize(
    "text, message",
    [
        ("sum(x)", r"sum takes a list of one or more values for x_i, as in sum\(\[x1, \.\.\.\]\)"),
        ("sum([])", "a list of one or more values"),
        ("dot([w1], [x, y])", "the lists of dot must have the same length"),
        ("dot([w1])", r"dot is written dot\(\[w1, \.\.\.\], \[x1, \.\.\.\], b\), not with 1 argument"),
        ("logsumexp([x], [y])", "not with 2 argument"),
        ("sum", r"sum is a function: call it, as in sum\(\[x1, \.\.\.\]\)"),
        ("sum([*x])", "starred arguments are not allowed"),
        ("[x, y]", "lists are not allowed"),
        ("exp([x])", "lists are not allowed"),
    ],
)
def test_list_calls_refuse_what_they_cannot_mean(text, message):
    """A list call with no list, an empty one, unequal lists or the wrong count says how to write it."""
    with pytest.raises(ExpressionError, match=message):
        build(text, {"x": 1.0, "y": 2.0, "w1": 0.5})


HOSTILE_LABELS = [
    "x", "x", "t0", "t1", "x0", "x1", "x_2", "a b", "x; import os", "x\nimport os", "__import__('os')",
    "lambda", "sum", "exp", "ｘ", "ﬁ", "fi", "#", "'''", "\u2028", "", None,
]  # fmt: skip


def test_two_leaves_with_one_label_print_apart():
    """Two leaves labelled x print as x and x_2 (not x * x), and rebuild to their own gradients."""
    a, b = Value(2.0, label="x"), Value(-3.0, label="x")
    text = expression_text(a * b + a)
    assert text == "x * x_2 + x"
    f, leaves = build(text, {"x": 2.0, "x_2": -3.0})
    f.backward()
    assert (leaves["x"].grad, leaves["x_2"].grad) == tuple(engine.grad(a * b + a, [a, b]))


def test_let_names_never_take_a_label():
    """A leaf labelled t0 keeps t0; the shared node's let-name moves on to the next free t<k>."""
    t0 = Value(2.0, label="t0")
    shared = t0 * 3
    text = expression_text(shared + shared)
    assert text == "t1 = t0 * 3; t1 + t1"


def test_labels_that_are_not_names_become_names_with_a_comment():
    """A label that is not a plain name prints as x<i>; a comment on the same line says which label it is."""
    a, b = Value(1.0, label="x; import os"), Value(2.0, label="a\nb")
    text = expression_text(a * b)
    assert text == "x0 * x1  # x0 is the leaf labelled 'x; import os', x1 is the leaf labelled 'a\\nb'"
    assert "\n" not in text
    f, _ = build(text, {"x0": 1.0, "x1": 2.0})
    assert f.data == 2.0


@given(expressions(), st.lists(st.sampled_from(HOSTILE_LABELS), min_size=1))
def test_round_trip_with_duplicate_and_hostile_labels(e, labels):
    """With labels that repeat, collide with let-names or are no names at all, the text stays one safe line
    that rebuilds the same value and gradients."""
    for i, leaf in enumerate(e.leaves):
        leaf.label = labels[i % len(labels)]
    text = expression_text(e.root)
    names = expr.leaf_names(e.root)
    assert len(set(names.values())) == len(names)  # one name per leaf
    assert "\n" not in text and "\u2028" not in text
    code, _, comment = text.partition("  # ")
    tree = ast.parse(code.replace("; ", "\n"))  # the let lines and the formula: plain Python
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    lets = {t.targets[0].id for t in tree.body if isinstance(t, ast.Assign)}
    assert used <= set(names.values()) | lets | set(expr.FUNCTIONS) | {"sum", "dot", "logsumexp"}
    assert not lets & set(names.values())
    if ";" in code:
        return  # shared nodes are written with `t0 = ...;`, which build() does not take
    f, leaves = build(text, {names[leaf]: leaf.data for leaf in e.leaves})
    assert f.data == pytest.approx(e.root.data, rel=1e-12, abs=1e-12)
    f.backward()
    for leaf, g in zip(e.leaves, engine.grad(e.root, e.leaves)):
        assert leaves[names[leaf]].grad == pytest.approx(g, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("wide, plain", [("ｘ", "x"), ("ﬁ", "fi"), ("𝐰", "w")])
def test_values_are_named_as_python_reads_names(wide, plain):
    """build("ｘ + 1", ｘ=2) and build("x + 1", x=2) agree: names given for values fold (NFKC) as in text."""
    f, leaves = build(f"{wide} * 3 + 1", {wide: 2.0})
    g, _ = build(f"{plain} * 3 + 1", {plain: 2.0})
    assert f.data == g.data == 7.0 and list(leaves) == [plain]
    assert build(f"{plain} * 3 + 1", {wide: 2.0})[0].data == 7.0
    with pytest.raises(ExpressionError, match="are the same name to Python"):
        build(f"{plain} + 1", {wide: 2.0, plain: 3.0})
