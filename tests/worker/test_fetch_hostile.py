"""Hostile upstreams: bombs, silent peers, header floods, broken framing, bad TLS.

SC-29, SC-30, SC-33, SC-34, SC-35, SC-37. Servers are raw TCP scripts on
127.0.0.1 (aiohttp's own server refuses to say most of these things).
"""

from __future__ import annotations

import asyncio
import gzip
import ssl
import subprocess
import time
import tracemalloc
import zlib
from functools import cache
from pathlib import Path

import brotli
import pytest
from aiohttp import web
from jobcore.errors import FetchError
from worker.fetch import FetchedPage, fetch_page, make_session

from tests.worker.test_fetch_helpers import StubResolver, allow, limits, raw_server, send

CAP = 1024 * 1024
BOMB = 256 * 1024 * 1024


@cache
def zeros_compressed(kind: str) -> bytes:
    block = b"\x00" * (1024 * 1024)
    if kind == "br":
        comp = brotli.Compressor(quality=4)
        out = b"".join(comp.process(block) for _ in range(BOMB // len(block)))
        return out + comp.finish()
    wbits = {"gzip": 31, "deflate": 15, "raw-deflate": -15}[kind]
    zobj = zlib.compressobj(9, zlib.DEFLATED, wbits)
    return b"".join(zobj.compress(block) for _ in range(BOMB // len(block))) + zobj.flush()


def response(body: bytes, *headers: str, status: str = "200 OK") -> bytes:
    head = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", *headers, "Connection: close"]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


async def fetch_raw(payload: bytes, *, deadline: float = 5.0, wait: float = 0.0) -> FetchedPage:
    async with raw_server(send(payload, then_wait=wait)) as port:
        lim = limits(port, timeout=deadline, max_bytes=CAP)
        async with make_session(allow(port), lim) as session:
            return await fetch_page(session, f"http://127.0.0.1:{port}/", lim)


async def expect_raw(code: str, payload: bytes, **kwargs: float) -> FetchError:
    with pytest.raises(FetchError) as info:
        await fetch_raw(payload, **kwargs)
    assert info.value.code == code, info.value.message
    return info.value


@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        ("gzip", lambda: zeros_compressed("gzip")),
        ("deflate", lambda: zeros_compressed("deflate")),
        ("deflate", lambda: zeros_compressed("raw-deflate")),
        ("gzip, gzip", lambda: gzip.compress(zeros_compressed("gzip"))),
        ("br", lambda: zeros_compressed("br")),
    ],
    ids=["SC-29-gzip", "SC-29-deflate", "SC-29-raw-deflate", "SC-29-gzip-gzip", "SC-30-brotli"],
)
async def test_decompression_bombs_stop_at_the_cap(encoding: str, body: object) -> None:
    payload = response(body(), "Content-Type: text/html", f"Content-Encoding: {encoding}")  # type: ignore[operator]
    tracemalloc.start()
    try:
        start = time.monotonic()
        await expect_raw("too_large", payload)
        elapsed = time.monotonic() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < CAP + 8 * 1024 * 1024, peak  # bounded: cap plus a few buffers
    assert elapsed < 5


async def test_sc30_many_member_gzip_stops_in_linear_time() -> None:
    member = gzip.compress(b"\x00" * 1024)
    payload = response(member * 100_000, "Content-Type: text/html", "Content-Encoding: gzip")
    start = time.monotonic()
    await expect_raw("too_large", payload)
    assert time.monotonic() - start < 3


async def test_sc30_zstd_we_never_asked_for_is_refused() -> None:
    """Without a zstd decoder the body cannot be capped on decoded size, so it is refused."""
    payload = response(
        b"\x28\xb5\x2f\xfd" + b"\x00" * 64, "Content-Type: text/html", "Content-Encoding: zstd"
    )
    await expect_raw("bad_response", payload)


async def test_small_compressed_page_decodes() -> None:
    html = b"<html><body><p>" + b"word " * 1000 + b"</p></body></html>"
    for encoding, body in [
        ("gzip", gzip.compress(html)),
        ("br", brotli.compress(html)),
        ("deflate", zlib.compress(html)),
        ("gzip, br", brotli.compress(gzip.compress(html))),
    ]:
        page = await fetch_raw(
            response(body, "Content-Type: text/html", f"Content-Encoding: {encoding}")
        )
        assert page.byte_count == len(html), encoding


async def test_truncated_gzip_is_bad_response() -> None:
    body = gzip.compress(b"<p>" + b"x" * 5000)[:-20]
    await expect_raw(
        "bad_response", response(body, "Content-Type: text/html", "Content-Encoding: gzip")
    )


@pytest.mark.parametrize(
    ("payload", "wait"),
    [
        (b"", 10.0),  # accepts and never says a word
        (b"HTTP/1.1 200 OK\r\n", 10.0),  # a status line, then silence
        (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100\r\n\r\n<p>", 10.0),
    ],
    ids=["silent", "status-line-only", "body-stalls"],
)
async def test_sc33_silent_peers_time_out(payload: bytes, wait: float) -> None:
    start = time.monotonic()
    err = await expect_raw("timeout", payload, deadline=1.0, wait=wait)
    assert err.retryable
    assert time.monotonic() - start < 2.5


async def test_sc33_trickling_body_cannot_outrun_the_deadline() -> None:
    async def trickle(_r: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n"
        )
        for _ in range(1000):
            writer.write(b"a")
            await writer.drain()
            await asyncio.sleep(0.1)

    async with raw_server(trickle) as port:
        lim = limits(port, timeout=1.0)
        start = time.monotonic()
        async with make_session(allow(port), lim) as session:
            with pytest.raises(FetchError) as info:
                await fetch_page(session, f"http://127.0.0.1:{port}/", lim)
    assert info.value.code == "timeout"
    assert time.monotonic() - start < 2.5


async def test_sc33_tls_hello_never_answered_times_out() -> None:
    async with raw_server(send(b"", then_wait=10)) as port:
        lim = limits(port, timeout=1.0)
        stub = StubResolver({"hostile.test": ["127.0.0.1"]})
        async with make_session(allow(port), lim, resolver=stub) as session:
            with pytest.raises(FetchError) as info:
                await fetch_page(session, f"https://hostile.test:{port}/", lim)
    assert info.value.code == "timeout"


async def test_sc33_resolver_that_never_answers_times_out() -> None:
    lim = limits(timeout=1.0)
    stub = StubResolver({"hostile.test": None})
    start = time.monotonic()
    async with make_session(allow(), lim, resolver=stub) as session:
        with pytest.raises(FetchError) as info:
            await fetch_page(session, "http://hostile.test/", lim)
    assert info.value.code == "timeout"
    assert time.monotonic() - start < 2.5


HEADER_FLOODS = {
    "100KB-header-line": response(b"<p>x</p>", "X-Big: " + "a" * 100_000),
    "500-headers": response(b"<p>x</p>", *(f"X-H{i}: v" for i in range(500))),
    "10000-set-cookie": response(b"<p>x</p>", *(f"Set-Cookie: c{i}=v" for i in range(10_000))),
    "20KB-reason": response(b"<p>x</p>", status="200 " + "O" * 20_000),
    "20KB-location": response(
        b"", "Location: http://public.example/" + "a" * 20_000, status="302 Found"
    ),
}


@pytest.mark.parametrize("payload", list(HEADER_FLOODS.values()), ids=list(HEADER_FLOODS))
async def test_sc34_oversized_headers_are_bad_response(payload: bytes) -> None:
    await expect_raw("bad_response", payload)


H = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
FRAMING = {
    "short-body": H + b"Content-Length: 1000000\r\n\r\n<p>x</p>",
    "two-lengths": H + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\n<p>x</p>",
    "length-and-chunked": H
    + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n<p>x<\r\n0\r\n\r\n",
    "nul-in-header": H + b"X-A: a\x00b\r\nContent-Length: 8\r\n\r\n<p>x</p>",
    "bare-cr-in-header": H + b"X-A: a\rb\r\nContent-Length: 8\r\n\r\n<p>x</p>",
    "status-2000": b"HTTP/1.1 2000 OK\r\nContent-Length: 8\r\n\r\n<p>x</p>",
    "http-9.9": b"HTTP/9.9 200 OK\r\nContent-Length: 8\r\n\r\n<p>x</p>",
    "bad-chunk": H + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n<p>x</p>\r\n0\r\n\r\n",
    "unparseable-location": b"HTTP/1.1 302 Found\r\nLocation: http://[::1\r\n\r\n",
    "not-http": b"SSH-2.0-OpenSSH_9.6\r\n\r\n",
}


@pytest.mark.parametrize("payload", list(FRAMING.values()), ids=list(FRAMING))
async def test_sc35_malformed_framing_is_bad_response(payload: bytes) -> None:
    await expect_raw("bad_response", payload)


@pytest.mark.parametrize(
    "payload",
    [
        b"HTTP/1.1 200 OK\nContent-Type: text/html\nContent-Length: 8\n\n<p>x</p>",
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-A: a\r\n b\r\n"
        b"Content-Length: 8\r\n\r\n<p>x</p>",
    ],
    ids=["bare-lf", "obs-fold"],
)
async def test_sc35_lenient_framing_that_aiohttp_tolerates(payload: bytes) -> None:
    """Deliberate divergence from SC-35: aiohttp's response parser accepts bare-LF
    line endings and obs-fold (as browsers do). Nothing we fetch is forwarded,
    so there is nothing to smuggle; the framing that could make two parties
    disagree about a body (two lengths, length plus chunked) is still refused.
    """
    page = await fetch_raw(payload)
    assert page.text == "<p>x</p>"


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=hostile.test",
            "-addext",
            "subjectAltName=DNS:hostile.test",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.mark.parametrize("name", ["hostile.test", "other.test"], ids=["self-signed", "wrong-host"])
async def test_sc37_untrusted_certificates_are_tls_errors(
    aiohttp_server,
    self_signed: tuple[Path, Path],
    name: str,  # type: ignore[no-untyped-def]
) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*self_signed)

    async def page(_: web.Request) -> web.Response:
        return web.Response(text="<p>x</p>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/", page)
    server = await aiohttp_server(app, host="127.0.0.1", ssl=context)
    lim = limits(server.port)
    stub = StubResolver({name: ["127.0.0.1"]})
    async with make_session(allow(server.port), lim, resolver=stub) as session:
        with pytest.raises(FetchError) as info:
            await fetch_page(session, f"https://{name}:{server.port}/", lim)
    assert info.value.code == "tls_error"
    assert "BEGIN CERTIFICATE" not in info.value.message
    assert not info.value.retryable
