"""Fixtures shared by the engine tests."""

import shutil

import pytest


@pytest.fixture
def no_system_dot(monkeypatch, tmp_path):
    """PATH holds only an empty directory: no `dot`, so graphviz-pure (found next to Python) renders."""
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert shutil.which("dot") is None
