"""Safe fetching of one HTML page from a server that may be hostile.

    make_session(policy, limits)  a session whose connector enforces the address
                                  policy on every address it connects to (guard.py)
    fetch_page(session, url, limits) -> FetchedPage, or raises FetchError

Every hop of a redirect chain passes the same URL gate as a submit, and the
whole fetch (DNS, connects, redirects, body) runs under one deadline, because
per-read timeouts do not stop a server trickling a byte at a time. The body is
capped on *decoded* bytes, sniffed, and decoded with a charset we chose. Only
the one page is fetched: nothing in it (meta refresh, <base>, images, scripts)
is ever followed.
"""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
import weakref
from dataclasses import dataclass

import aiohttp
from aiohttp.abc import AbstractResolver
from jobcore.errors import FetchError, UrlRejected
from jobcore.netpolicy import AddressPolicy
from jobcore.settings import Settings
from jobcore.urls import canonical_url, parse_submit_url
from yarl import URL

from worker.guard import (
    CHUNK,
    HTML_TYPES,
    BadEncoding,
    BlockedAddress,
    CappedDecoder,
    GuardedResolver,
    TooLarge,
    accept_encoding,
    guarded_socket_factory,
    sniff,
)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_HOP_URL = 8190  # aiohttp's own header line limit; a longer Location never arrives
SNIFF_BYTES = 1024

# The policy each session was made with, so every hop's URL gate uses it too.
_POLICIES: weakref.WeakKeyDictionary[aiohttp.ClientSession, AddressPolicy] = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True, slots=True)
class FetchLimits:
    timeout: float
    connect_timeout: float
    max_bytes: int
    max_redirects: int
    user_agent: str
    allowed_ports: tuple[int, ...]

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchLimits:
        return cls(
            timeout=settings.fetch_timeout_seconds,
            connect_timeout=settings.fetch_connect_timeout_seconds,
            max_bytes=settings.fetch_max_bytes,
            max_redirects=settings.fetch_max_redirects,
            user_agent=settings.fetch_user_agent,
            allowed_ports=settings.fetch_allowed_ports,
        )


@dataclass(frozen=True, slots=True)
class FetchedPage:
    url: str
    final_url: str
    status: int
    content_type: str
    charset: str
    text: str
    byte_count: int


def make_session(
    policy: AddressPolicy, limits: FetchLimits, *, resolver: AbstractResolver | None = None
) -> aiohttp.ClientSession:
    """A session for ``fetch_page``. ``resolver`` replaces DNS (tests), still behind the guard."""
    tls = ssl.create_default_context()
    tls.minimum_version = ssl.TLSVersion.TLSv1_2
    connector = aiohttp.TCPConnector(
        resolver=GuardedResolver(policy, resolver),
        socket_factory=guarded_socket_factory(policy),
        ssl=tls,
        limit=100,
        limit_per_host=4,  # never an amplifier against one site
        ttl_dns_cache=10,
        dns_cache_max_size=1000,  # bounded: attackers can mint endless names
    )
    session = aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(
            total=limits.timeout,
            connect=limits.connect_timeout,
            sock_connect=limits.connect_timeout,
            sock_read=limits.timeout,
        ),
        headers={
            "User-Agent": limits.user_agent,
            "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
            "Accept-Encoding": accept_encoding(),
        },
        auto_decompress=False,  # guard.CappedDecoder decodes under the byte cap
        cookie_jar=aiohttp.DummyCookieJar(),  # jobs of different users share nothing
        trust_env=False,  # an env proxy would connect on our behalf, past the guard
    )
    _POLICIES[session] = policy
    return session


async def fetch_page(session: aiohttp.ClientSession, url: str, limits: FetchLimits) -> FetchedPage:
    """Fetch one HTML page, following at most ``limits.max_redirects`` checked redirects."""
    policy = _POLICIES.get(session, AddressPolicy())
    try:
        async with asyncio.timeout(limits.timeout):
            return await _fetch(session, url, limits, policy)
    except TimeoutError as exc:
        raise FetchError("timeout", "the server did not answer in time", retryable=True) from exc
    except (aiohttp.ClientError, OSError, ssl.SSLError) as exc:
        raise _map_error(exc) from exc


async def _fetch(
    session: aiohttp.ClientSession, url: str, limits: FetchLimits, policy: AddressPolicy
) -> FetchedPage:
    current = _gate(url, limits, policy)
    for hop in range(limits.max_redirects + 1):
        async with session.get(current, allow_redirects=False) as resp:
            if resp.status not in REDIRECT_STATUSES:
                return await _read_page(url, str(current), resp, limits)
            location = resp.headers.get("Location")
            if not location:
                raise FetchError("bad_response", "redirect without a Location header")
            if hop == limits.max_redirects:
                raise FetchError("too_many_redirects", f"more than {hop} redirects")
            current = _next_hop(current, location, limits, policy)
    raise AssertionError("unreachable")  # pragma: no cover


