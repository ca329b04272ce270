"""The weights file: JSON, never pickle. Its format, its checks, and writing it atomically.

A file holds ``{"format": "chainrule-weights", "version": 1, "model": {...architecture...},
"parameters": {name: number}}``. Reading checks the outer form; the model checks the
architecture and every parameter before it changes anything.
"""

import json
import os
from pathlib import Path
from typing import Any

from engine.files import write_atomic
from engine.numbers import count

FILE_FORMAT = "chainrule-weights"
FILE_VERSION = 1


def write(path: str | os.PathLike[str], config: dict[str, Any], parameters: dict[str, float]) -> None:
    """Write a model's architecture (``config``) and ``parameters`` to ``path`` as JSON, atomically."""
    doc = {"format": FILE_FORMAT, "version": FILE_VERSION, "model": config, "parameters": parameters}
    write_atomic(path, json.dumps(doc, indent=1, allow_nan=False) + "\n")  # standard JSON only


def describe(cfg: object) -> str:
    """An architecture in words, for error messages."""
    if not isinstance(cfg, dict):
        return repr(cfg)
    if cfg.get("type") == "MLP" and isinstance(cfg.get("layers"), list):
        parts = [
            f"{d.get('nout')} {d.get('activation')}"
            + ("" if d.get("shared_bias", False) is False else f" (shared_bias={d.get('shared_bias')!r})")
            for d in cfg["layers"]
            if isinstance(d, dict)
        ]
        return f"an MLP with {cfg.get('nin')} inputs and layers [{', '.join(parts)}]"
    return json.dumps(cfg)


def _reject_duplicates(pairs):
    """One JSON object as a dict, or a ValueError naming a key given twice (one pass: linear)."""
    out = dict(pairs)
    if len(out) != len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"the key {key!r} appears more than once")
            seen.add(key)
    return out


def read(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parse and check the outer form of a weights file; the parameters are checked on load."""
    path = Path(path)
    if path.exists() and not path.is_file():  # reading a FIFO would wait for a writer forever
        kind = "a folder" if path.is_dir() else "not a regular file (a device, FIFO or socket)"
        raise ValueError(f"{path}: not a chainrule weights file: it is {kind}; give a file model.save wrote")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a chainrule weights file (not UTF-8 text)") from None
    try:
        doc = json.loads(text, object_pairs_hook=_reject_duplicates)
    except RecursionError:
        raise ValueError(
            f"{path}: not a chainrule weights file: its JSON is nested too deeply to read"
        ) from None
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{path}: not a chainrule weights file: invalid JSON at line {exc.lineno}, "
            f"column {exc.colno} ({exc.msg}); the file may be truncated or edited by hand"
        ) from None
    except ValueError as exc:
        raise ValueError(f"{path}: not a valid weights file: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != FILE_FORMAT:
        raise ValueError(
            f'{path}: not a chainrule weights file (no "format": {FILE_FORMAT!r}); '
            "write one with model.save(path)"
        )
    if doc.get("version") != FILE_VERSION:
        raise ValueError(
            f"{path}: weights file version {doc.get('version')!r} is not supported "
            f"(this chainrule reads version {FILE_VERSION})"
        )
    for key in ("model", "parameters"):
        if not isinstance(doc.get(key), dict):
            raise ValueError(f"{path}: the weights file has no {key!r} object")
    return doc


_KEYS = {
    "MLP": ("type", "nin", "layers"),
    "Layer": ("type", "nin", "nout", "activation", "shared_bias"),
    "Neuron": ("type", "nin", "activation"),
}
_LAYER_KEYS = ("nout", "activation", "shared_bias")


def check_model(cfg: object, path: object = "the weights file") -> dict[str, Any]:
    """``cfg``, the architecture a file describes, if it is well formed; else a ValueError naming ``path``.

    Both ``model.load`` and ``nn.load_model`` ask it, so they accept the same files: the
    keys a model's ``config()`` writes and no others, sizes that are whole numbers
    (``3``, not ``3.0`` or ``true``), an activation name, ``shared_bias`` true or false.
    """
    try:
        if not isinstance(cfg, dict) or cfg.get("type") not in _KEYS:
            got = cfg.get("type") if isinstance(cfg, dict) else cfg
            raise ValueError(f'"type" must be one of {", ".join(_KEYS)}, got {_short(got)}')
        _keys(cfg, _KEYS[cfg["type"]], "an MLP" if cfg["type"] == "MLP" else f"a {cfg['type']}")
        count(cfg["nin"], '"nin" (the number of inputs)')
        parts = [cfg] if cfg["type"] != "MLP" else cfg["layers"]
        if not isinstance(parts, list) or not parts:
            raise ValueError(f'"layers" must be a non-empty list of layers, got {_short(parts)}')
        for k, part in enumerate(parts, 1):
            where = "" if cfg["type"] != "MLP" else f"layer {k}: "
            if cfg["type"] == "MLP":
                _keys(part, _LAYER_KEYS, f"{where}a layer")
            if "nout" in part:
                count(part["nout"], f'{where}"nout" (the number of neurons)')
            act, shared = part["activation"], part.get("shared_bias", False)
            if not isinstance(act, str):
                raise ValueError(f'{where}"activation" must be a name such as "relu", got {_short(act)}')
            if not isinstance(shared, bool):
                raise ValueError(f'{where}"shared_bias" must be true or false, got {_short(shared)}')
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path}: the model description is not valid ({exc})") from None
    return cfg


def _keys(d: object, keys: tuple[str, ...], what: str) -> None:
    if not isinstance(d, dict):
        raise ValueError(f"{what} must be an object with {', '.join(map(repr, keys))}, got {_short(d)}")
    missing = [k for k in keys if k not in d]
    extra = [k for k in d if k not in keys]
    if missing or extra:
        wrong = "; ".join(
            [f"no {', '.join(map(repr, missing))}"] * bool(missing)
            + [f"unknown {', '.join(map(repr, extra[:4]))}"] * bool(extra)
        )
        raise ValueError(f"{what} has the keys {', '.join(map(repr, keys))} ({wrong})")


def _short(v: object) -> str:
    try:
        text = json.dumps(v) if isinstance(v, (str, int, float, bool, type(None))) else type(v).__name__
    except ValueError:  # an int of more digits than Python prints
        text = "a whole number of thousands of digits"
    return text if len(text) <= 40 else f"{text[:30]}... ({len(text)} characters)"


def expected_size(cfg: object) -> int | None:
    """How many parameters the MLP described by ``cfg`` has, from its sizes alone (None: not an MLP).

    ``nn.load_model`` compares it with the parameters in the file before building
    anything, so a small file declaring a huge network is refused without allocating it.
    """
    if not isinstance(cfg, dict) or cfg.get("type") != "MLP" or not isinstance(cfg.get("layers"), list):
        return None
    total, nin = 0, cfg.get("nin")
    for layer in cfg["layers"]:
        nout: Any = layer.get("nout") if isinstance(layer, dict) else None
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in (nin, nout)):
            return None  # not sizes at all: rebuilding the model says what is wrong
        total += nin * nout + (1 if layer.get("shared_bias") is True else nout)
        nin = nout
    return total


__all__ = ["FILE_FORMAT", "FILE_VERSION", "read", "write", "describe", "check_model", "expected_size"]
