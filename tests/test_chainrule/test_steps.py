"""Tests for chainrule.steps: the ``chainrule steps`` subcommand."""

import io
import subprocess
import sys

import pytest

import engine
import nn
from chainrule import cli
from engine import trace
from engine.walks import count_steps


@pytest.fixture
def steps_only(monkeypatch):
    """Register only the steps subcommand, so these tests do not depend on the other subcommands.

    The terminal is 200 columns wide unless a test says otherwise: no line is wrapped.
    """
    monkeypatch.setattr(cli, "COMMANDS", {"steps": cli.COMMANDS["steps"]})
    monkeypatch.setenv("COLUMNS", "200")


def run(capsys, *argv):
    code = cli.main(["steps", *argv])
    out = capsys.readouterr().out
    assert code == 0
    return out


def test_steps_is_registered():
    """The chainrule command maps the subcommand "steps" to chainrule.steps."""
    assert cli.COMMANDS["steps"].__name__ == "chainrule.steps"


def test_output_holds_seed002_key_numbers(steps_only, capsys):
    """`chainrule steps` prints forward values and E, every step, ∂E/∂w5 and ∂E/∂w1, and updated weights."""
    out = run(capsys)
    for number in ("0.5384240912", "0.6337097788", "0.6489980701", "0.1849793830"):  # H1, out Y1, out Y2, E
        assert number in out
    n = count_steps(nn.seed002().E)
    assert sum(1 for line in out.splitlines() if line[:4].strip().isdigit()) == n  # one line per step
    assert "∂E/∂w5 = ∂E/∂outY1 · ∂outY1/∂zY1 · ∂zY1/∂w5 = 0.58371 × 0.23212 × 0.53842 = 0.07295" in out
    assert "∂E/∂w1 = 0.0057581 - 0.0010117 = 0.0047464" in out
    assert "reused: ∂E/∂zY1 = 0.13549, already computed for ∂E/∂w5" in out
    w5 = next(line for line in out.splitlines() if line.split()[:1] == ["w5"])
    w1 = next(line for line in out.splitlines() if line.split()[:1] == ["w1"])
    assert w5.split()[-2:] == ["0.0729519972", "0.1792704800"]
    assert w1.split()[-2:] == ["0.0047463957", "0.0999525360"]
    assert "sign slip" in out and "0.1807289" in out


def test_the_guides_excerpt_is_what_the_command_prints(steps_only, capsys, monkeypatch):
    """docs/guide/stepping.md's excerpt of `chainrule steps` is the command's output line for line."""
    from pathlib import Path

    monkeypatch.setenv("COLUMNS", "120")
    out = run(capsys).splitlines()
    guide = Path(__file__).resolve().parents[2] / "docs" / "guide" / "stepping.md"
    guide = guide.read_text(encoding="utf-8")
    excerpt = guide.split("keeps only the steps that lead to w5). An excerpt:\n\n```\n")[1].split("```")[0]
    lines = [line for line in excerpt.splitlines() if line]
    assert len(lines) > 10 and [line for line in lines if line not in out] == []


def test_learning_rate_and_params_options(steps_only, capsys):
    """--lr changes the update, --param explains other parameters and --to filters the steps."""
    out = run(capsys, "--lr", "0.1", "--param", "b2", "--param", "w8", "--to", "w5")
    w5 = next(line for line in out.splitlines() if line.split()[:1] == ["w5"])
    assert w5.split()[-1] == f"{0.18 - 0.1 * 0.0729519972:.10f}"
    assert "∂E/∂b2 = the sum over 2 paths" in out and "∂E/∂w8 = ∂E/∂outY2 · ∂outY2/∂zY2 · ∂zY2/∂w8" in out
    assert "∂E/∂w1" not in out
    k = len(trace(nn.seed002().E).to("w5"))
    assert f"{k} of its {count_steps(nn.seed002().E)} chain-rule steps, on the paths to w5" in out
    assert sum(1 for line in out.splitlines() if line[:4].strip().isdigit()) == k


