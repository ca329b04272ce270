"""Files written whole or not at all: one ``write_atomic`` for the engine, nn and the app.

``check_writable(path)`` says, without writing anything, whether ``write_atomic`` may
write ``path``; ``write_all`` writes several files, all of them or none.
"""

import errno
import os
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path


def check_writable(path: str | os.PathLike) -> Path:
    """The file ``write_atomic(path, ...)`` would write (a symlink's target), or a clear OSError.

    Refused, before anything is written: a symlink that loops or is too long a chain, a path
    that is a folder, FIFO, socket or device, a file without write permission (its mode; a
    read-only file is never replaced, even by root), and a folder that does not exist.
    """
    path = Path(path)
    if "\0" in str(path):
        raise ValueError(f"{str(path)!r}: a file name cannot contain a NUL character")
    if path.is_symlink():  # write what the link points to, and keep the link
        try:
            path = path.resolve()
        except (RuntimeError, OSError):  # Python < 3.13 raises RuntimeError for a loop
            raise OSError(
                errno.ELOOP,
                "it is a symbolic link that loops (or a chain of too many links); "
                "remove or fix the link, or give another path",
                str(path),
            ) from None
    try:
        info = path.stat()
    except FileNotFoundError:
        info = None
    except OSError as exc:  # e.g. a parent that is a file (NotADirectoryError)
        raise _named(exc, path) from None
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(
                errno.EISDIR, "it is a folder, not a regular file; give a file path to write to", str(path)
            )
        if not stat.S_ISREG(info.st_mode):
            raise OSError(
                errno.EINVAL,
                "it is not a regular file (a device, FIFO or socket); refusing to replace it",
                str(path),
            )
        if not info.st_mode & 0o222 or not os.access(path, os.W_OK):
            raise PermissionError(
                errno.EACCES,
                "the file is read-only; it is left as it is (make it writable with chmod u+w, "
                "or give another path)",
                str(path),
            )
    if not path.parent.is_dir():
        raise FileNotFoundError(
            errno.ENOENT, f"the folder {str(path.parent)!r} does not exist; create it first", str(path)
        )
    return path


def write_atomic(path: str | os.PathLike, content: str | bytes) -> None:
    """Write ``content`` (str or bytes) to ``path`` via a temporary file in the same folder and a rename.

    Readers see the old file or the new one, never a half-written one. What
    :func:`check_writable` refuses (a read-only file, a folder, a FIFO, a symlink
    loop) raises an OSError naming ``path`` and nothing is written.
    """
    data = content.encode("utf-8") if isinstance(content, str) else content
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"write_atomic writes str or bytes, not {type(content).__name__}")
    path = check_writable(path)
    try:  # keep the mode of the file replaced; a new file gets the usual one (mkstemp's is 0600)
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mask = os.umask(0)
        os.umask(mask)
        mode = 0o666 & ~mask
    try:  # the name is cut so that a long (valid) file name still leaves room for the temporary's
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:100]}.", suffix=".tmp")
    except OSError as exc:
        raise _named(exc, path) from None
    try:
        os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError) and exc.errno:
            raise _named(exc, path) from None
        raise


def write_all(files: Mapping[str | os.PathLike, str | bytes]) -> None:
    """Write several files (path -> content), all of them or none.

    Every path is checked first (:func:`check_writable`), so a file that cannot be
    written is reported before any is written. Should a write still fail (a full
    disk), the files already written are put back as they were: their old content
    restored, or removed if they are new.
    """
    targets = {check_writable(path): content for path, content in files.items()}
    before = {path: _content(path) for path in targets}
    done = []
    try:
        for path, content in targets.items():
            write_atomic(path, content)
            done.append(path)
    except BaseException:
        for path in reversed(done):
            old = before[path]
            try:
                if old is None:
                    path.unlink()
                elif old is not _UNREADABLE:
                    write_atomic(path, old)
            except OSError:  # nothing better to do: the first error is the one to report
                pass
        raise


_UNREADABLE = object()  # a file that may be written but not read: it cannot be put back


def _content(path):
    """A file's bytes (None: there is no file yet), to restore it if a later write fails."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError:
        return _UNREADABLE


def _named(exc, path):
    """The same OSError (same errno and subclass), naming the file asked for, not the temporary one."""
    return OSError(exc.errno, exc.strerror, str(path))


__all__ = ["check_writable", "write_atomic", "write_all"]
