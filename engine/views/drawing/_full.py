"""The full view: every Value a ``name | data | grad`` box, every op an oval, every edge its ∂out/∂in."""

import re
from collections import Counter

import graphviz

from ... import vocab, walks
from ...backward import local_partials
from ._base import (
    EDGE_TEXT,
    HIGHLIGHT,
    LEAF_FILL,
    OP_STYLE,
    QUICK_LAYOUT,
    QUICK_LAYOUT_ABOVE,
    ROOT_FILL,
    STEP,
    UNKNOWN_FILL,
    UNKNOWN_FONT,
    UPDATED_FILL,
    _caption,
    _cell_width,
    _new_drawing,
    _num,
    _place,
    _scripts,
    _table,
    _table_tag,
    _title,
    _unicode_scripts,
)

REUSED = "#d08a00"  # a node whose ∂L/∂node a later layer's gradient already needed (as explain marks it)
KEY_LIMIT = 12  # unlabelled nodes: up to this many, the caption says what each computes
LAYER_TABLE = 48  # top to bottom, a layer with up to this many parameters draws them as one table


def _edge_text(node, parent, index, local, names, formulas, precision):
    """What an edge into an op says: ∂out/∂in, its formula if asked, its value."""
    value = "undefined" if local is None else _num(local, precision)
    parts = [f"∂{names[node]}/∂{names[parent]}"]
    if formulas:
        formula = vocab.formula(node, index, names, precision)
        if formula != value:
            parts.append(formula)
    parts.append(value)
    return " = ".join(parts)


def _chains(order, scope_of):
    """Leaf inputs of each op, grouped by cluster, in input order: the order they are drawn in.

    A leaf joins the group of the first op that uses it. (Invisible flat edges between
    separate boxes do not hold an order: dot and graphviz-pure both break it in MLPs.)
    """
    taken, chains = set(), {}
    for v in order:
        groups = {}
        for p in v.parents:
            if not p.parents and p not in taken and p in scope_of:
                taken.add(p)
                groups.setdefault(scope_of[p], []).append(p)
        for scope, leaves in groups.items():
            chains.setdefault(scope, []).append(leaves)
    return chains


def _homes(order, rankdir):
    """The scope each node's box is drawn in, and the layers drawn as one table of parameters.

    Top to bottom, a layer's parameters share one table above its neurons, in index order
    (w1, w2, b1, w3, w4): its ports fix the neurons' order for both renderers, and the layer
    needs no box (see _place), so the layers stack instead of standing side by side. Left to
    right, inputs that feed one layer only (x1, x2) sit in that layer's box, beside its shared
    bias: between the neurons they feed, not below them all.
    """
    holders = {sc.rsplit("/", 1)[0] for sc in (v.scope for v in order) if sc is not None and "/" in sc}

    def layer_of(v):  # the layer whose table a leaf would join, or None
        sc = v.scope
        if v.parents or sc is None:
            return None
        layer = sc.rsplit("/", 1)[0] if "/" in sc else sc
        return layer if layer in holders else None

    sizes = Counter(layer_of(v) for v in order)
    tables = {k for k, n in sizes.items() if k is not None and n <= LAYER_TABLE} if rankdir == "TB" else set()
    feeds = {}  # an unscoped leaf -> the layers of the ops it feeds
    for v in order:
        for p in v.parents:
            if not p.parents and p.scope is None and v.scope is not None:
                feeds.setdefault(p, set()).add(v.scope.rsplit("/", 1)[0] if "/" in v.scope else None)

    def home(v):
        layer = layer_of(v)
        if layer in tables:
            return layer
        if rankdir == "LR" and len(feeds.get(v, ())) == 1 and next(iter(feeds[v])) in holders:
            return next(iter(feeds[v]))
        return v.scope

    return {v: home(v) for v in order}, tables


