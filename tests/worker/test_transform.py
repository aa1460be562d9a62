"""The built-in engine, table-driven over every persona and a couple of realistic articles."""

from __future__ import annotations

import re

import msgspec
import pytest
from jobcore.errors import ProcessingError
from jobcore.models import TransformResult
from jobcore.personas import PersonaSpec, load_personas
from worker.article import Article
from worker.mdblocks import inline_text
from worker.readability_stats import markdown_word_count, readability
from worker.transform import ENGINE_NAME, transform

from tests.worker.transform_articles import ARTICLES, NEWS, TECH

PERSONAS = load_personas()
CASES = [(p, a) for p in sorted(PERSONAS) for a in sorted(ARTICLES)]
_H2_RE = re.compile(r"^## (.+)$", re.MULTILINE)


def _run(persona: str, article: str) -> TransformResult:
    return transform(ARTICLES[article], PERSONAS[persona])


def _section_titles(markdown: str) -> list[str]:
    return _H2_RE.findall(markdown)


@pytest.mark.parametrize(("persona", "article"), CASES)
def test_sections_appear_in_the_personas_order(persona: str, article: str) -> None:
    spec = PERSONAS[persona]
    result = _run(persona, article)
    expected = [spec.title_for(s) for s in spec.sections]
    found = _section_titles(result.markdown)
    assert found == [t for t in expected if t in found], "sections out of order"
    # Both articles are rich enough that every section has something to say.
    assert found == expected


