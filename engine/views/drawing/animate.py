"""The backward pass as an animation: an animated GIF or a self-contained HTML player.

``animate(root_or_trace, "backprop.gif")`` draws one frame per chain-rule step, all read
from one recorded pass (a :class:`engine.Trace`, recorded once when a Value is given;
backward is not run again), optionally after the forward pass, one value per frame, and writes

- ``.gif``: an animated GIF (Pillow) that plays on GitHub, in slides and in chat; every
  frame has the same canvas, the step's caption on top and the picture below it, cropped
  around the step when it is taller than ``height``; the last frame stays longer;
- ``.html`` (or ``.htm``): one page with the frames as inline SVG and a small script:
  play/pause, a slider, previous/next buttons, the arrow keys, the step's caption and its
  row of the trace table. No network, no kernel: it opens from disk in any browser.

    >>> import engine
    >>> a = engine.Value(2.0, label="a"); L = a * a; L.label = "L"
    >>> animate(L, "square.gif")  # doctest: +SKIP
    PosixPath('square.gif')

Unless ``rankdir`` is given, the drawing runs left to right or top to bottom, whichever
fits a page better.
"""

import io
from pathlib import Path
from typing import Any

from ...files import write_atomic
from ...numbers import count, setting
from ...vocab import DIGITS
from . import _player
from ._base import STEP
from .frames import Frames

KINDS = {".gif": "gif", ".html": "html", ".htm": "html"}


def animate(
    root: Any,
    path: Any,
    *,
    forward: bool = False,
    duration: float = 0.8,
    pause: float = 2.0,
    width: int = 1000,
    height: int = 900,
    scale: float = 1.0,
    digits: int = DIGITS,
    quiz: bool = False,
    **options: Any,
) -> Path:
    """Write the backward pass of ``root`` (a Value, a Trace or a Frames), one frame per step, to ``path``.

    - ``path``: ``.gif`` for an animated GIF, ``.html`` for a self-contained player page.
    - ``forward``: first show the forward pass, one value computed per frame (greyed until then).
    - ``duration``: seconds each frame shows; ``pause``: extra seconds on the GIF's last frame
      before it starts again (the HTML player plays once and stops on the last frame).
    - ``width``: a GIF's width in pixels at most (smaller graphs keep their natural size).
    - ``height``: a GIF's height in pixels at most: the step's caption on top, and below it the
      picture, or when that is taller, a window onto it that follows the step being taken.
    - ``scale``: the HTML pictures' size, 1 being natural (shrunk to the page's width, but never
      to text under 10 px: then the picture pans, following the step).
    - ``digits``: decimals in the captions and table rows of the player.
    - ``quiz``: an ``.html`` page where the learner computes each step instead of watching it
      (:func:`engine.quiz`'s page: ``#answer``, ``#check``, ``#feedback``); a Trace filtered with
      ``trace.to(w)`` asks only the steps on the paths to ``w``.
    - ``options`` go to :func:`engine.draw` (``rankdir``, ``formulas``, ``precision``, ...).

    A Trace filtered with ``trace.to(w)`` animates only the steps on the paths to ``w``.
    Returns the Path written. The file is written whole or not at all.
    """
    path = Path(path)
    kind = KINDS.get(path.suffix.lower())
    if kind is None:
        got = f"'{path.suffix}'" if path.suffix else "no extension"
        raise ValueError(f"cannot tell what to write to {str(path)!r} ({got}): name it .gif or .html")
    if not path.parent.is_dir():
        raise FileNotFoundError(
            f"cannot write {str(path)!r}: the directory {str(path.parent)!r} does not exist"
        )
    if quiz:
        return _quiz_page(root, path, kind, forward, digits, options)
    duration = setting(duration, "duration (seconds per frame)", positive=True)
    pause = setting(pause, "pause (extra seconds on the last frame)")
    if duration > GIF_LONGEST or (kind == "gif" and duration + pause > GIF_LONGEST):
        what = "duration" if duration > GIF_LONGEST else "duration + pause (the last frame's time)"
        raise ValueError(
            f"{what} is {duration + (pause if 'pause' in what else 0):g} s, more than a frame can show: "
            f"at most {GIF_LONGEST:g} s (a GIF keeps a frame's time in hundredths of a second, up to 65535)"
        )
    width = count(width, "width (the GIF's width in pixels)", minimum=50)
    height = count(height, "height (the GIF's height in pixels)", minimum=200)
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 17:
        raise ValueError(f"digits is a number of decimals from 1 to 17, not {digits!r}")
    if isinstance(root, Frames):
        same = not options and scale == root.scale and forward == root.forward
        f = root if same else Frames(root.trace, scale=scale, forward=forward, **options)
    else:
        f = Frames(root, scale=scale, forward=forward, **options)
    if len(f) > _player.MAX_FRAMES:
        raise ValueError(_player.too_many(f, "animate(engine.trace({L}).to(w), path)"))
    f = _player.fitted(_player.bare(f))  # the caption says what each step did: no headline in the pictures
    if kind == "gif":
        data = gif(f, duration, pause, width, height, digits)
    else:
        title = f"Backpropagation from {f.trace.names[f.root]}: {len(f.trace)} chain-rule steps"
        if f.forward:
            title = f"The forward pass ({len(f.computed)} values), then b{title[1:]}"
        data = _player.page(f, f.render("svg"), title, duration=duration, digits=digits, scale=f.scale)
    write_atomic(path, data)
    return path


