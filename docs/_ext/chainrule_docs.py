"""Sphinx extension: the pages made from the code at build time.

- ``reference/engine.md``, ``reference/nn.md``: one entry per public name (``__all__`` and
  the lazily loaded names), from the docstrings, so no name can be left out;
- ``reference/cli.md``: the ``chainrule`` command's help, as argparse prints it;
- ``notebooks/*.ipynb``: copies of the repository's notebooks, each with "open in Colab"
  and "open in Binder" links formed from the one configurable repository URL
  (``chainrule_repository`` in conf.py); MyST-NB executes them during the build;
- ``_static/gallery/``: the live pages (players, quizzes, explorables) written by the
  library itself, embedded by ``gallery.md``.
"""

import copy
import importlib
import json
import random
import shutil
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent
ROOT = DOCS.parent


def public_names(module_name):
    """The public names of a package: ``__all__``, then lazily loaded names not in it."""
    module = importlib.import_module(module_name)
    names = list(module.__all__)
    for name in getattr(module, "_LAZY", {}):
        if name not in names and not name.startswith("_"):
            names.append(name)
    return module, names


def _entry(module_name, name, obj, documented=()):
    """The MyST text of one reference entry (``documented``: names with an entry of their own)."""
    target = f"{module_name}.{name}"
    if isinstance(obj, type):
        body = f".. autoclass:: {target}\n   :members:\n   :show-inheritance:\n"
    elif callable(obj):
        body = f".. autofunction:: {target}\n"
    elif hasattr(obj, "__file__"):  # a module reachable as an attribute: engine.strategies
        return (
            f"## `{target}`\n\n`{target}` is the module `{obj.__name__}`.\n\n"
            f"```{{eval-rst}}\n.. automodule:: {obj.__name__}\n   :members:\n"
            + (f"   :exclude-members: {', '.join(sorted(documented))}\n" if documented else "")
            + "```\n"
        )
    else:  # data: what it holds, read from the value itself (a dict's or tuple's own docstring says nothing)
        if isinstance(obj, dict):
            held = f"A dict of {len(obj)} entries, keyed by {', '.join(f'``{k}``' for k in obj)}."
        else:
            held = f"The {type(obj).__name__} ``{obj!r}``."
        body = f".. py:data:: {target}\n\n   {held}\n"
    return f"## `{target}`\n\n```{{eval-rst}}\n{body}```\n"


def write_reference(app):
    out = DOCS / "reference"
    out.mkdir(exist_ok=True)
    titles = {"engine": "engine: the autodiff engine", "nn": "nn: networks made of Values"}
    for module_name in ("engine", "nn"):
        module, names = public_names(module_name)
        parts = [
            f"# {titles[module_name]}\n",
            f"Every public name of `{module_name}`, from its docstring (the docstrings' examples are "
            "doctested by the suite).\n",
        ]
        for name in names:
            obj = getattr(module, name)
            # a module's members that are public names of the package have their own entry
            same = lambda n: getattr(obj, n, None) is getattr(module, n)  # noqa: B023 (used at once)
            documented = [n for n in names if hasattr(obj, "__file__") and same(n)]
            parts.append(_entry(module_name, name, obj, documented))
        (out / f"{module_name}.md").write_text("\n".join(parts), encoding="utf-8")
    from chainrule import cli

    parser = cli.build_parser()
    parts = ["# The chainrule command\n", "`chainrule` (also `python -m chainrule`) and its subcommands.\n"]
    parts.append(f"## `chainrule`\n\n```text\n{parser.format_help()}```\n")
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, command in sub.choices.items():
        parts.append(f"## `chainrule {name}`\n\n```text\n{command.format_help()}```\n")
    (out / "cli.md").write_text("\n".join(parts), encoding="utf-8")


def _badges(repository, branch, name):
    """The Colab and Binder links of one notebook, as a markdown cell."""
    slug = repository.rstrip("/").removeprefix("https://github.com/")
    colab = f"https://colab.research.google.com/github/{slug}/blob/{branch}/notebooks/{name}"
    binder = f"https://mybinder.org/v2/gh/{slug}/{branch}?labpath=notebooks%2F{name}"
    return {
        "cell_type": "markdown",
        "metadata": {},
        "source": [f"[Open in Colab]({colab}) · [Open in Binder]({binder})"],
    }


def copy_notebooks(app):
    out = DOCS / "notebooks"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir()
    repository, branch = app.config.chainrule_repository, app.config.chainrule_branch
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        nb = copy.deepcopy(nb)
        first = 1 if nb["cells"] and nb["cells"][0]["cell_type"] == "markdown" else 0
        nb["cells"].insert(first, _badges(repository, branch, path.name))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                cell["outputs"], cell["execution_count"] = [], None  # executed again by the build
        (out / path.name).write_text(json.dumps(nb, indent=1, ensure_ascii=False), encoding="utf-8")
    gif = ROOT / "notebooks" / "backprop.gif"
    static = DOCS / "_static"
    static.mkdir(exist_ok=True)
    shutil.copy(gif, static / "backprop.gif")


def write_gallery(app):
    """The live pages, written by the library: each is a self-contained HTML file."""
    import engine
    import nn

    out = DOCS / "_static" / "gallery"
    out.mkdir(parents=True, exist_ok=True)
    net = nn.seed002()
    t = engine.trace(net.E)
    engine.animate(t, out / "seed002-player.html")
    engine.animate(t.to("w5"), out / "seed002-w5-player.html")
    x, w, b = engine.Value(0.5, label="x"), engine.Value(-1.0, label="w"), engine.Value(0.2, label="b")
    y = (x * w + b).tanh()
    y.label = "y"
    engine.animate(y, out / "neuron-player.html")
    engine.quiz(net.E, to="w5").page(out / "seed002-quiz.html")
    engine.explorable(net.E, out / "seed002-explorable.html", vary=list(net.params.values()))
    nn.seed000_explorable(out / "seed000-explorable.html", weight=True)
    from nn import data

    X, labels = data.yin_yang(60, seed=1)
    random.seed(1)  # the initial weights
    model = nn.MLP(2, [8, 3])
    history = nn.fit(model, X, labels, loss="cross_entropy", epochs=60, lr=0.1, snapshots=1, progress=False)
    history.animate(out / "yin-yang-watch.html", watch=0)


def setup(app):
    app.add_config_value("chainrule_repository", "https://github.com/chainrule/chainrule", "env")
    app.add_config_value("chainrule_branch", "main", "env")
    app.connect("builder-inited", write_reference)
    app.connect("builder-inited", copy_notebooks)
    app.connect("builder-inited", write_gallery)
    return {"parallel_read_safe": True, "version": "1"}


__all__ = ["public_names", "setup"]
