"""nn: neurons, layers and networks made only of engine Values."""

from .examples import seed002

__all__ = ["seed002"]
