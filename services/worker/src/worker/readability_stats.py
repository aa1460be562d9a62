"""Words, syllables and readability formulas over plain text and Markdown (pure).

The formulas are the classic Flesch reading ease and Flesch-Kincaid grade; the
syllable count is a heuristic (vowel groups with the usual English corrections),
close enough to ``textstat`` to steer the engine and to report a level.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final, NamedTuple

_WORD_RE: Final = re.compile(r"[^\W_](?:[\w'’.-]*[^\W_])?")
_VOWELS_RE: Final = re.compile(r"[aeiouy]+")
_SENTENCE_END_RE: Final = re.compile(r"[.!?]+(?=\s|$)|\n{2,}")

# Markdown syntax that is not words the reader reads.
_FENCE_RE: Final = re.compile(r"^(```|~~~).*$", re.MULTILINE)
_IMAGE_RE: Final = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK_RE: Final = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_AUTOLINK_RE: Final = re.compile(r"<(https?://[^>]+)>")
_HTML_TAG_RE: Final = re.compile(r"</?[a-zA-Z][^>]*>")
_MARKUP_RE: Final = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+(?:\[[ xX]\]\s+)?|\d+[.)]\s+)")
_EMPHASIS_RE: Final = re.compile(r"(\*\*|__|\*|`+|~~)")
_TABLE_RULE_RE: Final = re.compile(r"^\s*\|?\s*:?-{2,}.*$", re.MULTILINE)


def markdown_to_text(markdown: str) -> str:
    """The words a reader sees: links and images reduced to their text, markup dropped."""
    text = _FENCE_RE.sub("", markdown)
    text = _TABLE_RULE_RE.sub("", text)
    text = _IMAGE_RE.sub(r"\1", text)
    text = _LINK_RE.sub(r"\1", text)
    text = _AUTOLINK_RE.sub(r"\1", text)
    text = _HTML_TAG_RE.sub("", text)
    lines = [_MARKUP_RE.sub("", line) for line in text.splitlines()]
    text = "\n".join(lines).replace("|", " ")
    return _EMPHASIS_RE.sub("", text)


def words(text: str) -> list[str]:
    """Word tokens: runs of letters/digits, keeping inner apostrophes, dots and hyphens."""
    return _WORD_RE.findall(text)


def count_words(text: str) -> int:
    return len(_WORD_RE.findall(text))


def markdown_word_count(markdown: str) -> int:
    return count_words(markdown_to_text(markdown))


@lru_cache(maxsize=1 << 16)
def syllables(word: str) -> int:
    w = word.lower().strip("'’.-")
    if not w:
        return 0
    if any(c.isdigit() for c in w):
        # Numbers are read aloud in about as many syllables as they have digit groups.
        return max(1, len(re.findall(r"\d+", w)))
    if len(w) <= 3:
        return 1
    count = len(_VOWELS_RE.findall(w))
    if w.endswith("e") and not w.endswith(("le", "ee", "ye")):
        count -= 1
    if w.endswith(("ed", "es")) and not w.endswith(("ted", "ded", "ses", "zes", "ches", "shes")):
        count -= 1
    if re.search(r"[aeiou](ia|io|ua|eo)", w):  # "-tion" style pairs are one; these are two
        count += 1
    return max(1, count)


class Readability(NamedTuple):
    words: int
    sentences: int
    syllables: int
    reading_ease: float
    grade: float

    @property
    def label(self) -> str:
        """Flesch's own bands, in words a reader understands."""
        ease = self.reading_ease
        for floor, name in _BANDS:
            if ease >= floor:
                return name
        return "very difficult"


_BANDS: Final = (
    (90.0, "very easy"),
    (80.0, "easy"),
    (70.0, "fairly easy"),
    (60.0, "plain English"),
    (50.0, "fairly difficult"),
    (30.0, "difficult"),
)


def readability(text: str) -> Readability:
    """Flesch reading ease and Flesch-Kincaid grade; an empty text scores as neutral."""
    tokens = words(text)
    n_words = len(tokens)
    if n_words == 0:
        return Readability(0, 0, 0, 0.0, 0.0)
    n_sentences = max(1, len([p for p in _SENTENCE_END_RE.split(text) if words(p)]))
    n_syllables = sum(syllables(t) for t in tokens)
    wps = n_words / n_sentences
    spw = n_syllables / n_words
    ease = 206.835 - 1.015 * wps - 84.6 * spw
    grade = 0.39 * wps + 11.8 * spw - 15.59
    return Readability(n_words, n_sentences, n_syllables, round(ease, 1), round(grade, 1))
