"""Clean the chosen article subtree: drop link lists, widgets, title repeats and bylines.

Blocks are judged bottom-up (deepest first) on their own evidence: class/id weight,
link density, images versus paragraphs, form inputs. Data tables and code are kept.
"""

from __future__ import annotations

import re

from . import classes
from .classes import class_weight
from .dom import (
    BLOCK_TAGS,
    Links,
    Node,
    attr,
    find_inside,
    holders,
    link_density,
    measure,
    norm,
    text_len,
)
from .title import similarity

_AD_WORDS = re.compile(
    r"^(ad(vertising|vertisement)?|pub(licité)?|werb(ung)?|广告|Реклама|Anuncio)$", re.I
)
_LOADING = re.compile(r"^((loading|正在加载|Загрузка|chargement|cargando)(…|\.\.\.)?)$", re.I)
_CODE = frozenset(("code", "pre"))
_HEADINGS = "h1, h2, h3, h4, h5, h6"
# What conditional cleaning judges, in the order it judges them.
_CLEANED = ("form", "fieldset", "table", "ul", "ol", "div", "section", "figure")
_CLEANED_CSS = ", ".join(_CLEANED)
_CAPTIONS = ", ".join(
    ["figcaption"]
    + [
        f'[class*="{name}" i]'
        for name in ("caption", "credit", "imagedesc", "image-desc", "img-desc", "img_desc")
    ]
)
_EMBEDS = ("object", "embed", "iframe", "video", "audio")
_JUDGED = "ul, ol, table, a, p, img, li, " + ", ".join(_EMBEDS)
_NAMED = ":is([class], [id], [rel], [itemprop])"
# A link alone on the article's last line, shorter than this, is navigation.
LONE_LINK_MAX = 80
# A block shorter than this whose text is mostly links is a teaser or story list.
LINK_BLOCK_MAX = 300
LINK_BLOCK_DENSITY = 0.75
# Each check walks the node's subtree, so a pathologically deep page would cost
# depth x nodes; judging only the deepest blocks first keeps the work bounded.
MAX_JUDGED = 600


def is_data_table(table: Node) -> bool:
    if attr(table, "role") == "presentation" or attr(table, "datatable") == "0":
        return False
    if attr(table, "summary") or table.css_first("caption, col, colgroup, tfoot, thead, th"):
        return True
    if find_inside(table, "table") is not None:
        return False
    rows = table.css("tr")
    columns = max((len(r.css("td, th")) for r in rows[:20]), default=0)
    return len(rows) >= 10 or columns > 4 or len(rows) * columns > 10


class _Judge:
    """Readability's conditional cleaning, with what one pass may share cached.

    Whether a block sits inside code, a data table or a figure is decided once for
    the whole subtree, from those few containers down, rather than by walking up
    from every block judged.
    """

    def __init__(self, root: Node, links: Links) -> None:
        self.tables: dict[int, bool] = {}
        self.links = links
        self.root_protected = self._protected_above(root)
        self.protected: set[int] = set()
        self.in_figure: set[int] = set()
        for node in root.css("pre, code, table, figure"):
            tag = node.tag
            if tag == "figure":
                self.in_figure.update(_descendants(node))
            elif tag != "table" or self.data_table(node):
                self.protected.update(_descendants(node))

    def data_table(self, table: Node) -> bool:
        key = table.mem_id
        found = self.tables.get(key)
        if found is None:
            found = self.tables[key] = is_data_table(table)
        return found

    def _protected_above(self, root: Node) -> bool:
        """Whether root itself is inside code or a data table."""
        parent = root.parent
        while parent is not None:
            tag = parent.tag
            if tag in _CODE or (tag == "table" and self.data_table(parent)):
                return True
            parent = parent.parent
        return False

    def should_remove(self, node: Node, tag: str) -> bool:
        text, length = measure(node)
        # One selector pass for every count below (each pass has a fixed cost).
        found: dict[str, list[Node]] = {}
        for inner in node.css(_JUDGED):
            found.setdefault(inner.tag or "", []).append(inner)
        is_list = tag in ("ul", "ol")
        if not is_list and length:
            lists = found.get("ul", []) + found.get("ol", [])
            is_list = sum(text_len(x) for x in lists) / length > 0.9
        if tag == "table" and self.data_table(node):
            return False
        if self.root_protected or node.mem_id in self.protected:
            return False
        if any(self.data_table(t) for t in found.get("table", [])):
            return False
        weight = class_weight(node)
        if weight < 0:
            return True
        if text.count(",") >= 10:
            return False
        if length < 40 and (_AD_WORDS.match(text) or _LOADING.match(text)):
            return True
        p = len(found.get("p", ()))
        img = len(found.get("img", ()))
        items = len(found.get("li", ()))
        li = items - 100
        embeds = sum(len(found.get(t, ())) for t in _EMBEDS)
        density = min(1.0, self.links.total(found.get("a", [])) / length) if length else 0.0
        figure_child = node.mem_id in self.in_figure
        remove = (
            (not figure_child and img > 1 and p / img < 0.5)
            or (not is_list and li > p)
            or (
                not is_list
                and not figure_child
                and length < 25
                and (img == 0 or img > 2)
                and density > 0
                and _heading_density(node, length) < 0.9
            )
            or (not is_list and weight < 25 and density > 0.2)
            or (weight >= 25 and density > 0.5)
            or (embeds == 1 and length < 75)
            or embeds > 1
            or (img == 0 and length == 0 and node.css_first("pre, code, hr") is None)
        )
        if is_list and remove:
            # A plain list of images (a gallery) is content.
            children = [c for c in node.iter() if c.is_element_node]
            if all(len([g for g in c.iter() if g.is_element_node]) <= 1 for c in children):
                return img != items
        return remove


