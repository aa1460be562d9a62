"""The engine's pure parts: sentence splitting, readability, simplification, blocks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from worker.mdblocks import parse_blocks
from worker.readability_stats import markdown_word_count, readability, syllables
from worker.sentences import split_sentences
from worker.simplify import simplify

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One here. Two there.", ["One here.", "Two there."]),
        ("Dr. Smith met Mr. Jones. They talked.", ["Dr. Smith met Mr. Jones.", "They talked."]),
        (
            "It costs 3.5 dollars, e.g. in Paris. Fine!",
            ["It costs 3.5 dollars, e.g. in Paris.", "Fine!"],
        ),
        ("J. R. R. Tolkien wrote it. Yes.", ["J. R. R. Tolkien wrote it.", "Yes."]),
        ("The U.S. Army grew. Why? Money.", ["The U.S. Army grew.", "Why?", "Money."]),
        ('He said "Stop." Then left.', ['He said "Stop."', "Then left."]),
        (
            "See [the docs. Really](https://x.example/a.b). Done.",
            ["See [the docs. Really](https://x.example/a.b).", "Done."],
        ),
        ("no end punctuation", ["no end punctuation"]),
        ("", []),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_readability_formulas() -> None:
    assert syllables("cat") == 1
    assert syllables("table") == 2
    assert syllables("information") == 4
    easy = readability("The cat sat on the mat. It was warm.")
    hard = readability(
        "Notwithstanding considerable institutional heterogeneity, comparative analyses "
        "demonstrate substantial organizational variability."
    )
    assert easy.reading_ease > 90 > hard.reading_ease
    assert easy.grade < 3 < hard.grade
    assert readability("").words == 0


def test_markdown_word_count_ignores_syntax() -> None:
    md = "# Title\n\n- a [link text](https://x.example/very/long/url)\n\n```py\nx = 1\n```\n"
    assert markdown_word_count(md) == 6  # Title a link text x 1: no URL, no fence info


def test_simplify_splits_compound_sentences_and_plain_words() -> None:
    long = (
        "The council will utilize the federal grant for the first phase of work, "
        "but the second phase requires approval from the provincial government next year."
    )
    out = simplify(long, 14)
    assert len(out) == 2
    assert out[0].startswith("The council will use the federal grant")
    assert out[1].startswith("But the second phase needs approval")
    quoted = 'She said "we will utilize it, but only once the committee has agreed to it"'
    assert simplify(quoted, 5) == [quoted]


def test_blocks() -> None:
    md = (
        "# T\n\nPara one\ncontinues.\n\n- a\n- b\n  nested\n\n```\ncode\n\nmore\n```\n\n"
        "> quote\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n![alt](https://x.example/i.png)\n\n---\n"
    )
    kinds = [b.kind for b in parse_blocks(md)]
    assert kinds == ["heading", "paragraph", "list", "code", "quote", "table", "image", "rule"]


def test_same_output_across_processes_and_hash_seeds() -> None:
    script = (
        "import msgspec\n"
        "from tests.worker.transform_articles import ARTICLES\n"
        "from jobcore.personas import load_personas\n"
        "from worker.transform import transform\n"
        "P = load_personas()\n"
        "print(msgspec.json.encode([transform(a, p) for a in ARTICLES.values()"
        " for p in P.values()]).hex())\n"
    )
    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, check=True
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1
