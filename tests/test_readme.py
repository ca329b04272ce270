"""Tests for README.md: its example prints what its comments say, and CI runs its test command."""

import contextlib
import io
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def first_python_block():
    return re.search(r"```python\n(.*?)```", README, re.S).group(1)


def test_readme_example_prints_what_it_says():
    """Each print in the README's opening example outputs the value its comment shows."""
    code = first_python_block()
    expected = [line.split("#", 1)[1].strip() for line in code.splitlines() if line.startswith("print(")]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    assert out.getvalue().splitlines() == expected and expected


def test_ci_runs_the_readme_test_command():
    """.ci/run takes its command from the README's test-command block, so the two cannot drift."""
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "<!-- test-command -->" in ci and 'bash -euo pipefail -c "$command"' in ci
    block = re.search(r"<!-- test-command -->\n```bash\n(.+?)\n```\n<!-- /test-command -->", README, re.S)
    assert block and "pytest" in block.group(1)


def test_readme_examples_run_in_order():
    """The README's Python blocks run one after another as a reader would paste them, without error."""
    namespace: dict = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for k, code in enumerate(re.findall(r"```python\n(.*?)```", README, re.S)):
            exec(compile(code, f"README.md block {k + 1}", "exec"), namespace)
    assert "missing_path\nsign\n" in out.getvalue()  # the diagnose example's two kinds, as its comment says
