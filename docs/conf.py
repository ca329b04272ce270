"""Sphinx configuration of chainrule's site: ``sphinx-build -W -b html docs docs/_build/html``.

The reference comes from the docstrings (autodoc imports the packages, so the lazily loaded
names are documented as users import them), the notebooks are executed at build time
(MyST-NB), and the gallery's pages are written by the library itself (``_ext``).
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

project = "chainrule"
author = "chainrule developers"
copyright = "2026, chainrule developers"
release = version = "0.3.0.dev0"

extensions = ["sphinx.ext.autodoc", "myst_nb", "chainrule_docs"]

# One repository URL forms every "open in Colab" and "open in Binder" link.
chainrule_repository = os.environ.get("CHAINRULE_REPOSITORY", "https://github.com/chainrule/chainrule")
chainrule_branch = os.environ.get("CHAINRULE_BRANCH", "main")

exclude_patterns = ["_build", "_ext", "**.ipynb_checkpoints", "notebooks/*.py"]
myst_heading_anchors = 3  # every ## and ### heading is an anchor links can name (and -W checks)
myst_enable_extensions = ["colon_fence"]

# Notebooks: executed at build time, each in a fresh kernel; a failing cell fails the build.
nb_execution_mode = "force"
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
nb_mime_priority_overrides = [("html", "image/svg+xml", 5), ("html", "image/png", 10)]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"undoc-members": False}
nitpicky = False  # type annotations name library types (graphviz.Digraph, ...) the site does not document

html_theme = "furo"
html_title = "chainrule"
html_static_path = ["_static"]
html_css_files = ["chainrule.css"]
html_copy_source = False
html_show_sourcelink = False

# The notebooks' widgets (engine.slider) need a kernel; a page of the site has none, and the
# widget scripts myst-nb would load come from a CDN, which a site opened from disk offline
# cannot reach. Load none: the widget's text form shows instead, and the player beside it plays.
nb_ipywidgets_js: dict = {}
