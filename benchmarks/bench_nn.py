"""nn benchmark: micrograd's own moons demo, trained by micrograd 0.1.0 and by chainrule in one run.

Run: python benchmarks/bench_nn.py  (after pip install -e '.[bench]')

The workload is micrograd's demo notebook: 100 moons points, MLP(2, [16, 16, 1]),
hinge loss + 1e-4·L2 over all parameters, SGD with lr = 1 − 0.9·k/100, full
batch. Both libraries start from the same weights (random.seed(1337) before
building each model, which draws them in the same order) and train on the same
data: the notebook's own (np.random.seed(1337); make_moons(100, noise=0.1)) when
scikit-learn is installed, else nn.data.moons(100, noise=0.1, seed=1337).

It prints ms per step (forward + backward + update, median of several interleaved runs)
for micrograd, chainrule with the fused neuron (one dot node per neuron), with the
elementary one (micrograd's * and + graph) and compiled (nn.fit(compile=True): the step
generated once as straight-line Python, no graph), the speed-ups, and the loss at step
k = 19 from each, which must agree to 1e-9; and the time to generate and compile the step
(once per architecture and loss). Twice: with Python's garbage collector on, as users run
it (fit pauses it around each graph step on its own; micrograd leaves it on), and with the
collector off in both libraries (gc.disable() around every run).
"""

import argparse
import gc
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import in_big_stack, median_times, micrograd  # noqa: E402

import nn  # noqa: E402

SEED = 1337
NOTEBOOK_STEP0_LOSS = 0.8958441028683222  # printed by micrograd's demo notebook at step 0
CHECK_STEP = 19


def demo_data(source="auto"):
    """The moons: micrograd's notebook data if scikit-learn is there (or asked for), else ours."""
    if source in ("auto", "notebook"):
        try:
            import numpy as np
            from sklearn.datasets import make_moons
        except ImportError:
            if source == "notebook":
                sys.exit("--data notebook needs scikit-learn: pip install scikit-learn")
        else:
            np.random.seed(SEED)
            X, y = make_moons(n_samples=100, noise=0.1)
            return "micrograd's notebook (scikit-learn make_moons)", X.tolist(), (y * 2 - 1).tolist()
    X, y = nn.data.moons(100, noise=0.1, seed=SEED)
    return "nn.data.moons(100, noise=0.1, seed=1337)", X, y


def train_micrograd(X, y, steps):
    """micrograd's demo loop, as its notebook writes it; returns the loss at every step."""
    mg = micrograd()
    Value = mg.engine.Value
    random.seed(SEED)
    model = mg.nn.MLP(2, [16, 16, 1])
    losses = []
    for k in range(steps):
        inputs = [list(map(Value, row)) for row in X]
        scores = list(map(model, inputs))
        data_loss = sum((1 + -yi * si).relu() for yi, si in zip(y, scores)) * (1.0 / len(scores))
        reg_loss = 1e-4 * sum(p * p for p in model.parameters())
        total = data_loss + reg_loss
        model.zero_grad()
        total.backward()
        lr = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= lr * p.grad
        losses.append(total.data)
    return losses


def initial_weights_micrograd():
    mg = micrograd()
    random.seed(SEED)
    return [p.data for p in mg.nn.MLP(2, [16, 16, 1]).parameters()]


def build_chainrule(fused):
    random.seed(SEED)
    return nn.MLP(2, [16, 16, 1], fused=fused)


def train_chainrule(X, y, steps, fused, compile=False):
    """The same training through nn: MLP, hinge + L2, SGD with micrograd's schedule, nn.fit."""
    model = build_chainrule(fused)
    optimizer = nn.SGD(model.parameters(), lr=nn.LinearDecay(1.0, 0.1, 100))
    history = nn.fit(
        model, X, y, loss="hinge", optimizer=optimizer, l2=1e-4, epochs=steps, progress=False, compile=compile
    )
    return history.loss


def generation_time(X, y):
    """Seconds to generate and compile the training step of the demo's model (nn.fit(compile=True))."""
    from nn import compiled

    compiled._CACHE.clear()
    start = time.perf_counter()
    compiled.BatchStep(build_chainrule(True), nn.hinge, X, y)
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="training steps per run (default 20, >= 20)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement (median; default 3)")
    parser.add_argument("--data", choices=("auto", "notebook", "ours"), default="auto", help="which moons")
    args = parser.parse_args(argv)
    if args.steps <= CHECK_STEP:
        parser.error(f"--steps must be > {CHECK_STEP}: the losses at step k = {CHECK_STEP} are compared")

    name, X, y = demo_data(args.data)
    print(f"data: {name}; MLP(2, [16, 16, 1]), hinge + 1e-4·L2, SGD lr = 1 − 0.9·k/100, full batch")
    start = initial_weights_micrograd()
    for fused in (True, False):
        assert [p.data for p in build_chainrule(fused).parameters()] == start, "initial weights differ"

    runs = {
        "micrograd 0.1.0": lambda: in_big_stack(train_micrograd, X, y, args.steps),
        "chainrule fused": lambda: train_chainrule(X, y, args.steps, True),
        "chainrule elementary": lambda: train_chainrule(X, y, args.steps, False),
        "chainrule compiled": lambda: train_chainrule(X, y, args.steps, True, compile=True),
    }
    generated = generation_time(X, y)  # once per architecture and loss: the runs below reuse it
    losses = {}
    timed = {  # collector on and off interleaved: a change in the machine's load hits both alike
        (label, collector): (
            lambda label=label, run=run, collector=collector: losses.__setitem__(
                (label, collector), _with_collector(collector, run)
            )
        )
        for collector in ("on", "off")
        for label, run in runs.items()
    }
    ms = {key: t / args.steps * 1e3 for key, t in median_times(timed, args.repeats).items()}
    speedups = {}
    for collector in ("on", "off"):
        reference = losses["micrograd 0.1.0", collector]
        if name.startswith("micrograd"):
            assert reference[0] == NOTEBOOK_STEP0_LOSS, ("not the notebook's data", reference[0])
        print(f"\ngarbage collector {collector}")
        print(f"{'':<22} {'ms / step':>10} {'speed-up':>9}  loss at k = {CHECK_STEP}")
        for label in runs:
            loss = losses[label, collector][CHECK_STEP]
            agree = abs(loss - reference[CHECK_STEP])
            assert agree <= 1e-9, (label, loss, reference[CHECK_STEP])
            speedup = ms["micrograd 0.1.0", collector] / ms[label, collector]
            print(f"{label:<22} {ms[label, collector]:>10.2f} {speedup:>8.1f}x  {loss!r} (|Δ| = {agree:.1e})")
            speedups[label, collector] = speedup
    print(f"\ncompiled: code generation + compile of the training step took {generated * 1e3:.0f} ms (once)")
    return speedups


def _with_collector(collector, run):
    """``run()`` with the garbage collector as asked ("on" leaves it as it is: on), then back on."""
    if collector == "on":
        return run()
    gc.disable()
    try:
        return run()
    finally:
        gc.enable()


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"\n(benchmark took {time.perf_counter() - t0:.0f} s)")
