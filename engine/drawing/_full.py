"""The full view: every Value a ``name | data | grad`` box, every op an oval, every edge its ∂out/∂in."""

import graphviz

from .. import graph
from ..backward import local_partials
from ._base import (
    EDGE_TEXT,
    HIGHLIGHT,
    LEAF_FILL,
    OP_STYLE,
    ROOT_FILL,
    STEP,
    UNKNOWN_FILL,
    UNKNOWN_FONT,
    UPDATED_FILL,
    _caption,
    _new_drawing,
    _num,
    _place,
    _table,
    _title,
)  # fmt: skip


def _edge_text(node, parent, index, local, names, formulas, precision):
    """What an edge into an op says: ∂out/∂in, its formula if asked, its value."""
    value = "undefined" if local is None else _num(local, precision)
    parts = [f"∂{names[node]}/∂{names[parent]}"]
    if formulas:
        formula = graph.formula(node, index, names, precision)
        if formula != value:
            parts.append(formula)
    parts.append(value)
    return " = ".join(parts)


def full(root, order, names, rankdir, edge_labels, formulas, marked, precision, legend, frame, step, locals_):
    """Every Value a box, every op an oval; ``frame`` = (known, step) draws the state after a step."""
    g = _new_drawing(root, names, rankdir)
    g.nodes = g.boxes = len(order)
    g.step = step
    marked_nodes, marked_edges = marked
    ids = {v: f"v{i}" for i, v in enumerate(order)}
    known, taken = frame if frame is not None else (None, None)
    step_edge = (taken.node, taken.parent) if taken is not None else None
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
            if locals_ is not None:  # read from the recorded pass
                partials = [locals_.get((v, i)) for i in range(len(v._parents))]
            else:
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
    headline = _step_caption(step, taken, known, names, precision) if frame is not None else None
    _caption(g, lines, top=frame is not None, headline=headline)
    return g


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
