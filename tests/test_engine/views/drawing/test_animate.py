"""Tests for engine.animate (engine/views/drawing/animate.py), the HTML player and Frames in Jupyter."""

import io
import json
import re
import shutil

import numpy as np
import pytest
from PIL import Image

import engine
import nn
from engine import Value, backward
from engine.views.drawing import _player
from engine.views.drawing.animate import animate
from engine.views.drawing.frames import Frames, frames

STEP_RGB = (0xE6, 0x55, 0x0D)  # the orange of the step being taken (engine.drawing._base.STEP)


def _neuron():
    """A small graph (6 chain-rule steps): L = tanh(x·w + b)²."""
    x, w, b = Value(0.5, label="x"), Value(-2.0, label="w"), Value(0.3, label="b")
    z = x * w + b
    z.label = "z"
    L = z.tanh() ** 2
    L.label = "L"
    return L


def _frames_of(path):
    """Every frame of a GIF file as an RGB image, and each frame's duration in ms."""
    im = Image.open(path)
    out, times = [], []
    for k in range(im.n_frames):
        im.seek(k)
        out.append(im.convert("RGB"))
        times.append(im.info["duration"])
    return out, times


def _orange_box(image):
    """The bounding box of the pixels in the step's orange (the edge and boxes of that step)."""
    near = np.abs(np.asarray(image, dtype=int) - STEP_RGB).sum(axis=2) < 60
    return Image.fromarray((near * 255).astype(np.uint8)).getbbox()


def test_gif_has_one_frame_per_step_on_one_canvas(tmp_path):
    """The GIF has the start plus one frame per step, all the same size, the last one held longer."""
    L = _neuron()
    t = engine.trace(L)
    path = animate(t, tmp_path / "neuron.gif", duration=0.5, pause=2.0, width=400)
    images, times = _frames_of(path)
    assert len(images) == len(t) + 1 == 7
    assert len({im.size for im in images}) == 1 and images[0].width <= 400
    assert times[:-1] == [500] * len(t) and times[-1] == 2500


def test_gif_frames_show_the_step_moving(tmp_path):
    """The first frame has no step in orange; step 1 and the last step light up different places."""
    L = _neuron()
    images, _ = _frames_of(animate(L, tmp_path / "neuron.gif", width=600))
    assert _orange_box(images[0]) is None
    first, last = _orange_box(images[1]), _orange_box(images[-1])
    assert first is not None and last is not None and first != last
    assert images[1].tobytes() != images[-1].tobytes()


def test_animate_reads_one_recorded_pass(tmp_path):
    """Given a Trace, animate runs no backward pass; given a Value, exactly one, and no .grad changes."""
    L = _neuron()
    t = engine.trace(L)
    grads = [n.grad for n in engine.topological_order(L)]
    before = backward.passes
    animate(t, tmp_path / "a.html")
    assert backward.passes == before
    animate(L, tmp_path / "b.html")
    assert backward.passes == before + 1
    assert [n.grad for n in engine.topological_order(L)] == grads


def test_html_is_self_contained(tmp_path):
    """The page holds one inline SVG per frame, one caption and table row per step, and loads nothing."""
    L = _neuron()
    t = engine.trace(L)
    text = animate(t, tmp_path / "neuron.html", digits=3).read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.count("<svg") == len(t) + 1
    assert text.count('<tr class="crp-row">') == len(t) + 1
    assert not re.search(r"<script[^>]+src|<link|@import|url\(", text)
    assert set(re.findall(r"https?://[^\"' ]+", text)) <= {
        "http://www.w3.org/2000/svg",
        "http://www.w3.org/1999/xlink",
    }
    assert _player.script_json(t[2].text(3)) in text  # the captions, in the script
    assert "<?xml" not in text and "<!-- " not in text


def test_player_says_each_step_once(tmp_path):
    """The player's pictures leave out their headline: the caption above is the one sentence per step."""
    L = _neuron()
    t = engine.trace(L)
    text = animate(t, tmp_path / "neuron.html").read_text(encoding="utf-8")
    svgs = re.findall(r"<svg.*?</svg>", text, re.S)
    assert len(svgs) == len(t) + 1 and not any(re.search(r">step \d+", svg) for svg in svgs)
    assert _player.script_json(t[2].text()) in text  # the caption
    gif_frame = engine.draw(t, step=3).source  # a GIF or a drawing alone keeps its headline
    assert "step 3: ∂" in gif_frame


