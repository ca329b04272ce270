"""Cross-check with PyTorch: random expressions give the same values and gradients in torch float64."""

import pytest

torch = pytest.importorskip(
    "torch", reason="PyTorch is not installed: pip install 'chainrule[torch]' to run the torch cross-check"
)

from hypothesis import assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import engine  # noqa: E402
from engine import RULES  # noqa: E402
from engine.tools.strategies import examples, expressions  # noqa: E402

PROFILE = settings().max_examples
MANY = examples(5)  # CI: 2,000 expressions
SOME = examples(0.5, least=30)
REL = 1e-9

# Each op of the rule table as a torch function of tensors; bound ops get their constant k.
TORCH = {
    "add": lambda a, b: a + b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "neg": lambda a: -a,
    "pow": lambda a, b: torch.pow(a, b),
    "addk": lambda a, k: a + k,
    "mulk": lambda a, k: a * k,
    "divk": lambda a, k: a / k,
    "powk": lambda a, k: torch.pow(a, k),
    "exp": torch.exp,
    "log": torch.log,
    "sqrt": torch.sqrt,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "sin": torch.sin,
    "cos": torch.cos,
    "sum": lambda *xs: torch.stack(xs).sum(),
    "dot": lambda *args: _dot(*args),
    "rsubk": lambda a, k: k - a,
    "rdivk": lambda a, k: k / a,
    "rpowk": lambda a, k: torch.pow(k, a),
    "abs": torch.abs,
    "maximum": torch.maximum,
    "minimum": torch.minimum,
    "leaky_relu": lambda a, k: torch.nn.functional.leaky_relu(a, k),
    # torch's softplus is linear above its threshold (default 20): raise it, to compare the exact function
    "softplus": lambda a: torch.nn.functional.softplus(a, threshold=1000.0),
    "log1p": torch.log1p,
    "expm1": torch.expm1,
    "tan": torch.tan,
    "atan": torch.atan,
    "sinh": torch.sinh,
    "cosh": torch.cosh,
    "logsumexp": lambda *xs: torch.logsumexp(torch.stack(xs), 0),
}


def _dot(*args):
    n = len(args) // 2
    z = torch.dot(torch.stack(args[:n]), torch.stack(args[n : 2 * n]))
    return z + args[-1] if len(args) % 2 else z


def in_torch(e):
    """The expression ``e`` rebuilt with torch float64 tensors: (output, leaf tensors)."""
    leaves = [torch.tensor(v.data, dtype=torch.float64, requires_grad=True) for v in e.leaves]
    made = dict(zip(e.leaves, leaves))
    for node in reversed(engine.topological_order(e.root)):
        if node.parents:
            args = [made[p] for p in node.parents]
            if node.op.constant is not None:
                args.append(node.op.constant)
            made[node] = TORCH[node.op.name](*args)
    return made[e.root], leaves


def close(a, b, rel=REL):
    return abs(a - b) <= rel * max(abs(a), abs(b), 1.0)


def test_every_op_has_a_torch_counterpart():
    """The torch map covers the whole rule table, so a new op cannot skip the cross-check."""
    assert set(TORCH) == set(RULES)


@MANY
@given(expressions())
def test_values_and_gradients_equal_torch(e):
    """Each random expression's value and leaf gradients equal PyTorch's in float64 to 1e-9 relative."""
    out, leaves = in_torch(e)
    assert close(out.item(), e.root.data), (out.item(), e.root.data)
    torch_grads = torch.autograd.grad(out, leaves, allow_unused=True)
    ours = engine.grad(e.root, e.leaves)
    for v, g, mine in zip(e.leaves, torch_grads, ours):
        theirs = 0.0 if g is None else g.item()
        assert close(theirs, mine), (v.label, theirs, mine)


@SOME
@given(expressions(max_nodes=5))
def test_second_derivatives_equal_torch(e):
    """Each random expression's Hessian equals PyTorch's (double backward) to 1e-8 relative."""
    # torch masks ∂(a**b)/∂a to 0 where b == 0 exactly, so its ∂²/∂a∂b there is 0 instead of 1.
    assume(
        not any(
            n.op.name == "pow" and n.parents[1].data == 0.0 for n in engine.topological_order(e.root) if n.op
        )
    )
    out, leaves = in_torch(e)
    first = torch.autograd.grad(out, leaves, create_graph=True, allow_unused=True)
    ours_first = engine.grad(e.root, e.leaves, create_graph=True)
    for i, (g, mine) in enumerate(zip(first, ours_first)):
        if g is None or not g.requires_grad:
            row = [0.0] * len(leaves)
        else:
            second = torch.autograd.grad(g, leaves, retain_graph=True, allow_unused=True)
            row = [0.0 if h is None else h.item() for h in second]
        for j, (theirs, ours) in enumerate(zip(row, engine.grad(mine, e.leaves))):
            assert close(theirs, ours, rel=1e-8), (i, j, theirs, ours)


def test_ties_and_kinks_match_torch():
    """At maximum/minimum ties and at abs's and leaky_relu's kink (0) the gradients are torch's."""
    cases = [("maximum", (1.5, 1.5)), ("minimum", (-2.0, -2.0)), ("abs", (0.0,)), ("leaky_relu", (0.0, 0.1))]
    for name, numbers in cases:
        op = RULES[name]
        if op.inputs[-1] == "k":
            leaves, k = [engine.Value(numbers[0])], numbers[-1]
            out = op.bind(k)(*leaves)
            args = [torch.tensor(numbers[0], dtype=torch.float64, requires_grad=True)]
            theirs = torch.autograd.grad(TORCH[name](*args, k), args)
        else:
            leaves = [engine.Value(x) for x in numbers]
            args = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in numbers]
            out, theirs = op(*leaves), torch.autograd.grad(TORCH[name](*args), args)
        assert engine.grad(out, leaves) == [t.item() for t in theirs], name


def as_torch_function(e):
    """The expression ``e`` as a torch function of its leaves' tensors (for torch.func.jvp)."""
    order = [n for n in reversed(engine.topological_order(e.root)) if n.parents]

    def f(*xs):
        made = dict(zip(e.leaves, xs))
        for node in order:
            args = [made[p] for p in node.parents]
            if node.op.constant is not None:
                args.append(node.op.constant)
            made[node] = TORCH[node.op.name](*args)
        return made[e.root]

    return f


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")  # torch.func's own
@MANY
@given(expressions(), st.data())
def test_jvp_equals_torch_func_jvp(e, data):
    """Forward mode (engine.jvp) along a random direction equals torch.func.jvp in float64 to 1e-9."""
    from engine.record.forward import jvp

    v = [data.draw(st.floats(-3, 3), label=leaf.label) for leaf in e.leaves]
    primals = tuple(torch.tensor(leaf.data, dtype=torch.float64) for leaf in e.leaves)
    tangents = tuple(torch.tensor(t, dtype=torch.float64) for t in v)
    _, theirs = torch.func.jvp(as_torch_function(e), primals, tangents)
    ours = jvp(e.root, dict(zip(e.leaves, v)))
    scale = sum(abs(g * t) for g, t in zip(engine.grad(e.root, e.leaves), v))
    assert abs(theirs.item() - ours) <= REL * max(abs(ours), scale, 1.0), (theirs.item(), ours)
