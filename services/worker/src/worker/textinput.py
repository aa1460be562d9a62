"""Pasted text -> Article, so text jobs share the transform step with web pages (pure)."""

from __future__ import annotations

import re

from worker.article import Article

_BLANK_LINES = re.compile(r"\n\s*\n")


def article_from_text(text: str, title: str | None = None) -> Article:
    """Paragraphs are blank-line separated; without a title, the first short line is one."""
    paragraphs = [" ".join(p.split()) for p in _BLANK_LINES.split(text.replace("\r\n", "\n"))]
    paragraphs = [p for p in paragraphs if p]
    if not title and paragraphs and len(paragraphs[0]) <= 120 and len(paragraphs) > 1:
        title = paragraphs.pop(0).lstrip("# ").strip()
    if not title:
        title = _title_from(paragraphs[0] if paragraphs else "")
    body = "\n\n".join(paragraphs)
    return Article(title=title, markdown=body, text=body)


def _title_from(paragraph: str) -> str:
    """The first sentence when it is short, else its first words with an ellipsis."""
    first_sentence = re.split(r"(?<=[.!?])\s", paragraph, maxsplit=1)[0]
    words = first_sentence.split()
    if not words:
        return "Untitled text"
    if len(words) <= 12:
        return first_sentence
    return " ".join(words[:10]) + "…"