def test_html_without_script_shows_first_and_last_frame(tmp_path):
    """With scripts stripped, the inline frames are hidden (display:none until the script runs) and images
    of the first and last frames' SVG stand in (an untrusted notebook keeps those, and drops inline SVG)."""
    import base64

    L = _neuron()
    text = animate(L, tmp_path / "neuron.html").read_text(encoding="utf-8")
    assert text.count('<div class="crp-frames" style="display:none">') == 1
    assert len(re.findall(r'<div class="crp-frame">', text)) == len(engine.frames(L))
    static = text.split('<div class="crp-static">')[1].split('<div class="crp-frames"')[0]
    assert static.endswith("</div>\n")  # closed before the frames: the script hides it, not them
    shown = [
        base64.b64decode(m).decode() for m in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', static)
    ]
    f = _player.fitted(_player.bare(engine.frames(L)))
    assert shown == [f.render_one(0).decode(), f.render_one(-1).decode()]
    assert "<svg" not in static


def test_animate_refuses_bad_input_and_writes_nothing(tmp_path):
    """A wrong extension, a missing folder, bad options or a non-Value say what to do; no file is left."""
    L = _neuron()
    with pytest.raises(ValueError, match=r"name it \.gif or \.html"):
        animate(L, tmp_path / "x.png")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        animate(L, tmp_path / "missing" / "x.gif")
    bad_options = (
        {"duration": 0},
        {"duration": "1"},
        {"duration": float("nan")},
        {"pause": -1},
        {"width": 10},
        {"width": 500.0},
        {"height": 100},
        {"digits": 0},
        {"scale": 0},
    )
    for bad in bad_options:
        with pytest.raises((ValueError, TypeError)):
            animate(L, tmp_path / "x.gif", **bad)
    with pytest.raises(TypeError, match="expected the Value"):
        animate(3.0, tmp_path / "x.gif")
    with pytest.raises(ValueError, match="rankdir"):
        animate(L, tmp_path / "x.gif", rankdir="XY")
    assert list(tmp_path.iterdir()) == []


def test_a_frame_time_longer_than_a_gif_holds_is_a_clear_error(tmp_path):
    """A GIF keeps a frame's time in hundredths of a second up to 65535: longer says so, not OverflowError."""
    L = _neuron()
    with pytest.raises(ValueError, match=r"duration is 700 s.*at most 655.35 s"):
        animate(L, tmp_path / "x.gif", duration=700)
    with pytest.raises(ValueError, match=r"duration \+ pause .* is 660 s.*at most 655.35 s"):
        animate(L, tmp_path / "x.gif", duration=600, pause=60)
    with pytest.raises(ValueError, match="at most 655.35 s"):
        animate(L, tmp_path / "x.html", duration=1e300)
    assert list(tmp_path.iterdir()) == []
    images, times = _frames_of(animate(L, tmp_path / "long.gif", duration=600, pause=55.35, width=200))
    assert times[0] == 600_000 and times[-1] == 655_350


def test_a_tall_gif_follows_the_step_under_its_caption(tmp_path):
    """Seed 002's GIF is at most ``height`` px tall; every step's orange marks and its caption are in it."""
    import nn

    t = engine.trace(nn.seed002().E)
    images, _ = _frames_of(animate(t, tmp_path / "seed002.gif", width=800, height=700))
    assert len(images) == len(t) + 1 and {im.size for im in images} == {(800, 700)}
    whole = _player.images(_player.fitted(_player.bare(frames(t))), 800, [0])[0]
    assert whole.height > 700  # the picture is taller than the GIF: each frame is a window onto it
    caption_band = lambda im: np.asarray(im.crop((0, 0, im.width, 30)).convert("L")) < 80
    tops = set()
    for k, im in enumerate(images[1:], 1):
        box = _orange_box(im)
        assert box is not None and box[1] > 30, f"step {k}: its marks are not in the frame below the caption"
        assert caption_band(im).any()
        tops.add(box[1])
    assert len(tops) > 5  # the window moves with the step
    assert caption_band(images[0]).any() and _orange_box(images[0]) is None


