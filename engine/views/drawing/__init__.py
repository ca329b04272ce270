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

The package holds one job per module: ``_base`` (the Drawing class, style, boxes),
``_full`` (every node), ``_collapsed`` (one box per group), ``frames`` (the drawings of
a backward pass, step by step, and the slider), ``render`` (dot or graphviz-pure),
``animate`` (a GIF or an HTML page of the frames) and ``_player`` (the HTML player).

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
import weakref
from collections.abc import Iterable
from typing import Any

from ... import vocab, walks
from ...record import fresh
from ...record.tracing import Trace, record
from ...value import Value
from ._base import CollapsedWarning, Drawing, _highlights, scope_title
from ._collapsed import collapsed
from ._full import FrameTemplate, full

FULL_LIMIT = 200  # Values: above this, draw() collapses the graph by default
EDGE_LABEL_LIMIT = 80  # Values: up to this, edges carry their local derivative by default
HARD_LIMIT = 2_000  # Values: collapse=False refuses more (an unreadable tangle, slow to lay out)


def draw(
    root: Any,
    *,
    rankdir: str = "LR",
    edge_labels: bool | None = None,
    formulas: bool = False,
    highlight: Value | Iterable[Value] = (),
    highlight_edges: Iterable = (),
    collapse: bool | None = None,
    max_nodes: int = FULL_LIMIT,
    step: int | None = None,
    precision: int = vocab.DIGITS,
    legend: bool = True,
    only: Value | str | None = None,
    headline: bool = True,
) -> Drawing:
    """Draw the graph below ``root``: Values as ``name | data | grad`` boxes, ops as small ovals.

    - ``rankdir``: "LR" (left to right, the default) or "TB" (top to bottom).
    - ``edge_labels``: label each edge into an op with its local derivative ∂out/∂in
      (with ``formulas=True`` also its formula from the rule table, e.g.
      ``∂zY1/∂w5 = outH1 = 0.5384``). Default: on up to :data:`EDGE_LABEL_LIMIT` Values.
    - ``highlight``: Values whose boxes are outlined in red; ``highlight_edges``: pairs
      ``(a, b)`` of Values, one an input of the other, whose edge is drawn in red.
    - ``collapse``: True draws one box per scope (neuron or layer) or depth band,
      False every node; None (the default) collapses above ``max_nodes`` Values.
    - ``step``: draw the frame after chain-rule step ``step`` of the recorded pass
      (``engine.trace``): gradients not known by then show ``grad ?`` in grey, and step
      ``step``'s edge and the gradient it updated are drawn in orange. No ``.grad`` is
      changed. ``root`` may be a Trace: its steps are drawn (after the last one when
      ``step`` is None) and nothing is computed again.
    - ``precision``: decimals of the numbers (as in trace tables); ``legend``: a caption saying
      how to read the picture.
    - ``only``: a parameter (a Value or its label, e.g. ``"w5"``): draw just the paths from the
      root down to it, the nodes whose gradient a later layer already needed outlined in
      gold, captioned with ``engine.explain(only, root)``.
    - ``headline``: a step's frame opens with a bold line saying what the step did; False leaves
      it out (the HTML player and the slider show that line as their one caption).

    Every frame of one trace puts each node at the same place (grad cells have one width).
    A graph whose leaves changed after the forward pass (``optimizer.step()``) is refused
    with :class:`engine.record.fresh.StaleGraphError`: its numbers would mix old and new values.

    >>> from engine import Value
    >>> a = Value(2.0, label="a"); L = a * a; L.label = "L"; L.backward()
    >>> draw(L).source.count("∂L/∂a = 2")
    2
    """
    t = root if isinstance(root, Trace) else None
    quiet = only is not None and step is None  # one parameter's paths, after the whole pass: no step shown
    if t is not None:
        root = t.root
        step = len(t) if step is None else step
    if not isinstance(root, Value):
        raise TypeError(f"draw() takes the Value (or Trace) to draw from, not {type(root).__name__}")
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' (left to right) or 'TB' (top to bottom), not {rankdir!r}")
    if isinstance(precision, bool) or not isinstance(precision, int) or not 1 <= precision <= 17:
        raise ValueError(f"precision is a number of decimals from 1 to 17, not {precision!r}")
    if not isinstance(headline, bool):
        raise TypeError(f"headline is True (a step's frame says what it did) or False, not {headline!r}")
    key = (rankdir, edge_labels, formulas, precision, legend, headline)
    if t is not None and step is not None and only is None and not highlight and not highlight_edges:
        template = _TEMPLATES.get(t, {}).get(key)
        if template is not None:  # a later frame of the same trace: fill in the template
            return template.frame(t, step)
    fresh.check_fresh(root)
    order = walks.forward_order(root)
    explanation = None
    if only is not None:
        from ..explaining import explain

        if t is None:
            t = record(root)  # one backward pass, recorded; no .grad changes
        explanation = explain(only, t)
        above = t.above(explanation.param)
        order = [v for v in order if v in above]
        if collapse:
            raise ValueError("only= draws the paths to one parameter node by node; it cannot be collapsed")
        collapse = False
    if step is not None and t is None:
        t = record(root)  # one backward pass, recorded; no .grad changes
    frame = t.state(step) if step is not None and t is not None else None
    if quiet:
        step = None
        frame = (t.state(len(t))[0], None) if t is not None else None  # the trace's gradients, no step marked
    auto = collapse is None
    if auto:
        collapse = len(order) > max_nodes and frame is None
    marked = _highlights(highlight, highlight_edges, order)
    names = t.names if t is not None else vocab.names(root)
    if collapse:
        if frame is not None:
            raise ValueError(
                "a step frame shows every node; it cannot be drawn collapsed (use collapse=False)"
            )
        drawing = collapsed(root, order, names, rankdir, precision, legend, marked)
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
    locals_ = t.locals() if t is not None else None
    if t is not None and step is not None and explanation is None and not (marked[0] or marked[1]):
        # a frame of a trace: all frames of one trace share one template (one layout, one pass)
        templates = _TEMPLATES.setdefault(t, {})
        if key not in templates:
            drawing = full(
                root, order, names, rankdir, edge_labels, formulas, marked, precision, legend, frame, step,
                locals_, t, None, tokens=True, headline_on=headline,
            )  # fmt: skip
            templates[key] = FrameTemplate(drawing, order, names, marked[0], precision)
        return templates[key].frame(t, step)
    return full(
        root, order, names, rankdir, edge_labels, formulas, marked, precision, legend, frame, step, locals_,
        t, explanation, headline_on=headline,
    )  # fmt: skip


_TEMPLATES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # Trace -> {options: FrameTemplate}


__all__ = [
    "CollapsedWarning",
    "Drawing",
    "draw",
    "scope_title",
    "FULL_LIMIT",
    "EDGE_LABEL_LIMIT",
    "HARD_LIMIT",
]
