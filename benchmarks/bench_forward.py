"""Forward mode against one backward pass: all gradients of micrograd's MLP(2, [16, 16, 1]).

Run: python benchmarks/bench_forward.py  (after pip install -e '.[bench]')

The graph is built once: random.seed(1337), MLP(2, [16, 16, 1]) (micrograd's demo network,
with micrograd's initial weights), one sample x = (0.5, -1.0), L = (score - 1)². On it, the
gradient of every parameter is computed two ways:
- reverse mode: one backward pass (``engine.grad(L, params)``);
- forward mode: n passes of ``engine.jvp(L, {p: 1})``, one per parameter.
It prints the median wall time of each (interleaved runs, garbage collector on), their ratio
beside the ratio of the operation counts from ``engine.cost`` (× and + of the chain rule), and,
for scale, micrograd 0.1.0's own backward pass on its own copy of the network. The two modes'
gradients must agree to 1e-12.
"""

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import median_times, micrograd  # noqa: E402

import engine  # noqa: E402
import nn  # noqa: E402

SEED = 1337
X = (0.5, -1.0)


def chainrule_graph(sizes):
    random.seed(SEED)
    model = nn.MLP(2, sizes)
    return (model(list(X)) - 1.0) ** 2, model.parameters()


def micrograd_graph(mg, sizes):
    random.seed(SEED)
    model = mg.nn.MLP(2, sizes)
    return (model(list(X)) - 1.0) ** 2, model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs per measurement (median; default 5)")
    parser.add_argument("--sizes", default="16,16,1", help="the MLP's layer sizes (default 16,16,1)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    mg = micrograd()

    L, params = chainrule_graph(sizes)
    backward = engine.grad(L, params)
    forward = [engine.jvp(L, {p: 1.0}) for p in params]
    worst = max(abs(f - b) / max(abs(b), 1.0) for f, b in zip(forward, backward))
    assert worst <= 1e-12, worst
    mg_loss, mg_model = micrograd_graph(mg, sizes)
    assert abs(mg_loss.data - L.data) <= 1e-12, (mg_loss.data, L.data)

    def mg_backward():
        for p in mg_model.parameters():
            p.grad = 0.0
        mg_loss.backward()

    times = median_times(
        {
            "reverse": lambda: engine.grad(L, params),
            "forward": lambda: [engine.jvp(L, {p: 1.0}) for p in params],
            "micrograd": mg_backward,
        },
        args.repeats,
    )
    c = engine.cost(L, params)
    ops = lambda k: k.mul + k.add
    print(f"MLP(2, {sizes}) on one sample: n = {c.n} parameters, {c.edges} edges; median of {args.repeats}")
    print(f"  reverse mode, one backward pass:        {times['reverse'] * 1e3:9.3f} ms")
    print(f"  forward mode, {c.n} jvp passes:           {times['forward'] * 1e3:9.3f} ms")
    print(f"  micrograd 0.1.0, one backward pass:     {times['micrograd'] * 1e3:9.3f} ms  (for scale)")
    print(f"  time ratio forward / reverse:           {times['forward'] / times['reverse']:9.1f}")
    print(
        f"  op-count ratio forward / reverse:       {ops(c.forward_mode_sparse) / ops(c.reverse):9.1f}  "
        "(engine.jvp skips zero tangents, as counted)"
    )
    print(f"  op-count ratio, dense forward mode:     {ops(c.forward_mode_all) / ops(c.reverse):9.1f}")
    print(
        f"  node-visit ratio:                       {c.forward_mode_all.nodes / c.reverse.nodes:9.1f}  "
        "(each jvp pass walks the whole graph in order, as each backward pass does)"
    )
    print(f"  gradients agree to {worst:.1e} (relative)")


if __name__ == "__main__":
    main()
