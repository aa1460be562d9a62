"""Bounding what the transformer reads (pure): huge pages are clipped, not refused.

The persona's rendering is a few hundred words; reading past the first couple of
hundred thousand characters only costs time (the transform is superlinear on very
long texts), so the article is cut at a paragraph boundary and says so.
"""

from __future__ import annotations

import msgspec

from worker.article import Article
from worker.extract import extract_article

MAX_ARTICLE_CHARS = 200_000
CLIPPED_NOTE = "*[The rest of this very long page was left out.]*"


def clip_text(text: str, limit: int) -> tuple[str, bool]:
    """The text cut at the last paragraph break before ``limit`` (or a space, or hard)."""
    if len(text) <= limit:
        return text, False
    head = text[:limit]
    cut = head.rfind("\n\n")
    if cut < limit // 2:
        cut = head.rfind(" ")
    return head[: cut if cut > 0 else limit].rstrip(), True


def clip_article(article: Article, limit: int = MAX_ARTICLE_CHARS) -> Article:
    markdown, clipped = clip_text(article.markdown, limit)
    text, _ = clip_text(article.text, limit)
    if not clipped:
        return article
    return msgspec.structs.replace(article, markdown=f"{markdown}\n\n{CLIPPED_NOTE}", text=text)


def extract_clipped(html: str | bytes, url: str | None) -> Article:
    """Extraction as the pipeline runs it (in a parse-budget child): extract, then clip."""
    return clip_article(extract_article(html, url))