def test_orientation_fits_the_page():
    """Without rankdir, seed 002 stands up (top to bottom) and a fan of leaves lies down; rankdir is kept."""
    w = [Value(v, label=f"w{i}") for i, v in enumerate([0.10, 0.15, 0.03, 0.08, 0.18, 0.06, 0.11, 0.26], 1)]
    b1, b2 = Value(0.05, label="b1"), Value(0.42, label="b2")
    x = [Value(0.95, label="x1"), Value(0.06, label="x2")]
    h = [engine.dot(w[0:2], x, b1).sigmoid(), engine.dot(w[2:4], x, b1).sigmoid()]
    y = [engine.dot(w[4:6], h, b2).sigmoid(), engine.dot(w[6:8], h, b2).sigmoid()]
    E = 0.5 * (0.05 - y[0]) ** 2 + 0.5 * (0.82 - y[1]) ** 2  # seed 002 (engine tests do not import nn)
    fan = engine.sum([Value(float(i), label=f"x{i}") for i in range(12)])
    assert _player.fitted(Frames(E)).options.get("rankdir") == "TB"
    assert _player.fitted(Frames(fan)).options.get("rankdir") == "LR"
    assert _player.fitted(Frames(E, rankdir="LR")).options["rankdir"] == "LR"


def test_frames_show_the_player_in_jupyter():
    """Jupyter gets the HTML player, a PNG of the first and last frames, and the text form."""
    f = frames(_neuron(), scale=0.5)
    bundle = f._repr_mimebundle_()
    assert set(bundle) == {"text/html", "image/png", "text/plain"}
    assert bundle["text/html"].count("<svg") == len(f) and "crp-slider" in bundle["text/html"]
    still = Image.open(io.BytesIO(bundle["image/png"]))
    shown = _player.fitted(f)  # the orientation the player and the still use
    dpi = _player._dpi(shown, 1000)
    ends = [Image.open(io.BytesIO(shown.render_one(k, "png", dpi))) for k in (0, -1)]
    w, h = max(im.width for im in ends), max(im.height for im in ends)
    assert still.size == (w, 2 * h + 16)  # the first frame above the last, on one canvas
    assert "<svg" in f._repr_html_()


def test_scale_sizes_the_pictures_but_never_past_the_page():
    """scale= multiplies the inline SVGs' size; CSS keeps every picture within the page's width."""
    L = _neuron()
    widths = {}
    for scale in (0.5, 1.0):
        html = frames(L, scale=scale, rankdir="LR").player()
        widths[scale] = int(re.search(r'<svg width="(\d+)"', html).group(1))
    assert abs(widths[0.5] * 2 - widths[1.0]) <= 2
    assert ".crp-frames svg{max-width:100%" in _player.STYLE
    with pytest.raises(ValueError, match="scale must be a positive number"):
        frames(L, scale=-1)


def test_slim_svg_keeps_text_and_shortens_coordinates():
    """Inlining drops comments, titles and ids, rounds coordinates, and never touches the text."""
    svg = (
        '<?xml version="1.0"?>\n<!-- x -->\n<svg width="100pt" height="50pt" viewBox="0 0 100 50">\n'
        '<g id="node1" class="node"><title>v1</title>\n<text xml:space="preserve" x="1.23456" '
        'font-family="Helvetica,sans-Serif">grad 0.58371</text></g></svg>'
    )
    out = _player.slim_svg(svg, scale=1.5)
    assert out.startswith('<svg width="200" height="100"') and "grad 0.58371" in out
    assert 'x="1.2"' in out and "<title>" not in out and "id=" not in out and "<!--" not in out


