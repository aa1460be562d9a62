"""SC-42 / SC-45: pathological HTML through the real extractor under a parse budget."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from jobcore.errors import ProcessingError
from worker.budget import ParseBudget

extract = pytest.importorskip("worker.extract")

MB = 1024 * 1024


@pytest.fixture
async def budget() -> AsyncIterator[ParseBudget]:
    b = ParseBudget(timeout=2.0, memory_bytes=1024 * MB, workers=1)
    yield b
    await b.close()


@pytest.mark.parametrize(
    "html",
    [
        "<div>" * 100_000,
        "<html><body><p " + " ".join(f"a{i}=x" for i in range(100_000)) + ">x</p></body></html>",
    ],
    ids=["SC-42-100k-unclosed-div", "SC-42-100k-attributes"],
)
async def test_pathological_html_fails_processing_limit(budget: ParseBudget, html: str) -> None:
    """lexbor needs 10-20 s for these; the budget stops them at its deadline."""
    start = time.monotonic()
    with pytest.raises(ProcessingError) as info:
        await budget.run(extract.extract_article, html, "http://public.example/")
    assert info.value.code == "processing_limit"
    assert time.monotonic() - start < 2.0 + 30  # budget plus worker start-up at most


@pytest.mark.parametrize(
    "html",
    ["<" * 1_000_000, "<!--" * 100_000, "<select>" + "<option>x" * 50_000, "<a href=" * 50_000],
    ids=["SC-45-million-lt", "SC-45-unterminated-comments", "SC-45-options", "SC-45-truncated"],
)
async def test_parser_crash_class_inputs_never_escape_the_budget(
    budget: ParseBudget, html: str
) -> None:
    outcome = "completed"
    try:
        await budget.run(extract.extract_article, html, "http://public.example/")
    except ProcessingError as exc:
        outcome = exc.code
    assert outcome in {"completed", "processing_limit", "empty_content"}
    ok = "<html><body><article><p>" + "Plain words here. " * 50 + "</p></article></body></html>"
    await budget.run(extract.extract_article, ok, "http://public.example/")  # pool still works
