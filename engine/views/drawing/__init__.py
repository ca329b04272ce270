"""Drawings of a computation graph that explain the chain rule.

:func:`draw` returns a :class:`Drawing` (a ``graphviz.Digraph``). Each Value is a box
``name | data | grad``, each op a small oval (``*``, ``σ``, ``* 2``), and each edge from
an input into an op is labelled with the local derivative ∂out/∂in: the factor the chain
rule multiplies by, ``∂L/∂in += ∂L/∂out · ∂out/∂in``. Unlabelled Values are named
n1, n2, ... exactly as :func:`engine.trace` names them. Nodes made inside
``engine.scope`` (nn's neurons and layers) sit in nested clusters.

Graphs of more than ``max_nodes`` Values (default :data:`FULL_LIMIT`) are drawn
collapsed: one box per neuron or layer (per scope), or per band of depth when there
are no scopes, each with its size and its outputs' data and grad. The caption says so
and a :class:`CollapsedWarning` is issued.

The package holds one job per module: ``options`` (:class:`DrawOptions`, every option
once), ``_base`` (the Drawing class, style, escaping), ``_layout`` (where every node and
edge of the full view goes, once per graph), ``_state`` (what one frame shows: numbers,
colours, captions), ``_full`` (the one DOT writer of a layout in a state), ``_collapsed``
(one box per group), ``frames`` (the drawings of a pass, step by step, and the slider),
``render`` (dot or graphviz-pure), ``animate`` (a GIF or an HTML page of the frames) and
``_player`` (the HTML player).

    >>> from engine import Value
    >>> x, w = Value(0.5, label="x"), Value(-1.0, label="w")
    >>> y = (x * w).tanh(); y.label = "y"; y.backward()
    >>> d = draw(y)
    >>> d
    <Drawing of y: 4 values, full view>
    >>> d.save("y.svg")  # doctest: +SKIP

Rendering uses Graphviz's ``dot`` if it is installed, else the ``graphviz-pure``
program installed with chainrule (see :mod:`engine.views.drawing.render`); in Jupyter a drawing
shows itself as SVG.
"""

import warnings
from collections.abc import Iterable
from typing import Any

from ... import vocab, walks
from ...record import fresh
from ...record.tracing import Trace, record
from ...value import Value
from ...vocab import fmt
from ._base import CollapsedWarning, Drawing, caption_line, highlights, scope_title
from ._collapsed import collapsed
from ._full import full
from ._layout import lay_out, orientation
from ._player import slim_svg
from ._state import Scene, cached
from .options import FULL_LIMIT, DrawOptions, make

EDGE_LABEL_LIMIT = 80  # Values: up to this, edges carry their local derivative by default
HARD_LIMIT = 2_000  # Values: collapse=False refuses more (an unreadable tangle, slow to lay out)