def _stack(g, order, drawn, ids, port, scope_of, tables):
    """Put each layer's parameter table one rank below the previous layer's outputs (invisible
    edges): the layers stack one under the other, the next one's edges passing beside its table."""
    below = {}  # (output, table) -> None: an ordered set
    for v in order:
        inner = [p for p in v.parents if p.parents and p in drawn]
        for p in v.parents:
            if p in drawn and p in port and scope_of[p] in tables:
                for q in inner:
                    below[ids[q], port[p].split(":")[0]] = None
    for a, b in below:
        g.edge(a, b, style="invis")


def full(root, order, names, rankdir, edge_labels, formulas, marked, precision, legend, frame, step, locals_,
         trace=None, only=None, tokens=False, headline_on=True):  # fmt: skip
    """Every Value a box, every op an oval; ``frame`` = (known, step) draws the state after a step.

    ``order`` may be part of the graph (``only``: the explanation of one parameter's
    gradient, whose paths are drawn); edges run only between the nodes drawn. With
    ``tokens`` what changes from frame to frame (grad cells, outlines, the step's edges, the
    headline) is left as placeholders: see :class:`FrameTemplate`. ``headline_on=False`` leaves a
    frame's bold first line out (a player or slider shows it as its caption).
    """
    g = _new_drawing(root, names, rankdir)
    g.nodes = g.boxes = len(order)
    g.step = step
    if len(order) > QUICK_LAYOUT_ABOVE:
        g.attr(**QUICK_LAYOUT)
    drawn = set(order)
    marked_nodes, marked_edges = marked
    reused = {r.node for path in only.paths for r in path.reused} if only is not None else set()
    ids = {v: f"v{i}" for i, v in enumerate(order)}
    known, taken = frame if frame is not None else (None, None)
    step_edge = (taken.node, taken.parent) if taken is not None else None
    updated = taken.updated if taken is not None else None
    word = trace.quantity if trace is not None else "grad"
    # One width for every grad cell, wide enough for any number it shows in any frame of the
    # trace: the boxes keep their size, so no node moves from one frame to the next.
    if trace is not None:
        grads = [trace.gradient] + [s.grad for s in trace.steps]
        texts = {f"grad {_num(x, precision)}" for x in grads} | {"grad ?"}
    else:
        texts = {f"grad {_num(v.grad, precision)}" for v in order}
    width = f' width="{_cell_width(texts)}"'
    # The leaf inputs of one op in one cluster (w1, w2 of a neuron; x1, x2) share one table, a
    # row (LR) or column (TB) each, in input order: no renderer can reorder them.
    scope_of, tables = _homes(order, rankdir)
    chains = _chains(order, scope_of)
    chains = {k: [[p for c in cs for p in c]] if k in tables else cs for k, cs in chains.items()}
    port = {}  # leaf -> "g3:p1:e", where its edges start
    groups = {}  # first leaf of a group -> the group's leaves
    for chain in (c for cs in chains.values() for c in cs if len(c) > 1):
        gid = f"g{len(groups)}"
        groups[chain[0]] = chain
        for j, leaf in enumerate(chain):
            port[leaf] = f"{gid}:p{j}:{'e' if rankdir == 'LR' else 's'}"
    clusters, loose = {}, []

    def cells_of(v):
        if tokens:
            attrs, text = f"@@A{ids[v]}@@", f"@@T{ids[v]}@@"
        else:
            attrs, text = grad_cell(v, known, updated, precision, word)
        grad = f"<td{width}{attrs}>{text}</td>"
        return [f"<td>{_title(v, names)}</td>", f"<td>data {_num(v.data, precision)}</td>", grad]

    def border_of(v):
        if tokens:
            return f"@@B{ids[v]}@@"
        return outline(v, marked_nodes, step_edge, reused)

    for v in order:
        if v in port:
            if v not in groups:
                continue  # drawn in its group's table
            specs = [(port[v].split(":")[0], {"label": _group(groups[v], cells_of, border_of, rankdir),
                                              "shape": "plain"})]  # fmt: skip
        else:
            fill = ROOT_FILL if v is root else LEAF_FILL if not v.parents else "white"
            specs = [(ids[v], {"label": _table(cells_of(v), rankdir, fill, border_of(v)), "shape": "plain"})]
        if v.parents:
            specs.append((ids[v] + "op", {"label": graphviz.escape(v.op.label), **OP_STYLE}))
        box = scope_of[v]
        (clusters.setdefault(box, []) if box is not None else loose).extend(specs)
    _place(g, clusters, loose, unboxed=tables)

    # Without labels, dot and graphviz-pure break ties between sibling clusters (neurons) in
    # opposite ways; a blank label on each edge into an op makes both keep them in index order.
    # (Not on big graphs: edge labels slow their layout down, see QUICK_LAYOUT.)
    blank = not edge_labels and len(order) <= QUICK_LAYOUT_ABOVE
    for v in order:
        if not v.parents:
            continue
        vid = ids[v]
        if edge_labels:
            if locals_ is not None:  # read from the recorded pass
                partials = [locals_.get((v, i)) for i in range(len(v.parents))]
            else:
                try:
                    partials = local_partials(v)
                except (ArithmeticError, ValueError):
                    partials = [None] * len(v.parents)
        on_step = step_edge is not None and step_edge[0] is v
        for i, p in enumerate(v.parents):
            if p not in drawn:
                continue
            attrs = {}
            if edge_labels:
                text = _edge_text(v, p, i, partials[i], names, formulas, precision)
                # w^(2)_1 as w⁽²⁾₁ (Unicode scripts keep an edge label one piece of text, which both
                # renderers measure well); HTML scripts where Unicode has no such character
                plain = _unicode_scripts(text)
                rich = _scripts(plain)
                # top to bottom, "∂zH1/∂w1" above "= 0.95": the labels side by side between two
                # ranks are half as wide, so each sits beside its own edge and the picture narrows
                two = rankdir == "TB" and " = " in plain
                if "<sub>" in rich or "<sup>" in rich:
                    label = f"<{rich.replace(' = ', '<br/>= ', 1) if two else rich}>"
                elif two:
                    first, rest = plain.split(" = ", 1)
                    label = graphviz.escape(first) + "\\n= " + graphviz.escape(rest)
                else:
                    label = graphviz.escape(plain)
                # decorate: the label underlined and tied to its own edge by a thin line, so that
                # it can be matched to its curve where edges run close together
                attrs.update(label=label, fontcolor=EDGE_TEXT, decorate="true")
            elif blank:
                attrs.update(label=" ")
            if (p, v) in marked_edges:
                attrs.update(color=HIGHLIGHT, penwidth="2.5")
            if tokens:  # this edge is orange in the frame of its step
                attrs.update(color=f"@@C{vid}:{i}@@", penwidth=f"@@W{vid}:{i}@@")
            elif on_step and p is step_edge[1]:
                attrs.update(color=STEP, penwidth="3")
            g.edge(port.get(p, ids[p]), vid + "op", **attrs)
        out = {}
        if any(e[1] is v for e in marked_edges):
            out.update(color=HIGHLIGHT, penwidth="2.5")
        if tokens:
            out.update(color=f"@@C{vid}@@", penwidth=f"@@W{vid}@@")
        elif on_step:
            out.update(color=STEP, penwidth="3")
        g.edge(vid + "op", vid, **out)

    _stack(g, order, drawn, ids, port, scope_of, tables)

    lines = []
    if legend:
        where = "to its right" if rankdir == "LR" else "below it"
        top = names[root]
        meaning = trace.box_legend() if trace is not None else f"grad = ∂{top}/∂(box)"
        lines.append(f"box: name | data | {word}, where {meaning};  oval: the op that made the box {where}")
        if edge_labels:
            rule = (
                trace.rule_legend()
                if trace is not None
                else "chain rule: grad(in) += grad(out) × ∂out/∂in, summed over the edges out of a box"
            )
            lines.append(f"edge: the local derivative ∂out/∂in;  {rule}")
        lines += _key_lines(root, order, names)
        if step is not None:
            noun = "gradient" if word == "grad" else word  # a forward-mode trace's boxes hold ∂(box)/∂w
            lines.append(
                f"grey: a {noun} not known yet at this step;  orange: this step's edge and the {word} it set"
            )
    shown = step is not None and headline_on
    title = headline(trace, step, taken, known, names, precision) if shown else None
    if tokens and headline_on:
        title = "@@H@@"
    if only is not None and step is None:
        title = f"the paths from {names[root]} to {names[only.param]}, as engine.explain writes them"
        lines = (
            only.text(precision).splitlines()
            + (
                [f"gold outline: a node whose ∂{names[root]}/∂node a later layer's gradient already needed"]
                if reused and legend
                else []
            )
            + lines
        )
    _caption(g, lines, top=frame is not None or only is not None, headline=title)
    return g


