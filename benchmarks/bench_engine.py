"""Engine benchmark: build and backward graphs of elementary ops, against micrograd 0.1.0.

Run: python benchmarks/bench_engine.py  (after pip install -e '.[bench]')

Two workloads, each timed as build + backward with the garbage collector on:
- chain: y = y * 1.0001 + 0.001, repeated (one long graph);
- exprs: micrograd's own test_more_ops expression, repeated and summed into one deep chain
  of + (whose recursion slows micrograd's topological sort);
- balanced: the same copies summed by a balanced tree of + instead (fair to micrograd).
It prints each time, the ratio micrograd / chainrule (median of several runs),
and the bytes per node (tracemalloc) of a graph kept alive.
"""

import argparse
import sys
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import in_big_stack, median_time, micrograd  # noqa: E402

import engine  # noqa: E402


def chain(Value, n):
    x = Value(0.5)
    y = x
    for _ in range(n):
        y = y * 1.0001 + 0.001
    return x, y


def expr(Value):
    # micrograd's test_more_ops, written once for both libraries
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return a, g


def exprs(Value, n):
    total = None
    first = None
    for _ in range(n):
        a, g = expr(Value)
        first = first or a
        total = g if total is None else total + g
    return first, total


def balanced(Value, n):
    outs = []
    first = None
    for _ in range(n):
        a, g = expr(Value)
        first = first or a
        outs.append(g)
    while len(outs) > 1:  # pairwise: depth log2(n)
        outs = [outs[i] + outs[i + 1] if i + 1 < len(outs) else outs[i] for i in range(0, len(outs), 2)]
    return first, outs[0]


def build_and_backward(workload, Value, n):
    leaf, out = workload(Value, n)
    out.backward()
    return leaf.grad


def count_nodes(root):
    return len(engine.topological_order(root))


def bytes_per_node(workload, Value, n, nodes):
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = workload(Value, n)
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del kept
    return used / nodes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chain", type=int, default=100_000, help="ops in the chain (default 100000)")
    parser.add_argument("--exprs", type=int, default=3_000, help="copies of the expression (default 3000)")
    parser.add_argument("--repeats", type=int, default=5, help="runs per measurement (median)")
    args = parser.parse_args(argv)
    mg = micrograd()
    MV, CV = mg.engine.Value, engine.Value

    print(f"{'workload':<8} {'nodes':>8} {'micrograd ms':>13} {'chainrule ms':>13} {'speed-up':>9} "
          f"{'mg B/node':>10} {'cr B/node':>10} {'ratio':>6}")  # fmt: skip
    results = {}
    workloads = (
        ("chain", chain, args.chain),
        ("exprs", exprs, args.exprs),
        ("balanced", balanced, args.exprs),
    )
    for name, workload, n in workloads:
        # the same computation gives the same gradient in both
        g_mg = in_big_stack(build_and_backward, workload, MV, n)
        g_cr = build_and_backward(workload, CV, n)
        assert abs(g_mg - g_cr) <= 1e-9 * max(1.0, abs(g_mg)), (g_mg, g_cr)
        # nodes as micrograd counts them (a node per constant too) for bytes per node
        nodes = count_nodes(workload(CV, n)[1])
        t_mg = in_big_stack(median_time, lambda: build_and_backward(workload, MV, n), args.repeats)
        t_cr = median_time(lambda: build_and_backward(workload, CV, n), args.repeats)
        mg_nodes = in_big_stack(_micrograd_nodes, workload(MV, n)[1])
        b_mg = bytes_per_node(workload, MV, n, mg_nodes)
        b_cr = bytes_per_node(workload, CV, n, nodes)
        results[name] = (t_mg / t_cr, b_mg / b_cr)
        print(f"{name:<8} {nodes:>8} {t_mg * 1e3:>13.1f} {t_cr * 1e3:>13.1f} {t_mg / t_cr:>8.2f}x "
              f"{b_mg:>10.0f} {b_cr:>10.0f} {b_cr / b_mg:>6.2f}")  # fmt: skip
    return results


def _micrograd_nodes(root):
    seen, stack = {root}, [root]
    while stack:
        for child in stack.pop()._prev:
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return len(seen)


if __name__ == "__main__":
    main()
