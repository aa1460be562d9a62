"""Page metadata: JSON-LD first, then OpenGraph / Dublin Core / meta tags, then the document.

Runs on the untouched tree, before the cleaners drop scripts and bylines.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import Any

import msgspec
from selectolax.lexbor import LexborHTMLParser

from .dom import Node, attr, class_id, norm
from .title import document_title, similarity

_ARTICLE_TYPES = re.compile(
    r"^Article|AdvertiserContentArticle|NewsArticle|AnalysisNewsArticle|AskPublicNewsArticle|"
    r"BackgroundNewsArticle|OpinionNewsArticle|ReportageNewsArticle|ReviewNewsArticle|Report|"
    r"SatiricalArticle|ScholarlyArticle|MedicalScholarlyArticle|SocialMediaPosting|BlogPosting|"
    r"LiveBlogPosting|DiscussionForumPosting|TechArticle|APIReference$"
)
_SCHEMA_ORG = re.compile(r"^https?://schema\.org/?$")
_PROPERTY = re.compile(
    r"\s*(article|dc|dcterm|og|twitter)\s*:\s*"
    r"(author|creator|description|published_time|title|site_name)\s*",
    re.I,
)
_NAME = re.compile(
    r"^\s*(?:(dc|dcterm|og|twitter|parsely|weibo:(article|webpage))\s*[-.:]\s*)?"
    r"(author|creator|pub-date|description|title|site_name)\s*$",
    re.I,
)
_BYLINE_HINT = re.compile(r"byline|author|dateline|writtenby|p-author", re.I)
_BYLINE_SELECTORS = ['[rel="author"]', '[itemprop*="author"]'] + [
    f'[{a}*="{w}" i]' for w in ("byline", "author", "dateline", "writtenby") for a in ("class",)
]
# Every lexbor selector pass walks the whole document (about 0.1 ms on a news page,
# whatever the selector), so everything metadata needs is found in one.
_WANTED = ":is({})".format(
    ", ".join(
        [
            "title",
            "base[href]",
            "meta[content]",
            "meta[http-equiv]",
            "link[rel][href]",
            'script[type="application/ld+json"]',
            *_BYLINE_SELECTORS,
        ]
    )
)
_NOT_BYLINE = frozenset(
    ("html", "head", "body", "title", "base", "meta", "link", "script", "style")
)
_CDATA = re.compile(r"^\s*<!\[CDATA\[|\]\]>\s*$")


class Metadata(msgspec.Struct, kw_only=True):
    title: str = ""
    byline: str | None = None
    language: str | None = None
    site_name: str | None = None
    published_time: str | None = None
    excerpt: str | None = None
    canonical_url: str | None = None
    # Text of the byline element found in the body, so the cleaner can drop it.
    byline_node_text: str | None = None
    # The document's <base href>, for resolving links.
    base_href: str | None = None


@dataclass(slots=True)
class _Tags:
    """The elements metadata is read from, in document order."""

    title: str | None = None
    base_href: str | None = None
    metas: list[Node] = field(default_factory=list)
    links: list[Node] = field(default_factory=list)
    scripts: list[Node] = field(default_factory=list)
    bylines: list[Node] = field(default_factory=list)


def _collect(tree: LexborHTMLParser) -> _Tags:
    found = _Tags()
    for node in tree.css(_WANTED):
        tag = node.tag
        if tag == "meta":
            found.metas.append(node)
        elif tag == "link":
            if attr(node, "rel") and attr(node, "href"):
                found.links.append(node)
        elif tag == "script":
            if attr(node, "type") == "application/ld+json":
                found.scripts.append(node)
        elif tag == "title":
            if found.title is None:
                found.title = node.text(deep=True)
        elif tag == "base":
            if found.base_href is None:
                found.base_href = attr(node, "href").strip()
        elif tag not in _NOT_BYLINE:
            found.bylines.append(node)
    return found


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return html.unescape(value.strip())
    return None


def _type_matches(item: Any) -> bool:
    if not isinstance(item, dict):
        return False
    kind = item.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return any(isinstance(k, str) and _ARTICLE_TYPES.search(k) for k in kinds)


def _context_ok(item: dict[str, Any]) -> bool:
    context = item.get("@context")
    if isinstance(context, dict):
        context = context.get("@vocab")
    if isinstance(context, list):
        return any(isinstance(c, str) and _SCHEMA_ORG.match(c) for c in context)
    return isinstance(context, str) and bool(_SCHEMA_ORG.match(context))


def _json_ld_article(scripts: list[Node]) -> dict[str, Any] | None:
    for script in scripts:
        try:
            parsed: Any = json.loads(_CDATA.sub("", script.text(deep=True)))
        except ValueError:
            continue
        if isinstance(parsed, list):
            parsed = next((p for p in parsed if _type_matches(p)), None)
        if not isinstance(parsed, dict) or not _context_ok(parsed):
            continue
        if "@type" not in parsed and isinstance(parsed.get("@graph"), list):
            parsed = next((p for p in parsed["@graph"] if _type_matches(p)), None)
        if _type_matches(parsed):
            return parsed  # type: ignore[no-any-return]
    return None


def _author_names(author: Any) -> str | None:
    if isinstance(author, dict):
        return _text(author.get("name"))
    if isinstance(author, list):
        names = [_text(a.get("name")) for a in author if isinstance(a, dict)]
        joined = ", ".join(n for n in names if n)
        return joined or None
    return None


def _from_json_ld(tree: LexborHTMLParser, tags: _Tags, meta: Metadata) -> None:
    item = _json_ld_article(tags.scripts)
    if item is None:
        return
    name, headline = _text(item.get("name")), _text(item.get("headline"))
    if name and headline and name != headline:
        doc_title = document_title(tree, tags.title)
        name_ok = similarity(name, doc_title) > 0.75
        headline_ok = similarity(headline, doc_title) > 0.75
        meta.title = headline if headline_ok and not name_ok else name
    else:
        meta.title = name or headline or ""
    meta.byline = _author_names(item.get("author"))
    meta.excerpt = _text(item.get("description"))
    publisher = item.get("publisher")
    if isinstance(publisher, dict):
        meta.site_name = _text(publisher.get("name"))
    meta.published_time = _text(item.get("datePublished"))
    meta.language = _text(item.get("inLanguage"))


def _meta_values(metas: list[Node]) -> dict[str, str]:
    values: dict[str, str] = {}
    for node in metas:
        attrs = node.attributes
        content = (attrs.get("content") or "").strip()
        if not content:
            continue
        prop = attrs.get("property") or ""
        match = _PROPERTY.search(prop) if prop else None
        if match:
            values[re.sub(r"\s", "", match.group(0).lower())] = content
            continue
        name = attrs.get("name") or ""
        if name and _NAME.match(name):
            values[re.sub(r"\s", "", name.lower()).replace(".", ":")] = content
        elif name or prop:
            values.setdefault(f"other:{(name or prop).lower()}", content)
    return values


def _first(values: dict[str, str], *keys: str) -> str | None:
    for key in keys:
        if values.get(key):
            return html.unescape(values[key])
    return None


def _document_byline(candidates: list[Node]) -> str | None:
    for node in candidates:
        hinted = attr(node, "rel") == "author" or "author" in attr(node, "itemprop")
        if not hinted and not _BYLINE_HINT.search(class_id(node)):
            continue
        name_node = node.css_first('[itemprop="name"]')
        text = norm((name_node or node).text(deep=True))
        if 0 < len(text) < 100:
            return text
    return None


def _language(tree: LexborHTMLParser, tags: _Tags, values: dict[str, str]) -> str | None:
    root = tree.root
    lang = attr(root, "lang").strip() if root is not None else ""
    if not lang and root is not None:
        lang = attr(root, "xml:lang").strip()
    if lang:
        return lang
    for node in tags.metas:
        if attr(node, "http-equiv").lower() == "content-language" and attr(node, "content"):
            return attr(node, "content").split(",")[0].strip()
    locale = values.get("other:og:locale")
    return locale.replace("_", "-") if locale else None


def _canonical(tags: _Tags, values: dict[str, str]) -> str | None:
    for node in tags.links:
        if "canonical" in attr(node, "rel").lower().split():
            return attr(node, "href").strip() or None
    return values.get("other:og:url")


def extract_metadata(tree: LexborHTMLParser) -> Metadata:
    meta = Metadata()
    tags = _collect(tree)
    meta.base_href = tags.base_href
    _from_json_ld(tree, tags, meta)
    values = _meta_values(tags.metas)
    author = values.get("article:author")
    if author and re.match(r"^(https?:)?//|^www\.", author):
        author = None
    meta.title = (
        meta.title
        or _first(
            values,
            "dc:title",
            "dcterm:title",
            "og:title",
            "weibo:article:title",
            "weibo:webpage:title",
            "title",
            "twitter:title",
            "parsely-title",
        )
        or document_title(tree, tags.title)
    )
    meta.byline = (
        meta.byline
        or _first(values, "dc:creator", "dcterm:creator", "author", "parsely-author")
        or (html.unescape(author) if author else None)
    )
    meta.byline_node_text = _document_byline(tags.bylines)
    meta.byline = meta.byline or meta.byline_node_text
    meta.excerpt = meta.excerpt or _first(
        values,
        "dc:description",
        "dcterm:description",
        "og:description",
        "weibo:article:description",
        "weibo:webpage:description",
        "description",
        "twitter:description",
    )
    meta.site_name = meta.site_name or _first(values, "og:site_name")
    meta.published_time = meta.published_time or _first(
        values,
        "article:published_time",
        "parsely-pub-date",
        "other:date",
        "other:pubdate",
        "other:publishdate",
    )
    meta.language = _language(tree, tags, values) or meta.language
    meta.canonical_url = _canonical(tags, values)
    return meta
