"""Tests for nn.live: fit's live view (in a real Jupyter kernel too), its fallback, snapshots and the GIF."""

import gc
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

import engine
from nn import MLP, data, fit, live, predict

PNG = b"\x89PNG\r\n\x1a\n"


class Sink:
    """A display that keeps every PNG it is shown (instead of a notebook)."""

    def __init__(self):
        self.shown = []

    def show(self, data):
        self.shown.append(data)


@pytest.fixture
def jupyter(monkeypatch):
    """Make the live view believe it runs in a kernel and draw into a Sink; returns the list of PNGs."""
    sink = Sink()
    monkeypatch.setattr(live, "in_jupyter", lambda: True)
    monkeypatch.setattr(live, "Display", lambda: sink)
    return sink.shown


def moons_model(seed=3, hidden=(6,), outputs=1):
    """A small MLP with 2 inputs, its weights drawn from ``seed``."""
    random.seed(seed)
    return MLP(2, [*hidden, outputs])


def small_fit(model=None, **options):
    """Fit a small MLP on 30 moons points with the hinge loss; returns (model, history)."""
    X, y = data.moons(30, noise=0.1, seed=3)
    model = model or moons_model()
    options = {"epochs": 6, "batch_size": 10, "progress": False, **options}
    return model, fit(model, X, y, loss="hinge", **options)


def state(model):
    """Every parameter's value and gradient."""
    return [(p.data, p.grad) for p in model.parameters()]


@pytest.mark.parametrize(
    "options, error, message",
    [
        ({"live": "yes"}, TypeError, "live must be True or False"),
        ({"live": 1}, TypeError, "live must be True or False"),
        ({"live_every": 0}, ValueError, "live_every must be None"),
        ({"live_every": 2.5}, ValueError, "whole number of updates >= 1, got 2.5"),
        ({"live_every": True}, ValueError, "live_every must be"),
        ({"snapshots": -1}, ValueError, "snapshots must be None (keep no weights) or a whole number"),
        ({"snapshots": "5"}, ValueError, "snapshots must be"),
    ],
)
def test_bad_arguments_are_clear_errors_before_training(options, error, message):
    """A bad live, live_every or snapshots raises a clear error and leaves the model as it was."""
    model = moons_model()
    before = state(model)
    with pytest.raises(error) as info:
        small_fit(model, **options)
    assert message in str(info.value)
    assert state(model) == before


@given(
    acts=st.sampled_from(["relu", "tanh", "sigmoid"]),
    out=st.sampled_from(["linear", "sigmoid", "tanh"]),
    outputs=st.integers(1, 3),
    seed=st.integers(0, 10_000),
)
def test_grid_scores_equal_predict(acts, out, outputs, seed):
    """The boundary's numpy scores, computed from the weights' floats, equal nn.predict's on those points."""
    random.seed(seed)
    model = MLP(2, [5, 4, outputs], activation=acts, output_activation=out)
    points = [[random.uniform(-3, 3), random.uniform(-3, 3)] for _ in range(20)]
    got = live.scores(live.weights(model), live.activations(model), points)
    want = predict(model, points)
    for row, expected in zip(got.tolist(), want):
        expected = expected if isinstance(expected, list) else [expected]
        assert row == pytest.approx(expected, rel=1e-12, abs=1e-12)
    if outputs > 1:
        assert got.argmax(axis=1).tolist() == predict(model, points, classes=True)


def test_weights_are_plain_floats_and_other_models_have_none():
    """weights() copies the numbers (not Values); a model without layers of neurons has no weights."""
    layers = live.weights(MLP.from_weights([[[1.0, 2.0]], [[3.0]]], [[0.5], [0.25]]))
    assert layers == [([[1.0, 2.0]], [0.5]), ([[3.0]], [0.25])]
    assert live.weights(lambda x: x) is None and live.activations(lambda x: x) is None


