"""Finders for the persona sections beyond the summary: glossary, actions, why-it-matters,
outline (pure). Each returns plain values; ``transform`` decides how they are rendered.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Final, NamedTuple

from worker.mdblocks import Block
from worker.sentences import STOPWORDS
from worker.summarize import Sentence

_ACRONYM_DEF_RE: Final = re.compile(
    r"\b((?:[A-Z][\w-]*\s+)(?:(?:of|for|and|the|to|in|[A-Za-z][\w-]*)\s+){0,4}[A-Za-z][\w-]*)"
    r"\s+\(([A-Z][A-Za-z0-9]{1,9})\)"
)
_IS_DEF_RE: Final = re.compile(
    r"^(?:(?:An?|The)\s+)?([A-Za-z][\w-]*(?:\s+[A-Za-z][\w-]*){0,3}?)(?:,[^,]{1,60},)?\s+"
    r"(?:is|are|refers to|means|describes|stands for)\s+"
    r"(?:a|an|the|when|how|what|one|any|that|used|where|called)\b"
)
_BOLD_RE: Final = re.compile(r"\*\*([^*\n]{2,48})\*\*|__([^_\n]{2,48})__")
_ACRONYM_RE: Final = re.compile(r"\b[A-Z][A-Z0-9]{1,6}s?\b")
_LONG_WORD_RE: Final = re.compile(r"\b[a-z][a-z-]{9,}\b")

IMPERATIVE_VERBS: Final = frozenset(
    """
    add adopt apply ask audit avoid back begin book build buy call cancel change check choose
    clean compare configure confirm consider contact create cut decide define delete deploy
    disable do document double-check download drink eat enable ensure enter establish evaluate
    find fix follow get give go identify implement include install invest join keep learn let
    limit list look make measure migrate monitor move note open pay pick plan prefer prepare
    prioritize prioritise protect put read reduce register remember remove replace report
    request review run save schedule see select send set share sign skip start stay stop store
    subscribe switch take talk tell test think try turn update upgrade use verify visit wait
    watch write
    """.split()  # noqa: SIM905 - a word list reads best as text
)
_IMPERATIVE_LEAD_RE: Final = re.compile(
    r"^(?:(?:first|then|next|finally|also|now|so|instead|always|just|please|today),?\s+)*"
    r"(don't|do not|never|always|[a-z][a-z-]+)\b",
    re.IGNORECASE,
)
_MODAL_RE: Final = re.compile(
    r"\b(should|(?<!a )must(?!-)|need to|needs to|have to|has to|ought to|recommends?|recommended|"
    r"make sure|be sure to|it is (?:important|essential|critical|vital) to)\b(?!\s+have\b)",
    re.IGNORECASE,
)
_WHY_RE: Final = re.compile(
    r"\b(because|so that|which means|this means|means that|matters?|important|significant|"
    r"impacts?|risks?|benefits?|costs?|saves?|enables?|allows?|leads? to|results? in|"
    r"consequences?|critical|essential|crucial|threats?|opportunit(?:y|ies)|affects?|"
    r"faster|cheaper|safer|fewer|more likely|less likely)\b",
    re.IGNORECASE,
)


class GlossaryEntry(NamedTuple):
    term: str
    definition: str  # the article's own sentence that defines or first uses the term


class OutlineEntry(NamedTuple):
    depth: int
    text: str


def glossary(sentences: list[Sentence], limit: int) -> list[GlossaryEntry]:
    """Terms the article defines (patterns first), then its acronyms and long words."""
    if limit <= 0:
        return []
    found: dict[str, GlossaryEntry] = {}
    for s in sentences:
        for term in _defined_terms(s):
            key = term.lower()
            if key not in found and _usable_term(term) and s.words <= 60:
                found[key] = GlossaryEntry(term, s.text)
    if len(found) < limit:
        _add_fallback_terms(sentences, found, limit)
    entries = sorted(found.values(), key=lambda e: e.term.lower())
    return entries[:limit] if len(entries) <= limit else _by_first_use(entries, sentences, limit)


def _defined_terms(s: Sentence) -> list[str]:
    out: list[str] = []
    for m in _ACRONYM_DEF_RE.finditer(s.text):
        name, acronym = m.group(1).strip(), m.group(2)
        words = name.split()
        # Keep only the words the acronym spells, counted back from the parenthesis.
        tail = words[-len(acronym.rstrip("s")) :] if len(words) > len(acronym) else words
        if tail and tail[0][0].lower() == acronym[0].lower():
            out.append(f"{acronym} ({' '.join(tail)})")
    m2 = _IS_DEF_RE.match(s.text)
    if m2:
        out.append(m2.group(1))
    for b in _BOLD_RE.finditer(s.markdown):
        out.append((b.group(1) or b.group(2)).strip())
    return out


def _usable_term(term: str) -> bool:
    words = term.lower().split()
    if not words or len(words) > 6 or words[0] in STOPWORDS or words[-1] in STOPWORDS:
        return False
    return any(c.isalpha() for c in term) and len(term) <= 60


def _add_fallback_terms(
    sentences: list[Sentence], found: dict[str, GlossaryEntry], limit: int
) -> None:
    counts: Counter[str] = Counter()
    for s in sentences:
        counts.update(m.group(0).rstrip("s") for m in _ACRONYM_RE.finditer(s.text))
        counts.update(m.group(0) for m in _LONG_WORD_RE.finditer(s.text))
    ranked = sorted((t for t, c in counts.items() if c >= 2), key=lambda t: (-counts[t], t))
    for term in ranked:
        if len(found) >= limit:
            return
        key = term.lower()
        if key in found or any(key in k for k in found):
            continue
        first = next((s for s in sentences if term in s.text and 8 <= s.words <= 45), None)
        if first is not None:
            found[key] = GlossaryEntry(term, first.text)


def _by_first_use(
    entries: list[GlossaryEntry], sentences: list[Sentence], limit: int
) -> list[GlossaryEntry]:
    # Too many candidates: keep the ones the article meets first, list them alphabetically.
    order = {s.text: s.index for s in sentences}
    chosen = sorted(entries, key=lambda e: (order.get(e.definition, 1 << 30), e.term.lower()))
    return sorted(chosen[:limit], key=lambda e: e.term.lower())


def is_action(s: Sentence) -> bool:
    text = s.text
    if s.words < 3 or s.words > 45 or text.endswith("?"):
        return False
    lead = _IMPERATIVE_LEAD_RE.match(text)
    if lead:
        verb = lead.group(1).lower()
        if verb in ("don't", "do not", "never", "always") or verb in IMPERATIVE_VERBS:
            # "Set up is easy" or "Use cases vary" are not orders: the verb must be followed
            # by something other than a linking verb.
            rest = text[lead.end() :].split()
            if not rest or rest[0].lower() not in ("is", "are", "was", "were", "cases", "case"):
                return True
    return bool(_MODAL_RE.search(text))


def action_items(sentences: list[Sentence], limit: int, used: frozenset[int]) -> list[Sentence]:
    # Sentences already shown as key points are not repeated as actions.
    picked = [s for s in sentences if s.index not in used and is_action(s)]
    # Steps in lists are the clearest actions; after that, the most salient.
    picked.sort(key=lambda s: (s.kind != "list", -s.score, s.index))
    return sorted(_distinct(picked, limit), key=lambda s: s.index)


def why_it_matters(sentences: list[Sentence], limit: int, used: frozenset[int]) -> list[Sentence]:
    if limit <= 0:
        return []
    scored = []
    for s in sentences:
        if s.index in used or s.words < 6 or s.words > 50 or s.text.endswith("?"):
            continue
        cues = len(_WHY_RE.findall(s.text))
        if cues:
            scored.append((s.score + 0.15 * min(cues, 3), s))
    scored.sort(key=lambda p: (-p[0], p[1].index))
    picked = _distinct([s for _, s in scored], limit)
    if not picked:
        # No stated consequence: the conclusion is the article's own answer.
        rest = [s for s in sentences if s.index not in used and s.words >= 6]
        last = max((s.section for s in rest), default=0)
        tail = sorted((s for s in rest if s.section == last), key=lambda s: (-s.score, s.index))
        picked = tail[:1]
    return sorted(picked, key=lambda s: s.index)


def _distinct(ranked: list[Sentence], limit: int) -> list[Sentence]:
    out: list[Sentence] = []
    for s in ranked:
        if len(out) >= limit:
            break
        if all(_overlap(s, o) <= 0.6 for o in out):
            out.append(s)
    return out


def _overlap(a: Sentence, b: Sentence) -> float:
    if not a.terms or not b.terms:
        return 0.0
    return len(a.terms & b.terms) / min(len(a.terms), len(b.terms))


def outline(blocks: list[Block], title: str, limit: int = 15) -> list[OutlineEntry]:
    # The page title, often repeated by the extractor as a heading, is not part of the outline.
    heads = [b for b in blocks if b.kind == "heading" and b.text and b.text != title]
    if len(heads) < 2:
        return []
    top = min(h.level for h in heads)
    entries = [OutlineEntry(min(h.level - top, 2), h.text) for h in heads]
    return entries[:limit]
