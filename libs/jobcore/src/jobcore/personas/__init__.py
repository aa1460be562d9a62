"""Reader personas, defined as data: one TOML file per persona in this folder.

Adding a persona is adding a file; ``load_personas`` reads them all once.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

import msgspec

from jobcore.models import Persona

PERSONA_DIR = Path(__file__).parent


class PersonaSpec(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    name: str
    label: str
    description: str
    reader: str = ""
    tone: str = ""
    max_words: int = 400
    summary_sentences: int = 2
    key_points: int = 5
    sections: tuple[str, ...] = ("summary", "key_points", "content")

    def public(self) -> Persona:
        return Persona(name=self.name, label=self.label, description=self.description)


def load_persona_file(path: Path) -> PersonaSpec:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data.setdefault("name", path.stem)
    return msgspec.convert(data, PersonaSpec)


@cache
def load_personas(directory: Path = PERSONA_DIR) -> dict[str, PersonaSpec]:
    """All personas, by name, sorted; a broken file fails loudly at start-up."""
    specs = [load_persona_file(p) for p in sorted(directory.glob("*.toml"))]
    return {spec.name: spec for spec in specs}
