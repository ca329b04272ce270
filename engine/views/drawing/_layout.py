"""The full view's layout: which nodes, in which clusters and tables, their ids, the edges and ports.

A :class:`Layout` is computed once per graph (once per trace for its frames) and holds
everything that is the same in every frame; what a frame shows (its numbers, colours and
captions) is a :class:`engine.views.drawing._state.State`, and ``_full.full`` writes the two
as DOT text.
"""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ... import vocab, walks
from ...walks import Node
from ._base import (
    CLUSTER_STYLE,
    FIT_WIDTH,
    LEAF_FILL,
    OP_FILL,
    QUICK_LAYOUT_ABOVE,
    ROOT_FILL,
    cell_width,
    node_title,
    quote,
    scope_title,
    text_width,
)

KEY_LIMIT = 12  # unlabelled nodes: up to this many, the caption says what each computes
LAYER_TABLE = 48  # top to bottom, a layer with up to this many parameters draws them as one table


def widths(order: list, names: dict, edge_labels: bool, digits: int) -> tuple:
    """Estimated widths (points) of the graph drawn left to right and top to bottom, from its ranks,
    without laying it out: left to right, the sum over the ranks of the widest box (with its op and
    edge labels); top to bottom, the most boxes side by side on one rank, each leaf one rank above
    the first op that takes it."""
    if not order:
        return 0.0, 0.0
    rank: dict = {}
    for v in order:  # forward order: parents first
        ins = [rank[p] for p in v.parents if p in rank and p.parents]
        rank[v] = 1 + max(ins, default=0) if v.parents else 0
    for v in order:
        for p in v.parents:
            if not p.parents and p in rank:
                rank[p] = rank[v] - 1 if rank[p] == 0 else min(rank[p], rank[v] - 1)
    number = "-0." + "0" * digits
    cell = cell_width([f"grad {number}"])
    widest: dict = {}
    for v in order:
        box = text_width(names.get(v, "n")) + 10 + 2 * cell
        widest[rank[v]] = max(widest.get(rank[v], 0.0), box)
    label = text_width(f"∂{number}/∂{number} = {number}", 10) if edge_labels else 10.0
    lr = sum(widest.values()) + (len(widest) - 1) * (30 + label + 50)  # op oval, label, 2 rank gaps
    tb = max(Counter(rank.values()).values()) * (cell + 22)  # nodesep 0.3 in
    return lr, tb


def orientation(order: list, names: dict, edge_labels: bool, digits: int) -> str:
    """Left to right ("LR") when the graph drawn so would be at most :data:`FIT_WIDTH` points wide (or no
    wider than top to bottom), else top to bottom ("TB"); see :func:`widths`."""
    lr, tb = widths(order, names, edge_labels, digits)
    return "LR" if lr <= FIT_WIDTH or lr <= tb else "TB"


def crowded(order: list, names: dict, edge_labels: bool, digits: int, rankdir: str) -> bool:
    """Whether the graph drawn in ``rankdir`` comes near the width of a notebook cell (a step's frame
    then draws a focus view)."""
    lr, tb = widths(order, names, edge_labels, digits)
    return (lr if rankdir == "LR" else tb) > 0.8 * FIT_WIDTH


@dataclass(eq=False, slots=True)
class Edge:
    """One edge: from ``tail`` (a box, or a table's port) into ``node``'s op (``index`` is the parent's
    position), or, with ``index`` None, from the op to its box."""

    tail: str
    head: str
    node: Any
    index: int | None
    parent: Any


@dataclass(eq=False)
class Layout:
    """What every frame of one graph shares: the nodes and their ids, the clusters, the tables of
    leaves and their ports, the edges in the order they are written, the grad cells' width."""

    root: Any
    order: list  # the Values drawn, as the forward pass made them
    names: dict
    rankdir: str
    edge_labels: bool
    ids: dict  # Value -> "v3"
    titles: dict  # Value -> its title cell's text
    # the node statements, and the clusters opened and closed around them: ("open", depth, cluster line
    # or None, name), ("box", depth, Values, table id or None), ("op", depth, v), ("close", depth)
    blocks: list
    edges: list  # Edge, in the order they are written (each op's inputs, then the op -> box edge)
    invisible: list  # (tail, head): edges that only stack the layers (top to bottom)
    width: int  # every grad cell's width (pt): wide enough for any number it shows in any frame
    key: list  # the caption's key of unlabelled nodes
    blank: bool  # unlabelled edges into ops carry a blank label (keeps sibling clusters in order)
    quick: bool  # a big graph: the layout's search is cut short (QUICK_LAYOUT)
    fills: dict = field(default_factory=dict)  # Value -> its box's fill
    written: Any = None  # what the DOT writer wrote of it once for all frames (see _full)


