"""Layer-form benchmark: fit(compile="layers") against PyTorch, the scalar paths and micrograd, in one run.

Run: python benchmarks/bench_layers.py  (after pip install -e '.[bench]' and pip install torch; jax optional)

1. micrograd's demo (100 moons, MLP(2, [16, 16, 1]), hinge + 1e-4·L2, SGD lr = 1 − 0.9·k/100,
   full batch), ms per step (forward + backward + update) of: chainrule in layer form
   (nn.fit(compile="layers"): NumPy matrices), PyTorch vectorised (nn.Sequential of Linear
   and ReLU, float64, CPU, optim.SGD with the same schedule, the same start weights), JAX
   jit (if installed), chainrule compiled (fit(compile=True)), the graph, and micrograd
   0.1.0. Medians of interleaved runs, garbage collector on; the losses at the last step
   must agree with the graph's to 1e-12 (relative). All of them run in the same interleaved
   rounds (one run of each, again and again), so a change in the machine's load hits every
   system alike. Also the time to generate and compile the layer code of the demo's model.
2. Digits (MLP(64, [32, 10]), ReLU, cross-entropy, Adam lr 0.01, batches of 32, bench_digits'
   recipe): seconds to train up to the first epoch whose test accuracy reaches 95 % (the test
   rows scored after every epoch, inside the timing: fit's validation, and the same in
   PyTorch), layer form against PyTorch with the same start weights and the same batches.
3. Growth: ms per step of MLP(2, [w, w, 1]) with hinge + L2 on moons (SGD, lr 0.01) for hidden
   widths 16, 64, 256 and batches of 10 and 100 rows, on the layer, compiled and graph paths (the slow
   paths run few steps and skip width 256, minutes per step, unless --all).

Prints Markdown tables (the README's "Layer form" subsection). Every system runs on one thread
(OPENBLAS_NUM_THREADS=1, torch.set_num_threads(1), XLA single-threaded): on this shared 2-core
machine a multi-threaded BLAS spends more time waiting for its threads than multiplying.
"""

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # before numpy loads
    os.environ.setdefault(_name, "1")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

import argparse  # noqa: E402
import gc  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import in_big_stack, median_times  # noqa: E402
from bench_nn import SEED, demo_data, train_micrograd  # noqa: E402

import nn  # noqa: E402
from nn import _matrix  # noqa: E402


def train_chainrule(X, y, steps, compile, sizes=(16, 16, 1), batch_size=None, lr=None):
    random.seed(SEED)
    model = nn.MLP(2, list(sizes))
    optimizer = nn.SGD(model.parameters(), lr=nn.LinearDecay(1.0, 0.1, 100) if lr is None else lr)
    history = nn.fit(model, X, y, loss="hinge", optimizer=optimizer, l2=1e-4, epochs=steps,
                     batch_size=batch_size, progress=False, compile=compile)  # fmt: skip
    return history.loss


def torch_demo(X, y, steps):
    """The demo in PyTorch: returns a function that trains ``steps`` steps and returns the losses."""
    import torch

    torch.set_num_threads(1)
    random.seed(SEED)
    model = nn.MLP(2, [16, 16, 1])
    net = torch.nn.Sequential(
        torch.nn.Linear(2, 16),
        torch.nn.ReLU(),
        torch.nn.Linear(16, 16),
        torch.nn.ReLU(),
        torch.nn.Linear(16, 1),
    ).double()
    Xt = torch.tensor(X, dtype=torch.float64)
    yt = torch.tensor(y, dtype=torch.float64).reshape(-1, 1)
    start = [[[w.data for w in n.w] for n in layer.neurons] for layer in model.layers]
    biases = [[n.b.data for n in layer.neurons] for layer in model.layers]

    def run():
        with torch.no_grad():
            for linear, W, b in zip(net[::2], start, biases):
                linear.weight.copy_(torch.tensor(W, dtype=torch.float64))
                linear.bias.copy_(torch.tensor(b, dtype=torch.float64))
        opt = torch.optim.SGD(net.parameters(), lr=1.0)
        params = list(net.parameters())
        losses = []
        for k in range(steps):
            for group in opt.param_groups:
                group["lr"] = 1.0 - 0.9 * min(k, 100) / 100
            out = net(Xt)
            loss = torch.relu(1 - yt * out).mean() + 1e-4 * sum((p * p).sum() for p in params)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses

    return run


def jax_demo(X, y, steps):
    """The demo with jax.jit (one compiled step), or None when JAX is not installed."""
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    random.seed(SEED)
    model = nn.MLP(2, [16, 16, 1])
    params0 = [
        (
            jnp.array([[w.data for w in n.w] for n in layer.neurons]),
            jnp.array([n.b.data for n in layer.neurons]),
        )
        for layer in model.layers
    ]
    Xj, yj = jnp.array(X), jnp.array(y, dtype=jnp.float64)

    def loss_fn(params):
        h = Xj
        for k, (W, b) in enumerate(params):
            h = h @ W.T + b
            if k < len(params) - 1:
                h = jax.nn.relu(h)
        data = jnp.mean(jax.nn.relu(1 - yj * h[:, 0]))
        return data + 1e-4 * sum(jnp.sum(W * W) + jnp.sum(b * b) for W, b in params)

    @jax.jit
    def step(params, lr):
        loss, grads = jax.value_and_grad(loss_fn)(params)
        return loss, [(W - lr * gW, b - lr * gb) for (W, b), (gW, gb) in zip(params, grads)]

    step(params0, 1.0)[0].block_until_ready()  # compile once, outside the timing

    def run():
        params, losses = params0, []
        for k in range(steps):
            loss, params = step(params, 1.0 - 0.9 * min(k, 100) / 100)
            losses.append(float(loss))
        return losses

    return run


