"""Drawings of a computation graph that explain the chain rule.

:func:`draw` returns a :class:`Drawing` (a ``graphviz.Digraph``). Each Value is a box
``name | data | grad``, each op a small oval (``*``, ``σ``, ``* 2``), and each edge from
an input into an op is labelled with the local derivative ∂out/∂in: the factor the chain
rule multiplies by, ``grad(in) += grad(out) × ∂out/∂in``. Unlabelled Values are named
n1, n2, ... exactly as :func:`engine.trace` names them. Nodes made inside
``engine.scope`` (nn's neurons and layers) sit in nested clusters.

Graphs of more than ``max_nodes`` Values (default :data:`FULL_LIMIT`) are drawn
collapsed: one box per neuron or layer (per scope), or per band of depth when there
are no scopes, each with its size and its outputs' data and grad. The caption says so
and a :class:`CollapsedWarning` is issued.

    >>> from engine import Value
    >>> x, w = Value(0.5, label="x"), Value(-1.0, label="w")
    >>> y = (x * w).tanh(); y.label = "y"; y.backward()
    >>> d = draw(y)
    >>> d
    <Drawing of y: 4 values, full view>
    >>> d.save("y.svg")  # doctest: +SKIP

Rendering uses Graphviz's ``dot`` if it is installed, else the ``graphviz-pure``
program installed with chainrule (see :mod:`engine.render`); in Jupyter a drawing
shows itself as SVG.
"""

import html
import re
import warnings
from collections import Counter

import graphviz

from . import render as _render
from .value import Value, local_partials

FULL_LIMIT = 200  # Values: above this, draw() collapses the graph by default
EDGE_LABEL_LIMIT = 80  # Values: up to this, edges carry their local derivative by default
HARD_LIMIT = 2_000  # Values: collapse=False refuses more (an unreadable tangle, slow to lay out)
MAX_BOXES = 150  # collapsed view: most boxes before grouping more coarsely
MAX_BOX_EDGES = 1_500  # collapsed view: most links between boxes before grouping more coarsely
LOOSE_LIMIT = 40  # collapsed view: most ungrouped Values drawn one by one
DEPTH_BANDS = 12  # collapsed view without scopes: number of depth bands

FONT = "Helvetica"
LEAF_FILL, ROOT_FILL, OP_FILL, BOX_FILL = "#e8f1fb", "#fdebd0", "#eeeeee", "#f7f7f7"
HIGHLIGHT, STEP, EDGE_TEXT = "#d62728", "#e6550d", "#1f4e79"
UNKNOWN_FILL, UNKNOWN_FONT, UPDATED_FILL = "#f2f2f2", "#a0a0a0", "#fdd0a2"
OP_STYLE = {"shape": "ellipse", "style": "filled", "fillcolor": OP_FILL, "width": "0", "height": "0",
            "margin": "0.04,0.02", "fontsize": "10"}  # fmt: skip
CLUSTER_STYLE = [("#f3f6fa", "#9db3cc"), ("#ffffff", "#b0b0b0"), ("#fbfbf3", "#c8c8a0")]


class CollapsedWarning(UserWarning):
    """draw() drew a big graph collapsed (one box per group of nodes) rather than node by node."""


