"""Execute every notebook here with a real Jupyter kernel and save its outputs in place.

Run: python notebooks/execute.py [NAME.ipynb ...]
Each file is replaced atomically, and only if every cell ran without error.
"""

import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent


def execute(path, timeout=300):
    """Run the notebook at ``path`` top to bottom and return it with fresh outputs."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        coalesce_streams=True,  # one stream per cell, carriage returns applied: a progress bar's last state
        record_timing=False,  # no timestamps in the saved cells, so re-running changes only what changed
    )
    client.execute()
    return nb


def save(nb, path):
    """Write ``nb`` to ``path`` atomically (a temporary file, then a rename)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".ipynb.tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            nbformat.write(nb, f)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes the file private; a notebook is an ordinary file
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main(names):
    paths = [HERE / n for n in names] if names else sorted(HERE.glob("*.ipynb"))
    for path in paths:
        print(f"executing {path.name} ...", flush=True)
        save(execute(path), path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