def test_digits_option(steps_only, capsys):
    """--digits sets the decimals of the steps and explanations."""
    out = run(capsys, "--digits", "3")
    assert "∂E/∂w5 = ∂E/∂outY1 · ∂outY1/∂zY1 · ∂zY1/∂w5 = 0.584 × 0.232 × 0.538 = 0.073" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--lr", "-0.5"], "positive finite"),
        (["--lr", "nan"], "positive finite"),
        (["--lr", "fast"], "not a number"),
        (["--param", "w9"], "invalid choice: 'w9'"),
        (["--digits", "0"], "between 1 and 15"),
    ],
)
def test_bad_options_are_usage_errors(steps_only, capsys, argv, message):
    """A bad option exits with status 2 and a message that says what is wrong."""
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["steps", *argv])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_forward_option(steps_only, capsys):
    """--forward w1 prints forward mode's steps from w1, ∂E/∂w1 beside backward's, and both modes' cost."""
    out = run(capsys, "--forward", "w1")
    assert "Forward mode from w1: 14 chain-rule steps" in out
    assert sum(1 for line in out.splitlines() if line[:4].strip().isdigit()) == 14
    assert "∂E/∂w1 = 0.0047464 by forward mode (one pass per weight), 0.0047464 by backward" in out
    assert "forward mode: n passes (all n gradients)                      150  320  170" in out
    assert "saved: 20 multiplications; 6 of them by reusing ∂E/∂zY1, ∂E/∂zY2" in out
    assert "Backward pass" not in out
    with pytest.raises(SystemExit):
        cli.main(["steps", "--forward", "w9"])
    assert "invalid choice: 'w9'" in capsys.readouterr().err


def test_animate_writes_the_player(steps_only, capsys, tmp_path):
    """`chainrule steps --animate FILE.html` writes a player with one frame per step and says where."""
    path = tmp_path / "backprop.html"
    out = run(capsys, "--animate", str(path), "--digits", "3")
    n = count_steps(nn.seed002().E)
    text = path.read_text(encoding="utf-8")
    assert text.count("<svg") == n + 1 and f"Animation of the {n} steps written to {path}" in out


def test_animate_follows_to(steps_only, capsys, tmp_path):
    """`--to w5 --animate FILE.html` animates the steps listed (on the paths to w5), by their numbers."""
    path = tmp_path / "w5.html"
    out = run(capsys, "--to", "w5", "--animate", str(path))
    part = trace(nn.seed002().E).to("w5")
    text = path.read_text(encoding="utf-8")
    assert (
        text.count("<svg") == len(part) + 1
        and f"Animation of the {len(part)} steps, on the paths to w5" in out
    )
    assert f"step {part[-1].number} ({len(part)} of {len(part)})" in text


def test_animate_refuses_other_files(steps_only, capsys, tmp_path):
    """--animate takes .gif or .html in an existing folder; anything else is a usage error, no traceback."""
    bad_paths = (
        (tmp_path / "x.png", "name the animation .gif"),
        (tmp_path / "no" / "x.gif", "does not exist"),
    )
    for bad, says in bad_paths:
        with pytest.raises(SystemExit) as exit_:
            cli.main(["steps", "--animate", str(bad)])
        assert exit_.value.code == 2 and says in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("columns", [80, 100])
def test_output_fits_the_terminal(steps_only, capsys, monkeypatch, columns):
    """At 80 and 100 columns (COLUMNS, as shutil.get_terminal_size reads it) no line is longer."""
    monkeypatch.setenv("COLUMNS", str(columns))
    out = run(capsys)
    assert max(len(line) for line in out.splitlines()) <= columns
    steps = [line for line in out.splitlines() if line[:4].strip().isdigit()]
    assert len(steps) == count_steps(nn.seed002().E)  # still one line per step
    assert "0.072951997" in out and "outY1 · (1 −" in out


