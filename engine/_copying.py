"""Copying and pickling a Value: the graph below it is walked iteratively, so any depth is fine.

``copy.deepcopy`` copies every node below once (shared nodes stay shared, also across
the Values copied with one memo) and shares the ops, rows of the rule table.
``pickle`` writes the nodes below a Value before it, inputs first, so no node's
inputs are written by recursion; an op is pickled as its table name and bound
constant (``Op.__reduce__``), so a node of an op outside ``engine.RULES`` cannot be
pickled. ``copy.copy`` makes one new node over the same parents.
"""

import copy
import threading
import weakref
from typing import Any, SupportsIndex

from .walks import Node, postorder

_new = object.__new__


class _Pickling(threading.local):
    pending: weakref.WeakSet  # nodes of graphs being pickled in this thread, not written yet

    def __init__(self):
        self.pending = weakref.WeakSet()


_pickling = _Pickling()


class _Written:
    """Pickled after the nodes of a graph: they are all written now (restores as None)."""

    def __init__(self, nodes):
        self.nodes = nodes

    def __reduce__(self):
        _pickling.pending.difference_update(self.nodes)
        return type(None), ()


def _shell(cls, data, grad, label, scope, op):
    """A node restored from a pickle, without its parents yet (``__setstate__`` adds them)."""
    out = _new(cls)
    out.data, out.grad, out.label, out.scope, out.op, out.parents = data, grad, label, scope, op, ()
    return out


def copy_node(self: Node) -> Node:
    """``copy.copy(v)``: a new node with the same number, op and parents (the graph below is shared)."""
    out = _new(self.__class__)
    out.data, out.grad, out.label, out.scope = self.data, self.grad, self.label, self.scope
    out.op, out.parents = self.op, self.parents
    return out


def deepcopy_graph(self: Node, memo: dict) -> Node:
    """``copy.deepcopy(v)``: new nodes for the whole graph below, made inputs first."""
    copied = memo.get(id(self))
    if copied is None:
        interior, leaves = postorder(self)
        for node in leaves + interior:  # each node after its inputs
            if id(node) not in memo:
                memo[id(node)] = out = copy_node(node)
                out.parents = tuple(memo[id(p)] for p in node.parents)
                if node.grad.__class__ is not float:  # a Value gradient of create_graph
                    out.grad = copy.deepcopy(node.grad, memo)
        memo.setdefault(id(memo), []).append(self)  # keep the originals alive while memo is used
        copied = memo[id(self)]
    return copied


def reduce_graph(self: Node, protocol: SupportsIndex) -> tuple:
    """How pickle writes a node: its fields, then its parents (all nodes below, for the first node)."""
    fields = (self.__class__, self.data, self.grad, self.label, self.scope, self.op)
    if not self.parents:
        return _shell, fields
    pending = _pickling.pending
    if self in pending:  # inside a graph being pickled: its inputs are written already
        pending.discard(self)
        return _shell, fields, self.parents
    # The first node of a graph: write every node below first, inputs before the nodes
    # using them, so no node's parents are written by recursion (any depth is fine).
    interior, leaves = postorder(self)
    pending.update(interior[:-1])
    return _shell, fields, [leaves + interior[:-1], self.parents, _Written(interior)]


def set_parents(self: Node, state: Any) -> None:
    """How pickle restores a node's parents, once they are restored."""
    self.parents = state[1] if state.__class__ is list else state
