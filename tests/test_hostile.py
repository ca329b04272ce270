"""Hostile but realistic use across the packages: no internal error reaches a user, no file is lost.

Each kind of bad input gets its stated outcome: a clear error of a stated kind whose message
says a stated thing, or a stated result the engine computes another way; never a traceback from
inside (AttributeError, IndexError, KeyError, RecursionError, a bare OverflowError or
ZeroDivisionError); the command never prints a traceback; every writer keeps symlinks
and refuses to replace what is not a regular file.
"""

import copy
import fractions
import json
import math
import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

import pytest

import engine
import nn
from engine import Value
from engine.tools import expr
from engine.views.drawing import render

INTERNAL = (AttributeError, IndexError, KeyError, RecursionError, NameError, UnboundLocalError)


def _chain(n):
    x = Value(0.5, label="x")
    y = x
    for _ in range(n):
        y = y * 1.0001 + x
    return y


def _file(tmp_path, text):
    path = tmp_path / "hostile.json"
    path.write_text(text)
    return path


class Raises(NamedTuple):
    """The call raises ``error`` (or a subclass) whose message contains ``fragment``."""

    error: type
    fragment: str


class Returns(NamedTuple):
    """The call returns a result whose ``key(result)`` equals ``expected()`` (computed by the engine)."""

    expected: Callable[[], Any]
    key: Callable[[Any], Any] = lambda result: result


def _graph_key(v):
    """A graph as comparable numbers: its root's value and every node's data in topological order."""
    return [n.data for n in engine.topological_order(v)]


def _stale():
    net = nn.seed002()
    net.params["w1"].data += 0.5
    return engine.forward_trace(net.E, "w1")


def _held_inf():
    x, w = Value(1.0, label="x"), Value(1.0, label="w")
    w.data = float("inf")
    return engine.compile(x * w, [x])


def _diamonds(depth):
    x = Value(0.7, label="x")
    y = x
    for i in range(depth):
        a, b = y * 1.01, y * 0.99
        a.label, b.label = f"a{i}", f"b{i}"
        y = a + b
        y.label = f"y{i}"
    return y


def _outside():
    a, c = Value(2.0, label="a"), Value(1.0, label="c")
    return (a * a).tanh(), c


def _numpy_tangent():
    import numpy as np

    a = Value(2.0, label="a")
    return engine.jvp(a * -3.0, {a: np.float64(0.5)})