def test_live_outside_jupyter_falls_back_to_the_progress_bar(capsys):
    """Outside a kernel live=True trains exactly as live=False and shows the progress bar, no picture."""
    assert not live.in_jupyter()
    quiet_model, quiet = small_fit(progress=True)
    capsys.readouterr()
    model, history = small_fit(live=True, progress=True)
    assert "6/6" in capsys.readouterr().err
    assert history == quiet and state(model) == state(quiet_model)


def values_alive():
    """How many engine Values exist now."""
    gc.collect()
    return sum(type(o) is engine.Value for o in gc.get_objects())  # type(): no attribute read on odd objects


def test_drawing_changes_no_weight_gradient_or_result(jupyter, monkeypatch):
    """A picture after every update makes no Value and leaves weights, gradients and History as without it."""
    made = []
    redraw = live.Watch.redraw

    def counted(self, n):
        before = values_alive()
        redraw(self, n)
        made.append(values_alive() - before)

    monkeypatch.setattr(live.Watch, "redraw", counted)
    plain_model, plain = small_fit()
    model, history = small_fit(live=True, live_every=1)
    assert history == plain and state(model) == state(plain_model)
    assert len(jupyter) == history.iterations == 18 and all(png.startswith(PNG) for png in jupyter)
    assert made == [0] * 18


def test_every_k_updates_plus_the_first_and_last(jupyter, monkeypatch):
    """live_every=k draws after update 1, every k-th and the last; the default draws the first and last."""
    drawn, epochs = [], []
    redraw = live.Watch.redraw

    def recorded(self, n):
        drawn.append(n)
        epochs.append(len(self.history.epoch_loss))
        redraw(self, n)

    monkeypatch.setattr(live.Watch, "redraw", recorded)
    small_fit(live=True, live_every=4)  # 18 updates in 6 epochs
    assert drawn == [1, 4, 8, 12, 16, 18] and len(jupyter) == 6
    assert epochs[-1] == 6  # the last picture has the last epoch's mean loss
    drawn.clear()
    small_fit(live=True)
    assert drawn[0] == 1 and drawn[-1] == 18 and drawn == sorted(set(drawn))


def test_live_hides_the_progress_bar_in_jupyter(jupyter, capsys):
    """In a kernel the live picture replaces the progress bar."""
    small_fit(live=True, progress=True)
    assert capsys.readouterr().err == "" and jupyter


def test_snapshots_keep_the_weights_before_every_k_and_after_the_last():
    """snapshots=k keeps the initial weights, those after every k updates and the last, as floats."""
    model, history = small_fit(snapshots=4)
    snaps = history.snapshots
    assert snaps.steps == [0, 4, 8, 12, 16, 18]
    assert snaps.weights[-1] == live.weights(model)
    assert snaps.weights[0] == live.weights(moons_model())
    assert all(isinstance(w, float) for layers in snaps.weights for W, b in layers for row in W for w in row)
    assert small_fit()[1].snapshots is None


def test_animate_writes_one_frame_per_snapshot(tmp_path):
    """History.animate writes a looping GIF, one frame per snapshot, whose frames show training move on."""
    from PIL import Image, ImageChops

    _, history = small_fit(snapshots=6)
    path = history.animate(tmp_path / "training.gif", duration=0.05, pause=1)
    assert path == tmp_path / "training.gif"
    with Image.open(path) as gif:
        assert gif.n_frames == len(history.snapshots.steps) == 4
        assert gif.size == (960, 400)
        frames = []
        for i in range(gif.n_frames):
            gif.seek(i)
            frames.append((gif.convert("RGB"), gif.info["duration"]))
    assert [d for _, d in frames] == [50, 50, 50, 1050]
    first, last = frames[0][0], frames[-1][0]
    assert ImageChops.difference(first, last).getbbox() is not None
    board = (500, 60, 940, 360)  # the boundary's panel: the regions moved
    assert ImageChops.difference(first.crop(board), last.crop(board)).getbbox() is not None


