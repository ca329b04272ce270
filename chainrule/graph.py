"""``chainrule graph``: a computation graph drawn to an image file.

Without a formula it draws seed 002's 2-2-2 sigmoid network after one backward pass;
with one, such as ``"tanh(x*w + b)" x=0.5 w=-1 b=0.2``, it builds the formula from the
numbers given (with :mod:`engine.tools.expr`'s safe parser: nothing is evaluated as Python),
runs backward and draws it. The output file's extension picks the format: .svg .png
.jpg .pdf, or .gv/.dot for the DOT text, which needs no renderer. ``--code`` prints
instead the Python program the backward pass amounts to (``engine.codegen``).

Bad input (a formula with anything but numbers, names, + - * / ** and the engine's
functions; a missing, unused or repeated value; an unknown extension; a step that does
not exist) is a usage error: exit status 2 with argparse's message. A drawing that
cannot be rendered or written gives exit status 1 and the reason on stderr.
"""

import argparse
import sys
import warnings

import engine
import nn
from engine.tools.expr import FUNCTIONS, ExpressionError, build
from engine.views.drawing import CollapsedWarning, draw, render

from . import args as types

HELP = "draw seed 002's network, or a formula you give, as a computation graph in an image file"
DEFAULT_OUTPUT = "graph.svg"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "expression", nargs="?",
        help="a formula such as 'tanh(x*w + b)': numbers, names, + - * / ** and "
        f"{', '.join(FUNCTIONS)}; without it, seed 002's network is drawn "
        "(a formula that starts with - goes last, after --)",
    )  # fmt: skip
    parser.add_argument(
        "values", nargs="*", type=types.assignment(FUNCTIONS), metavar="NAME=NUMBER",
        help="the value of each name in the formula, e.g. x=0.5 w=-1 b=0.2",
    )  # fmt: skip
    parser.add_argument(
        "-o", "--output", default=DEFAULT_OUTPUT, metavar="FILE",
        help=f"the file to write; its extension picks the format: .svg .png .jpg .pdf, or .gv/.dot for "
        f"the DOT text (default: {DEFAULT_OUTPUT})",
    )  # fmt: skip
    parser.add_argument(
        "--rankdir", choices=("LR", "TB"),
        help="LR draws left to right, TB top to bottom (default: TB for the network, LR for a formula)",
    )  # fmt: skip
    parser.add_argument(
        "--edge-labels", action=argparse.BooleanOptionalAction, default=None,
        help="label each edge with its local derivative ∂out/∂in (default: on for small graphs)",
    )  # fmt: skip
    parser.add_argument(
        "--formulas", action="store_true", help="also write each local derivative's formula on its edge"
    )
    parser.add_argument(
        "--step", type=types.whole(0, example="8 (0 is the start)"), metavar="N",
        help="draw the backward pass as it is after chain-rule step N (0: the start)",
    )  # fmt: skip
    parser.add_argument(
        "--code", action="store_true",
        help="print the backward pass as the Python program it amounts to (engine.codegen); draw nothing",
    )  # fmt: skip
    parser.add_argument(
        "--explorable", action="store_true",
        help="write an explorable page instead (-o FILE.html): a field and a slider per name, and every "
        "chain-rule step recomputed in the browser as you change one",
    )  # fmt: skip
    parser.set_defaults(_graph_parser=parser)


def _graph(args, usage_error):
    """The root to draw, a description of it, and the default rankdir."""
    if args.expression is None:
        if args.values:
            usage_error("values such as x=0.5 are for a formula: give the formula first")
        net = nn.seed002()
        net.E.backward()
        return net.E, f"seed 002's network after one backward pass, E = {net.E.data:.10f}", "TB"
    values = {}
    for name, value in args.values:
        if name in values:
            usage_error(f"{name} is given twice")
        values[name] = value
    try:
        root, leaves = build(args.expression, values)
    except ExpressionError as error:
        exc = str(error)
        if "=" in args.expression:
            exc = f"{exc} ({args.expression!r} looks like a value: give the formula first, then NAME=NUMBER)"
        usage_error(str(exc))
    unused = [name for name in values if name not in leaves]
    if unused:
        names = ", ".join(unused)
        usage_error(f"{names} {'is' if len(unused) == 1 else 'are'} not in the formula {args.expression!r}")
    if root.label is None:
        root.label = "f" if "f" not in leaves else "out"
    try:
        root.backward()
    except (ArithmeticError, ValueError) as exc:
        usage_error(str(exc))
    return root, f"{root.label} = {args.expression} = {root.data:.10g}", "LR"


def _inputs(root, args):
    """The leaves the generated function takes: seed 002's parameters, or the formula's names."""
    if args.expression is None:
        params = [n for n in engine.walks.leaves(root) if n.label and n.label[0] in "wb"]
        return sorted(params, key=lambda n: (n.label[0] == "b", int(n.label[1:])))  # w1..w8, b1, b2
    return [n for n in engine.walks.leaves(root) if n.label is not None]


def run(args: argparse.Namespace) -> int:
    parser = args._graph_parser
    if args.code:
        root, _, _ = _graph(args, parser.error)
        print(engine.codegen(root, _inputs(root, args)), end="")
        return 0
    if getattr(args, "explorable", False):
        return _explorable(args, parser)
    try:
        render.format_of(args.output)
    except ValueError as exc:
        parser.error(str(exc))
    root, what, rankdir = _graph(args, parser.error)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CollapsedWarning)
        try:
            drawing = draw(
                root,
                rankdir=args.rankdir or rankdir,
                edge_labels=args.edge_labels,
                formulas=args.formulas,
                step=args.step,
            )
        except (IndexError, ValueError) as exc:  # a step that does not exist; too big to draw in full
            parser.error(str(exc))
    try:
        path = drawing.save(args.output)
    except render.RendererNotFound as exc:
        print(
            f"chainrule graph: error: {exc}\nThe DOT text needs no renderer: use -o graph.gv", file=sys.stderr
        )
        return 1
    except (render.RenderError, OSError) as exc:
        print(f"chainrule graph: error: {exc}", file=sys.stderr)
        return 1
    view = f"collapsed into {drawing.boxes:,} boxes" if drawing.collapsed else "drawn in full"
    frame = f", after step {args.step}" if args.step is not None else ""
    print(f"wrote {path}: {what} ({drawing.nodes:,} values, {view}{frame})")
    for w in caught:
        if issubclass(w.category, CollapsedWarning):
            print(f"note: {w.message}")
        else:  # not ours to hide
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return 0


def _explorable(args, parser):
    """``--explorable``: the graph as an explorable page (engine.explorable), its names to vary."""
    try:
        output = types.page(args.output)
    except argparse.ArgumentTypeError as exc:
        parser.error(f"--explorable writes an HTML page: {exc}")
    root, what, rankdir = _graph(args, parser.error)
    leaves = _inputs(root, args)
    try:
        page = engine.explorable(root, output, vary=leaves or None, rankdir=args.rankdir or rankdir)
    except ValueError as exc:  # nothing to vary
        parser.error(str(exc))
    except (render.RenderError, OSError) as exc:
        print(f"chainrule graph: error: {exc}", file=sys.stderr)
        return 1
    names = ", ".join(page.trace.names[v] for v in page.vary)
    print(f"wrote {output}: an explorable page of {what} (change {names}; {len(page.html):,} bytes)")
    return 0
