"""The record of a pass: each chain-rule step as the backward loop took it (``steps``), all of
them kept with the pass's names and numbers (``tracing``: :class:`engine.Trace`), the same for
forward mode (``forward``), and the check that a graph is still fresh enough to read (``fresh``).

It imports the core only; every view reads what it records.
"""
