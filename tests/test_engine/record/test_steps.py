"""Tests for stepping through backward (engine.steps), traces (engine.tracing), explain and frames."""

import math
import random
import sys
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
import nn
from engine import Value, vocab
from engine.record.steps import Step, backward_steps
from engine.record.tracing import Trace, trace
from engine.tools.strategies import expressions, reals
from engine.views.drawing.frames import Frames, frames, slider
from engine.views.explaining import explain
from engine.walks import count_steps

# Seed 002's exact numbers (from the seeds' README)
DE_DOUTY1 = 0.5837097788
SIGMOID_SLOPE_Y1 = 0.2321216950
H1 = 0.5384240912
DE_DW5 = 0.0729519972
DE_DW1 = 0.0047463957
EXACT = 5e-11  # they are given to 10 decimals


def grads(nodes):
    return [n.grad for n in nodes]


def three_layer():
    """A 2-2-2-1 sigmoid net named as the documents do: w{layer}_{to}{from}, z{layer}_{j}, a{layer}_{j}."""
    x = [Value(0.3, label="x1"), Value(-0.8, label="x2")]
    weights = {
        1: [[0.4, -0.2], [0.1, 0.6]],
        2: [[-0.5, 0.3], [0.7, 0.2]],
        3: [[0.9, -0.4]],
    }
    a, params = x, {}
    for layer, rows in weights.items():
        out = []
        for j, row in enumerate(rows, 1):
            w = [Value(v, label=f"w{layer}_{j}{k}") for k, v in enumerate(row, 1)]
            b = Value(0.1 * j, label=f"b{layer}_{j}")
            params.update({p.label: p for p in [*w, b]})
            z = engine.dot(w, a, b)
            z.label = f"z{layer}_{j}"
            act = z.sigmoid()
            act.label = f"a{layer}_{j}"
            out.append(act)
        a = out
    E = (a[0] - 1.0) ** 2
    E.label = "E"
    return E, params


# --- backward_steps --------------------------------------------------------------


def test_each_step_is_one_edge_of_the_chain_rule():
    """Every Step names a node and its parent at ``index``, with the rule's formula and upstream × local."""
    net = nn.seed002()
    names = vocab.names(net.E)
    for s in backward_steps(net.E):
        assert isinstance(s, Step)
        assert s.node.parents[s.index] is s.parent
        assert s.rule == s.node.op.formula(s.index, len(s.node.parents))
        assert s.formula == vocab.formula(s.node, s.index, names)
        assert s.product == s.upstream * s.local
        assert s.upstream == s.node.grad  # ∂E/∂node is complete once the node is processed
        assert s.grad == s.parent.grad  # ∂E/∂parent so far, right after this step


def test_final_marks_the_last_contribution():
    """``final`` is True exactly on the last step that adds to each parent's gradient."""
    t = trace(nn.seed002().E)
    last = {}
    for s in t:
        last[s.parent] = s.number
    assert all(s.final == (last[s.parent] == s.number) for s in t)
    outH1 = [s for s in t if s.parent_name == "outH1"]
    assert [s.final for s in outH1] == [False, True]  # used by zY1 and zY2
    assert outH1[-1].grad == pytest.approx(outH1[0].product + outH1[1].product, abs=1e-15)


def test_one_next_is_one_step_and_grads_move_with_it():
    """After k steps only the first k products have been applied; the rest of the graph is untouched."""
    net = nn.seed002()
    steps = backward_steps(net.E)
    first = next(steps)
    assert first.number == 1 and first.node is net.E and first.upstream == 1.0
    assert net.params["w5"].grad == 0.0  # not reached yet
    for s in steps:
        if s.parent is net.params["w5"]:
            assert net.params["w5"].grad == s.grad == s.product
            assert net.params["w1"].grad == 0.0  # the hidden layer comes later
            break


