"""Personas are data: the shipped files load, and a bad file fails loudly."""

from __future__ import annotations

from pathlib import Path

import pytest
from jobcore.models import Persona
from jobcore.personas import (
    DEFAULT_TITLES,
    PERSONA_DIR,
    PersonaFileError,
    PersonaSpec,
    load_persona_file,
    load_personas,
)

SHIPPED = {"professional", "executive", "student", "casual", "technical", "accessible"}

MINIMAL = 'label = "Pirate"\ndescription = "Arr: the treasure first."\n'


def test_shipped_personas_load_and_describe_themselves() -> None:
    personas = load_personas()
    assert set(personas) >= SHIPPED
    assert list(personas) == sorted(personas)
    for name, spec in personas.items():
        assert spec.name == name
        assert spec.reader, f"{name}: who is the reader?"
        assert spec.tone, f"{name}: how to write for them?"
        assert spec.sections
        assert spec.public() == Persona(name=name, label=spec.label, description=spec.description)


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_section_has_a_heading(name: str) -> None:
    spec = load_personas()[name]
    titles = [spec.title_for(s) for s in spec.sections]
    assert all(titles)
    assert len(set(titles)) == len(titles)


def test_persona_specifics() -> None:
    p = load_personas()
    assert p["technical"].keep.code
    assert not p["executive"].keep.code
    assert p["accessible"].reading.simplify
    assert "reading_level" in p["accessible"].sections
    assert "reading_level" in p["student"].sections
    assert "glossary" in p["student"].sections
    assert "content" not in p["executive"].sections
    assert p["executive"].max_words < p["professional"].max_words < p["technical"].max_words


def test_adding_a_persona_is_adding_a_file(tmp_path: Path) -> None:
    for path in PERSONA_DIR.glob("*.toml"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "pirate.toml").write_text(MINIMAL, encoding="utf-8")
    personas = load_personas(tmp_path)
    assert set(personas) == SHIPPED | {"pirate"}
    pirate = personas["pirate"]
    assert pirate.public().label == "Pirate"
    assert pirate.sections == ("tldr", "key_points", "content")  # defaults
    assert pirate.title_for("tldr") == DEFAULT_TITLES["tldr"]


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ("colour = 'red'\n", "colour"),  # unknown top-level key
        ("[keep]\ncodes = true\n", "codes"),  # typo inside a table
        ("[summary]\nsentence = 3\n", "sentence"),
        ("sections = ['tldr', 'summry']\n", "sections"),  # unknown section id
        ("sections = ['tldr', 'tldr']\n", "twice"),
        ("sections = []\n", "sections"),
        ("max_words = 5\n", "max_words"),
        ("[titles]\nnope = 'x'\n", "titles"),
        ("max_words = 'many'\n", "max_words"),
    ],
)
def test_bad_persona_file_fails_loudly(tmp_path: Path, extra: str, needle: str) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(MINIMAL + extra, encoding="utf-8")
    with pytest.raises(PersonaFileError) as err:
        load_persona_file(path)
    assert "broken.toml" in str(err.value)
    assert needle in str(err.value)
    with pytest.raises(PersonaFileError):
        load_personas(tmp_path)


def test_invalid_toml_and_bad_names_fail(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text("label = \n", encoding="utf-8")
    with pytest.raises(PersonaFileError, match=r"bad\.toml"):
        load_persona_file(tmp_path / "bad.toml")
    (tmp_path / "Bad Name.toml").write_text(MINIMAL, encoding="utf-8")
    with pytest.raises(PersonaFileError, match="name"):
        load_persona_file(tmp_path / "Bad Name.toml")


def test_missing_description_fails(tmp_path: Path) -> None:
    (tmp_path / "x.toml").write_text('label = "X"\n', encoding="utf-8")
    with pytest.raises(PersonaFileError, match="description"):
        load_persona_file(tmp_path / "x.toml")


def test_spec_is_frozen() -> None:
    spec = load_personas()["casual"]
    with pytest.raises(AttributeError):
        spec.max_words = 1  # type: ignore[misc]
    assert isinstance(spec, PersonaSpec)