def _descendants(node: Node) -> list[int]:
    """mem_ids of the judged blocks strictly below node."""
    key = node.mem_id
    return [n.mem_id for n in node.css(_CLEANED_CSS) if n.mem_id != key]


def _heading_density(node: Node, length: int) -> float:
    if length == 0:
        return 0.0
    return sum(len(norm(h.text(deep=True))) for h in node.css(_HEADINGS)) / length


def drop_link_blocks(root: Node, links: Links) -> None:
    """Short blocks that are nearly all link text: "Read more" teasers and story lists."""
    # Only blocks holding a link can qualify; most paragraphs hold none.
    linked = holders([root], "a")
    for node in reversed(root.css("p, li, ul, ol, div, section")[-MAX_JUDGED:]):
        if node.mem_id not in linked or node.parent is None:
            continue
        length = text_len(node)
        if 0 < length < LINK_BLOCK_MAX and link_density(node, length, links) > LINK_BLOCK_DENSITY:
            node.remove()


def clean_conditionally(root: Node, links: Links) -> None:
    judge = _Judge(root, links)
    for tag in _CLEANED:
        # Reversed document order visits children before their parents.
        for node in reversed(root.css(tag)[-MAX_JUDGED:]):
            if node.parent is None:
                continue
            if judge.should_remove(node, tag):
                node.remove()


def drop_title_and_byline(root: Node, title: str, byline: str | None) -> None:
    """Remove the headline repeated at the top and the byline block: both are metadata."""
    for heading in root.css("h1, h2")[:2]:
        text = norm(heading.text(deep=True))
        if text and title and (similarity(title, text) > 0.75 and similarity(text, title) > 0.75):
            heading.remove()
    for heading in root.css("h1, h2"):
        if class_weight(heading) < 0:
            heading.remove()
    if byline and len(byline) < 100:
        _drop_byline(root, byline)


def _drop_byline(root: Node, byline: str) -> None:
    """Remove the element named as the byline, with wrappers that hold nothing else."""
    for node in root.css(_NAMED):
        attrs = node.attributes
        hinted = (
            classes.of(node).byline
            or attrs.get("rel") == "author"
            or "author" in (attrs.get("itemprop") or "")
        )
        if not hinted or norm(node.text(deep=True)) != byline:
            continue
        parent = node.parent
        while (
            parent is not None
            and parent.mem_id != root.mem_id
            and norm(parent.text(deep=True)) == byline
        ):
            node, parent = parent, parent.parent
        node.remove()
        return


def drop_captions(root: Node) -> None:
    """Image captions and credits describe a picture, not the story; the image stays."""
    for node in root.css(_CAPTIONS):
        if node.parent is not None and (node.tag == "figcaption" or node.css_first("img") is None):
            node.remove()


def drop_orphan_headings(root: Node) -> None:
    """Remove headings that end the article: their section was cleaned away.

    "Related posts", "Read more", "Share this": the list goes as link-dense or as
    chrome, and its heading would otherwise be the article's last words.
    """
    for heading in reversed(root.css(_HEADINGS)):
        if not _last_words(heading, root):
            break
        heading.remove()
    # So are a lone closing link ("Back to the list", "Read more").
    links = root.css("a")
    if links and _last_words(links[-1], root):
        link = links[-1]
        text = norm(link.text(deep=True))
        parent = link.parent
        if 0 < len(text) < LONE_LINK_MAX and (
            _starts_line(link) or (parent is not None and norm(parent.text(deep=True)) == text)
        ):
            link.remove()


def _starts_line(node: Node) -> bool:
    """Whether nothing but a block boundary comes right before node."""
    prev = node.prev
    while prev is not None and prev.is_text_node and not (prev.text_content or "").strip():
        prev = prev.prev
    return prev is None or (prev.is_element_node and (prev.tag in BLOCK_TAGS or prev.tag == "br"))


def _last_words(node: Node, root: Node) -> bool:
    """Whether no text follows node inside root."""
    current: Node | None = node
    while current is not None and current.mem_id != root.mem_id:
        sibling = current.next
        while sibling is not None:
            if sibling.is_text_node:
                if (sibling.text_content or "").strip():
                    return False
            elif sibling.is_element_node and sibling.text(deep=True).strip():
                return False
            sibling = sibling.next
        current = current.parent
    return True
