"""Which network addresses Recast may connect to (pure).

Everything that is not globally routable is refused, after unwrapping IPv4
addresses embedded in IPv6 (mapped, compatible, 6to4, Teredo, NAT64), plus the
ranges ``is_global`` lets through. ``FETCH_ALLOWED_ADDRESSES`` names exceptions
as ``ip:port``, ``[ipv6]:port``, a bare IP, or a CIDR network.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_EXTRA_BLOCKED: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "192.0.0.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "100.64.0.0/10",
        "198.18.0.0/15",
        "fec0::/10",
        "ff00::/8",
        "64:ff9b:1::/48",
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_V4_COMPAT = ipaddress.ip_network("::/96")


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
    if address in _NAT64 or (address in _V4_COMPAT and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def is_public(address: IPAddress) -> bool:
    """True only for globally routable unicast addresses."""
    inner = unwrap(address)
    for candidate in {address, inner}:
        if not candidate.is_global or candidate.is_multicast or candidate.is_reserved:
            return False
        if any(candidate in net for net in _EXTRA_BLOCKED if net.version == candidate.version):
            return False
    return True


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """Public addresses pass; others only when an exception names them."""

    networks: tuple[IPNetwork, ...] = ()
    endpoints: frozenset[tuple[IPAddress, int]] = frozenset()

    @classmethod
    def from_entries(cls, entries: Iterable[str]) -> AddressPolicy:
        networks: list[IPNetwork] = []
        endpoints: set[tuple[IPAddress, int]] = set()
        for entry in entries:
            entry = entry.strip()
            if not entry:
                continue
            if "/" in entry:
                networks.append(ipaddress.ip_network(entry, strict=False))
            elif entry.startswith("["):
                host, _, port = entry[1:].partition("]:")
                endpoints.add((ipaddress.ip_address(host), int(port)))
            elif entry.count(":") == 1:
                host, _, port = entry.partition(":")
                endpoints.add((ipaddress.ip_address(host), int(port)))
            else:
                networks.append(ipaddress.ip_network(entry))
        return cls(tuple(networks), frozenset(endpoints))

    def allows(self, address: IPAddress, port: int) -> bool:
        if (address, port) in self.endpoints:
            return True
        if any(address in net for net in self.networks if net.version == address.version):
            return True
        return is_public(address)

    def allows_any_port(self, address: IPAddress) -> bool:
        """Submit-time check for IP literals, when the port is already known to be allowed."""
        return self.allows(address, -1) or any(a == address for a, _ in self.endpoints)
