"""The extractor's output: what a page is about, as Markdown plus metadata."""

from __future__ import annotations

import msgspec


class Article(msgspec.Struct, kw_only=True):
    title: str
    markdown: str
    text: str
    url: str | None = None
    byline: str | None = None
    language: str | None = None
    site_name: str | None = None
    published_time: str | None = None
    canonical_url: str | None = None
    excerpt: str | None = None