def lay_out(root: Node, order: list, names: dict, rankdir: str, edge_labels: bool, texts: set) -> Layout:
    """The layout of ``order`` (part of the graph below ``root`` or all of it); ``texts`` are all the
    texts a grad cell may show, in any frame (its width fits the widest)."""
    drawn = set(order)
    ids = {v: f"v{i}" for i, v in enumerate(order)}
    # The leaf inputs of one op in one cluster (w1, w2 of a neuron; x1, x2) share one table, a
    # row (LR) or column (TB) each, in input order: no renderer can reorder them.
    scope_of, tables = _homes(order, rankdir)
    chains = _chains(order, scope_of)
    chains = {k: [[p for c in cs for p in c]] if k in tables else cs for k, cs in chains.items()}
    port = {}  # leaf -> "g3:p1:e", where its edges start
    groups: dict = {}  # first leaf of a group -> the group's leaves
    for chain in (c for cs in chains.values() for c in cs if len(c) > 1):
        gid = f"g{len(groups)}"
        groups[chain[0]] = chain
        for j, leaf in enumerate(chain):
            port[leaf] = f"{gid}:p{j}:{'e' if rankdir == 'LR' else 's'}"
    fills = {v: ROOT_FILL if v is root else LEAF_FILL if not v.parents else "white" for v in order}
    clusters: dict = {}  # scope path -> its items, in order: ("box", Values, table id) or ("op", v)
    loose: list = []
    for v in order:
        if v in port:
            if v not in groups:
                continue  # drawn in its group's table
            items: list = [("box", tuple(groups[v]), port[v].split(":")[0])]
        else:
            items = [("box", (v,), None)]
        if v.parents:
            items.append(("op", v))
        box = scope_of[v]
        (clusters.setdefault(box, []) if box is not None else loose).extend(items)
    blocks = _blocks(clusters, loose, tables)

    edges = []
    for v in order:
        if not v.parents:
            continue
        head = ids[v] + "op"
        for i, p in enumerate(v.parents):
            if p in drawn:
                edges.append(Edge(port.get(p, ids.get(p, "")), head, v, i, p))
        edges.append(Edge(head, ids[v], v, None, None))

    invisible = _stack(order, drawn, ids, port, scope_of, tables)
    return Layout(
        root=root, order=order, names=names, rankdir=rankdir, edge_labels=edge_labels, ids=ids,
        titles={v: node_title(v, names) for v in order}, blocks=blocks, edges=edges, invisible=invisible,
        width=cell_width(texts), key=_key_lines(root, order, names),
        blank=not edge_labels and len(order) <= QUICK_LAYOUT_ABOVE, quick=len(order) > QUICK_LAYOUT_ABOVE,
        fills=fills,
    )  # fmt: skip


def _blocks(clusters, loose, unboxed):
    """The node statements in order, in nested clusters: ``clusters`` maps a scope path to its items.

    Every prefix of a path is an enclosing cluster ("layer 1/neuron 2" sits in "layer 1");
    clusters are numbered in order of first appearance. ``loose`` items belong to no cluster.
    A scope in ``unboxed`` (a layer whose parameters are drawn as one table, top to bottom)
    groups its nodes without a box: its neurons' boxes already say which layer they are in, and
    a box would have to stand beside the previous layer's (their ranks meet), making the picture
    twice as wide.
    """
    children: dict = {}  # path -> child paths, in order of first appearance
    for path in clusters:
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            if prefix not in children:
                children[prefix] = []
                if depth > 1:
                    children["/".join(parts[: depth - 1])].append(prefix)
    names = {path: f"cluster_{i}" for i, path in enumerate(children)}
    blocks: list = []

    def build(path, depth):
        fill, line = CLUSTER_STYLE[min(depth, len(CLUSTER_STYLE) - 1)]
        if path in unboxed:  # a layer drawn as its table of parameters: a plain group, not a box
            blocks.append(("open", depth + 1, None, names[path].replace("cluster_", "group_")))
        else:
            attrs = (f"color={quote(line)} fillcolor={quote(fill)} label={quote(scope_title(path))} "
                     'labeljust=l style="rounded,filled"')  # fmt: skip
            blocks.append(("open", depth + 1, attrs, names[path]))
        for item in clusters.get(path, ()):
            blocks.append((item[0], depth + 2, *item[1:]))
        for child in children[path]:
            build(child, depth + 1)
        blocks.append(("close", depth + 1))

    for path in children:
        if "/" not in path:
            build(path, 0)
    for item in loose:
        blocks.append((item[0], 1, *item[1:]))
    return blocks


def _chains(order, scope_of):
    """Leaf inputs of each op, grouped by cluster, in input order: the order they are drawn in.

    A leaf joins the group of the first op that uses it. (Invisible flat edges between
    separate boxes do not hold an order: dot and graphviz-pure both break it in MLPs.)
    """
    taken: set = set()
    chains: dict = {}
    for v in order:
        groups: dict = {}
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
    needs no box (see _blocks), so the layers stack instead of standing side by side. Left to
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
    feeds: dict = {}  # an unscoped leaf -> the layers of the ops it feeds
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


def _stack(order, drawn, ids, port, scope_of, tables):
    """Each layer's parameter table one rank below the previous layer's outputs (invisible edges):
    the layers stack one under the other, the next one's edges passing beside its table."""
    below: dict = {}  # (output, table) -> None: an ordered set
    for v in order:
        inner = [p for p in v.parents if p.parents and p in drawn]
        for p in v.parents:
            if p in drawn and p in port and scope_of[p] in tables:
                for q in inner:
                    below[ids[q], port[p].split(":")[0]] = None
    return list(below)


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


OP_ATTRS = (f'fillcolor="{OP_FILL}" fontsize=10 height=0 margin="0.04,0.02" shape=ellipse style=filled '
            "width=0")  # fmt: skip  # OP_STYLE, as the DOT writer spells it
