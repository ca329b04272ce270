"""Turn DOT text into SVG, PNG, JPEG or PDF with whichever Graphviz program runs here.

The programs are tried in this order:

1. Graphviz's own ``dot``, when it is on PATH (a system install);
2. ``graphviz-pure``, the self-contained port of ``dot`` that ``pip install chainrule``
   brings along (found on PATH or next to this Python).

If the first fails, the next is tried. graphviz-pure writes SVG, PNG and JPEG but no
PDF, so for it a PDF is drawn from its SVG with svglib and reportlab: a vector PDF in
the standard PDF fonts (Latin letters, Greek and math signs; other characters show as
boxes). If no program runs, :class:`RendererNotFound` says how to install one and
carries the DOT text in ``.source``; saving to ``.gv`` needs no program at all.

    >>> save("digraph { a -> b }", "ab.svg")  # doctest: +SKIP
    PosixPath('ab.svg')
"""

import io
import logging
import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from ...files import write_atomic  # the one writer: follows symlinks, never replaces a FIFO or device

# File extension -> output format. "gv" is the DOT text itself: no program needed.
EXTENSIONS = {
    "svg": "svg",
    "png": "png",
    "jpg": "jpeg",
    "jpeg": "jpeg",
    "pdf": "pdf",
    "gv": "gv",
    "dot": "gv",
}
FORMATS = ("svg", "png", "jpeg", "pdf")  # what pipe() makes
TIMEOUT = 300  # seconds for one run of a layout program; past that it is stopped
PURE = "graphviz-pure"

INSTALL_HINT = (
    "install one of them: `pip install graphviz-pure` (a self-contained renderer, normally installed "
    "with chainrule), or Graphviz itself (`apt install graphviz`, `brew install graphviz`, `conda install "
    "graphviz`, or https://graphviz.org/download/) so that `dot` is on PATH"
)


class RenderError(RuntimeError):
    """Rendering failed; ``.source`` holds the DOT text, so it can still be saved or rendered elsewhere."""

    def __init__(self, message: str, source: str | None = None) -> None:
        super().__init__(message)
        self.source = source


class RendererNotFound(RenderError):
    """Neither ``dot`` nor ``graphviz-pure`` could be run."""


@dataclass(frozen=True)
class Renderer:
    """A Graphviz program: ``name`` is "dot" or "graphviz-pure", ``path`` the executable."""

    name: str
    path: str

    @property
    def formats(self) -> tuple[str, ...]:
        """The formats the program writes itself (through graphviz-pure, PDF is converted from SVG)."""
        return FORMATS if self.name == "dot" else ("svg", "png", "jpeg")


def candidates() -> list[Renderer]:
    """Every Graphviz program found, in the order they are tried: system ``dot`` first."""
    found = []
    dot = shutil.which("dot")
    if dot:
        found.append(Renderer("dot", dot))
    exe = PURE + (".exe" if os.name == "nt" else "")
    dirs = [sysconfig.get_path("scripts"), os.path.dirname(sys.executable)]
    try:
        dirs.append(sysconfig.get_path("scripts", f"{os.name}_user"))  # pip install --user
    except KeyError:
        pass
    seen = {os.path.realpath(r.path) for r in found}
    for path in [shutil.which(PURE)] + [os.path.join(d, exe) for d in dirs if d]:
        if path and os.path.isfile(path) and os.access(path, os.X_OK) and os.path.realpath(path) not in seen:
            seen.add(os.path.realpath(path))
            found.append(Renderer(PURE, path))
    return found


def find_renderer() -> Renderer:
    """The first Graphviz program that answers ``-V``, or raise :class:`RendererNotFound`."""
    tried = []
    for renderer in candidates():
        try:
            subprocess.run([renderer.path, "-V"], capture_output=True, timeout=30, check=True)
            return renderer
        except (OSError, subprocess.SubprocessError) as exc:
            tried.append(f"{renderer.path} ({exc})")
    raise _not_found(None, tried)


def _not_found(source, tried):
    where = f" Tried: {'; '.join(tried)}." if tried else " Neither is on PATH or next to this Python."
    return RendererNotFound(
        f"cannot render the drawing: neither Graphviz's `dot` nor `graphviz-pure` could be run.{where} "
        f"To fix it, {INSTALL_HINT}. The DOT text is still available, without either: `.source` of this "
        "error and of the drawing, or save the drawing to a .gv file.",
        source,
    )


