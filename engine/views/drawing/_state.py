"""What one frame of the full view shows: a :class:`State` of a :class:`~._layout.Layout`.

A state holds, per node, its data and grad cells' text and fill and its outline; per edge,
its label, colour and width; and the caption (headline and legend). :class:`Scene` makes the
states of one layout: the still drawing of a graph (``draw(root)``: the ``.grad`` each node
holds), the frame after a step of a recorded pass (a :class:`engine.Trace` or a forward-mode
:class:`engine.record.forward.ForwardTrace`), or a frame of the forward pass. Every number
comes from the record: nothing here runs a pass or evaluates a partial.
"""

import weakref
from dataclasses import dataclass
from typing import Any

from ... import vocab
from ...record.forward import ForwardTrace
from ...vocab import fmt
from ._base import (
    EDGE_TEXT,
    HIGHLIGHT,
    STEP,
    UNKNOWN_FILL,
    UNKNOWN_FONT,
    UPDATED_FILL,
    caption_line,
    dot_text,
    escape,
    quote,
    scripted,
    unicode_scripts,
)
from ._layout import crowded

REUSED = "#d08a00"  # a node whose ∂L/∂node a later layer's gradient already needed (as explain marks it)
FADED, FADED_TEXT = "#c8c8c8", "#a8a8a8"  # an edge whose step is not in a filtered trace
NO_LOOK = (None, None, None, None)  # an edge as it is by default: no label, colour or width of its own


@dataclass(eq=False, slots=True)
class State:
    """One frame: what changes from frame to frame of one layout.

    ``data`` and ``grad`` map each node to its cell ``(extra attributes, text)``; ``outline`` maps
    a node to the colour of its box's outline; ``edges`` holds, for each of the layout's edges in order, its
    ``(label, colour, pen width, label colour)``; ``caption`` is the caption's DOT line.
    """

    data: dict
    grad: dict
    outline: dict
    edges: list
    caption: str | None
    step: int | None = None
    compact: frozenset = frozenset()  # nodes drawn as their title only (off a focus view's path)


