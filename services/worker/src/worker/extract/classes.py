"""Class/id evidence, decided once per distinct attribute value.

Pages repeat the same few hundred class names across thousands of elements, and
sites share them ("entry-content", "sidebar"), so verdicts are cached on the
(class, id) strings and on their parts. Matching many substrings per element with
attribute selectors was once the single largest cost of extraction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .dom import Node

POSITIVE_WORDS = (
    "article",
    "body",
    "content",
    "entry",
    "hentry",
    "h-entry",
    "main",
    "page",
    "pagination",
    "post",
    "text",
    "blog",
    "story",
)
NEGATIVE_WORDS = (
    "-ad-",
    "hidden",
    "banner",
    "combx",
    "comment",
    "com-",
    "contact",
    "footer",
    "gdpr",
    "masthead",
    "media",
    "meta",
    "outbrain",
    "promo",
    "related",
    "scroll",
    "share",
    "shoutbox",
    "sidebar",
    "skyscraper",
    "sponsor",
    "shopping",
    "tags",
    "widget",
    "byline",
    "author",
    "caption",
    "credit",
)
# Names that suggest a block holds the article even when chrome words appear too.
MAYBE_WORDS = (
    "and",
    "article",
    "body",
    "column",
    "content",
    "main",
    "mathjax",
    "shadow",
)
BYLINE_WORDS = ("byline", "author", "dateline", "writtenby", "p-author")
# Whole class names that CMSs and themes give the article body.
BODY_CLASSES = frozenset(
    (
        "entry-content",
        "article-content",
        "article-body",
        "articleBody",
        "articlebody",
        "article__body",
        "article-text",
        "article-body-text",
        "post-content",
        "post-entry",
        "post-body",
        "post-text",
        "postcontent",
        "story-body",
        "story-content",
        "td-post-content",
        "c-entry-content",
        "entry-body",
        "blog-post-body",
        "main-article-body",
        "content__article-body",
        "single-content",
        "field-name-body",
        "rich-text",
        "page-content",
    )
)
# Substrings of page chrome names.
UNLIKELY_WORDS = (
    "-ad-",
    "ai2html",
    "banner",
    "breadcrumbs",
    "combx",
    "comment",
    "community",
    "cover-wrap",
    "disqus",
    "extra",
    "footer",
    "gdpr",
    "header",
    "legends",
    "menu",
    "related",
    "remark",
    "replies",
    "rss",
    "shoutbox",
    "sidebar",
    "skyscraper",
    "social",
    "sponsor",
    "supplemental",
    "ad-break",
    "agegate",
    "pagination",
    "pager",
    "popup",
    "yom-remote",
)
# Weaker evidence: these names also appear on wrappers of real text ("widget-container"),
# so they only remove blocks holding little prose.
WEAK_WORDS = (
    "newsletter",
    "subscribe",
    "signup",
    "cookie",
    "consent",
    "share",
    "sharing",
    "promo",
    "outbrain",
    "taboola",
    "paywall",
    "recommend",
    "trending",
    "mostpopular",
    "most-popular",
    "widget",
    "toolbar",
    "masthead",
    "navbar",
    "nav-",
    "-nav",
    "navigation",
    "teaser",
)


_COMMENT = re.compile(
    r"comments?|comment-(?:list|area|s|section|body|content|respond|form|wrap\w*)|"
    r"commentlist|comments-\w+|disqus_thread|respond"
)
_SEPARATOR = re.compile(r"[-_]+")

# One bit per kind of evidence a class or id token can carry.
_NEG, _POS, _MAYBE, _BYLINE_BIT, _UNLIKELY_BIT, _WEAK_BIT, _COMMENT_BIT = (1 << i for i in range(7))
_KINDS = (
    (_NEG, NEGATIVE_WORDS),
    (_POS, POSITIVE_WORDS),
    (_MAYBE, MAYBE_WORDS),
    (_BYLINE_BIT, BYLINE_WORDS),
    (_UNLIKELY_BIT, UNLIKELY_WORDS),
    (_WEAK_BIT, WEAK_WORDS),
)


def _patterns(joined: bool) -> tuple[tuple[int, re.Pattern[str]], ...]:
    """Per kind, one pattern of its words with (joined) or without separators."""
    out = []
    for bit, words in _KINDS:
        chosen = [w for w in words if bool(_SEPARATOR.search(w)) == joined]
        if chosen:
            out.append((bit, re.compile("|".join(re.escape(w) for w in chosen))))
    return tuple(out)


# Python's regex engine tries every alternative at every position, so a cold token
# costs microseconds. Words without separators can only occur inside one part of a
# token, and parts ("sidebar", "wrapper", "post") recur across sites, so they are
# matched and cached part by part; the few hyphenated words are tried on the whole
# token only when it has a hyphen.
_PLAIN = _patterns(joined=False)
_JOINED = _patterns(joined=True)
_ANY_JOINED = re.compile("|".join(p.pattern for _, p in _JOINED))


@lru_cache(maxsize=16384)
def _part(part: str) -> int:
    bits = 0
    for bit, pattern in _PLAIN:
        if pattern.search(part):
            bits |= bit
    return bits


_DIGITS = "0123456789"


def _token(token: str) -> int:
    # Trailing numbers ("post-4512", "menu-item-87") are never evidence; without them
    # a page's many numbered ids share one cache entry.
    bits = _named(token.rstrip(_DIGITS))
    lower = token.lower()
    if ("comment" in lower or "respond" in lower or "disqus" in lower) and _COMMENT.fullmatch(
        lower
    ):
        bits |= _COMMENT_BIT
    return bits


@lru_cache(maxsize=16384)
def _named(token: str) -> int:
    lower = token.lower()
    bits = 0
    for part in lower.replace("_", "-").split("-"):
        if part and not part.isdigit():
            bits |= _part(part)
    if "-" in lower and _ANY_JOINED.search(lower):
        for bit, pattern in _JOINED:
            if pattern.search(lower):
                bits |= bit
    if lower == "hid":
        bits |= _NEG
    return bits


def _bits(tokens: list[str]) -> int:
    bits = 0
    for token in tokens:
        bits |= _token(token)
    return bits


@dataclass(frozen=True, slots=True)
class Evidence:
    # Readability's class weight: -25 per negative name, +25 per positive one.
    weight: int
    # Chrome by name (and nothing suggests it holds the article).
    unlikely: bool
    # Possibly chrome: remove only when the block holds little prose.
    weak: bool
    # A comment thread, whatever else the names say.
    comment: bool
    # Names a byline or author block.
    byline: bool
    # Has a class that labels the article body.
    body: bool = False


NEUTRAL = Evidence(0, False, False, False, False)


@lru_cache(maxsize=16384)
def evidence(class_: str, id_: str) -> Evidence:
    if not class_ and not id_:
        return NEUTRAL
    names = class_.split()
    named = _bits(names)
    ids = _bits(id_.split())
    weight = (
        (25 if named & _POS else 0)
        - (25 if named & _NEG else 0)
        + (25 if ids & _POS else 0)
        - (25 if ids & _NEG else 0)
    )
    return _verdict(weight, named | ids, not BODY_CLASSES.isdisjoint(names))


@lru_cache(maxsize=256)
def _verdict(weight: int, bits: int, labelled: bool) -> Evidence:
    maybe = bool(bits & _MAYBE)
    return Evidence(
        weight=weight,
        unlikely=not maybe and bool(bits & _UNLIKELY_BIT),
        weak=not maybe and bool(bits & _WEAK_BIT),
        comment=bool(bits & _COMMENT_BIT),
        byline=bool(bits & _BYLINE_BIT),
        body=labelled,
    )


def of(node: Node) -> Evidence:
    attrs = node.attributes
    return evidence(attrs.get("class") or "", attrs.get("id") or "")


def class_weight(node: Node) -> int:
    return of(node).weight
