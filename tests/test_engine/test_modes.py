"""Tests for engine.modes: no_grad, detect_anomaly and scope are per thread."""

import sys
import threading

import pytest

import engine
from engine import Value


def test_no_grad_in_one_thread_leaves_another_recording():
    """While one thread sits inside no_grad(), another thread's graph and gradient are complete."""
    inside, done = threading.Event(), threading.Event()

    def idle():
        with engine.no_grad():
            inside.set()
            done.wait(5)

    t = threading.Thread(target=idle)
    t.start()
    inside.wait(5)
    try:
        x = Value(3.0)
        y = x * x
        y.backward()
        assert y.op is not None and x.grad == 6.0 and engine.is_recording()
    finally:
        done.set()
        t.join()


def test_scope_and_detect_anomaly_stay_in_their_thread():
    """A scope or detect_anomaly set in one thread is not seen by another."""
    seen = {}

    def other():
        seen["scope"] = Value(1.0).scope
        seen["nan"] = (Value(1e308) * 10).data  # no anomaly check here: inf, no error
        seen["recording"] = engine.is_recording()

    with engine.scope("layer 1"), engine.detect_anomaly(), engine.no_grad():
        t = threading.Thread(target=other)
        t.start()
        t.join()
        assert Value(1.0).scope == "layer 1"
        with pytest.raises(FloatingPointError):
            Value(1e308) * 10
    assert seen == {"scope": None, "nan": float("inf"), "recording": True}


def test_many_threads_never_get_a_wrong_gradient():
    """A stress run: threads toggling no_grad beside threads that train; every gradient is exact."""
    errors = []

    def toggler(k):
        for _ in range(300):
            with engine.no_grad():
                Value(float(k)) * 2

    def learner(k):
        for i in range(300):
            x = Value(float(k + i % 7))
            y = (x * x + x).tanh() * 0 + x * x  # d/dx = 2x
            y.backward()
            if x.grad != 2 * x.data or y.op is None:
                errors.append((k, i, x.grad))

    threads = [threading.Thread(target=f, args=(k,)) for k in range(8) for f in (toggler, learner)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, so modes overlap
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == []


def test_modes_nest_and_restore():
    """Leaving a mode restores the one before it, also after an exception."""
    with engine.scope("a"):
        with engine.scope("b"):
            assert Value(0.0).scope == "a/b"
        assert Value(0.0).scope == "a"
    with pytest.raises(RuntimeError):
        with engine.no_grad():
            raise RuntimeError("boom")
    assert engine.is_recording()


def test_scope_needs_a_name():
    """scope() refuses an empty or non-string name, saying what it takes."""
    for bad in ("", None, 3):
        with pytest.raises(TypeError, match="non-empty name"):
            engine.scope(bad)


def test_a_decorated_function_runs_in_many_threads_at_once():
    """@engine.no_grad() on a function called from a thread pool: no token error, and every worker
    records again afterwards (gradients of later tasks are exact, not zero)."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    @engine.no_grad()
    def infer(k):
        y = Value(float(k)) * 2
        time.sleep(0.001)  # overlap the calls, so entries and exits of threads interleave
        return y.op is None and not engine.is_recording()

    def train(k):
        x = Value(float(k))
        (x * x).backward()
        return engine.is_recording() and x.grad == 2 * k

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(pool.map(infer, range(200)))
        assert all(pool.map(train, range(1, 200)))
    assert engine.modes.active[0] == 0 and engine.is_recording()


def test_one_block_object_entered_in_two_threads():
    """One no_grad() object used by two threads at once: each exit restores its own thread's mode."""
    block, inside, leave = engine.no_grad(), threading.Barrier(2), threading.Barrier(2)
    seen = []

    def work():
        with block:
            inside.wait(5)
            seen.append(engine.is_recording())
            leave.wait(5)
        seen.append(engine.is_recording())

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen) == [False, False, True, True] and engine.modes.active[0] == 0


def test_an_exit_in_another_context_still_restores_the_mode():
    """A block entered in one context (an asyncio task) and left in another: the mode is put back."""
    import contextvars

    block = engine.no_grad()
    contextvars.copy_context().run(block.__enter__)
    block.__exit__(None, None, None)  # ContextVar.reset would raise here: the mode is restored anyway
    assert engine.is_recording() and engine.modes.active[0] == 0
    x = Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0


def test_a_scope_made_outside_nests_where_it_is_entered():
    """scope("H1") made before a block and entered inside scope("layer 1") reads "layer 1/H1"."""
    inner = engine.scope("H1")
    with engine.scope("layer 1"), inner:
        assert Value(0.0).scope == "layer 1/H1"
