"""Every ``kind: submit`` case of security.json, one parametrized test per case id.

Each case names a whole kind of fault, so each row holds the case's own inputs
plus a few more of the same kind that the list does not spell out.
"""

from __future__ import annotations

import pytest
from jobcore.errors import UrlRejected
from jobcore.netpolicy import AddressPolicy
from jobcore.urls import canonical_url, parse_submit_url

PORTS = (80, 443, 8080, 8443)
LONG = "http://public.example/" + "a" * 3000

CASES: list[tuple[str, str, list[str]]] = [
    (
        "SC-01",
        "blocked_address",
        [
            "http://127.0.0.1:8080/admin",
            "http://127.0.0.2/",
            "http://127.255.255.254/",
            "http://localhost/",
            "http://LOCALHOST./",
            "http://[::1]/",
            "http://[::]:80/",
            "http://[0000:0000::1]:6379/",
            "http://ip6-localhost/",
            "http://１２７。０。０。１/",
        ],
    ),
    (
        "SC-02",
        "blocked_address",
        [
            "http://2130706433/",
            "http://0x7f000001/",
            "http://0177.0.0.1/",
            "http://017700000001/",
            "http://127.1/",
            "http://127.0.1/",
            "http://127.000000000000.1/",
            "http://0/",
            "http://0.0.0.0:8080/",
            "http://0x/",
            "http://0x7f.1/",
            "http://127.0.0.1./",
        ],
    ),
    (
        "SC-03",
        "blocked_address",
        [
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]:8080/",
            "http://[0:0:0:0:0:ffff:10.0.0.1]/",
            "http://[::ffff:c0a8:101]/",
            "http://[::127.0.0.1]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://[2002:7f00:1::]/",
            "http://[::ffff:0:7f00:1]/",
        ],
    ),
    (
        "SC-05",
        "blocked_address",
        [
            "http://10.0.0.1/",
            "http://10.255.255.254/",
            "http://172.16.0.5/",
            "http://172.31.255.254/",
            "http://192.168.0.1/",
            "http://100.64.0.1/",
            "http://198.18.0.1/",
            "http://192.0.0.9/",
            "http://192.0.2.1/",
            "http://198.19.255.1/",
        ],
    ),
    (
        "SC-06",
        "blocked_address",
        [
            "http://[fc00::1]/",
            "http://[fd12:3456:789a::1]/",
            "http://[fe80::1%25eth0]/",
            "http://[fec0::1]/",
            "http://[ff02::1]/",
            "http://224.0.0.1/",
            "http://255.255.255.255/",
            "http://240.0.0.1/",
            "http://[2001:db8::1]/",
            "http://[100::1]/",
            "http://239.255.255.250/",
        ],
    ),
    (
        "SC-07",
        "blocked_address",
        [
            "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
            "http://169.254.169.254/latest/user-data",
            "http://169.254.169.254/computeMetadata/v1/",
            "http://169.254.169.254/metadata/instance?api-version=2021-02-01",
            "http://[fd00:ec2::254]/latest/meta-data/",
            "http://100.100.100.200/latest/meta-data/",
        ],
    ),
    (
        "SC-08",
        "blocked_address",
        [
            "http://2852039166/",
            "http://0xA9FEA9FE/",
            "http://0xA9.0xFE.0xA9.0xFE/",
            "http://0251.0376.0251.0376/",
            "http://0251.254.169.254/",
            "http://169.254.43518/",
            "http://[::ffff:a9fe:a9fe]/",
            "http://[0:0:0:0:0:ffff:169.254.169.254]/",
            "http://169.16689662/",
            "http://00000251.254.169.254/",
        ],
    ),
    (
        "SC-09",
        "invalid_url",
        [
            "http://425.510.425.510/",
            "http://7147006462/",
            "http://0x41414141A9FEA9FE/",
            "http://1.2.3.4.5/",
            "http://256.0.0.1/",
            "http://169.254.169.254.0/",
            "http://08.0.0.1/",
            "http://example.123/",
            "http://" + "9" * 40 + "/",
        ],
    ),
    (
        "SC-11",
        "blocked_address",
        [
            "http://metadata.google.internal/computeMetadata/v1beta1/",
            "http://metadata/computeMetadata/v1/",
            "http://instance-data/latest/",
            "http://rancher-metadata/latest",
            "http://kubernetes.default.svc/",
            "http://host.docker.internal/",
            "http://app.localhost/",
            "http://localhost.localdomain/",
            "http://printer.local/",
            "http://kubernetes.default.svc.cluster.local/",
            "http://router.home.arpa/",
            "http://METADATA./",
        ],
    ),
    (
        "SC-20",
        "unsupported_scheme",
        [
            "file:///etc/passwd",
            "file://localhost/etc/passwd",
            "file:///proc/self/environ",
            "FILE:///etc/hosts",
            "file:/etc/passwd",
            "gopher://127.0.0.1:6379/_INFO",
            "ws://public.example/",
            "tcp://public.example:6379/",
            "ftp://public.example/x",
            "javascript:alert(1)",
            "data:text/html,hi",
        ],
    ),
    (
        "SC-22",
        "invalid_url",
        [
            "example.com",
            "//example.com/",
            "http:/example.com",
            "http:///example.com",
            "http://",
            "http://:80/",
            "http://public.example:0/",
            "http://public.example:65536/",
            "http://[::1",
            "",
            "   ",
            "http://public.example:99999999999999999999/",
            "http://a..b/",
            "http://-bad-.example/",
            "1http://public.example/",
        ],
    ),
    (
        "SC-23",
        "credentials_in_url",
        [
            "http://public.example@127.0.0.1/",
            "http://169.254.169.254:80@public.example/",
            "http://user:pass@public.example/",
            "http://%40@127.0.0.1/",
            "http://@127.0.0.1/",
            "https://:@public.example/",
            "http://user@public.example:443/",
        ],
    ),
    (
        "SC-24",
        "invalid_url",
        [
            "http://127.0.0.1:80\\@public.example/",
            "http://public.example\\@127.0.0.1/",
            "http://127.0.0.1:80:\\@@public.example/",
            "http://1.1.1.1 &@2.2.2.2# @3.3.3.3/",
            "http:\\\\127.0.0.1\\",
            "http://public.example/\\..\\",
        ],
    ),
    (
        "SC-26",
        "invalid_url",
        [
            "http://exam\u0000ple.com/",
            "http://public.example/\r\nX-Injected:%201",
            "http://public.example\t/",
            "http://pub\u200blic.example/",
            "http://a\u202eelpmaxe.com/",
            "http://%31%32%37.0.0.1/",
            "http://127.0.0.1%00.attacker.test/",
            "http://pub\u00adlic.example/",
            "http://public.example\u3000/",
            "http://x\u2066y.example/",
            "http://public.example/\x85",
            "http://pub\ufefflic.example/",
            "http://public\ud800.example/",
        ],
    ),
    (
        "SC-27",
        "blocked_port",
        [
            "http://public.example:22/",
            "http://public.example:25/",
            "http://public.example:2375/",
            "http://public.example:6379/",
            "http://public.example:11211/",
            "http://public.example:3306/",
            "http://public.example:8500/",
            "https://public.example:9200/",
            "http://8.8.8.8:6379/",
            "http://[2606:4700::1]:22/",
        ],
    ),
    (
        "SC-28",
        "url_too_long",
        [
            LONG,
            "http://public.example/" + "b" * 100_000,
            "http://public.example/?" + "&".join(f"p{i}=1" for i in range(5000)),
        ],
    ),
]


