"""The submit-time URL gate and URL canonicalization (pure).

The gate parses with yarl, the parser aiohttp's client uses, so what is checked
is what would be fetched. Before parsing it looks at the raw text, because
yarl silently drops an empty userinfo and would hand a backslash to a server
that reads it as ``/`` (WHATWG). Host names are only classified here (no DNS);
every address a fetch actually connects to is checked again at connect time,
so this gate is the first line, not the only one.

The checks run in a fixed order, and that order decides the error code a
client sees: length, characters, scheme, authority syntax, credentials,
host syntax, address, port.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata

from yarl import URL

from jobcore.errors import UrlRejected
from jobcore.netpolicy import AddressPolicy, IPAddress, strip_scope

ALLOWED_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}

# Unicode categories never allowed anywhere in a URL: controls, format
# characters (bidi, zero-width, BOM, soft hyphen), surrogates, all spaces.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zs", "Zl", "Zp"})
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")
_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
# Names that never denote a public site: RFC 6761/6762/8375 special-use
# names, cloud and cluster-internal suffixes, and common private TLDs.
_INTERNAL_SUFFIXES = (
    ".localhost",
    ".local",
    ".localdomain",
    ".internal",
    ".intranet",
    ".lan",
    ".home",
    ".corp",
    ".private",
    ".home.arpa",
    ".arpa",
    ".svc",
    ".cluster.local",
)
_LOOPBACKS: tuple[IPAddress, ...] = (
    ipaddress.IPv4Address("127.0.0.1"),
    ipaddress.IPv6Address("::1"),
)


def parse_submit_url(
    raw: str,
    *,
    max_length: int,
    policy: AddressPolicy,
    allowed_ports: tuple[int, ...],
) -> URL:
    """Return the parsed URL, or raise ``UrlRejected`` with the precise code."""
    if len(raw) > max_length:  # before any other work: the input may be huge
        raise UrlRejected("url_too_long", f"URL is longer than {max_length} characters")
    raw = raw.strip(" \t\r\n")
    if not raw or any(unicodedata.category(ch) in _FORBIDDEN_CATEGORIES for ch in raw):
        raise UrlRejected("invalid_url", "URL contains whitespace or control characters")
    if "\\" in raw:
        raise UrlRejected("invalid_url", "URL contains a backslash")
    scheme, colon, rest = raw.partition(":")
    scheme = scheme.lower()
    if not colon or not _SCHEME.fullmatch(scheme):
        raise UrlRejected("invalid_url", "URL must be absolute, e.g. https://example.com/page")
    if scheme not in ALLOWED_SCHEMES:
        raise UrlRejected("unsupported_scheme", "only http and https URLs can be fetched")
    if not rest.startswith("//"):
        raise UrlRejected("invalid_url", "URL has no host")
    authority = re.split(r"[/?#]", rest[2:], maxsplit=1)[0]
    if "@" in authority:
        raise UrlRejected("credentials_in_url", "URLs with user names or passwords are refused")
    _check_raw_host(authority)
    try:
        url = URL(raw)
        host = url.raw_host
        port = url.explicit_port if url.explicit_port is not None else url.port
    except (ValueError, UnicodeError) as exc:
        raise UrlRejected("invalid_url", "URL cannot be parsed") from exc
    if url.user is not None or url.password is not None:
        raise UrlRejected("credentials_in_url", "URLs with user names or passwords are refused")
    if not host:
        raise UrlRejected("invalid_url", "URL has no host")
    if port is None or not 0 < port < 65536:
        raise UrlRejected("invalid_url", "URL has an invalid port")
    addresses = _host_addresses(host)
    # The address decides before the port: http://127.1:6379/ is an attack on
    # an address, and an explicit ip:port exception is the only way past both.
    # ``localhost`` denotes both loopbacks: one allowed is enough, because the fetcher's
    # connect-time guard then drops the other.
    if addresses and not any(policy.allows(addr, port) for addr in addresses):
        shown = f"[{addresses[0]}]" if addresses[0].version == 6 else str(addresses[0])
        raise UrlRejected(
            "blocked_address",
            f"the URL points to a non-public address ({shown}); the server's operator "
            f"can allow it with FETCH_ALLOWED_ADDRESSES={shown}:{port}",
        )
    explicitly_allowed = any(policy.names_endpoint(addr, port) for addr in addresses)
    if port not in allowed_ports and not explicitly_allowed:
        raise UrlRejected("blocked_port", f"port {port} is not allowed")
    return url


def _check_raw_host(authority: str) -> None:
    """Reject percent-escapes in a host: yarl keeps them, resolvers and proxies may not."""
    if authority.startswith("["):
        return  # IPv6 literal: '%25' introduces a zone id, judged as an address later
    if "%" in authority:
        raise UrlRejected("invalid_url", "host contains characters that are not allowed")


def _host_addresses(host: str) -> list[IPAddress]:
    """Classify an (IDNA-encoded) host: the addresses it denotes without DNS.

    Raises ``UrlRejected`` for malformed hosts and internal names; returns []
    for an ordinary public-looking DNS name.
    """
    name = unicodedata.normalize("NFKC", host).lower()
    if ":" in name:  # yarl has already validated the IPv6 literal
        try:
            return [strip_scope(ipaddress.IPv6Address(name.replace("%25", "%")))]
        except ValueError as exc:
            raise UrlRejected("invalid_url", "host is not a valid IPv6 address") from exc
    name = name.removesuffix(".")
    labels = name.split(".")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        address = parse_ipv4(name)
        if address is None:
            raise UrlRejected("invalid_url", "host is a malformed IPv4 address")
        return [address]
    if not all(_LABEL.fullmatch(label) for label in labels) or len(name) > 253:
        raise UrlRejected("invalid_url", "host is not a valid host name")
    if name in _LOCAL_NAMES or name.endswith(".localhost"):
        return list(_LOOPBACKS)
    if len(labels) < 2 or name.endswith(_INTERNAL_SUFFIXES):
        raise UrlRejected("blocked_address", "the URL names an internal host")
    return []


def parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """WHATWG IPv4 parsing (decimal, octal, hex, 1-4 parts), without wrap-around.

    ``127.1``, ``0x7f000001``, ``2130706433`` and ``0177.0.0.1`` all mean
    127.0.0.1 to browsers and to ``inet_aton``; an over-long part is a failure
    (None), never reduced modulo 2**32 as some parsers do.
    """
    parts = host.removesuffix(".").split(".")
    if not 1 <= len(parts) <= 4:
        return None
    numbers: list[int] = []
    for part in parts:
        number = _ipv4_number(part)
        if number is None:
            return None
        numbers.append(number)
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        return None
    value = numbers[-1]
    for index, number in enumerate(numbers[:-1]):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _ipv4_number(part: str) -> int | None:
    if len(part) > 34:  # enough for any 32-bit value in any base; bounds int()
        return None
    try:
        if part[:2].lower() == "0x":
            return int(part[2:], 16) if part[2:] else 0
        if len(part) > 1 and part.startswith("0"):
            return int(part[1:], 8)
        return int(part, 10) if part.isascii() and part.isdigit() else None
    except ValueError:
        return None


def literal_addresses(host: str) -> list[IPAddress]:
    """Addresses a host denotes without DNS: IP literals (any legacy form) and localhost.

    Fails closed: a malformed numeric host answers 0.0.0.0, which no policy allows.
    """
    name = host.removesuffix(".").lower()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    if name in _LOCAL_NAMES or name.endswith(".localhost"):
        return list(_LOOPBACKS)
    try:
        return [strip_scope(ipaddress.ip_address(name.replace("%25", "%")))]
    except ValueError:
        pass
    if _NUMERIC_LABEL.fullmatch(name.rsplit(".", 1)[-1]):
        return [parse_ipv4(name) or ipaddress.IPv4Address("0.0.0.0")]
    return []


def canonical_url(url: URL) -> str:
    """One spelling per outbound request: lower-case scheme and host, no default
    port, no trailing dot, no fragment. Fetch this string, so that two submits
    share a job id exactly when they produce the same request.
    """
    scheme = (url.scheme or "http").lower()
    host = (url.raw_host or "").removesuffix(".").lower()
    if ":" in host:
        host = f"[{host}]"
    elif _NUMERIC_LABEL.fullmatch(host.rsplit(".", 1)[-1]):
        address = parse_ipv4(host)  # 134744072 and 8.8.8.8 are one request
        host = str(address) if address is not None else host
    port = url.port
    netloc = host if port is None or port == DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    path = url.raw_path or "/"
    query = f"?{url.raw_query_string}" if url.raw_query_string else ""
    return f"{scheme}://{netloc}{path}{query}"
