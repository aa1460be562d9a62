"""Known article containers: the markup CMSs and schema.org use for "the body".

When a page labels its article body, that label is better evidence than any score:
it excludes the related-story lists and comment threads that scoring can swallow.
"""

from __future__ import annotations

from .dom import Node, has_ancestor, link_density, text_len

_SELECTOR = ", ".join(
    [
        '[itemprop="articleBody"]',
        '[itemprop="reviewBody"]',
        *(
            f".{name}"
            for name in (
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
        ),
    ]
)
_MIN_CHARS = 200
_NOT_INSIDE = frozenset(("aside", "footer", "nav"))


def known_container(root: Node) -> tuple[Node, int] | None:
    """The labelled body with the most prose, preferring the innermost equivalent label."""
    best: tuple[Node, int] | None = None
    for node in root.css(_SELECTOR):
        length = text_len(node)
        if length < _MIN_CHARS or has_ancestor(node, _NOT_INSIDE):
            continue
        if link_density(node, length) > 0.4:
            continue
        if (
            best is None
            or length > best[1] * 1.1
            or (length >= 0.9 * best[1] and _contains(best[0], node))
        ):
            best = (node, length)
    return best


def _contains(outer: Node, inner: Node) -> bool:
    parent = inner.parent
    while parent is not None:
        if parent == outer:
            return True
        parent = parent.parent
    return False
