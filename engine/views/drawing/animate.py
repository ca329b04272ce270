"""The backward pass as an animation: an animated GIF or a self-contained HTML player.

``animate(root_or_trace, "backprop.gif")`` draws one frame per chain-rule step, all read
from one recorded pass (a :class:`engine.Trace`, recorded once when a Value is given;
backward is not run again), optionally after the forward pass, one value per frame, and writes

- ``.gif``: an animated GIF (Pillow) that plays on GitHub, in slides and in chat; every
  frame has the same canvas, the last one stays longer;
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
import math
from pathlib import Path
from typing import Any

from ...files import write_atomic
from ...vocab import DIGITS
from . import _player
from .frames import Frames, _positive

KINDS = {".gif": "gif", ".html": "html", ".htm": "html"}


def animate(
    root: Any,
    path: Any,
    *,
    forward: bool = False,
    duration: float = 0.8,
    pause: float = 2.0,
    width: int = 1000,
    scale: float = 1.0,
    digits: int = DIGITS,
    **options: Any,
) -> Path:
    """Write the backward pass of ``root`` (a Value, a Trace or a Frames), one frame per step, to ``path``.

    - ``path``: ``.gif`` for an animated GIF, ``.html`` for a self-contained player page.
    - ``forward``: first show the forward pass, one value computed per frame (greyed until then).
    - ``duration``: seconds each frame shows; ``pause``: extra seconds on the GIF's last frame
      before it starts again (the HTML player plays once and stops on the last frame).
    - ``width``: a GIF's width in pixels at most (smaller graphs keep their natural size).
    - ``scale``: the HTML pictures' size, 1 being natural (they never get wider than the page).
    - ``digits``: decimals in the captions and table rows of the player.
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
    duration = _positive(duration, "duration (seconds per frame)")
    if isinstance(pause, bool) or not isinstance(pause, (int, float)) or not 0 <= pause < math.inf:
        raise ValueError(f"pause is the extra seconds on the last frame, a number >= 0, not {pause!r}")
    if isinstance(width, bool) or not isinstance(width, int) or width < 50:
        raise ValueError(f"width is the GIF's width in pixels, a whole number of at least 50, not {width!r}")
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 17:
        raise ValueError(f"digits is a number of decimals from 1 to 17, not {digits!r}")
    if isinstance(root, Frames):
        same = not options and scale == root.scale and forward == root.forward
        f = root if same else Frames(root.trace, scale=scale, forward=forward, **options)
    else:
        f = Frames(root, scale=scale, forward=forward, **options)
    if len(f) > _player.MAX_FRAMES:
        raise ValueError(_player.too_many(f, "animate(engine.trace({L}).to(w), path)"))
    if kind == "gif":
        data = gif(_player.fitted(f), duration, pause, width)
    else:  # the player's caption says what each step did: the pictures leave their headline out
        f = _player.fitted(_player.bare(f))
        title = f"Backpropagation from {f.trace.names[f.root]}: {len(f.trace)} chain-rule steps"
        if f.forward:
            title = f"The forward pass ({len(f.computed)} values), then b{title[1:]}"
        data = _player.page(f, f.render("svg"), title, duration=duration, digits=digits, scale=f.scale)
    write_atomic(path, data)
    return path


def gif(f: Frames, duration: float = 0.8, pause: float = 2.0, width: int = 1000) -> bytes:
    """The frames as an animated GIF (bytes) that loops; the last frame shows ``pause`` s longer."""
    from PIL import Image

    frames = _player.images(f, width)
    first, last = frames[0], frames[-1]  # between them they hold every colour: grey "grad ?", orange, numbers
    both = Image.new("RGB", (first.width, first.height * 2))
    both.paste(first, (0, 0))
    both.paste(last, (0, first.height))
    palette = both.quantize(colors=64, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    images = [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in frames]  # one palette: fast
    times = [round(duration * 1000)] * (len(images) - 1) + [round((duration + pause) * 1000)]
    out = io.BytesIO()
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=times, loop=0,
                   optimize=False, disposal=1)  # fmt: skip
    return out.getvalue()


__all__ = ["animate", "gif"]
