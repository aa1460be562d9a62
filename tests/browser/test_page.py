"""The page at "/" in real headless Chromium, against real gateway and worker processes."""

from __future__ import annotations

import asyncio
import re
import urllib.request
from pathlib import Path

from tests.browser.cdp import Page
from tests.browser.conftest import HostileSite
from tests.browser.helpers import (
    RECORD_STAGES,
    job_id_in_hash,
    metrics,
    open_app,
    press_key,
    submit_url,
    type_into,
    wait_done,
)
from tests.integration.harness import PageServer, Services

SUBMIT = "POST /api/transform"
PASTED = (
    "Tide pools are small basins of sea water left in the rocks when the tide goes out. "
    "The animals that live there must survive heat, changing salt levels and hungry birds. "
    "Mussels close their shells to keep moisture in, and anemones cover themselves with "
    "gravel to slow evaporation until the water returns.\n\nWhen the sea comes back, the "
    "pools are refreshed with cool water and food, and life in them starts again."
)
EVENTS = "GET /api/transform/jobs/{jobId}/events"


async def test_page_transform_shows_live_progress_then_the_result(
    page: Page, services: Services, pages: PageServer, artifacts: Path
) -> None:
    before = metrics(services)
    await open_app(page, services)
    await page.evaluate(RECORD_STAGES)
    await submit_url(page, f"{pages.base}/gate/progress", "student")

    job_id = await job_id_in_hash(page)
    # The worker is held in the fetch stage until the page server lets go.
    await page.wait_for(
        "document.getElementById('stage').dataset.stage === 'fetching'", "the fetching stage"
    )
    assert await page.evaluate("document.getElementById('stage').textContent") == (
        "Fetching the page"
    )
    assert 0 < await page.evaluate("document.getElementById('progress').value") < 100
    assert await page.evaluate("document.getElementById('job-id').textContent") == job_id

    pages.release("progress")
    await wait_done(page)

    stages = await page.evaluate("window.__stages")
    values = [value for _, value in stages]
    assert values == sorted(values), stages
    assert "fetching" in [s for s, _ in stages]
    assert stages[-1] == ["done", 100]
    assert await page.evaluate("document.querySelector('#markdown h2').textContent") == (
        "How Tide Pools Survive the Low Tide"
    )
    assert "Student" in await page.evaluate("document.getElementById('result-meta').textContent")
    assert await page.evaluate("document.title") == "How Tide Pools Survive the Low Tide — Recast"
    # The history lists the job, linking to it by id.
    assert await page.evaluate("document.querySelector('#history a').getAttribute('href')") == (
        f"#job={job_id}"
    )
    assert page.exceptions == []
    after = metrics(services)
    assert after[SUBMIT] - before.get(SUBMIT, 0) == 1
    # Followed by SSE (the request is counted once its stream has closed).
    for _ in range(100):
        if metrics(services).get(EVENTS, 0) > before.get(EVENTS, 0):
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the page never opened the job's event stream")
    shot = await page.screenshot(artifacts / "transform-result.png")
    print(f"screenshot: {shot}")

    # Readable on a phone: no sideways scrolling at 390 CSS pixels.
    await page.send(
        "Emulation.setDeviceMetricsOverride",
        {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True},
    )
    await page.evaluate("new Promise((r) => requestAnimationFrame(() => r()))", await_promise=True)
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    await page.screenshot(artifacts / "transform-result-phone.png")


async def test_second_identical_request_is_answered_from_the_cache(
    page: Page, services: Services, pages: PageServer
) -> None:
    url = f"{pages.base}/site/article.html"
    await open_app(page, services)
    await submit_url(page, url, "executive")
    await wait_done(page)
    first = await job_id_in_hash(page)
    assert await page.evaluate("document.getElementById('job').dataset.cached") == "false"

    before = metrics(services)
    await open_app(page, services)  # a fresh page, the same request
    await page.evaluate("history.replaceState(null, '', '/')")
    await submit_url(page, url, "executive")
    await page.wait_for("document.getElementById('job').dataset.cached === 'true'", "a cache hit")
    await wait_done(page)
    after = metrics(services)

    assert await job_id_in_hash(page) == first
    assert await page.evaluate("document.getElementById('stage').textContent") == (
        "Done (from the cache)"
    )
    assert after["recast_cache_hits_total"] - before["recast_cache_hits_total"] == 1
    assert after["recast_jobs_submitted_total"] == before["recast_jobs_submitted_total"]
    assert after[SUBMIT] - before[SUBMIT] == 1
    assert pages.hits["/site/article.html"] == 1  # fetched once, for the first request


async def test_reload_mid_job_resumes_the_same_job_without_resubmitting(
    page: Page, services: Services, pages: PageServer, artifacts: Path
) -> None:
    before = metrics(services)
    await open_app(page, services)
    await submit_url(page, f"{pages.base}/gate/reload", "technical")
    job_id = await job_id_in_hash(page)
    await page.wait_for(
        "document.getElementById('stage').dataset.stage === 'fetching'", "the fetching stage"
    )

    await page.reload()
    await page.wait_for("document.body.dataset.ready === 'true'", "the reloaded page")
    # The reloaded page finds the job in its URL and follows it.
    await page.wait_for(
        f"document.getElementById('job').dataset.jobId === {job_id!r}", "the resumed job"
    )
    await page.wait_for(
        "document.getElementById('stage').dataset.stage === 'fetching'", "the resumed progress"
    )
    assert await page.evaluate("document.body.dataset.state") == "running"
    await page.screenshot(artifacts / "resumed-mid-job.png")

    pages.release("reload")
    await wait_done(page)
    after = metrics(services)

    assert await job_id_in_hash(page) == job_id
    assert after[SUBMIT] - before.get(SUBMIT, 0) == 1  # one submission, before the reload
    assert after["recast_jobs_submitted_total"] - before["recast_jobs_submitted_total"] == 1
    assert after["recast_jobs_joined_total"] == before["recast_jobs_joined_total"]
    assert pages.hits["/gate/reload"] == 1
    assert page.exceptions == []


