"""Shared helpers for the benchmarks: timing medians and running deep recursion safely."""

import gc
import statistics
import sys
import threading
import time


def median_time(fn, repeats=5):
    """Median wall time of ``fn()`` over ``repeats`` runs, garbage collector left on."""
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def median_times(fns, repeats=5):
    """Median wall time of each function in ``fns`` (name -> fn), garbage collector on.

    The runs are interleaved (one of each, then again), so a change in the
    machine's load during the benchmark affects every contender alike.
    """
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            gc.collect()
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(ts) for name, ts in times.items()}


def in_big_stack(fn, *args):
    """Run ``fn(*args)`` in a thread with a large stack, for micrograd's recursive backward."""
    result = {}
    old_limit = sys.getrecursionlimit()
    threading.stack_size(1 << 29)
    sys.setrecursionlimit(10**7)

    def target():
        result["value"] = fn(*args)

    try:
        thread = threading.Thread(target=target)
        thread.start()
        thread.join()
    finally:
        sys.setrecursionlimit(old_limit)
        threading.stack_size(0)
    return result["value"]


def micrograd():
    """Import micrograd 0.1.0, or exit with the command that installs it."""
    try:
        import micrograd.engine
        import micrograd.nn
    except ImportError:
        sys.exit("the benchmarks compare against micrograd: pip install -e '.[bench]'")
    return micrograd
