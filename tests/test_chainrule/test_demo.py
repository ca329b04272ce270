"""Tests for chainrule.demo (``chainrule demo``): a real run in a temporary folder and bad options."""

import argparse
import os
import subprocess
import sys

import pytest

import chainrule.demo
import engine.files
from nn import load_model

PNG = b"\x89PNG\r\n\x1a\n"


def parse(argv):
    parser = argparse.ArgumentParser(prog="chainrule demo")
    chainrule.demo.add_arguments(parser)
    return parser.parse_args(argv)


def test_subcommand_interface():
    """The module provides HELP, add_arguments and run, as chainrule.cli expects."""
    assert isinstance(chainrule.demo.HELP, str) and "\n" not in chainrule.demo.HELP
    args = chainrule.demo.recipe(parse([]))
    assert (args.dataset, args.hidden, args.epochs, args.batch_size, args.lr) == (
        "moons",
        [16, 16],
        100,
        None,
        1.0,
    )
    digits = chainrule.demo.recipe(parse(["--dataset", "digits", "--epochs", "3"]))
    assert (digits.hidden, digits.epochs, digits.batch_size, digits.lr) == ([32], 3, 32, 0.01)


def test_happy_path_writes_plots_and_weights(tmp_path, capsys):
    """A short run prints the final loss and accuracy, writes two PNGs and the weights, and says where."""
    out = tmp_path / "run"
    status = chainrule.demo.run(parse(["--epochs", "3", "--hidden", "4", "--out", str(out), "--no-progress"]))
    assert status == 0
    printed = capsys.readouterr().out
    assert "final loss" in printed and "accuracy" in printed and str(out.resolve()) in printed
    for name in ("loss.png", "boundary.png"):
        assert (out / name).read_bytes().startswith(PNG)
    model = load_model(out / "model.json")
    assert [len(layer.neurons) for layer in model.layers] == [4, 1]
    assert sorted(p.name for p in out.iterdir()) == ["boundary.png", "loss.png", "model.json"]


@pytest.mark.parametrize("dataset", ["circles", "xor"])
def test_other_datasets_and_options(tmp_path, capsys, dataset):
    """Every dataset runs, with mini-batches, another activation and learning rate."""
    argv = [
        "--dataset",
        dataset,
        "--samples",
        "24",
        "--hidden",
        "3,3",
        "--activation",
        "tanh",
        "--epochs",
        "2",
    ]
    argv += ["--batch-size", "5", "--lr", "0.3", "--seed", "4", "--out", str(tmp_path), "--no-progress"]
    assert chainrule.demo.run(parse(argv)) == 0
    assert "after 10 updates" in capsys.readouterr().out  # 24 rows in batches of 5: 5 per epoch