def grad_cell(v, known, updated, precision, word="grad"):
    """A box's grad cell in one frame: (its extra attributes, its text); ``updated`` is the node the
    frame's step changed, ``word`` what the boxes hold (grad, or a forward-mode trace's tangent)."""
    if known is None:
        return "", f"grad {_num(v.grad, precision)}"
    if v in known:
        fill = f' bgcolor="{UPDATED_FILL}"' if v is updated else ""
        return fill, f"{word} {_num(known[v], precision)}"
    return f' bgcolor="{UNKNOWN_FILL}"', f'<font color="{UNKNOWN_FONT}">{word} ?</font>'


def headline(trace, step, taken, known, names, precision):
    """A frame's headline: what its step did, as the trace words it (backward or forward mode)."""
    if trace is None:
        return _step_caption(step, taken, known, names, precision)
    return trace.start_caption(precision) if taken is None else taken.caption(precision)


def outline(v, marked_nodes, step_edge, reused):
    """The colour of a box's outline in one frame, or None."""
    if v in marked_nodes:
        return HIGHLIGHT
    if step_edge is not None and v in step_edge:
        return STEP
    return REUSED if v in reused else None


class FrameTemplate:
    """The frames of one trace from one drawing: what changes between frames is filled in.

    Building a frame through graphviz's API costs most of the time of ``draw(trace, step=i)``;
    a template is built once (``full(..., tokens=True)``) and each frame is then a text
    substitution of its grad cells, outlines, step edges and headline. Frame i is the same
    DOT text ``full`` would write for it, up to the explicit default colour and pen width
    of the edges that are not on step i.
    """

    _TOKEN = re.compile(r"@@([ATBKHCW])([^@]*)@@")

    def __init__(self, drawing, order, names, marked_nodes, precision):
        self.drawing, self.names, self.precision = drawing, names, precision
        self.marked_nodes = marked_nodes
        nodes = {f"v{i}": v for i, v in enumerate(order)}
        # a leaf's outline token inside a shared table's cells defaults to black, a box's to none
        self.text = "".join(drawing.body).replace('<td color="@@B', '<td color="@@K')
        self.slots = {}  # token text -> (kind, node, parent index or None)
        self.pieces = []  # the text cut at its tokens: text, token, text, token, ..., text
        last = 0
        text = self.text
        for m in self._TOKEN.finditer(text):
            kind, what = m.group(1), m.group(2)
            start, end = m.span()
            if kind in "CW":  # an edge attribute: graphviz quoted it, and the value replaces the quotes too
                start, end = start - 1, end + 1
            token = text[start:end]
            vid, _, index = what.partition(":")
            self.slots[token] = (kind, nodes.get(vid), int(index) if index else None)
            self.pieces += [text[last:start], token]
            last = end
        self.pieces.append(self.text[last:])
        self.of_node = {}  # node -> its tokens (the H token is under None)
        for token, (_, v, _) in self.slots.items():
            self.of_node.setdefault(v, []).append(token)
        self.last = None  # (i, step_edge, values) of the frame made last

    def frame(self, trace, i):
        """The drawing after step ``i`` of ``trace``."""
        known, taken = trace.state(i)
        step_edge = (taken.node, taken.parent) if taken is not None else None
        if self.last is not None and self.last[0] == i - 1:  # the next frame: only its step's nodes change
            values = dict(self.last[2])
            changed = {None, *(self.last[1] or ()), *(step_edge or ())}
            tokens = [t for v in changed for t in self.of_node.get(v, ())]
        else:
            values, tokens = {}, self.slots
        for token in tokens:
            kind, v, index = self.slots[token]
            if kind == "H":
                text = headline(trace, i, taken, known, self.names, self.precision)
                values[token] = _scripts(_unicode_scripts(text))
            elif kind in "CW":  # an edge into v's op (from parent ``index``) or out of it
                on = step_edge is not None and step_edge[0] is v
                if index is not None:
                    on = on and v.parents[index] is step_edge[1]
                values[token] = (f'"{STEP}"' if on else "black") if kind == "C" else ("3" if on else "1")
            elif kind in "BK":
                colour = outline(v, self.marked_nodes, step_edge, ())
                values[token] = colour or ("black" if kind == "K" else "transparent")
            else:
                updated = taken.updated if taken is not None else None
                attrs, text = grad_cell(v, known, updated, self.precision, trace.quantity)
                values[token] = attrs if kind == "A" else text
        self.last = (i, step_edge, values)
        d = self.drawing.copy()
        pieces = self.pieces
        d.body = ["".join([values[p] if k % 2 else p for k, p in enumerate(pieces)])]
        d.step = i
        return d