class Drawing(graphviz.Digraph):
    """A ``graphviz.Digraph`` that renders with ``dot`` or, without it, with ``graphviz-pure``.

    ``save(path)`` writes SVG, PNG, JPEG, PDF or DOT (.gv) by the file's extension;
    ``svg()`` returns the SVG text and ``pipe(fmt)`` the bytes; Jupyter shows the drawing
    inline as SVG. ``nodes`` is the number of Values in the graph, ``collapsed`` tells
    whether it was drawn collapsed and ``boxes`` how many boxes that took.
    """

    title = "?"  # the root's name
    nodes = 0
    collapsed = False
    boxes = 0
    step = None

    def __repr__(self):  # no memory address: notebooks saved with outputs stay the same
        view = f"collapsed into {self.boxes:,} boxes" if self.collapsed else "full view"
        frame = f", after step {self.step}" if self.step is not None else ""
        return f"<Drawing of {self.title}: {self.nodes:,} values, {view}{frame}>"

    def copy(self):
        """A copy (graphviz's), keeping what the drawing shows."""
        other = super().copy()
        for name in ("title", "nodes", "collapsed", "boxes", "step"):
            setattr(other, name, getattr(self, name))
        return other

    def save(self, filename=None, directory=None, *, skip_existing=False, renderer=None):
        """Render to the file ``filename``, in the format its extension names (.svg .png .jpg .pdf,
        or .gv/.dot for the DOT text); return its Path. The file is written whole or not at all.

        (graphviz's own ``render()`` calls ``save`` with ``directory`` or ``skip_existing=None``
        to write the DOT text; such calls go to ``graphviz.Digraph.save``.)
        """
        if filename is None or directory is not None or skip_existing is not False:
            return super().save(filename, directory=directory, skip_existing=skip_existing)
        return _render.save(self.source, filename, renderer)

    def svg(self):
        """The drawing as SVG text."""
        return _render.pipe(self.source, "svg").decode("utf-8")

    def pipe(self, format=None, renderer=None, formatter=None, neato_no_op=None, quiet=False, *, engine=None,
             encoding=None):  # fmt: skip
        """As ``graphviz.Digraph.pipe``, through whichever renderer runs (see :mod:`engine.render`).

        ``drawing.pipe("png")`` gives PNG bytes. Graphviz's own options (``renderer``,
        ``formatter``, another ``engine``) go to graphviz, which needs system ``dot``.
        """
        if renderer or formatter or neato_no_op or engine not in (None, "dot"):
            return super().pipe(
                format, renderer, formatter, neato_no_op, quiet, engine=engine, encoding=encoding
            )
        data = _render.pipe(self.source, format or self.format)
        return data.decode(encoding) if encoding else data

    def render(self, *args, **kwargs):
        """graphviz's ``render``, which needs system ``dot``; :meth:`save` works without it."""
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound:
            raise _render.RendererNotFound(
                "Drawing.render() is graphviz's own and needs Graphviz's `dot` on PATH; "
                "drawing.save('graph.png') renders with `dot` or graphviz-pure, whichever runs",
                self.source,
            ) from None

    def _repr_svg_(self):
        return self.svg()

    # Jupyter calls _repr_mimebundle_ (from graphviz), whose _repr_image_* methods call pipe() above.


