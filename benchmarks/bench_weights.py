"""Weights-file benchmark: the time to load a saved MLP, for 1k, 10k and 100k parameters.

Run: python benchmarks/bench_weights.py [--tree PATH] [--sizes 1000,10000,100000]

Each size is an MLP(10, [h, 1]) with h chosen so it holds about that many parameters,
saved once with ``model.save``. Two loads are timed: ``model.load(path)`` (the file into
a model of the same architecture) and ``nn.load_model(path)`` (the architecture rebuilt
from the file, then its weights). Each figure is the median of several runs, with
``gc.collect()`` before each. Reading a file checked every key against all the others
(``keys.count`` per key: quadratic in the number of parameters); now one set does it, and
``load_model`` reads the file once. With ``--tree`` the same measurement runs on another
checkout (e.g. an export of an older commit), so before and after come from one session.
"""

import argparse
import gc
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path


def shape(n):
    """An MLP(10, [h, 1]) of about ``n`` parameters: 10h weights + h biases, then h weights + 1 bias."""
    return max(1, round((n - 1) / 12))


def timed(fn, repeats):
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(tree, sizes, repeats):
    sys.path.insert(0, str(tree))
    import nn

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for n in sizes:
            random.seed(0)
            model = nn.MLP(10, [shape(n), 1])
            path = Path(folder) / f"model{n}.json"
            model.save(path)
            count = len(model.parameters())
            load = timed(lambda: model.load(path), repeats)
            rebuild = timed(lambda: nn.load_model(path), repeats)
            rows.append((count, load, rebuild))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--sizes", default="1000,10000,100000", help="parameter counts, comma-separated")
    parser.add_argument("--repeats", type=int, default=5, help="runs per figure (median; default 5)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{args.tree.resolve()}: medians of {args.repeats} runs")
    print("| parameters | model.load ms | nn.load_model ms |")
    print("| --- | --- | --- |")
    for count, load, rebuild in run(args.tree.resolve(), sizes, args.repeats):
        print(f"| {count:,} | {load * 1e3:.1f} | {rebuild * 1e3:.1f} |", flush=True)


if __name__ == "__main__":
    main()
