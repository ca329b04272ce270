"""Frames benchmark: the DOT text of every frame of seed 002's backward pass.

Run: python benchmarks/bench_frames.py [--tree PATH]

Each frame is the drawing after one chain-rule step. 0.1 ran the backward pass again for
every frame (35 passes, O(steps²) partials); now all frames read one recorded Trace. With
``--tree`` the same measurement runs on another checkout (e.g. a worktree of an older
commit), so the two can be compared in one session: the median of several runs each.
"""

import argparse
import gc
import importlib
import statistics
import sys
import time
from pathlib import Path


def frames_of(engine, root):
    if hasattr(engine, "_LAZY") and "frames" in engine._LAZY:
        return engine.frames(root)
    return importlib.import_module("engine.steps").frames(root)  # 0.1 had engine.steps.frames


def run(tree, repeats):
    sys.path.insert(0, str(tree))
    import engine
    import nn
    from engine import backward

    times, passes = [], []
    for _ in range(repeats):
        net = nn.seed002()
        gc.collect()
        before = backward.passes
        start = time.perf_counter()
        f = frames_of(engine, net.E)
        sources = [f[i].source for i in range(len(f))]
        times.append(time.perf_counter() - start)
        passes.append(backward.passes - before)
    assert set(passes) == {1}, f"the frames ran {passes} backward passes, not one"
    return len(sources), statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--repeats", type=int, default=7, help="runs (median; default 7)")
    args = parser.parse_args(argv)
    n, t = run(args.tree.resolve(), args.repeats)
    print(
        f"{args.tree}: {n} frames of seed 002 in {t * 1e3:.1f} ms, one backward pass "
        f"(median of {args.repeats})"
    )
    return t


if __name__ == "__main__":
    main()