GIF_LONGEST = 655.35  # seconds: a GIF stores a frame's time in hundredths of a second, at most 65535
CAPTION_PX = 16  # the GIF's caption: bold, in pixels
MARGIN = 8


def gif(
    f: Frames, duration: float = 0.8, pause: float = 2.0, width: int = 1000, height: int = 900,
    digits: int = DIGITS,
) -> bytes:  # fmt: skip
    """The frames as an animated GIF (bytes) that loops; the last frame shows ``pause`` s longer.

    Each frame is the step's caption above the picture; a picture taller than ``height``
    (with its caption) is shown through a window that follows the step: it is cropped around
    the marks in the step's colour (the edge and the boxes of the step), and a bar at the
    right edge shows where the window is in the whole picture. ``f``'s pictures should have
    no headline of their own (see ``_player.bare``): the caption says it.
    """
    from PIL import Image, ImageDraw

    pictures = _player.images(f, width)
    texts = _player.captions(f, digits)
    font = _font(CAPTION_PX)
    W, H = pictures[0].size
    lines = [_wrap(text, font, W - 2 * MARGIN) for text in texts]
    band = max(len(ls) for ls in lines) * (CAPTION_PX + 5) + 2 * MARGIN
    window = min(H, max(height - band, 100))
    tops = _windows([_marked(im) for im in pictures], H, window)
    frames = []
    for im, ls, top in zip(pictures, lines, tops):
        canvas = Image.new("RGB", (W, band + window), "white")
        draw = ImageDraw.Draw(canvas)
        for i, line in enumerate(ls):
            draw.text((MARGIN, MARGIN + i * (CAPTION_PX + 5)), line, fill=(0, 0, 0), font=font)
        draw.line([(0, band - 2), (W, band - 2)], fill=(200, 200, 200), width=1)
        canvas.paste(im.crop((0, top, W, top + window)), (0, band))
        if window < H:  # where the window is: a grey track and a darker thumb at the right edge
            draw.rectangle([W - 6, band, W - 1, band + window - 1], fill=(230, 230, 230))
            a, b = band + round(top * window / H), band + round((top + window) * window / H) - 1
            draw.rectangle([W - 6, a, W - 1, b], fill=(140, 140, 140))
        frames.append(canvas)
    both = Image.new("RGB", (W, frames[0].height * 2))  # first and last hold every colour: grey, orange, ...
    both.paste(frames[0], (0, 0))
    both.paste(frames[-1], (0, frames[0].height))
    palette = both.quantize(colors=64, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    images = [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in frames]  # one palette: fast
    times = [round(duration * 1000)] * (len(images) - 1) + [round((duration + pause) * 1000)]
    out = io.BytesIO()
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=times, loop=0,
                   optimize=False, disposal=1)  # fmt: skip
    return out.getvalue()


def _font(size: int) -> Any:
    """A bold sans-serif font of ``size`` pixels: matplotlib's DejaVu Sans, else Pillow's own."""
    from PIL import ImageFont

    try:
        import matplotlib

        bold = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans-Bold.ttf"
        return ImageFont.truetype(str(bold), size)
    except (ImportError, OSError):
        return ImageFont.load_default(size)


def _wrap(text: str, font: Any, room: float) -> list[str]:
    """``text`` broken at spaces into lines no wider than ``room`` pixels (a long word stays whole)."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and font.getlength(lines[-1] + " " + word) <= room:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _marked(im: Any) -> tuple[int, int, int, int] | None:
    """The bounding box of the pixels in the step's colour (its edge and boxes), or None.

    It is looked for at half the size (a quarter of the pixels): the step's edges are drawn
    3 points wide, so some 2 × 2 block of each stays wholly in that colour."""
    from PIL import Image, ImageChops

    half = im.reduce(2)
    diff = ImageChops.difference(half, Image.new("RGB", half.size, _STEP_RGB))
    near = [c.point(lambda v: 255 if v < 48 else 0) for c in diff.split()]
    box = ImageChops.multiply(ImageChops.multiply(near[0], near[1]), near[2]).getbbox()
    return None if box is None else (2 * box[0], 2 * box[1], 2 * box[2], 2 * box[3])


def _windows(marks: list, H: int, window: int) -> list[int]:
    """The top of each frame's window: centred on its marks (a frame with none: the nearest that has)."""
    n, tops = len(marks), []
    for k in range(n):
        box = next((marks[i] for d in range(n) for i in (k + d, k - d) if 0 <= i < n and marks[i]), None)
        middle = H / 2 if box is None else (box[1] + box[3]) / 2
        tops.append(max(0, min(H - window, round(middle - window / 2))))
    return tops


_STEP_RGB = tuple(int(STEP[i : i + 2], 16) for i in (1, 3, 5))


def _quiz_page(root, path, kind, forward, digits, options):
    """animate(..., quiz=True): the quiz's offline page, on the steps ``root`` holds."""
    from ...record.tracing import Trace
    from ..quizzing import quiz

    if kind != "html":
        raise ValueError(f"a quiz is a page the learner types into: name it .html, not {path.suffix!r}")
    if forward or options:
        given = ["forward=True"] * bool(forward) + [f"{k}=" for k in options]
        raise ValueError(f"a quiz page takes no drawing options ({', '.join(given)}); leave them out")
    if isinstance(root, Frames):
        root = root.trace
    to = root.target if isinstance(root, Trace) else None
    return quiz(root, to=to, digits=digits).page(path)


__all__ = ["animate", "gif"]