def test_one_number_format_per_column(steps_only, capsys):
    """Each number column of the steps has one format: no -2.9927e-05 next to 0.0081295."""
    out = run(capsys)
    rows = [line.split() for line in out.splitlines() if line[:4].strip().isdigit()]
    grads = [r[-1] if r[-1] not in ("far", "so") else r[-3] for r in rows]
    assert all("e" not in g for g in grads)
    assert len({len(g.lstrip("-").split(".")[1]) for g in grads}) == 1  # the same decimals in the column
    assert "-0.000029927" in out and "x_1" not in out and "k *" not in out and "**(" not in out


def test_unlabelled_pieces_have_a_key(steps_only, capsys, monkeypatch):
    """n1, n2, ... are explained under the steps, and E is written as the documents write it."""
    monkeypatch.setenv("COLUMNS", "100")
    out = run(capsys)
    assert "E = ½(0.05 − outY1)² + ½(0.82 − outY2)²" in out
    assert "n3 = 0.05 − outY1" in out and "n1 = ½·n2" in out


# --- --quiz ----------------------------------------------------------------------------


def _right_answers(to):
    """∂node/∂parent, then ∂E/∂parent after the step, for each step on the paths to ``to``."""
    return [repr(x) for s in trace(nn.seed002().E).to(to) for x in (s.local, s.grad)]


def test_quiz_through_a_pipe():
    """`chainrule steps --quiz` reads answers from a pipe, refuses hostile text clearly and scores at EOF."""
    answers = _right_answers("w5")
    lines = ["__import__('os').system('echo hacked')", "outY1 outY1", *answers]
    done = subprocess.run(
        [sys.executable, "-m", "chainrule", "steps", "--quiz", "--to", "w5"],
        input=b"\xff\xfe\n" + ("\n".join(lines) + "\n").encode(), capture_output=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode("utf-8", "replace")
    assert "cannot read that: the text holds bytes that are not UTF-8 text" in out
    assert "\nhacked" not in out  # nothing was run
    assert "cannot read that: calling __import__('os').system is not allowed" in out
    assert "cannot read that: cannot parse" in out
    n = len(answers)
    assert out.rstrip().endswith(f"score: {n} of {n} right, {n} at the first try")


def test_quiz_ends_at_eof_with_the_score(steps_only, capsys, monkeypatch):
    """End of input after two answers (one miss twice) ends the quiz with the score so far."""
    first = _right_answers("w1")[0]
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{first}\n0.123\n0.123\n"))
    out = run(capsys, "--quiz", "--to", "w1")
    assert "hint: " in out and "(no usual slip gives that)" in out
    total = 2 * len(trace(nn.seed002().E).to("w1"))
    assert out.rstrip().endswith(f"score: 1 of 2 right, 1 at the first try ({total - 2} not asked)")


def test_layers_prints_the_layer_view_under_the_table(steps_only, capsys):
    """--layers prints seed 002's layer form between the step table and the explanations, from its steps."""
    out = run(capsys, "--layers")
    t = trace(nn.seed002().E)
    table, layers = out.index("Backward pass:"), out.index(f"Layer form of the same {len(t)} steps")
    assert table < layers < out.index("Each gradient as a product of factors")
    delta2 = engine.tracing.numbers([t[5].product, t[14].product], 5)  # steps 6 and 15: δ^(2)
    section = out[layers:]
    assert "δ^(2) = ∂E/∂a^(2) ⊙ σ′(z^(2))" in section and all(d in section for d in delta2)
    assert "[11+20]" in section and "⎡w5 w6⎤" in section  # ∂E/∂b2 sums steps 11 and 20; W^(2)'s scalars
    assert "Layer form" not in run(capsys)  # only when asked


def test_explorable_writes_seed002s_page(steps_only, capsys, tmp_path):
    """--explorable FILE also writes seed 002's explorable page, a field per parameter."""
    path = tmp_path / "seed002.html"
    out = run(capsys, "--explorable", str(path))
    assert f"written to {path}" in out
    page = path.read_text(encoding="utf-8")
    assert all(f'data-leaf="{name}"' in page for name in ("w1", "w5", "b2"))
