"""Decoding, parsing and small node measurements shared by the extractor modules.

Nodes are removed with ``remove()`` (unlink) and never ``decompose()`` (free): the
cleaners collect node lists up front, and a freed ancestor would leave dangling
descendants in those lists.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

Node = LexborNode

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)

# Blocks that end a paragraph when rendering and that stop a <div> counting as one.
BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
BLOCK_SELECTOR = ",".join(
    [
        "blockquote",
        "dl",
        "div",
        "img",
        "ol",
        "p",
        "pre",
        "table",
        "ul",
        "section",
        "article",
        "figure",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
    ]
)


def decode(html: str | bytes) -> str:
    """Bytes to text: the declared charset when it is known, else UTF-8, never raising."""
    if isinstance(html, str):
        return html
    head = html[:4096]
    if head.startswith(b"\xef\xbb\xbf"):
        return html[3:].decode("utf-8", "replace")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return html.decode("utf-16", "replace")
    match = _META_CHARSET.search(head)
    if match:
        try:
            return html.decode(match.group(1).decode("ascii"), "replace")
        except LookupError:
            pass
    try:
        return html.decode("utf-8")
    except UnicodeDecodeError:
        return html.decode("cp1252", "replace")


def parse(html: str) -> LexborHTMLParser:
    # NUL bytes make lexbor truncate text nodes; binary junk is otherwise harmless.
    return LexborHTMLParser(html.replace("\x00", "") if "\x00" in html else html)


def attr(node: Node, name: str) -> str:
    value = node.attributes.get(name)
    return value or ""


def class_id(node: Node) -> str:
    attrs = node.attributes
    return f"{attrs.get('class') or ''} {attrs.get('id') or ''}"


def norm(text: str) -> str:
    return " ".join(text.split())


# Above this many characters text_len settles for the approximation.
_EXACT_LEN = 400


def measure(node: Node) -> tuple[str, int]:
    """The node's text with whitespace collapsed, and its length.

    Long texts are measured by stripping each text node in C and skipping blank
    ones, which costs half of splitting and rejoining them; that differs only in
    spacing between text nodes, which matters to the link density of a short block
    but not of a long one.
    """
    approx = node.text(deep=True, separator=" ", strip=True, skip_empty=True)
    if len(approx) > _EXACT_LEN:
        return approx, len(approx)
    text = norm(node.text(deep=True))
    return text, len(text)


def text_len(node: Node) -> int:
    return measure(node)[1]


def link_len(node: Node) -> int:
    total = sum(len(norm(a.text(deep=True))) for a in node.css("a"))
    # In-page anchors (footnotes, "#top") are not navigation; weigh them lightly.
    for a in node.css('a[href^="#"]'):
        length = len(norm(a.text(deep=True)))
        total -= length - int(0.3 * length)
    return total


class Links:
    """Each link's weighted text length, measured once per tree.

    Link density is asked of a node, then of its parent and grandparent, then again
    while cleaning; without this, every ask re-reads the text of every link below.
    Removing other nodes leaves a link's own text as it was.
    """

    def __init__(self) -> None:
        self._lengths: dict[int, int] = {}

    def length(self, node: Node) -> int:
        return self.total(node.css("a"))

    def total(self, anchors: list[Node]) -> int:
        lengths = self._lengths
        total = 0
        for a in anchors:
            key = a.mem_id
            found = lengths.get(key)
            if found is None:
                found = len(norm(a.text(deep=True)))
                if attr(a, "href").startswith("#"):
                    found = int(0.3 * found)
                lengths[key] = found
            total += found
        return total


def link_density(node: Node, length: int | None = None, links: Links | None = None) -> float:
    length = text_len(node) if length is None else length
    if length == 0:
        return 0.0
    linked = links.length(node) if links is not None else link_len(node)
    return min(1.0, linked / length)


def find_inside(node: Node, selector: str) -> Node | None:
    """First strict descendant matching selector (selectolax's css() also matches node)."""
    child = node.child
    while child is not None:
        if child.is_element_node:
            found = child.css_first(selector)
            if found is not None:
                return found
        child = child.next
    return None


def holders(roots: list[Node], selector: str) -> set[int]:
    """mem_ids of every element with a strict descendant matching selector.

    Found from the matches upwards, visiting each ancestor once: far cheaper than
    asking each element in turn whether it contains a match.
    """
    seen: set[int] = set()
    for root in roots:
        if not root.is_element_node:
            continue
        for match in root.css(selector):
            parent = match.parent
            while parent is not None and parent.mem_id not in seen:
                seen.add(parent.mem_id)
                parent = parent.parent
    return seen


def has_ancestor(node: Node, tags: frozenset[str], max_depth: int = 12) -> bool:
    parent = node.parent
    depth = 0
    while parent is not None and depth < max_depth:
        if parent.tag in tags:
            return True
        parent = parent.parent
        depth += 1
    return False
