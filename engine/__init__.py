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
"""

from importlib import import_module

from .ops import RULES, Op, cos, exp, log, relu, sigmoid, sin, sqrt, tanh
from .value import (
    Value,
    apply,
    backprop,
    detect_anomaly,
    dot,
    grad,
    local_partials,
    no_grad,
    scope,
    sum,
    topological_order,
)

__version__ = "0.1.0"

# Heavier parts load on first use, so `import engine` stays light. No module here
# shares its name with a function it provides (engine.draw is the function in
# engine/drawing.py), so importing a submodule never hides a function.
_LAZY = {
    "draw": (".drawing", "draw"),
    "backward_steps": (".steps", "backward_steps"),
    "trace": (".steps", "trace"),
    "explain": (".steps", "explain"),
    "gradcheck": (".checking", "gradcheck"),
    "gradgradcheck": (".checking", "gradgradcheck"),
    "GradcheckError": (".checking", "GradcheckError"),
    "strategies": (".strategies", None),
}


def __getattr__(name):
    if name in _LAZY:
        module_name, attr = _LAZY[name]
        module = import_module(module_name, __name__)
        value = module if attr is None else getattr(module, attr)
        globals()[name] = value  # later lookups skip this hook
        return value
    raise AttributeError(f"module 'engine' has no attribute {name!r}")


__all__ = [
    "Value", "Op", "RULES", "apply", "sum", "dot", "grad", "no_grad", "detect_anomaly", "scope",
    "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "sin", "cos",
    "backprop", "topological_order", "local_partials",
]  # fmt: skip
