"""Guards a fetch cannot talk its way past: the connect-time address check and
the decoded-size cap.

Addresses are checked twice, where connections are made:

* ``GuardedResolver`` wraps the resolver aiohttp's connector uses and drops
  every answer the policy refuses. aiohttp connects only to the addresses a
  resolver returns, so the vetted answer is the one connected to: a second,
  rebound DNS answer never reaches a socket.
* ``guarded_socket_factory`` sees the sockaddr of every socket the connector
  opens, IP literals included (aiohttp does not resolve those), and refuses to
  create one for a refused endpoint. It is the backstop if anything upstream
  is ever bypassed.

Both raise ``BlockedAddress`` (an ``OSError``, which is what aiohttp expects
from these hooks) so the fetcher can tell a refusal from a network failure.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import zlib
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from jobcore.netpolicy import AddressPolicy

try:
    import brotli
except ImportError:  # pragma: no cover - brotli is a declared dependency
    brotli = None

CHUNK = 64 * 1024


class BlockedAddress(OSError):
    """The policy refused an address; the message never names resolver internals."""


class NoAddresses(OSError):
    """The name resolved, but to nothing usable (NOERROR with no A/AAAA)."""


class GuardedResolver(AbstractResolver):
    """Resolve with ``inner`` and keep only the answers ``policy`` allows."""

    def __init__(self, policy: AddressPolicy, inner: AbstractResolver | None = None) -> None:
        self._policy = policy
        self._inner = inner if inner is not None else DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        answers = await self._inner.resolve(host, port, family)
        if not answers:
            raise NoAddresses("the host name has no addresses")
        allowed = [a for a in answers if _allowed(self._policy, a["host"], a["port"])]
        if not allowed:
            raise BlockedAddress("the host name resolves to a non-public address")
        return allowed

    async def close(self) -> None:
        await self._inner.close()


SocketFactory = Callable[[Any], socket.socket]


def guarded_socket_factory(policy: AddressPolicy) -> SocketFactory:
    """A connector ``socket_factory`` that will not open a socket to a refused endpoint."""

    def factory(addr_info: Any) -> socket.socket:
        family, type_, proto, _, sockaddr = addr_info
        if not _allowed(policy, sockaddr[0], sockaddr[1]):
            raise BlockedAddress("connection to a non-public address refused")
        return socket.socket(family=family, type=type_, proto=proto)

    return factory


def _allowed(policy: AddressPolicy, host: str, port: int) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False  # not an address at all: nothing we can vouch for
    return policy.allows(address, port)


class TooLarge(Exception):
    """The decoded body passed the cap."""


class BadEncoding(Exception):
    """The body does not decode with its declared Content-Encoding."""


class Decoder(Protocol):
    def feed(self, data: bytes) -> Iterator[bytes]: ...

    def flush(self) -> Iterator[bytes]: ...


class _Identity:
    def feed(self, data: bytes) -> Iterator[bytes]:
        if data:
            yield data

    def flush(self) -> Iterator[bytes]:
        return iter(())


class _Zlib:
    """gzip (any number of members) or deflate (zlib-wrapped or raw).

    Output is pulled in ``CHUNK`` pieces with ``max_length``, so a bomb never
    inflates more than one piece ahead of the caller's byte count.
    """

    def __init__(self, gzip: bool) -> None:
        self._gzip = gzip
        self._obj: Any = None
        self._pending = b""
        self._done = False  # later bytes are trailing junk, ignored as browsers do
        self._members = 0

    def _new(self, first: bytes) -> Any:
        if self._gzip:
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        # RFC 9110 says zlib-wrapped; some servers send raw deflate. The zlib
        # header (CM=8, check bits) tells them apart.
        zlib_wrapped = first[0] & 0x0F == 8 and (first[0] << 8 | first[1]) % 31 == 0
        return zlib.decompressobj(zlib.MAX_WBITS if zlib_wrapped else -zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        data = self._pending + data
        self._pending = b""
        while data and not self._done:
            if self._obj is None:
                if len(data) < 2:
                    self._pending = data
                    return
                if self._members and data[:2] != b"\x1f\x8b":
                    self._done = True
                    return
                self._obj = self._new(data)
                self._members += 1
            try:
                out = self._obj.decompress(data, CHUNK)
            except zlib.error as exc:
                raise BadEncoding("body does not inflate") from exc
            if out:
                yield out
            if self._obj.eof:
                data = self._obj.unused_data
                self._obj = None
                self._done = not self._gzip  # deflate has one stream; gzip may have more
            else:
                data = self._obj.unconsumed_tail

    def flush(self) -> Iterator[bytes]:
        if (self._obj is not None and not self._obj.eof) or (self._pending and not self._members):
            raise BadEncoding("compressed body is truncated")
        return iter(())


class _Brotli:
    def __init__(self) -> None:
        if brotli is None:  # pragma: no cover
            raise BadEncoding("brotli is not available")
        self._obj = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        try:
            out = self._obj.process(data, output_buffer_limit=CHUNK)
            while True:
                if out:
                    yield out
                if self._obj.can_accept_more_data():
                    return
                out = self._obj.process(b"", output_buffer_limit=CHUNK)
        except brotli.error as exc:
            raise BadEncoding("body does not decompress") from exc

    def flush(self) -> Iterator[bytes]:
        if not self._obj.is_finished():
            raise BadEncoding("compressed body is truncated")
        return iter(())


def accept_encoding() -> str:
    """What we ask for: only codings we can decode under the cap."""
    return "gzip, deflate, br" if brotli is not None else "gzip, deflate"


def _decoder(coding: str) -> Decoder:
    if coding in ("gzip", "x-gzip"):
        return _Zlib(gzip=True)
    if coding == "deflate":
        return _Zlib(gzip=False)
    if coding == "br":
        return _Brotli()
    if coding in ("identity", ""):
        return _Identity()
    raise BadEncoding(f"unsupported content coding {coding[:20]!r}")


class CappedDecoder:
    """Undo a Content-Encoding chain (``gzip, gzip`` too), counting decoded bytes.

    ``feed`` returns decoded bytes and raises ``TooLarge`` the moment the total
    passes ``max_bytes``; memory stays within ``max_bytes`` plus a few chunks.
    """

    def __init__(self, content_encoding: str, max_bytes: int) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        if len(codings) > 4:
            raise BadEncoding("too many content codings")
        # Codings are listed in the order applied, so they are undone in reverse.
        self._chain = [_decoder(c) for c in reversed(codings)]
        self._max = max_bytes
        self.total = 0

    def feed(self, data: bytes) -> bytes:
        return self._collect(self._run(0, data))

    def flush(self) -> bytes:
        return self._collect(self._flush(0))

    def _collect(self, pieces: Iterator[bytes]) -> bytes:
        out = bytearray()
        for piece in pieces:
            self.total += len(piece)
            if self.total > self._max:
                raise TooLarge(f"body is larger than {self._max} bytes")
            out += piece
        return bytes(out)

    def _run(self, index: int, data: bytes) -> Iterator[bytes]:
        if index == len(self._chain):
            yield data
            return
        for piece in self._chain[index].feed(data):
            yield from self._run(index + 1, piece)

    def _flush(self, index: int) -> Iterator[bytes]:
        if index == len(self._chain):
            return
        for piece in self._chain[index].flush():
            yield from self._run(index + 1, piece)
        yield from self._flush(index + 1)


HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Signatures of formats that are never HTML, whatever the Content-Type says.
_MAGIC = (
    b"\x89PNG",
    b"GIF87a",
    b"GIF89a",
    b"\xff\xd8\xff",
    b"%PDF-",
    b"PK\x03\x04",
    b"\x7fELF",
    b"\x1f\x8b",
    b"OggS",
    b"fLaC",
    b"\x1a\x45\xdf\xa3",
    b"7z\xbc\xaf",
    b"Rar!",
    b"\xfd7zXZ",
    b"BZh",
    b"wOFF",
    b"wOF2",
    b"\x00asm",
    b"\xca\xfe\xba\xbe",
    b"MZ\x90\x00",
    b"RIFF",
)
_HTML_TAG = re.compile(
    rb"<(?:!doctype\s+html|html|head|body|title|meta|link|script|style|iframe|h[1-6]|div|"
    rb"font|table|a|b|br|p|span|article|main|section|!--|\?xml)[\s>/]",
    re.IGNORECASE,
)
# WHATWG "binary data bytes": controls that never occur in text.
_BINARY_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")


def sniff(head: bytes, *, declared_html: bool) -> bool:
    """Is this (the first KiB of a body) HTML we should parse?

    A declared HTML type is believed unless the bytes are plainly binary: a
    known file signature, or control bytes with no HTML tag in sight (one
    stray NUL inside a real page is tolerated; the parser replaces it). An
    undeclared body must show an HTML tag.
    """
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return declared_html or b"<\x00" in head or b"\x00<" in head  # UTF-16 with a BOM
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n\x0c")
    if stripped.startswith(_MAGIC) or stripped[4:8] == b"ftyp":  # ftyp: MP4/MOV/HEIF
        return False
    has_tag = _HTML_TAG.search(head) is not None
    binary = len(_BINARY_BYTES.findall(head))
    if binary * 8 > len(head):
        return False
    if declared_html:
        return has_tag or binary == 0
    return has_tag