def draw(
    root,
    *,
    rankdir="LR",
    edge_labels=None,
    formulas=False,
    highlight=(),
    highlight_edges=(),
    collapse=None,
    max_nodes=FULL_LIMIT,
    step=None,
    precision=4,
    legend=True,
):
    """Draw the graph below ``root``: Values as ``name | data | grad`` boxes, ops as small ovals.

    - ``rankdir``: "LR" (left to right, the default) or "TB" (top to bottom).
    - ``edge_labels``: label each edge into an op with its local derivative ∂out/∂in
      (with ``formulas=True`` also its formula from the rule table, e.g.
      ``∂zY1/∂w5 = outH1 = 0.5384``). Default: on up to :data:`EDGE_LABEL_LIMIT` Values.
    - ``highlight``: Values whose boxes are outlined in red; ``highlight_edges``: pairs
      ``(a, b)`` of Values, one an input of the other, whose edge is drawn in red.
    - ``collapse``: True draws one box per scope (neuron or layer) or depth band,
      False every node; None (the default) collapses above ``max_nodes`` Values.
    - ``step``: draw the frame after chain-rule step ``step`` (see ``engine.steps``):
      gradients not known by then show ``grad ?`` in grey, and step ``step``'s edge and
      the gradient it updated are drawn in orange. No ``.grad`` is changed.
    - ``precision``: significant digits of the numbers; ``legend``: a caption saying
      how to read the picture.

    >>> from engine import Value
    >>> a = Value(2.0, label="a"); L = a * a; L.label = "L"; L.backward()
    >>> draw(L).source.count("∂L/∂a = 2")
    2
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw() takes the Value to draw from, not {type(root).__name__}")
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' (left to right) or 'TB' (top to bottom), not {rankdir!r}")
    if isinstance(precision, bool) or not isinstance(precision, int) or not 1 <= precision <= 17:
        raise ValueError(f"precision is a number of significant digits from 1 to 17, not {precision!r}")
    from .steps import _names, snapshot  # lazily: stepping is its own module, and names nodes as we do

    order = _forward_order(root)
    frame = snapshot(root, step) if step is not None else None
    auto = collapse is None
    if auto:
        collapse = len(order) > max_nodes and frame is None
    marked = _highlights(highlight, highlight_edges, order)
    names = _names(root)
    if collapse:
        if frame is not None:
            raise ValueError(
                "a step frame shows every node; it cannot be drawn collapsed (use collapse=False)"
            )
        drawing = _collapsed(root, order, names, rankdir, precision, legend, marked)
        if auto:
            warnings.warn(
                f"the graph has {len(order):,} nodes (more than max_nodes={max_nodes}), so it is drawn "
                f"collapsed into {drawing.boxes:,} boxes; pass collapse=False to draw every node",
                CollapsedWarning,
                stacklevel=2,
            )
        return drawing
    if len(order) > HARD_LIMIT:
        raise ValueError(
            f"the graph has {len(order):,} nodes; drawn node by node (more than {HARD_LIMIT:,}) it would be "
            "an unreadable tangle that takes minutes to lay out. Draw it collapsed (the default), or draw "
            "a smaller part of it (e.g. one neuron's output)"
        )
    if edge_labels is None:
        edge_labels = len(order) <= EDGE_LABEL_LIMIT
    return _full(root, order, names, rankdir, edge_labels, formulas, marked, precision, legend, frame, step)


# ---------------------------------------------------------------------------
# Pieces shared by both views


def _forward_order(root):
    """Every node below ``root`` once, each after its inputs, as the forward pass ran: root last.

    A depth-first walk taking inputs in order, with each leaf placed just before its
    first use, so x1, w1 ... come before the neuron that uses them (deterministic).
    """
    order, done = [], set()
    stack = [(root, 0)]
    while stack:
        node, i = stack.pop()
        parents = node._parents
        while i < len(parents) and (parents[i] in done or not parents[i]._parents):
            i += 1
        if i < len(parents):  # an input still to place: place it (and its inputs) first
            stack += ((node, i + 1), (parents[i], 0))
            continue
        for p in parents:  # leaves not yet placed, then the node itself
            if p not in done:
                done.add(p)
                order.append(p)
        if node not in done:
            done.add(node)
            order.append(node)
    return order


def _num(x, precision):
    """A number with ``precision`` significant digits; never "-0"."""
    return "0" if x == 0 else f"{x:.{precision}g}"


def _count(n, word):
    """ "1 leaf", "2 leaves", "1,500 values"."""
    plural = {"leaf": "leaves"}.get(word, word + "s")
    return f"{n:,} {word if n == 1 else plural}"


def _esc(text):
    return html.escape(str(text), quote=False)  # text only: no user text goes in an attribute


def scope_title(path):
    """How a cluster or box for a scope path is captioned, in the documents' words.

    "hidden layer/H1" -> "hidden neuron H1", "layer 1/neuron 2" -> "layer 1 · neuron 2",
    "hidden layer" -> "hidden layer".
    """
    parts = path.split("/")
    last = parts[-1]
    if len(parts) == 1:
        return last
    parent = parts[-2]
    if last.startswith("neuron"):
        return f"{parent} · {last}"
    if parent.endswith(" layer") and " " not in last:
        return f"{parent[: -len(' layer')]} neuron {last}"
    return last


def _new_drawing(root, names, rankdir):
    g = Drawing(name="chainrule")
    g.title = names[root]
    g.attr(rankdir=rankdir, fontname=FONT, fontsize="11", nodesep="0.3", ranksep="0.35")
    g.attr("node", fontname=FONT, fontsize="11")
    g.attr("edge", fontname=FONT, fontsize="10", arrowsize="0.7")
    return g


def _caption(g, lines, top, headline=None):
    """Set the drawing's caption: an optional bold headline, then lines, all left-aligned."""
    text = "".join(f"{_esc(line)}<br align='left'/>" for line in lines)
    if headline is not None:
        text = f'<font point-size="14"><b>{_esc(headline)}</b></font><br align="left"/>' + text
    if text:
        g.attr(label=f"<{text}>", labelloc="t" if top else "b", labeljust="l")


