"""Tests for engine.counting: the cost of each mode of differentiation, and the reuse of seed 002, counted."""

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

import engine
import nn
from engine import Value, walks
from engine.record.forward import forward_trace
from engine.tools.strategies import expressions
from engine.views.counting import Count, cost, forward_count, partials_count, reuse


def test_hand_counted_graph():
    """L = a·b + b, counted by hand: 2 nodes, 4 edges; b feeds two nodes, each node sums two terms."""
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = cost(a * b + b)
    assert c.n == 2 and c.edges == 4
    assert c.forward == Count(2, 1, 1, 0)  # a*b: one ×; (a*b) + b: one +
    assert c.partials == Count(2, 0, 0, 0)  # ∂(ab)/∂a = b, ∂(ab)/∂b = a, ∂(u+b)/∂· = 1: no arithmetic
    assert c.reverse == Count(2, 4, 1, 0)  # one × per edge; ∂L/∂b sums two terms: one +
    assert c.forward_mode_one == Count(2, 4, 2, 0)  # one × per edge; both nodes sum two tangents
    assert c.forward_mode_all == Count(4, 8, 4, 0)  # twice that
    # from a: ab gets ∂/∂a from a, L from ab (2 ×); from b: ab from b, L from ab and b (3 ×, 1 +)
    assert c.forward_mode_sparse == Count(4, 5, 1, 0)


def test_hand_counted_tanh_neuron():
    """L = tanh(w·x + b) as one dot node and one tanh: the rows' own arithmetic, counted by hand."""
    w, x, b = Value(0.5, label="w"), Value(-1.0, label="x"), Value(0.1, label="b")
    z = engine.dot([w], [x], b)
    L = z.tanh()
    assert forward_count(z) == Count(1, 1, 1, 0)  # b + w·x
    assert forward_count(L) == Count(1, 0, 0, 1)  # tanh: one function evaluation
    assert partials_count(L) == Count(1, 1, 1, 0)  # 1 - out * out
    c = cost(L, [w, b])
    assert c.n == 2 and c.reverse == Count(2, 4, 0, 0) and c.forward_mode_all == Count(4, 8, 4, 0)


def test_functions_inside_partials_are_counted():
    """sin's partial cos(a) and pow's out·log(a) count their function calls."""
    x, y = Value(0.7, label="x"), Value(2.0, label="y")
    assert partials_count(x.sin()) == Count(1, 0, 0, 1)
    assert partials_count(x**y) == Count(1, 2, 1, 2)  # b * a**(b - 1): −, **, ×; out * log(a): ×, log


def test_seed002_costs():
    """Seed 002 with its 10 parameters: 32 edges; one reverse pass 32 ×, forward mode 10 × 32."""
    net = nn.seed002()
    c = cost(net.E, net.params.values())
    assert c.n == 10 and c.edges == walks.count_steps(net.E) == 32
    assert c.forward == Count(15, 10, 11, 6)  # 4 dots (2 ×, 2 + each), ½(T − out)² twice, E's one +
    assert c.reverse == Count(15, 32, 6, 0)  # b1, b2, outH1, outH2, x1, x2 each feed two nodes
    assert c.forward_mode_all == Count(150, 320, 170, 0)
    # skipping zero tangents, forward mode for p takes exactly forward_trace(E, p)'s steps
    assert c.forward_mode_sparse.mul == sum(len(forward_trace(net.E, p)) for p in net.params)
    back, fwd = c.ratios()
    assert back < 2 and fwd > 10
    text, page = c.text(), c._repr_html_()
    assert "reverse mode: one backward pass (all n gradients)" in text and "320" in text
    assert "<table" in page and "forward mode: n passes (all n gradients)" in page


def test_mlp_forward_mode_grows_with_parameters_reverse_does_not():
    """For MLPs of growing width, forward mode / reverse grows like n; reverse / forward pass stays flat."""
    ratios = []
    for width in (2, 4, 8, 16):
        random.seed(0)
        model = nn.MLP(2, [width, width, 1])
        L = (model([0.5, -1.0]) - 1.0) ** 2
        c = cost(L, model.parameters())
        assert c.reverse.mul == c.edges == walks.count_steps(L)
        assert c.forward_mode_all.mul == c.n * c.edges
        ratios.append(c.ratios())
    assert all(1 <= back <= 3 for back, _ in ratios)
    fwd = [f for _, f in ratios]
    assert fwd == sorted(fwd) and fwd[-1] > 10 * fwd[0]


@given(expressions())
def test_reverse_counts_one_product_per_edge(e):
    """On random expressions the reverse row is one × per chain-rule step, and forward mode n times that."""
    c = cost(e.root)
    assert c.reverse.mul == walks.count_steps(e.root) == c.edges
    assert c.forward_mode_all.mul == len(e.leaves) * c.edges
    assert c.forward_mode_sparse.mul == sum(len(forward_trace(e.root, x)) for x in e.leaves)


