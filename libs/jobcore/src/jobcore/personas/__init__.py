"""Reader personas, defined as data: one TOML file per persona in this folder.

Adding a persona is adding a file; ``load_personas`` reads them all once. Every
table forbids unknown keys and section ids are a closed set, so a typo in a file
fails at start-up instead of silently changing what readers get.

A file looks like::

    label = "Student"
    description = "Shown by GET /api/personas."
    reader = "Who reads this, in one sentence (also the LLM engine's prompt)."
    tone = ["Short sentences.", "Explain every term."]
    max_words = 450
    sections = ["tldr", "key_points", "glossary", "content"]

    [summary]      # how many sentences the TL;DR and the key points take
    [reading]      # reading-level target: short sentences, plain words
    [keep]         # what trimming must not drop: code, numbers, quotes, links
    [titles]       # optional section headings, by section id
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from jobcore.models import Persona

PERSONA_DIR = Path(__file__).parent

SectionId = Literal[
    "tldr",
    "key_points",
    "outline",
    "glossary",
    "why_it_matters",
    "action_items",
    "reading_level",
    "content",
]

# Headings used when a persona file does not name its own.
DEFAULT_TITLES: dict[str, str] = {
    "tldr": "TL;DR",
    "key_points": "Key points",
    "outline": "Outline",
    "glossary": "Glossary",
    "why_it_matters": "Why it matters",
    "action_items": "Action items",
    "reading_level": "Reading level",
    "content": "The article",
}


class _Table(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    pass


class SummaryRule(_Table, frozen=True):
    """How much the engine extracts for the summary-like sections."""

    sentences: Annotated[int, Meta(ge=1, le=10)] = 2
    key_points: Annotated[int, Meta(ge=0, le=15)] = 5
    glossary_terms: Annotated[int, Meta(ge=0, le=20)] = 6
    action_items: Annotated[int, Meta(ge=0, le=15)] = 5
    why_it_matters: Annotated[int, Meta(ge=0, le=5)] = 2


class ReadingRule(_Table, frozen=True):
    """The reading-level target: the engine prefers (and may split to) short sentences."""

    # Sentences longer than this lose salience, so shorter ones win when scores are close.
    max_sentence_words: Annotated[int, Meta(ge=5, le=200)] = 40
    # Flesch-Kincaid grade the rendering aims at; None means no target.
    target_grade: Annotated[float, Meta(ge=1, le=20)] | None = None
    # Split compound sentences and swap formal words for plain ones.
    simplify: bool = False


class KeepRule(_Table, frozen=True):
    """What trimming to the length budget keeps (True) or may drop (False)."""

    code: bool = False
    numbers: bool = True
    quotes: bool = False
    links: bool = True
    tables: bool = False
    images: bool = False


class PersonaSpec(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    name: Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_-]{0,63}$")]
    label: Annotated[str, Meta(min_length=1, max_length=80)]
    description: Annotated[str, Meta(min_length=1, max_length=500)]
    reader: str = ""
    tone: tuple[str, ...] = ()
    max_words: Annotated[int, Meta(ge=40, le=20000)] = 400
    sections: Annotated[tuple[SectionId, ...], Meta(min_length=1)] = (
        "tldr",
        "key_points",
        "content",
    )
    summary: SummaryRule = SummaryRule()
    reading: ReadingRule = ReadingRule()
    keep: KeepRule = KeepRule()
    titles: dict[SectionId, str] = msgspec.field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(set(self.sections)) != len(self.sections):
            raise ValueError(f"persona {self.name!r}: a section is listed twice")

    def title_for(self, section: SectionId) -> str:
        return self.titles.get(section) or DEFAULT_TITLES[section]

    def public(self) -> Persona:
        return Persona(name=self.name, label=self.label, description=self.description)


class PersonaFileError(ValueError):
    """A persona file is not valid TOML or does not match ``PersonaSpec``."""


def load_persona_file(path: Path) -> PersonaSpec:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        data.setdefault("name", path.stem)
        return msgspec.convert(data, PersonaSpec)
    except (tomllib.TOMLDecodeError, msgspec.ValidationError) as exc:
        # Name the file: at start-up the message is all an operator sees.
        raise PersonaFileError(f"{path.name}: {exc}") from exc


@cache
def load_personas(directory: Path = PERSONA_DIR) -> dict[str, PersonaSpec]:
    """All personas, by name, sorted; a broken file fails loudly at start-up."""
    specs = [load_persona_file(p) for p in sorted(directory.glob("*.toml"))]
    return {spec.name: spec for spec in specs}