def _place(g, clusters, loose, rankdir):
    """Declare the nodes: ``clusters`` maps a scope path to its ``(name, attrs)`` node specs.

    Every prefix of a path is an enclosing cluster ("layer 1/neuron 2" sits in
    "layer 1"); clusters are numbered in order of first appearance. ``loose`` nodes
    belong to no cluster.
    """
    children = {}  # path -> child paths, in order of first appearance
    for path in clusters:
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            if prefix not in children:
                children[prefix] = []
                if depth > 1:
                    children["/".join(parts[: depth - 1])].append(prefix)
    ids = {path: f"cluster_{i}" for i, path in enumerate(children)}
    # dot stacks a cluster's nodes bottom to top when the graph runs left to right: declare
    # them in reverse so that they read top to bottom (w1 above w2, neuron 1 above neuron 2)
    flip = rankdir == "LR"

    def build(path, depth):
        fill, line = CLUSTER_STYLE[min(depth, len(CLUSTER_STYLE) - 1)]
        sub = graphviz.Digraph(name=ids[path])
        sub.attr(label=graphviz.escape(scope_title(path)), style="rounded,filled", fillcolor=fill, color=line,
                 labeljust="l")  # fmt: skip
        specs = clusters.get(path, ())
        for name, attrs in reversed(specs) if flip else specs:
            sub.node(name, **attrs)
        for child in children[path]:
            sub.subgraph(build(child, depth + 1))
        return sub

    for path in children:
        if "/" not in path:
            g.subgraph(build(path, 0))
    for name, attrs in loose:
        g.node(name, **attrs)


def _title(v, names):
    """A box's title: the label in bold, or the generated name (n1, n2, ...) in italics."""
    return f"<b>{_esc(v.label)}</b>" if v.label is not None else f"<i>{_esc(names[v])}</i>"


def _table(cells, rankdir, fill, border=None):
    """An HTML-like box: cells in a row (LR) or a column (TB); a thick ``border`` when highlighted."""
    rows = "".join(cells) if rankdir == "LR" else "</tr><tr>".join(cells)
    return f"<{_table_tag(fill, border)}<tr>{rows}</tr></table>>"


def _table_tag(fill, border=None):
    frame = f'border="2" color="{border}"' if border else 'border="0"'
    return f'<table {frame} cellborder="1" cellspacing="0" cellpadding="3" bgcolor="{fill}">'