def pipe(source: str, fmt: str = "svg", renderer: Renderer | None = None) -> bytes:
    """Render DOT ``source`` to ``fmt`` ("svg", "png", "jpeg" or "pdf") and return the bytes.

    ``renderer`` (a :class:`Renderer`) picks the program; by default each of
    :func:`candidates` is tried until one succeeds.
    """
    fmt = {"jpg": "jpeg"}.get(fmt, fmt)
    if fmt not in FORMATS:
        raise ValueError(f"cannot render to {fmt!r}: the formats are svg, png, jpeg (jpg) and pdf")
    programs = [renderer] if renderer is not None else candidates()
    tried, failure = [], None
    for program in programs:
        try:
            if fmt not in program.formats:  # graphviz-pure: PDF from its SVG
                return _pdf_from_svg(_run(program, source, "svg"), source)
            return _run(program, source, fmt)
        except OSError as exc:  # it could not be started at all
            tried.append(f"{program.path} ({exc})")
        except RenderError as exc:
            if isinstance(exc.__cause__, subprocess.TimeoutExpired):
                raise  # the graph is too big: another program would take as long
            failure = failure or exc  # the first program's complaint is the one to show
            tried.append(f"{program.path} (failed)")
    if failure is not None:
        raise failure
    raise _not_found(source, tried)


def _run(renderer, source, fmt):
    try:
        done = subprocess.run(
            [renderer.path, f"-T{fmt}"], input=source.encode("utf-8"), capture_output=True, timeout=TIMEOUT
        )
    except subprocess.TimeoutExpired as exc:
        raise RenderError(
            f"{renderer.name} did not finish within {TIMEOUT} s: the graph is too large to lay out; "
            "draw it collapsed (draw(root, collapse=True)) or draw a smaller part of it",
            source,
        ) from exc
    if done.returncode != 0 or not done.stdout:
        err = done.stderr.decode("utf-8", "replace").strip().splitlines()[-5:]
        raise RenderError(
            f"{renderer.name} ({renderer.path}) failed with exit code {done.returncode}: "
            + (" / ".join(err) or "no output"),
            source,
        )
    return done.stdout


def _pdf_from_svg(svg, source):
    """A vector PDF drawn from SVG bytes (svglib + reportlab), byte-identical on every run."""
    try:
        from reportlab.graphics import renderPDF
        from svglib.svglib import svg2rlg
    except ImportError:
        raise RenderError(
            "a PDF needs Graphviz's `dot`, or the svglib package to convert graphviz-pure's SVG: "
            "`pip install svglib` (or save as .svg or .png instead)",
            source,
        ) from None
    logger = logging.getLogger("svglib")  # svglib logs SVG features it skips; drawings use none that matter
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        drawing = svg2rlg(io.BytesIO(svg))
    finally:
        logger.setLevel(level)
    if drawing is None:
        raise RenderError("could not convert the SVG to PDF (svglib read nothing from it)", source)
    return renderPDF.drawToString(drawing, invariant=1)  # invariant: no timestamp, same bytes each run


def format_of(path: str | os.PathLike[str]) -> str:
    """The output format for a file name, from its extension ("graph.png" -> "png")."""
    ext = Path(path).suffix.lower().lstrip(".")
    if ext not in EXTENSIONS:
        known = ", ".join("." + e for e in EXTENSIONS)
        got = f"'.{ext}'" if ext else "no extension"
        raise ValueError(f"cannot tell the format of {str(path)!r} ({got}); use one of {known}")
    return EXTENSIONS[ext]


def save(source: str, path: str | os.PathLike[str], renderer: Renderer | None = None) -> Path:
    """Render ``source`` to the file ``path``, in the format its extension names; return the Path.

    The file is written whole or not at all (a temporary file in the same directory,
    then renamed). ``.gv`` and ``.dot`` write the DOT text itself.
    """
    path = Path(path)
    fmt = format_of(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(
            f"cannot write {str(path)!r}: the directory {str(path.parent)!r} does not exist"
        )
    data = source.encode("utf-8") if fmt == "gv" else pipe(source, fmt, renderer)
    write_atomic(path, data)
    return path


__all__ = [
    "EXTENSIONS", "FORMATS", "RenderError", "Renderer", "RendererNotFound", "candidates", "find_renderer",
    "format_of", "pipe", "save", "write_atomic",
]  # fmt: skip
