"""The record and the tools on wide and large graphs: trace, codegen, fit(compile=True), reuse.

Run: python benchmarks/bench_codegen.py [--root CHECKOUT]  (--root: import engine and nn from
another checkout, e.g. the commit before a change, so before and after run in the same session)

Each line is the median wall time of ``--repeats`` runs (garbage collected before each):
- ``trace(engine.sum(n values))`` and ``codegen`` of it, and ``codegen`` of one n-input dot
  (one wide node: n edges into one node), for n = 1k, 3k, 10k;
- ``codegen`` of the loss of MLP(2, [H, H, 1]) on one sample, for widths H = 16, 64, 128, 256
  (H² + 5H + 1 parameters: linear in parameters is about ×4 per doubling of H);
- generating ``fit(compile=True)``'s training step for MLP(400, [32, 10]) (``nn.compiled.BatchStep``);
- ``engine.reuse`` on a stack of d labelled diamonds (2^d paths from the top down to x).
A case that takes longer than ``--budget`` seconds on its first run is not repeated (the
median is then of that one run; it is marked ``1 run``), and the larger sizes of that case
are skipped: quadratic code at 10k would take minutes.
"""

import argparse
import gc
import random
import statistics
import sys
import time
from pathlib import Path

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--root", default=str(Path(__file__).resolve().parent.parent), help="checkout to import")
parser.add_argument("--repeats", type=int, default=5, help="runs per measurement (median; default 5)")
parser.add_argument("--budget", type=float, default=20.0, help="seconds after which a case is not repeated")
args = parser.parse_args()
sys.path.insert(0, args.root)

import engine  # noqa: E402
import nn  # noqa: E402
import nn.compiled  # noqa: E402
from engine import Value  # noqa: E402


def median(fn):
    """Median wall time of fn() and how many runs it took (one, if the first exceeds the budget)."""
    times = []
    for _ in range(args.repeats):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
        if times[0] > args.budget:
            break
    return statistics.median(times), len(times)


def report(name, fn, skipping):
    if name.split(" n=")[0].split(" H=")[0].split(" d=")[0] in skipping:
        print(f"  {name:44s}  skipped (the smaller size was over the budget)", flush=True)
        return
    t, runs = median(fn)
    print(f"  {name:44s} {t:10.3f} s" + ("  (1 run)" if runs == 1 else ""), flush=True)
    if t > args.budget:
        skipping.add(name.split(" n=")[0].split(" H=")[0].split(" d=")[0])


def wide(n):
    xs = [Value(0.001 * i, label=f"x{i}") for i in range(n)]
    ws = [Value(0.5, label=f"w{i}") for i in range(n)]
    return xs, ws, engine.sum(xs), engine.dot(ws, xs)


def mlp_loss(width):
    random.seed(0)
    model = nn.MLP(2, [width, width, 1])
    return nn.mse(model([0.5, -1.0]), 0.3), model.parameters()


def diamonds(depth):
    x = Value(0.7, label="x")
    y = x
    for i in range(depth):
        a, b = y * 1.01, y * 0.99
        a.label, b.label = f"a{i}", f"b{i}"
        y = a + b
        y.label = f"y{i}"
    return y


def main():
    print(f"engine from {Path(engine.__file__).resolve().parent.parent}; median of {args.repeats}")
    skipping: set = set()
    for n in (1000, 3000, 10000):
        xs, ws, s, d = wide(n)
        report(f"trace(sum) n={n}", lambda: engine.trace(s), skipping)
        report(f"codegen(sum) n={n}", lambda: engine.codegen(s, xs), skipping)
        report(f"codegen(dot) n={n}", lambda: engine.codegen(d, ws), skipping)
    for width in (16, 64, 128, 256):
        loss, params = mlp_loss(width)
        name = f"codegen(MLP) H={width} ({len(params)} params)"
        report(name, lambda: engine.codegen(loss, params), skipping)
    random.seed(0)
    X = [[random.random() for _ in range(400)] for _ in range(4)]
    y = [0, 1, 2, 3]
    model = nn.MLP(400, [32, 10])

    def batch_step():
        nn.compiled._CACHE.clear()
        nn.compiled.BatchStep(model, nn.losses.LOSSES["cross_entropy"], X, y)

    report("fit(compile=True) step, MLP(400, [32, 10])", batch_step, skipping)
    for depth in (12, 16, 20, 40):
        top = diamonds(depth)
        report(f"reuse(diamonds) d={depth}", lambda: engine.reuse(top, ["x"]), skipping)


if __name__ == "__main__":
    main()