def _highlights(nodes, edges, order):
    """Check the Values and (a, b) pairs to highlight; return a set of Values and a set of (input, node)."""
    present = set(order)
    nodes = [nodes] if isinstance(nodes, Value) else list(nodes)
    for v in nodes:
        if not isinstance(v, Value):
            raise TypeError(f"highlight takes Values, not {v!r} (edges go in highlight_edges)")
        if v not in present:
            raise ValueError(f"highlight: {v!r} is not in the graph being drawn")
    if isinstance(edges, tuple) and len(edges) == 2 and all(isinstance(x, Value) for x in edges):
        edges = [edges]  # one pair given on its own
    pairs = set()
    for pair in edges:
        if not (
            isinstance(pair, (tuple, list)) and len(pair) == 2 and all(isinstance(x, Value) for x in pair)
        ):
            raise TypeError(f"highlight_edges takes (Value, Value) pairs, not {pair!r}")
        a, b = pair
        if b in present and any(p is a for p in b._parents):
            pairs.add((a, b))
        elif a in present and any(p is b for p in a._parents):
            pairs.add((b, a))
        else:
            raise ValueError(f"highlight_edges: no edge joins {a!r} and {b!r} in the graph being drawn")
    return set(nodes), pairs


# ---------------------------------------------------------------------------
# Every node


_INPUT = re.compile(r"\b(out|a|b|k|[wx]_\d+)\b")


def _formula(node, index, names, precision):
    """The rule table's text of ∂node/∂parent[index], its input names replaced by the names shown."""
    op, parents = node._op, node._parents
    text = op.formula(index, len(parents))
    shown = {"out": names[node]}
    if op.name == "dot":
        n = len(parents) // 2
        shown.update({f"w_{i + 1}": names[parents[i]] for i in range(n)})
        shown.update({f"x_{i + 1}": names[parents[n + i]] for i in range(n)})
    else:
        shown.update({name: names[p] for name, p in zip(op.inputs, parents)})
    if op.constant is not None:
        shown["k"] = _num(op.constant, precision)
    return _INPUT.sub(lambda m: shown.get(m.group(1), m.group(1)), text)


def _edge_text(node, parent, index, local, names, formulas, precision):
    """What an edge into an op says: ∂out/∂in, its formula if asked, its value."""
    value = "undefined" if local is None else _num(local, precision)
    parts = [f"∂{names[node]}/∂{names[parent]}"]
    if formulas:
        formula = _formula(node, index, names, precision)
        if formula != value:
            parts.append(formula)
    parts.append(value)
    return " = ".join(parts)


def _full(root, order, names, rankdir, edge_labels, formulas, marked, precision, legend, frame, step):
    g = _new_drawing(root, names, rankdir)
    g.nodes = g.boxes = len(order)
    g.step = step
    marked_nodes, marked_edges = marked
    ids = {v: f"v{i}" for i, v in enumerate(order)}
    known, step_edge = frame if frame is not None else (None, None)
    clusters, loose = {}, []
    for v in order:
        if known is None:
            grad = f"<td>grad {_num(v.grad, precision)}</td>"
        elif v in known:
            fill = f' bgcolor="{UPDATED_FILL}"' if step_edge is not None and v is step_edge[1] else ""
            grad = f"<td{fill}>grad {_num(known[v], precision)}</td>"
        else:
            grad = f'<td bgcolor="{UNKNOWN_FILL}"><font color="{UNKNOWN_FONT}">grad ?</font></td>'
        cells = [f"<td>{_title(v, names)}</td>", f"<td>data {_num(v.data, precision)}</td>", grad]
        fill = ROOT_FILL if v is root else LEAF_FILL if not v._parents else "white"
        border = (
            HIGHLIGHT if v in marked_nodes else STEP if step_edge is not None and v in step_edge else None
        )
        specs = [(ids[v], {"label": _table(cells, rankdir, fill, border), "shape": "plain"})]
        if v._parents:
            specs.append((ids[v] + "op", {"label": graphviz.escape(v._op.label), **OP_STYLE}))
        (clusters.setdefault(v.scope, []) if v.scope is not None else loose).extend(specs)
    _place(g, clusters, loose, rankdir)

    for v in order:
        if not v._parents:
            continue
        vid = ids[v]
        if edge_labels:
            try:
                partials = local_partials(v)
            except (ArithmeticError, ValueError):
                partials = [None] * len(v._parents)
        on_step = step_edge is not None and step_edge[0] is v
        for i, p in enumerate(v._parents):
            attrs = {}
            if edge_labels:
                text = _edge_text(v, p, i, partials[i], names, formulas, precision)
                attrs.update(label=graphviz.escape(text), fontcolor=EDGE_TEXT)
            if (p, v) in marked_edges:
                attrs.update(color=HIGHLIGHT, penwidth="2.5")
            if on_step and p is step_edge[1]:
                attrs.update(color=STEP, penwidth="3")
            g.edge(ids[p], vid + "op", **attrs)
        out = {}
        if any(e[1] is v for e in marked_edges):
            out.update(color=HIGHLIGHT, penwidth="2.5")
        if on_step:
            out.update(color=STEP, penwidth="3")
        g.edge(vid + "op", vid, **out)

    lines = []
    if legend:
        where = "to its right" if rankdir == "LR" else "below it"
        top = names[root]
        lines.append(
            f"box: name | data | grad, where grad = ∂{top}/∂(box);  oval: the op that made the box {where}"
        )
        if edge_labels:
            lines.append(
                "edge: the local derivative ∂out/∂in;  chain rule: grad(in) += grad(out) × ∂out/∂in, "
                "summed over the edges out of a box"
            )
        if any(v.label is None for v in order):
            lines.append("n1, n2, …: unlabelled values, named as engine.trace names them")
        if frame is not None:
            lines.append(
                "grey: a gradient not known yet at this step;  orange: this step's edge and the grad it set"
            )
    headline = _step_caption(step, step_edge, known, names, precision) if frame is not None else None
    _caption(g, lines, top=frame is not None, headline=headline)
    return g