def test_duplicate_parents_are_two_steps_with_their_own_index():
    """``x * x`` gives two steps, parent indices 0 and 1, the second completing ∂L/∂x = 2x."""
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    s0, s1 = backward_steps(y)
    assert (s0.index, s1.index) == (0, 1)
    assert (s0.rule, s1.rule) == ("b", "a")
    assert (s0.formula, s1.formula) == ("x", "x")  # with the graph's own names: both inputs are x
    assert (s0.final, s1.final) == (False, True)
    assert (s0.grad, s1.grad) == (3.0, 6.0)


def test_step_text_reads_as_the_chain_rule():
    """str(step) says ∂L/∂parent += ∂L/∂node · ∂node/∂parent with the numbers and the formula."""
    net = nn.seed002()
    s = next(s for s in backward_steps(net.E) if s.parent is net.params["w5"])
    text = str(s)
    assert text.startswith(f"step {s.number}: ∂E/∂w5 += ∂E/∂zY1 · ∂zY1/∂w5 = 0.13549 × 0.53842 (outH1) = ")
    assert text.endswith("= 0.07295; ∂E/∂w5 = 0.07295")


def test_leaf_root_takes_no_steps_but_accumulates_like_backward():
    """A leaf has no steps; its grad grows by the seed exactly as backward() does."""
    x = Value(2.0)
    assert list(backward_steps(x)) == []
    assert x.grad == 1.0
    x.backward()
    assert x.grad == 2.0


def test_non_value_root_is_a_clear_error():
    """Stepping, tracing or recording something that is not a Value raises TypeError saying so."""
    for call in (lambda: backward_steps(3.0), lambda: trace([1]), lambda: engine.tracing.record("E")):
        with pytest.raises(TypeError, match="expected the Value"):
            call()


@given(expressions(max_nodes=16, max_depth=6), st.data())
def test_stepping_to_the_end_equals_backward(e, data):
    """On random graphs, exhausting backward_steps leaves bit-for-bit the grads backward() leaves."""
    nodes = engine.topological_order(e.root)
    start = [data.draw(reals(-2.0, 2.0)) if not n.parents else 7.0 for n in nodes]  # leaves accumulate
    for n, g in zip(nodes, start):
        n.grad = g
    e.root.backward()
    expected = grads(nodes)
    for n, g in zip(nodes, start):
        n.grad = g
    steps = list(backward_steps(e.root))
    assert grads(nodes) == expected
    assert len(steps) == count_steps(e.root) == sum(len(n.parents) for n in nodes)
    assert [s.number for s in steps] == list(range(1, len(steps) + 1))
    for s in steps:
        assert s.node.parents[s.index] is s.parent and s.product == s.upstream * s.local


# --- trace ----------------------------------------------------------------------


def test_trace_gives_seed002_numbers():
    """The trace of seed 002 holds ∂E/∂outY1, out(1 − out), H1, ∂E/∂w5 and ∂E/∂w1 to 10 decimals."""
    net = nn.seed002()
    t = trace(net.E)
    assert isinstance(t, Trace) and t.root is net.E and len(t) == count_steps(net.E)
    (sig,) = [s for s in t if s.node is net.out["Y1"]]
    assert sig.upstream == pytest.approx(DE_DOUTY1, abs=EXACT)
    assert (
        sig.local == pytest.approx(SIGMOID_SLOPE_Y1, abs=EXACT)
        and sig.rule == "out * (1 - out)"
        and sig.formula == "outY1 * (1 - outY1)"
    )
    (w5,) = [s for s in t if s.parent is net.params["w5"]]
    assert w5.local == pytest.approx(H1, abs=EXACT) and w5.rule == "x_1" and w5.formula == "outH1"
    assert w5.grad == pytest.approx(DE_DW5, abs=EXACT) and w5.final
    (w1,) = [s for s in t if s.parent is net.params["w1"]]
    assert w1.grad == pytest.approx(DE_DW1, abs=EXACT)


