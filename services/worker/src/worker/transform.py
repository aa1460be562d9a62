"""The built-in engine: Article + PersonaSpec -> TransformResult, with no network (pure).

Extractive throughout: every sentence in the output is the article's own (at
most split or plainer-worded for plain-language personas), so nothing is
invented. The persona file decides which sections appear, in which order, under
which headings, and the word budget the whole rendering must fit.

Budgeting: the summary-like sections are built first; the article body then
gets whatever budget is left; if the total is still over (long titles, long
bullets), items are dropped from the least essential section until it fits.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from jobcore.errors import ProcessingError
from jobcore.jobid import TRANSFORM_VERSION
from jobcore.models import ArticleMetadata, TransformResult
from jobcore.personas import PersonaSpec

from worker import condense, persona_sections
from worker.article import Article
from worker.mdblocks import Block, parse_blocks
from worker.readability_stats import count_words, markdown_to_text, markdown_word_count, readability
from worker.summarize import (
    ScoreWeights,
    Sentence,
    readable,
    score_sentences,
    select,
    sentences_of,
)

ENGINE_NAME: Final = f"builtin/{TRANSFORM_VERSION}"
WORDS_PER_MINUTE: Final = 230
MAX_TITLE_WORDS: Final = 24
SOURCE_SAMPLE_CHARS: Final = 60_000
# Sections dropped first when the rendering is over budget; the TL;DR goes last.
_TRIM_ORDER: Final = (
    "content",
    "glossary",
    "outline",
    "action_items",
    "why_it_matters",
    "key_points",
    "tldr",
)
# The reading-level line is written last (it measures the rest), so its size is reserved
# with a line at least as long as any real one.
_READING_PLACEHOLDER: Final = (
    "Flesch reading ease: 100.0 (very difficult). Flesch-Kincaid grade: 10.0. "
    "The original: grade 10.0, very difficult."
)


@dataclass(slots=True)
class Part:
    """One rendered section: a heading and items joined by ``joiner``."""

    section: str
    title: str
    items: list[str]
    joiner: str = "\n"
    keep_at_least: int = 0

    def render(self) -> str:
        return f"## {self.title}\n\n" + self.joiner.join(self.items) if self.items else ""


def transform(article: Article, persona: PersonaSpec) -> TransformResult:
    source = article.markdown if count_words(markdown_to_text(article.markdown)) else ""
    if not source:
        # Plain text (a pasted text, or an extractor that found no structure): paragraphs.
        source = "\n\n".join(p.strip() for p in article.text.split("\n\n") if p.strip())
    if not count_words(markdown_to_text(source)):
        raise ProcessingError("empty_content", "the page has no readable text to transform")

    blocks = condense.prepare(parse_blocks(source), persona)
    title = _title(article, blocks)
    sentences = sentences_of(blocks)
    score_sentences(
        sentences,
        title,
        _section_headings(blocks),
        ScoreWeights(
            persona.reading.max_sentence_words,
            persona.keep.numbers,
            persona.reading.target_grade,
        ),
    )
    rule = persona.summary
    # Plain-language personas pick every extract from the sentences they can read.
    candidates = readable(sentences, persona.reading.target_grade)
    summary = select(candidates, rule.sentences) or select(sentences, rule.sentences, min_words=1)
    used = frozenset(s.index for s in summary)
    key_points = select(candidates, rule.key_points, exclude=used, max_similarity=0.5, spread=0.1)
    used |= {s.index for s in key_points}

    parts = _fixed_parts(persona, blocks, candidates, summary, key_points, used, title)
    header = f"# {_short(title, MAX_TITLE_WORDS)}"
    markdown = _fit(header, parts, blocks, sentences, persona, title, source)

    words = markdown_word_count(markdown)
    return TransformResult(
        title=title,
        summary=" ".join(s.text for s in summary),
        key_points=[s.text for s in key_points],
        markdown=markdown,
        word_count=words,
        reading_time_minutes=max(1, math.ceil(words / WORDS_PER_MINUTE)),
        persona=persona.name,
        engine=ENGINE_NAME,
        source_url=article.url,
        metadata=ArticleMetadata(
            byline=article.byline,
            language=article.language,
            site_name=article.site_name,
            published_time=article.published_time,
            canonical_url=article.canonical_url,
            excerpt=article.excerpt,
        ),
    )


def _title(article: Article, blocks: list[Block]) -> str:
    title = " ".join(article.title.split())
    if title:
        return title
    heading = next((b.text for b in blocks if b.kind == "heading" and b.text), "")
    if heading:
        return heading
    first = next((b.text for b in blocks if b.text), "")
    return _short(first, 10) or "Untitled"


def _short(text: str, limit: int) -> str:
    words = text.split()
    return text if len(words) <= limit else " ".join(words[:limit]) + " …"


def _section_headings(blocks: list[Block]) -> dict[int, str]:
    heads = [b.text for b in blocks if b.kind == "heading"]
    return {n: text for n, text in enumerate(heads, start=1)}


def _fixed_parts(
    persona: PersonaSpec,
    blocks: list[Block],
    sentences: list[Sentence],
    summary: list[Sentence],
    key_points: list[Sentence],
    used: frozenset[int],
    title: str,
) -> dict[str, Part]:
    """Every section except the article body and the reading-level line."""
    rule = persona.summary
    parts: dict[str, Part] = {}
    for sid in persona.sections:
        heading = persona.title_for(sid)
        if sid == "tldr":
            parts[sid] = Part(sid, heading, [s.text for s in summary], " ", keep_at_least=1)
        elif sid == "key_points":
            parts[sid] = Part(sid, heading, [f"- {s.text}" for s in key_points])
        elif sid == "why_it_matters":
            picked = persona_sections.why_it_matters(sentences, rule.why_it_matters, used)
            parts[sid] = Part(sid, heading, [s.text for s in picked], " ")
        elif sid == "action_items":
            picked = persona_sections.action_items(sentences, rule.action_items, used)
            parts[sid] = Part(sid, heading, [f"- {s.text}" for s in picked])
        elif sid == "glossary":
            terms = persona_sections.glossary(sentences, rule.glossary_terms)
            parts[sid] = Part(sid, heading, [f"- **{e.term}**: {e.definition}" for e in terms])
        elif sid == "outline":
            heads = persona_sections.outline(blocks, title)
            parts[sid] = Part(sid, heading, [f"{'  ' * e.depth}- {e.text}" for e in heads])
    return parts


def _fit(
    header: str,
    parts: dict[str, Part],
    blocks: list[Block],
    sentences: list[Sentence],
    persona: PersonaSpec,
    title: str,
    source: str,
) -> str:
    budget = persona.max_words
    wants_reading = "reading_level" in persona.sections
    reading = Part("reading_level", persona.title_for("reading_level"), [_READING_PLACEHOLDER])

    def assemble() -> str:
        chunks = [header]
        for sid in persona.sections:
            part = reading if sid == "reading_level" else parts.get(sid)
            if part is not None and part.items:
                chunks.append(part.render())
        return "\n\n".join(chunks) + "\n"

    _shrink(parts, assemble, budget)
    if "content" in persona.sections:
        heading = persona.title_for("content")
        room = budget - markdown_word_count(assemble()) - markdown_word_count(heading)
        body = condense.trim(blocks, sentences, persona, room, title)
        parts["content"] = Part("content", heading, body, "\n\n")
        _shrink(parts, assemble, budget)
    if wants_reading:
        reading.items = [_reading_line(assemble(), source, reading)]
    return assemble()


def _shrink(parts: dict[str, Part], assemble: Callable[[], str], budget: int) -> None:
    """Drop trailing items, least essential section first, until the rendering fits."""
    for sid in _TRIM_ORDER:
        part = parts.get(sid)
        while part is not None and len(part.items) > part.keep_at_least:
            if markdown_word_count(assemble()) <= budget:
                return
            part.items.pop()
    # Only the one-sentence TL;DR and the title are left; cut the sentence to size.
    tldr = parts.get("tldr")
    if tldr is not None and tldr.items:
        over = markdown_word_count(assemble()) - budget
        if over > 0:
            keep = max(0, count_words(tldr.items[0]) - over - 1)
            tldr.items[0] = _short(tldr.items[0], keep) if keep else ""
            tldr.items = [i for i in tldr.items if i]


def _reading_line(markdown: str, source: str, reading: Part) -> str:
    body = markdown.replace(reading.render(), "")
    now = readability(markdown_to_text(body))
    # The source's level is a statistic; its first part measures it as well as the whole.
    before = readability(markdown_to_text(source[:SOURCE_SAMPLE_CHARS]))
    return (
        f"Flesch reading ease: {now.reading_ease:.1f} ({now.label}). "
        f"Flesch-Kincaid grade: {now.grade:.1f}. "
        f"The original: grade {before.grade:.1f}, {before.label}."
    )