def test_slim_svg_writes_rectangles_as_rect_and_drops_invisible_borders():
    """A closed axis-aligned polygon becomes a <rect>; a transparent border goes; an arrowhead stays."""
    svg = (
        '<svg width="10pt" height="10pt"><polygon fill="none" stroke="black" points="270.5,-1485.25 '
        '270.5,-1506.3 379.5,-1506.3 379.5,-1485.25 270.5,-1485.25"/>'
        '<polygon fill="none" stroke="transparent" stroke-width="2" points="1,1 1,5 5,5 5,1 1,1"/>'
        '<polygon fill="black" stroke="black" points="231.51,-1390.92 224.21,-1389.62 229.11,-1395.19 '
        '231.51,-1390.92"/></svg>'
    )
    out = _player.slim_svg(svg)
    assert '<rect fill="none" stroke="black" x="270.5" y="-1506.3" width="109" height="21.1"/>' in out
    assert out.count("<polygon") == 1 and 'points="231.5,-1390.9 224.2,-1389.6' in out  # the arrowhead
    assert "stroke-width" not in out  # the invisible border is gone


# --- in a real browser ----------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium driven by Playwright; skipped with the reason when either is missing."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (test extra)")
    if not shutil.which(CHROMIUM):
        pytest.skip("no Chromium at /usr/bin/chromium: `apt-get install -y chromium` (CI installs it)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def _open(browser, path):
    page = browser.new_page(viewport={"width": 1000, "height": 900})
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    return page, errors


def _visible_frame(page):
    """The index of the one frame shown, and its text."""
    shown = page.eval_on_selector_all(
        ".crp-frame", "fs => fs.map((f, i) => [i, getComputedStyle(f).visibility, f.textContent])"
    )
    visible = [(i, text) for i, v, text in shown if v == "visible"]
    assert len(visible) == 1
    return visible[0]


def test_player_in_a_browser(browser, tmp_path):
    """Next, previous, the arrow keys, the slider and play move picture, caption and table row together."""
    L = _neuron()
    t = engine.trace(L)
    page, errors = _open(browser, animate(t, tmp_path / "neuron.html"))
    caption = lambda: page.inner_text(".crp-caption")
    row = lambda: page.inner_text(".crp-row.crp-now td")  # the first cell: the step number
    assert caption().startswith("step 0: the start") and _visible_frame(page)[0] == 0 and row() == "0"
    page.click(".crp-next")
    assert caption() == t[0].text() and _visible_frame(page)[0] == 1 and row() == "1"
    page.keyboard.press("ArrowRight")
    assert caption() == t[1].text() and _visible_frame(page)[0] == 2
    page.click(".crp-prev")
    page.keyboard.press("ArrowLeft")
    assert caption().startswith("step 0") and _visible_frame(page)[0] == 0
    page.fill(".crp-slider", "4")  # sets the range input and fires its input event
    assert caption() == t[3].text() and _visible_frame(page)[0] == 4 and row() == "4"
    page.keyboard.press("End")
    k, text = _visible_frame(page)
    assert k == len(t) and "grad ?" not in text  # the last frame shows every gradient
    assert page.inner_text(".crp-count") == f"step {len(t)} / {len(t)}"
    page.keyboard.press("Home")
    page.click(".crp-play")
    page.wait_for_function(f"document.querySelector('.crp-count').textContent == 'step {len(t)} / {len(t)}'",
                           timeout=15_000)  # fmt: skip
    assert page.inner_text(".crp-play").endswith("play")  # it stops at the end
    assert errors == []
    page.close()


def test_player_fits_a_notebook_width(browser, tmp_path):
    """In a 1,000-pixel-wide page the picture needs no horizontal scrolling; "whole picture" fits it."""
    L = _neuron()
    page, errors = _open(browser, animate(L, tmp_path / "neuron.html", scale=3.0))
    width = lambda: page.eval_on_selector(".crp-frame svg", "s => s.getBoundingClientRect().width")
    room = page.eval_on_selector(".crp-frames", "b => b.clientWidth")
    assert width() <= room and page.evaluate("document.documentElement.scrollWidth") <= 1000
    page.click(".crp-zoom-button")
    assert width() <= room and page.inner_text(".crp-zoom-button") == "zoom in"
    page.screenshot(path=str(tmp_path / "player.png"))
    assert errors == []
    page.close()


_SMALLEST_TEXT = """s => {  // font size in px: its size in viewBox units times the units' size on screen
  const unit = s.getBoundingClientRect().width / s.viewBox.baseVal.width;
  const sizes = [...s.querySelectorAll('text')].map(t => parseFloat(t.getAttribute('font-size')));
  return unit * Math.min(...sizes);
}"""

_EDGES = """() => {  // the bounding box on screen of the shown frame's orange edges, or null
  const f = [...document.querySelectorAll('.crp-frame')]
    .find(f => getComputedStyle(f).visibility == 'visible');
  const m = [...f.querySelectorAll('[stroke="STEP"]')].filter(e => e.tagName != 'rect');
  if (!m.length) return null;
  const r = m.map(e => e.getBoundingClientRect());
  return [Math.min(...r.map(x => x.left)), Math.min(...r.map(x => x.top)),
          Math.max(...r.map(x => x.right)), Math.max(...r.map(x => x.bottom))];
}""".replace("STEP", _player.STEP)


@pytest.mark.parametrize("size", [(848, 900), (400, 800)], ids=["notebook", "phone"])
def test_seed002_player_follows_each_step_in_one_screen(browser, tmp_path, size):
    """At 848 and 400 px: no sideways scrolling, text >= 10 px, and at every step the controls, the
    caption, the step's row and its orange edge are all on the first screen."""
    import nn

    width, height = size
    t = engine.trace(nn.seed002().E)
    page = browser.new_page(viewport={"width": width, "height": height})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(animate(t, tmp_path / "seed002.html").as_uri())
    room = page.eval_on_selector(".crp-frames", "b => b.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.eval_on_selector(".crp-frame svg", _SMALLEST_TEXT) >= _player.LEGIBLE - 0.01
    seen = followed = 0
    for k in range(len(t) + 1):
        assert page.inner_text(".crp-count") == f"step {k} / {len(t)}"
        for part in (".crp-bar", ".crp-caption", ".crp-current tbody tr"):
            box = page.eval_on_selector(part, "e => e.getBoundingClientRect().toJSON()")
            assert 0 <= box["top"] and box["bottom"] <= height and box["right"] <= width, (k, part, box)
        assert page.inner_text(".crp-current td") == str(k)  # the step's row
        edges = page.evaluate(_EDGES)
        if edges is not None:
            seen += 1
            x0, y0, x1, y1 = edges
            if x1 - x0 <= room:  # an edge wider than the screen shows its middle
                assert x0 >= -1 and x1 <= width + 1 and y0 >= -1 and y1 <= height + 1, (k, edges)
                followed += 1
        page.keyboard.press("ArrowRight")
    assert seen == len(t) and followed >= len(t) - 3
    page.screenshot(path=str(tmp_path / f"seed002-{width}.png"))
    assert errors == []
    page.close()


def test_space_plays_and_pauses_wherever_the_focus_is(browser, tmp_path):
    """After clicking ▶ (next) or the slider, Space starts and stops play instead of taking one step."""
    page, errors = _open(browser, animate(_neuron(), tmp_path / "neuron.html", duration=5.0))
    page.click(".crp-next")
    assert page.inner_text(".crp-count") == "step 1 / 6"
    page.keyboard.press(" ")
    assert page.inner_text(".crp-play").endswith("pause") and page.inner_text(".crp-count") == "step 1 / 6"
    page.keyboard.press(" ")
    assert page.inner_text(".crp-play").endswith("play") and page.inner_text(".crp-count") == "step 1 / 6"
    page.focus(".crp-slider")
    page.keyboard.press(" ")
    assert page.inner_text(".crp-play").endswith("pause")
    page.click(".crp-play")
    assert page.inner_text(".crp-play").endswith("play") and page.inner_text(".crp-count") == "step 1 / 6"
    assert errors == []
    page.close()


HOSTILE = ["<!--<script>", "</script><img src=x onerror=alert(1)>", "a&amp;b", "\u2028\u2029'\""]


def test_script_json_cannot_end_the_script():
    """The JSON in a player's script has no <, > or & and no line separators, and reads back the same."""
    text = _player.script_json(HOSTILE + ["<\u2028>&"])
    assert not set(text) & set("<>&\u2028\u2029")
    assert json.loads(text) == HOSTILE + ["<\u2028>&"]


def test_hostile_labels_show_as_text_in_a_browser(browser, tmp_path):
    """Labels that look like markup show as themselves in the caption and table; no script runs."""
    a, b, c = (Value(float(i + 2), label=name) for i, name in enumerate(HOSTILE[:3]))
    L = a * b + c
    L.label = "L"
    t = engine.trace(L)
    path = animate(t, tmp_path / "hostile.html")
    page, errors = _open(browser, path)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.wait_for_timeout(200)
    assert page.evaluate("document.querySelectorAll('script').length") == 1
    images = page.evaluate("[...document.querySelectorAll('img')].map(i => i.src.slice(0, 26))")
    assert images == ["data:image/svg+xml;base64,"] * 2  # the static first and last frames; no other
    for k in range(1, len(t) + 1):
        page.keyboard.press("ArrowRight")
        assert page.inner_text(".crp-caption") == t[k - 1].text()
    cells = page.eval_on_selector_all(".crp-all td", "tds => tds.map(td => td.textContent)")
    assert set(HOSTILE[:3]) <= set(cells)
    assert dialogs == [] and errors == []
    page.close()


def test_seed002_player_text_is_legible_at_a_notebook_width(browser, tmp_path):
    """Seed 002's player in a 1,000-px page: no sideways scrolling, and its smallest text is 10 px or more."""
    import nn

    page, errors = _open(browser, animate(nn.seed002().E, tmp_path / "seed002.html"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 1000
    smallest = page.eval_on_selector(
        ".crp-frame svg",
        """s => {  // font size in px: its size in the viewBox's units times the units' size on screen
          const unit = s.getBoundingClientRect().width / s.viewBox.baseVal.width;
          const sizes = [...s.querySelectorAll('text')].map(t => parseFloat(t.getAttribute('font-size')));
          return unit * Math.min(...sizes);
        }""",
    )
    assert smallest >= 10, f"the smallest text is {smallest:.1f} px high"
    page.screenshot(path=str(tmp_path / "seed002.png"), full_page=True)
    assert errors == []
    page.close()


def test_two_players_in_one_notebook_page(browser, tmp_path):
    """Two Frames shown in one page (as in a notebook) play independently; keys go to the focused one."""
    a, b = frames(_neuron()), frames(_neuron(), scale=0.5)
    page_file = tmp_path / "notebook.html"
    page_file.write_text(
        f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="width:1000px">'
        f"<div>{a._repr_html_()}</div><div>{b._repr_html_()}</div></body></html>",
        encoding="utf-8",
    )
    page, errors = _open(browser, page_file)
    players = page.query_selector_all(".crp")
    assert len(players) == 2 and players[0].get_attribute("id") != players[1].get_attribute("id")
    counts = lambda: [p.query_selector(".crp-count").inner_text() for p in players]
    page.keyboard.press("ArrowRight")  # nothing has the focus: the notebook keeps its keys
    assert counts() == ["step 0 / 6", "step 0 / 6"]
    players[1].query_selector(".crp-next").click()
    page.keyboard.press("ArrowRight")
    assert counts() == ["step 0 / 6", "step 2 / 6"]
    players[0].query_selector(".crp-caption").click()  # clicking a player gives it the keys
    page.keyboard.press("End")
    assert counts() == ["step 6 / 6", "step 2 / 6"]
    assert errors == []
    page.close()


def test_a_jupyter_kernel_shows_the_player_and_a_still():
    """In a real kernel, displaying frames(L) gives the HTML player and the PNG still in one output."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    code = (
        "import engine\n"
        "x = engine.Value(0.5, label='x'); w = engine.Value(-2.0, label='w')\n"
        "L = (x * w).tanh(); L.label = 'L'\n"
        "engine.frames(L)"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    (out,) = nb.cells[0].outputs
    assert out.output_type == "execute_result"
    assert {"text/html", "image/png", "text/plain"} <= set(out.data)
    assert out.data["text/html"].count("<svg") == 4 and "<script>" in out.data["text/html"]
    assert out.data["text/plain"] == "<Frames: 4 drawings of the backward pass from L>"


def test_animate_a_part_of_the_pass(tmp_path):
    """A filtered trace (trace.to(w)) animates only the steps on the paths to w, keeping their numbers."""
    L = _neuron()
    part = engine.trace(L).to("w")
    text = animate(part, tmp_path / "w.html").read_text(encoding="utf-8")
    assert text.count("<svg") == len(part) + 1 < len(engine.trace(_neuron())) + 1
    assert _player.script_json(part[-1].text()) in text


def test_too_many_frames_is_a_clear_error(tmp_path, monkeypatch):
    """Past MAX_FRAMES frames animate and Jupyter draw nothing and say how to show a part."""
    monkeypatch.setattr("engine.views.drawing._player.MAX_FRAMES", 5)
    with pytest.raises(ValueError, match=r"7 frames\).*at most 5.*\.to\(w\)"):
        animate(_neuron(), tmp_path / "x.gif")
    assert list(tmp_path.iterdir()) == []
    bundle = frames(_neuron())._repr_mimebundle_()  # Jupyter: the same advice, nothing rendered
    assert list(bundle) == ["text/plain"] and "engine.frames(engine.trace(L).to(w))" in bundle["text/plain"]


def test_forward_frames_compute_one_value_each(tmp_path):
    """forward=True first shows the forward pass: frame k has k values computed, the k-th in orange."""
    L = _neuron()
    t = engine.trace(L)
    f = frames(t, forward=True)
    n = len(f.computed)
    assert [f.trace.names[v] for v in f.computed] == ["n2", "z", "n1", "L"] and f.offset == n + 1
    assert len(f) == n + 1 + len(t) + 1
    for k in range(f.offset):
        source = f[k].source
        assert source.count("data ?") == n - k and source.count("grad ?") == len(f.trace.names)
        assert source.count("penwidth=3") == (0 if k == 0 else len(f.computed[k - 1].parents) + 1)
    assert "forward 2/4: z = +(n2, b) = -0.70000" in f[2].source
    assert f[f.offset].source == engine.draw(t, step=0).source  # then the backward pass, as without
    images, _ = _frames_of(animate(t, tmp_path / "both.gif", forward=True, width=400))
    assert len(images) == len(f)


def test_forward_frames_in_the_player(browser, tmp_path):
    """The player counts the forward frames, then the steps; the caption says what was computed."""
    L = _neuron()
    t = engine.trace(L)
    page, errors = _open(browser, animate(t, tmp_path / "both.html", forward=True))
    count = lambda: page.inner_text(".crp-count")
    assert count() == "forward 0 / 4" and page.inner_text(".crp-caption").startswith("forward pass")
    page.click(".crp-next")
    assert count() == "forward 1 / 4" and page.inner_text(".crp-caption").startswith("forward 1/4: n2 = ")
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    assert count() == f"step 0 / {len(t)}" and page.inner_text(".crp-caption").startswith("step 0")
    page.keyboard.press("ArrowRight")
    assert page.inner_text(".crp-caption") == t[0].text()
    page.screenshot(path=str(tmp_path / "forward.png"))
    assert errors == []
    page.close()


def test_animate_quiz_writes_the_quiz_page(tmp_path):
    """animate(..., quiz=True) writes engine.quiz's own page, on the steps a filtered trace holds."""
    from engine import quiz

    t = engine.trace(nn.seed002().E)
    page = engine.animate(t.to("w5"), tmp_path / "quiz.html", quiz=True).read_text(encoding="utf-8")
    same = quiz(t, to="w5").page(tmp_path / "same.html").read_text(encoding="utf-8")
    assert page == same and all(f'id="{hook}"' in page for hook in ("answer", "check", "feedback"))
    whole = engine.animate(t, tmp_path / "all.html", quiz=True).read_text(encoding="utf-8")
    assert whole == quiz(t).page(tmp_path / "all2.html").read_text(encoding="utf-8") and whole != page


def test_animate_quiz_refuses_a_gif_and_drawing_options(tmp_path):
    """A quiz is a page: a .gif path or a drawing option is a clear error, and no file is made."""
    E = nn.seed002().E
    with pytest.raises(ValueError, match="name it .html"):
        engine.animate(E, tmp_path / "q.gif", quiz=True)
    with pytest.raises(ValueError, match="no drawing options"):
        engine.animate(E, tmp_path / "q.html", quiz=True, rankdir="TB")
    assert list(tmp_path.iterdir()) == []