def test_trace_leaves_the_grads_backward_leaves():
    """trace(root) is a backward pass: afterwards every .grad equals backward()'s."""
    a, b = nn.seed002(), nn.seed002()
    a.E.backward()
    trace(b.E)
    assert grads(engine.topological_order(a.E)) == grads(engine.topological_order(b.E))


def test_trace_to_keeps_the_steps_on_the_paths_to_a_parameter():
    """trace.to(w5) keeps exactly the steps from E down to w5, with their original numbers."""
    net = nn.seed002()
    t = trace(net.E)
    to_w5 = t.to(net.params["w5"])
    w5 = net.params["w5"]
    leads_to_w5 = {n for n in engine.topological_order(net.E) if w5 in engine.topological_order(n)}
    assert [s.number for s in to_w5] == [s.number for s in t if s.parent in leads_to_w5]
    assert to_w5[0].node is net.E and len(to_w5) < len(t)
    assert [s.parent_name for s in to_w5][-3:] == ["outY1", "zY1", "w5"]
    assert to_w5.target is net.params["w5"] and to_w5.root is net.E
    assert [s.number for s in t.to("w5")] == [s.number for s in to_w5]  # a label works too
    # w1 is reached through both outputs: every step whose parent leads down to w1, and no other
    to_w1 = t.to("w1")
    above_w1 = {net.E, net.out["Y1"], net.out["Y2"], net.z["Y1"], net.z["Y2"], net.out["H1"], net.z["H1"]}
    assert {s.node for s in to_w1 if s.node.label} <= above_w1
    named = {"outY1", "outY2", "zY1", "zY2", "outH1", "zH1", "w1"}
    assert {s.parent_name for s in to_w1 if s.parent.label} == named
    assert len([s for s in to_w1 if s.parent.label == "outH1"]) == 2


def test_trace_to_refuses_what_is_not_below_the_root():
    """A Value outside the graph, an unknown label or a shared label is a clear error."""
    t = trace(nn.seed002().E)
    with pytest.raises(ValueError, match="not in the graph below E"):
        t.to(Value(1.0, label="w9"))
    with pytest.raises(KeyError, match="no node labelled 'w9'"):
        t.to("w9")
    x = Value(1.0, label="x")
    y = Value(2.0, label="x")
    with pytest.raises(KeyError, match="2 nodes are labelled 'x'"):
        trace(x * y).to("x")


def test_text_table_is_aligned():
    """str(trace) is one header, one rule and one line per step, with every column lined up."""
    t = trace(nn.seed002().E)
    lines = str(t).split("\n\n")[0].splitlines()  # the table; the key of n1, n2, ... follows
    assert len(lines) == 2 + len(t)
    header, rule = lines[0], lines[1]
    assert header.split()[:4] == ["step", "node", "op", "parent"] and "∂E/∂node" in header
    spans, pos = [], 0
    for dashes in rule.split("  "):
        spans.append((pos, pos + len(dashes)))
        pos += len(dashes) + 2
    for line in lines[2:]:
        for start, end in spans:  # a cell never spills into the two-space gap between columns
            assert line[end : end + 2].strip() == "", (line, start, end)
    row = next(line for line in lines if line.split()[3:4] == ["w5"])
    assert "outH1" in row and "0.53842" in row and "0.07295" in row
    assert any(line.endswith("so far") for line in lines)


def test_html_table_is_well_formed():
    """The trace's _repr_html_ parses as XML: a table with one row per step, text escaped."""
    t = trace(nn.seed002().E)
    table = ET.fromstring(t._repr_html_())
    assert table.tag == "table"
    rows = table.findall("./tbody/tr")
    assert len(rows) == len(t)
    assert [c.text for c in rows[0]][:4] == ["1", "E", t[0].node.op.label, t[0].parent_name]
    a = Value(2.0, label="<a & b>")
    L = a.relu()
    L.label = 'L "1"'
    cells = [c.text for c in ET.fromstring(trace(L)._repr_html_()).find("./tbody/tr")]
    assert "<a & b>" in cells and "1 if <a & b> > 0 else 0 = 1.00000" in cells
    assert ET.fromstring(trace(nn.seed002().E).to("w5")._repr_html_()).find("caption").text.endswith("to w5")


