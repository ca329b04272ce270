"""Tests for chainrule.digits (``chainrule demo --dataset digits``): a short real run and its pictures."""

import argparse
import builtins
import doctest

import pytest
from hypothesis import given
from hypothesis import strategies as st

import chainrule.demo
import chainrule.digits
from nn import load_model

PNG = b"\x89PNG\r\n\x1a\n"


def parse(argv):
    parser = argparse.ArgumentParser(prog="chainrule demo")
    chainrule.demo.add_arguments(parser)
    return parser.parse_args(argv)


def test_docstring_examples():
    """The confusion-matrix example in chainrule.digits runs."""
    assert doctest.testmod(chainrule.digits).failed == 0


def test_one_epoch_writes_the_curves_confusion_and_misclassified(tmp_path, capsys):
    """One epoch on the digits prints the test accuracy and writes three PNGs and the weights."""
    pytest.importorskip("sklearn", reason="the digits need scikit-learn: pip install 'chainrule[data]'")
    argv = ["--dataset", "digits", "--hidden", "8", "--epochs", "1", "--out", str(tmp_path), "--no-progress"]
    assert chainrule.demo.run(parse(argv)) == 0
    printed = capsys.readouterr().out
    assert "1438 training and 359 test images" in printed and "test accuracy" in printed
    for name in ("loss.png", "confusion.png", "misclassified.png"):
        assert (tmp_path / name).read_bytes().startswith(PNG)
    assert [len(layer.neurons) for layer in load_model(tmp_path / "model.json").layers] == [8, 10]


def test_without_scikit_learn_the_error_says_what_to_install(tmp_path, capsys, monkeypatch):
    """Without scikit-learn the demo exits 1 with the pip command, before training."""
    real_import = builtins.__import__

    def no_sklearn(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError("No module named 'sklearn'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    status = chainrule.demo.run(parse(["--dataset", "digits", "--out", str(tmp_path), "--no-progress"]))
    assert status == 1 and "pip install 'chainrule[data]'" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_confusion_matrix_counts_every_image():
    """confusion(true, predicted)[t][p] counts the pairs; the rows sum to each digit's count."""
    true, predicted = [0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2]
    matrix = chainrule.digits.confusion(true, predicted, classes=3)
    assert matrix == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert [sum(row) for row in matrix] == [2, 1, 3]


def test_plots_with_nothing_wrong():
    """A perfect classifier still gets a misclassified figure, saying no image is wrong."""
    fig = chainrule.digits.plot_misclassified([[0.0] * 64], [3], [3])
    assert fig._suptitle.get_text() == "no test image wrong"


def test_an_output_made_read_only_during_training_stops_every_write(tmp_path, capsys, monkeypatch):
    """confusion.png turning read-only while the digits train: no output is written, the old files stay."""
    pytest.importorskip("sklearn", reason="the digits need scikit-learn: pip install 'chainrule[data]'")
    for name in chainrule.digits.FILES:
        (tmp_path / name).write_bytes(b"old")
    real_fit = chainrule.digits.fit

    def fit_then_lock(*args, **kwargs):
        history = real_fit(*args, **kwargs)
        (tmp_path / "confusion.png").chmod(0o444)
        return history

    monkeypatch.setattr(chainrule.digits, "fit", fit_then_lock)
    argv = ["--dataset", "digits", "--hidden", "2", "--epochs", "1", "--out", str(tmp_path), "--no-progress"]
    assert chainrule.demo.run(parse(argv)) == 1
    assert "confusion.png: the file is read-only" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == dict.fromkeys(
        chainrule.digits.FILES, b"old"
    )


def test_a_read_only_output_is_found_before_loading_the_digits(tmp_path, capsys, monkeypatch):
    """A read-only model.json stops --dataset digits before the images are loaded or anything trains."""
    (tmp_path / "model.json").write_text("old")
    (tmp_path / "model.json").chmod(0o444)
    monkeypatch.setattr(chainrule.digits, "run", lambda *args: pytest.fail("the digits ran"))
    status = chainrule.demo.run(parse(["--dataset", "digits", "--out", str(tmp_path), "--no-progress"]))
    assert status == 1 and "model.json: the file is read-only" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


@given(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9)), max_size=40))
def test_confusion_counts_every_pair_once(pairs):
    """confusion(true, predicted)[t][p] counts the pairs (t, p); the matrix sums to the number of pairs."""
    true, predicted = [t for t, _ in pairs], [p for _, p in pairs]
    matrix = chainrule.digits.confusion(true, predicted)
    assert all(matrix[t][p] == pairs.count((t, p)) for t in range(10) for p in range(10))
    assert sum(map(sum, matrix)) == len(pairs)


@pytest.mark.parametrize(
    "true, predicted, error, message",
    [
        ([10], [0], ValueError, "classes 0 to 9; got the label 10"),
        ([0], [-1], ValueError, "a predicted label must be at least 0"),
        ([0.5], [0], TypeError, "a true label takes a whole number"),
        ([0, 1], [0], ValueError, "one prediction per label"),
    ],
)
def test_confusion_refuses_labels_outside_the_classes(true, predicted, error, message):
    """A label beyond the classes, negative or fractional, or a missing prediction: a clear error."""
    with pytest.raises(error, match=message):
        chainrule.digits.confusion(true, predicted)
