"""recast-client.js and markdown.js checked in the browser, without Node or a server.

The static folder is served as plain files with no Content-Security-Policy, so the
Markdown checks prove the renderer alone keeps hostile input inert.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from gateway.static import STATIC_DIR

from tests.browser.cdp import Page

HERE = Path(__file__).parent
LINK = ' rel="noopener noreferrer nofollow ugc" target="_blank"'

CASES: list[tuple[str, str]] = [
    (
        "# Title\n\nHello **bold**, *em*, ~~del~~ and `co<de>`.",
        "<h1>Title</h1><p>Hello <strong>bold</strong>, <em>em</em>, <del>del</del> and "
        "<code>co&lt;de&gt;</code>.</p>",
    ),
    ("- a\n- b\n\n1. x\n2. y", "<ul><li>a</li><li>b</li></ul><ol><li>x</li><li>y</li></ol>"),
    ("3. three\n4. four", '<ol start="3"><li>three</li><li>four</li></ol>'),
    ("- a\n  - nested\n- b", "<ul><li>a<ul><li>nested</li></ul></li><li>b</li></ul>"),
    (
        "[ok](https://example.com/a?b=1&c=2)",
        f'<p><a href="https://example.com/a?b=1&amp;c=2"{LINK}>ok</a></p>',
    ),
    ("[x](javascript:alert(1))", "<p><span>x</span></p>"),
    ("[x](JaVaScRiPt:alert(1))", "<p><span>x</span></p>"),
    ("[x](data:text/html,<script>alert(1)</script>)", "<p><span>x</span></p>"),
    ("[x](/relative/path)", "<p><span>x</span></p>"),
    ("<img src=x onerror=alert(1)>", "<p>&lt;img src=x onerror=alert(1)&gt;</p>"),
    (
        "![a cat](https://example.com/cat.png)",
        f'<p><a href="https://example.com/cat.png"{LINK}>[image: a cat]</a></p>',
    ),
    (
        "```html\n<script>alert(1)</script>\n```",
        "<pre><code>&lt;script&gt;alert(1)&lt;/script&gt;</code></pre>",
    ),
    ("> quoted\n> more", "<blockquote><p>quoted\nmore</p></blockquote>"),
    (
        "| a | b |\n| --- | --- |\n| 1 | 2 \\| 3 |",
        "<table><thead><tr><th>a</th><th>b</th></tr></thead>"
        "<tbody><tr><td>1</td><td>2 | 3</td></tr></tbody></table>",
    ),
    ("snake_case_name and 2 * 3 * 4", "<p>snake_case_name and 2 * 3 * 4</p>"),
    (
        "<https://example.com/x>",
        f'<p><a href="https://example.com/x"{LINK}>https://example.com/x</a></p>',
    ),
    ("a\n\n---\n\nb", "<p>a</p><hr><p>b</p>"),
    ("line one  \nline two", "<p>line one<br>line two</p>"),
    ("\\*not em\\*", "<p>*not em*</p>"),
]

HOSTILE = [
    "<img src=x onerror=\"window.__pwned='img'\">",
    "<svg onload=\"window.__pwned='svg'\"></svg>",
    "<script>window.__pwned='script'</script>",
    "<iframe src=\"javascript:parent.__pwned='iframe'\"></iframe>",
    "[click](javascript:window.__pwned='link')",
    "[click](  javascript:window.__pwned='spaced')",
    "![x](javascript:window.__pwned='image')",
    '[x](https://ok.test/" onmouseover="window.__pwned=1)',
    "<a href=\"javascript:window.__pwned='a'\">a</a>",
    "# <img src=x onerror=\"window.__pwned='h'\">\n\n| <b onclick=x>t</b> |\n| --- |\n| c |",
    "```\n</code></pre><img src=x onerror=\"window.__pwned='fence'\">\n```",
    "`<img src=x onerror=\"window.__pwned='code'\">`",
    "**<img src=x onerror=\"window.__pwned='strong'\">**",
]


class _Quiet(SimpleHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/__blank":
            body = b"<!doctype html><html><head><title>checks</title></head><body></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def static_site() -> Iterator[str]:
    handler = functools.partial(_Quiet, directory=str(STATIC_DIR))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def _run(page: Page, static_site: str, script: str, *args: Any) -> Any:
    await page.goto(f"{static_site}/__blank")
    source = (HERE / script).read_text()
    call = f"({source})({', '.join(json.dumps(a) for a in args)})" if args else source
    return await page.evaluate(call, await_promise=True)


async def test_markdown_renders_the_cases(page: Page, static_site: str) -> None:
    out = await _run(page, static_site, "markdown_checks.js", [md for md, _ in CASES], HOSTILE)
    for (md, expected), got in zip(CASES, out["cases"], strict=True):
        assert got == expected, md
    assert out["offset"] == "<h2>T</h2><h3>U</h3>"
    assert out["safeHref"] == [
        "https://a.test/x",
        "http://a.test/",
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
    ]


async def test_markdown_keeps_hostile_input_inert_without_any_csp(
    page: Page, static_site: str
) -> None:
    out = await _run(page, static_site, "markdown_checks.js", [], HOSTILE)
    hostile = out["hostile"]
    assert hostile["pwned"] is None
    assert page.dialogs == []
    assert set(hostile["elements"]) <= {
        "A", "BLOCKQUOTE", "CODE", "EM", "H1", "P", "PRE", "SPAN", "STRONG",
        "TABLE", "TBODY", "TD", "TH", "THEAD", "TR",
    }  # fmt: skip
    assert set(hostile["attributes"]) <= {"href", "rel", "target"}
    assert all(h.startswith("https://") for h in hostile["hrefs"]), hostile["hrefs"]
    # Pathological input stays fast (no quadratic blow-up, no stack overflow).
    assert max(out["timings"].values()) < 2000, out["timings"]


async def test_client_call_shape_and_errors(page: Page, static_site: str) -> None:
    out = await _run(page, static_site, "client_checks.js")

    cache = out["cache_hit"]["ok"]
    assert cache["title"] == "T"
    assert cache["seen"] == [["j1", "completed", 100, "done", True]]
    assert cache["jobs"] == ["j1"]
    assert cache["calls"] == ["POST /api/transform"]

    polling = out["polling"]["ok"]
    assert polling["seen"] == [["queued", 0], ["fetching", 10], ["transforming", 60], ["done", 100]]
    assert polling["calls"][0] == "POST /api/transform/text"
    assert polling["calls"][1:] == ["GET /api/transform/jobs/j1"] * 3

    failed = out["failed"]["error"]
    assert failed == {
        "code": "http_error",
        "status": None,
        "jobId": "j1",
        "upstreamStatus": 404,
        "retryable": False,
        "isRecastError": True,
    }
    assert out["cancelled"]["error"]["code"] == "cancelled"
    assert out["cancelled"]["error"]["jobId"] == "j1"
    assert out["timeout"]["ok"] == {"code": "poll_timeout", "jobId": "j1", "gets": 3}
    problem = out["problem"]["error"]
    assert (problem["code"], problem["status"], problem["jobId"]) == ("invalid_url", 422, None)
    assert out["busy_gateway_costs_an_attempt"]["ok"] == "T"
    assert out["abort"]["error"]["name"] == "AbortError"
    sse = out["sse"]["ok"]
    assert sse["seen"] == [["queued", 0], ["extracting", 40], ["done", 100]]
    assert sse["opened"] == ["/api/transform/jobs/j1/events"]
    assert sse["gets"] == 0
    fallback = out["sse_error_falls_back_to_polling"]["ok"]
    assert fallback == {"title": "T", "opened": 1, "gets": 1}
    resumed = out["resume_finished_job"]["ok"]
    assert resumed == {
        "title": "T",
        "calls": ["GET https://gw.test/api/transform/jobs/j1"],
        "opened": 0,
    }
    assert out["network_error"]["error"]["code"] == "network_error"
