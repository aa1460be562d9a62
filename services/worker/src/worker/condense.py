"""The article body, prepared for a persona and trimmed to a word budget (pure).

Trimming works on whole blocks, best first, and puts the survivors back in
article order under their headings. What the persona keeps (code, tables,
quotes, numbers) is ranked above prose; a paragraph that does not fit whole may
still contribute its best sentences, and a list its first items.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Final

from jobcore.personas import PersonaSpec

from worker.mdblocks import Block, list_items, strip_links
from worker.readability_stats import markdown_word_count
from worker.sentences import split_sentences
from worker.simplify import simplify
from worker.summarize import GRADE_SLACK, Sentence

_INLINE_IMAGE_RE: Final = re.compile(r"\[?!\[[^\]]*\]\([^)]*\)(?:\]\([^)]*\))?")
_DIGIT_RE: Final = re.compile(r"\d")
_ITEM_MARK_RE: Final = re.compile(r"^(\s*(?:[-*+]|\d{1,9}[.)])\s+)(.*)$")
_DEPENDENT_RE: Final = re.compile(
    r"^(?:so|but|and|or|this|that|these|those|it|its|they|he|she|however|also|then|"
    r"meanwhile|therefore|thus|instead|still)\b",
    re.IGNORECASE,
)
# Below this many words a condensed paragraph reads as a fragment; leave it out.
MIN_PIECE_WORDS: Final = 8


def prepare(blocks: list[Block], persona: PersonaSpec) -> list[Block]:
    """Blocks as this persona reads them: links, images and long sentences adjusted."""
    keep = persona.keep
    out: list[Block] = []
    for b in blocks:
        if b.kind == "rule" or (b.kind == "image" and not keep.images):
            continue
        md = b.markdown
        if b.kind not in ("code", "heading"):
            if not keep.links:
                md = strip_links(md)
            if not keep.images and b.kind != "image":
                md = _INLINE_IMAGE_RE.sub("", md).strip()
            if persona.reading.simplify and b.kind in ("paragraph", "list"):
                md = _simplified(md, b.kind, persona.reading.max_sentence_words)
        if md.strip():
            out.append(Block(b.kind, md, b.level))
    return out


def _simplified(md: str, kind: str, max_words: int) -> str:
    if kind == "paragraph":
        return " ".join(p for s in split_sentences(md) for p in simplify(s, max_words))
    lines = []
    for line in md.splitlines():
        m = _ITEM_MARK_RE.match(line)
        if m:
            body = " ".join(p for s in split_sentences(m.group(2)) for p in simplify(s, max_words))
            lines.append(m.group(1) + body)
        else:
            lines.append(line)
    return "\n".join(lines)


def render_block(b: Block, title: str) -> str:
    """A block as it appears under the persona's content heading (headings pushed down)."""
    if b.kind == "heading":
        if b.text.casefold() == title.casefold():
            return ""
        return "#" * min(6, max(3, b.level + 1)) + " " + b.text
    return b.markdown


def trim(
    blocks: list[Block],
    sentences: list[Sentence],
    persona: PersonaSpec,
    budget: int,
    title: str,
) -> list[str]:
    """The rendered content blocks that fit ``budget`` words, in article order."""
    if budget < MIN_PIECE_WORDS or not blocks:
        return []
    by_block: dict[int, list[Sentence]] = defaultdict(list)
    for s in sentences:
        by_block[s.block].append(s)
    parents = _heading_parents(blocks)
    ranked = sorted(
        (
            (v, i)
            for i, b in enumerate(blocks)
            if (v := _value(b, by_block[i], persona)) is not None
        ),
        key=lambda p: (-p[0], p[1]),
    )
    chosen: dict[int, str] = {}
    left = budget
    # With a reading target, paragraphs are rebuilt from their readable sentences only.
    plain_only = persona.reading.target_grade is not None
    for _, i in ranked:
        if left < MIN_PIECE_WORDS:
            break
        heads = [h for h in parents[i] if h not in chosen]
        head_md = {h: render_block(blocks[h], title) for h in heads}
        head_cost = sum(markdown_word_count(m) for m in head_md.values())
        room = left - head_cost
        if room < MIN_PIECE_WORDS:
            continue
        md = _fit(blocks[i], _readable(by_block[i], persona), room, title, plain_only)
        if md is None:
            continue
        chosen.update(head_md)
        chosen[i] = md
        left -= head_cost + markdown_word_count(md)
    order = sorted(chosen)
    for i in order:
        if chosen[i].endswith(":") and i + 1 not in chosen:
            # The list or code this line introduced was trimmed away.
            chosen[i] = chosen[i][:-1] + "."
    return [chosen[i] for i in order if chosen[i]]


def _value(b: Block, sents: list[Sentence], persona: PersonaSpec) -> float | None:
    """How much a block is worth keeping; None when the persona never shows it."""
    keep = persona.keep
    if b.kind == "heading":
        return None  # headings come with the blocks under them
    if b.kind == "code":
        return 2.0 if keep.code else None
    if b.kind == "table":
        return 0.9 if keep.tables else None
    if b.kind == "image":
        return 0.15
    if not sents:
        return None
    scores = sorted((s.score for s in sents), reverse=True)
    value = 0.6 * scores[0] + 0.4 * sum(scores) / len(scores)
    if b.kind == "quote" and keep.quotes:
        value += 0.4
    if keep.numbers and _DIGIT_RE.search(b.markdown):
        value += 0.1
    return value


def _readable(sents: list[Sentence], persona: PersonaSpec) -> list[Sentence]:
    target = persona.reading.target_grade
    if target is None:
        return sents
    return [s for s in sents if s.grade <= target + GRADE_SLACK]


def _fit(b: Block, sents: list[Sentence], room: int, title: str, plain_only: bool) -> str | None:
    md = render_block(b, title)
    if plain_only and b.kind == "paragraph":
        return _condense(sents, room) if sents else None
    if markdown_word_count(md) <= room:
        return md
    if b.kind == "paragraph" and sents:
        return _condense(sents, room)
    if b.kind == "list":
        items = list_items(b)
        kept: list[str] = []
        for item in items:
            if markdown_word_count("\n".join([*kept, item])) > room:
                break
            kept.append(item)
        if kept and markdown_word_count("\n".join(kept)) >= MIN_PIECE_WORDS:
            return "\n".join(kept)
    return None


def _condense(sents: list[Sentence], room: int) -> str | None:
    kept: list[Sentence] = []
    used = 0
    for s in sorted(sents, key=lambda s: (-s.score, s.index)):
        cost = markdown_word_count(s.markdown)
        if used + cost <= room:
            kept.append(s)
            used += cost
    kept_ids = {s.index for s in kept}
    # "So it failed." means nothing without the sentence before it: drop such orphans.
    kept = [s for s in kept if not _DEPENDENT_RE.match(s.text) or s.index - 1 in kept_ids]
    if sum(markdown_word_count(s.markdown) for s in kept) < MIN_PIECE_WORDS:
        return None
    return " ".join(s.markdown for s in sorted(kept, key=lambda s: s.index))


def _heading_parents(blocks: list[Block]) -> list[list[int]]:
    """For each block, the headings it sits under, outermost first."""
    stack: list[int] = []
    out: list[list[int]] = []
    for i, b in enumerate(blocks):
        if b.kind == "heading":
            while stack and blocks[stack[-1]].level >= b.level:
                stack.pop()
            out.append(list(stack))
            stack.append(i)
        else:
            out.append(list(stack))
    return out