def test_unlabelled_nodes_get_stable_names():
    """Unlabelled nodes are n1, n2, ... in reading order; an unlabelled root is L; a shared label gets #2."""
    a = Value(1.0, label="h")
    b = Value(2.0, label="h")
    L = (a * b) + a.exp()
    names = [(s.node_name, s.parent_name) for s in trace(L)]
    assert names[0] == ("L", "n1") and ("n1", "h") in names and ("n1", "h#2") in names
    assert ("n2", "h") in names


# --- explain --------------------------------------------------------------------


def test_explain_w5_reads_like_the_document():
    """∂E/∂w5 is one line: the three named factors and their values, as seed 002 writes it."""
    net = nn.seed002()
    e = explain(net.E, net.params["w5"])
    assert str(e) == "∂E/∂w5 = ∂E/∂outY1 · ∂outY1/∂zY1 · ∂zY1/∂w5 = 0.58371 × 0.23212 × 0.53842 = 0.07295"
    (path,) = e.paths
    assert [f.name for f in path.factors] == ["∂E/∂outY1", "∂outY1/∂zY1", "∂zY1/∂w5"]
    values = [f.value for f in path.factors]
    assert values == pytest.approx([DE_DOUTY1, SIGMOID_SLOPE_Y1, H1], abs=EXACT)
    assert e.total == pytest.approx(DE_DW5, abs=EXACT) and path.value == pytest.approx(DE_DW5, abs=EXACT)
    assert path.reused == ()  # nothing above the output layer to reuse


def test_explain_w1_sums_two_paths_and_marks_reuse():
    """∂E/∂w1 is the sum over the paths through Y1 and Y2, each reusing its output layer's ∂E/∂z."""
    net = nn.seed002()
    t = trace(net.E)
    e = explain(t, "w1")
    assert e.n_paths == 2 and e.total == pytest.approx(DE_DW1, abs=EXACT)
    assert sum(p.value for p in e.paths) == pytest.approx(DE_DW1, abs=EXACT)
    for path, y, source in zip(e.paths, ("Y1", "Y2"), ("w5", "w7")):
        names = [f.name for f in path.factors]
        assert names == [f"∂E/∂out{y}", f"∂out{y}/∂z{y}", f"∂z{y}/∂outH1", "∂outH1/∂zH1", "∂zH1/∂w1"]
        (r,) = path.reused
        assert (r.start, r.end, r.node, r.source, r.whole) == (0, 2, net.z[y], net.params[source], True)
        assert r.prefix == pytest.approx(net.z[y].grad, rel=1e-12)  # that is ∂E/∂z, computed once
    text = str(e)
    assert "[∂E/∂outY1 · ∂outY1/∂zY1] · ∂zY1/∂outH1 · ∂outH1/∂zH1 · ∂zH1/∂w1" in text
    assert "[0.58371 × 0.23212] × 0.18000" in text
    assert "reused: ∂E/∂zY1 = 0.13549, already computed for ∂E/∂w5" in text
    assert text.splitlines()[-1] == "∂E/∂w1 = 0.0057581 - 0.0010117 = 0.0047464"


