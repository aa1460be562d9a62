"""Page actions and server-side counters for the browser tests."""

from __future__ import annotations

import json
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from tests.browser.cdp import Page
from tests.integration.harness import Services


def metrics(services: Services) -> dict[str, float]:
    """Flat view of /metrics: job counters by name, and requests as "METHOD route"."""
    with urllib.request.urlopen(f"{services.base}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "recast_http_requests_total":
                key = f"{sample.labels['method']} {sample.labels['route']}"
                out[key] = out.get(key, 0.0) + sample.value
            elif not sample.labels:
                out[sample.name] = sample.value
    return out


async def open_app(page: Page, services: Services, hash_: str = "") -> None:
    await page.goto(f"{services.base}/{hash_}")
    await page.wait_for("document.body.dataset.ready === 'true'", "the page to load personas")


async def type_into(page: Page, selector: str, text: str) -> None:
    """Focus a field and type as a user would (select-all first)."""
    await page.evaluate(f"document.querySelector({json.dumps(selector)}).select()")
    await page.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
    await page.send("Input.insertText", {"text": text})


async def press_key(page: Page, key: str, code: int) -> None:
    """A real key press on the focused element (Enter submits, arrows move radios)."""
    text = "\r" if key == "Enter" else ""
    await page.send(
        "Input.dispatchKeyEvent",
        {"type": "keyDown" if text else "rawKeyDown", "key": key, "code": key,
         "windowsVirtualKeyCode": code, "text": text},
    )  # fmt: skip
    await page.send(
        "Input.dispatchKeyEvent",
        {"type": "keyUp", "key": key, "code": key, "windowsVirtualKeyCode": code},
    )


async def press_enter(page: Page) -> None:
    await press_key(page, "Enter", 13)


async def submit_url(page: Page, url: str, persona: str) -> None:
    """Choose the persona, type the address and press Enter in the field."""
    await page.evaluate(
        "(() => { const s = document.getElementById('persona');"
        f" s.value = {json.dumps(persona)}; s.dispatchEvent(new Event('change')); }})()"
    )
    await type_into(page, "#url", url)
    await press_enter(page)


async def job_id_in_hash(page: Page) -> str:
    value = await page.wait_for(
        "new URLSearchParams(location.hash.slice(1)).get('job')", "the job id in the URL"
    )
    return str(value)


async def wait_done(page: Page, seconds: float = 30) -> None:
    await page.wait_for(
        "document.body.dataset.state === 'done' || document.body.dataset.state === 'error'",
        "the job to finish",
        seconds,
    )
    state = await page.evaluate("document.body.dataset.state")
    if state != "done":
        error = await page.evaluate("document.getElementById('job-error').textContent")
        raise AssertionError(f"the page shows an error: {error}")


# Records every (stage, progress) the page shows, from now on.
RECORD_STAGES = """
(() => {
  window.__stages = [];
  const stage = document.getElementById('stage');
  const bar = document.getElementById('progress');
  const note = () => {
    const last = window.__stages[window.__stages.length - 1];
    const now = [stage.dataset.stage, bar.value];
    if (!last || last[0] !== now[0] || last[1] !== now[1]) window.__stages.push(now);
  };
  new MutationObserver(note).observe(stage, {attributes: true, childList: true, subtree: true});
  new MutationObserver(note).observe(bar, {attributes: true});
  note();
})()
"""