@pytest.mark.parametrize(("code", "urls"), [pytest.param(c, u, id=i) for i, c, u in CASES])
def test_submit_case_is_rejected_with_its_code(code: str, urls: list[str]) -> None:
    for raw in urls:
        with pytest.raises(UrlRejected) as info:
            parse_submit_url(raw, max_length=2048, policy=AddressPolicy(), allowed_ports=PORTS)
        assert info.value.code == code, (raw, info.value.code, info.value.message)
        assert info.value.status == 422
        assert len(info.value.message) < 200  # never echoes attacker input


@pytest.mark.parametrize(
    "raw",
    [
        "HTTP://EXAMPLE.COM/",
        "https://public.example/",
        "http://public.example:8080/x?y=1#z",
        "http://8.8.8.8/",
        "http://134744072/",
        "http://[2606:4700:4700::1111]/",
        "https://bücher.example/straße",
        "http://public.example/" + "a" * (2048 - len("http://public.example/")),
        "  https://public.example/  ",
        "http://under_score.example/",
        "http://public.example./",
    ],
)
def test_public_urls_are_accepted(raw: str) -> None:
    url = parse_submit_url(raw, max_length=2048, policy=AddressPolicy(), allowed_ports=PORTS)
    assert url.scheme in {"http", "https"}


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("http://PUBLIC.example:80/a", "http://public.example/a"),
        ("http://public.example/a#frag", "http://public.example/a"),
        ("http://public.example./a", "http://public.example/a"),
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
        ("http://134744072/", "http://8.8.8.8/"),
        ("https://public.example:443", "https://public.example/"),
    ],
)
def test_canonical_url_folds_equivalent_spellings(left: str, right: str) -> None:
    def canon(raw: str) -> str:
        url = parse_submit_url(raw, max_length=2048, policy=AddressPolicy(), allowed_ports=PORTS)
        return canonical_url(url)

    assert canon(left) == canon(right)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("http://public.example/a?x=1", "http://public.example/a?x=2"),
        ("http://public.example/a", "https://public.example/a"),
        ("http://public.example/a", "http://public.example:8080/a"),
        ("http://public.example/a", "http://public.example/A"),
    ],
)
def test_canonical_url_keeps_different_requests_apart(left: str, right: str) -> None:
    urls = [
        parse_submit_url(r, max_length=2048, policy=AddressPolicy(), allowed_ports=PORTS)
        for r in (left, right)
    ]
    assert canonical_url(urls[0]) != canonical_url(urls[1])


def test_allowed_endpoint_passes_the_gate_only_on_its_port() -> None:
    policy = AddressPolicy.from_entries(["127.0.0.1:8181"])
    url = parse_submit_url(
        "http://127.0.0.1:8181/x", max_length=2048, policy=policy, allowed_ports=PORTS
    )
    assert url.port == 8181
    # localhost is 127.0.0.1 and ::1: one excepted is enough, the fetch guard drops the other.
    parse_submit_url("http://localhost:8181/", max_length=2048, policy=policy, allowed_ports=PORTS)
    for raw, code in [
        ("http://127.0.0.1:8182/", "blocked_address"),
        ("http://127.0.0.1:8080/", "blocked_address"),
        ("http://127.0.0.2:8181/", "blocked_address"),
    ]:
        with pytest.raises(UrlRejected) as info:
            parse_submit_url(raw, max_length=2048, policy=policy, allowed_ports=PORTS)
        assert info.value.code == code, raw
