"""Whole-document pruning before scoring: things that are never the article.

Evidence is structural (tags, roles, hidden state) and lexical (class/id names), the
same signals reader views rely on. Each step is a selector pass in C plus a cheap
Python check per hit, so large pages stay fast.
"""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from . import classes
from .dom import Node, attr, text_len

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

# Named elements worth judging; inline ones (links, spans, images) go with their block.
_CLASSED = "body :is([class], [id]):not(a, span, img, i, b, em, strong, sup, cite, abbr, time, li)"
# A block named only weakly as chrome goes when it holds less prose than this.
WEAK_MAX_CHARS = 400
_KEEP_TAGS = frozenset(("html", "body", "a", "article", "main", "table", "tbody", "tr", "td"))


def _remove(nodes: list[Node]) -> None:
    for node in nodes:
        node.remove()


def _fallback_image(node: Node) -> bool:
    # Lazy-loading scripts hide the real <img> and show a placeholder; keep those.
    return "fallback-image" in attr(node, "class")


# Only <body> is cleaned: the head's scripts, styles and metas are never rendered,
# and are often most of a modern page's elements.


def drop_never_content(tree: LexborHTMLParser) -> None:
    # Comment nodes stay: they have no text, and finding them means visiting every node.
    if tree.body is not None:
        _remove(tree.body.css(NEVER_CONTENT))


def drop_hidden(tree: LexborHTMLParser) -> None:
    if tree.body is not None:
        hidden = tree.body.css(_HIDDEN)
        _remove([n for n in hidden if n.tag not in ("html", "body") and not _fallback_image(n)])


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


def drop_unlikely(tree: LexborHTMLParser) -> list[Node]:
    """Remove blocks whose class/id names them chrome, and comment threads.

    Returns the elements whose class labels them the article body: the same walk
    finds them for free.
    """
    doomed = []
    labelled = []
    for node in tree.css(_CLASSED):
        evidence = classes.of(node)
        if evidence.comment:
            # Comment threads are never the article, whatever "content" they mention.
            doomed.append(node)
        elif (
            (evidence.unlikely or evidence.weak)
            and node.tag not in _KEEP_TAGS
            and (evidence.unlikely or len(node.css("p")) < 3 or text_len(node) < WEAK_MAX_CHARS)
            and node.css_first("article, main") is None
        ):
            doomed.append(node)
        elif evidence.body:
            labelled.append(node)
    _remove(doomed)
    return labelled
