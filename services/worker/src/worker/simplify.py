"""Sentence simplification for plain-language personas (pure, rule-based).

Two moves that lower the reading grade without inventing content: split long
compound sentences at their joints, and swap formal words for everyday ones.
Quoted speech is never touched: a changed quote is a misquote.
"""

from __future__ import annotations

import re
from typing import Final

PLAIN_WORDS: Final = {
    "utilize": "use",
    "utilise": "use",
    "utilizes": "uses",
    "utilization": "use",
    "approximately": "about",
    "commence": "start",
    "commenced": "started",
    "demonstrate": "show",
    "demonstrates": "shows",
    "demonstrated": "showed",
    "facilitate": "help",
    "facilitates": "helps",
    "subsequently": "later",
    "additional": "more",
    "numerous": "many",
    "sufficient": "enough",
    "assist": "help",
    "assistance": "help",
    "obtain": "get",
    "obtained": "got",
    "purchase": "buy",
    "purchased": "bought",
    "require": "need",
    "requires": "needs",
    "required": "needed",
    "individuals": "people",
    "modify": "change",
    "modified": "changed",
    "terminate": "end",
    "indicate": "show",
    "indicates": "shows",
    "initiate": "start",
    "objective": "goal",
    "frequently": "often",
    "consequently": "so",
    "therefore": "so",
    "nevertheless": "still",
    "prior to": "before",
    "in order to": "to",
    "a number of": "some",
    "in addition": "also",
    "with regard to": "about",
    "in the event that": "if",
    "at this point in time": "now",
    "due to the fact that": "because",
    "is able to": "can",
    "are able to": "can",
    "has the ability to": "can",
}
_PLAIN_RE: Final = re.compile(
    r"\b(" + "|".join(re.escape(k) for k in sorted(PLAIN_WORDS, key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)
# Joints where a compound sentence splits into two that each stand alone.
_JOINTS: Final = (
    (re.compile(r";\s+"), ""),
    (re.compile(r",\s+but\s+"), "But "),
    (re.compile(r",\s+so\s+"), "So "),
    (re.compile(r",\s+and\s+(?=(?:the|this|it|they|we|you|he|she|there|[A-Z])\b)"), ""),
    (re.compile(r",\s+because\s+"), "This is because "),
    (re.compile(r",\s+while\s+"), "Meanwhile, "),
    (re.compile(r",\s+which\s+"), "This "),
    (re.compile(r"\s+—\s+|\s+--\s+"), ""),
)
_QUOTE_MARKS: Final = ('"', "“", "”", "`")
_PAREN_RE: Final = re.compile(r"\s*\((?![A-Z0-9]{2,10}\))[^()\d]{12,}\)")


def plain_words(sentence: str) -> str:
    """Everyday words for formal ones, keeping a leading capital."""

    def swap(m: re.Match[str]) -> str:
        word = m.group(1)
        plain = PLAIN_WORDS[word.lower()]
        return plain[0].upper() + plain[1:] if word[0].isupper() else plain

    return _PLAIN_RE.sub(swap, sentence)


def simplify(sentence: str, max_words: int) -> list[str]:
    """One sentence as one or more shorter ones; unchanged when nothing safe applies."""
    if any(q in sentence for q in _QUOTE_MARKS):
        return [sentence]
    text = plain_words(_PAREN_RE.sub("", sentence))
    return _split(text, max_words, depth=0)


def _split(text: str, max_words: int, depth: int) -> list[str]:
    if len(text.split()) <= max_words or depth > 4:
        return [text]
    for joint, lead in _JOINTS:
        for m in joint.finditer(text):
            left, right = text[: m.start()].strip(), text[m.end() :].strip()
            if len(left.split()) < 5 or len(right.split()) < 5 or "[" in left[-3:]:
                continue
            first = _close(left)
            second = _open(lead, right)
            return _split(first, max_words, depth + 1) + _split(second, max_words, depth + 1)
    return [text]


def _close(text: str) -> str:
    text = text.rstrip(",;:—- ")
    return text if text.endswith((".", "!", "?")) else text + "."


def _open(lead: str, text: str) -> str:
    if lead:
        return lead + text[0].lower() + text[1:] if text[:2] != text[:2].upper() else lead + text
    return text[0].upper() + text[1:]