def _group(leaves, cells_of, border_of, rankdir):
    """One table for several leaves, in order: a row each (LR) or a column each (TB).

    Each leaf's grad cell is the port its edges leave from; a highlighted leaf's cells are
    outlined in the highlight's colour (a 1-point line: the table keeps its size).
    """
    rows = []
    for j, v in enumerate(leaves):
        cells = cells_of(v)
        cells[2] = cells[2].replace("<td", f'<td port="p{j}"', 1)
        colour = border_of(v) or "black"
        rows.append([c.replace("<td", f'<td color="{colour}"', 1) for c in cells])
    if rankdir == "LR":
        body = "".join(f"<tr>{''.join(r)}</tr>" for r in rows)
    else:
        body = "".join(f"<tr>{''.join(r[k] for r in rows)}</tr>" for k in range(3))
    return f"<{_table_tag(LEAF_FILL)}{body}</table>>"


def _key_lines(root, order, names):
    """What the unlabelled nodes compute (``n3 = 0.05 − outY1``), and the root written out."""
    key = vocab.key(order, names)
    if not key:
        return []
    if len(key) > KEY_LIMIT:
        return [f"n1 … n{len(key)}: unlabelled values, named as engine.trace names them"]
    lines = []
    written = vocab.written(root, names)
    if written is not None and all(p in set(order) for p in walks.topological_order(root)):
        lines.append(written)
    texts = [text for _, text in key]
    for i in range(0, len(texts), 4):
        lines.append(";  ".join(texts[i : i + 4]))
    return lines


def _step_caption(step, taken, known, names, precision):
    """What step ``step`` did: grad(parent) += grad(node) × ∂node/∂parent, with its numbers."""
    if taken is None:
        ((root, seed),) = known.items()  # at the start only the root's gradient is known
        L = names[root]
        return f"step {step}: the start; only grad({L}) = ∂{L}/∂{L} = {_num(seed, precision)} is known"
    n, p = taken.node_name, taken.parent_name
    return (
        f"step {step}: grad({p}) += grad({n}) × ∂{n}/∂{p} = {_num(taken.upstream, precision)} × "
        f"{_num(taken.local, precision)} = {_num(taken.product, precision)}, so grad({p}) = "
        f"{_num(taken.grad, precision)}"
    )