def test_explain_marks_reuse_layer_by_layer_in_three_layers():
    """In a 3-layer net, ∂E/∂w1 reuses the factors of layer 3 (from w3) and of layer 2 (from w2)."""
    E, params = three_layer()
    e = explain(E, "w1_11")
    assert e.n_paths == 2  # through a2_1 and a2_2
    for j, path in enumerate(e.paths, 1):
        assert [f.name for f in path.factors] == [
            "∂E/∂a3_1", "∂a3_1/∂z3_1", f"∂z3_1/∂a2_{j}", f"∂a2_{j}/∂z2_{j}", f"∂z2_{j}/∂a1_1", "∂a1_1/∂z1_1",
            "∂z1_1/∂w1_11",
        ]  # fmt: skip
        later, middle = path.reused
        assert (later.start, later.end, later.source.label) == (0, 2, "w3_11")
        assert (middle.start, middle.end, middle.source.label) == (2, 4, f"w2_{j}1")
        assert later.whole and middle.whole
    E.backward()
    z3, z2 = e.paths[0].reused[0].node, e.paths[0].reused[1].node
    assert e.paths[0].reused[0].prefix == pytest.approx(z3.grad, rel=1e-12)
    assert e.paths[0].reused[1].prefix == pytest.approx(z2.grad, rel=1e-12)
    assert e.total == pytest.approx(params["w1_11"].grad, rel=1e-12)
    assert "[∂E/∂a3_1 · ∂a3_1/∂z3_1] · [∂z3_1/∂a2_1 · ∂a2_1/∂z2_1] · ∂z2_1/∂a1_1" in str(e)
    # a weight of the last layer reuses nothing; one of the middle layer reuses layer 3's factors
    assert explain(E, "w3_11").paths[0].reused == ()
    (r,) = explain(E, "w2_11").paths[0].reused
    assert (r.start, r.end, r.source.label) == (0, 2, "w3_11")


def test_reuse_marking_on_an_nn_mlp():
    """In nn.MLP(2, [2, 2, 1]) each path to a first-layer weight reuses layer 3's, then layer 2's factors."""
    random.seed(5)
    model = nn.MLP(2, [2, 2, 1], activation="sigmoid", output_activation="sigmoid")
    E = (model([0.5, -1.0]) - 1.0) ** 2
    E.label = "E"
    w = model.layers[0].neurons[0].w[0]
    e = explain(E, w)
    assert e.n_paths == 2
    for path, neuron in zip(e.paths, model.layers[1].neurons):
        later, middle = path.reused
        assert later.source in model.layers[2].neurons[0].w and later.whole
        assert middle.source in neuron.w and middle.whole
        assert later.end == middle.start and middle.end == len(path.factors) - 3
    (g,) = engine.grad(E, [w])
    assert e.total == pytest.approx(g, rel=1e-12)


def test_unlabelled_pieces_fold_into_one_factor():
    """Unlabelled nodes between two named ones are one factor, summed over their routes: ∂E/∂a = 2a + 3."""
    a = Value(1.5, label="a")
    E = a * a + 3 * a  # four unlabelled routes from E down to a
    E.label = "E"
    e = explain(E, a)
    (path,) = e.paths
    (factor,) = path.factors
    assert factor.name == "∂E/∂a" and factor.value == 6.0 and e.total == 6.0
    assert str(e) == "∂E/∂a = ∂E/∂a = 6.00000 = 6.00000"


def test_explain_has_no_side_effects():
    """explain(root, param) restores every .grad, whether or not backward ran before."""
    net = nn.seed002()
    nodes = engine.topological_order(net.E)
    before = grads(nodes)
    explain(net.E, "w1")
    assert grads(nodes) == before
    net.E.backward()
    before = grads(nodes)
    explain(net.E, "w5")
    assert grads(nodes) == before


def test_explain_caps_the_paths_and_says_so():
    """With 2**10 paths only max_paths are listed; the text says how many are left; the total counts all."""
    x = Value(0.9, label="x")
    h = x
    for k in range(10):
        a, b = h * 0.5, h.tanh()  # two named routes per level
        a.label, b.label = f"a{k}", f"b{k}"
        h = a + b
        h.label = f"h{k}"
    e = explain(h, x, max_paths=5)
    assert e.n_paths == 1024 and len(e.paths) == 5
    assert "1019 more paths, not shown" in str(e) and "max_paths" in str(e)
    (g,) = engine.grad(h, [x])
    assert e.total == pytest.approx(g, rel=1e-12)
    with pytest.raises(ValueError, match="max_paths"):
        explain(h, x, max_paths=0)