def test_seed002_reuse_counted():
    """∂E/∂w1..w4 written out take 32 ×; backprop 12: 20 saved, 6 by reusing ∂E/∂zY1 and ∂E/∂zY2."""
    net = nn.seed002()
    r = reuse(net.E, ["w1", "w2", "w3", "w4"])
    # each of w1..w4: 2 paths of 5 factors (∂E/∂outY, ∂outY/∂zY, ∂zY/∂outH, ∂outH/∂zH, ∂zH/∂w): 4 × each
    assert r.written == (32, 4)
    # once each: ∂E/∂zY1, ∂E/∂zY2 (2), ∂E/∂outH1, ∂E/∂outH2 (4, summing 2 terms each), ∂E/∂zH (2), w1..w4 (4)
    assert r.backprop == (12, 2)
    assert r.saved == (20, 6)
    assert r.reused_at == ("zY1", "zY2")
    assert "saved: 20 multiplications; 6 of them by reusing ∂E/∂zY1, ∂E/∂zY2" in str(r)
    one = reuse(net.E, ["w5"])  # one path, nothing shared
    assert one.written == one.backprop == (2, 0) and one.saved == (0, 0)


def test_bad_input():
    """cost() refuses what is not a Value and leaves outside the graph, saying so."""
    a = Value(1.0, label="a")
    with pytest.raises(TypeError, match="expected the Value"):
        cost([a])
    with pytest.raises(ValueError, match="not in the graph below"):
        cost(a * 2, [Value(3.0)])
    with pytest.raises(TypeError, match="a leaf .a Value or its label"):
        cost(a * 2, 3.0)
    with pytest.raises(TypeError, match="a leaf .a Value or its label"):
        reuse(a * 2, 3.0)


def test_one_leaf_is_a_label_or_a_value_not_its_characters():
    """cost(E, "w5") and reuse(E, "w5") take the label as one leaf, as a Value or a one-item list would."""
    net = nn.seed002()
    w5 = net.params["w5"]
    assert cost(net.E, "w5") == cost(net.E, w5) == cost(net.E, [w5])
    assert cost(net.E, "w5").n == 1
    assert reuse(net.E, "w5") == reuse(net.E, w5) == reuse(net.E, ["w5"])
    with pytest.raises(KeyError, match="no leaf labelled 'w9'"):
        cost(net.E, "w9")


def reuse_by_paths(root, params):
    """The reference: every path explain lists, written out and counted one by one."""
    from engine.record.tracing import record
    from engine.views.explaining import explain

    t = record(root)
    written_mul = written_add = 0
    factors, groups = {}, {}
    for p in [t.find(p) for p in params]:
        e = explain(t, p, max_paths=10**9)
        written_mul += sum(len(path.factors) - 1 for path in e.paths)
        written_add += len(e.paths) - 1
        for path in e.paths:
            for f in path.factors:
                factors[f.upper, f.lower] = True
            for r in path.reused:
                k = r.end - r.start - (r.start == 0)
                groups.setdefault(r.node, []).append(k)
    uppers = {}
    for _, lower in factors:
        uppers[lower] = uppers.get(lower, 0) + 1
    backprop = (sum(1 for upper, _ in factors if upper is not t.root), sum(k - 1 for k in uppers.values()))
    group_mul = sum(sum(ks) for ks in groups.values())
    return (
        (written_mul, written_add),
        backprop,
        group_mul,
        sum(max(ks) for ks in groups.values()),
        set(groups),
    )


def assert_reuse_as_paths(root, params):
    r = reuse(root, params)
    written, backprop, group_mul, group_once, at = reuse_by_paths(root, params)
    names = engine.record.tracing.record(root).names
    assert (r.written, r.backprop, r.groups_written, r.groups_backprop) == (
        written,
        backprop,
        group_mul,
        group_once,
    )
    assert set(r.reused_at) == {names[n] for n in at}


@pytest.mark.parametrize("sizes", [[2, 1], [3, 2], [2, 3, 2], [3, 2, 2, 1]])
def test_reuse_counts_the_paths_explain_writes_out(sizes):
    """On labelled MLPs the counted reuse equals writing out every path explain lists, for every parameter."""
    random.seed(len(sizes))
    model = nn.MLP(2, sizes)
    loss = nn.mse(model([0.5, -1.0]), [0.3] * sizes[-1] if sizes[-1] > 1 else 0.3)
    labels = [p.label for p in model.parameters()]
    assert_reuse_as_paths(loss, labels)
    assert_reuse_as_paths(loss, labels[:1])


@given(expressions(), st.integers(0, 2**32 - 1))
def test_reuse_counts_paths_on_random_expressions(e, seed):
    """With random interior nodes labelled, the counted reuse equals the paths written out one by one."""
    rng = random.Random(seed)
    for k, node in enumerate(walks.topological_order(e.root)):
        if node.parents and node is not e.root and rng.random() < 0.5:
            node.label = f"h{k}"
    if not e.leaves:
        return
    assert_reuse_as_paths(e.root, [leaf.label for leaf in e.leaves])


def test_reuse_of_a_deep_stack_of_diamonds_is_counted_not_listed():
    """2**40 paths through 40 labelled diamonds are counted (each level doubles them), not enumerated."""
    x = Value(0.7, label="x")
    y = x
    for i in range(40):
        a, b = y * 1.01, y * 0.99
        a.label, b.label = f"a{i}", f"b{i}"
        y = a + b
        y.label = f"y{i}"
    r = reuse(y, ["x"])
    assert r.written[1] == 2**40 - 1
    assert r.written[0] == 2**40 * (2 * 40 - 1)  # each path: 80 factors, 79 ×
