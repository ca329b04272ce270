"""The argparse types the subcommands share: a bad value is a usage error that says what to give."""

import argparse
import keyword
import math
from collections.abc import Callable, Sequence
from pathlib import Path


def whole(least: int | None = None, most: int | None = None, example: str = "5") -> Callable[[str], int]:
    """An int type for argparse, optionally within [least, most]."""

    def parse(text):
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a whole number, got {text!r} (try {example})"
            ) from None
        if least is not None and most is not None and not least <= n <= most:
            raise argparse.ArgumentTypeError(f"must be between {least} and {most}, got {n}")
        if least is not None and n < least:
            raise argparse.ArgumentTypeError(f"must be at least {least}, got {n}")
        if most is not None and n > most:
            raise argparse.ArgumentTypeError(f"must be at most {most}, got {n}")
        return n

    return parse


def positive(what: str = "the learning rate", example: str = "0.01") -> Callable[[str], float]:
    """A float type for argparse that must be positive and finite."""

    def parse(text):
        try:
            x = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r} (try {example})") from None
        if not math.isfinite(x) or x <= 0:
            raise argparse.ArgumentTypeError(
                f"{what} must be a positive number (positive finite), got {text!r}"
            )
        return x

    return parse


def sizes(text: str) -> list[int]:
    """Layer sizes such as 16,16."""
    parts = [p.strip() for p in text.split(",")]
    try:
        out = [int(p) for p in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected layer sizes such as 16,16 (whole numbers, comma-separated), got {text!r}"
        ) from None
    if any(s < 1 for s in out):
        raise argparse.ArgumentTypeError(f"every layer needs at least 1 neuron, got {text!r}")
    return out


def folder(text: str) -> Path:
    """An output folder: it may not exist yet, but it may not be a file."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} exists and is not a folder; choose another --out")
    return path


def assignment(reserved: Sequence[str] = ()) -> Callable[[str], tuple[str, float]]:
    """NAME=NUMBER -> (name, float); ``reserved`` names (the formula functions) are refused."""

    def parse(text):
        name, sep, number = text.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier() or keyword.iskeyword(name):
            raise argparse.ArgumentTypeError(f"expected NAME=NUMBER such as x=0.5, got {text!r}")
        if name in reserved:
            raise argparse.ArgumentTypeError(
                f"{name!r} is one of the functions ({', '.join(reserved)}), not a name"
            )
        try:
            value = float(number)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r}: {number.strip()!r} is not a number") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text!r}: the value must be a finite number")
        return name, value

    return parse


def animation(text: str) -> Path:
    """An animation file: .gif or .html, in a folder that exists."""
    path = Path(text)
    if path.suffix.lower() not in (".gif", ".html", ".htm"):
        raise argparse.ArgumentTypeError(
            f"{text!r}: name the animation .gif (animated picture) or .html (player)"
        )
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r}: the folder {str(path.parent)!r} does not exist")
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder; give a file name such as backprop.gif")
    return path


def page(text: str) -> Path:
    """An HTML page to write: .html, in a folder that exists."""
    path = Path(text)
    if path.suffix.lower() not in (".html", ".htm"):
        raise argparse.ArgumentTypeError(f"{text!r}: name the explorable page .html")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r}: the folder {str(path.parent)!r} does not exist")
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder; give a file name such as page.html")
    return path