class Scene:
    """The states of one layout, drawn with one set of options, from one recorded pass or none.

    What every frame shares (edge labels, legend, highlights) is worked out once, here; each
    frame then costs one pass over the nodes and edges. ``trace`` is the recorded pass whose
    steps are drawn (None for a still drawing of the ``.grad`` values); ``locals_`` the local
    derivative of each edge, ``{(node, index): ∂node/∂parent}`` (None: edges show none);
    ``explanation`` an ``engine.explain`` whose paths are drawn (``only=``).
    """

    def __init__(self, layout, options, marked, trace=None, locals_=None, explanation=None, failure=None,
                 rule=None):  # fmt: skip
        self.layout, self.options = layout, options
        # the scenes of a trace are kept with it (weakly, see cached): a scene holds it weakly too
        self._trace = weakref.ref(trace) if trace is not None else None
        self.explanation = explanation
        names, digits = layout.names, options.digits
        self.marked_nodes, marked_edges = marked
        self.reused = (
            {r.node for p in explanation.paths for r in p.reused} if explanation is not None else set()
        )
        self.quantity = trace.quantity if trace is not None else "grad"  # what the boxes hold, in words
        self.word = escape(self.quantity)  # ... as it stands in a grad cell
        self.numbers = {}  # step number -> its position in the trace (1 for its first step)
        if trace is not None:
            self.numbers = {s.number: k for k, s in enumerate(trace.steps, 1)}
        self.layout = layout
        faded = self._faded(trace)
        looks: list = []
        hot_out = {v for _, v in marked_edges}
        for e in layout.edges:
            if e.index is None:  # op -> its box: faded too when every edge into the op is
                off = faded and all((e.node, i) in faded for i in range(len(e.node.parents)))
                if e.node in hot_out:
                    looks.append((None, HIGHLIGHT, "2.5", None))
                else:
                    looks.append((None, FADED, None, None) if off else NO_LOOK)
                continue
            label: str | None = None
            colour: str | None = None
            width: str | None = None
            font: str | None = None
            if layout.edge_labels:
                local = locals_.get((e.node, e.index)) if locals_ is not None else None
                label, font = (
                    _edge_label(e.node, e.parent, e.index, local, names, options, layout.rankdir),
                    EDGE_TEXT,
                )
            elif layout.blank:
                label = '" "'
            if (e.parent, e.node) in marked_edges:
                colour, width = HIGHLIGHT, "2.5"
            elif (e.node, e.index) in faded:
                colour, font = FADED, FADED_TEXT if font else None
            looks.append((label, colour, width, font))
        self.looks = looks
        self.edge_at = {(e.node, e.index): k for k, e in enumerate(layout.edges)}
        self.faded = faded
        self.failure = failure
        self.rule = rule  # a still drawing's chain-rule legend, as its recorded pass words it
        self.focus = options.focus
        if self.focus is None:  # on where the whole picture comes near a cell's width
            self.focus = trace is not None and crowded(layout.order, names, layout.edge_labels, digits,
                                                       layout.rankdir)  # fmt: skip
        self.lines = {kind: self._legend(kind) for kind in ("still", "step", "forward", "focus")}
        self.data = {v: ("", f"data {fmt(v.data, digits)}") for v in layout.order}
        self._cache = {}  # number -> State: frames asked for again
        self._last = None  # (position, grad cells, node updated) of the frame made last

    @property
    def trace(self) -> Any:
        """The recorded pass drawn, or None."""
        return self._trace() if self._trace is not None else None

    # -- what every frame shares

    def _faded(self, trace):
        """The edges whose step the full pass takes but ``trace`` (a filtered trace) leaves out."""
        if trace is None:
            return set()
        on = {(s.node, s.index) for s in trace.steps}
        if isinstance(trace, ForwardTrace):  # forward mode takes a step on an edge whose parent depends on w
            tangents = trace.tangents
            every = {
                (e.node, e.index) for e in self.layout.edges if e.index is not None and e.parent in tangents
            }
        else:
            every = {(e.node, e.index) for e in self.layout.edges if e.index is not None}
        return every - on if len(on) < len(every) else set()

    def _legend(self, kind):
        """The caption's lines after the headline: a still drawing's, a step frame's or a forward frame's."""
        layout, options, trace = self.layout, self.options, self.trace
        if not options.legend:
            return []
        framed = trace is not None and kind != "still" or self.explanation is not None
        word = self.quantity if framed else "grad"
        where = "to its right" if layout.rankdir == "LR" else "below it"
        meaning = trace.box_legend() if framed else f"grad = ∂{layout.names[layout.root]}/∂(box)"
        lines = [f"box: name | data | {word}, where {meaning};  oval: the op that made the box {where}"]
        if layout.edge_labels:
            rule = (
                trace.rule_legend()
                if framed
                else self.rule
                or f"chain rule: {vocab.chain(layout.names[layout.root], 'out', 'in')}, summed over the"
                " edges out of a box"
            )
            lines.append(f"edge: the local derivative ∂out/∂in;  {rule}")
        lines += layout.key
        if kind in ("step", "focus"):
            noun = "gradient" if word == "grad" else word  # a forward-mode trace's boxes hold ∂(box)/∂w
            lines.append(
                f"grey: a {noun} not known yet at this step;  orange: this step's edge and the {word} it set"
            )
            if kind == "focus":
                lines.append(f"small and faded: off this step's path to {layout.names[layout.root]}")
        elif kind == "forward":
            lines.append("grey: not known yet;  orange: the value just computed")
        if self.faded and kind != "still":
            to = getattr(trace, "target", None)
            where = f"off the paths to {layout.names[to]}" if to is not None and to in layout.names else (
                "whose step this trace leaves out")  # fmt: skip
            lines.append(f"faded: an edge {where}, with its local derivative (known after the forward pass)")
        if self.failure is not None:
            lines.append(f"no local derivative on the edges: the backward pass fails ({self.failure})")
        return lines

    # -- the states

    def still(self) -> State:
        """The graph as it stands: each box shows the ``.grad`` it holds (or, with an explanation,
        the gradients of the whole recorded pass), no step marked."""
        layout, digits = self.layout, self.options.digits
        if self.explanation is not None:  # the paths to one parameter, after the whole pass
            known, _ = self.trace.state(len(self.trace))
            grad = {v: _cell(v, known, None, digits, self.word) for v in layout.order}
            ex, names = self.explanation, layout.names
            title = f"the paths from {names[layout.root]} to {names[ex.wrt]}, as engine.explain writes them"
            gold = (f"gold outline: a node whose ∂{names[layout.root]}/∂node a later layer's gradient "
                    "already needed")  # fmt: skip
            lines = ex.text(digits).splitlines() + ([gold] if self.reused and self.options.legend else [])
            caption = caption_line(lines + self.lines["still"], True, title)
            return State(self.data, grad, self._outlines(None), self.looks, caption)
        grad = {v: ("", f"grad {fmt(v.grad, digits)}") for v in layout.order}
        return State(
            self.data, grad, self._outlines(None), self.looks, caption_line(self.lines["still"], False)
        )

    def frame(self, number: int) -> State:
        """The frame after the step numbered ``number`` (as the trace's table numbers it; 0: the start)."""
        state = self._cache.get(number)
        if state is not None:
            return state
        trace, layout, options = self.trace, self.layout, self.options
        k = None
        if not isinstance(number, bool) and isinstance(number, int):
            k = 0 if number == 0 else self.numbers.get(number)
        if k is None:
            raise _no_such_step(trace, number)
        known, taken = trace.state(k)
        updated = taken.updated if taken is not None else None
        last = self._last
        if (
            last is not None and last[0] == k - 1
        ):  # the next frame: only the step's node changes, and the last's
            grad = dict(last[1])
            for v in (last[2], updated):
                if v in grad:
                    grad[v] = _cell(v, known, updated, options.digits, self.word)
        else:
            grad = {v: _cell(v, known, updated, options.digits, self.word) for v in layout.order}
        self._last = (k, grad, updated)
        step_edge = (taken.node, taken.parent) if taken is not None else None
        looks = self.looks
        if taken is not None and taken.node in layout.ids:
            looks = list(looks)
            at = self.edge_at.get((taken.node, taken.index))
            if at is not None:
                label = looks[at][0]  # the step's label in the step's colour, beside its orange edge
                looks[at] = (label, STEP, "3", STEP if label is not None and label != '" "' else None)
            out = self.edge_at[taken.node, None]
            looks[out] = (None, STEP, "3", None)
        compact: frozenset = frozenset()
        lines = self.lines["step"]
        if self.focus and taken is not None and taken.node in layout.ids:
            compact, looks = self._focus(taken.node, looks)
            lines = self.lines["focus"]
        headline = None
        if options.headline:
            headline = trace.start_caption(options.digits) if taken is None else taken.caption(options.digits)
        state = State(
            self.data,
            grad,
            self._outlines(step_edge),
            looks,
            caption_line(lines, True, headline),
            number,
            compact,
        )
        if len(self._cache) < 4096:
            self._cache[number] = state
        return state

    def _focus(self, node, looks):
        """A focus view of a step into ``node``: the nodes off its path (``node``, its parents and the
        nodes up to the root) drawn as their title only, the edges between them faded, unlabelled."""
        layout = self.layout
        up = {node}
        for v in layout.order:  # forward order: a node above one on the path is on it
            if any(p in up for p in v.parents):
                up.add(v)
        kept = up | set(node.parents)
        compact = frozenset(v for v in layout.order if v not in kept)
        looks = list(looks)
        for at, e in enumerate(layout.edges):
            if e.node in up and (e.index is None or e.parent in kept):
                continue
            if looks[at][1] in (STEP, HIGHLIGHT):
                continue
            looks[at] = (None, FADED, None, None)
        return compact, looks

    def forward(self, k: int, computed: list) -> State:
        """The frame after the forward pass has computed ``computed[:k]``: the rest greyed (``data ?``),
        no gradient known yet, the value just computed and its edges in orange."""
        start = self.frame(0)
        digits = self.options.digits
        unknown = (f' bgcolor="{UNKNOWN_FILL}"', f'<font color="{UNKNOWN_FONT}">{{}} ?</font>')
        data = dict(self.data)
        data.update({v: (unknown[0], unknown[1].format("data")) for v in computed[k:]})
        grad = dict(start.grad)
        grad[self.layout.root] = (unknown[0], unknown[1].format(self.word))
        outline = dict(start.outline)
        looks = start.edges
        if k:
            v = computed[k - 1]
            outline[v] = STEP
            looks = list(looks)
            for at, e in enumerate(self.layout.edges):
                if e.node is v:
                    looks[at] = (looks[at][0], STEP, "3", looks[at][3])
        headline = None
        if self.options.headline:
            from ._player import forward_caption  # the player's caption of the frame, word for word

            headline = forward_caption(self.trace, k, computed, digits)
        return State(data, grad, outline, looks, caption_line(self.lines["forward"], True, headline), None)

    def _outlines(self, step_edge):
        out = {v: REUSED for v in self.reused}
        if step_edge is not None:
            out.update(dict.fromkeys(step_edge, STEP))
        out.update(dict.fromkeys(self.marked_nodes, HIGHLIGHT))
        return out


