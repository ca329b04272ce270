"""The full view's one DOT writer: a layout (``_layout``) and a state (``_state``) as a Drawing.

Every Value a ``name | data | grad`` box, every op an oval, every edge into an op its
∂out/∂in. The layout says what is where; the state what each box, edge and caption shows in
this frame. Every text in a label was escaped where it was made (``_base.escape``, or
``_base.quote`` for DOT strings): this module only puts the pieces together.
"""

from ._base import LEAF_FILL, QUICK_LAYOUT, Drawing, header, quote
from ._layout import OP_ATTRS, Layout
from ._state import State

_QUICK = "\t" + " ".join(f"{k}={quote(v)}" for k, v in sorted(QUICK_LAYOUT.items())) + "\n"
_TABLE = '<table border="2" color="{}" cellborder="1" cellspacing="0" cellpadding="3" bgcolor="{}">'


def full(layout: Layout, state: State) -> Drawing:
    """The drawing of ``layout`` in ``state``."""
    g = Drawing(name="chainrule")
    g.title = layout.names[layout.root]
    g.nodes = g.boxes = len(layout.order)
    g.step = state.step
    g.body = write(layout, state)
    return g


def write(layout: Layout, state: State) -> list:
    """The DOT statements (lines) of ``layout`` in ``state``, in the order Graphviz reads them."""
    items, edges, memo, boxes = _compiled(layout)
    lines = header(layout.rankdir)
    if layout.quick:
        lines.append(_QUICK)
    lr = layout.rankdir == "LR"
    width = f' width="{layout.width}"'
    data, grad, outline, compact = state.data, state.grad, state.outline, state.compact
    for item in items:
        kind = item[0]
        if kind == "text":
            lines.append(item[1])
        elif kind == "box":  # one Value's box: a thick outline of its own when marked
            _, start, v, fill, title = item
            d, g, o = data[v], grad[v], outline.get(v)
            small = v in compact
            key = (v, d, g, o, small)  # most boxes look the same in the next frame: written once
            line = boxes.get(key)
            if line is not None:
                lines.append(line)
                continue
            if small:  # off a focus view's path: the title alone
                rows = title
            else:
                cells = (
                    title,
                    f'<td color="black"{d[0]}>{d[1]}</td>',
                    f'<td color="black"{width}{g[0]}>{g[1]}</td>',
                )
                rows = "".join(cells) if lr else "</tr><tr>".join(cells)
            top = _TABLE.format(o or "transparent", fill)
            line = f"{start}{top}<tr>{rows}</tr></table>> shape=plain]\n"
            if len(boxes) < 100_000:
                boxes[key] = line
            lines.append(line)
        else:  # leaves sharing one table: a row (LR) or column (TB) each; the grad cell is the port
            _, start, values, titles = item
            key = (start, *((data[v], grad[v], outline.get(v), v in compact) for v in values))
            line = boxes.get(key)
            if line is not None:
                lines.append(line)
                continue
            table: list = []
            for j, v in enumerate(values):
                c = outline.get(v) or "black"  # a marked leaf's cells outlined (1 point: no size change)
                d, g = data[v], grad[v]
                if v in compact:  # off a focus view's path: its title, and empty cells as narrow
                    table.append((f'<td color="{c}">{titles[j]}</td>', f'<td color="{c}"></td>',
                                  f'<td color="{c}" port="p{j}"></td>'))  # fmt: skip
                    continue
                table.append((f'<td color="{c}">{titles[j]}</td>', f'<td color="{c}"{d[0]}>{d[1]}</td>',
                             f'<td color="{c}" port="p{j}"{width}{g[0]}>{g[1]}</td>'))  # fmt: skip
            if lr:
                body = "".join(f"<tr>{''.join(r)}</tr>" for r in table)
            else:
                body = "".join(f"<tr>{''.join(r[k] for r in table)}</tr>" for k in range(3))
            line = f"{start}{body}</table>> shape=plain]\n"
            if len(boxes) < 100_000:
                boxes[key] = line
            lines.append(line)
    for start, look in zip(edges, state.edges):
        attrs = memo.get(look)
        if attrs is None:
            attrs = memo[look] = _attrs(look)
        lines.append(f"{start}{attrs}\n")
    for a, b in layout.invisible:
        lines.append(f"\t{a} -> {b} [style=invis]\n")
    if state.caption is not None:
        lines.append(state.caption)
    return lines


def _compiled(layout):
    """The layout's statements with everything that is the same in every frame written out once
    (kept on the layout): its items, the start of each edge statement, a memo of edge attributes."""
    if layout.written is not None:
        return layout.written
    items: list = []
    for block in layout.blocks:
        kind, tabs = block[0], "\t" * block[1]
        if kind == "box" and block[3] is None:
            v = block[2][0]
            items.append(("box", f"{tabs}{layout.ids[v]} [label=<", v, layout.fills[v],
                          f'<td color="black">{layout.titles[v]}</td>'))  # fmt: skip
        elif kind == "box":
            values, table = block[2], block[3]
            start = f"{tabs}{table} [label=<{_TABLE.format('transparent', LEAF_FILL)}"
            items.append(("group", start, values, [layout.titles[v] for v in values]))
        elif kind == "op":
            v = block[2]
            items.append(("text", f"{tabs}{layout.ids[v]}op [label={quote(v.op.label)} {OP_ATTRS}]\n"))
        elif kind == "open":
            items.append(("text", f"{tabs}subgraph {block[3]} {{\n"))
            if block[2] is not None:
                items.append(("text", f"{tabs}\t{block[2]}\n"))
        else:
            items.append(("text", f"{tabs}}}\n"))
    edges = [f"\t{e.tail} -> {e.head}" for e in layout.edges]
    layout.written = (items, edges, {}, {})
    return layout.written


def _attrs(look):
    """An edge's attribute list, ``[label=... color=... fontcolor=... penwidth=...]``."""
    label, colour, width, font = look
    parts = [f"label={label}"] if label is not None else []
    if colour is not None:
        parts.append(f"color={quote(colour)}")
    if font is not None:  # no leader line (decorate): it would strike through labels beside the edge
        parts.append(f"fontcolor={quote(font)}")
    if width is not None:
        parts.append(f"penwidth={width}")
    return f" [{' '.join(parts)}]" if parts else ""


__all__ = ["full", "write"]
