"""Known article containers: the markup CMSs and schema.org use for "the body".

When a page labels its article body, that label is better evidence than any score:
it excludes the related-story lists and comment threads that scoring can swallow.
"""

from __future__ import annotations

from .dom import Links, Node, link_density, text_len

_MIN_CHARS = 200
_NOT_INSIDE = frozenset(("aside", "footer", "nav"))


def known_container(labelled: list[Node], links: Links) -> tuple[Node, int] | None:
    """The labelled body with the most prose, preferring the innermost equivalent label.

    ``labelled`` comes from the page's Survey, taken before cleaning: labels that were
    removed since, or sit in an aside, footer or nav, do not count.
    """
    best: tuple[Node, int] | None = None
    for node in labelled:
        if not _in_page(node):
            continue
        length = text_len(node)
        if length < _MIN_CHARS:
            continue
        if link_density(node, length, links) > 0.4:
            continue
        if (
            best is None
            or length > best[1] * 1.1
            or (length >= 0.9 * best[1] and _contains(best[0], node))
        ):
            best = (node, length)
    return best


def _in_page(node: Node) -> bool:
    parent = node.parent
    while parent is not None:
        tag = parent.tag
        if tag == "body":
            return True
        if tag in _NOT_INSIDE:
            return False
        parent = parent.parent
    return False


def _contains(outer: Node, inner: Node) -> bool:
    parent = inner.parent
    while parent is not None:
        if parent.mem_id == outer.mem_id:
            return True
        parent = parent.parent
    return False