async def test_hostile_page_content_renders_inert(
    page: Page, services: Services, hostile: HostileSite, artifacts: Path
) -> None:
    await open_app(page, services)
    await submit_url(page, hostile.url, "professional")
    await wait_done(page)
    # Give any injected handler (onerror, onload) every chance to run.
    await page.evaluate("new Promise((r) => setTimeout(r, 500))", await_promise=True)
    await page.reload()  # and render it once more, from the job in the URL
    await wait_done(page)
    await page.evaluate("new Promise((r) => setTimeout(r, 500))", await_promise=True)
    await page.screenshot(artifacts / "hostile-inert.png")

    assert hostile.hits == 1
    text = await page.evaluate("document.getElementById('markdown').textContent")
    # The payloads reached the page, as text.
    assert "<img src=x onerror=" in text
    assert "<script>window.__pwned='script'" in text
    assert "window.__pwned" in await page.evaluate("document.title")

    assert await page.evaluate("typeof window.__pwned") == "undefined"
    assert page.dialogs == []
    assert await page.evaluate("window.__csp") == []  # nothing even tried to run
    dangerous = await page.evaluate(
        """Array.from(document.querySelectorAll('#markdown *, #history *'))
             .filter((el) => !['H2','H3','H4','P','UL','OL','LI','A','SPAN','STRONG','EM',
                               'CODE','PRE','BLOCKQUOTE','HR','BR','DEL','TABLE','THEAD',
                               'TBODY','TR','TH','TD'].includes(el.tagName)
                     || Array.from(el.attributes).some((a) => a.name.startsWith('on')))
             .map((el) => el.outerHTML)"""
    )
    assert dangerous == []
    hrefs = await page.evaluate(
        "Array.from(document.querySelectorAll('#markdown a')).map((a) => a.href)"
    )
    assert "https://example.com/safe" in hrefs
    assert all(h.startswith(("http://", "https://")) for h in hrefs), hrefs
    assert page.exceptions == []


def test_page_and_static_files_carry_a_strict_csp(services: Services) -> None:
    for path in ("/", "/static/app.js", "/static/recast-client.js", "/static/style.css"):
        with urllib.request.urlopen(f"{services.base}{path}", timeout=5) as resp:
            csp = resp.headers["Content-Security-Policy"]
            assert "script-src 'self'" in csp
            assert "unsafe-inline" not in csp
            assert "unsafe-eval" not in csp
            assert "require-trusted-types-for 'script'" in csp
            assert resp.headers["X-Content-Type-Options"] == "nosniff"
    with urllib.request.urlopen(f"{services.base}/", timeout=5) as resp:
        html = resp.read().decode()
    assert re.findall(r"<script\b[^>]*>", html) == [
        '<script type="module" src="/static/app.js">'
    ]  # no inline script
    assert not re.search(r"\son[a-z]+\s*=", html)  # no inline handlers


async def test_pasted_text_by_keyboard(page: Page, services: Services) -> None:
    await open_app(page, services)
    # Tab to the source choice and pick "Pasted text" with the arrow key.
    await page.evaluate("document.querySelector('input[name=source]').focus()")
    await press_key(page, "ArrowRight", 39)
    assert await page.evaluate("document.getElementById('text-field').hidden") is False
    assert await page.evaluate("document.getElementById('url-field').hidden") is True
    await type_into(page, "#text", PASTED)
    await type_into(page, "#title", "Notes on <b>tide</b> pools")
    await page.evaluate("document.getElementById('submit').focus()")
    await press_key(page, "Enter", 13)
    await wait_done(page)
    assert await page.evaluate("document.querySelector('#markdown h2').textContent") == (
        "Notes on <b>tide</b> pools"
    )
    assert await page.evaluate("document.querySelectorAll('#markdown b').length") == 0


async def test_failed_job_shows_its_error_code(
    page: Page, services: Services, pages: PageServer
) -> None:
    await open_app(page, services)
    await submit_url(page, f"{pages.base}/status/404", "casual")
    await page.wait_for("document.body.dataset.state === 'error'", "the failure", 30)
    message = await page.evaluate("document.getElementById('job-error').textContent")
    assert "(http_error)" in message
    assert await page.evaluate("document.getElementById('result').hidden") is True


async def test_refused_submission_is_shown_at_the_form(page: Page, services: Services) -> None:
    await open_app(page, services)
    await submit_url(page, "ftp://example.com/file", "casual")
    await page.wait_for("!document.getElementById('form-error').hidden", "the form error", 10)
    message = await page.evaluate("document.getElementById('form-error').textContent")
    assert "(unsupported_scheme)" in message or "(invalid_url)" in message, message
    assert await page.evaluate("location.hash") == ""
