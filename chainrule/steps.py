"""``chainrule steps``: seed 002's backward pass, one chain-rule step per line.

Prints the 2-2-2 sigmoid network's forward values and E, every chain-rule step of its
backward pass, ∂E/∂w written as products of factors (w5 and w1 unless ``--param`` says
otherwise) and the weights after one step of gradient descent.
"""

import argparse
import shutil
import textwrap

import engine
import nn

from . import args as types

HELP = "seed 002's backward pass step by step: every chain-rule step, ∂E/∂w explained, one update"

PARAMS = ("w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8", "b1", "b2")
DEFAULT_PARAMS = ("w5", "w1")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lr", type=types.positive(), default=0.01, metavar="ALPHA",
        help="learning rate α of the gradient-descent update (default: 0.01)",
    )  # fmt: skip
    parser.add_argument(
        "--param", action="append", choices=PARAMS, metavar="NAME",
        help=f"explain ∂E/∂NAME; repeat for several (default: {' and '.join(DEFAULT_PARAMS)}); "
        f"one of {', '.join(PARAMS)}",
    )  # fmt: skip
    parser.add_argument(
        "--to", choices=PARAMS, metavar="NAME",
        help="list only the steps on the paths from E to NAME (default: every step)",
    )  # fmt: skip
    parser.add_argument(
        "--digits",
        type=types.whole(1, 15),
        default=5,
        help="decimals shown in the steps and explanations (default: 5)",
    )
    parser.add_argument(
        "--layers", action="store_true",
        help="also print the same steps in seed 001's layer form (δ, ∂E/∂W, ∂E/∂b as matrices)",
    )  # fmt: skip
    parser.add_argument(
        "--forward", choices=PARAMS, metavar="NAME",
        help="show forward mode instead: the steps that carry ∂node/∂NAME up to E, and what each mode costs",
    )  # fmt: skip
    parser.add_argument(
        "--quiz", action="store_true",
        help="your turn: answer each step (∂node/∂parent, then the new ∂E/∂parent) from standard input, "
        "as a number or a formula in the graph's names; a miss gets a hint, then the answer and the slip; "
        "Ctrl-D ends with the score (with --to NAME: only the steps on the paths to NAME)",
    )  # fmt: skip
    parser.add_argument(
        "--animate", type=types.animation, metavar="FILE",
        help="also write the backward pass, one frame per step, to FILE: an animated .gif or an "
        ".html player (play, slider, arrow keys) that opens in any browser",
    )  # fmt: skip
    parser.add_argument(
        "--explorable", type=types.page, metavar="FILE",
        help="also write seed 002 as an explorable page to FILE (.html): a field and a slider per parameter, "
        "and every step recomputed in the browser as you change one",
    )  # fmt: skip


def _forward(net, width=None):
    """The forward pass, written the way the document writes it, with exact values."""
    p, x, z, out = net.params, net.x, net.z, net.out
    f = lambda v: f"{v.data:.10f}"
    lines = [
        "Seed 002: a 2-2-2 sigmoid network, one forward pass",
        f"  inputs    x1 = {x[0].data:g}, x2 = {x[1].data:g}; targets T1 = {net.target[0]:g}, "
        f"T2 = {net.target[1]:g}",
        *_weights(p, width),
        f"  biases    b1 = {p['b1'].data:g} (both hidden neurons), b2 = {p['b2'].data:g} (both outputs)",
    ]
    rows = [("H1", "w1·x1 + w2·x2 + b1"), ("H2", "w3·x1 + w4·x2 + b1"),
            ("Y1", "w5·outH1 + w6·outH2 + b2"), ("Y2", "w7·outH1 + w8·outH2 + b2")]  # fmt: skip
    for name, formula in rows:
        layer = "hidden" if name[0] == "H" else "output"
        zs, outs = (
            f"  {layer:8}  z{name} = {formula:25} = {f(z[name])}",
            f"out{name} = σ(z{name}) = {f(out[name])}",
        )
        if width is None or len(zs) + 4 + len(outs) <= width:
            lines.append(f"{zs}    {outs}")
        else:  # a narrow terminal: the activation on a line of its own
            lines += [zs, f"{'':12}{outs}"]
    lines.append(f"  error     E = ½(T1 − outY1)² + ½(T2 − outY2)² = {f(net.E)}")
    return "\n".join(lines)


