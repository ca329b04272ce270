"""Node makers: plain closures (engine/_nodes.py's maker) against makers generated as source and exec'ed.

The engine used generated makers until this benchmark showed they gain no clear margin
(within ±7% either way on these workloads), so it now uses the closures.

Run: python benchmarks/bench_nodes.py

Each contender makes the nodes of Value's operators (+, *, /, **, -, and their forms with a
plain number); the workloads are bench_engine's (chain, exprs, balanced), timed as build +
backward, runs interleaved (gc.collect() before each), medians printed with the ratio
closures / exec (above 1: the closures are slower).
"""

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import median_times  # noqa: E402
from bench_engine import balanced, build_and_backward, chain, exprs  # noqa: E402

import engine  # noqa: E402
from engine import _nodes, modes, ops, value  # noqa: E402

_SOURCE = """\
def make_{name}({params}):
{lookup}{compute}
    out = _new(a.__class__)
    out.data = data
    out.grad = 0.0
    out.label = None
    if _active[0]:
        mode = _mode()
        out.scope = mode.scope
        if not mode.recording or mode.checking:
            return finish(out, op, {parents}, mode)
    else:
        out.scope = None
    out.op = op
    out.parents = {parents}
    return out
"""
_PLAIN = re.compile(r"[abk +*-]+")  # a forward that is plain arithmetic (a * b): written inline


def failed(op, exc, parents):
    k = [op.constant] if op.constant is not None else []
    return ops.domain_error(op, exc, [p.data for p in parents] + k, [p.label for p in parents])


def exec_maker(row):
    """The node maker engine/_nodes.py generated before (source text exec'ed per row): the contender.

    Its forward is the row's code text written inline when that is plain arithmetic
    (``a.data * b.data``, no call), else a call of the row's forward; only the rule table's
    own rows (identifiers checked by engine.ops.check_row) are compiled here.
    """
    assert ops.is_name(row.name)
    bound = row.takes_constant
    values = ["a", "b"][: row.arity]
    parents = f"({', '.join(values)},)" if len(values) == 1 else f"({', '.join(values)})"
    expr = row.code[0] if row.code and isinstance(row.code[0], str) else ""
    if _PLAIN.fullmatch(expr):
        compute = "    data = " + re.sub(r"\b([ab])\b", r"\1.data", expr)
    else:
        args = ", ".join([f"{v}.data" for v in values] + (["k"] if bound else []))
        compute = (
            f"    try:\n        data = forward({args})\n    except (ArithmeticError, ValueError) as exc:\n"
            f"        raise failed(op, exc, {parents}) from None"
        )
    source = _SOURCE.format(
        name=row.name, params=", ".join(values + (["k"] if bound else [])), parents=parents, compute=compute,
        lookup="    op = cache.get(k) or row.bind(k)\n" if bound else "",
    )  # fmt: skip
    space = dict(finish=_nodes.finish, _new=object.__new__, _active=modes.active, _mode=modes.current.get,
                 failed=failed, op=row, row=row, cache=row.bound, forward=row.forward)  # fmt: skip
    exec(compile(source, f"<the generated node maker of {row.name!r}>", "exec"), space)
    return space[f"make_{row.name}"]


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
    results, contenders = {}, {"exec": build(exec_maker), "closures": build(_nodes.maker)}
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
        use(contenders["closures"])  # what engine.value uses
        results[name] = t["closures"] / t["exec"]
        print(f"{name:<9} {t['exec'] * 1e3:>9.1f} {t['closures'] * 1e3:>12.1f} {results[name]:>13.2f}x")
    return results


if __name__ == "__main__":
    main()
