"""Digits benchmark: the held-out accuracy of a digit classifier, and the wall time to get there.

Run: python benchmarks/bench_digits.py  (after pip install -e '.[bench]'; the digits need scikit-learn)

The workload is ``chainrule demo --dataset digits``'s recipe: nn.data.digits(test_size=0.2,
seed=0) (1,438 training and 359 test images, pixels in [0, 1]), MLP(64, [32, 10]) with
ReLU, the cross-entropy loss on one logsumexp node per image, Adam (lr 0.01) on
mini-batches of 32, 10 epochs. Two paths train the same model: the graph (every weight a
Value, every step a node) and the generated step (``fit(compile=True)``, nn.compiled: one
sample's forward and backward pass written once as Python), which gives the graph's numbers
up to rounding, so the same accuracies.

Each run trains a fresh model (random.seed(0)) one epoch at a time, timing only the
training (fit, including the code generation of the compiled path), and scores the test
images after every epoch, untimed. It prints, per epoch, the test accuracy and the
training time so far on each path, then the median over the runs of the time to first
reach 95 % test accuracy and of the whole training. The accuracies are the same in every
run (everything is seeded); the times are medians of the runs, interleaved.

micrograd 0.1.0 has no exp or log, so it cannot build a cross-entropy and is not run
here; bench_nn.py compares the two engines on micrograd's own demo.
"""

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import nn  # noqa: E402

TARGET = 0.95


def train(data, epochs, hidden, compile, seed=0):
    """One run: per epoch (cumulative training seconds, test accuracy)."""
    X, y, X_test, y_test = data
    random.seed(seed)
    model = nn.MLP(64, [*hidden, 10])
    optimizer = nn.Adam(model.parameters(), lr=0.01)
    elapsed, out = 0.0, []
    for epoch in range(epochs):
        start = time.perf_counter()
        nn.fit(model, X, y, loss="cross_entropy", optimizer=optimizer, batch_size=32, seed=seed + epoch,
               epochs=1, progress=False, compile=compile)  # fmt: skip
        elapsed += time.perf_counter() - start
        predicted = nn.predict(model, X_test, classes=True)
        out.append((elapsed, sum(p == t for p, t in zip(predicted, y_test)) / len(y_test)))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="epochs per run (default 10)")
    parser.add_argument("--repeats", type=int, default=3, help="runs (median; default 3)")
    parser.add_argument("--hidden", type=int, default=32, help="hidden neurons (default 32)")
    args = parser.parse_args(argv)
    data = nn.data.digits(test_size=0.2, seed=0)
    print(f"digits: {len(data[0])} training and {len(data[2])} test images; MLP(64, [{args.hidden}, 10]), "
          "cross-entropy, Adam lr 0.01, batches of 32")  # fmt: skip
    paths = {"graph": False, "compiled": True}
    runs = {path: [] for path in paths}
    for _ in range(args.repeats):  # interleaved, so a change in the machine's load hits both paths
        for path, compile in paths.items():
            runs[path].append(train(data, args.epochs, [args.hidden], compile))
    accuracies = [acc for _, acc in runs["graph"][0]]
    for path, path_runs in runs.items():
        got = [[acc for _, acc in run] for run in path_runs]
        assert all(max(abs(a - b) for a, b in zip(g, accuracies)) <= 1 / len(data[2]) for g in got), path
    print(f"\n{'epoch':>5} {'test accuracy':>14} {'graph':>9} {'compiled':>9}   (training time, median)")
    for epoch in range(args.epochs):
        seconds = [statistics.median(run[epoch][0] for run in runs[path]) for path in paths]
        print(f"{epoch + 1:>5} {accuracies[epoch]:>14.1%} {seconds[0]:>7.1f} s {seconds[1]:>7.1f} s")
    reached = next((e for e, acc in enumerate(accuracies) if acc >= TARGET), None)
    totals = {path: statistics.median(run[-1][0] for run in runs[path]) for path in paths}
    if reached is None:
        print(f"\ntest accuracy never reached {TARGET:.0%}: best {max(accuracies):.1%}")
    else:
        print()
        for path in paths:
            to_target = statistics.median(run[reached][0] for run in runs[path])
            print(
                f"{path}: {TARGET:.0%} test accuracy after epoch {reached + 1}, {to_target:.1f} s of training"
            )
    for path in paths:
        print(f"{path}: after {args.epochs} epochs, test accuracy {accuracies[-1]:.1%}, {totals[path]:.1f} s")
    print(f"compiled / graph speed-up: {totals['graph'] / totals['compiled']:.1f}x")
    return accuracies, totals


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"\n(benchmark took {time.perf_counter() - t0:.0f} s)")
