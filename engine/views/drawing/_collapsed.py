"""The collapsed view of a big graph: one box per neuron, layer or band of depth, with its outputs."""

from collections import Counter

from ...vocab import fmt
from ._base import (
    BOX_FILL,
    DEPTH_BANDS,
    HIGHLIGHT,
    LEAF_FILL,
    LOOSE_LIMIT,
    MAX_BOX_EDGES,
    MAX_BOXES,
    ROOT_FILL,
    add_caption,
    black_cells,
    counted,
    escape,
    new_drawing,
    node_title,
    scope_title,
    table_cell,
    table_tag,
)

_MIXED = object()


def _group(order, level):
    """Group key of each node: its scope cut to ``level`` parts, or else that of all its consumers.

    An unscoped node whose consumers are all in one group (a weight used by one
    neuron, say) joins that group; other unscoped nodes get None.
    """
    cut: dict = {}
    key: dict = {}
    consumers: dict = {}
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
        for p in v.parents:
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
        for p in v.parents:
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
            example = max((key[v] for v in order if key[v] is not None), key=lambda k: str(k).count("/"))
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
        links = {(key[p], key[v]) for v in order for p in v.parents} if boxes <= MAX_BOXES else ()
        if level == 0 or (boxes <= MAX_BOXES and len(links) <= MAX_BOX_EDGES):
            return key, " and ".join(how) or "every node on its own"


def collapsed(root, order, names, options, marked):
    """One box per scope (neuron, layer) or band of depth, each with its outputs (options: DrawOptions)."""
    rankdir, precision, legend = options.rankdir, options.digits, options.legend
    key, how = _grouping(order)
    g = new_drawing(root, names, rankdir)
    g.collapsed, g.nodes = True, len(order)
    marked_nodes, marked_edges = marked

    # One pass over the nodes: members, op kinds, leaves; one over the edges: links, outputs.
    ids: dict = {}
    members: Counter = Counter()
    ops: dict = {}
    leaves: Counter = Counter()
    for v in order:
        k = key[v]
        if k not in ids:
            ids[k] = f"g{len(ids)}"
            ops[k] = Counter()
        members[k] += 1
        if v.parents:
            ops[k][v.op.symbol] += 1
        else:
            leaves[k] += 1
    links: Counter = Counter()
    exported, hot = {root}, set()
    for v in order:
        kv = key[v]
        for p in v.parents:
            if key[p] != kv:
                links[(key[p], kv)] += 1
                exported.add(p)
                if (p, v) in marked_edges:
                    hot.add((key[p], kv))
    outputs: dict = {k: [] for k in ids}
    for v in order:
        if v in exported:
            outputs[key[v]].append(v)
    g.boxes = len(ids)

    marked_boxes = {key[v] for v in marked_nodes}
    for k, gid in ids.items():
        border = HIGHLIGHT if k in marked_boxes else None
        if isinstance(k, tuple) and k[0] == "node":
            v = order[k[1]]
            fill = ROOT_FILL if v is root else LEAF_FILL if not v.parents else "white"
            cells = [f"<td>{node_title(v, names)}</td>", f"<td>data {fmt(v.data, precision)}</td>",
                     f"<td>grad {fmt(v.grad, precision)}</td>"]  # fmt: skip
            label = table_cell(cells, rankdir, fill, border)
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
    add_caption(g, lines, top=True)
    return g


def _links(g, ids, links, hot):
    """Draw the links between boxes, each labelled with its number of edges when more than one.

    Boxes fed by the same boxes are drawn as a fan through one small junction that
    says how many edges it stands for: when every one of s boxes feeds every one of t
    (one layer into the next: s + t arrows instead of s × t), or when the links carry
    counts (a label on each of many arrows would be a clutter, and would make dot
    shuffle the boxes).
    """
    sources: dict = {}  # target box -> its source boxes, in order
    for kp, kv in links:
        sources.setdefault(kv, []).append(kp)
    fans: dict = {}  # tuple of source boxes -> the target boxes fed by exactly those
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
        counted(count, "value")
        + (f": {kinds}" if kinds else "")
        + (f"; {counted(leaves, 'leaf')}" * bool(leaves))
    )
    rows = [
        f'<tr><td colspan="3"><b>{escape(title)}</b></td></tr>',
        f'<tr><td colspan="3">{escape(summary)}</td></tr>',
    ]
    for v in outs[:shown]:
        rows.append(
            f"<tr><td>{node_title(v, names)}</td><td>data {fmt(v.data, precision)}</td>"
            f"<td>grad {fmt(v.grad, precision)}</td></tr>"
        )
    if len(outs) > shown:
        rows.append(f'<tr><td colspan="3">+{len(outs) - shown:,} more outputs</td></tr>')
    return (
        f"<{table_tag(ROOT_FILL if root in outs else BOX_FILL, border)}{black_cells(''.join(rows))}</table>>"
    )
