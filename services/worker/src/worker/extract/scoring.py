"""Find the node that holds the article: paragraph scores flow up to their ancestors.

Each paragraph earns points for length and commas; parents get all of it,
grandparents half, further ancestors less. Tag and class/id evidence seed each
candidate, link density discounts it, and the best candidate's siblings that look
like more of the same article join it.
"""

from __future__ import annotations

import re

from .classes import class_weight
from .dom import (
    BLOCK_SELECTOR,
    BLOCK_TAGS,
    Links,
    Node,
    class_id,
    link_density,
    norm,
)

_TAG_SEED = {
    "div": 5,
    "article": 8,
    "main": 5,
    "section": 3,
    "pre": 3,
    "td": 3,
    "blockquote": 3,
    "address": -3,
    "ol": -3,
    "ul": -3,
    "dl": -3,
    "dd": -3,
    "dt": -3,
    "li": -3,
    "form": -3,
    "h1": -5,
    "h2": -5,
    "h3": -5,
    "h4": -5,
    "h5": -5,
    "h6": -5,
    "th": -5,
}
_SCORED = frozenset(("p", "pre", "td", "div", "section", "article", "h2", "h3"))
_BLOCKS = frozenset(t.strip() for t in BLOCK_SELECTOR.split(","))
_SCORED_OR_BLOCK = ", ".join(sorted(_SCORED | _BLOCKS))
_SENTENCE_END = re.compile(r"\.( |$)")
# Commas of other scripts; ASCII text (the common case) needs only one count.
_OTHER_COMMAS = "،﹐︐︑⹁⸴⸲，、"


def _runs(node: Node) -> list[str]:
    """Loose text directly inside a block container, split at blocks and double <br>s.

    Blog engines write "text<br><br>text" straight into a <div>; each run is a
    paragraph whose parent is that div.
    """
    runs: list[str] = []
    current: list[str] = []
    breaks = 0
    for child in node.iter(include_text=True):
        tag = child.tag
        if child.is_text_node:
            value = child.text_content or ""
            if value.strip():
                breaks = 0
            current.append(value)
            continue
        if tag == "br":
            breaks += 1
            if breaks < 2:
                current.append(" ")
                continue
        elif tag not in BLOCK_TAGS:
            breaks = 0
            current.append(child.text(deep=True))
            continue
        runs.append(norm("".join(current)))
        current = []
        breaks = 0
    runs.append(norm("".join(current)))
    return [r for r in runs if len(r) >= 25]


def _paragraphs(root: Node) -> list[tuple[Node, str, bool]]:
    """Scorable text blocks as (node, text, is_run).

    p/pre/td, divs or sections that hold only inline content, and loose text runs
    inside containers (is_run: the node is the run's parent, not the run).
    """
    found: list[tuple[Node, str, bool]] = []
    # One selector pass serves both questions: which nodes are scored, and which
    # containers hold blocks (found from each block upwards, visiting ancestors once).
    matches = root.css(_SCORED_OR_BLOCK)
    containers: set[int] = set()
    for match in matches:
        if match.tag in _BLOCKS:
            parent = match.parent
            while parent is not None and parent.mem_id not in containers:
                containers.add(parent.mem_id)
                parent = parent.parent
    for node in matches:
        if node.tag not in _SCORED:
            continue
        if node.tag in ("div", "section", "article", "td") and node.mem_id in containers:
            if len(norm(node.text(deep=False))) >= 25:
                found.extend((node, run, True) for run in _runs(node))
            continue
        if node.tag == "article":
            continue
        text = norm(node.text(deep=True))
        if len(text) >= 25:
            found.append((node, text, False))
    return found


class Scores:
    """Candidate scores keyed by node identity.

    The link-density discount is applied lazily: it walks the candidate's links, and
    only the few best candidates and their neighbours are ever looked at.
    """

    def __init__(self, weigh_classes: bool, links: Links) -> None:
        self.weigh_classes = weigh_classes
        self.links = links
        self.raw: dict[int, float] = {}
        self.final: dict[int, float] = {}
        self.nodes: dict[int, Node] = {}
        self.paragraph_chars = 0

    def add(self, node: Node, points: float) -> None:
        key = node.mem_id
        if key not in self.raw:
            seed = _TAG_SEED.get(node.tag or "", 0)
            if self.weigh_classes:
                seed += class_weight(node)
            self.raw[key] = float(seed)
            self.nodes[key] = node
        self.raw[key] += points

    def _final(self, key: int) -> float:
        score = self.final.get(key)
        if score is None:
            score = self.raw[key] * (1 - link_density(self.nodes[key], links=self.links))
            self.final[key] = score
        return score

    def get(self, node: Node) -> float | None:
        key = node.mem_id
        return self._final(key) if key in self.raw else None

    def bound(self, node: Node) -> float | None:
        """An upper bound of get(node) that costs nothing: the undiscounted score."""
        raw = self.raw.get(node.mem_id)
        return None if raw is None else max(raw, 0.0)

    def top(self, count: int) -> list[tuple[Node, float]]:
        """The best candidates after the discount, best first.

        The discount never raises a positive score, so once the raw scores fall below
        the count-th best discounted one, no later candidate can enter.
        """
        best: list[tuple[float, int]] = []
        for key in sorted(self.raw, key=self.raw.__getitem__, reverse=True):
            if len(best) >= count and self.raw[key] <= best[-1][0] and best[-1][0] >= 0:
                break
            best.append((self._final(key), key))
            best.sort(key=lambda item: item[0], reverse=True)
            del best[count:]
        return [(self.nodes[key], score) for score, key in best]