def draw(
    root: Any,
    *,
    rankdir: str | None = None,
    edge_labels: bool | None = None,
    formulas: bool = False,
    highlight: Value | Iterable[Value] = (),
    highlight_edges: Iterable = (),
    collapse: bool | None = None,
    max_nodes: int = FULL_LIMIT,
    step: int | None = None,
    digits: int = vocab.DIGITS,
    legend: bool = True,
    only: Value | str | None = None,
    headline: bool = True,
    precision: int | None = None,
    focus: bool | None = None,
) -> Drawing:
    """Draw the graph below ``root``: Values as ``name | data | grad`` boxes, ops as small ovals.

    - ``rankdir``: "LR" (left to right) or "TB" (top to bottom); None (the default) draws left to
      right unless that would be too wide for a notebook cell (an 848-px column at text of 10 px),
      then top to bottom.
    - ``edge_labels``: label each edge into an op with its local derivative ∂out/∂in
      (with ``formulas=True`` also its formula from the rule table, e.g.
      ``∂zY1/∂w5 = outH1 = 0.5384``). Default: on up to :data:`EDGE_LABEL_LIMIT` Values.
      The numbers are read from a recorded backward pass (``engine.trace``): no derivative is
      computed again.
    - ``highlight``: Values whose boxes are outlined in red; ``highlight_edges``: pairs
      ``(a, b)`` of Values, one an input of the other, whose edge is drawn in red.
    - ``collapse``: True draws one box per scope (neuron or layer) or depth band,
      False every node; None (the default) collapses above ``max_nodes`` Values.
    - ``step``: draw the frame after chain-rule step ``step`` of the recorded pass
      (``engine.trace``): gradients not known by then show ``grad ?`` in grey, and step
      ``step``'s edge and the gradient it updated are drawn in orange. No ``.grad`` is
      changed. ``root`` may be a Trace: its steps are drawn (after the last one when
      ``step`` is None) and nothing is computed again. A filtered trace (``trace.to("w5")``)
      numbers its steps as its table does, and draws the edges it leaves out faded.
    - ``digits``: decimals of the numbers (as in trace tables; ``precision``, its old name,
      still works for one release); ``legend``: a caption saying how to read the picture.
    - ``only``: a parameter (a Value or its label, e.g. ``"w5"``): draw just the paths from the
      root down to it, the nodes whose gradient a later layer already needed outlined in
      gold, captioned with ``engine.explain(root, only)``.
    - ``focus``: a step's frame as a focus view: the step's node, its parents and the nodes up to
      the root at full size, every other box its name alone and the edges between them faded, so
      that the step's edge and its label fit a notebook cell. None (the default) does so where the
      whole picture would come near a cell's width; ``engine.frames`` (the player, the slider)
      keeps every box whole, one layout for all frames.
    - ``headline``: a step's frame opens with a bold line saying what the step did; False leaves
      it out (the HTML player and the slider show that line as their one caption).

    The options are held in one :class:`DrawOptions`. Every frame of one trace puts each node
    at the same place (one layout, drawn in each frame's state; grad cells have one width).
    A graph whose leaves changed after the forward pass (``optimizer.step()``) is refused
    with :class:`engine.record.fresh.StaleGraphError`: its numbers would mix old and new values.

    >>> from engine import Value
    >>> a = Value(2.0, label="a"); L = a * a; L.label = "L"; L.backward()
    >>> draw(L).source.count("∂L/∂a = 2")
    2
    """
    given = dict(rankdir=rankdir, edge_labels=edge_labels, formulas=formulas, highlight=highlight,
                 highlight_edges=highlight_edges, collapse=collapse, max_nodes=max_nodes, digits=digits,
                 legend=legend, only=only, headline=headline, focus=focus)  # fmt: skip
    if precision is not None:
        if digits == vocab.DIGITS:
            del given["digits"]
        given["precision"] = precision
    return drawing(root, make(**given), step)


def drawing(root: Any, options: DrawOptions, step: int | None = None) -> Drawing:
    """:func:`draw` with its options held in ``options``: what draw, frames and the slider call.

    Two ways out: the collapsed view of a big graph, or the full view, a layout in a state.
    """
    t = root if isinstance(root, Trace) else None
    root = t.root if t is not None else root
    if not isinstance(root, Value):
        raise TypeError(f"draw() takes the Value (or Trace) to draw from, not {type(root).__name__}")
    if t is None and step is None and options.only is None:  # the graph as it stands: its .grad values
        fresh.check_fresh(root)
        order = walks.forward_order(root)
        if options.collapse or (options.collapse is None and len(order) > options.max_nodes):
            return _collapsed_view(root, order, options)
        scene, state = _still(root, order, options)
    else:
        scene, state = _frame(t, root, options, step)
    return full(scene.layout, state)


def _frame(t, root, options, step):
    """The scene and state of a frame of a recorded pass (``t``, or one recorded from ``root``), or of
    the paths to ``options.only`` after the whole pass."""
    if t is not None and options.only is None:  # a frame of a trace: one layout, one scene for all
        scene = cached(t, options, lambda: scene_of(t, options))
        last = t.steps[-1].number if t.steps else 0  # no step given: after the last one
        return scene, scene.frame(last if step is None else step)
    fresh.check_fresh(root)
    order = walks.forward_order(root)
    t = t if t is not None else record(root)  # one backward pass, recorded; no .grad changes
    explanation = None
    if options.only is not None:
        from ..explaining import explain

        if options.collapse:
            raise ValueError("only= draws the paths to one parameter node by node; it cannot be collapsed")
        explanation = explain(t, options.only)
        above = t.above(explanation.wrt)
        order = [v for v in order if v in above]
    scene = scene_of(t, options, order, explanation)
    return scene, scene.still() if step is None else scene.frame(step)


def _still(root, order, options):
    """The scene and state of the graph below ``root`` as it stands: each box its ``.grad``, each edge
    the local derivative of one recorded backward pass."""
    _check_size(order)
    marked = highlights(options.highlight, options.highlight_edges, order)
    edge_labels = _edge_labels(options, order)
    locals_, failure, rule = None, None, None
    if edge_labels:  # the local derivatives, read from one recorded backward pass (no .grad changes)
        try:
            passed = record(root)
            locals_, rule = passed.locals(), passed.rule_legend()  # the legend in the trace's words
        except (ArithmeticError, ValueError) as exc:  # a pass that fails: the edges show no number
            failure = str(exc).split("\n")[0]
    texts = {f"grad {fmt(v.grad, options.digits)}" for v in order}
    names = vocab.names(root)
    options = oriented(options, order, names, edge_labels)
    layout = lay_out(root, order, names, options.rankdir, edge_labels, texts)
    scene = Scene(layout, options, marked, None, locals_, None, failure, rule)
    return scene, scene.still()