def generation_ms(X, y):
    """Milliseconds to generate and compile the layer code of the demo's model (cache cleared)."""
    times = []
    for _ in range(5):
        _matrix._CACHE.clear()
        random.seed(SEED)
        model = nn.MLP(2, [16, 16, 1])
        start = time.perf_counter()
        _matrix.MatrixNet(model, "hinge", 1e-4)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def demo(args):
    name, X, y = demo_data(args.data)
    steps = args.steps
    contenders = {
        'chainrule, layer form (`compile="layers"`)': lambda: train_chainrule(X, y, steps, "layers"),
        "PyTorch 2.13 vectorised (float64, CPU, 1 thread)": torch_demo(X, y, steps),
    }
    jax_run = jax_demo(X, y, steps)
    if jax_run is not None:
        contenders["JAX jit (float64, CPU)"] = jax_run
    slow = max(2, steps // 20)  # the scalar paths run fewer steps per measurement
    slow_paths = {
        "chainrule, compiled (`compile=True`)": lambda: train_chainrule(X, y, slow, True),
        "chainrule, graph": lambda: train_chainrule(X, y, slow, False),
    }
    train_chainrule(X, y, 2, "layers"), train_chainrule(X, y, 2, True)  # generate the code once, untimed
    losses: dict = {}
    counts = {key: steps for key in contenders} | {key: slow for key in slow_paths}
    table = contenders | slow_paths
    if not args.quick:  # micrograd takes seconds a step: one step per run, in the same interleaved runs
        counts["micrograd 0.1.0"] = 1
        table["micrograd 0.1.0"] = lambda: in_big_stack(train_micrograd, X, y, 1)
    wrapped = {k: (lambda k=k, f=f: losses.__setitem__(k, f())) for k, f in table.items()}
    ms = {k: t / counts[k] * 1e3 for k, t in median_times(wrapped, args.repeats).items()}
    graph = train_chainrule(X, y, steps, False) if steps <= 40 else None
    reference = graph if graph is not None else losses["chainrule, graph"]
    check = len(reference) - 1
    print(f"micrograd's demo on {name}: MLP(2, [16, 16, 1]), hinge + 1e-4·L2, SGD, full batch\n")
    print(f"| system | ms / step | layer form is faster by | loss at step {check} |")
    print("| --- | --- | --- | --- |")
    layer_key = next(iter(contenders))
    for key, value in ms.items():
        loss = losses[key][check] if len(losses[key]) > check else None
        if key.startswith("chainrule") and loss is not None:
            assert abs(loss - reference[check]) <= 1e-12 * abs(reference[check]), (
                key,
                loss,
                reference[check],
            )
        shown = f"{loss!r}" if loss is not None else "(fewer steps)"
        print(f"| {key} | {value:.3f} | {value / ms[layer_key]:,.1f}× | {shown} |")
    gen = generation_ms(X, y)
    print(f"\nlayer code for the demo's model generated and compiled in {gen:.1f} ms (median of 5)")
    torch_key = next(k for k in ms if k.startswith("PyTorch"))
    return ms[torch_key] / ms[layer_key], gen


def digits(args):
    import torch

    try:
        data = nn.data.digits(test_size=0.2, seed=0)
    except ImportError:
        print("digits: skipped (needs scikit-learn)")
        return None
    X, y, X_test, y_test = data
    torch.set_num_threads(1)

    def layer_run(epochs):
        """fit(compile="layers") for ``epochs`` epochs, validation on the test rows after each one."""
        random.seed(0)
        model = nn.MLP(64, [32, 10])
        optimizer = nn.Adam(model.parameters(), lr=0.01)
        start = time.perf_counter()
        history = nn.fit(model, X, y, loss="cross_entropy", optimizer=optimizer, batch_size=32, epochs=epochs,
                         validation=(X_test, y_test), progress=False, compile="layers")  # fmt: skip
        return time.perf_counter() - start, history.val_accuracy

    def torch_run(epochs):
        """The same in PyTorch: the same start, the same batches (fit's shuffle), the test rows scored."""
        random.seed(0)
        model = nn.MLP(64, [32, 10])
        net = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10)).double()
        with torch.no_grad():
            for linear, layer in zip(net[::2], model.layers):
                W = [[w.data for w in n.w] for n in layer.neurons]
                linear.weight.copy_(torch.tensor(W, dtype=torch.float64))
                linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64))
        opt = torch.optim.Adam(net.parameters(), lr=0.01)
        loss_fn = torch.nn.CrossEntropyLoss()
        start = time.perf_counter()
        Xt, yt = torch.tensor(X, dtype=torch.float64), torch.tensor(y)
        Xs, ys = torch.tensor(X_test, dtype=torch.float64), torch.tensor(y_test)
        rng, order, accuracies = random.Random(0), list(range(len(X))), []
        for _ in range(epochs):
            rng.shuffle(order)  # fit's shuffle: the same batches as the layer form
            for k in range(0, len(order), 32):
                rows = torch.tensor(order[k : k + 32])
                loss = loss_fn(net(Xt[rows]), yt[rows])
                opt.zero_grad()
                loss.backward()
                opt.step()
            with torch.no_grad():
                accuracies.append(float((net(Xs).argmax(dim=1) == ys).double().mean()))
        return time.perf_counter() - start, accuracies

    def first(accuracies):
        return next((k + 1 for k, a in enumerate(accuracies) if a >= 0.95), None)

    print("\ndigits: MLP(64, [32, 10]), cross-entropy, Adam lr 0.01, batches of 32, same start and batches")
    print("(each run trains, scoring the test rows after every epoch, up to the first epoch at >= 95 %)\n")
    print("| system | seconds to 95 % test accuracy | epochs | test accuracy then |")
    print("| --- | --- | --- | --- |")
    out = {}
    for key, run in (
        ('chainrule, layer form (`compile="layers"`)', layer_run),
        ("PyTorch vectorised", torch_run),
    ):
        epochs = first(run(args.digits_epochs)[1])
        if epochs is None:
            print(f"| {key} | not reached in {args.digits_epochs} epochs | | |")
            continue
        timed = [run(epochs) for _ in range(args.repeats)]
        out[key] = statistics.median(t for t, _ in timed)
        print(f"| {key} | {out[key]:.3f} | {epochs} | {timed[0][1][-1]:.1%} |")
    return out


