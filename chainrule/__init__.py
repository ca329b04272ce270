"""chainrule: the app. The ``chainrule`` command (``demo``, ``steps``, ``graph``) over nn and engine.

The library itself is two packages: :mod:`engine` (Values, the rule table, the backward
pass and its views) and :mod:`nn` (networks made of Values). This package only uses them.
"""

__version__ = "0.2.0"