CALLS = {
    # engine: numbers and ops
    "Value(Fraction(10**400))": (
        lambda t: Value(fractions.Fraction(10**400)),
        Raises(ValueError, "too large for a float"),
    ),
    "sqrt at 0, backward": (
        lambda t: Value(0.0).sqrt().backward(),
        Raises(FloatingPointError, "domain edge"),
    ),
    "x ** 0.5 at 0, backward": (
        lambda t: (Value(0.0) ** 0.5).backward(),
        Raises(FloatingPointError, "domain edge"),
    ),
    "x ** Value(0.5) at 0, backward": (
        lambda t: (Value(0.0) ** Value(0.5)).backward(),
        Raises(FloatingPointError, "domain edge"),
    ),
    "backward(gradient=None)": (
        lambda t: (Value(2.0) * 3).backward(gradient=None),
        Raises(TypeError, "takes a finite number"),
    ),
    "backward(gradient=Value)": (
        lambda t: (Value(2.0) * 3).backward(gradient=Value(1.0)),
        Raises(TypeError, "create_graph=True"),
    ),
    "grad of a constant": (lambda t: engine.grad(2.0, [Value(1.0)]), Returns(lambda: [0.0])),
    "grad for a number input": (
        lambda t: engine.grad(Value(1.0) * 2, [2.0]),
        Raises(TypeError, "give the Values the root was computed from"),
    ),
    "exp(numpy-like int)": (lambda t: engine.exp(fractions.Fraction(1)), Returns(lambda: math.exp(1.0))),
    # engine: gradcheck
    "gradcheck eps=1e-20": (
        lambda t: engine.gradcheck(lambda x: x * x, [1.0], eps=1e-20),
        Raises(ValueError, "eps=1e-20 is too small"),
    ),
    "gradcheck eps=nan": (
        lambda t: engine.gradcheck(lambda x: x * x, [1.0], eps=float("nan")),
        Raises(ValueError, "gradcheck's eps: only finite numbers can be held"),
    ),
    "gradcheck at 10**400": (
        lambda t: engine.gradcheck(lambda x: x * x, [10**400]),
        Raises(ValueError, "too large for a float"),
    ),
    "gradcheck sqrt at 0": (
        lambda t: engine.gradcheck(lambda x: x.sqrt(), [0.0]),
        Returns(lambda: "<GradcheckReport: 0 of 1 derivatives agree, 1 skipped, max error 0>", repr),
    ),
    "gradcheck with an overflowing output": (
        lambda t: engine.gradcheck(lambda x: x * x, [1e200]),
        Raises(ValueError, "the output is inf"),
    ),
    "gradgradcheck sqrt at 0": (
        lambda t: engine.gradgradcheck(lambda x: x.sqrt(), [0.0]),
        Returns(lambda: "<GradcheckReport: 0 of 1 derivatives agree, 1 skipped, max error 0>", repr),
    ),
    # engine: deep graphs
    "deepcopy of 10k nodes": (
        lambda t: copy.deepcopy(_chain(5000)),
        Returns(lambda: _graph_key(_chain(5000)), _graph_key),
    ),
    "pickle of 10k nodes": (
        lambda t: pickle.loads(pickle.dumps(_chain(5000))),
        Returns(lambda: _graph_key(_chain(5000)), _graph_key),
    ),
    "pickle of an interior node": (
        lambda t: pickle.loads(pickle.dumps(_chain(3).parents[0])),
        Returns(lambda: _graph_key(_chain(3).parents[0]), _graph_key),
    ),
    # engine: forward mode, as engine.grad
    "jvp on a leaf the root does not use": (
        lambda t: engine.jvp(*_outside()),
        Returns(lambda: engine.grad(*(lambda r, c: (r, [c]))(*_outside()))[0]),
    ),
    "forward_trace on a leaf the root does not use": (
        lambda t: engine.forward_trace(*_outside()),
        Returns(lambda: (0.0, 0), lambda f: (f.value, len(f))),
    ),
    "jvp from an inf root": (
        lambda t: engine.jvp(Value(1e308, label="x") * 10.0, {}),
        Raises(FloatingPointError, "non-finite value (inf)"),
    ),
    "jvp with a tangent of 10**400": (
        lambda t: engine.jvp(Value(2.0, label="a") * 3.0, {"a": 10**400}),
        Raises(ValueError, "tangent of a: the int given is too large for a float"),
    ),
    "jvp with a numpy tangent": (lambda t: _numpy_tangent(), Returns(lambda: -3.0 * 0.5)),
    "jvp whose tangent overflows": (
        lambda t: engine.jvp(Value(1e154, label="x") ** 2, {"x": 1e300}),
        Raises(FloatingPointError, "non-finite tangent"),
    ),
    "forward_trace of a stale graph": (lambda t: _stale(), Raises(engine.StaleGraphError, "is stale")),
    # engine: wide and deep graphs counted, traced and generated
    "trace of a 3000-input sum": (
        lambda t: engine.trace(engine.sum([Value(float(i)) for i in range(3000)])),
        Returns(lambda: (3000, 1.0), lambda tr: (len(tr), tr[-1].local)),
    ),
    "reuse through 40 diamonds (2**40 paths)": (
        lambda t: engine.reuse(_diamonds(40), ["x"]),
        Returns(lambda: (2**40 * 79, 2**40 - 1), lambda r: r.written),
    ),
    "cost(E, 'w5')": (
        lambda t: engine.cost(nn.seed002().E, "w5"),
        Returns(lambda: (1, engine.cost(nn.seed002().E).edges), lambda c: (c.n, c.edges)),
    ),
    "reuse(E, 'w5')": (
        lambda t: engine.reuse(nn.seed002().E, "w5"),
        Returns(lambda: engine.reuse(nn.seed002().E, ["w5"])),
    ),
    "cost(E, 3.0)": (
        lambda t: engine.cost(nn.seed002().E, 3.0),
        Raises(TypeError, "a leaf (a Value or its label"),
    ),
    "compile with a leaf held at inf": (lambda t: _held_inf(), Raises(ValueError, "must be a finite number")),
    # engine: the printer and the parser
    "expression_text of two leaves labelled x": (
        lambda t: expr.expression_text(Value(2.0, label="x") * Value(3.0, label="x")),
        Returns(lambda: "x * x_2"),
    ),
    "expression_text of a label 'x; import os'": (
        lambda t: expr.expression_text(Value(2.0, label="x; import os") * 3),
        Returns(lambda: "x0 * 3  # x0 is the leaf labelled 'x; import os'"),
    ),
    "build('ｘ + 1', ｘ=2)": (
        lambda t: expr.build("ｘ + 1", {"ｘ": 2})[0].data,
        Returns(lambda: expr.build("x + 1", {"x": 2})[0].data),
    ),
    # nn: files and sizes
    "load_model of 100k-deep JSON": (
        lambda t: nn.load_model(_file(t, "[" * 100_000 + "]" * 100_000)),
        Raises(ValueError, "nested too deeply"),
    ),
    "load_model with layers []": (
        lambda t: nn.load_model(
            _file(
                t,
                json.dumps(
                    {
                        "format": "chainrule-weights",
                        "version": 1,
                        "model": {"type": "MLP", "nin": 2, "layers": []},
                        "parameters": {},
                    }
                ),
            )  # fmt: skip
        ),
        Raises(ValueError, '"layers" must be a non-empty list'),
    ),
    "load_model declaring 1e8 inputs": (
        lambda t: nn.load_model(
            _file(
                t,
                json.dumps(
                    {
                        "format": "chainrule-weights",
                        "version": 1,
                        "model": {
                            "type": "MLP",
                            "nin": 100_000_000,
                            "layers": [{"nout": 1, "activation": "linear", "shared_bias": False}],
                        },
                        "parameters": {"layer1.neuron1.b": 0.0},
                    }
                ),
            )  # fmt: skip
        ),
        Raises(ValueError, "100000001 parameters, but it holds 1"),
    ),
    "load_state_dict with 10**400": (
        lambda t: nn.MLP(1, [1]).load_state_dict({"layer1.neuron1.w1": 10**400, "layer1.neuron1.b": 0.0}),
        Raises(ValueError, "too large for a float"),
    ),
    "load a directory": (lambda t: nn.MLP(1, [1]).load(t), Raises(ValueError, "it is a folder; give a file")),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_each_hostile_call_gives_its_stated_outcome(tmp_path, name):
    """Each hostile call raises the stated error saying the stated thing, or returns the stated result."""
    call, expect = CALLS[name]
    if isinstance(expect, Raises):
        with pytest.raises(Exception) as info:
            call(tmp_path)
        exc = info.value
        assert not isinstance(exc, INTERNAL), f"{name}: internal {type(exc).__name__}: {exc}"
        assert isinstance(exc, expect.error), (
            f"{name}: {type(exc).__name__} ({exc}), want {expect.error.__name__}"
        )
        assert expect.fragment in str(exc), f"{name}: {str(exc)!r} does not say {expect.fragment!r}"
    else:
        assert expect.key(call(tmp_path)) == expect.expected()


# --- every writer: symlinks kept, special files refused ------------------------------


def _writers():
    model = nn.MLP(2, [2, 1])
    drawing = engine.draw(Value(1.0, label="x") * 2)
    return {
        "model.save": model.save,
        "drawing.save": lambda path: drawing.save(path),
        "render.save": lambda path: render.save("digraph { a }", path),
    }


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="symlinks and FIFOs are POSIX here")
@pytest.mark.parametrize("writer", sorted(_writers()))
def test_every_writer_keeps_links_and_refuses_special_files(tmp_path, writer):
    """Saving through a symlink writes its target; a FIFO or a folder is refused and nothing replaced."""
    write = _writers()[writer]
    target = tmp_path / "target.gv"
    target.write_text("old")
    link = tmp_path / "link.gv"
    link.symlink_to(target)
    write(link)
    assert link.is_symlink() and target.read_text() != "old"
    fifo = tmp_path / "fifo.gv"
    os.mkfifo(fifo)
    (tmp_path / "folder.gv").mkdir()
    for path in (fifo, tmp_path / "folder.gv"):
        with pytest.raises(OSError, match="not a regular file"):
            write(path)
    assert fifo.is_fifo() and (tmp_path / "folder.gv").is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo.gv", "folder.gv", "link.gv", "target.gv"]


