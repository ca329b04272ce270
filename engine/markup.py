"""HTML markup of the shared vocabulary: super- and subscripts, everything else escaped."""

import html
import re

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


__all__ = ["markup"]
