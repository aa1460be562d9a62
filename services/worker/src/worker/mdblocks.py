"""Markdown as a list of blocks, and inline Markdown as plain text (pure).

The transformer works on whole blocks (a paragraph, a list, a fenced code block,
a table…) so trimming never cuts a code block or a table in half. The parser is
deliberately small: it reads the Markdown our extractor writes, and degrades to
"paragraph" for anything else instead of failing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

BlockKind = Literal["heading", "paragraph", "list", "code", "quote", "table", "image", "rule"]

_FENCE_RE: Final = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_HEADING_RE: Final = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_RULE_RE: Final = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_ITEM_RE: Final = re.compile(r"^(\s*)(?:[-*+]|\d{1,9}[.)])\s+")
_QUOTE_RE: Final = re.compile(r"^\s{0,3}>")
_TABLE_RULE_RE: Final = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_ONLY_IMAGES_RE: Final = re.compile(r"^(\s*\[?!\[[^\]]*\]\([^)]*\)(\]\([^)]*\))?\s*)+$")

_IMAGE_RE: Final = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK_RE: Final = re.compile(r"\[([^\]]*)\]\(([^)\s]*)(?:\s+\"[^\"]*\")?\)")
_AUTOLINK_RE: Final = re.compile(r"<(https?://[^>]+)>")
_HTML_TAG_RE: Final = re.compile(r"</?[a-zA-Z][^>]*>")
_EMPHASIS_RE: Final = re.compile(r"(\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)|~~)")
_CODE_SPAN_RE: Final = re.compile(r"`+([^`]*)`+")
_ESCAPE_RE: Final = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>])")
_SPACES_RE: Final = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Block:
    kind: BlockKind
    markdown: str
    level: int = 0  # heading level; 0 for other blocks

    @property
    def text(self) -> str:
        """The block's words as plain text (code and tables stay as they are)."""
        if self.kind == "heading":
            return inline_text(_HEADING_RE.sub(r"\2", self.markdown))
        if self.kind in ("code", "rule", "image"):
            return ""
        if self.kind == "list":
            return "\n".join(inline_text(_ITEM_RE.sub("", i, count=1)) for i in list_items(self))
        if self.kind == "quote":
            lines = (re.sub(r"^\s{0,3}>\s?", "", ln) for ln in self.markdown.splitlines())
            return inline_text(" ".join(lines))
        return inline_text(self.markdown)


def inline_text(markdown: str) -> str:
    """Inline Markdown to the plain words it reads as, whitespace folded."""
    text = _IMAGE_RE.sub("", markdown)
    text = _LINK_RE.sub(r"\1", text)
    text = _AUTOLINK_RE.sub(r"\1", text)
    text = _CODE_SPAN_RE.sub(r"\1", text)
    text = _HTML_TAG_RE.sub("", text)
    text = _EMPHASIS_RE.sub("", text)
    text = _ESCAPE_RE.sub(r"\1", text)
    return _SPACES_RE.sub(" ", text).strip()


def strip_links(markdown: str) -> str:
    """Links become their text; for personas whose reader does not follow them."""
    return _AUTOLINK_RE.sub(r"\1", _LINK_RE.sub(r"\1", markdown))


def list_items(block: Block) -> list[str]:
    """A list block's top-level items, each with its own nested lines."""
    items: list[list[str]] = []
    base: int | None = None
    for line in block.markdown.splitlines():
        m = _ITEM_RE.match(line)
        indent = len(m.group(1)) if m else 99
        if m and (base is None or indent <= base):
            base = indent if base is None else base
            items.append([line])
        elif items:
            items[-1].append(line)
        else:
            items.append([line])
    return ["\n".join(i) for i in items]


def parse_blocks(markdown: str) -> list[Block]:
    lines = markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[Block] = []
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        fence = _FENCE_RE.match(line)
        if fence:
            end = _fence_end(lines, i, fence.group(1))
            blocks.append(Block("code", "\n".join(lines[i : end + 1])))
            i = end + 1
            continue
        heading = _HEADING_RE.match(line)
        if heading:
            blocks.append(Block("heading", line.strip(), level=len(heading.group(1))))
            i += 1
            continue
        if _RULE_RE.match(line):
            blocks.append(Block("rule", "---"))
            i += 1
            continue
        kind, end = _run(lines, i)
        body = "\n".join(ln.rstrip() for ln in lines[i:end])
        if kind == "paragraph" and _ONLY_IMAGES_RE.match(body):
            kind = "image"
        blocks.append(Block(kind, body))
        i = end
    return blocks


def _fence_end(lines: list[str], start: int, fence: str) -> int:
    for j in range(start + 1, len(lines)):
        if lines[j].strip().startswith(fence[0] * len(fence)) and not lines[j].strip(fence[0]):
            return j
    return len(lines) - 1  # an unclosed fence runs to the end, as CommonMark says


def _run(lines: list[str], start: int) -> tuple[BlockKind, int]:
    """The kind of the block starting at ``start`` and the index just past it."""
    first = lines[start]
    if _QUOTE_RE.match(first):
        kind: BlockKind = "quote"
    elif _ITEM_RE.match(first):
        kind = "list"
    elif "|" in first and start + 1 < len(lines) and _TABLE_RULE_RE.match(lines[start + 1]):
        kind = "table"
    else:
        kind = "paragraph"
    j = start + 1
    while j < len(lines):
        line = lines[j]
        if not line.strip():
            # A list continues over blank lines when the next line is an item or indented.
            nxt = lines[j + 1] if j + 1 < len(lines) else ""
            if kind == "list" and (_ITEM_RE.match(nxt) or nxt.startswith(("  ", "\t"))):
                j += 1
                continue
            break
        nested = kind == "list" and line.startswith(("  ", "\t"))
        if (_FENCE_RE.match(line) or _HEADING_RE.match(line)) and not nested:
            break
        if kind == "paragraph" and (_QUOTE_RE.match(line) or _ITEM_RE.match(line)):
            break
        if kind == "quote" and not _QUOTE_RE.match(line):
            break
        if kind == "table" and "|" not in line:
            break
        j += 1
    return kind, j