# --- the command: no traceback, one line, the right status ----------------------------


def _cli_cases(tmp):
    (tmp / "file").write_text("x")
    (tmp / "taken" / "model.json").mkdir(parents=True)
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp / "fifo.svg")
    quick = ["--epochs", "1", "--hidden", "2", "--no-progress"]
    return [
        # (argv, exit status, a fragment of the one stderr line)
        (["demo", "--samples", "1"], 2, "--samples"),
        (["demo", "--samples", "9" * 30], 2, "--samples"),
        (["demo", "--epochs", "0"], 2, "--epochs"),
        (["demo", "--lr", "-1"], 2, "--lr"),
        (["demo", "--lr", "nan"], 2, "--lr"),
        (["demo", "--hidden", "0,2"], 2, "--hidden"),
        (["demo", "--out", str(tmp / "file")], 2, "not a folder"),
        (["demo", *quick, "--out", str(tmp / "file" / "sub")], 1, "cannot write"),
        (["demo", *quick, "--out", str(tmp / "taken")], 1, "not a regular file"),
        (["graph", "-o", str(tmp / "g.gv"), "sqrt(x)", "x=0"], 2, "domain edge"),
        (["graph", "-o", str(tmp / "g.gv"), "x/y", "x=1", "y=0"], 2, "division by zero"),
        (["graph", "-o", str(tmp / "g.gv"), "x", "x=1e400"], 2, "finite"),
        (["graph", "-o", str(tmp / "g.gv"), "(" * 300 + "x" + ")" * 300, "x=1"], 2, "nested"),
        (["graph", "-o", str(tmp / "g.gv"), "x.__class__", "x=1"], 2, "not allowed"),
        (["graph", "-o", str(tmp / "g.gv"), "--step", "9" * 30, "x*y", "x=1", "y=2"], 2, "does not exist"),
        (["graph", "-o", str(tmp / "missing" / "g.gv")], 1, "does not exist"),
        (["graph", "-o", str(tmp / "taken")], 2, "cannot tell the format"),
        (["graph", "-o", str(tmp / "fifo.svg")], 1, "not a regular file"),
        (["graph", "-o", str(tmp / "g.bmp")], 2, "cannot tell the format"),
        (["steps", "--digits", "99"], 2, "--digits"),
        (["steps", "--to", "w9"], 2, "--to"),
        (["steps", "--lr", "0"], 2, "--lr"),
        (["bogus"], 2, "invalid choice"),
        ([], 2, "required"),
    ]


