"""Clipping huge articles before the transform (pure)."""

from __future__ import annotations

from worker.article import Article
from worker.clip import CLIPPED_NOTE, clip_article, clip_text, extract_clipped


def test_short_text_is_untouched() -> None:
    assert clip_text("a\n\nb", 100) == ("a\n\nb", False)


def test_cut_at_a_paragraph_break() -> None:
    text = "first paragraph here\n\nsecond paragraph that is long"
    assert clip_text(text, 30) == ("first paragraph here", True)


def test_cut_at_a_space_when_no_break_is_near() -> None:
    assert clip_text("word " * 100, 52)[0] == ("word " * 10).strip()


def test_clipped_article_says_so() -> None:
    article = Article(title="T", markdown="para\n\n" * 100, text="para\n\n" * 100)
    clipped = clip_article(article, limit=50)
    assert clipped.markdown.endswith(CLIPPED_NOTE)
    assert len(clipped.text) <= 50
    assert clip_article(article, limit=10_000) is article


def test_a_huge_page_is_extracted_and_clipped() -> None:
    html = "<html><head><title>Huge</title></head><body>" + "<p>word and more</p>" * 30_000
    article = extract_clipped(html + "</body></html>", None)
    assert article.title == "Huge"
    assert len(article.markdown) < 210_000
    assert article.markdown.endswith(CLIPPED_NOTE)
