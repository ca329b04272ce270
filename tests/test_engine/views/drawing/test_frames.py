"""Tests for engine.views.drawing.frames: the ipywidgets slider (frames: test_steps.py, test_animate.py)."""

import base64
import re

import pytest

import nn
from engine import trace
from engine.views.drawing import _player
from engine.views.drawing.frames import Frames, slider
from engine.walks import count_steps


def pictures(html):
    """The SVG texts of the fitted pictures (<img>s of data URLs) in ``html``."""
    return [
        base64.b64decode(m).decode() for m in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html)
    ]


def picture(html):
    """The slider's picture for a wide cell."""
    return pictures(html)[0]


def test_slider_scrubs_through_the_frames(monkeypatch):
    """With ipywidgets, the slider, play and the buttons show the player's frame i cropped around its step,
    one caption and its row; the picture changes at every step and keeps the step's edge in view."""
    widgets = pytest.importorskip("ipywidgets")
    monkeypatch.setattr("engine.views.drawing.frames.live_kernel", lambda: True)  # as in a notebook
    net = nn.seed002()
    box = slider(net.E)
    bar, caption, out, row = box.children
    back, play, ahead, control, count = bar.children
    n = count_steps(net.E)
    assert isinstance(control, widgets.IntSlider) and (control.min, control.max) == (0, n)
    assert isinstance(play, widgets.Play) and play.max == n and control.layout.flex == "1 1 auto"
    shown = _player.fitted(_player.bare(box.frames))  # the player's frames: no headline, standing up
    assert shown.settings.headline is False and shown.settings.rankdir == "TB"
    assert caption.value.startswith("<b>step 0") and count.value == f"step 0 / {n}"
    i = next(s.number for s in trace(nn.seed002().E) if s.parent_name == "w5")
    seen = {}
    for k in (i - 1, i, i + 1):
        control.value = k
        wide, narrow = pictures(out.value)  # a wide cell's window, and a narrow cell's (a container query)
        seen[k] = wide
        whole = shown.render_one(k).decode()
        for svg, size in ((wide, _player.WINDOW), (narrow, _player.NARROW_WINDOW)):
            w, h = _player.svg_size(svg)
            assert w <= size[0] + 0.01 and h <= size[1] + 0.01  # a window of the frame
            assert svg.split("viewBox=")[1].split(">", 1)[1] == whole.split("viewBox=")[1].split(">", 1)[1]
            x, y, cw, ch = map(float, re.search(r'viewBox="([-\d. ]+)"', svg)[1].split())
            x0, y0, x1, y1 = _player.marks_box(whole)
            assert x <= x0 and x1 <= x + cw and y <= y0 and y1 <= y + ch  # the step's edge is in the window
        assert "@container (max-width: 600px){.crs-wide{display:none}.crs-narrow{display:block}" in out.value
    assert len(set(seen.values())) == 3  # the picture changes at every step
    assert caption.value.startswith(f"<b>step {i + 1}: ") and count.value == f"step {i + 1} / {n}"
    control.value = i
    assert (
        "w5" in caption.value
        and row.value.count("<tr class=") == 1
        and f'<td class="crp-num" data-label="step">{i}</td>' in row.value
        and 'data-label="parent">w5</td>' in row.value  # names for the narrow layout's "name: value"
    )
    ahead.click()
    assert control.value == i + 1 and picture(out.value) == seen[i + 1]
    back.click()
    back.click()
    assert control.value == i - 1 and picture(out.value) == seen[i - 1]
    play.value = 3  # what the play button does, a tick at a time
    assert control.value == 3
    control.value = 0
    back.click()
    assert control.value == 0  # no step before the start
    assert net.params["w5"].grad == 0.0  # scrubbing changes no .grad
    assert isinstance(box.frames, Frames)


def test_window_is_cropped_around_a_point_and_never_past_the_picture():
    """window() keeps the SVG's content and crops its viewBox to the size asked, centred where the edges
    allow; a picture smaller than the window is kept whole."""
    graph = '<g id="graph0" class="graph" transform="scale(1 1) rotate(0) translate(4 1996)"></g></svg>'
    svg = '<svg width="1000pt" height="2000pt"\n viewBox="0.00 0.00 1000.00 2000.00" xmlns="x">' + graph
    box = lambda s: tuple(map(float, re.search(r'viewBox="([-\d. ]+)"', s)[1].split()))  # noqa: E731
    assert box(_player.window(svg, (500, 1000), (400, 300))) == (300, 850, 400, 300)
    assert box(_player.window(svg, (0, 0), (400, 300))) == (0, 0, 400, 300)
    assert box(_player.window(svg, (1000, 2000), (400, 300))) == (600, 1700, 400, 300)
    assert box(_player.window(svg, (500, 1000), (4000, 3000))) == (0, 0, 1000, 2000)
    assert _player.window(svg, (0, 0), (400, 300)).endswith(graph)
    with pytest.raises(ValueError, match="not Graphviz SVG"):
        _player.window("<svg/>", (0, 0))