def test_explain_edge_cases():
    """An unlabelled root is L, the root itself has gradient 1, and a foreign Value is refused."""
    w = Value(2.0)
    L = w.tanh()
    assert explain(L, w).name.startswith("∂L/∂n")
    assert str(explain(L, L)) == "∂L/∂L = 1 (the root itself)"
    with pytest.raises(ValueError, match="is not in the graph"):
        explain(L, Value(1.0))


@settings(max_examples=200)
@given(expressions(max_nodes=10, max_depth=5), st.data())
def test_explain_paths_add_up_to_the_gradient(e, data):
    """On random graphs with random labels, the paths' products add up to ∂root/∂leaf."""
    interior = [n for n in engine.topological_order(e.root) if n.parents]
    for k, n in enumerate(interior):
        n.label = f"h{k}" if data.draw(st.booleans()) else None
    t = trace(e.root)
    for leaf in e.leaves:
        x = explain(t, leaf, max_paths=10_000)
        (g,) = engine.grad(e.root, [leaf])
        assert x.total == pytest.approx(g, rel=1e-9, abs=1e-12)
        assert len(x.paths) == x.n_paths
        assert math.fsum(p.value for p in x.paths) == pytest.approx(g, rel=1e-7, abs=1e-9)
        for p in x.paths:
            assert p.factors[0].upper is e.root and p.factors[-1].lower is leaf
            assert p.value == pytest.approx(math.prod(f.value for f in p.factors), rel=1e-12, abs=1e-300)


def test_negative_zero_is_shown_as_zero():
    """A factor of -0.0 (relu below zero times a negative) prints as 0.00000, never -0.00000."""
    w = Value(-2.0, label="w")
    z = w * 3.0
    z.label = "z"
    L = -(z.relu())
    L.label = "L"
    text = str(explain(L, w))
    assert "-0.0" not in text and text.endswith("= 0.00000")


def test_explanation_html_is_well_formed():
    """The explanation's _repr_html_ parses as XML and marks the reused factors."""
    net = nn.seed002()
    root = ET.fromstring(explain(net.E, "w1")._repr_html_())
    assert root.tag == "div"
    items = root.findall("./ol/li")
    assert len(items) == 2
    reused = root.findall(".//span[@class='reused']")
    assert len(reused) == 4 and reused[0].get("title") == "already computed for ∂E/∂w5"
    single = ET.fromstring(explain(net.E, "w5")._repr_html_())
    assert single.find("./ul/li") is not None


# --- snapshots and frames -------------------------------------------------------


def test_state_matches_the_trace_and_record_restores_grads():
    """record(root).state(i) has the gradients after step i and its step; recording changes no .grad."""
    net = nn.seed002()
    net.E.backward()
    net.E.backward()  # leaves hold twice their gradient: the record must not mix that in
    nodes = engine.topological_order(net.E)
    before = grads(nodes)
    t = trace(nn.seed002().E)
    r = engine.tracing.record(net.E)
    assert grads(nodes) == before
    known, taken = r.state(0)
    assert known == {net.E: 1.0} and taken is None
    for i in (1, 7, 18, len(t)):
        known, taken = r.state(i)
        s = t[i - 1]
        assert (taken.node.label, taken.parent.label) == (s.node.label, s.parent.label)
        assert len(known) == 1 + len({x.parent for x in t[:i]})
        assert known[taken.parent] == s.grad
    known, _ = r.state(len(t))
    assert known[net.params["w5"]] == pytest.approx(DE_DW5, abs=EXACT)


def test_state_refuses_steps_that_do_not_exist():
    """Negative, non-integer or too-large steps are clear errors."""
    net = nn.seed002()
    r = engine.tracing.record(net.E)
    n = count_steps(net.E)
    with pytest.raises(IndexError, match=f"step {n + 1} does not exist: .* has {n} steps"):
        r.state(n + 1)
    for bad in (-1, 1.5, True, "3"):
        with pytest.raises(ValueError, match="step must be an int >= 0"):
            r.state(bad)


