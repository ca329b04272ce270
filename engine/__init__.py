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

The core, in the order a learner reads it: ``ops.py`` (the rule table), ``value.py``
(the Value), ``backward.py`` (the loop where the chain rule happens), ``modes.py``
(no_grad, detect_anomaly, scope). The views read one recorded pass: ``steps.py``,
``tracing.py``, ``explaining.py``, ``drawing/``; ``graph.py`` is their shared vocabulary.
"""

from importlib import import_module

from .backward import backprop, grad, local_partials
from .graph import topological_order
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

__version__ = "0.2.0"

# Heavier parts load on first use, so `import engine` stays light. No module here
# shares its name with a function it provides (engine.draw is the function in
# engine/drawing/, engine.trace the one in engine/tracing.py), so importing a
# submodule never hides a function.
_LAZY = {
    "draw": (".drawing", "draw"),
    "frames": (".drawing.frames", "frames"),
    "slider": (".drawing.frames", "slider"),
    "backward_steps": (".steps", "backward_steps"),
    "trace": (".tracing", "trace"),
    "Trace": (".tracing", "Trace"),
    "explain": (".explaining", "explain"),
    "gradcheck": (".checking", "gradcheck"),
    "gradgradcheck": (".checking", "gradgradcheck"),
    "GradcheckError": (".checking", "GradcheckError"),
    "strategies": (".strategies", None),
    "steps": (".steps", None),
    "drawing": (".drawing", None),
    "checking": (".checking", None),
    "expr": (".expr", None),
    "tracing": (".tracing", None),
    "explaining": (".explaining", None),
    "codegen": (".compiling", "codegen"),
    "compile": (".compiling", "compile"),
    "compiling": (".compiling", None),
    "jvp": (".forward", "jvp"),
    "forward_steps": (".forward", "forward_steps"),
    "forward_trace": (".forward", "forward_trace"),
    "ForwardTrace": (".forward", "ForwardTrace"),
    "cost": (".counting", "cost"),
    "reuse": (".counting", "reuse"),
    "forward": (".forward", None),
    "counting": (".counting", None),
    "animate": (".drawing.animate", "animate"),
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
    "draw", "frames", "slider", "backward_steps", "trace", "Trace", "explain",
    "gradcheck", "gradgradcheck", "GradcheckError",
    "maximum", "minimum", "leaky_relu", "softplus", "log1p", "expm1", "tan", "atan", "sinh", "cosh",
    "logsumexp",
    "codegen",
    "jvp", "forward_steps", "forward_trace", "ForwardTrace", "cost", "reuse",
    "animate",
]  # fmt: skip
# engine.compile is not in __all__, so `from engine import *` never hides the builtin compile.
