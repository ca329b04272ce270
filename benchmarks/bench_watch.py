"""Benchmark: the page of one sample's training (history.animate("train.html", watch=i)): size and time.

Run: python benchmarks/bench_watch.py [--repeats 3] [--gif]

The workload is ``chainrule demo --dataset yin_yang --watch 0 --animate``: 100 yin-yang points,
MLP(2, [16, 16, 3]) with ReLU, cross-entropy + 1e-4·L2, SGD with lr falling linearly from 1 to
0.1, full batch, 100 epochs, a snapshot after every update (101 frames). The page holds, per
frame, the sample's shown nodes' data and grad, the optimizer's value and grad of each of the 371
parameters (every bit: XOR-ed with the previous frame, in byte planes, deflated, base64; the page
inflates them with DecompressionStream) and a small image of the decision regions; the graph's SVG
is laid out once, and one generated JavaScript program per class lets a click choose the sample.
The goal (issue 25): the page for 100 updates is under 2 MB.
The same page with AdamW (m and v too) is measured as well. ``--gif`` also times the GIF
(one Graphviz drawing a frame).
"""

import argparse
import os
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import median_time  # noqa: E402

import nn  # noqa: E402

SEED = 1337
GOAL_MB = 2.0


def train(optimizer):
    X, y = nn.data.yin_yang(100, seed=SEED)
    random.seed(SEED)
    model = nn.MLP(2, [16, 16, 3])
    return nn.fit(model, X, y, loss="cross_entropy", l2=1e-4, epochs=100, optimizer=optimizer(model),
                  progress=False, snapshots=1)  # fmt: skip


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--gif", action="store_true", help="also time the GIF with the graph")
    args = parser.parse_args(argv)
    print(f"yin-yang, 100 updates, 101 snapshots; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    optimizers = {
        "SGD (the demo's)": lambda m: nn.SGD(m.parameters(), lr=nn.LinearDecay(1.0, 0.1, 100)),
        "AdamW (m and v too)": lambda m: nn.AdamW(m.parameters(), lr=0.01),
    }
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in optimizers.items():
            history = train(make)
            path = Path(tmp) / "train.html"
            seconds = median_time(lambda h=history, p=path: h.animate(p, watch=0), args.repeats)
            size = path.stat().st_size / 1e6
            results[name] = (seconds, size)
            verdict = "under" if size < GOAL_MB else "OVER"
            print(f"train.html, {name:<20} {size:.2f} MB ({verdict} the {GOAL_MB:g} MB goal), written in "
                  f"{seconds:.2f} s")  # fmt: skip
            if args.gif and name.startswith("SGD"):
                gif = Path(tmp) / "train.gif"
                seconds = median_time(lambda h=history, p=gif: h.animate(p, watch=0), 1)
                print(f"train.gif with the graph: {gif.stat().st_size / 1e6:.2f} MB in {seconds:.1f} s")
    return results


if __name__ == "__main__":
    main()
