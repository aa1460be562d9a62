"""Real headless Chromium against real gateway and worker processes.

Skips the whole folder, with the reason, when no Chromium is installed.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.browser.cdp import ChromiumProcess, Page, browser_page, chromium_or_reason
from tests.integration.harness import ROOT, PageServer, Services, running_services

HERE = Path(__file__).parent
ARTIFACTS = ROOT / "var" / "test-artifacts" / "browser"

# Records, from before any page script runs, every CSP violation and every
# run of the canary the hostile page tries to set.
INSTRUMENT = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives a real headless Chromium")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    binary, reason = chromium_or_reason()
    for item in items:
        if str(item.path).startswith(str(HERE)):
            item.add_marker(pytest.mark.browser)
            if binary is None:
                item.add_marker(pytest.mark.skip(reason=reason))


class HostileSite:
    """Serves tests/browser/hostile.html (and counts hits) on 127.0.0.1."""

    def __init__(self) -> None:
        body = (HERE / "hostile.html").read_bytes()
        self.hits = 0
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.hits += 1
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hostile.html"

    def __enter__(self) -> HostileSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def chromium() -> Iterator[str]:
    binary, reason = chromium_or_reason()
    if binary is None:
        pytest.skip(reason)
    with ChromiumProcess(binary) as proc:
        yield proc.ws_url


@pytest.fixture(scope="module")
def pages() -> Iterator[PageServer]:
    with PageServer() as server:
        yield server


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileSite]:
    with HostileSite() as site:
        yield site


@pytest.fixture(scope="module")
def services(
    redis_url: str,
    pages: PageServer,
    hostile: HostileSite,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Services]:
    log_dir: Path = tmp_path_factory.mktemp("browser-logs")
    allowed = f"127.0.0.1:{pages.port},127.0.0.1:{hostile.port}"
    with running_services(
        redis_url,
        f"web-{uuid.uuid4().hex[:8]}",
        pages,
        log_dir,
        FETCH_ALLOWED_ADDRESSES=allowed,
        SSE_HEARTBEAT_SECONDS="1",
    ) as svc:
        yield svc


@pytest.fixture
async def page(chromium: str) -> AsyncIterator[Page]:
    async with browser_page(chromium) as tab:
        await tab.send("Page.addScriptToEvaluateOnNewDocument", {"source": INSTRUMENT})
        yield tab


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
