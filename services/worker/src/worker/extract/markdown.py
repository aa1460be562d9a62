"""Render the article subtree as Markdown and, in the same pass, as plain text.

Each block yields a pair (markdown, text) so the two outputs never drift apart: the
text is the Markdown's content without syntax, URLs or image alt text.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from .dom import BLOCK_TAGS, Node, attr, find_inside, holders

Block = tuple[str, str]

_MAX_DEPTH = 120
_WS = re.compile(r"[ \t\r\n\f\v\u00a0]+")
_SPACES = re.compile(r" {2,}")
_LANG = re.compile(r"(?:lang(?:uage)?-|highlight-source-|brush:\s*)([\w+#-]+)")
_CONTAINERS = BLOCK_TAGS | {"body", "center", "font", "picture"}
_BLOCK_CSS = ",".join(sorted(BLOCK_TAGS))
_INLINE_MARK = {"strong": "**", "b": "**", "em": "*", "i": "*"}
_CODE_INLINE = frozenset(("code", "kbd", "samp", "tt", "var"))


def _clean(text: str) -> str:
    return (_SPACES.sub(" ", text) if "  " in text else text).strip()


def _squash(text: str) -> str:
    """Whitespace runs to one space; most text nodes have none to squash."""
    if text.isprintable() and "  " not in text:
        return text
    if not text.strip():
        # Indentation between tags, the most common text node of all.
        return " " if text else text
    return _WS.sub(" ", text)


class Renderer:
    def __init__(self, base_url: str | None, roots: list[Node]) -> None:
        self.base_url = base_url
        self.wrappers = holders(roots, _BLOCK_CSS)

    def absolute(self, href: str) -> str:
        href = href.strip()
        if not self.base_url:
            return href
        try:
            return urljoin(self.base_url, href)
        except ValueError:
            return href

    # -- inline ------------------------------------------------------------------

    def inline(self, node: Node, depth: int = 0) -> Block:
        md: list[str] = []
        text: list[str] = []
        for child in node.iter(include_text=True):
            if child.is_text_node:
                value = _squash(child.text_content or "")
                md.append(value)
                text.append(value)
            elif child.is_element_node:
                m, t = self._inline_element(child, depth + 1)
                md.append(m)
                text.append(t)
        return "".join(md), "".join(text)

    def _inline_element(self, node: Node, depth: int) -> Block:
        tag = node.tag or ""
        if depth > _MAX_DEPTH:
            flat = _WS.sub(" ", node.text(deep=True))
            return flat, flat
        if tag == "br":
            return "  \n", "\n"
        if tag == "img":
            return self._image(node), ""
        if tag in _CODE_INLINE:
            code = _WS.sub(" ", node.text(deep=True))
            if not code.strip():
                return code, code
            fence = "``" if "`" in code else "`"
            return f"{fence}{code.strip()}{fence}", code
        md, text = self.inline(node, depth)
        if tag == "a":
            href = attr(node, "href")
            label = md.strip()
            if label and href and not href.lower().startswith(("javascript:", "mailto:", "data:")):
                return f"[{label}]({self.absolute(href)})", text
            return md, text
        mark = _INLINE_MARK.get(tag)
        if mark and md.strip():
            lead = " " if md[:1].isspace() else ""
            trail = " " if md[-1:].isspace() else ""
            return f"{lead}{mark}{md.strip()}{mark}{trail}", text
        return md, text

    def _image(self, node: Node) -> str:
        src = attr(node, "src") or attr(node, "data-src") or attr(node, "data-original")
        if not src or src.startswith("data:"):
            srcset = attr(node, "srcset") or attr(node, "data-srcset")
            src = srcset.split(",")[0].strip().split(" ")[0] if srcset else ""
        if not src or src.startswith("data:"):
            return ""
        alt = _WS.sub(" ", attr(node, "alt")).strip().replace("]", "")
        return f"![{alt}]({self.absolute(src)})"

    # -- blocks ------------------------------------------------------------------

    def blocks(self, node: Node, depth: int = 0) -> list[Block]:
        out: list[Block] = []
        md: list[str] = []
        text: list[str] = []

        def flush() -> None:
            m, t = _clean("".join(md)), _clean("".join(text))
            if m:
                out.append((m, t))
            md.clear()
            text.clear()

        breaks = 0
        for child in node.iter(include_text=True):
            if child.is_text_node:
                value = _squash(child.text_content or "")
                if value.strip():
                    breaks = 0
                md.append(value)
                text.append(value)
                continue
            if not child.is_element_node:
                continue
            if child.tag == "br":
                # Two <br>s in a row are a paragraph break in disguise.
                breaks += 1
                if breaks == 2:
                    flush()
                    continue
                if breaks > 2:
                    continue
            else:
                breaks = 0
            if self._is_block(child):
                flush()
                out.extend(self.block(child, depth + 1))
            else:
                m, t = self._inline_element(child, depth + 1)
                md.append(m)
                text.append(t)
        flush()
        return out

    def _is_block(self, node: Node) -> bool:
        tag = node.tag or ""
        if tag in _CONTAINERS:
            return True
        # An inline wrapper around blocks (a <span> holding <p>s) is a container.
        return tag not in _CODE_INLINE and node.mem_id in self.wrappers

    def block(self, node: Node, depth: int) -> list[Block]:
        tag = node.tag or ""
        if depth > _MAX_DEPTH:
            flat = _clean(_WS.sub(" ", node.text(deep=True)))
            return [(flat, flat)] if flat else []
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            md, text = self.inline(node, depth)
            md, text = _clean(md.replace("\n", " ")), _clean(text.replace("\n", " "))
            return [("#" * int(tag[1]) + " " + md, text)] if md else []
        if tag in ("ul", "ol"):
            return self._list(node, ordered=tag == "ol", depth=depth)
        if tag == "pre":
            return self._pre(node)
        if tag == "blockquote":
            inner = self.blocks(node, depth)
            md = "\n>\n".join("\n".join("> " + line for line in m.split("\n")) for m, _ in inner)
            return [(md, "\n\n".join(t for _, t in inner))] if inner else []
        if tag == "table":
            return self._table(node, depth)
        if tag == "hr":
            return [("---", "")]
        if tag == "figcaption":
            md, text = self.inline(node, depth)
            return [(f"*{_clean(md)}*", _clean(text))] if _clean(md) else []
        if tag == "dt":
            md, text = self.inline(node, depth)
            return [(f"**{_clean(md)}**", _clean(text))] if _clean(md) else []
        return self.blocks(node, depth)

    def _pre(self, node: Node) -> list[Block]:
        code = (node.text(deep=True) or "").strip("\n")
        if not code.strip():
            return []
        names = attr(node, "class")
        inner = node.css_first("code")
        if inner is not None:
            names += " " + attr(inner, "class")
        match = _LANG.search(names)
        fence = "````" if "```" in code else "```"
        lang = match.group(1) if match else ""
        return [(f"{fence}{lang}\n{code}\n{fence}", code)]

    def _list(self, node: Node, ordered: bool, depth: int) -> list[Block]:
        md_lines: list[str] = []
        text_lines: list[str] = []
        number = 0
        for item in node.iter():
            if not item.is_element_node:
                continue
            if item.tag != "li":
                for m, t in self.block(item, depth + 1):
                    md_lines.append(m)
                    text_lines.append(t)
                continue
            number += 1
            marker = f"{number}. " if ordered else "- "
            pad = " " * len(marker)
            inner = self.blocks(item, depth + 1)
            if not inner:
                continue
            first = True
            for m, t in inner:
                lines = m.split("\n")
                prefix = marker if first else pad
                md_lines.append(prefix + lines[0])
                md_lines.extend(pad + line if line else line for line in lines[1:])
                text_lines.append(t)
                first = False
        if not md_lines:
            return []
        return [("\n".join(md_lines), "\n".join(t for t in text_lines if t))]

    def _table(self, node: Node, depth: int) -> list[Block]:
        rows = [r for r in node.css("tr") if _nearest_table(r) == node.mem_id]
        if not rows or find_inside(node, "table") is not None:
            # A layout table: its cells are just containers.
            out: list[Block] = []
            for cell in node.css("td, th"):
                if _nearest_table(cell) == node.mem_id:
                    out.extend(self.blocks(cell, depth + 1))
            return out
        grid: list[list[Block]] = []
        for row in rows:
            cells = [self.inline(c, depth + 1) for c in row.iter() if c.tag in ("td", "th")]
            grid.append([(_cell(m), _clean(t)) for m, t in cells])
        width = max(len(r) for r in grid)
        if width == 0:
            return []
        if width == 1:
            return [(m, t) for r in grid for m, t in r if m]
        md_rows = [
            "| " + " | ".join(c[0] for c in r + [("", "")] * (width - len(r))) + " |" for r in grid
        ]
        md_rows.insert(1, "|" + " --- |" * width)
        text = "\n".join(" ".join(c[1] for c in r if c[1]) for r in grid)
        return [("\n".join(md_rows), text)]


def _cell(md: str) -> str:
    return _clean(md.replace("\n", " ").replace("|", "\\|"))


def _nearest_table(node: Node) -> int | None:
    """mem_id of the closest enclosing table (nodes compare by identity, not ==,
    which serialises both sides)."""
    parent = node.parent
    while parent is not None and parent.tag != "table":
        parent = parent.parent
    return parent.mem_id if parent is not None else None


def render(nodes: list[Node], base_url: str | None) -> tuple[str, str]:
    renderer = Renderer(base_url, nodes)
    blocks: list[Block] = []
    for node in nodes:
        if node.is_element_node and not renderer._is_block(node):
            m, t = renderer.inline(node)
            if _clean(m):
                blocks.append((_clean(m), _clean(t)))
        else:
            blocks.extend(renderer.block(node, 0))
    markdown = "\n\n".join(m for m, _ in blocks if m)
    text = "\n\n".join(t for _, t in blocks if t)
    return markdown, text
