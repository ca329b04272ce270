"""Hostile but realistic use across the packages: no internal error reaches a user, no file is lost.

Each kind of bad input gets a clear error (or a correct result), never a traceback from
inside (AttributeError, IndexError, KeyError, RecursionError, a bare OverflowError or
ZeroDivisionError); the command never prints a traceback; every writer keeps symlinks
and refuses to replace what is not a regular file.
"""

import copy
import fractions
import json
import os
import pickle
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

import engine
import nn
from engine import Value
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


CALLS = {
    # engine: numbers and ops
    "Value(Fraction(10**400))": lambda t: Value(fractions.Fraction(10**400)),
    "sqrt at 0, backward": lambda t: Value(0.0).sqrt().backward(),
    "x ** 0.5 at 0, backward": lambda t: (Value(0.0) ** 0.5).backward(),
    "x ** Value(0.5) at 0, backward": lambda t: (Value(0.0) ** Value(0.5)).backward(),
    "backward(gradient=None)": lambda t: (Value(2.0) * 3).backward(gradient=None),
    "backward(gradient=Value)": lambda t: (Value(2.0) * 3).backward(gradient=Value(1.0)),
    "grad of a constant": lambda t: engine.grad(2.0, [Value(1.0)]),
    "grad for a number input": lambda t: engine.grad(Value(1.0) * 2, [2.0]),
    "exp(numpy-like int)": lambda t: engine.exp(fractions.Fraction(1)),
    # engine: gradcheck
    "gradcheck eps=1e-20": lambda t: engine.gradcheck(lambda x: x * x, [1.0], eps=1e-20),
    "gradcheck eps=nan": lambda t: engine.gradcheck(lambda x: x * x, [1.0], eps=float("nan")),
    "gradcheck at 10**400": lambda t: engine.gradcheck(lambda x: x * x, [10**400]),
    "gradcheck sqrt at 0": lambda t: engine.gradcheck(lambda x: x.sqrt(), [0.0]),
    "gradcheck with an overflowing output": lambda t: engine.gradcheck(lambda x: x * x, [1e200]),
    "gradgradcheck sqrt at 0": lambda t: engine.gradgradcheck(lambda x: x.sqrt(), [0.0]),
    # engine: deep graphs
    "deepcopy of 10k nodes": lambda t: copy.deepcopy(_chain(5000)),
    "pickle of 10k nodes": lambda t: pickle.loads(pickle.dumps(_chain(5000))),
    "pickle of an interior node": lambda t: pickle.loads(pickle.dumps(_chain(3).parents[0])),
    # nn: files and sizes
    "load_model of 100k-deep JSON": lambda t: nn.load_model(_file(t, "[" * 100_000 + "]" * 100_000)),
    "load_model with layers []": lambda t: nn.load_model(
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
    "load_model declaring 1e8 inputs": lambda t: nn.load_model(
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
    "load_state_dict with 10**400": lambda t: nn.MLP(1, [1]).load_state_dict(
        {"layer1.neuron1.w1": 10**400, "layer1.neuron1.b": 0.0}
    ),
    "load a directory": lambda t: nn.MLP(1, [1]).load(t),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_no_internal_error_reaches_a_user(tmp_path, name):
    """Each hostile call gives a result or a clear error of a documented kind, never an internal one."""
    try:
        CALLS[name](tmp_path)
    except INTERNAL as exc:
        pytest.fail(f"{name}: internal {type(exc).__name__}: {exc}")
    except (OverflowError, ZeroDivisionError) as exc:
        assert str(exc) and "(" in str(exc), f"{name}: a bare {type(exc).__name__}: {exc}"
    except (TypeError, ValueError, ArithmeticError, OSError) as exc:
        assert len(str(exc)) > 20, f"{name}: an unhelpful {type(exc).__name__}: {exc!r}"


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
