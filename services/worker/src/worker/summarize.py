"""Extractive summarization: score every sentence, then pick salient, non-redundant ones (pure).

A sentence's score mixes term frequency (stopwords out), its position in the
article and in its paragraph, overlap with the title and with the heading above
it, and the persona's reading target (long sentences lose points). Selection is
maximal marginal relevance, so the summary covers the article instead of
repeating its opening; ties always break on position, so output is deterministic.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Final

from worker.mdblocks import Block, list_items
from worker.readability_stats import count_words, readability
from worker.sentences import plain, split_sentences, terms

_ITEM_MARK_RE: Final = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+")
_DIGIT_RE: Final = re.compile(r"\d")
# Text that survives extraction but is not the article: captions, credits, promos, URLs.
_BOILERPLATE_RE: Final = re.compile(
    r"https?://|www\.|\((?:image|photo|picture|credit|source|pictured)\b|\b(?:credit|photo|image)s?:"
    r"|\bgetty\b|\bvia (?:reuters|ap|afp|getty)\b|\bcitation:|\bretrieved\b|\ball rights reserved"
    r"|©|\bclick here\b|\bsign up\b|\bsubscribe\b|\bnewsletter\b|\badvertisement\b"
    r"|\bread more\b|\bfollow us\b|\bshare this\b|\s\|\s|^tags\b",
    re.IGNORECASE,
)
_DEPENDENT_RE: Final = re.compile(r"^(?:but|and|or|so|this|that|these|those|it|they|also)\b", re.I)
_BAG_RE: Final = re.compile(r"\w+")
# How far above the persona's target grade a single sentence may be and still be shown.
GRADE_SLACK: Final = 2.0
_EMPHASIS_ONLY_RE: Final = re.compile(r"^\s*([*_]).+\1\s*$", re.DOTALL)
# Past this many sentences the tail adds little salience and costs time; very long
# inputs are still rendered, only scored by their first part.
MAX_SCORED_SENTENCES: Final = 4000


@dataclass(slots=True)
class Sentence:
    index: int  # position among all sentences
    block: int  # index of the block it came from
    markdown: str
    text: str
    terms: frozenset[str]
    words: int
    section: int  # index of the heading section it sits in (0 before any heading)
    first_in_block: bool
    kind: str  # paragraph, list or quote
    caption: bool = False  # right under an image, or a paragraph set entirely in italics
    score: float = 0.0
    grade: float = 0.0  # Flesch-Kincaid grade of this sentence alone
    term_list: list[str] = field(default_factory=list)
    bag: frozenset[str] = frozenset()  # every word, stopwords included, for duplicate checks


@dataclass(frozen=True, slots=True)
class ScoreWeights:
    max_sentence_words: int = 40
    numbers: bool = True
    target_grade: float | None = None


def sentences_of(blocks: list[Block]) -> list[Sentence]:
    """Every prose sentence with where it sits; headings open sections, code is skipped."""
    out: list[Sentence] = []
    section = 0
    for b_index, block in enumerate(blocks):
        if block.kind == "heading":
            section += 1
            continue
        caption = block.kind == "paragraph" and (
            (b_index > 0 and blocks[b_index - 1].kind == "image")
            or bool(_EMPHASIS_ONLY_RE.match(block.markdown))
        )
        for piece, first in _pieces(block):
            for s_index, md in enumerate(split_sentences(piece)):
                text = plain(md)
                n_words = count_words(text)
                if n_words == 0:
                    continue
                tl = terms(text)
                out.append(
                    Sentence(
                        index=len(out),
                        block=b_index,
                        markdown=md,
                        text=text,
                        terms=frozenset(tl),
                        words=n_words,
                        section=section,
                        first_in_block=first and s_index == 0,
                        kind=block.kind,
                        caption=caption,
                        grade=readability(text).grade,
                        term_list=tl,
                        bag=frozenset(w.lower() for w in _BAG_RE.findall(text)),
                    )
                )
    return out


def _pieces(block: Block) -> list[tuple[str, bool]]:
    if block.kind == "paragraph":
        return [(block.markdown, True)]
    if block.kind == "list":
        items = list_items(block)
        return [(_ITEM_MARK_RE.sub("", i.splitlines()[0]), n == 0) for n, i in enumerate(items)]
    if block.kind == "quote":
        lines = (re.sub(r"^\s{0,3}>\s?", "", ln) for ln in block.markdown.splitlines())
        return [(" ".join(lines), True)]
    return []


def score_sentences(
    sentences: list[Sentence],
    title: str,
    headings: dict[int, str],
    weights: ScoreWeights,
) -> None:
    """Set ``score`` on each sentence, in place; scores are comparable within one article."""
    scored = sentences[:MAX_SCORED_SENTENCES]
    if not scored:
        return
    tf = Counter(t for s in scored for t in s.term_list)
    max_tf = max(tf.values(), default=1)
    title_terms = frozenset(terms(title))
    heading_terms = {k: frozenset(terms(v)) for k, v in headings.items()}
    raw = [
        sum(tf[t] / max_tf for t in s.terms) / math.sqrt(len(s.terms)) if s.terms else 0.0
        for s in scored
    ]
    top = max(raw) or 1.0
    n = len(scored)
    for s, r in zip(scored, raw, strict=True):
        score = 0.5 * r / top
        score += 0.15 * (1.0 - s.index / n)  # earlier is usually more central
        score += 0.1 if s.index < 3 else 0.0  # the lede
        score += 0.05 if s.first_in_block else 0.0  # topic sentences open paragraphs
        if title_terms:
            score += 0.25 * len(s.terms & title_terms) / len(title_terms)
        h_terms = heading_terms.get(s.section)
        if h_terms:
            score += 0.1 * len(s.terms & h_terms) / len(h_terms)
        score -= _shape_penalty(s, weights)
        if weights.numbers and _DIGIT_RE.search(s.text):
            score += 0.05
        s.score = round(score, 6)  # rounding keeps ties stable across platforms
    for s in sentences[MAX_SCORED_SENTENCES:]:
        s.score = -1.0


def _shape_penalty(s: Sentence, w: ScoreWeights) -> float:
    penalty = 0.0
    if s.words < 6:
        penalty += 0.35  # fragments, captions, bylines
    if s.words > w.max_sentence_words:
        penalty += min(0.5, 0.025 * (s.words - w.max_sentence_words))
    if s.text.endswith((":", "?")):
        penalty += 0.25  # lead-ins to lists and rhetorical questions summarise nothing
    if s.kind == "quote":
        penalty += 0.05
    if s.caption:
        penalty += 0.4
    if _DEPENDENT_RE.match(s.text):
        penalty += 0.15  # "But it failed." leans on a sentence the reader will not see
    if _BOILERPLATE_RE.search(s.text):
        penalty += 0.6
    if w.target_grade is not None and s.grade > w.target_grade:
        # Plain-language readers: a hard sentence must be much more salient to win.
        penalty += min(0.9, 0.1 * (s.grade - w.target_grade))
    return penalty


def readable(sentences: list[Sentence], target_grade: float | None) -> list[Sentence]:
    """The sentences a reader with this target can read; all of them when none qualify."""
    if target_grade is None:
        return sentences
    easy = [s for s in sentences if s.grade <= target_grade + GRADE_SLACK]
    return easy or sentences


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Overlap relative to the smaller sentence, so a sentence contained in another is a dup."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def select(
    candidates: list[Sentence],
    k: int,
    *,
    exclude: frozenset[int] = frozenset(),
    max_similarity: float = 0.6,
    spread: float = 0.0,
    min_words: int = 4,
) -> list[Sentence]:
    """Maximal marginal relevance: best score minus redundancy with what is already chosen.

    ``spread`` penalises a second pick from the same section, for coverage.
    Returns the picks in article order.
    """
    pool = [
        s for s in candidates if s.index not in exclude and s.score > -1.0 and s.words >= min_words
    ]
    # Best score first: a pick's value never exceeds its score, so the scan can stop early.
    pool.sort(key=lambda s: (-s.score, s.index))
    chosen: list[Sentence] = []
    while pool and len(chosen) < k:
        best: tuple[float, int] | None = None
        best_s: Sentence | None = None
        for s in pool:
            if best is not None and s.score < best[0]:
                break
            sim = max(
                (max(similarity(s.terms, c.terms), similarity(s.bag, c.bag)) for c in chosen),
                default=0.0,
            )
            if sim > max_similarity:
                continue
            same_section = sum(1 for c in chosen if c.section == s.section)
            value = s.score - 0.3 * sim - spread * same_section
            key = (value, -s.index)
            if best is None or key > best:
                best, best_s = key, s
        if best_s is None:
            break
        chosen.append(best_s)
        pool.remove(best_s)
    return sorted(chosen, key=lambda s: s.index)