def _cell(v, known, updated, digits, word):
    """A box's grad cell in one frame: (its extra attributes, its text); ``updated`` is the node the
    frame's step changed, ``word`` what the boxes hold (grad, or a forward-mode trace's tangent)."""
    if v in known:
        fill = f' bgcolor="{UPDATED_FILL}"' if v is updated else ""
        return fill, f"{word} {fmt(known[v], digits)}"
    return f' bgcolor="{UNKNOWN_FILL}"', f'<font color="{UNKNOWN_FONT}">{word} ?</font>'


def _edge_label(node, parent, index, local, names, options, rankdir):
    """An edge's label as DOT: ∂out/∂in, its formula if asked, its value (none if the pass gave none)."""
    parts = [f"∂{names[node]}/∂{names[parent]}"]
    value = fmt(local, options.digits) if local is not None else None
    if options.formulas:
        formula = vocab.formula(node, index, names, options.digits)
        if formula != value:
            parts.append(formula)
    if value is not None:
        parts.append(value)
    # w^(2)_1 as w⁽²⁾₁ (Unicode scripts keep an edge label one piece of text, which both
    # renderers measure well); HTML scripts where Unicode has no such character
    plain = unicode_scripts(" = ".join(parts))
    rich = scripted(plain)
    # top to bottom, "∂zH1/∂w1" above "= 0.95": the labels side by side between two ranks are
    # half as wide, so each sits beside its own edge and the picture narrows
    two = rankdir == "TB" and " = " in plain
    if "<sub>" in rich or "<sup>" in rich:
        return f"<{rich.replace(' = ', '<br/>= ', 1) if two else rich}>"
    if two:
        first, rest = plain.split(" = ", 1)
        return f'"{dot_text(first)}\\n= {dot_text(rest)}"'
    return quote(plain)