def test_animate_three_classes(tmp_path):
    """A three-class model (cross-entropy, one output per class) animates its arg-max regions."""
    from PIL import Image

    X, y = data.spiral(30, classes=3, seed=1)
    model = moons_model(hidden=(6,), outputs=3)
    history = fit(model, X, y, loss="cross_entropy", epochs=4, progress=False, snapshots=2)
    history.animate(tmp_path / "spiral.gif")
    with Image.open(tmp_path / "spiral.gif") as gif:
        assert gif.n_frames == 3


def test_animate_and_the_live_view_draw_any_number_of_classes(tmp_path, jupyter):
    """Seven classes (more than the five named colours) get seven distinct region fills and point colours."""
    from PIL import Image

    from nn import _picture

    X, y = data.spiral(14, classes=7, seed=1)
    model = moons_model(hidden=(6,), outputs=7)
    history = fit(model, X, y, loss="cross_entropy", epochs=2, progress=False, snapshots=1, live=True)
    history.animate(tmp_path / "seven.gif")
    with Image.open(tmp_path / "seven.gif") as gif:
        assert gif.n_frames == len(history.snapshots.steps) == 3
    assert jupyter and all(png.startswith(PNG) for png in jupyter)
    fills, points = _picture.palette(7)
    assert len(set(fills)) == len(set(points)) == 7 and fills[:5] == _picture.REGIONS


@pytest.mark.parametrize(
    "case, error, message",
    [
        ("no snapshots", ValueError, "pass snapshots=k to fit"),
        ("3 inputs", ValueError, "a network with 2 inputs; this one was trained on rows of 3 numbers"),
        ("png", ValueError, "name the file .gif"),
        ("no folder", FileNotFoundError, "does not exist"),
        ("duration", ValueError, "duration (seconds a frame) must be a number >= 0"),
        ("too long", ValueError, "duration + pause (the last frame's time) is 700 s, more than a GIF frame"),
    ],
)
def test_animate_errors(tmp_path, case, error, message):
    """animate says what is missing or wrong, and writes nothing."""
    path, options = tmp_path / "training.gif", {}
    if case == "3 inputs":
        random.seed(0)
        X, y = data.seed003()
        history = fit(MLP(3, [2, 2]), X, y, loss="half_sse", epochs=2, progress=False, snapshots=1)
    else:
        history = small_fit(snapshots=None if case == "no snapshots" else 5)[1]
    if case == "png":
        path = tmp_path / "training.png"
    elif case == "no folder":
        path = tmp_path / "missing" / "training.gif"
    elif case == "duration":
        options = {"duration": -1}
    elif case == "too long":
        options = {"duration": 100, "pause": 600}
    with pytest.raises(error) as info:
        history.animate(path, **options)
    assert message in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_live_view_in_a_real_kernel(tmp_path):
    """In a real Jupyter kernel fit(live=True) shows ONE PNG output, updated in place at each redraw."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")

    class Counting(nbclient.NotebookClient):
        """A client that counts the messages updating a display in place."""

        updates = 0

        def process_message(self, msg, cell, cell_index):
            if msg["msg_type"] == "update_display_data":
                Counting.updates += 1
            return super().process_message(msg, cell, cell_index)

    code = (
        "import random, nn\n"
        "X, y = nn.data.moons(40, noise=0.1, seed=3)\n"
        "random.seed(3)\n"
        "model = nn.MLP(2, [8, 1])\n"
        'history = nn.fit(model, X, y, loss="hinge", epochs=12, live=True, live_every=4)\n'
        'print("updates:", history.iterations)'
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    Counting(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = nb.cells[0].outputs
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1 and images[0].output_type == "display_data"  # one picture: the output didn't grow
    assert Counting.updates == 3  # drawn after updates 1, 4, 8 and 12: shown once, then replaced 3 times
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert text == "updates: 12\n"  # no progress bar, no warning
    import base64

    picture = base64.b64decode(images[0]["data"]["image/png"])
    assert picture.startswith(PNG)
    (tmp_path / "live.png").write_bytes(picture)  # the last picture, as the notebook keeps it


@pytest.mark.parametrize(
    "loss, labels, threshold, level, names",
    [
        ("hinge", (-1, 1), 0.0, 0.0, ["y = −1", "y = +1"]),
        ("bce", (0, 1), 0.5, 0.0, ["y = 0", "y = 1"]),
        ("mse", (0, 1), 0.5, 0.5, ["y = 0", "y = 1"]),  # no classification rule: halfway between the labels
        ("mse", (-1, 1), 0.0, 0.0, ["y = −1", "y = +1"]),
    ],
)
def test_scene_reads_the_labels_from_the_loss(loss, labels, threshold, level, names):
    """The + class and the boundary's score come from the loss's label threshold, else the targets' middle."""
    X, y = data.moons(20, noise=0.1, seed=2)
    y = [labels[t > 0] for t in y]
    scene = live.Scene.of(moons_model(), X, y, nn_loss(loss), 0.0)
    assert (scene.threshold, scene.level, scene.names(), scene.what) == (threshold, level, names, loss)
    assert scene.labels() == [int(t == labels[1]) for t in y]


