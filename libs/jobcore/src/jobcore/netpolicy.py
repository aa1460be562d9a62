"""Which network addresses Recast may connect to (pure).

Everything that is not globally routable unicast is refused. IPv4 addresses
embedded in IPv6 (mapped, translated, compatible, 6to4, Teredo, NAT64) are
unwrapped first and both forms must pass. The block list below is explicit
(IANA special-purpose registries) rather than trusting ``is_global`` alone:
its answers differ between CPython releases, and it lets through multicast,
site-local and parts of 192.0.0.0/24.

``FETCH_ALLOWED_ADDRESSES`` names the only exceptions, as ``ip:port``,
``[ipv6]:port``, a bare IP, or a CIDR network.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_BLOCKED_V4 = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",  # "this network"; 0.0.0.0 reaches the local host on Linux
        "10.0.0.0/8",
        "100.64.0.0/10",  # CGNAT shared space
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, cloud metadata
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF protocol assignments (is_global lets some through)
        "192.0.2.0/24",
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, includes 255.255.255.255
    )
)
_BLOCKED_V6 = tuple(
    ipaddress.IPv6Network(n)
    for n in (
        "::/128",
        "::1/128",
        "::ffff:0:0/96",  # mapped: only reached here if unwrapping failed
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard
        "2001::/23",  # IETF protocol assignments, Teredo
        "2001:db8::/32",
        "3fff::/20",  # documentation (RFC 9637)
        "5f00::/16",  # SRv6 SIDs
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated, is_global says True)
        "ff00::/8",  # multicast
    )
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_V4_COMPAT = ipaddress.IPv6Network("::/96")
_V4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")


def strip_scope(address: IPAddress) -> IPAddress:
    """Drop an IPv6 zone id (``fe80::1%eth0``) so comparisons see the bare address."""
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
        return ipaddress.IPv6Address(int(address))
    return address


def unwrap(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 address carries, if any; else the address itself."""
    if isinstance(address, ipaddress.IPv4Address):
        return address
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _NAT64 or address in _V4_TRANSLATED:
        return low32
    if address in _V4_COMPAT and int(address) > 1:
        return low32
    return address


def is_public(address: IPAddress) -> bool:
    """True only for globally routable unicast addresses (embedded IPv4 included)."""
    address = strip_scope(address)
    inner = unwrap(address)
    if address in _NAT64:  # an IPv6-only host's path to IPv4: only the IPv4 decides
        return _is_public_plain(inner)
    return all(_is_public_plain(candidate) for candidate in {address, inner})


def _is_public_plain(address: IPAddress) -> bool:
    if address.is_multicast or address.is_reserved or address.is_unspecified:
        return False
    if address.is_loopback or address.is_link_local or address.is_private:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return False
    blocked: tuple[IPNetwork, ...] = (
        _BLOCKED_V4 if isinstance(address, ipaddress.IPv4Address) else _BLOCKED_V6
    )
    if any(address in net for net in blocked):
        return False
    return address.is_global


def canonical_address(address: IPAddress) -> IPAddress:
    """One form per endpoint: no zone id, IPv4-mapped IPv6 folded to IPv4.

    The kernel may report an IPv4 peer as ``::ffff:a.b.c.d``; an exception
    written as ``127.0.0.1:8080`` must still match it, and nothing else.
    """
    address = strip_scope(address)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """Public addresses pass; others only when an exception names them."""

    networks: tuple[IPNetwork, ...] = ()
    endpoints: frozenset[tuple[IPAddress, int]] = frozenset()

    @classmethod
    def from_entries(cls, entries: Iterable[str]) -> AddressPolicy:
        """Parse ``FETCH_ALLOWED_ADDRESSES`` entries; a bad entry raises ``ValueError``."""
        networks: list[IPNetwork] = []
        endpoints: set[tuple[IPAddress, int]] = set()
        for raw in entries:
            entry = raw.strip()
            if not entry:
                continue
            try:
                if "/" in entry:
                    networks.append(ipaddress.ip_network(entry, strict=False))
                elif entry.startswith("["):
                    host, sep, port = entry[1:].partition("]:")
                    if not sep:
                        raise ValueError("expected [ipv6]:port")
                    endpoints.add((canonical_address(ipaddress.ip_address(host)), _port(port)))
                elif entry.count(":") == 1:
                    host, _, port = entry.partition(":")
                    endpoints.add((canonical_address(ipaddress.ip_address(host)), _port(port)))
                else:
                    networks.append(ipaddress.ip_network(entry))
            except ValueError as exc:
                raise ValueError(f"FETCH_ALLOWED_ADDRESSES: bad entry {entry!r}: {exc}") from exc
        return cls(tuple(networks), frozenset(endpoints))

    def allows(self, address: IPAddress, port: int) -> bool:
        """May a connection go to ``address``:``port``?"""
        address = canonical_address(address)
        if (address, port) in self.endpoints:
            return True
        if any(address in net for net in self.networks if net.version == address.version):
            return True
        return is_public(address)

    def names_endpoint(self, address: IPAddress, port: int) -> bool:
        """Is this exact endpoint an explicit exception (so any port rule yields to it)?"""
        return (canonical_address(address), port) in self.endpoints

    def allows_any_port(self, address: IPAddress) -> bool:
        """Submit-time check for IP literals, when the port is already known to be allowed."""
        address = canonical_address(address)
        return self.allows(address, -1) or any(a == address for a, _ in self.endpoints)


def _port(text: str) -> int:
    port = int(text)
    if not 0 < port < 65536:
        raise ValueError(f"port {port} out of range")
    return port