def _gate(raw: str, limits: FetchLimits, policy: AddressPolicy, *, hop: bool = False) -> URL:
    """The submit gate, again: a job's URL may predate a policy change, a hop is new."""
    try:
        url = parse_submit_url(
            raw, max_length=MAX_HOP_URL, policy=policy, allowed_ports=limits.allowed_ports
        )
    except UrlRejected as exc:
        if exc.code in ("blocked_address", "blocked_port"):
            raise FetchError("blocked_address", _where(hop, "a non-public address")) from None
        if exc.code == "unsupported_scheme":
            raise FetchError("unsupported_scheme", _where(hop, "a non-HTTP URL")) from None
        raise FetchError("bad_response", _where(hop, "an invalid URL")) from None
    return URL(canonical_url(url), encoded=True)


def _where(hop: bool, what: str) -> str:
    return f"redirected to {what}" if hop else f"the URL is {what}"


def _next_hop(current: URL, location: str, limits: FetchLimits, policy: AddressPolicy) -> URL:
    try:
        target = current.join(URL(location))
    except (ValueError, UnicodeError):
        raise FetchError("bad_response", "redirect Location cannot be parsed") from None
    return _gate(str(target), limits, policy, hop=True)


async def _read_page(
    url: str, final_url: str, resp: aiohttp.ClientResponse, limits: FetchLimits
) -> FetchedPage:
    if resp.status >= 300:
        retryable = resp.status == 429 or resp.status >= 500
        raise FetchError(
            "http_error",
            f"the server answered {resp.status}",
            retryable=retryable,
            upstream_status=resp.status,
        )
    if resp.content_length is not None and resp.content_length > limits.max_bytes:
        raise FetchError("too_large", f"the page is larger than {limits.max_bytes} bytes")
    # A missing or empty header is "unknown" (sniffed), not aiohttp's octet-stream default.
    declared = resp.content_type if resp.headers.get("Content-Type", "").strip() else ""
    if declared and declared not in HTML_TYPES and not _unknown_type(declared):
        raise FetchError("unsupported_content_type", f"the page is {declared[:60]}, not HTML")
    body = await _read_body(resp, limits, declared in HTML_TYPES)
    charset, text = decode_html(body, resp.charset)
    if not text.strip():
        raise FetchError("empty_content", "the page is empty")
    return FetchedPage(
        url=url,
        final_url=final_url,
        status=resp.status,
        content_type=declared if declared in HTML_TYPES else "text/html",
        charset=charset,
        text=text,
        byte_count=len(body),
    )


def _unknown_type(essence: str) -> bool:
    # WHATWG MIME sniffing: these mean "the server does not know", so we sniff.
    return essence in ("application/unknown", "unknown/unknown", "*/*")


async def _read_body(resp: aiohttp.ClientResponse, limits: FetchLimits, declared: bool) -> bytes:
    encoding = ",".join(resp.headers.getall("Content-Encoding", []))
    try:
        decoder = CappedDecoder(encoding, limits.max_bytes)
        body = bytearray()
        raw_total = 0
        sniffed = False
        async for chunk in resp.content.iter_chunked(CHUNK):
            raw_total += len(chunk)
            if raw_total > limits.max_bytes:
                raise TooLarge("raw body over the cap")
            body += decoder.feed(chunk)
            if not sniffed and len(body) >= SNIFF_BYTES:
                _sniff_or_refuse(body, declared)
                sniffed = True
        body += decoder.flush()
    except TooLarge:
        raise FetchError("too_large", f"the page is larger than {limits.max_bytes} bytes") from None
    except BadEncoding:
        raise FetchError("bad_response", "the body does not match its Content-Encoding") from None
    if not sniffed:
        _sniff_or_refuse(body, declared)
    return bytes(body)


def _sniff_or_refuse(body: bytearray, declared: bool) -> None:
    if not sniff(bytes(body[:SNIFF_BYTES]), declared_html=declared):
        raise FetchError("unsupported_content_type", "the page is not HTML")


def _map_error(exc: BaseException) -> FetchError:
    """Every client-side failure maps to one stable job error code."""
    if _blocked(exc):
        return FetchError("blocked_address", "the host resolves to a non-public address")
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        os_error = exc.os_error
        again = isinstance(os_error, socket.gaierror) and os_error.errno == socket.EAI_AGAIN
        return FetchError("dns_error", "the host name could not be resolved", retryable=again)
    if isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError):
        return FetchError("tls_error", "the TLS handshake or certificate check failed")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return FetchError("connect_error", "could not connect to the server", retryable=True)
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return FetchError("bad_response", "the server closed the connection", retryable=True)
    if isinstance(exc, aiohttp.ClientResponseError | aiohttp.ClientPayloadError):
        return FetchError("bad_response", "the server sent a malformed response")
    if isinstance(exc, aiohttp.ClientError):
        return FetchError("bad_response", "the server's response could not be used")
    return FetchError("connect_error", "the connection failed", retryable=True)