def fit_time(X, y, steps, compile, sizes, repeats):
    """Median seconds of ``fit`` alone (the model is built outside the timing), SGD lr 0.01."""
    times = []
    for _ in range(repeats):
        random.seed(SEED)
        model = nn.MLP(2, list(sizes))
        optimizer = nn.SGD(model.parameters(), lr=0.01)
        gc.collect()
        start = time.perf_counter()
        nn.fit(model, X, y, loss="hinge", optimizer=optimizer, l2=1e-4, epochs=steps, progress=False,
               compile=compile)  # fmt: skip
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def growth(args):
    print(
        "\ngrowth: ms per step of MLP(2, [w, w, 1]), hinge + L2 on moons, SGD lr 0.01, by width and batch\n"
    )
    print("| width w | batch | layer form ms | compiled ms | graph ms | layer form vs graph |")
    print("| --- | --- | --- | --- | --- | --- |")
    X, y = nn.data.moons(100, noise=0.1, seed=SEED)
    for width in (16, 64, 256):
        for batch in (10, 100):
            sizes = (width, width, 1)
            row = {}
            for label, compile, steps in (
                ("layers", "layers", 200),
                ("compiled", True, 2),
                ("graph", False, 2),
            ):
                big = width * width * batch
                if label != "layers" and not args.all and big > 64 * 64 * 100:  # minutes per step
                    row[label] = None
                    continue
                if label != "layers":
                    steps = 1 if big > 64 * 64 * 10 else steps
                train_chainrule(X[:batch], y[:batch], 1, compile, sizes, lr=0.01)  # generate the code untimed
                repeats = args.repeats if label == "layers" or big <= 64 * 64 * 10 else 1
                t = {"t": fit_time(X[:batch], y[:batch], steps, compile, sizes, repeats)}
                row[label] = t["t"] / steps * 1e3
            cells = [f"{row[k]:.3f}" if row[k] is not None else "—" for k in ("layers", "compiled", "graph")]
            ratio = f"{row['graph'] / row['layers']:,.0f}×" if row["graph"] is not None else "—"
            print(f"| {width} | {batch} | {' | '.join(cells)} | {ratio} |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--steps", type=int, default=200, help="demo steps per fast measurement (default 200)"
    )
    parser.add_argument("--repeats", type=int, default=5, help="runs per measurement (median; default 5)")
    parser.add_argument("--digits-epochs", type=int, default=20, help="most digits epochs (default 20)")
    parser.add_argument("--data", choices=("auto", "notebook", "ours"), default="auto", help="which moons")
    parser.add_argument("--quick", action="store_true", help="skip micrograd (seconds per step)")
    parser.add_argument("--all", action="store_true", help="the scalar paths at width 256 too (minutes)")
    parser.add_argument("--only", choices=("demo", "digits", "growth"), help="run one part")
    args = parser.parse_args(argv)
    if args.only in (None, "demo"):
        demo(args)
    if args.only in (None, "digits"):
        digits(args)
    if args.only in (None, "growth"):
        growth(args)


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"\n(benchmark took {time.perf_counter() - t0:.0f} s)")
