"""Node makers: today's exec-generated makers (engine/_nodes.py) against plain closures.

Run: python benchmarks/bench_nodes.py

Each contender makes the nodes of Value's operators (+, *, /, **, -, and their forms with a
plain number); the workloads are bench_engine's (chain, exprs, balanced), timed as build +
backward, runs interleaved (gc.collect() before each), medians printed with the ratio
closures / exec (above 1: the closures are slower).
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import median_times  # noqa: E402
from bench_engine import balanced, build_and_backward, chain, exprs  # noqa: E402

import engine  # noqa: E402
from engine import _nodes, modes, ops, value  # noqa: E402

_new, _mode, _active, finish = object.__new__, modes.current.get, modes.active, _nodes.finish


def closure_maker(row):
    """The node maker of ``row`` as a plain closure: the row's forward called, the node filled in."""
    forward = row.forward

    def made(a, data, op, parents):
        out = _new(a.__class__)
        out.data, out.grad, out.label = data, 0.0, None
        if _active[0]:  # a mode is set in some thread: this thread's scope, and the rest
            mode = _mode()
            out.scope = mode.scope
            if not mode.recording or mode.checking:
                return finish(out, op, parents, mode)
        else:
            out.scope = None
        out.op, out.parents = op, parents
        return out

    def failed(op, exc, parents, k=()):
        return ops.domain_error(op, exc, [p.data for p in parents] + list(k), [p.label for p in parents])

    if row.takes_constant:
        cache = row.bound

        def make_k(a, k):
            op = cache.get(k) or row.bind(k)
            try:
                data = forward(a.data, k)
            except (ArithmeticError, ValueError) as exc:
                raise failed(op, exc, (a,), (k,)) from None
            return made(a, data, op, (a,))

        return make_k
    if row.arity == 2:

        def make_2(a, b):
            try:
                data = forward(a.data, b.data)
            except (ArithmeticError, ValueError) as exc:
                raise failed(row, exc, (a, b)) from None
            return made(a, data, row, (a, b))

        return make_2

    def make_1(a):
        try:
            data = forward(a.data)
        except (ArithmeticError, ValueError) as exc:
            raise failed(row, exc, (a,)) from None
        return made(a, data, row, (a,))

    return make_1


NAMES = {"_add": "add", "_mul": "mul", "_div": "div", "_pow": "pow", "_neg": "neg", "_addk": "addk",
         "_mulk": "mulk", "_divk": "divk", "_powk": "powk", "_rsubk": "rsubk", "_rdivk": "rdivk",
         "_rpowk": "rpowk"}  # fmt: skip


def build(make):
    """The makers ``make`` builds, one per operator row, by engine.value's module names."""
    return {attr: make(ops.RULES[name]) for attr, name in NAMES.items()}


def use(makers):
    """Put ``makers`` behind Value's operators."""
    for attr, made in makers.items():
        setattr(value, attr, made)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chain", type=int, default=100_000)
    parser.add_argument("--exprs", type=int, default=3_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    print(f"{'workload':<9} {'exec ms':>9} {'closures ms':>12} {'closures/exec':>14}")
    results, contenders = {}, {"exec": build(_nodes.maker), "closures": build(closure_maker)}
    for name, workload, n in (("chain", chain, args.chain), ("exprs", exprs, args.exprs),
                              ("balanced", balanced, args.exprs)):  # fmt: skip
        grads = {}
        for kind, makers in contenders.items():
            use(makers)
            grads[kind] = build_and_backward(workload, engine.Value, n)
        assert grads["exec"] == grads["closures"], grads  # the same floats either way

        def run(makers):
            def timed():
                use(makers)
                build_and_backward(workload, engine.Value, n)

            return timed

        t = median_times({kind: run(makers) for kind, makers in contenders.items()}, args.repeats)
        use(contenders["exec"])
        results[name] = t["closures"] / t["exec"]
        print(f"{name:<9} {t['exec'] * 1e3:>9.1f} {t['closures'] * 1e3:>12.1f} {results[name]:>13.2f}x")
    return results


if __name__ == "__main__":
    main()