def _blocked(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, BlockedAddress):
            return True
        if isinstance(exc, aiohttp.ClientConnectorError) and isinstance(
            exc.os_error, BlockedAddress
        ):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def _labels(codec: str, *names: str) -> dict[str, str]:
    return dict.fromkeys(names, codec)


# WHATWG encoding labels we honour, mapped to Python codecs. Anything else
# (utf-7, base64, rot13, "undefined", typos) is ignored rather than trusted:
# several Python codecs are not text encodings or raise on every byte.
_CHARSETS: dict[str, str] = {
    **_labels("utf-8", "utf-8", "utf8", "unicode-1-1-utf-8", "unicode20utf8"),
    **_labels("utf-16-le", "utf-16", "utf-16le", "ucs-2", "unicode", "csunicode"),
    **_labels("utf-16-be", "utf-16be", "unicodefffe"),
    **_labels(
        "cp1252",
        "ascii",
        "us-ascii",
        "iso-8859-1",
        "iso8859-1",
        "iso_8859-1",
        "latin1",
        "l1",
        "cp819",
        "ibm819",
        "x-user-defined",
        "ansi_x3.4-1968",
    ),
    **{
        f"{p}{n}": f"iso8859_{n}"
        for n in (2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 14, 15, 16)
        for p in ("iso-8859-", "iso8859-", "iso_8859-")
    },
    **{f"{p}125{n}": f"cp125{n}" for n in range(9) for p in ("windows-", "cp", "x-cp")},
    **_labels("koi8_r", "koi8-r", "koi8_r", "koi8", "cskoi8r"),
    **_labels("koi8_u", "koi8-u", "koi8-ru"),
    **_labels("cp932", "shift_jis", "shift-jis", "sjis", "ms_kanji", "windows-31j", "x-sjis"),
    **_labels("euc_jp", "euc-jp", "x-euc-jp"),
    **_labels("iso2022_jp", "iso-2022-jp"),
    **_labels("gb18030", "gb18030", "gbk", "gb2312", "x-gbk", "chinese", "csgb2312"),
    **_labels("big5hkscs", "big5", "big5-hkscs", "cn-big5", "x-x-big5", "csbig5"),
    **_labels("cp949", "euc-kr", "ks_c_5601-1987", "windows-949", "cseuckr", "korean"),
    **_labels("mac_roman", "macintosh", "mac", "x-mac-roman", "csmacintosh"),
    **_labels("cp866", "ibm866", "cp866", "866", "csibm866"),
    **_labels("cp874", "tis-620", "windows-874", "iso-8859-11", "dos-874"),
}
_META_CHARSET = re.compile(rb"<meta[^>]{0,512}?charset\s*=\s*[\"']?\s*([a-z0-9_.:-]{1,40})", re.I)
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def decode_html(body: bytes, header_charset: str | None) -> tuple[str, str]:
    """(codec, text): BOM, then the HTTP header, then <meta>, then a safe guess.

    This is the HTML standard's precedence, so a page whose header and <meta>
    disagree decodes as a browser would. Decoding never raises: bad bytes
    become U+FFFD, and NUL does too (as the HTML parser would make it).
    """
    codec = None
    for bom, name in _BOMS:
        if body.startswith(bom):
            codec, body = name, body[len(bom) :]
            break
    codec = codec or _CHARSETS.get((header_charset or "").strip().lower())
    if codec is None:
        match = _META_CHARSET.search(body[:SNIFF_BYTES])
        meta = _CHARSETS.get(match.group(1).decode("ascii").lower()) if match else None
        # A <meta> read as ASCII cannot truthfully declare UTF-16.
        codec = "utf-8" if meta in ("utf-16-le", "utf-16-be") else meta
        if meta not in (None, "utf-8") and _is_utf8_text(body):
            # Non-ASCII bytes that are valid UTF-8 are almost never another encoding:
            # a page saved as UTF-8 under a stale <meta> (a common CMS bug) reads right.
            codec = "utf-8"
    if codec is None:
        try:
            return "utf-8", _clean(body.decode("utf-8"))
        except UnicodeDecodeError:
            codec = "cp1252"
    return codec, _clean(body.decode(codec, errors="replace"))


def _is_utf8_text(body: bytes) -> bool:
    if body.isascii():
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _clean(text: str) -> str:
    return text.replace("\x00", "\ufffd")