def _step_caption(step, edge, known, names, precision):
    """What step ``step`` did: grad(parent) += grad(node) × ∂node/∂parent, with its numbers."""
    if edge is None:
        ((root, seed),) = known.items()  # at the start only the root's gradient is known
        L = names[root]
        return f"step {step}: the start; only grad({L}) = ∂{L}/∂{L} = {_num(seed, precision)} is known"
    node, parent = edge
    node_name, parent_name = names[node], names[parent]
    text = f"step {step}: grad({parent_name}) += grad({node_name}) × ∂{node_name}/∂{parent_name}"
    try:
        local = local_partials(node)[next(i for i, p in enumerate(node._parents) if p is parent)]
    except (ArithmeticError, ValueError):
        return text
    upstream = known[node]
    product = _num(upstream * local, precision)
    return (
        f"{text} = {_num(upstream, precision)} × {_num(local, precision)} = {product}, "
        f"so grad({parent_name}) = {_num(known[parent], precision)}"
    )


# ---------------------------------------------------------------------------
# Collapsed: one box per group


_MIXED = object()


def _group(order, level):
    """Group key of each node: its scope cut to ``level`` parts, or else that of all its consumers.

    An unscoped node whose consumers are all in one group (a weight used by one
    neuron, say) joins that group; other unscoped nodes get None.
    """
    cut, key, consumers = {}, {}, {}
    for v in reversed(order):  # root first: consumers are keyed before their inputs
        s = v.scope
        if s is not None:
            k = cut.get(s)
            if k is None:
                k = cut[s] = "/".join(s.split("/")[:level])
        else:
            k = consumers.get(v)
            if k is _MIXED:
                k = None
        key[v] = k
        for p in v._parents:
            if p not in consumers:
                consumers[p] = k
            elif consumers[p] is not _MIXED and consumers[p] != k:
                consumers[p] = _MIXED
    return key


def _depths(order):
    """Longest distance from the root to each node (the root is at 0)."""
    depth = {order[-1]: 0}
    for v in reversed(order):
        d = depth[v] + 1
        for p in v._parents:
            if depth.get(p, -1) < d:
                depth[p] = d
    return depth


