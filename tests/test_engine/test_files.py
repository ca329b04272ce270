"""Tests for engine.files: write_atomic writes whole files, through links, and never replaces a non-file."""

import errno
import os
import socket
import stat

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine.files
from engine.files import check_writable, write_all, write_atomic

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


# --- what is refused before anything is written -------------------------------


@pytest.mark.parametrize("mode", [0o444, 0o400, 0o555, 0o044])
@pytest.mark.parametrize("through_link", [False, True])
def test_a_read_only_file_is_never_replaced(tmp_path, mode, through_link):
    """A file without write permission (even for root, even behind a link) is refused and left as it was."""
    if through_link and os.name == "nt":
        pytest.skip("symlinks are POSIX here")
    target = tmp_path / "model.json"
    target.write_text("old")
    target.chmod(mode)
    path = target
    if through_link:
        path = tmp_path / "link.json"
        path.symlink_to(target)
    with pytest.raises(PermissionError, match="read-only") as info:
        write_atomic(path, "new")
    assert str(target) in str(info.value)
    target.chmod(0o644)
    assert target.read_text() == "old" and stat.S_IMODE(os.stat(target).st_mode) == 0o644
    assert sorted(os.listdir(tmp_path)) == sorted(["model.json"] + (["link.json"] if through_link else []))


@posix
@pytest.mark.parametrize("length", [2, 3, 41])
def test_a_symlink_loop_is_a_clear_oserror(tmp_path, length):
    """A loop of 2, 3 or 41 links (more than the kernel follows) is an OSError saying what to do."""
    names = [tmp_path / f"l{i}" for i in range(length)]
    for i, name in enumerate(names):
        name.symlink_to(names[(i + 1) % length].name)
    for writer in (write_atomic, lambda p, c: check_writable(p)):
        with pytest.raises(OSError, match="loops.*fix the link") as info:
            writer(names[0], "x")
        assert info.value.errno == errno.ELOOP and str(names[0]) in str(info.value)
    assert sorted(os.listdir(tmp_path)) == sorted(n.name for n in names)


@posix
def test_a_link_into_a_missing_folder_and_a_file_as_folder_are_named(tmp_path):
    """A dangling link into a missing folder, and a path below a file, are OSErrors naming the path."""
    link = tmp_path / "out.json"
    link.symlink_to(tmp_path / "gone" / "x.json")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_atomic(link, "x")
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError) as info:
        write_atomic(tmp_path / "file" / "sub.json", "x")
    assert "sub.json" in str(info.value)
    assert sorted(os.listdir(tmp_path)) == ["file", "out.json"]


@given(st.integers(1, 255))
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_valid_file_name_length_can_be_written(tmp_path, length):
    """A file name of any length the system allows (up to 255) is written: the temporary's name is cut."""
    path = tmp_path / ("n" * length)
    write_atomic(path, "x")
    assert path.read_text() == "x"
    path.unlink()


@pytest.mark.parametrize("content", [3, None, ["a"], 1.5])
def test_content_that_is_not_text_or_bytes_is_a_type_error(tmp_path, content):
    """write_atomic writes str or bytes; anything else is a TypeError before a file is made."""
    with pytest.raises(TypeError, match="writes str or bytes"):
        write_atomic(tmp_path / "f", content)
    assert os.listdir(tmp_path) == []


def test_check_writable_agrees_with_write_atomic(tmp_path):
    """check_writable returns the file write_atomic writes, and refuses exactly what write_atomic refuses."""
    (tmp_path / "ok").write_text("x")
    (tmp_path / "ro").write_text("x")
    (tmp_path / "ro").chmod(0o444)
    (tmp_path / "dir").mkdir()
    for name in ("ok", "new", "ro", "dir", "missing/f"):
        path = tmp_path / name
        try:
            checked = check_writable(path)
        except OSError as exc:
            with pytest.raises(type(exc)):
                write_atomic(path, "y")
        else:
            assert checked == path
            write_atomic(path, "y")
            assert path.read_text() == "y"


# --- several files: all or none ---------------------------------------------------


def test_write_all_writes_every_file(tmp_path):
    """write_all writes each path its content, text or bytes."""
    files = {tmp_path / "a.txt": "α", tmp_path / "b.bin": b"\x00\x01"}
    write_all(files)
    assert (tmp_path / "a.txt").read_text() == "α" and (tmp_path / "b.bin").read_bytes() == b"\x00\x01"


@pytest.mark.parametrize("bad", range(4))
def test_write_all_checks_every_path_before_writing_any(tmp_path, bad):
    """When any one of 4 paths is read-only, none is written: the others keep their bytes or stay absent."""
    paths = [tmp_path / f"f{i}" for i in range(4)]
    paths[0].write_text("old0")
    paths[bad].write_text("keep")
    paths[bad].chmod(0o444)
    before = {p: p.read_text() if p.exists() else None for p in paths}
    with pytest.raises(PermissionError, match="read-only"):
        write_all({p: "new" for p in paths})
    assert {p: p.read_text() if p.exists() else None for p in paths} == before


def test_write_all_puts_back_what_it_wrote_when_a_later_write_fails(tmp_path, monkeypatch):
    """A failure at the third write (a full disk) restores the first file and removes the new second one."""
    first, second, third = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    first.write_text("old a")
    real = engine.files.write_atomic
    calls = []

    def failing(path, content):
        calls.append(path)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real(path, content)

    monkeypatch.setattr(engine.files, "write_atomic", failing)
    with pytest.raises(OSError, match="No space"):
        write_all({first: "new a", second: "new b", third: "new c"})
    assert first.read_text() == "old a" and not second.exists() and not third.exists()


@pytest.mark.parametrize("name", ["a\0b", "\0", "folder\0/x"])
def test_a_nul_character_in_the_name_is_a_clear_value_error(tmp_path, name):
    """A file name holding a NUL character is a ValueError saying so; nothing is written."""
    with pytest.raises(ValueError, match="cannot contain a NUL character"):
        write_atomic(str(tmp_path) + "/" + name, "x")
    assert os.listdir(tmp_path) == []