def test_progress_bar_is_shown(tmp_path, capsys):
    """Without --no-progress the tqdm bar is drawn on stderr."""
    chainrule.demo.run(parse(["--epochs", "2", "--hidden", "2", "--out", str(tmp_path)]))
    assert "2/2" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--dataset", "spirals"], "invalid choice"),
        (["--epochs", "0"], "must be at least 1"),
        (["--epochs", "ten"], "expected a whole number"),
        (["--hidden", "16,x"], "layer sizes"),
        (["--hidden", "16,0"], "at least 1 neuron"),
        (["--activation", "softmax"], "invalid choice"),
        (["--batch-size", "-2"], "must be at least 1"),
        (["--lr", "-0.5"], "positive number"),
        (["--lr", "nan"], "positive number"),
        (["--seed", "1.5"], "invalid int"),
        (["--colour", "red"], "unrecognized arguments"),
    ],
)
def test_bad_options_are_usage_errors(capsys, argv, message):
    """Each bad option makes argparse print the usage and a message saying what is wrong, exit status 2."""
    with pytest.raises(SystemExit) as info:
        parse(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "usage: chainrule demo" in err and message in err


def test_output_path_that_is_a_file_is_a_usage_error(tmp_path, capsys):
    """--out naming an existing file is rejected before training."""
    (tmp_path / "f").write_text("x")
    with pytest.raises(SystemExit):
        parse(["--out", str(tmp_path / "f")])
    assert "not a folder" in capsys.readouterr().err


def test_unwritable_output_folder_fails_cleanly(tmp_path, capsys, monkeypatch):
    """If the plots cannot be written the command says so and returns 1."""

    def refuse(path, content):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(engine.files, "write_atomic", refuse)
    status = chainrule.demo.run(
        parse(["--epochs", "1", "--hidden", "2", "--out", str(tmp_path), "--no-progress"])
    )
    out = capsys.readouterr()
    assert status == 1 and "cannot write" in out.err and "cannot write" not in out.out


@pytest.mark.parametrize("where", ["under a file", "model.json is a folder", "loss.png is a FIFO"])
def test_an_unwritable_output_is_found_before_training(tmp_path, capsys, monkeypatch, where):
    """A folder that cannot be made or a non-file output is reported on stderr before training: status 1."""
    out = tmp_path / "out"
    if where == "under a file":
        (tmp_path / "file").write_text("x")
        out = tmp_path / "file" / "out"
    elif where == "model.json is a folder":
        (out / "model.json").mkdir(parents=True)
    else:
        if not hasattr(os, "mkfifo"):
            pytest.skip("no FIFOs here")
        out.mkdir()
        os.mkfifo(out / "loss.png")

    def never(*args, **kwargs):
        raise AssertionError("trained although the output cannot be written")

    monkeypatch.setattr(chainrule.demo, "fit", never)
    status = chainrule.demo.run(parse(["--epochs", "1", "--hidden", "2", "--out", str(out), "--no-progress"]))
    captured = capsys.readouterr()
    assert status == 1 and captured.out == ""
    assert captured.err.startswith("chainrule demo: error: cannot write to") and captured.err.count("\n") == 1


def test_console_command(tmp_path):
    """`chainrule demo` runs end to end as a console command and exits 0; a bad option exits 2."""
    run = [sys.executable, "-m", "chainrule", "demo"]
    done = subprocess.run(
        run + ["--epochs", "2", "--hidden", "2", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "final loss" in done.stdout and (tmp_path / "boundary.png").exists()
    bad = subprocess.run(run + ["--epochs", "-1"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "usage:" in bad.stderr


@pytest.mark.parametrize("dataset", ["spiral", "yin_yang"])
def test_three_class_datasets(tmp_path, capsys, dataset):
    """spiral and yin_yang train one output per class with cross-entropy and draw the three regions."""
    argv = ["--dataset", dataset, "--samples", "30", "--hidden", "6", "--epochs", "3", "--out", str(tmp_path)]
    assert chainrule.demo.run(parse([*argv, "--no-progress"])) == 0
    assert "accuracy" in capsys.readouterr().out
    assert [len(layer.neurons) for layer in load_model(tmp_path / "model.json").layers] == [6, 3]
    assert (tmp_path / "boundary.png").read_bytes().startswith(PNG)


def test_three_class_evaluation_is_cross_entropy_and_argmax():
    """evaluate() of a 3-output model is the mean cross-entropy (+ L2) and the arg-max accuracy."""
    from nn import MLP, cross_entropy

    model = MLP.from_weights([[[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]]], [[0.0, 0.0, 0.0]])
    X, y = [[2.0, 0.0], [0.0, 3.0], [1.0, 0.5]], [0, 1, 2]
    loss, accuracy = chainrule.demo.evaluate(model, X, y)
    ce = sum(cross_entropy(model(x), t).data for x, t in zip(X, y)) / 3
    assert loss == pytest.approx(ce + chainrule.demo.L2 * 4.0) and accuracy == pytest.approx(2 / 3)


def test_compile_trains_to_the_same_model(tmp_path, capsys):
    """--compile trains with the generated step and prints the same final loss as the graph."""
    printed = []
    for extra in ([], ["--compile"]):
        out = tmp_path / ("compiled" if extra else "graph")
        argv = ["--epochs", "5", "--hidden", "4,4", "--out", str(out), "--no-progress", *extra]
        assert chainrule.demo.run(parse(argv)) == 0
        printed.append(capsys.readouterr().out.splitlines()[1])  # "final loss ..., accuracy ..."
    assert printed[0] == printed[1] and "final loss" in printed[0]
    assert (tmp_path / "graph" / "model.json").read_text() == (
        tmp_path / "compiled" / "model.json"
    ).read_text()


def test_compile_trains_the_spiral_to_the_same_model(tmp_path, capsys):
    """--compile with a cross-entropy set trains with the generated step: the same final loss and accuracy."""
    printed = []
    for extra in ([], ["--compile"]):
        out = tmp_path / ("compiled" if extra else "graph")
        argv = ["--dataset", "spiral", "--samples", "30", "--epochs", "5", "--hidden", "4", "--out", str(out)]
        assert chainrule.demo.run(parse([*argv, "--no-progress", *extra])) == 0
        printed.append(capsys.readouterr().out.splitlines()[1])
    assert printed[0] == printed[1] and "final loss" in printed[0]


def test_animate_writes_the_training_gif(tmp_path, capsys):
    """--animate writes training.gif beside the plots: the first weights and one frame per update here."""
    from PIL import Image

    argv = ["--epochs", "4", "--hidden", "4", "--out", str(tmp_path), "--no-progress", "--animate"]
    assert chainrule.demo.run(parse(argv)) == 0
    assert "training.gif" in capsys.readouterr().out
    with Image.open(tmp_path / "training.gif") as gif:
        assert gif.n_frames == 5  # 4 updates (fewer than 50): before training, then after each
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "boundary.png",
        "loss.png",
        "model.json",
        "training.gif",
    ]


def test_animate_keeps_about_fifty_frames(tmp_path, monkeypatch):
    """With many updates --animate asks fit for a snapshot every updates/50 of them."""
    asked = []
    fit = chainrule.demo.fit
    monkeypatch.setattr(
        chainrule.demo, "fit", lambda *a, **kw: (asked.append(kw["snapshots"]), fit(*a, **kw))[1]
    )
    argv = ["--samples", "20", "--epochs", "30", "--batch-size", "5", "--hidden", "2", "--out", str(tmp_path)]
    assert chainrule.demo.run(parse([*argv, "--no-progress", "--animate"])) == 0
    assert asked == [2]  # 120 updates: one snapshot every 2 (61 frames)


def test_watch_writes_the_samples_page(tmp_path, capsys):
    """--dataset yin_yang --watch 0 --animate writes training.html, one self-contained page of sample 0."""
    argv = [
        "--dataset",
        "yin_yang",
        "--samples",
        "30",
        "--epochs",
        "3",
        "--hidden",
        "4",
        "--out",
        str(tmp_path),
    ]
    assert chainrule.demo.run(parse([*argv, "--no-progress", "--watch", "0", "--animate"])) == 0
    page = (tmp_path / "training.html").read_text("utf-8")
    assert 'id="update"' in page and 'max="3"' in page and 'data-node="a^(1)_1"' in page
    assert "training.html" in capsys.readouterr().out


@pytest.mark.parametrize(
    "extra, message", [([], "--watch I needs --animate"), (["--animate"], "--watch 12 is not one of the 12")]
)
def test_watch_is_refused_without_animate_or_out_of_range(tmp_path, capsys, extra, message):
    """--watch without --animate, or past the last sample, is a usage error (status 2) before training."""
    argv = ["--samples", "12", "--watch", "12", "--out", str(tmp_path / "o"), *extra]
    assert chainrule.demo.run(parse(argv)) == 2
    assert message in capsys.readouterr().err and not (tmp_path / "o").exists()


def test_animate_refuses_digits_before_training(tmp_path, capsys, monkeypatch):
    """--dataset digits --animate is refused in one line (status 2) before anything is loaded or trained."""
    monkeypatch.setattr(chainrule.digits, "run", lambda *args: pytest.fail("digits ran"))
    status = chainrule.demo.run(parse(["--dataset", "digits", "--animate", "--out", str(tmp_path / "o")]))
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1
    assert err.startswith("chainrule demo: error: --animate draws the decision boundary of 2-D data")
    assert not (tmp_path / "o").exists()


def test_animate_output_that_is_a_folder_is_found_before_training(tmp_path, capsys, monkeypatch):
    """training.gif is checked with the other outputs before training when --animate is given."""
    (tmp_path / "training.gif").mkdir()
    monkeypatch.setattr(chainrule.demo, "fit", lambda *a, **kw: pytest.fail("trained"))
    status = chainrule.demo.run(
        parse(["--hidden", "2", "--out", str(tmp_path), "--no-progress", "--animate"])
    )
    assert status == 1 and "training.gif: it is a folder, not a regular file" in capsys.readouterr().err


# --- every output checked before any is written ---------------------------------------


def _never_trains(*args, **kwargs):
    raise AssertionError("trained although an output cannot be written")


QUICK = ["--epochs", "2", "--hidden", "2", "--samples", "12", "--no-progress", "--animate"]
OUTPUTS = ["loss.png", "boundary.png", "model.json", "training.gif"]


@pytest.mark.parametrize("name", OUTPUTS)
def test_a_read_only_output_is_found_before_training_and_nothing_is_written(
    tmp_path, capsys, monkeypatch, name
):
    """Any one of the 4 outputs being read-only stops the demo before training: status 1, no file written."""
    (tmp_path / name).write_bytes(b"old")
    (tmp_path / name).chmod(0o444)
    monkeypatch.setattr(chainrule.demo, "fit", _never_trains)
    status = chainrule.demo.run(parse([*QUICK, "--out", str(tmp_path)]))
    err = capsys.readouterr().err
    assert status == 1 and f"{name}: the file is read-only" in err and err.count("\n") == 1
    assert [p.name for p in tmp_path.iterdir()] == [name] and (tmp_path / name).read_bytes() == b"old"


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="symlinks")
def test_a_symlink_loop_as_an_output_is_one_clear_line(tmp_path, capsys, monkeypatch):
    """model.json as a link loop is reported in one line (not a RuntimeError traceback) before training."""
    (tmp_path / "model.json").symlink_to("loop.json")
    (tmp_path / "loop.json").symlink_to("model.json")
    monkeypatch.setattr(chainrule.demo, "fit", _never_trains)
    status = chainrule.demo.run(parse([*QUICK, "--out", str(tmp_path)]))
    err = capsys.readouterr().err
    assert status == 1 and "model.json: it is a symbolic link that loops" in err and err.count("\n") == 1


@pytest.mark.parametrize("name", OUTPUTS)
def test_an_output_locked_during_training_stops_every_write(tmp_path, capsys, monkeypatch, name):
    """An output turning read-only while the model trains: no output is written, the old ones are kept."""
    for other in OUTPUTS:
        (tmp_path / other).write_bytes(b"old " + other.encode())
    real_fit = chainrule.demo.fit

    def fit_then_lock(*args, **kwargs):
        history = real_fit(*args, **kwargs)
        (tmp_path / name).chmod(0o444)
        return history

    monkeypatch.setattr(chainrule.demo, "fit", fit_then_lock)
    status = chainrule.demo.run(parse([*QUICK, "--out", str(tmp_path)]))
    err = capsys.readouterr().err
    assert status == 1 and f"cannot write to {tmp_path / name}: the file is read-only" in err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == {o: b"old " + o.encode() for o in OUTPUTS}


def test_a_failing_last_write_puts_back_the_first_three(tmp_path, capsys, monkeypatch):
    """If training.gif's write fails (a full disk), the three outputs written before it are put back."""
    for other in OUTPUTS[:2]:
        (tmp_path / other).write_bytes(b"old")
    real = engine.files.write_atomic

    def full_at_the_gif(path, content):
        if path.name == "training.gif":
            raise OSError(28, "No space left on device", str(path))
        real(path, content)

    monkeypatch.setattr(engine.files, "write_atomic", full_at_the_gif)
    status = chainrule.demo.run(parse([*QUICK, "--out", str(tmp_path)]))
    assert status == 1 and "No space left on device" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == {
        "loss.png": b"old",
        "boundary.png": b"old",
    }


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="symlinks")
@pytest.mark.parametrize("kind", ["loop", "dangling"])
def test_an_output_folder_that_is_a_broken_link_is_one_clear_line(tmp_path, capsys, monkeypatch, kind):
    """--out naming a link loop or a link to nowhere says so in one line, before training."""
    out = tmp_path / "out"
    out.symlink_to("out" if kind == "loop" else tmp_path / "gone")
    monkeypatch.setattr(chainrule.demo, "fit", _never_trains)
    status = chainrule.demo.run(parse([*QUICK, "--out", str(out)]))
    err = capsys.readouterr().err
    assert status == 1 and "symbolic link to nowhere (or a loop of links)" in err and err.count("\n") == 1


def test_a_failed_run_leaves_no_new_folder(tmp_path, capsys):
    """A run whose training diverges (status 1) removes the folders it made for --out; an old folder stays."""
    out = tmp_path / "new" / "deeper"
    argv = ["--lr", "1e300", "--epochs", "3", "--hidden", "2", "--no-progress"]
    with pytest.raises(ArithmeticError, match="diverged"):
        chainrule.demo.run(parse([*argv, "--out", str(out)]))
    assert os.listdir(tmp_path) == []
    (tmp_path / "old").mkdir()
    with pytest.raises(ArithmeticError, match="diverged"):
        chainrule.demo.run(parse([*argv, "--out", str(tmp_path / "old")]))
    assert os.listdir(tmp_path) == ["old"]