@pytest.mark.parametrize(("persona", "article"), CASES)
def test_length_budget_and_counts(persona: str, article: str) -> None:
    spec = PERSONAS[persona]
    result = _run(persona, article)
    assert result.word_count == markdown_word_count(result.markdown)
    assert 0 < result.word_count <= spec.max_words
    assert result.reading_time_minutes == max(1, -(-result.word_count // 230))


@pytest.mark.parametrize(("persona", "article"), CASES)
def test_result_fields(persona: str, article: str) -> None:
    src = ARTICLES[article]
    result = _run(persona, article)
    assert result.title == src.title
    assert result.markdown.startswith(f"# {src.title}\n")
    assert result.persona == persona
    assert result.engine == ENGINE_NAME
    assert result.source_url == src.url
    assert result.metadata.byline == src.byline
    assert result.summary
    assert len(result.key_points) <= PERSONAS[persona].summary.key_points
    # Extractive: every summary sentence is in the article (modulo simplification).
    if not PERSONAS[persona].reading.simplify:
        plain = inline_text(src.markdown)
        for point in result.key_points:
            assert point in plain


@pytest.mark.parametrize(("persona", "article"), CASES)
def test_deterministic(persona: str, article: str) -> None:
    first = msgspec.json.encode(_run(persona, article))
    again = msgspec.json.encode(
        transform(msgspec.structs.replace(ARTICLES[article]), PERSONAS[persona])
    )
    assert first == again


@pytest.mark.parametrize("persona", sorted(PERSONAS))
def test_key_points_do_not_repeat_each_other(persona: str) -> None:
    for article in ARTICLES:
        points = _run(persona, article).key_points
        bags = [set(re.findall(r"\w+", p.lower())) for p in points]
        for i, a in enumerate(bags):
            for b in bags[i + 1 :]:
                assert len(a & b) / min(len(a), len(b)) < 0.6


def test_technical_keeps_code_blocks_verbatim() -> None:
    result = _run("technical", "tech")
    assert result.markdown.count("```python") == 2
    assert 'await redis.xgroup_create("jobs", "workers", id="0", mkstream=True)' in result.markdown
    assert "| min_idle_time | 60 s | longer than the slowest job |" in result.markdown


@pytest.mark.parametrize("persona", ["executive", "casual", "accessible", "student"])
def test_non_technical_personas_drop_code(persona: str) -> None:
    assert "```" not in _run(persona, "tech").markdown


def test_links_kept_or_dropped_as_the_persona_says() -> None:
    assert "](https://redis.io/docs/data-types/streams/)" in _run("technical", "tech").markdown
    assert "](http" not in _run("accessible", "news").markdown
    assert "](http" not in _run("casual", "news").markdown


def test_student_glossary_defines_the_articles_terms() -> None:
    md = _run("student", "news").markdown
    assert "**protected bike lane**: A protected bike lane is a lane separated" in md
    md = _run("student", "tech").markdown
    assert "**PEL (pending entries list)**" in md
    assert "**consumer group**" in md


def test_action_items_are_instructions() -> None:
    md = _run("executive", "news").markdown
    actions = md.split("## Decisions and next steps", 1)[1]
    assert "Check the city's construction map" in actions or "should expect" in actions


def test_reading_level_is_reported_and_plain_language_is_easier() -> None:
    for article in ARTICLES.values():
        md = transform(article, PERSONAS["accessible"]).markdown
        assert "Flesch reading ease:" in md
        body = md.split("## Reading level")[0]
        plain = readability(body.replace("#", "")).grade
        assert plain <= 8.0 or plain < readability(article.markdown).grade


def test_quotes_kept_verbatim_for_quote_keeping_personas() -> None:
    quote = '"This is about making it safe for a ten-year-old to ride to school,"'
    assert quote in _run("professional", "news").markdown


@pytest.mark.parametrize("persona", sorted(PERSONAS))
@pytest.mark.parametrize(
    "markdown",
    ["", "   \n\n ", "```\n\n```", "![](https://x.example/a.png)", "---\n***\n"],
)
def test_no_words_is_empty_content(persona: str, markdown: str) -> None:
    article = Article(title="Nothing here", markdown=markdown, text="  ")
    with pytest.raises(ProcessingError) as err:
        transform(article, PERSONAS[persona])
    assert err.value.code == "empty_content"


WEIRD = [
    "word",
    "# Only a heading",
    "no punctuation at all " * 400,
    "A. B. C. D. E. F. G. H.",
    "```python\nprint('only code')\n```",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "- one\n- two\n  - nested\n\n1. first\n2) second",
    "> quoted only",
    "Très bien. 東京は大きい。 Это тест! ¿Qué tal? " * 50,
    "[link only](https://example.com)",
    "```\nunclosed fence\n\nstill code",
    "Dr. Who met Mr. Smith at 3 p.m. on Jan. 5. The U.S. team won. " * 300,
    "*" * 500 + " a _ ` [ ] ( ) # > |",
    "x" * 5000,
]


@pytest.mark.parametrize("persona", sorted(PERSONAS))
@pytest.mark.parametrize("markdown", WEIRD)
def test_weird_articles_never_raise(persona: str, markdown: str) -> None:
    spec = PERSONAS[persona]
    article = Article(title="", markdown=markdown, text="")
    result = transform(article, spec)
    assert result.title
    assert result.word_count <= spec.max_words


def test_plain_text_without_markdown_is_used() -> None:
    article = Article(title="Pasted", markdown="", text=NEWS.markdown.replace("## ", ""))
    result = transform(article, PERSONAS["professional"])
    assert "40 kilometres" in result.summary


def test_huge_article_is_fast_and_within_budget() -> None:
    big = Article(title="Big", markdown="\n\n".join([TECH.markdown, NEWS.markdown] * 40), text="")
    for spec in PERSONAS.values():
        assert transform(big, spec).word_count <= spec.max_words


def test_custom_persona_sections_are_honoured() -> None:
    spec = PersonaSpec(
        name="tiny",
        label="Tiny",
        description="Only the outline, then the key points.",
        max_words=120,
        sections=("outline", "key_points"),
    )
    result = transform(TECH, spec)
    assert _section_titles(result.markdown) == ["Outline", "Key points"]
    assert result.word_count <= 120
