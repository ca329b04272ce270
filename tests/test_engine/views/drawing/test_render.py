"""Tests for engine.drawing.render: DOT text to SVG, PNG, JPEG and PDF with dot or graphviz-pure."""

import os
import re
import shutil
import struct
import sys
import xml.etree.ElementTree as ET

import pytest

from engine.views.drawing import render

SOURCE = 'digraph { rankdir=LR; a [label="x·w"]; b [label="∂L/∂w = 0.25"]; a -> b }'
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data):
    """Width and height from a PNG's IHDR chunk, which must come first."""
    assert data[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    return struct.unpack(">II", data[16:24])


def svg_texts(svg):
    """Every piece of text in an SVG document (it must parse as XML)."""
    root = ET.fromstring(svg)
    return [e.text for e in root.iter() if e.tag.endswith("text") and e.text]


@pytest.fixture
def fake_dot(monkeypatch, tmp_path):
    """A `dot` on PATH that runs graphviz-pure, so it renders SVG/PNG but, like graphviz-pure, no PDF."""
    if os.name == "nt":
        pytest.skip("the fake dot is a POSIX shell script")
    pure = next(r.path for r in render.candidates() if r.name == render.PURE)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "dot"
    script.write_text(f'#!/bin/sh\nexec "{pure}" "$@"\n')
    script.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    return str(script)


def test_graphviz_pure_is_found_without_system_dot(no_system_dot):
    """With no `dot` on PATH the graphviz-pure program installed with chainrule is the renderer."""
    found = render.candidates()
    assert [r.name for r in found] == [render.PURE]
    assert render.find_renderer() == found[0]
    assert found[0].formats == ("svg", "png", "jpeg")


def test_svg_parses_and_holds_the_labels(no_system_dot):
    """The SVG is XML and carries the labels' text, symbols included."""
    texts = svg_texts(render.pipe(SOURCE, "svg"))
    assert "x·w" in texts and "∂L/∂w = 0.25" in texts


def test_png_has_a_valid_header_and_a_sane_size(no_system_dot):
    """The PNG starts with the PNG signature and its IHDR gives a small, non-empty picture."""
    width, height = png_size(render.pipe(SOURCE, "png"))
    assert 100 < width < 1000 and 20 < height < 500


def test_jpeg_has_a_valid_header(no_system_dot):
    """JPEG output (jpg or jpeg) starts with the JPEG start-of-image marker."""
    assert render.pipe(SOURCE, "jpg")[:3] == b"\xff\xd8\xff"


def test_pdf_through_graphviz_pure_is_a_vector_pdf(no_system_dot):
    """graphviz-pure writes no PDF, so one is drawn from its SVG: one vector page, the same bytes each run."""
    pdf = render.pipe(SOURCE, "pdf")
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert re.findall(rb"/Type\s*/Page\b(?!s)", pdf) == [b"/Type /Page"]  # one page
    assert b"/Helvetica" in pdf  # text stays text (a vector PDF), not a picture of it
    assert render.pipe(SOURCE, "pdf") == pdf  # no timestamp inside


def test_pdf_without_svglib_says_what_to_install(no_system_dot, monkeypatch):
    """Without svglib the PDF route fails with a message naming the package and the other formats."""
    monkeypatch.setitem(sys.modules, "svglib", None)
    monkeypatch.setitem(sys.modules, "svglib.svglib", None)
    with pytest.raises(render.RenderError, match="pip install svglib") as info:
        render.pipe(SOURCE, "pdf")
    assert info.value.source == SOURCE


def test_system_dot_comes_first(fake_dot):
    """A `dot` on PATH is tried before graphviz-pure."""
    found = render.candidates()
    assert found[0] == render.Renderer("dot", fake_dot)
    assert found[1].name == render.PURE
    assert "x·w" in svg_texts(render.pipe(SOURCE, "svg"))


def test_a_failing_dot_falls_back_to_graphviz_pure(fake_dot):
    """When `dot` fails (here: it cannot write PDF) the next program is used."""
    with pytest.raises(render.RenderError, match="failed with exit code"):
        render.pipe(SOURCE, "pdf", renderer=render.candidates()[0])  # dot alone fails
    assert render.pipe(SOURCE, "pdf").startswith(b"%PDF-")  # the fallback succeeds


@pytest.mark.skipif(shutil.which("dot") is None, reason="no system Graphviz `dot` on this machine")
def test_real_system_dot_renders_every_format():
    """A real Graphviz `dot` renders SVG, PNG and PDF itself."""
    dot = render.candidates()[0]
    assert dot.name == "dot" and dot.formats == ("svg", "png", "jpeg", "pdf")
    assert "x·w" in svg_texts(render.pipe(SOURCE, "svg", dot))
    assert png_size(render.pipe(SOURCE, "png", dot))[0] > 0
    assert render.pipe(SOURCE, "pdf", dot).startswith(b"%PDF-")


def test_neither_available_says_how_to_install_and_keeps_the_source(monkeypatch, tmp_path):
    """With no program at all the error says how to install one and still holds the DOT text."""
    monkeypatch.setattr(render, "candidates", lambda: [])
    with pytest.raises(render.RendererNotFound) as info:
        render.pipe(SOURCE, "svg")
    message = str(info.value)
    assert "pip install graphviz-pure" in message and "apt install graphviz" in message
    assert ".gv" in message and info.value.source == SOURCE
    with pytest.raises(render.RendererNotFound):
        render.find_renderer()
    assert render.save(SOURCE, tmp_path / "kept.gv").read_text() == SOURCE  # DOT text needs no program


def test_a_program_that_cannot_start_is_reported():
    """A renderer whose file cannot be run is named in the error."""
    missing = render.Renderer("dot", "/nonexistent/bin/dot")
    with pytest.raises(render.RendererNotFound, match="/nonexistent/bin/dot"):
        render.pipe(SOURCE, "svg", missing)


def test_bad_dot_text_gives_the_programs_message(no_system_dot):
    """Invalid DOT text fails with the renderer's exit code and message, and keeps the source."""
    with pytest.raises(render.RenderError, match="failed with exit code") as info:
        render.pipe("digraph { a -> }", "svg")
    assert info.value.source == "digraph { a -> }"


def test_unknown_formats_are_refused():
    """pipe() and format_of() name the formats they know."""
    with pytest.raises(ValueError, match="svg, png, jpeg"):
        render.pipe(SOURCE, "gif")
    assert [render.format_of(f"g.{e}") for e in ("SVG", "png", "jpg", "jpeg", "pdf", "gv", "dot")] == [
        "svg", "png", "jpeg", "jpeg", "pdf", "gv", "gv",
    ]  # fmt: skip
    with pytest.raises(ValueError, match=r"'\.bmp'.*\.svg, \.png"):
        render.format_of("graph.bmp")
    with pytest.raises(ValueError, match="no extension"):
        render.format_of("graph")


def test_save_writes_each_format(no_system_dot, tmp_path):
    """save() picks the format from the extension and returns the path."""
    for name, head in [
        ("g.svg", b"<?xml"),
        ("g.png", PNG_SIGNATURE),
        ("g.jpg", b"\xff\xd8"),
        ("g.pdf", b"%PDF"),
    ]:
        path = render.save(SOURCE, tmp_path / name)
        assert path == tmp_path / name and path.read_bytes().startswith(head)
    assert render.save(SOURCE, str(tmp_path / "g.dot")).read_text() == SOURCE


def test_save_is_atomic(monkeypatch, tmp_path):
    """A failed render leaves an existing file as it was and no temporary file behind."""
    path = tmp_path / "g.png"
    path.write_bytes(b"old")

    def fail(*args, **kwargs):
        raise render.RenderError("boom", SOURCE)

    monkeypatch.setattr(render, "pipe", fail)
    with pytest.raises(render.RenderError):
        render.save(SOURCE, path)
    assert path.read_bytes() == b"old" and os.listdir(tmp_path) == ["g.png"]
    with pytest.raises(FileNotFoundError, match="does not exist"):
        render.save(SOURCE, tmp_path / "missing" / "g.gv")


def test_write_atomic_gives_an_ordinary_file_mode(tmp_path):
    """The written file has the mode of a new file under the umask, not a temp file's 0600."""
    path = tmp_path / "out.bin"
    render.write_atomic(path, b"data")
    umask = os.umask(0)
    os.umask(umask)
    assert path.read_bytes() == b"data"
    if os.name != "nt":
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_layout_that_takes_too_long_is_stopped(monkeypatch, tmp_path):
    """A program running past TIMEOUT is stopped with advice to collapse, and no other program is tried."""
    if os.name == "nt":
        pytest.skip("the slow program is a POSIX shell script")
    slow = tmp_path / "dot"
    slow.write_text("#!/bin/sh\nexec sleep 30\n")
    slow.chmod(0o755)
    monkeypatch.setattr(render, "TIMEOUT", 0.5)
    pure = next(r for r in render.candidates() if r.name == render.PURE)  # it would succeed if tried
    monkeypatch.setattr(render, "candidates", lambda: [render.Renderer("dot", str(slow)), pure])
    with pytest.raises(render.RenderError, match=r"did not finish within 0.5 s.*collapse=True") as info:
        render.pipe(SOURCE, "svg")
    assert info.value.source == SOURCE