# A paragraph's points go to five levels of ancestors: all to the parent, half to the
# grandparent, then a third of a level's depth.
_DIVIDERS = (1, 2, 6, 9, 12)


def _commas(text: str) -> int:
    count = text.count(",")
    if not text.isascii():
        count += sum(text.count(c) for c in _OTHER_COMMAS)
    return count


def score_tree(root: Node, weigh_classes: bool, links: Links) -> Scores:
    scores = Scores(weigh_classes, links)
    # Sibling paragraphs share their ancestors; climb once per parent.
    chains: dict[int, list[Node]] = {}
    for node, text, is_run in _paragraphs(root):
        scores.paragraph_chars += len(text)
        points = 1 + _commas(text) + min(len(text) // 100, 3)
        start = node if is_run else node.parent
        if start is None:
            continue
        chain = chains.get(start.mem_id)
        if chain is None:
            chain = chains[start.mem_id] = _chain(start, root)
        for ancestor, divider in zip(chain, _DIVIDERS, strict=False):
            scores.add(ancestor, points / divider)
    return scores


def _chain(start: Node, root: Node) -> list[Node]:
    chain: list[Node] = []
    parent: Node | None = start
    while parent is not None and len(chain) < len(_DIVIDERS) and parent.tag not in ("html", None):
        chain.append(parent)
        if parent.mem_id == root.mem_id:
            break
        parent = parent.parent
    return chain


def _ancestors(node: Node, limit: int = 50) -> list[Node]:
    out: list[Node] = []
    parent = node.parent
    while parent is not None and len(out) < limit and parent.tag != "html":
        out.append(parent)
        parent = parent.parent
    return out


def best_candidate(scores: Scores) -> Node | None:
    ranked = scores.top(5)
    if not ranked:
        return None
    top, top_score = ranked[0]
    if top.tag == "body":
        return top
    # Several strong candidates under one ancestor: the article is that ancestor.
    alternatives = [_ancestors(node) for node, score in ranked[1:] if score >= 0.75 * top_score]
    if len(alternatives) >= 3:
        ids = [{a.mem_id for a in anc} for anc in alternatives]
        for ancestor in _ancestors(top):
            if ancestor.tag == "body":
                break
            if sum(ancestor.mem_id in s for s in ids) >= 3:
                top = ancestor
                break
    # Climb while the parent scores better (the paragraphs were split over wrappers).
    last = scores.get(top) or top_score
    parent: Node | None = top.parent
    threshold = last / 3
    while parent is not None and parent.tag not in ("body", "html"):
        parent_score = scores.get(parent)
        if parent_score is None:
            parent = parent.parent
            continue
        if parent_score < threshold:
            break
        if parent_score > last:
            top = parent
            break
        last = parent_score
        parent = parent.parent
    # A wrapper with a single child adds nothing but may hold the title/byline siblings.
    while (wrapper := top.parent) is not None and wrapper.tag not in ("body", "html"):
        children = [c for c in wrapper.iter() if c.is_element_node]
        if len(children) != 1:
            break
        top = wrapper
    return top


def gather(top: Node, scores: Scores) -> list[Node]:
    """The top candidate plus siblings that score near it or read like its paragraphs."""
    parent = top.parent
    if parent is None or top.tag == "body":
        return [top]
    top_score = scores.get(top) or 0.0
    threshold = max(10.0, top_score * 0.2)
    top_class = top.attributes.get("class") or ""
    kept: list[Node] = []
    for sibling in parent.iter():
        if not sibling.is_element_node:
            continue
        if sibling.mem_id == top.mem_id:
            kept.append(sibling)
            continue
        bonus = 0.2 * top_score if top_class and sibling.attributes.get("class") == top_class else 0
        bound = scores.bound(sibling)
        if bound is not None and bound + bonus >= threshold:
            score = scores.get(sibling)
            if score is not None and score + bonus >= threshold:
                kept.append(sibling)
                continue
        if sibling.tag == "p":
            text = norm(sibling.text(deep=True))
            density = link_density(sibling, len(text), scores.links)
            if (len(text) > 80 and density < 0.25) or (
                0 < len(text) <= 80 and density == 0 and _SENTENCE_END.search(text)
            ):
                kept.append(sibling)
    return kept


def describe(node: Node) -> str:
    """Debug label for a node: tag plus class/id."""
    return f"{node.tag}[{class_id(node).strip()}]"
