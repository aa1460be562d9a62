"""worker.extract against the shared corpus: aggregate quality floors (speed is not asserted).

The corpus and its scorer live outside the repository (../shared), so this skips when
they are absent. Floors sit a little below the measured scores so that a regression
fails while small tuning changes do not.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from worker.extract import article_text, extract_article

SHARED = Path(__file__).parents[2].parent / "shared"
CORPUS = SHARED / "corpus"
SCORER = SHARED / "tools" / "extract_eval.py"

pytestmark = pytest.mark.skipif(
    not (CORPUS / "aeb").is_dir() or not SCORER.is_file(),
    reason=f"shared extraction corpus or scorer not found at {SHARED}",
)

# Measured: aeb 0.967, readability 0.981, trafilatura snippets 0.930; bylines 0.877.
FLOORS = {"aeb": 0.96, "readability": 0.975}
SNIPPET_FLOOR = 0.92


def _scorer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("extract_eval", SCORER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Its dataclasses look their module up in sys.modules while being defined.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def summary() -> dict[str, Any]:
    scorer = _scorer()
    result: dict[str, Any] = scorer.evaluate(article_text, CORPUS)
    return result


def _row(summary: dict[str, Any], source: str) -> dict[str, Any]:
    found = summary["summary"].get(source)
    assert found is not None, f"no summary for {source}: {list(summary['summary'])}"
    return dict(found)


@pytest.mark.parametrize(("source", "floor"), sorted(FLOORS.items()))
def test_token_f1_floor(summary: dict[str, Any], source: str, floor: float) -> None:
    row = _row(summary, source)
    assert row["errors"] == 0
    assert row["n1"]["F1"] >= floor, json.dumps(row["n1"])


def test_snippet_f1_floor(summary: dict[str, Any]) -> None:
    row = _row(summary, "trafilatura")
    assert row["errors"] == 0
    assert row["snippets"]["F1"] >= SNIPPET_FLOOR, json.dumps(row["snippets"])


def test_readability_titles_and_languages() -> None:
    pages = sorted((CORPUS / "readability").glob("*/expected-metadata.json"))
    titles = bylines = langs = 0
    want_bylines = want_langs = 0
    for path in pages:
        expected = json.loads(path.read_text())
        html = (path.parent / "source.html").read_bytes()
        article = extract_article(html, "http://fakehost/test/page.html")
        titles += " ".join(article.title.split()) == " ".join(expected["title"].split())
        if expected.get("byline"):
            want_bylines += 1
            bylines += " ".join((article.byline or "").split()) == " ".join(
                expected["byline"].split()
            )
        if expected.get("lang"):
            want_langs += 1
            langs += article.language == expected["lang"]
    assert titles >= 0.95 * len(pages)
    assert bylines >= 0.85 * want_bylines
    assert langs >= 0.95 * want_langs
