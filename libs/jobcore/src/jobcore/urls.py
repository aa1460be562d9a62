"""The submit-time URL gate and URL canonicalization (pure).

The gate parses with yarl, the parser aiohttp's client uses, so what is checked
is what would be fetched. Host names are only classified here (no DNS); every
address a fetch actually connects to is checked again at connect time.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import unicodedata

from yarl import URL

from jobcore.errors import UrlRejected
from jobcore.netpolicy import AddressPolicy, IPAddress

ALLOWED_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}

# C0/C1 controls, whitespace, and bidi/zero-width formatting characters.
_FORBIDDEN_CHARS = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_HOST_FORBIDDEN = re.compile(r"[%\\/@\s]")
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}\.?$", re.IGNORECASE)
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


def parse_submit_url(
    raw: str,
    *,
    max_length: int,
    policy: AddressPolicy,
    allowed_ports: tuple[int, ...],
) -> URL:
    """Return the parsed URL, or raise ``UrlRejected`` with the precise code."""
    if len(raw) > max_length:
        raise UrlRejected("url_too_long", f"URL is longer than {max_length} characters")
    raw = raw.strip()
    if not raw or _FORBIDDEN_CHARS.search(raw):
        raise UrlRejected("invalid_url", "URL contains whitespace or control characters")
    scheme = raw.partition(":")[0].lower() if ":" in raw else ""
    if not re.fullmatch(r"[a-z][a-z0-9+.-]*", scheme):
        raise UrlRejected("invalid_url", "URL must be absolute, e.g. https://example.com/page")
    if scheme not in ALLOWED_SCHEMES:
        raise UrlRejected("unsupported_scheme", f"scheme {scheme!r} is not allowed; use http or https")
    try:
        url = URL(raw)
        host = url.host
        port = url.port
    except (ValueError, UnicodeError) as exc:
        raise UrlRejected("invalid_url", "URL cannot be parsed") from exc
    if url.user is not None or url.password is not None or "@" in (url.raw_authority or ""):
        raise UrlRejected("credentials_in_url", "URLs with user names or passwords are refused")
    if not host:
        raise UrlRejected("invalid_url", "URL has no host")
    host = unicodedata.normalize("NFKC", host).lower()
    if _HOST_FORBIDDEN.search(host) or _FORBIDDEN_CHARS.search(host):
        raise UrlRejected("invalid_url", "host contains characters that are not allowed")
    if port is None:
        raise UrlRejected("invalid_url", "URL has no port")
    addresses = literal_addresses(host)
    explicitly_allowed = any((addr, port) in policy.endpoints for addr in addresses)
    if port not in allowed_ports and not explicitly_allowed:
        raise UrlRejected("blocked_port", f"port {port} is not allowed")
    if any(not policy.allows(addr, port) for addr in addresses):
        raise UrlRejected("blocked_address", "the URL points to a non-public address")
    return url


def literal_addresses(host: str) -> list[IPAddress]:
    """Addresses a host denotes without DNS: IP literals (any legacy form) and localhost."""
    name = host.rstrip(".").lower()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    if name in _LOCAL_NAMES or name.endswith(".localhost"):
        return [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")]
    try:
        return [ipaddress.ip_address(name.partition("%")[0])]
    except ValueError:
        pass
    if _NUMERIC_HOST.match(name):
        try:  # inet_aton semantics: 127.1, 0x7f000001, 2130706433, 0177.0.0.1 ...
            return [ipaddress.IPv4Address(socket.inet_aton(name))]
        except OSError:
            return [ipaddress.IPv4Address("0.0.0.0")]  # unparseable numeric host: refuse
    return []


def canonical_url(url: URL) -> str:
    """One spelling per resource: lower-case scheme and host, no default port or fragment."""
    scheme = (url.scheme or "http").lower()
    host = (url.raw_host or "").rstrip(".").lower()
    if ":" in host:
        host = f"[{host}]"
    port = url.port
    netloc = host if port is None or port == DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    path = url.raw_path or "/"
    query = f"?{url.raw_query_string}" if url.raw_query_string else ""
    return f"{scheme}://{netloc}{path}{query}"