def test_frames_are_lazy_drawings_of_each_step(monkeypatch):
    """frames(root)[i] is draw(root, step=i); there is one frame per step plus the start."""
    calls = []
    fake_draw = lambda root, options, step: calls.append((options, step)) or f"frame {step}"
    monkeypatch.setattr("engine.views.drawing.frames.drawing", fake_draw)
    net = nn.seed002()
    f = frames(net.E, digits=3)
    n = count_steps(net.E)
    assert isinstance(f, Frames) and len(f) == n + 1 and calls == []
    assert f[0] == "frame 0" and f[-1] == f"frame {n}" and f[1:3] == ["frame 1", "frame 2"]
    assert calls[0] == (engine.DrawOptions(digits=3, focus=False), 0)  # frames keep every box whole
    f[0]
    assert len(calls) == 4  # frames are cached
    with pytest.raises(IndexError, match=f"frame {n + 1} does not exist"):
        f[n + 1]


def test_frames_without_ipywidgets(monkeypatch):
    """Without ipywidgets the slider says what to do, and frames are still a plain sequence."""
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # makes `import ipywidgets` fail
    monkeypatch.setattr("engine.views.drawing.frames.drawing", lambda root, options, step: f"frame {step}")
    a = Value(2.0, label="a")
    L = a * a
    with pytest.raises(ImportError, match="needs ipywidgets.*frames\\(root\\)\\[i\\]"):
        slider(L)
    f = frames(L)
    assert list(f) == ["frame 0", "frame 1", "frame 2"]
    assert not hasattr(f, "_ipython_display_")  # Jupyter shows the HTML player (test_animate.py)


def test_slider_outside_jupyter_says_what_to_do(capsys):
    """Without a Jupyter kernel the slider is a clear error naming animate() and frames(); no output."""
    pytest.importorskip("ipywidgets")
    a = Value(2.0, label="a")
    with pytest.raises(RuntimeError, match=r"live Jupyter kernel.*engine\.animate\(root, 'steps\.html'\)"):
        slider(a * a)
    assert capsys.readouterr().out == ""


def test_forward_mode_frames_say_forward_mode():
    """A forward-mode trace's frames and player captions start from ∂w/∂w, never as a backward pass."""
    from engine.views.drawing import _player

    net = nn.seed002()
    ft = engine.forward_trace(net.E, "w5")
    f = frames(ft)
    start = _player.captions(f, 5)[0]
    assert start == ft.start_caption(5) and "∂w5/∂w5" in start and "∂E/∂E" not in start
    assert "∂w5/∂w5 = 1.00000 is known" in f[0].source and "grad(E)" not in f[0].source
    assert repr(f) == f"<Frames: {len(ft) + 1} drawings of the forward-mode pass from w5 up to E>"
    assert f[len(ft)].source == engine.draw(ft, step=len(ft), focus=False).source
    assert "∂/∂w5 0.07295" in f[len(ft)].source  # ∂E/∂w5, carried up


def test_draw_step_end_to_end():
    """engine.draw(root, step=i) greys the unknown gradients, marks step i's edge and restores every grad."""
    draw = engine.draw
    net = nn.seed002()
    nodes = engine.topological_order(net.E)
    before = grads(nodes)
    start = draw(net.E, step=0).source
    assert start.count("grad ?") == len(nodes) - 1  # only ∂E/∂E is known at the start
    t = trace(nn.seed002().E)
    i = next(s.number for s in t if s.parent_name == "w5")
    frame = frames(net.E)[i].source
    assert frame.count("grad ?") == len(nodes) - 1 - len({s.parent for s in t[:i]})
    assert f"step {i}" in frame and "∂E/∂w5 += ∂E/∂zY1 · ∂zY1/∂w5" in frame
    assert grads(nodes) == before