def nn_loss(name):
    """The loss function called ``name``."""
    from nn.losses import LOSSES

    return LOSSES[name]


def test_live_view_without_two_inputs_draws_the_loss_alone(jupyter):
    """A model with 3 inputs gets the loss curve only, in a picture half as wide."""
    import io

    from PIL import Image

    random.seed(0)
    X, y = data.seed003()
    fit(MLP(3, [5, 2]), X, y, loss="half_sse", epochs=3, progress=False, live=True, live_every=1)
    assert len(jupyter) == 3
    with Image.open(io.BytesIO(jupyter[-1])) as picture:
        assert picture.size == (480, 400)


def test_the_figure_is_let_go_after_fit(jupyter, monkeypatch):
    """The live view's matplotlib figure is not kept anywhere once fit returns (no figure leaks)."""
    import weakref

    figures = []
    make = live.Picture.__init__

    def kept(self, *args):
        make(self, *args)
        figures.append(weakref.ref(self.fig))

    monkeypatch.setattr(live.Picture, "__init__", kept)
    small_fit(live=True)
    gc.collect()
    assert len(figures) == 1 and figures[0]() is None


def _no_rendering(monkeypatch):
    """Pictures that cost nothing to make (the schedule's tests set the clock themselves)."""
    monkeypatch.setattr(live.Picture, "update", lambda self, *args: None)
    monkeypatch.setattr(live.Picture, "png", lambda self: PNG)


def test_default_interval_keeps_drawing_to_a_tenth_of_the_time_spent_early(jupyter, monkeypatch):
    """By default pictures take at most 10% of the time (plus the last one), and are drawn most often
    early: a twentieth of the updates get about a quarter of the pictures (front(1/20)), not 5%."""
    import types

    clock = {"now": 0.0}

    def tick():  # every reading of the clock is one second later: an update, or half a picture
        clock["now"] += 1.0
        return clock["now"]

    monkeypatch.setattr(live, "time", types.SimpleNamespace(perf_counter=tick))
    _no_rendering(monkeypatch)
    drawn = []
    redraw = live.Watch.redraw
    monkeypatch.setattr(live.Watch, "redraw", lambda self, n: (drawn.append(n), redraw(self, n)))
    _, history = small_fit(live=True, batch_size=1, epochs=10)  # 300 updates
    N = history.iterations
    assert drawn[0] == 1 and drawn[-1] == N == 300 and drawn == sorted(set(drawn))
    pictures = len(drawn) - 1  # each took one second (two readings); all but the last within the share
    assert 0.9 * live.SHARE * N <= pictures <= live.SHARE * clock["now"]
    early = sum(n <= N / 20 for n in drawn[:-1])
    assert early >= live.front(1 / 20) * pictures > 5 * N / 20 * live.SHARE
    gaps = [b - a for a, b in zip(drawn[:-1], drawn[1:-1])]
    assert gaps[-1] > 10 * gaps[0]  # the gaps grow: early updates are redrawn often, later ones less