class NoSuchStep(IndexError, ValueError):
    """draw(trace, step=n) for a number that is not one of the trace's steps."""


def _no_such_step(trace, number):
    if isinstance(number, bool) or not isinstance(number, int) or number < 0:
        return ValueError(f"step must be an int >= 0 (0 is the start, before any step), got {number!r}")
    L = trace.names[trace.root]
    kind = "forward-mode pass" if isinstance(trace, ForwardTrace) else "backward pass"
    numbers = [s.number for s in trace.steps]
    if numbers == list(range(1, len(numbers) + 1)):
        start = trace.names[trace.wrt] if isinstance(trace, ForwardTrace) else L
        return NoSuchStep(
            f"step {number} does not exist: the {kind} from {start} has {len(numbers)} steps (0 is the start)"
        )
    shown = ", ".join(map(str, numbers[:12])) + (", ..." if len(numbers) > 12 else "")
    to = getattr(trace, "target", None)
    which = f"the steps on the paths to {trace.names[to]}" if to is not None else "some of the pass's steps"
    return NoSuchStep(
        f"step {number} is not in this trace: it keeps {which}, numbered as the whole pass numbers them "
        f"({shown}); draw it with one of those numbers, or 0 for the start"
    )


_SCENES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # Trace -> {key: Scene}


def cached(trace: Any, key: Any, make: Any) -> "Scene":
    """The scene of ``trace`` for ``key`` (its options), made by ``make()`` the first time: all
    frames of one trace share one layout and one scene."""
    scenes = _SCENES.setdefault(trace, {})
    scene = scenes.get(key)
    if scene is None:
        scene = scenes[key] = make()
    return scene


__all__ = ["State", "Scene", "NoSuchStep", "cached", "REUSED"]
