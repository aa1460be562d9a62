"""Main-content extraction: HTML in, the article as Markdown, plain text and metadata out.

Pure and total: ``extract_article`` never raises. Each stage is guarded on its own so
a failure late (rendering) still returns what was found early (metadata).

Modules: ``dom`` (decode, parse, measure), ``metadata`` and ``title`` (what the page
says about itself), ``clean`` (page chrome), ``scoring`` (where the article is),
``prune`` (what inside it is not), ``content`` (the passes), ``markdown`` (output).
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

import structlog
from selectolax.lexbor import LexborHTMLParser

from ..article import Article
from .content import select_content
from .dom import decode, norm, parse
from .markdown import render
from .metadata import Metadata, extract_metadata

__all__ = ["article_text", "extract_article"]

log = structlog.get_logger(__name__)

# Bound the work on pathological input; real articles are far smaller.
MAX_CHARS = 6_000_000
_TITLE_RE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)


def _base_url(href: str | None, url: str | None) -> str | None:
    if not href:
        return url
    try:
        return urljoin(url, href) if url else href
    except ValueError:
        return url


def _excerpt(meta: Metadata, text: str) -> str | None:
    if meta.excerpt:
        return meta.excerpt
    first = next((p for p in text.split("\n\n") if len(p) > 40), "")
    return first[:300] or None


def extract_article(html: str | bytes, url: str | None = None) -> Article:
    try:
        source = decode(html)[:MAX_CHARS]
    except Exception:
        return Article(title="", markdown="", text="", url=url)
    meta = Metadata()
    base_url = url
    tree: LexborHTMLParser | None = None
    try:
        tree = parse(source)
        meta = extract_metadata(tree)
        base_url = _base_url(meta.base_href, url)
    except Exception:
        log.warning("extract_metadata_failed", exc_info=True)
        match = _TITLE_RE.search(source)
        meta.title = norm(match.group(1)) if match else ""
    markdown = text = ""
    try:
        selection = select_content(source, meta.title, meta.byline_node_text, tree)
        if selection is not None:
            markdown, text = render(selection.nodes, base_url)
    except Exception:
        log.warning("extract_content_failed", exc_info=True)
    return Article(
        title=meta.title,
        markdown=markdown,
        text=text,
        url=url,
        byline=meta.byline,
        language=meta.language,
        site_name=meta.site_name,
        published_time=meta.published_time,
        canonical_url=meta.canonical_url,
        excerpt=_excerpt(meta, text),
    )


def article_text(html: str) -> str:
    """Plain text of the main content (the evaluation tool's entry point)."""
    return extract_article(html).text
