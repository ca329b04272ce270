"""The stale-graph check: a record is only read while the graph's numbers still agree."""

import math

from ..vocab import names
from ..walks import Node, postorder


class StaleGraphError(ValueError):
    """A leaf (a weight, an input) changed after the forward pass: the graph's numbers no longer agree."""


def check_fresh(root: Node) -> None:
    """Raise :class:`StaleGraphError` if a node's data is not what its inputs now give.

    Each interior node's forward is run again on its inputs' current data (the rule
    table's forward, so a fresh graph agrees exactly). A weight changed by
    ``optimizer.step()`` after the loss was computed makes the nodes above it stale:
    their data and every local derivative read from it mix old and new numbers.
    """
    nodes = names_ = None
    for v in postorder(root)[0]:
        args = [p.data for p in v.parents]
        try:
            again = v.op.forward(*args)
        except (ArithmeticError, ValueError):
            again = math.nan
        if again != v.data and not (again != again and v.data != v.data):  # nan equals nan here
            nodes = nodes or names(root)
            names_ = ", ".join(f"{nodes[p]} = {p.data!r}" for p in v.parents)
            raise StaleGraphError(
                f"the graph below {nodes[root]} is stale: {nodes[v]} holds {v.data!r} but its inputs "
                f"({names_}) now give {again!r}, so a leaf (a weight or an input) changed after the "
                f"forward pass (optimizer.step() does this). Rebuild the forward pass (compute "
                f"{nodes[root]} again) before tracing, explaining or drawing it"
            )


__all__ = ["StaleGraphError", "check_fresh"]
