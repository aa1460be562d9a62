"""The address classifier and the FETCH_ALLOWED_ADDRESSES exceptions (pure)."""

from __future__ import annotations

import ipaddress

import pytest
from jobcore.netpolicy import AddressPolicy, is_public, unwrap

BLOCKED = [
    "127.0.0.1",
    "127.255.255.254",
    "0.0.0.0",
    "0.1.2.3",
    "10.0.0.1",
    "172.16.0.5",
    "172.31.255.254",
    "192.168.0.1",
    "100.64.0.1",
    "100.127.255.254",
    "169.254.169.254",
    "192.0.0.9",
    "192.0.0.10",
    "192.0.0.170",
    "192.0.2.1",
    "192.88.99.1",
    "198.18.0.1",
    "198.51.100.7",
    "203.0.113.9",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "::",
    "::1",
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "::127.0.0.1",
    "::ffff:0:a9fe:a9fe",  # SIIT-translated
    "64:ff9b::7f00:1",
    "64:ff9b::a9fe:a9fe",
    "64:ff9b:1::8.8.8.8",
    "2002:7f00:1::1",
    "2002:a9fe:a9fe::",  # 6to4 wrapping private IPv4
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo wrapping 127.0.0.1
    "fc00::1",
    "fd12:3456:789a::1",
    "fe80::1",
    "fe80::1%eth0",
    "fec0::1",
    "ff02::1",
    "ff0e::1",
    "2001:db8::1",
    "100::1",
    "3fff::1",
    "5f00::1",
]
PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.215.14",
    "2606:4700:4700::1111",
    "2a00:1450::1",
    "64:ff9b::808:808",
]


@pytest.mark.parametrize("text", BLOCKED)
def test_non_public_addresses_are_refused(text: str) -> None:
    address = ipaddress.ip_address(text)
    assert not is_public(address)
    assert not AddressPolicy().allows(address, 80)


@pytest.mark.parametrize("text", PUBLIC)
def test_public_addresses_pass(text: str) -> None:
    assert is_public(ipaddress.ip_address(text))


@pytest.mark.parametrize(
    ("wrapped", "inner"),
    [
        ("::ffff:7f00:1", "127.0.0.1"),
        ("64:ff9b::a9fe:a9fe", "169.254.169.254"),
        ("2002:c0a8:101::1", "192.168.1.1"),
        ("::ffff:0:a00:1", "10.0.0.1"),
        ("::a00:1", "10.0.0.1"),
    ],
)
def test_unwrap_finds_embedded_ipv4(wrapped: str, inner: str) -> None:
    assert unwrap(ipaddress.ip_address(wrapped)) == ipaddress.ip_address(inner)


def test_endpoint_exception_is_exact() -> None:
    policy = AddressPolicy.from_entries(["127.0.0.1:8181", " ", "[::1]:9000"])
    loop4, loop6 = ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")
    assert policy.allows(loop4, 8181)
    assert policy.allows(ipaddress.ip_address("::ffff:127.0.0.1"), 8181)  # kernel's spelling
    assert not policy.allows(loop4, 8182)
    assert not policy.allows(ipaddress.ip_address("127.0.0.2"), 8181)
    assert policy.allows(loop6, 9000)
    assert not policy.allows(loop6, 8181)


def test_network_exception_covers_every_port() -> None:
    policy = AddressPolicy.from_entries(["10.1.0.0/16", "192.168.5.5"])
    assert policy.allows(ipaddress.ip_address("10.1.2.3"), 6379)
    assert policy.allows(ipaddress.ip_address("192.168.5.5"), 80)
    assert not policy.allows(ipaddress.ip_address("10.2.0.1"), 80)


@pytest.mark.parametrize("entry", ["nonsense", "127.0.0.1:0", "127.0.0.1:70000", "[::1]", "1.2.3"])
def test_bad_entries_name_themselves(entry: str) -> None:
    with pytest.raises(ValueError, match="FETCH_ALLOWED_ADDRESSES"):
        AddressPolicy.from_entries([entry])


def test_default_policy_allows_no_exception() -> None:
    policy = AddressPolicy.from_entries([])
    assert not policy.allows(ipaddress.ip_address("127.0.0.1"), 80)
    assert policy.allows(ipaddress.ip_address("8.8.8.8"), 80)
