"""engine: scalar automatic differentiation that shows its work.

A :class:`Value` holds one float and records every operation on it; calling
``backward()`` applies the chain rule through the recorded graph. Every local
derivative comes from one rule table, :mod:`engine.ops`.

    >>> from engine import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> L = a * b + b.exp()
    >>> L.backward()
    >>> round(a.grad, 6), round(b.grad, 6)
    (-3.0, 2.049787)

The core sits here, in the order a learner reads it: ``ops.py`` (the rule table),
``value.py`` (the Value), ``backward.py`` (the loop where the chain rule happens),
``modes.py`` (no_grad, detect_anomaly, scope), ``walks.py`` (the orders a pass visits
nodes in). ``vocab.py`` and ``markup.py`` are the shared vocabulary (names, numbers,
formulas, HTML). The other layers are subpackages, each importing only the ones below it:
``record/`` (one recorded pass: steps, Trace, forward mode), ``views/`` (tables,
explanations, cost, drawings and players) and ``tools/`` (gradcheck, strategies, generated
code, the formula parser).
"""

from importlib import import_module

from .backward import backprop, grad, local_partials
from .modes import detect_anomaly, is_recording, no_grad, scope
from .ops import (
    RULES,
    Op,
    abs,  # noqa: F401  (engine.abs: not in __all__, so `import *` never hides the builtin)
    atan,
    cos,
    cosh,
    exp,
    expm1,
    leaky_relu,
    log,
    log1p,
    logsumexp,
    maximum,
    minimum,
    relu,
    sigmoid,
    sin,
    sinh,
    softplus,
    sqrt,
    tan,
    tanh,
)
from .value import Value, apply, dot, register, sum
from .walks import topological_order

__version__ = "0.2.0"

# Heavier parts load on first use, so `import engine` stays light. No module here
# shares its name with a function it provides (engine.draw is the function in
# engine/views/drawing/, engine.trace the one in engine/record/tracing.py), so importing a
# submodule never hides a function.
_LAZY = {
    "draw": (".views.drawing", "draw"),
    "DrawOptions": (".views.drawing.options", "DrawOptions"),
    "frames": (".views.drawing.frames", "frames"),
    "slider": (".views.drawing.frames", "slider"),
    "animate": (".views.drawing.animate", "animate"),
    "backward_steps": (".record.steps", "backward_steps"),
    "trace": (".record.tracing", "trace"),
    "Trace": (".record.tracing", "Trace"),
    "StaleGraphError": (".record.fresh", "StaleGraphError"),
    "jvp": (".record.forward", "jvp"),
    "forward_steps": (".record.forward", "forward_steps"),
    "forward_trace": (".record.forward", "forward_trace"),
    "ForwardTrace": (".record.forward", "ForwardTrace"),
    "explain": (".views.explaining", "explain"),
    "cost": (".views.counting", "cost"),
    "reuse": (".views.counting", "reuse"),
    "gradcheck": (".tools.checking", "gradcheck"),
    "gradgradcheck": (".tools.checking", "gradgradcheck"),
    "GradcheckError": (".tools.checking", "GradcheckError"),
    "codegen": (".tools.compiling", "codegen"),
    "compile": (".tools.compiling", "compile"),
    "diagnose": (".views.diagnosing", "diagnose"),
    "diagnose_update": (".views.diagnosing", "diagnose_update"),
    "quiz": (".views.quizzing", "quiz"),
    "explorable": (".views.explorable", "explorable"),
    "Quiz": (".views.quizzing", "Quiz"),
    # the modules, by the short names they have always had (engine.strategies.expressions())
    "steps": (".record.steps", None),
    "tracing": (".record.tracing", None),
    "forward": (".record.forward", None),
    "explaining": (".views.explaining", None),
    "counting": (".views.counting", None),
    "diagnosing": (".views.diagnosing", None),
    "quizzing": (".views.quizzing", None),
    "drawing": (".views.drawing", None),
    "checking": (".tools.checking", None),
    "strategies": (".tools.strategies", None),
    "compiling": (".tools.compiling", None),
    "expr": (".tools.expr", None),
    "vocab": (".vocab", None),
    "markup": (".markup", None),
}


def __getattr__(name):
    if name in _LAZY:
        module_name, attr = _LAZY[name]
        module = import_module(module_name, __name__)
        value = module if attr is None else getattr(module, attr)
        globals()[name] = value  # later lookups skip this hook
        return value
    raise AttributeError(f"module 'engine' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_LAZY])


__all__ = [
    "Value", "Op", "RULES", "apply", "register", "sum", "dot", "grad", "no_grad", "detect_anomaly", "scope",
    "is_recording", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "sin", "cos",
    "backprop", "topological_order", "local_partials",
    "draw", "DrawOptions", "frames", "slider", "backward_steps", "trace", "Trace", "explain",
    "gradcheck", "gradgradcheck", "GradcheckError",
    "maximum", "minimum", "leaky_relu", "softplus", "log1p", "expm1", "tan", "atan", "sinh", "cosh",
    "logsumexp",
    "codegen",
    "jvp", "forward_steps", "forward_trace", "ForwardTrace", "cost", "reuse",
    "animate", "StaleGraphError",
    "diagnose", "diagnose_update", "quiz", "Quiz", "explorable",
]  # fmt: skip
# engine.compile is not in __all__, so `from engine import *` never hides the builtin compile.
