"""Benchmark: seed 002's backward pass animated (engine.animate) as a GIF and as an HTML player.

Each run starts from nothing (a new network, one recorded pass, every frame rendered
afresh: no cache carried over) and writes the file; the median of several runs is
reported with the CPU time per run (this process and the renderer's; wall time on a
shared machine depends on its load), the file's size and the Graphviz program used. The goals
(issue 12): each under 5 s with graphviz-pure, the GIF under 3 MB, the HTML under
1.5 MB; the GIF at most 900 px tall (issue 21: the caption and the step in one view).
micrograd draws no animation, so there is no ratio to it here.

    python benchmarks/bench_animate.py [--repeats 3]
"""

import argparse
import os
import resource
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import median_time  # noqa: E402

import engine  # noqa: E402
import nn  # noqa: E402
from engine.views.drawing import render  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement (median)")
    args = parser.parse_args(argv)
    renderer = render.find_renderer()
    steps = len(engine.tracing.record(nn.seed002().E))
    print(f"seed 002: {steps} steps, {steps + 1} frames; renderer {renderer.name}; {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"{'file':<6} {'median s':>9} {'CPU s':>6} {'size MB':>8} {'goal':>16} {'pixels':>11}")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind, goal in (("gif", "< 5 s, < 3 MB"), ("html", "< 5 s, < 1.5 MB")):
            path = Path(tmp) / f"backprop.{kind}"
            before = _cpu()
            seconds = median_time(lambda: engine.animate(nn.seed002().E, path), args.repeats)
            cpu = (_cpu() - before) / args.repeats  # this process and its Graphviz processes, per run
            size = path.stat().st_size / 1e6
            results[kind] = (seconds, size)
            pixels = ""
            if kind == "gif":
                from PIL import Image

                with Image.open(path) as im:
                    pixels = f"{im.width} × {im.height}"
            print(f"{kind:<6} {seconds:>9.2f} {cpu:>6.2f} {size:>8.2f} {goal:>16} {pixels:>11}")
    return results


def _cpu():
    """CPU seconds used so far by this process and its finished children (the renderer's runs)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    main()
