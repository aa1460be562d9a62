"""Choose the article's nodes: strict pass first, looser passes when it finds too little.

Every pass works on a fresh parse because cleaning mutates the tree; the first may
reuse the tree the metadata was read from. When even the
loosest pass is short next to the page's own paragraph text, stray paragraphs are
recovered from the whole body; a page with almost no markup falls back to its text.
"""

from __future__ import annotations

from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser

from .clean import drop_chrome, drop_hidden, drop_never_content, drop_unlikely
from .containers import known_container
from .dom import Links, Node, link_density, norm, parse, text_len
from .prune import (
    clean_conditionally,
    drop_captions,
    drop_link_blocks,
    drop_orphan_headings,
    drop_title_and_byline,
)
from .scoring import best_candidate, gather, score_tree

# Schema.org's article body; labelling classes come from drop_unlikely's walk.
_BODY_PROPS = '[itemprop="articleBody"], [itemprop="reviewBody"]'
# Below this many characters a pass is "too short" and a looser one is tried.
MIN_CHARS = 500
# A labelled body wins over the scored choice when it holds this share of its text.
CONTAINER_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class Pass:
    strip_unlikely: bool
    weigh_classes: bool
    clean_conditionally: bool


PASSES = (
    Pass(True, True, True),
    Pass(False, True, True),
    Pass(False, False, True),
    Pass(False, False, False),
)


@dataclass(slots=True)
class Selection:
    tree: LexborHTMLParser
    nodes: list[Node]
    length: int
    # Paragraph text on the whole cleaned page, to judge whether the choice is too small.
    page_length: int = 0
    # All text in <body> before cleaning: no looser pass can find more than this.
    body_length: int = 0


def _select(
    tree: LexborHTMLParser, flags: Pass, title: str, byline: str | None
) -> Selection | None:
    body = tree.body
    if body is None:
        return None
    drop_never_content(tree)
    body_length = text_len(body)
    drop_hidden(tree)
    drop_chrome(tree, body_length)
    labelled = drop_unlikely(tree) if flags.strip_unlikely else []
    links = Links()
    scores = score_tree(body, flags.weigh_classes, links)
    top = best_candidate(scores)
    nodes = gather(top, scores) if top is not None else [body]
    if flags.strip_unlikely:
        container = known_container(labelled + body.css(_BODY_PROPS), links)
        if container is not None:
            chosen = sum(text_len(n) for n in nodes)
            if container[1] >= CONTAINER_SHARE * chosen:
                nodes = [container[0]]
    for node in nodes:
        drop_captions(node)
        if flags.clean_conditionally:
            clean_conditionally(node, links)
            drop_link_blocks(node, links)
            drop_orphan_headings(node)
        drop_title_and_byline(node, title, byline)
    length = sum(text_len(n) for n in nodes)
    return Selection(tree, nodes, length, scores.paragraph_chars, body_length)


_STRAY = "p, pre, blockquote, h2, h3, h4, li, td, dd"


def _recover(html: str) -> Selection | None:
    """Every paragraph-like block on the page with little link text: a broad net."""
    tree = parse(html)
    body = tree.body
    if body is None:
        return None
    drop_never_content(tree)
    drop_hidden(tree)
    drop_chrome(tree, text_len(body))
    drop_unlikely(tree)
    nodes: list[Node] = []
    taken: set[int] = set()
    for node in body.css(_STRAY):
        parent = node.parent
        nested = False
        while parent is not None:
            if parent.mem_id in taken:
                nested = True
                break
            parent = parent.parent
        if nested:
            continue
        text = norm(node.text(deep=True))
        if len(text) < 40 and node.tag not in ("h2", "h3", "h4", "pre"):
            continue
        if link_density(node, len(text)) > 0.3:
            continue
        nodes.append(node)
        taken.add(node.mem_id)
    return Selection(tree, nodes, sum(text_len(n) for n in nodes))


def select_content(
    html: str, title: str, byline: str | None, tree: LexborHTMLParser | None = None
) -> Selection | None:
    """Choose the article's nodes; ``tree``, when given, is ``html`` parsed and unused yet."""
    best: Selection | None = None
    for flags in PASSES:
        found = _select(tree or parse(html), flags, title, byline)
        tree = None
        if found is None:
            return None
        if best is None or found.length > best.length:
            best = found
        if found.length >= MIN_CHARS or found.length >= 0.9 * found.body_length:
            break
    if best is not None and best.length >= 0.4 * best.page_length:
        return best
    recovered = _recover(html)
    if best is None or (recovered is not None and recovered.length > 3 * best.length):
        return recovered
    return best