def oriented(options: DrawOptions, order: list, names: dict, edge_labels: bool) -> DrawOptions:
    """``options`` with a direction: as given, or (rankdir None) the one that fits a notebook cell."""
    if options.rankdir is not None:
        return options
    return options.replace(rankdir=orientation(order, names, edge_labels, options.digits))


def _collapsed_view(root, order, options):
    """The collapsed view (one box per scope or depth band), with a warning when it was not asked for."""
    if options.rankdir is None:
        options = options.replace(rankdir="LR")
    d = collapsed(root, order, vocab.names(root), options, highlights(options.highlight,
                  options.highlight_edges, order))  # fmt: skip
    if options.collapse is None:
        warnings.warn(
            f"the graph has {len(order):,} nodes (more than max_nodes={options.max_nodes}), so it is drawn "
            f"collapsed into {d.boxes:,} boxes; pass collapse=False to draw every node",
            CollapsedWarning,
            stacklevel=4,
        )
    return d


def scene_of(t: Trace, options: DrawOptions, order: list | None = None, explanation: Any = None) -> Scene:
    """The scene of trace ``t``'s frames (or of ``explanation``'s paths, ``order``) with ``options``:
    the frames of one trace share one layout (and ``drawing`` keeps one scene per options)."""
    root = t.root
    fresh.check_fresh(root)
    if options.collapse:
        raise ValueError("a step frame shows every node; it cannot be drawn collapsed (use collapse=False)")
    whole = order is None
    order = walks.forward_order(root) if order is None else order
    _check_size(order)
    marked = highlights(options.highlight, options.highlight_edges, order)
    edge_labels = _edge_labels(options, order)
    options = oriented(options, order, t.names, edge_labels)
    rankdir = options.rankdir or "LR"  # (oriented: never None)

    def layout():  # one width for every grad cell, for any number it shows in any frame of the trace
        word, digits = t.quantity, options.digits
        texts = {f"{word} {fmt(x, digits)}" for x in [t.gradient] + [s.grad for s in t.steps]}
        return lay_out(root, order, t.names, rankdir, edge_labels, texts | {f"{word} ?"})

    key = ("layout", options.rankdir, edge_labels, options.digits)
    shared = cached(t, key, layout) if whole else layout()
    return Scene(shared, options, marked, t, t.locals(), explanation)


def whole_pass(t: Trace, options: DrawOptions) -> tuple:
    """The layout of ``t``'s frames and its state after the whole pass, no step marked: ``(layout,
    state, picture)``, ``picture(layout, state)`` drawing them. A page that redraws the numbers
    itself (``engine.explorable``) starts from these (a state is data: it may give the cells other
    attributes, and ``layout.edges[k]`` is the k-th edge written)."""
    from dataclasses import replace

    options = replace(options, focus=False)  # the whole pass: every box whole, never a step's focus view
    scene = cached(t, options, lambda: scene_of(t, options))
    last = scene.frame(t.steps[-1].number if t.steps else 0)
    grad = {v: ("", text) for v, (_, text) in last.grad.items()}
    caption = caption_line(scene.lines["still"], False)  # the legend of a drawing after the pass
    state = replace(last, grad=grad, outline={}, edges=scene.looks, caption=caption, step=None)
    return scene.layout, state, full


def slimmed(svg: str, scale: float = 1.0) -> str:
    """Graphviz SVG fit to be inlined in a page (the HTML player's slim_svg): no prolog, comments,
    titles, ids or default attributes, coordinates to 0.1 pt; attributes it does not know are kept."""
    return slim_svg(svg, scale)


def _check_size(order):
    if len(order) > HARD_LIMIT:
        raise ValueError(
            f"the graph has {len(order):,} nodes; drawn node by node (more than {HARD_LIMIT:,}) it would be "
            "an unreadable tangle that takes minutes to lay out. Draw it collapsed (the default), or draw "
            "a smaller part of it (e.g. one neuron's output)"
        )


def _edge_labels(options, order):
    return options.edge_labels if options.edge_labels is not None else len(order) <= EDGE_LABEL_LIMIT


__all__ = [
    "CollapsedWarning",
    "Drawing",
    "DrawOptions",
    "draw",
    "scope_title",
    "FULL_LIMIT",
    "EDGE_LABEL_LIMIT",
    "HARD_LIMIT",
]
