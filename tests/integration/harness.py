"""Real processes for end-to-end tests: a page server, gateways and workers."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from aiohttp import web

from tests.redis_server import free_port

ROOT = Path(__file__).resolve().parents[2]
SITE_DIR = ROOT / "tests" / "fixtures" / "site"
CORPUS_DIR = ROOT.parent / "shared" / "corpus"


def wait_for(condition: Callable[[], bool], deadline_seconds: float, what: str) -> None:
    deadline = time.monotonic() + deadline_seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.02)


def corpus_pages() -> list[tuple[str, Path]]:
    """(path on the page server, file) for every readability page, then every aeb page."""
    pages = [
        (f"/corpus/readability/{d.name}", d / "source.html")
        for d in sorted((CORPUS_DIR / "readability").glob("*"))
        if (d / "source.html").is_file()
    ]
    pages += [
        (f"/corpus/aeb/{f.name.removesuffix('.html.gz')}", f)
        for f in sorted((CORPUS_DIR / "aeb" / "html").glob("*.html.gz"))
    ]
    return pages


class PageServer:
    """An aiohttp server on 127.0.0.1, in its own thread; counts every hit per path.

    ``/gate/{name}`` holds its answer until ``release(name)``, so a test decides when a
    job can finish without sleeping.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.hits: Counter[str] = Counter()
        self._gates: dict[str, asyncio.Event] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._started = threading.Event()
        self._runner: web.AppRunner | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> PageServer:
        self._thread.start()
        self._started.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def release(self, name: str) -> None:
        self._loop.call_soon_threadsafe(self._gate(name).set)

    def _gate(self, name: str) -> asyncio.Event:
        return self._gates.setdefault(name, asyncio.Event())

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_get("/site/{name}", self._site)
        app.router.add_get("/corpus/{source}/{name}", self._corpus)
        app.router.add_get("/gate/{name}", self._gated)
        app.router.add_get("/status/{code}", self._status)
        app.router.add_get("/pathological/divs", self._pathological)
        app.router.add_get("/big/{kind}", self._big)
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        self._loop.run_until_complete(site.start())
        self._started.set()
        self._loop.run_forever()

    def _count(self, request: web.Request) -> None:
        self.hits[request.path] += 1

    async def _site(self, request: web.Request) -> web.Response:
        self._count(request)
        path = SITE_DIR / request.match_info["name"]
        if path.suffix != ".html" or not path.is_file():
            raise web.HTTPNotFound()
        return web.Response(body=path.read_bytes(), content_type="text/html")

    async def _corpus(self, request: web.Request) -> web.Response:
        self._count(request)
        source, name = request.match_info["source"], request.match_info["name"]
        if source == "readability":
            body = (CORPUS_DIR / "readability" / name / "source.html").read_bytes()
        elif source == "aeb":
            body = gzip.decompress((CORPUS_DIR / "aeb" / "html" / f"{name}.html.gz").read_bytes())
        else:
            raise web.HTTPNotFound()
        return web.Response(body=body, content_type="text/html", charset="utf-8")

    async def _gated(self, request: web.Request) -> web.Response:
        self._count(request)
        await self._gate(request.match_info["name"]).wait()
        return web.Response(body=(SITE_DIR / "article.html").read_bytes(), content_type="text/html")

    async def _pathological(self, request: web.Request) -> web.Response:
        """100,000 unclosed <div>: seconds of parser time, a parse budget must stop it."""
        self._count(request)
        body = "<html><head><title>deep</title></head><body>" + "<div>" * 100_000 + "x"
        return web.Response(text=body, content_type="text/html")

    async def _big(self, request: web.Request) -> web.Response:
        """A 4 MB paragraph, or 150,000 tiny ones (both far past what the transform reads)."""
        self._count(request)
        if request.match_info["kind"] == "one-paragraph":
            body = "<html><head><title>Big</title></head><body><p>" + "A" * 4_000_000 + "</p>"
        else:
            body = "<html><head><title>Big</title></head><body>" + "<p>x</p>" * 150_000
        return web.Response(text=body + "</body></html>", content_type="text/html")

    async def _status(self, request: web.Request) -> web.Response:
        self._count(request)
        return web.Response(status=int(request.match_info["code"]), text="no")


class Services:
    """Gateway and worker processes started with ``python -m``, as a user would."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = {**os.environ, **env}
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.port = int(env["PORT"])

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, name: str, module: str, **extra_env: str) -> subprocess.Popen[bytes]:
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(
            [sys.executable, "-m", module],
            env={**self.env, **extra_env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.procs[name] = proc
        return proc

    def wait_ready(self) -> None:
        def ready() -> bool:
            try:
                with urllib.request.urlopen(f"{self.base}/readyz", timeout=1) as resp:
                    return bool(json.load(resp)["status"] == "ok")
            except (urllib.error.URLError, OSError, ValueError):
                return False

        wait_for(ready, 20, "the gateway to be ready")

    def stop(self, name: str, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        proc = self.procs.pop(name)
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                return proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                return proc.wait()
        return proc.returncode

    def stop_all(self) -> None:
        for name in list(self.procs):
            with contextlib.suppress(Exception):
                self.stop(name)

    def logs(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")


@contextlib.contextmanager
def running_services(
    redis_url: str,
    prefix: str,
    pages: PageServer,
    log_dir: Path,
    workers: int = 1,
    **env: str,
) -> Iterator[Services]:
    services = Services(
        {
            "REDIS_URL": redis_url,
            "KEY_PREFIX": prefix,
            "PORT": str(free_port()),
            "HOST": "127.0.0.1",
            "FETCH_ALLOWED_ADDRESSES": f"127.0.0.1:{pages.port}",
            "RATE_LIMIT_PER_MINUTE": "0",
            "LOG_FORMAT": "json",
            "WORKER_CONCURRENCY": "8",
            **env,
        },
        log_dir,
    )
    try:
        for i in range(workers):
            services.start(f"worker{i}", "worker", WORKER_NAME=f"worker{i}")
        services.start("gateway", "gateway")
        services.wait_ready()
        yield services
    finally:
        services.stop_all()