def test_the_command_never_prints_a_traceback(tmp_path):
    """Every subcommand given hostile input exits 2 (usage) or 1 (failure), one stderr line, no traceback."""
    cases = _cli_cases(tmp_path)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg"}

    def run(argv):
        return subprocess.run(
            [sys.executable, "-m", "chainrule", *argv], capture_output=True, text=True, timeout=300,
            cwd=tmp_path, env=env,
        )  # fmt: skip

    with ThreadPoolExecutor(max_workers=4) as pool:
        done = list(pool.map(run, [argv for argv, _, _ in cases]))
    problems = []
    for (argv, status, fragment), result in zip(cases, done):
        err = result.stderr
        lines = [line for line in err.splitlines() if line.strip() and not line.startswith(("usage:", " "))]
        if "Traceback" in err + result.stdout:
            problems.append(f"{argv}: a traceback:\n{err[-800:]}")
        elif result.returncode != status or fragment not in err or len(lines) != 1:
            problems.append(f"{argv}: status {result.returncode} (want {status}), stderr {err[-400:]!r}")
    assert not problems, "\n".join(problems)


def test_predict_in_one_thread_does_not_disturb_fit_in_another():
    """nn.fit trains to the same weights whether or not another thread runs nn.predict (no_grad) meanwhile."""
    import random
    import threading

    X, y = nn.data.moons(20, noise=0.1, seed=3)

    def trained():
        random.seed(5)
        model = nn.MLP(2, [4, 1])
        nn.fit(
            model, X, y, loss="hinge", optimizer=nn.SGD(model.parameters(), lr=0.1), epochs=5, progress=False
        )
        return model.state_dict()

    alone = trained()
    stop = threading.Event()
    other = nn.MLP(2, [4, 1])

    def predicting():
        while not stop.is_set():
            nn.predict(other, X)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    thread = threading.Thread(target=predicting)
    thread.start()
    try:
        beside = trained()
    finally:
        stop.set()
        thread.join()
        sys.setswitchinterval(interval)
    assert beside == alone
