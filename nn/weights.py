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

FILE_FORMAT = "chainrule-weights"
FILE_VERSION = 1


def write(path: str | os.PathLike[str], config: dict[str, Any], parameters: dict[str, float]) -> None:
    """Write a model's architecture (``config``) and ``parameters`` to ``path`` as JSON, atomically."""
    doc = {"format": FILE_FORMAT, "version": FILE_VERSION, "model": config, "parameters": parameters}
    write_atomic(path, json.dumps(doc, indent=1) + "\n")


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
    keys = [k for k, _ in pairs]
    dup = next((k for k in keys if keys.count(k) > 1), None)
    if dup is not None:
        raise ValueError(f"the key {dup!r} appears more than once")
    return dict(pairs)


def read(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parse and check the outer form of a weights file; the parameters are checked on load."""
    try:
        text = Path(path).read_text(encoding="utf-8")
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


__all__ = ["FILE_FORMAT", "FILE_VERSION", "read", "write", "describe", "expected_size"]
