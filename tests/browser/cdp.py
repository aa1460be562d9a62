"""A small Chrome DevTools Protocol driver over aiohttp's websocket client.

Starts the system Chromium headless (never downloads a browser), opens one page
per test and offers what the tests need: navigate, evaluate, wait for a condition,
reload, screenshot, and the dialogs and exceptions the page produced.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """``RECAST_CHROMIUM`` if set, else the first Chromium on PATH."""
    explicit = os.environ.get("RECAST_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


class ChromiumProcess:
    """A headless Chromium with remote debugging on a free port."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.profile = tempfile.mkdtemp(prefix="recast-chromium-")
        self.proc: subprocess.Popen[bytes] | None = None
        self.ws_url = ""

    def __enter__(self) -> ChromiumProcess:
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--remote-debugging-port=0",
                f"--user-data-dir={self.profile}",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--disable-crash-reporter",
                "--window-size=1024,900",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chromium exited with {self.proc.returncode}")
            if port_file.is_file():
                lines = port_file.read_text().split()
                if len(lines) >= 2:
                    self.ws_url = f"ws://127.0.0.1:{lines[0]}{lines[1]}"
                    return self
            time.sleep(0.05)
        self.__exit__()
        raise TimeoutError("chromium did not open its DevTools port")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


class CDPError(RuntimeError):
    pass


class Page:
    """One browser tab, attached with a flat session on the browser's websocket."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.session_id = ""
        self.target_id = ""
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._waiters: list[tuple[str, asyncio.Future[dict[str, Any]]]] = []
        self.dialogs: list[str] = []
        self.exceptions: list[str] = []
        self.console: list[str] = []
        self._tasks: set[asyncio.Future[dict[str, Any]]] = set()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            if "id" in data:
                future = self._pending.pop(data["id"], None)
                if future is not None and not future.done():
                    future.set_result(data)
                continue
            self._on_event(data.get("method", ""), data.get("params", {}))

    def _on_event(self, method: str, params: dict[str, Any]) -> None:
        if method == "Page.javascriptDialogOpening":
            self.dialogs.append(str(params.get("message")))
            task = asyncio.ensure_future(
                self.send("Page.handleJavaScriptDialog", {"accept": False})
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            self.exceptions.append(
                str(details.get("exception", {}).get("description") or details.get("text"))
            )
        elif method == "Runtime.consoleAPICalled":
            args = params.get("args", [])
            self.console.append(" ".join(str(a.get("value", a.get("description"))) for a in args))
        for name, future in list(self._waiters):
            if name == method and not future.done():
                future.set_result(params)
                self._waiters.remove((name, future))

    async def send(
        self, method: str, params: dict[str, Any] | None = None, *, browser: bool = False
    ) -> dict[str, Any]:
        msg_id = next(self._ids)
        message: dict[str, Any] = {"id": msg_id, "method": method, "params": params or {}}
        if not browser:
            message["sessionId"] = self.session_id
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = future
        await self.ws.send_str(json.dumps(message))
        reply = await asyncio.wait_for(future, 30)
        if "error" in reply:
            raise CDPError(f"{method}: {reply['error']}")
        result: dict[str, Any] = reply.get("result", {})
        return result

    def expect(self, method: str) -> asyncio.Future[dict[str, Any]]:
        """A future for the next event named ``method`` (create it before acting)."""
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiters.append((method, future))
        return future

    async def open(self) -> None:
        target = await self.send("Target.createTarget", {"url": "about:blank"}, browser=True)
        self.target_id = target["targetId"]
        attached = await self.send(
            "Target.attachToTarget", {"targetId": self.target_id, "flatten": True}, browser=True
        )
        self.session_id = attached["sessionId"]
        for domain in ("Page", "Runtime"):
            await self.send(f"{domain}.enable")

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.send("Target.closeTarget", {"targetId": self.target_id}, browser=True)
        self._reader.cancel()

    async def goto(self, url: str) -> None:
        loaded = self.expect("Page.loadEventFired")
        await self.send("Page.navigate", {"url": url})
        await asyncio.wait_for(loaded, 30)

    async def reload(self) -> None:
        loaded = self.expect("Page.loadEventFired")
        await self.send("Page.reload", {"ignoreCache": True})
        await asyncio.wait_for(loaded, 30)

    async def evaluate(self, expression: str, *, await_promise: bool = False) -> Any:
        reply = await self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": await_promise},
        )
        if "exceptionDetails" in reply:
            details = reply["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise CDPError(f"evaluate failed: {text}")
        return reply.get("result", {}).get("value")

    async def wait_for(self, expression: str, what: str, seconds: float = 20) -> Any:
        """Poll ``expression`` until it is truthy (for at most ``seconds``); return its value."""
        deadline = time.monotonic() + seconds
        while True:
            value = await self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {what} ({expression})")
            await asyncio.sleep(0.05)

    async def screenshot(self, path: Path) -> Path:
        shot = await self.send(
            "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
        )
        await asyncio.to_thread(_write, path, base64.b64decode(shot["data"]))
        return path


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@contextlib.asynccontextmanager
async def browser_page(ws_url: str) -> Any:
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(ws_url, max_msg_size=64 * 1024 * 1024) as ws,
    ):
        page = Page(ws)
        await page.open()
        try:
            yield page
        finally:
            await page.close()


def chromium_or_reason() -> tuple[str | None, str]:
    binary = find_chromium()
    if binary is None:
        return None, (
            "no Chromium found (looked for RECAST_CHROMIUM, "
            + ", ".join(CANDIDATES)
            + "); install one, e.g. `apt-get install -y chromium`"
        )
    return binary, ""


__all__ = ["ChromiumProcess", "Page", "browser_page", "chromium_or_reason", "find_chromium"]
