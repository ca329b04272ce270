"""The modes: ``no_grad``, ``detect_anomaly`` and ``scope``, each per thread.

The three switches live in one :class:`contextvars.ContextVar`, so a mode set in
one thread (or asyncio task) never changes another's graph, as PyTorch's grad
mode is per thread. A new thread starts with the defaults: recording on,
checking off, no scope.

    >>> from engine import Value
    >>> with no_grad():
    ...     y = Value(2.0) * 3
    >>> y.op is None  # no graph was recorded
    True
"""

import threading
from contextlib import AbstractContextManager, ContextDecorator
from contextvars import ContextVar, Token
from typing import NamedTuple


class Mode(NamedTuple):
    """What new nodes do in the current thread."""

    recording: bool = True  # False inside no_grad(): ops make leaves, no graph
    checking: bool = False  # True inside detect_anomaly(): every result must be finite
    scope: str | None = None  # set by scope(): a group name stored on every new node


DEFAULT = Mode()
current = ContextVar("chainrule_mode", default=DEFAULT)  # current.get() is this thread's Mode
active = [0]  # how many mode blocks are open in any thread: while 0, every thread has DEFAULT
_lock = threading.Lock()
_MODES: dict = {}  # (recording, checking, scope) -> its Mode, made once


class _Set(ContextDecorator):
    """A block in which this thread's Mode has some fields changed (one ContextVar set and reset).

    Each entry keeps its own token, per thread, so one block object (or a function it
    decorates) can be entered in many threads at once; an exit always restores the mode.
    """

    def __init__(self, recording: bool | None = None, checking: bool | None = None, scope: str | None = None):
        self.recording, self.checking, self.scope = recording, checking, scope
        self.tokens: dict[int, list[Token]] = {}  # thread id -> its open entries' tokens

    def _recreate_cm(self) -> "_Set":  # a decorated function: a new block for every call
        return _Set(self.recording, self.checking, self.scope)

    def __enter__(self) -> None:
        m = current.get()
        scope = self.scope if m.scope is None or self.scope is None else f"{m.scope}/{self.scope}"
        scope = m.scope if scope is None else scope
        key = (
            m.recording if self.recording is None else self.recording,
            m.checking if self.checking is None else self.checking,
            scope,
        )
        mode = _MODES.get(key)
        if mode is None:
            if len(_MODES) > 4096:  # scopes are few (one per neuron and layer); keep it so
                _MODES.clear()
            mode = _MODES[key] = Mode(*key)
        with _lock:
            active[0] += 1
            self.tokens.setdefault(threading.get_ident(), []).append(current.set(mode))

    def __exit__(self, *exc: object) -> None:
        with _lock:
            active[0] -= 1
            mine = self.tokens[threading.get_ident()]
            token = mine.pop()
            if not mine:
                del self.tokens[threading.get_ident()]
        try:
            current.reset(token)
        except (ValueError, RuntimeError):  # entered in another context (asyncio task): put it back anyway
            old = token.old_value
            current.set(DEFAULT if old is Token.MISSING else old)


def no_grad() -> AbstractContextManager[None]:
    """Inside this block operations compute values but record no graph (in this thread)."""
    return _Set(recording=False)


def detect_anomaly() -> AbstractContextManager[None]:
    """Inside this block the first op (forward or backward) to give NaN or ±inf raises.

    The error names the op, its inputs and their labels.
    """
    return _Set(checking=True)


def scope(name: str) -> AbstractContextManager[None]:
    """Nodes made inside this block carry ``scope=name`` (drawings group them).

    Scopes nest with "/": ``scope("layer 1")`` then ``scope("H1")`` gives "layer 1/H1".
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"scope() takes a non-empty name (str), not {name!r}")
    return _Set(scope=name)


def is_recording() -> bool:
    """Whether operations in this thread record a graph (False inside ``no_grad()``)."""
    return current.get().recording


__all__ = ["Mode", "no_grad", "detect_anomaly", "scope", "is_recording"]
