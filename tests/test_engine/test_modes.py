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
