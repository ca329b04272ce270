"""HTML markup of the shared vocabulary: super- and subscripts, everything else escaped."""

import html
import json
import re
from typing import Any

_SCRIPT = re.compile(r"(\^|_)(\([^()]*\)|\{[^{}]*\}|[A-Za-z0-9]+)")


def markup(text: str) -> str:
    """``text`` as HTML (for HTML tables and Graphviz's HTML-like labels), ``^`` and ``_`` as real
    super- and subscripts: ``w^(2)_{1,2}`` -> ``w<sup>(2)</sup><sub>1,2</sub>``. Plain text
    (terminals) keeps the ``^``/``_`` form.

    >>> markup("w^(2)_{1,2}"), markup("a < b")
    ('w<sup>(2)</sup><sub>1,2</sub>', 'a &lt; b')
    """
    out, last = [], 0
    for m in _SCRIPT.finditer(text):
        out.append(html.escape(text[last : m.start()], quote=False))
        body = m.group(2)
        if body.startswith("{"):
            body = body[1:-1]
        tag = "sup" if m.group(1) == "^" else "sub"
        out.append(f"<{tag}>{html.escape(body, quote=False)}</{tag}>")
        last = m.end()
    out.append(html.escape(text[last:], quote=False))
    return "".join(out)


_IN_SCRIPT = [
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
]


def script_json(value: Any, allow_nan: bool = False) -> str:
    r"""``value`` as JSON that is safe inside an HTML ``<script>`` element: ``<``, ``>``, ``&`` and the
    line separators U+2028/U+2029 written as ``\u`` escapes, so no text can end the script or open a
    comment in it (``</script>``, ``<!--``). ``allow_nan`` lets NaN and infinities through as
    JavaScript reads them (``NaN``, ``Infinity``); otherwise they are a ValueError.

    >>> print(script_json(["</script>", 1.5]))
    ["\u003c/script\u003e", 1.5]
    """
    text = json.dumps(value, ensure_ascii=False, allow_nan=allow_nan)
    for char, escape in _IN_SCRIPT:
        text = text.replace(char, escape)
    return text


__all__ = ["markup", "script_json"]