def _weights(params, width):
    """The weights line, or two (w1..w4, w5..w8) when it is wider than the terminal."""
    ws = [f"{k} = {v.data:g}" for k, v in params.items() if k.startswith("w")]
    line = "  weights   " + ", ".join(ws)
    if width is None or len(line) <= width:
        return [line]
    half = len(ws) // 2
    return ["  weights   " + ", ".join(ws[:half]) + ",", "            " + ", ".join(ws[half:])]


def _update(net, lr):
    lines = [
        f"One step of gradient descent, α = {lr:g}: w ← w − α · ∂E/∂w",
        f"  {'':4}  {'before':>6}  {'∂E/∂w':>13}  {'after':>13}",
    ]
    for name, v in net.params.items():
        lines.append(f"  {name:4}  {v.data:6.2f}  {v.grad:13.10f}  {v.data - lr * v.grad:13.10f}")
    lines.append(
        "  (The seed 002 article adds α·∂E/∂w5 and gets w5 = 0.1807289: a sign slip; descent subtracts.)"
    )
    return "\n".join(lines)


def _forward_mode(net, name, digits):
    """Forward mode from one weight up to E, checked against backward, and the cost of both modes."""
    t = engine.forward_trace(net.E, name)
    (g,) = engine.grad(net.E, [net.params[name]])
    return "\n\n".join([
        f"Forward mode from {name}: {len(t)} chain-rule steps, each adding ∂node/∂parent · ∂parent/∂{name} "
        f"to ∂node/∂{name}\n" + t.table(digits),
        f"∂E/∂{name} = {engine.vocab.fmt(t.value, digits)} by forward mode (one pass per weight), "
        f"{engine.vocab.fmt(g, digits)} by backward (one pass for all)",
        engine.cost(net.E, net.params.values()).text(),
        engine.reuse(net.E, ["w1", "w2", "w3", "w4"]).text(),
    ])  # fmt: skip


def _fit(text, width):
    """Plain lines wrapped at spaces to ``width`` characters, continuations indented."""
    out = []
    for line in text.splitlines():
        indent = " " * (len(line) - len(line.lstrip()) + 2)
        out += textwrap.wrap(line, width, subsequent_indent=indent, break_long_words=False) or [""]
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    width = shutil.get_terminal_size().columns  # COLUMNS, the terminal's width, or 80
    net = nn.seed002()
    if getattr(args, "forward", None):
        print("\n\n".join([_forward(net), _forward_mode(net, args.forward, args.digits)]))
        return 0
    if getattr(args, "quiz", False):
        engine.quiz(net.E, to=args.to).play()
        return 0
    t = engine.trace(net.E)  # the backward pass itself: it fills every .grad
    shown = t.to(net.params[args.to]) if args.to else t
    which = f", on the paths to {args.to}" if args.to else ""
    sections = [
        _fit(_forward(net, width), width),
        _fit(
            f"Backward pass: {len(shown)} of its {len(t)} chain-rule steps{which}\n"
            "(each step adds product = ∂E/∂node · ∂node/∂parent to ∂E/∂parent; n1, n2, ... are unlabelled "
            "pieces of E, see the key)",
            width,
        )
        + "\n"
        + shown.table(args.digits, width=width),
        "Each gradient as a product of factors, as the documents write it:\n"
        + "\n".join(
            engine.explain(t, net.params[name]).text(args.digits, width=width)
            for name in args.param or DEFAULT_PARAMS
        ),
        _fit(_update(net, args.lr), width),
    ]
    if getattr(args, "layers", False):  # the layer view, read from the same trace, under its table
        sections.insert(2, nn.layer_view(net, trace=t).text(args.digits))
    if args.animate:  # the steps listed: with --to, those on the paths to NAME, numbered as in the table
        engine.animate(shown, args.animate, digits=args.digits)
        sections.append(f"Animation of the {len(shown)} steps{which} written to {args.animate}")
    if getattr(args, "explorable", None):  # its own recorded pass of the same graph
        engine.explorable(net.E, args.explorable, vary=list(net.params.values()), digits=args.digits)
        sections.append(
            f"Explorable page of seed 002 (change w1..b2, watch every step) written to {args.explorable}"
        )
    print("\n\n".join(sections))
    return 0
