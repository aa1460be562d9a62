"""worker.extract on small original fixture pages: structure, links, metadata, junk input."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from worker.article import Article
from worker.extract import article_text, extract_article

PAGES = Path(__file__).parents[1] / "fixtures" / "pages"
URL = "https://news.example.org/stories/tide-library"


@cache
def page(name: str) -> Article:
    return extract_article((PAGES / name).read_bytes(), URL)


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("news_article.html", "## What you can borrow"),
        ("news_article.html", "### Opening hours"),
        ("news_article.html", "- Two rowing boats, for up to three hours"),
        ("news_article.html", "- More than **four thousand** books"),
        ("news_article.html", "1. Sign up at the front desk.\n2. Pick a boat or a book."),
        ("news_article.html", "| Day | Opens | Closes |\n| --- | --- | --- |"),
        ("news_article.html", "| Saturday | 10:00 | 14:00 |"),
        ("news_article.html", "```python\ndef can_borrow(member, boat):"),
        ("news_article.html", "> We lend the sea the same way we lend stories"),
        (
            "news_article.html",
            "[published online](https://news.example.org/code/tide-library)",
        ),
        (
            "news_article.html",
            "![The library's blue door](https://news.example.org/stories/images/library.jpg)",
        ),
        ("blog_breaks.html", "forty years.\n\nWe think the mild February"),
        ("plain_text.html", "The river froze for the first time in twenty years"),
    ],
)
def test_markdown_keeps_structure(name: str, fragment: str) -> None:
    assert fragment in page(name).markdown


@pytest.mark.parametrize(
    ("name", "boilerplate"),
    [
        ("news_article.html", "Gull steals chips"),  # sidebar
        ("news_article.html", "Weather"),  # navigation
        ("news_article.html", "All rights reserved"),  # footer
        ("news_article.html", "life jackets"),  # comment thread
        ("news_article.html", "By Mira Olsen"),  # byline is metadata
        ("blog_breaks.html", "Seed swap"),  # blogroll
        ("blog_breaks.html", "Archive"),  # top links
    ],
)
def test_boilerplate_is_dropped(name: str, boilerplate: str) -> None:
    article = page(name)
    assert boilerplate not in article.markdown
    assert boilerplate not in article.text


def test_text_is_the_markdown_without_syntax() -> None:
    article = page("news_article.html")
    assert "https://" not in article.text
    assert "**" not in article.text
    assert "##" not in article.text
    assert "What you can borrow\n\nPrinted tide tables" in article.text
    assert article.text.startswith("The small fishing town of Harbour Town")
    assert article_text((PAGES / "news_article.html").read_text()) == article.text


@pytest.mark.parametrize(
    ("name", "field", "expected"),
    [
        ("news_article.html", "title", "Harbour Town opens its tide library"),
        ("news_article.html", "byline", "Mira Olsen, Tom Reyes"),
        ("news_article.html", "language", "en-GB"),
        ("news_article.html", "site_name", "The Daily Gull"),
        ("news_article.html", "published_time", "2024-03-05T09:30:00Z"),
        ("news_article.html", "canonical_url", "https://news.example.org/stories/tide-library"),
        ("news_article.html", "excerpt", "A library that lends tide tables, boats and books."),
        ("news_article.html", "url", URL),
        ("blog_breaks.html", "title", "Notes From the Allotment"),
        ("blog_breaks.html", "byline", None),
        ("blog_breaks.html", "language", None),
    ],
)
def test_metadata(name: str, field: str, expected: str | None) -> None:
    assert getattr(page(name), field) == expected


@pytest.mark.parametrize(
    ("html", "title"),
    [
        ("<html><head><title>Only a title</title></head><body></body></html>", "Only a title"),
        ("<body><h1>Heading wins</h1><p>Short.</p></body>", "Heading wins"),
        (
            '<head><meta property="og:title" content="From OpenGraph"><title>X | Site</title>'
            "</head><body><p>Body text.</p></body>",
            "From OpenGraph",
        ),
    ],
)
def test_title_is_never_empty_when_the_page_has_one(html: str, title: str) -> None:
    assert extract_article(html).title == title


def test_relative_links_use_the_url_without_base() -> None:
    html = (
        "<body><article><p>"
        + "Plenty of words in this paragraph to count as text. " * 6
        + '<a href="/about">about us</a> and <img src="pic.png" alt="a pic"></p></article></body>'
    )
    markdown = extract_article(html, "https://site.example/blog/post").markdown
    assert "[about us](https://site.example/about)" in markdown
    assert "![a pic](https://site.example/blog/pic.png)" in markdown


@pytest.mark.parametrize(
    "junk",
    [
        "",
        b"",
        b"\x00\xff\xfe\x80" * 1000,
        bytes(range(256)) * 50,
        "<<<>>><</",
        "<html>",
        '{"json": "not html"}',
        "<div>" * 20_000 + "deep" + "</div>" * 20_000,
        "<ul>" + "<li><ul>" * 3_000 + "x" + "</ul></li>" * 3_000 + "</ul>",
        "<table>" + "<tr><td>cell</td></tr>" * 20_000 + "</table>",
        "<p>" + "word " * 400_000 + "</p>",
        '<script type="application/ld+json">{"@context": "https://schema.org", "@type":',
        '<meta charset="no-such-charset"><p>text</p>',
        b'<meta charset="utf-16"><p>text</p>',
    ],
)
def test_junk_input_never_raises(junk: str | bytes) -> None:
    article = extract_article(junk)
    assert isinstance(article, Article)
    assert isinstance(article.markdown, str)
    assert isinstance(article.text, str)


_PROSE = "<p>" + "A sentence of real article text, with a comma and some more words. " * 4 + "</p>"


def _body(inner: str) -> str:
    return f"<html><body><article>{_PROSE * 4}{inner}</article></body></html>"


@pytest.mark.parametrize(
    ("inner", "gone"),
    [
        # A heading whose list was cleaned away would end the article.
        (
            '<h3>More on this topic</h3><ul><li><a href="/a">One story</a></li>'
            '<li><a href="/b">Another story</a></li></ul>',
            "More on this topic",
        ),
        # Captions and credits describe the picture, not the story.
        (
            '<figure><img src="p.jpg" alt="x"><figcaption>Photo: Jo Bloggs</figcaption></figure>',
            "Jo Bloggs",
        ),
        ('<p class="image-credit">AFP / Someone</p>', "AFP / Someone"),
        # A lone closing link is navigation.
        ('<p><a href="/list">Back to the list</a></p>', "Back to the list"),
        # A weakly named box with little prose is chrome, however many <p> it has.
        (
            '<div class="newsletter-box"><p>Sign up</p><p>Weekly</p><p>Free</p><p>Now</p></div>',
            "Sign up",
        ),
    ],
)
def test_trailing_boilerplate_is_dropped(inner: str, gone: str) -> None:
    article = extract_article(_body(inner))
    assert "A sentence of real article text" in article.text
    assert gone not in article.text


def test_related_posts_are_not_shielded_by_post_in_their_name() -> None:
    related = '<div class="jp-relatedposts"><p>Similar posts you may like to read next.</p></div>'
    assert "Similar posts" not in extract_article(_body(related)).text


def test_headings_followed_by_text_stay() -> None:
    article = extract_article(_body("<h2>A real section</h2>" + _PROSE))
    assert "A real section" in article.text


def test_class_evidence_is_per_token_and_ignores_numbers() -> None:
    from worker.extract.classes import evidence

    assert evidence("sidebar-widget", "").unlikely
    assert evidence("menu-item-4512", "").unlikely
    assert evidence("comments", "").comment
    assert not evidence("comment-count-wrapper", "").comment
    assert evidence("entry-content", "").body
    assert evidence("post-body", "").weight == 25
    assert evidence("share", "x").weight == -25
    assert not evidence("col-md-6", "post-12").unlikely
