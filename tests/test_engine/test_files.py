"""Tests for engine.files: write_atomic writes whole files, through links, and never replaces a non-file."""

import os
import socket
import stat

import pytest

from engine.files import write_atomic

posix = pytest.mark.skipif(os.name == "nt", reason="symlinks, FIFOs and sockets are POSIX here")


def test_writes_bytes_and_text_whole(tmp_path):
    """A new path gets the content; an existing file is replaced and no temporary file is left."""
    path = tmp_path / "f.txt"
    write_atomic(path, "héllo")
    write_atomic(path, b"bytes")
    assert path.read_bytes() == b"bytes" and os.listdir(tmp_path) == ["f.txt"]


@posix
def test_a_symlink_is_kept_and_its_target_written(tmp_path):
    """Writing through a link (also a chain of relative links) updates the target and keeps each link."""
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "model.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(os.path.join("real", "model.json"))
    chain = tmp_path / "chain.json"
    chain.symlink_to("link.json")
    write_atomic(link, "new")
    assert link.is_symlink() and target.read_text() == "new"
    write_atomic(chain, "newer")
    assert chain.is_symlink() and link.is_symlink() and target.read_text() == "newer"
    assert sorted(os.listdir(tmp_path / "real")) == ["model.json"]


@posix
def test_a_dangling_symlink_creates_its_target(tmp_path):
    """A link to a path that does not exist yet is a new path: the target is created, the link kept."""
    link = tmp_path / "out.json"
    link.symlink_to(tmp_path / "made.json")
    write_atomic(link, "x")
    assert link.is_symlink() and (tmp_path / "made.json").read_text() == "x"


def _fifo(path):
    os.mkfifo(path)


def _socket(path):
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(path))
    s.close()


def _device(path):
    if os.geteuid() != 0:
        pytest.skip("making a device node needs root")
    os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 3))  # a private copy of /dev/null


@posix
@pytest.mark.parametrize("make", [_fifo, _socket, _device], ids=["fifo", "socket", "device"])
@pytest.mark.parametrize("through_link", [False, True])
def test_a_non_regular_file_is_refused_and_kept(tmp_path, make, through_link):
    """A FIFO, socket or device (directly or behind a link) is refused with a clear error and not replaced."""
    special = tmp_path / "special"
    make(special)
    kind = stat.S_IFMT(special.lstat().st_mode)
    path = special
    if through_link:
        path = tmp_path / "link"
        path.symlink_to(special)
    with pytest.raises(OSError, match="not a regular file.*refusing"):
        write_atomic(path, "data")
    assert stat.S_IFMT(special.lstat().st_mode) == kind
    assert sorted(os.listdir(tmp_path)) == sorted(["special"] + (["link"] if through_link else []))


def test_a_directory_is_refused(tmp_path):
    """A folder given as the path is an IsADirectoryError saying to give a file path; nothing is written."""
    with pytest.raises(IsADirectoryError, match="give a file path"):
        write_atomic(tmp_path, "data")
    assert os.listdir(tmp_path) == []
