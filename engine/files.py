"""Files written whole or not at all: one ``write_atomic`` for the engine, nn and the app."""

import os
import tempfile
from pathlib import Path


def write_atomic(path: str | os.PathLike, content: str | bytes) -> None:
    """Write ``content`` (str or bytes) to ``path`` via a temporary file in the same folder and a rename.

    Readers see the old file or the new one, never a half-written one.
    """
    path = Path(path)
    if path.is_symlink():  # write what the link points to, and keep the link
        path = path.resolve()
    if path.exists() and not path.is_file():
        raise (
            IsADirectoryError(f"{path} is not a regular file; give a file path to write to")
            if path.is_dir()
            else OSError(f"{path} is not a regular file (a device, FIFO or socket); refusing to replace it")
        )
    try:  # keep the mode of the file replaced; a new file gets the usual one (mkstemp's is 0600)
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mask = os.umask(0)
        os.umask(mask)
        mode = 0o666 & ~mask
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise _named(exc, path) from None
    try:
        os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(content.encode("utf-8") if isinstance(content, str) else content)
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


def _named(exc, path):
    """The same OSError (same errno and subclass), naming the file asked for, not the temporary one."""
    return OSError(exc.errno, exc.strerror, str(path))


__all__ = ["write_atomic"]
