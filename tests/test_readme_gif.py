"""Tests of notebooks/backprop.gif, the README's animation (made by notebooks/make_readme_gif.py)."""

from pathlib import Path

from PIL import Image

import engine
import nn

GIF = Path(__file__).resolve().parent.parent / "notebooks" / "backprop.gif"


def test_committed_gif_has_one_frame_per_step_of_the_current_trace():
    """The GIF shows the start and each chain-rule step of seed 002; if not, rerun make_readme_gif.py."""
    steps = len(engine.tracing.record(nn.seed002().E))
    im = Image.open(GIF)
    assert im.format == "GIF" and im.is_animated
    assert im.n_frames == steps + 1, (
        f"{GIF.name} has {im.n_frames} frames but seed 002 now has {steps} steps: "
        "run `python notebooks/make_readme_gif.py` and commit the new GIF"
    )
    sizes = set()
    for k in range(im.n_frames):
        im.seek(k)
        sizes.add(im.convert("RGB").size)
    assert sizes == {im.size} and im.width <= 1000 and GIF.stat().st_size < 3_000_000


def test_committed_gif_shows_each_step_under_its_caption_in_one_view():
    """At most 900 px tall, and every step frame has its caption on top and its orange step below it."""
    import numpy as np

    from engine.views.drawing._base import STEP

    orange = np.array([int(STEP[i : i + 2], 16) for i in (1, 3, 5)])
    im = Image.open(GIF)
    assert im.height <= 900
    for k in range(1, im.n_frames):
        im.seek(k)
        pixels = np.asarray(im.convert("RGB"), dtype=int)
        marked = np.abs(pixels - orange).sum(axis=2) < 60
        assert marked[40:].any(), f"frame {k} of {GIF.name} does not show its step"
        assert (pixels[:30].sum(axis=2) < 240).any(), f"frame {k} of {GIF.name} has no caption on top"
