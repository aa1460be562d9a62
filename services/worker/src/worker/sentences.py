"""Abbreviation-aware sentence splitting over inline Markdown, and term extraction (pure).

Sentences are cut from the Markdown itself (not from plain text) so a kept
sentence keeps its links and code spans; a boundary inside a link is ignored.
"""

from __future__ import annotations

import re
from typing import Final

from worker.mdblocks import inline_text

_BOUNDARY_RE: Final = re.compile(r"([.!?…]+)([\"'”’)\]*_]*)\s+(?=[\"'“‘(\[*_]*[A-Z0-9À-ÖØ-Þ])")
_LINK_SPAN_RE: Final = re.compile(r"!?\[[^\]]*\]\([^)]*\)|`[^`]*`")
_TOKEN_BEFORE_RE: Final = re.compile(r"([\w.'’-]+)$")
_TERM_RE: Final = re.compile(r"[a-z][a-z0-9'’-]*[a-z0-9]|[a-z]")

ABBREVIATIONS: Final = frozenset(
    """
    mr mrs ms dr prof sr jr st vs etc e.g i.e eg ie inc ltd co corp llc plc dept univ
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun
    fig figs no nos vol vols ch sec approx est al cf ca p pp ed eds rev gen gov sen rep
    lt col sgt capt cmdr adm mt ave blvd rd hwy ft km kg lb lbs oz min max misc
    u.s u.k u.n e.u a.m p.m ph.d m.d b.a m.a d.c n.y l.a
    """.split()  # noqa: SIM905 - a word list reads best as text
)

STOPWORDS: Final = frozenset(
    """
    a about above after again against all also am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does
    doesn't doing don't down during each even ever every few for from further get gets got had
    hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him
    himself his how how's however i i'd i'll i'm i've if in into is isn't it it's its itself
    just let's like made make makes many may me might more most much must mustn't my myself
    new no nor not now of off often on once one only or other ought our ours ourselves out
    over own per quite rather really said same say says see shan't she she'd she'll she's
    should shouldn't since so some such than that that's the their theirs them themselves then
    there there's these they they'd they'll they're they've this those though through thus to
    too two under until up upon us use used using very via was wasn't way we we'd we'll we're
    we've well were weren't what what's when when's where where's whether which while who
    who's whom why why's will with within without won't would wouldn't yet you you'd you'll
    you're you've your yours yourself yourselves
    """.split()  # noqa: SIM905 - a word list reads best as text
)


def split_sentences(markdown: str) -> list[str]:
    """Sentences of one paragraph of inline Markdown, in order, whitespace folded."""
    text = " ".join(markdown.split())
    if not text:
        return []
    protected = [(m.start(), m.end()) for m in _LINK_SPAN_RE.finditer(text)]
    out: list[str] = []
    start = 0
    for m in _BOUNDARY_RE.finditer(text):
        if _inside(m.start(), protected) or _is_abbreviation(text, m):
            continue
        cut = m.end(2)
        piece = text[start:cut].strip()
        if piece:
            out.append(piece)
        start = cut
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    # Spans are few per paragraph; a linear scan is cheaper than bisecting here.
    return any(a <= pos < b for a, b in spans)


def _is_abbreviation(text: str, m: re.Match[str]) -> bool:
    if m.group(1) != ".":
        return False
    # Look only at a short window: searching from 0 would be quadratic on long texts.
    before = _TOKEN_BEFORE_RE.search(text[max(0, m.start() - 40) : m.start()])
    if not before:
        return False
    token = before.group(1).lower().lstrip("'’-(")
    if token in ABBREVIATIONS:
        return True
    if len(token) == 1 and token.isalpha():
        return True  # an initial: "J. R. R. Tolkien"
    # Dotted acronyms ("U.S.A", "e.g") end in a letter right after a dot.
    return bool(re.fullmatch(r"(?:[a-z]\.)+[a-z]", token))


def stem(word: str) -> str:
    """A light plural/possessive fold, enough to match "servers" with "server"."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def terms(text: str) -> list[str]:
    """Content terms of plain text: lowercased, stopwords dropped, lightly stemmed."""
    return [stem(t) for t in _TERM_RE.findall(text.lower()) if t not in STOPWORDS and len(t) > 1]


def plain(markdown: str) -> str:
    return inline_text(markdown)
