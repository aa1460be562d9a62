"""Request-forgery cases against fetch_page: DNS answers, redirects, the default policy.

Each case is followed by its canary check: a listener on the blocked endpoint
counts zero connections.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from jobcore.errors import FetchError
from jobcore.netpolicy import AddressPolicy
from worker.fetch import fetch_page, make_session
from worker.guard import BlockedAddress

from tests.worker.test_fetch_helpers import Canary, StubResolver, allow, limits

PAGE = "<html><head><title>ok</title></head><body><p>fine page</p></body></html>"


@pytest.fixture
async def canary() -> AsyncIterator[Canary]:
    c = await Canary().start()
    yield c
    await c.stop()


@pytest.fixture
async def site(aiohttp_server, canary: Canary) -> TestServer:  # type: ignore[no-untyped-def]
    """hostile.test: a page, and redirects to wherever the query says."""

    async def page(_: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    async def redirect(request: web.Request) -> web.Response:
        status = int(request.query.get("status", "302"))
        location = request.query["to"].replace("CANARY", str(canary.port))
        return web.Response(status=status, headers={"Location": location})

    async def loop(_: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": "/loop"})

    async def hop(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        port = request.url.port
        if n >= 20:
            return web.Response(text=PAGE, content_type="text/html")
        return web.Response(
            status=302, headers={"Location": f"http://hop-{n + 1}.hostile.test:{port}/hop/{n + 1}"}
        )

    async def ping(request: web.Request) -> web.Response:
        other = "b" if request.host.startswith("a.") else "a"
        return web.Response(
            status=307, headers={"Location": f"http://{other}.hostile.test:{request.url.port}/ping"}
        )

    app = web.Application()
    app.router.add_get("/", page)
    app.router.add_get("/r", redirect)
    app.router.add_get("/loop", loop)
    app.router.add_get("/hop/{n}", hop)
    app.router.add_get("/ping", ping)
    return await aiohttp_server(app, host="127.0.0.1")  # type: ignore[no-any-return]


def resolver(site_port: int, **extra: object) -> StubResolver:
    answers: dict[str, object] = {
        "hostile.test": ["127.0.0.1"],
        "a.hostile.test": ["127.0.0.1"],
        "b.hostile.test": ["127.0.0.1"],
        "loopback.attacker.test": ["127.0.0.1"],
        "rfc1918.attacker.test": ["172.16.0.5"],
        "meta.attacker.test": ["169.254.169.254"],
        "127.0.0.1.nip.io": ["127.0.0.1"],
        "localtest.me": ["127.0.0.1"],
        "v6.attacker.test": ["::ffff:127.0.0.1", "::1"],
        **{f"hop-{n}.hostile.test": ["127.0.0.1"] for n in range(1, 21)},
    }
    answers.update(extra)
    return StubResolver(answers)  # type: ignore[arg-type]


async def fetch(site: TestServer, url: str, stub: StubResolver, *ports: int) -> object:
    lim = limits(site.port, *ports)
    async with make_session(allow(site.port), lim, resolver=stub) as session:
        return await fetch_page(session, url, lim)


async def expect(code: str, site: TestServer, url: str, stub: StubResolver, *ports: int) -> None:
    with pytest.raises(FetchError) as info:
        await fetch(site, url, stub, *ports)
    assert info.value.code == code, (url, info.value.code, info.value.message)
    assert "stub" not in info.value.message  # resolver internals never reach the job


async def test_fixture_endpoint_is_fetched_when_allowed(site: TestServer) -> None:
    page = await fetch(site, f"http://127.0.0.1:{site.port}/", resolver(site.port))
    assert getattr(page, "status") == 200  # noqa: B009


async def test_default_policy_blocks_loopback(site: TestServer, canary: Canary) -> None:
    lim = limits(site.port, canary.port)
    stub = resolver(site.port)
    async with make_session(AddressPolicy(), lim, resolver=stub) as session:
        for url in (
            f"http://127.0.0.1:{site.port}/",
            f"http://127.0.0.1:{canary.port}/",
            f"http://loopback.attacker.test:{canary.port}/",
            f"http://hostile.test:{site.port}/",
        ):
            with pytest.raises(FetchError) as info:
                await fetch_page(session, url, lim)
            assert info.value.code == "blocked_address", url
    assert canary.accepts == 0


@pytest.mark.parametrize(
    "name",
    [
        "loopback.attacker.test",
        "rfc1918.attacker.test",
        "meta.attacker.test",
        "127.0.0.1.nip.io",
        "localtest.me",
        "v6.attacker.test",
    ],
)
async def test_sc12_names_resolving_to_private_addresses(
    site: TestServer, canary: Canary, name: str
) -> None:
    await expect(
        "blocked_address", site, f"http://{name}:{canary.port}/", resolver(site.port), canary.port
    )
    assert canary.accepts == 0


async def test_sc12_blocked_answers_are_dropped_and_the_allowed_one_used(site: TestServer) -> None:
    stub = resolver(
        site.port, **{"mixed.attacker.test": ["169.254.169.254", "10.0.0.1", "127.0.0.1"]}
    )
    page = await fetch(site, f"http://mixed.attacker.test:{site.port}/", stub)
    assert "fine page" in getattr(page, "text")  # noqa: B009


async def test_sc14_dns_rebinding_never_reaches_the_rebound_address(site: TestServer) -> None:
    rebound = await Canary().start("127.0.0.2", site.port)  # same port, refused address
    try:
        stub = resolver(
            site.port,
            **{"rebind.attacker.test": lambda n: ["127.0.0.1"] if n == 1 else ["127.0.0.2"]},
        )
        lim = limits(site.port)
        outcomes: list[str] = []
        async with make_session(allow(site.port), lim, resolver=stub) as session:
            for _ in range(3):
                try:
                    await fetch_page(session, f"http://rebind.attacker.test:{site.port}/", lim)
                    outcomes.append("completed")
                except FetchError as exc:
                    outcomes.append(exc.code)
        assert set(outcomes) <= {"completed", "blocked_address"}
        assert rebound.accepts == 0
    finally:
        await rebound.stop()


@pytest.mark.parametrize(
    ("name", "answer"),
    [
        ("nx.attacker.test", socket.gaierror(socket.EAI_NONAME, "stub NXDOMAIN detail")),
        ("servfail.attacker.test", socket.gaierror(socket.EAI_AGAIN, "stub SERVFAIL detail")),
        ("empty.attacker.test", []),
    ],
)
async def test_sc15_resolution_failures(site: TestServer, name: str, answer: object) -> None:
    stub = resolver(site.port, **{name: answer})
    await expect("dns_error", site, f"http://{name}:{site.port}/", stub)
    assert stub.queries.count(name) == 1  # no retry storm inside one fetch


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://127.1:6379/",
        "//127.0.0.1:CANARY/x",
        "http://127.0.0.1:CANARY/",
        "http://loopback.attacker.test:CANARY/",
        "http://2130706433:CANARY/",
        "http://metadata.google.internal/",
    ],
)
async def test_sc16_redirects_to_internal_targets(
    site: TestServer, canary: Canary, status: int, target: str
) -> None:
    url = f"http://hostile.test:{site.port}/r?status={status}&to={target}"
    await expect("blocked_address", site, url, resolver(site.port), canary.port)
    assert canary.accepts == 0


@pytest.mark.parametrize(
    "target",
    [
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_INFO",
        "dict://127.0.0.1:11211/stats",
        "ftp://public.example/x",
        "tcp://public.example:6379/",
        "ws://public.example/",
        "wss://public.example/",
        "javascript:alert(1)",
    ],
)
async def test_sc17_redirects_to_other_schemes(site: TestServer, target: str) -> None:
    url = f"http://hostile.test:{site.port}/r?to={target}"
    await expect("unsupported_scheme", site, url, resolver(site.port))


async def test_redirect_hop_port_is_rechecked(site: TestServer) -> None:
    stub = resolver(site.port, **{"public.example": ["127.0.0.1"]})
    url = f"http://hostile.test:{site.port}/r?to=http://public.example:6379/"
    await expect("blocked_address", site, url, stub)


@pytest.mark.parametrize(
    "path", ["/loop", "/ping", "/hop/1"], ids=["self-loop", "ping-pong", "20-hop-chain"]
)
async def test_sc18_redirect_loops_and_long_chains(site: TestServer, path: str) -> None:
    host = "a.hostile.test" if path == "/ping" else "hostile.test"
    await expect(
        "too_many_redirects", site, f"http://{host}:{site.port}{path}", resolver(site.port)
    )


async def test_sc18_five_redirects_are_followed(site: TestServer) -> None:
    page = await fetch(site, f"http://hop-15.hostile.test:{site.port}/hop/15", resolver(site.port))
    assert getattr(page, "final_url").endswith("/hop/20")  # noqa: B009


async def test_connector_itself_refuses_blocked_endpoints(site: TestServer, canary: Canary) -> None:
    """Even a caller that skips fetch_page's URL gate cannot reach a refused endpoint."""
    lim = limits(site.port, canary.port)
    async with make_session(allow(site.port), lim, resolver=resolver(site.port)) as session:
        for url in (
            f"http://127.0.0.1:{canary.port}/",
            f"http://loopback.attacker.test:{canary.port}/",
            f"http://[::1]:{canary.port}/",
        ):
            with pytest.raises(aiohttp.ClientConnectorError) as info:
                await session.get(url)
            assert isinstance(info.value.os_error, BlockedAddress), url
    assert canary.accepts == 0