def test_an_expensive_first_picture_does_not_freeze_the_view(jupyter, monkeypatch):
    """A first picture that costs 5 updates' time is followed by more within the first tenth of the run."""
    import types

    clock = {"now": 0.0}
    monkeypatch.setattr(live, "time", types.SimpleNamespace(perf_counter=lambda: clock["now"]))
    step, redraw = live.Watch.step, live.Watch.redraw

    def update(self):
        clock["now"] += 0.05  # an update: 50 ms
        step(self)

    def draw(self, n):
        clock["now"] += 0.25 if self.draws == 0 else 0.1  # the first picture 250 ms, then 100 ms
        drawn.append(n)
        redraw(self, n)

    drawn = []
    _no_rendering(monkeypatch)
    monkeypatch.setattr(live.Watch, "step", update)
    monkeypatch.setattr(live.Watch, "redraw", draw)
    small_fit(live=True, batch_size=1, epochs=10)  # 300 updates
    assert drawn[0] == 1 and len([n for n in drawn if n <= 30]) >= 3


def test_text_progress_goes_to_stdout_in_jupyter(monkeypatch):
    """In a kernel the text progress bar writes to stdout (not the pink stderr block); elsewhere to stderr."""
    import sys

    monkeypatch.setattr(live, "in_jupyter", lambda: False)
    assert live.text_progress_file() is None  # plain Python: tqdm's default, stderr
    monkeypatch.setattr(live, "in_jupyter", lambda: True)
    assert live.text_progress_file() is sys.stdout


def test_in_jupyter_needs_a_kernel(monkeypatch):
    """in_jupyter is True only when IPython runs a kernel, not in a terminal IPython or plain Python."""
    import sys
    import types

    def ipython(shell):
        monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))
        return live.in_jupyter()

    assert ipython(types.SimpleNamespace(config={"IPKernelApp": {}}))
    assert ipython(types.SimpleNamespace(config={}, kernel=object()))
    assert not ipython(types.SimpleNamespace(config={"TerminalIPythonApp": {}}))
    assert not ipython(None)


def test_targets_that_are_not_labels_get_the_loss_curve_only(jupyter, tmp_path):
    """A custom loss with targets that are not numbers trains live with the loss curve alone; no GIF."""
    import io

    from PIL import Image

    X, y = data.moons(12, noise=0.1, seed=2)
    targets = [{"label": t} for t in y]
    history = fit(moons_model(), X, targets, loss=lambda p, t: (p - t["label"]) ** 2, epochs=2,
                  progress=False, live=True, snapshots=1)  # fmt: skip
    with Image.open(io.BytesIO(jupyter[-1])) as picture:
        assert picture.size == (480, 400)
    with pytest.raises(ValueError, match="targets that are numbers or class labels"):
        history.animate(tmp_path / "t.gif")


def test_the_picture_ignores_the_notebooks_style():
    """A notebook's own matplotlib settings (bigger text, a dark style) leave the picture as it is."""
    import matplotlib

    _, history = small_fit(snapshots=6)
    snaps = history.snapshots

    def picture():
        p = snaps.scene.picture(history.iterations_per_epoch, history.iterations)
        p.update(snaps.weights[-1], history.loss, history.epoch_loss)
        return p.png()

    plain = picture()
    with matplotlib.rc_context({"font.size": 20, "axes.titlesize": 30, "axes.facecolor": "black"}):
        assert picture() == plain
