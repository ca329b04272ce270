"""Drawing benchmark: how long a full view takes to lay out, with each renderer found.

Run: python benchmarks/bench_drawing.py

Graphs, each drawn with draw(root, collapse=False) and rendered to SVG:
- formula: the terms sin(x*k)*y + tanh(z - x*y)/k summed (engine.expr.build), three leaves
  reused by every term: dense fans of long edges, what once took dot minutes;
- formula+labels: the same with every edge labelled with its ∂out/∂in;
- mlp: an nn-free network of dot neurons in scopes (layers of 8);
- seed002: the documents' 2-2-2 network (27 values), as a reference.
It prints the median of several runs of draw() itself (the DOT text, recording the pass its edge
labels read) and of each renderer (system dot, graphviz-pure); ``--no-render`` times draw() only.
"""

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import median_time  # noqa: E402

import engine  # noqa: E402
from engine import Value
from engine.tools import expr  # noqa: E402
from engine.views.drawing import render  # noqa: E402


def formula(n):
    """The smallest sum of terms sin(x*k)*y + tanh(z - x*y)/k with at least ``n`` values."""
    terms = []
    while True:
        terms.append(f"sin(x*{len(terms) + 1}) * y + tanh(z - x*y) / {len(terms) + 1}")
        f, _ = expr.build(" + ".join(terms), {"x": 0.3, "y": 0.7, "z": -0.2})
        if len(engine.topological_order(f)) >= n:
            f.backward()
            return f


def layers(n):
    """Layers of 8 dot-neurons (tanh), each in its scope, until the graph has ``n`` values."""
    rnd = random.Random(0)
    xs = [Value(rnd.uniform(-1, 1), label=f"x{i}") for i in range(1, 4)]
    k = 0
    while True:
        k += 1
        outs = []
        for j in range(1, 9):
            with engine.scope(f"layer {k}/neuron {j}"):
                ws = [Value(rnd.uniform(-1, 1), label=f"w{k}_{j}_{i}") for i in range(len(xs))]
                outs.append(engine.dot(ws, xs, Value(0.0, label=f"b{k}_{j}")).tanh())
        xs = outs
        L = engine.sum(xs)
        if len(engine.topological_order(L)) >= n:
            L.backward()
            return L


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-render", action="store_true", help="time draw() only")
    args = parser.parse_args()
    import nn

    seed = nn.seed002()
    seed.E.backward()
    cases = [("seed002", seed.E, None)]
    for n in (200, 300):
        cases += [(f"formula {n}", formula(n), None), (f"mlp {n}", layers(n), None)]
    cases.append(("formula 200+labels", formula(200), True))
    renderers = [] if args.no_render else render.candidates()
    print(f"{'graph':22} {'values':>6}  {'draw()':>10}  " + "  ".join(f"{r.name:>14}" for r in renderers))
    for name, root, labels in cases:
        d = engine.draw(root, collapse=False, edge_labels=labels)
        drawn = median_time(
            lambda: engine.draw(root, collapse=False, edge_labels=labels), max(args.repeats, 7)
        )
        times = [median_time(lambda r=r: render.pipe(d.source, "svg", r), args.repeats) for r in renderers]
        print(f"{name:22} {d.nodes:>6}  {drawn * 1e3:>7.1f} ms  " + "  ".join(f"{t:>12.2f} s" for t in times))


if __name__ == "__main__":
    main()