def _grouping(order):
    """The finest grouping that keeps the picture small: (box key of each node, how it was grouped).

    Scopes are cut to fewer and fewer levels (neuron, then layer) until the boxes and
    the links between them are few enough; with no scopes left, nodes are banded by
    their depth from the output. A key is a scope path, ("depth", lo, hi), or
    ("node", index) for a node drawn on its own.
    """
    levels = {s.count("/") + 1 for s in {v.scope for v in order} if s is not None}
    for level in range(max(levels, default=0), -1, -1):
        key = _group(order, level) if level else dict.fromkeys(order)
        loose = [v for v in order if key[v] is None]
        how = []
        if level:
            example = max((key[v] for v in order if key[v] is not None), key=lambda k: k.count("/"))
            how.append(f"one box per scope like '{example}'")
        if len(loose) > LOOSE_LIMIT:  # too many to draw one by one: band them by depth
            depth = _depths(order)
            deepest = max(depth[v] for v in loose)
            bands = min(DEPTH_BANDS, deepest + 1)
            edges = [-(-b * (deepest + 1) // bands) for b in range(bands + 1)]  # ceil division
            names = [("depth", edges[b], edges[b + 1] - 1) for b in range(bands)]
            for v in loose:
                key[v] = names[depth[v] * bands // (deepest + 1)]
            how.append(f"{'other ' if level else ''}nodes banded by depth from the output ({bands} bands)")
        else:
            for i, v in enumerate(order):
                if key[v] is None:
                    key[v] = ("node", i)
        boxes = len(set(key.values()))
        links = {(key[p], key[v]) for v in order for p in v._parents} if boxes <= MAX_BOXES else ()
        if level == 0 or (boxes <= MAX_BOXES and len(links) <= MAX_BOX_EDGES):
            return key, " and ".join(how) or "every node on its own"


def _collapsed(root, order, names, rankdir, precision, legend, marked):
    key, how = _grouping(order)
    g = _new_drawing(root, names, rankdir)
    g.collapsed, g.nodes = True, len(order)
    marked_nodes, marked_edges = marked

    # One pass over the nodes: members, op kinds, leaves; one over the edges: links, outputs.
    ids, members, ops, leaves = {}, Counter(), {}, Counter()
    for v in order:
        k = key[v]
        if k not in ids:
            ids[k] = f"g{len(ids)}"
            ops[k] = Counter()
        members[k] += 1
        if v._parents:
            ops[k][v._op.symbol] += 1
        else:
            leaves[k] += 1
    links, exported, hot = Counter(), {root}, set()
    for v in order:
        kv = key[v]
        for p in v._parents:
            if key[p] != kv:
                links[(key[p], kv)] += 1
                exported.add(p)
                if (p, v) in marked_edges:
                    hot.add((key[p], kv))
    outputs = {k: [] for k in ids}
    for v in order:
        if v in exported:
            outputs[key[v]].append(v)
    g.boxes = len(ids)

    marked_boxes = {key[v] for v in marked_nodes}
    for k, gid in ids.items():
        border = HIGHLIGHT if k in marked_boxes else None
        if isinstance(k, tuple) and k[0] == "node":
            v = order[k[1]]
            fill = ROOT_FILL if v is root else LEAF_FILL if not v._parents else "white"
            cells = [f"<td>{_title(v, names)}</td>", f"<td>data {_num(v.data, precision)}</td>",
                     f"<td>grad {_num(v.grad, precision)}</td>"]  # fmt: skip
            label = _table(cells, rankdir, fill, border)
        else:
            label = _box_label(k, members[k], ops[k], leaves[k], outputs[k], root, names, precision, border)
        g.node(gid, label=label, shape="plain")  # no clusters: each title names its layer already
    _links(g, ids, links, hot)

    lines = [
        f"collapsed view: {len(order):,} values drawn as {len(ids):,} boxes, {how}; "
        "draw(root, collapse=False) draws every value"
    ]
    if legend:
        lines.append(
            "each box: what it holds, then its outputs (name | data | grad);  an arrow: a box feeds the next"
        )
    _caption(g, lines, top=True)
    return g


def _links(g, ids, links, hot):
    """Draw the links between boxes, each labelled with its number of edges when more than one.

    Boxes fed by the same boxes are drawn as a fan through one small junction that
    says how many edges it stands for: when every one of s boxes feeds every one of t
    (one layer into the next: s + t arrows instead of s × t), or when the links carry
    counts (a label on each of many arrows would be a clutter, and would make dot
    shuffle the boxes).
    """
    sources = {}  # target box -> its source boxes, in order
    for kp, kv in links:
        sources.setdefault(kv, []).append(kp)
    fans = {}  # tuple of source boxes -> the target boxes fed by exactly those
    for kv, kps in sources.items():
        fans.setdefault(tuple(kps), []).append(kv)
    red = {"color": HIGHLIGHT, "penwidth": "2.5"}
    for n, (kps, kvs) in enumerate(fans.items()):
        s, t = len(kps), len(kvs)
        total = sum(links[(kp, kv)] for kp in kps for kv in kvs)
        if (s >= 2 and t >= 2 and s * t > s + t) or (s + t >= 3 and total > s * t):
            what = f"1 → {t} boxes" if s == 1 else f"{s} boxes → 1" if t == 1 else f"all {s} → each of {t}"
            junction = f"j{n}"
            g.node(junction, label=f"{what}\\n{total:,} edges", shape="box", style="rounded,dashed",
                   fontsize="9", margin="0.05,0.02", width="0", height="0")  # fmt: skip
            for kp in kps:
                g.edge(
                    ids[kp], junction, arrowhead="none", **(red if any((kp, kv) in hot for kv in kvs) else {})
                )
            for kv in kvs:
                g.edge(junction, ids[kv], **(red if any((kp, kv) in hot for kp in kps) else {}))
            continue
        for kv in kvs:
            for kp in kps:
                count = links[(kp, kv)]
                attrs = {"label": f"{count:,} edges", "fontcolor": "#555555"} if count > 1 else {}
                g.edge(ids[kp], ids[kv], **attrs, **(red if (kp, kv) in hot else {}))


def _box_label(k, count, ops, leaves, outs, root, names, precision, border, shown=3):
    if isinstance(k, str):
        title = scope_title(k)
    else:
        _, lo, hi = k
        title = f"depth {lo}–{hi} from the output" if hi > lo else f"depth {lo} from the output"
    kinds = ", ".join(f"{sym} ×{n:,}" if n > 1 else sym for sym, n in ops.most_common(4))
    if len(ops) > 4:
        kinds += ", …"
    summary = (
        _count(count, "value")
        + (f": {kinds}" if kinds else "")
        + (f"; {_count(leaves, 'leaf')}" * bool(leaves))
    )
    rows = [
        f'<tr><td colspan="3"><b>{_esc(title)}</b></td></tr>',
        f'<tr><td colspan="3">{_esc(summary)}</td></tr>',
    ]
    for v in outs[:shown]:
        rows.append(
            f"<tr><td>{_title(v, names)}</td><td>data {_num(v.data, precision)}</td>"
            f"<td>grad {_num(v.grad, precision)}</td></tr>"
        )
    if len(outs) > shown:
        rows.append(f'<tr><td colspan="3">+{len(outs) - shown:,} more outputs</td></tr>')
    return f"<{_table_tag(ROOT_FILL if root in outs else BOX_FILL, border)}{''.join(rows)}</table>>"


__all__ = [
    "CollapsedWarning",
    "Drawing",
    "draw",
    "scope_title",
    "FULL_LIMIT",
    "EDGE_LABEL_LIMIT",
    "HARD_LIMIT",
]
