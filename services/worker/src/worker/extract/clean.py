"""Whole-document pruning before scoring: things that are never the article.

Evidence is structural (tags, roles, hidden state) and lexical (class/id names), the
same signals reader views rely on. Each step is a selector pass in C plus a cheap
Python check per hit, so large pages stay fast.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

from .dom import Node, attr, class_id, text_len

NEVER_CONTENT = (
    "script, style, noscript, template, iframe, svg, canvas, object, embed, applet, button, "
    "input, select, textarea, link, meta, nav, dialog, menu"
)
_HIDDEN = (
    '[hidden], [aria-hidden="true"], [style*="display:none"], [style*="display: none"], '
    '[style*="visibility:hidden"], [style*="visibility: hidden"]'
)
_BAD_ROLES = frozenset(
    ["menu", "menubar", "complementary", "navigation", "alert", "alertdialog", "dialog"]
)

# Class/id substrings of page chrome; matched in C by one attribute selector.
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
)


def _attr_css(words: tuple[str, ...]) -> str:
    return ", ".join(f'body [{a}*="{w}" i]' for w in words for a in ("class", "id"))


_UNLIKELY_CSS = _attr_css(UNLIKELY_WORDS)
_COMMENT_CSS = _attr_css(("comment", "disqus", "respond"))
_COMMENT = re.compile(
    r"(?:^|\s)(?:comments?|comment-(?:list|area|s|section|body|content|respond|form|wrap\w*)|"
    r"commentlist|comments-\w+|disqus_thread|respond)(?:\s|$)",
    re.I,
)
_WEAK_CSS = _attr_css(WEAK_WORDS)
MAYBE = re.compile(r"and|article|body|column|content|main|mathjax|shadow|entry|post|story", re.I)
_KEEP_TAGS = frozenset(("html", "body", "a", "article", "main", "table", "tbody", "tr", "td"))


def _remove(nodes: list[Node]) -> None:
    for node in nodes:
        node.remove()


def _fallback_image(node: Node) -> bool:
    # Lazy-loading scripts hide the real <img> and show a placeholder; keep those.
    return "fallback-image" in attr(node, "class")


def drop_never_content(tree: LexborHTMLParser) -> None:
    _remove(tree.css(NEVER_CONTENT))
    comments = (
        [n for n in tree.root.traverse(include_text=False) if n.is_comment_node]
        if (tree.root is not None)
        else []
    )
    _remove(comments)


def drop_hidden(tree: LexborHTMLParser) -> None:
    _remove(
        [n for n in tree.css(_HIDDEN) if n.tag not in ("html", "body") and not _fallback_image(n)]
    )


def drop_chrome(tree: LexborHTMLParser, body_len: int) -> None:
    """Remove page chrome: header/footer/aside blocks and role-tagged navigation.

    A <header> or <footer> that holds most of the page's text is a site that wraps
    everything in it, so it stays.
    """
    doomed = []
    for node in tree.css("header, footer, aside, [role]"):
        if node.tag in ("header", "footer", "aside"):
            if text_len(node) < 0.4 * body_len:
                doomed.append(node)
        elif attr(node, "role").lower() in _BAD_ROLES:
            doomed.append(node)
    _remove(doomed)


def drop_unlikely(tree: LexborHTMLParser) -> None:
    doomed = [
        node
        for node in tree.css(_UNLIKELY_CSS)
        if node.tag not in _KEEP_TAGS and not MAYBE.search(class_id(node))
    ]
    doomed.extend(
        node
        for node in tree.css(_WEAK_CSS)
        if node.tag not in _KEEP_TAGS
        and len(node.css("p")) < 3
        and not MAYBE.search(class_id(node))
    )
    doomed = [n for n in doomed if n.css_first("article, main") is None]
    # Comment threads are never the article, whatever "content" their classes mention.
    doomed.extend(n for n in tree.css(_COMMENT_CSS) if _COMMENT.search(class_id(n)))
    _remove(doomed)
