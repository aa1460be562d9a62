"""The article title from the document itself: <title> cleaned of site names, or the <h1>.

Follows the reader-view convention: drop the trailing " | Site" part of a title unless
that leaves too few words, and trust a lone <h1> when <title> is useless.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

from .dom import norm

_SEPARATORS = r"\|\-–—\\/>»"
_SEP_RE = re.compile(rf"\s[{_SEPARATORS}]\s")
_HIER_RE = re.compile(r"\s[\\/>»]\s")
_LEAD_RE = re.compile(rf"^[^{_SEPARATORS}]*[{_SEPARATORS}]")


def _words(text: str) -> int:
    return len(text.split()) if text.strip() else 0


def _headings(tree: LexborHTMLParser, selector: str) -> list[str]:
    return [norm(h.text(deep=True)) for h in tree.css(selector)]


def document_title(tree: LexborHTMLParser, raw: str | None = None) -> str:
    """The title; ``raw`` is the <title> text when the caller has already found it."""
    if raw is None:
        node = tree.css_first("title")
        raw = node.text(deep=True) if node is not None else ""
    original = norm(raw)
    title = original
    hierarchical = False
    separators = list(_SEP_RE.finditer(original))
    if separators:
        hierarchical = bool(_HIER_RE.search(original))
        title = original[: separators[-1].start()]
        if _words(title) < 3:
            title = _LEAD_RE.sub("", original, count=1)
    elif ": " in title:
        if original not in _headings(tree, "h1, h2"):
            title = original[original.rfind(":") + 1 :]
            if _words(title) < 3:
                title = original[original.find(":") + 1 :]
            elif _words(original[: original.find(":")]) > 5:
                title = original
    elif len(title) > 150 or len(title) < 15:
        h1s = _headings(tree, "h1")
        if len(h1s) == 1:
            title = h1s[0]
    title = norm(title)
    count = _words(title)
    if count <= 4 and (not hierarchical or count != _words(_SEP_RE.sub("", original)) - 1):
        title = original
    if not title:
        h1s = [h for h in _headings(tree, "h1") if h]
        title = h1s[0] if h1s else ""
    return title


def similarity(a: str, b: str) -> float:
    """Share of b's words (by length) that also occur in a: 1.0 means b adds nothing."""
    tokens_a = [t for t in re.split(r"\W+", a.lower()) if t]
    tokens_b = [t for t in re.split(r"\W+", b.lower()) if t]
    if not tokens_a or not tokens_b:
        return 0.0
    seen = set(tokens_a)
    unique_b = [t for t in tokens_b if t not in seen]
    return 1 - len(" ".join(unique_b)) / len(" ".join(tokens_b))
