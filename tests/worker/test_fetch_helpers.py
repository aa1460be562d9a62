"""Shared pieces for the fetch tests: canaries, scripted raw servers, a stub resolver.

The stub resolver plugs into ``make_session(..., resolver=...)``, the same hook
production uses for its real resolver, so it sits behind the same guard.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp.abc import AbstractResolver, ResolveResult
from jobcore.netpolicy import AddressPolicy
from worker.fetch import FetchLimits

Answer = Sequence[str] | BaseException | Callable[[int], Sequence[str]] | None


@dataclass
class StubResolver(AbstractResolver):
    """name -> list of IPs, an exception to raise, a function of the query count,
    or None (never answers)."""

    answers: dict[str, Answer]
    queries: list[str] = field(default_factory=list)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.queries.append(host)
        answer = self.answers.get(host, OSError(socket.EAI_NONAME, "stub: no such name"))
        if answer is None:
            await asyncio.Event().wait()
        if isinstance(answer, BaseException):
            raise answer
        if callable(answer):
            answer = answer(self.queries.count(host))
        return [
            ResolveResult(
                hostname=host,
                host=ip,
                port=port,
                family=socket.AF_INET6 if ":" in ip else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for ip in answer
        ]

    async def close(self) -> None:
        return None


class Canary:
    """A listener on a blocked address that must never see a connection."""

    def __init__(self) -> None:
        self.accepts = 0
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> Canary:
        self._server = await asyncio.start_server(self._on_accept, host, port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _on_accept(self, _r: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepts += 1
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 16\r\n\r\n")
        writer.write(b"<p>canary hit</p>")
        writer.close()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def raw_server(script: Script) -> AsyncIterator[int]:
    """A TCP server on 127.0.0.1 that runs ``script`` per connection; yields its port."""
    tasks: set[asyncio.Task[None]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            await reader.readuntil(b"\r\n\r\n")
            await script(reader, writer)
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for task in tasks:
            task.cancel()
        await server.wait_closed()


def send(payload: bytes, *, then_wait: float = 0.0) -> Script:
    async def script(_r: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(payload)
        await writer.drain()
        if then_wait:
            await asyncio.sleep(then_wait)

    return script


def limits(*ports: int, timeout: float = 5.0, max_bytes: int = 1024 * 1024) -> FetchLimits:
    return FetchLimits(
        timeout=timeout,
        connect_timeout=min(timeout, 2.0),
        max_bytes=max_bytes,
        max_redirects=5,
        user_agent="RecastTest/1",
        allowed_ports=(80, 443, *ports),
    )


def allow(*ports: int) -> AddressPolicy:
    """Exactly the fixture endpoints, nothing else on loopback."""
    return AddressPolicy.from_entries([f"127.0.0.1:{p}" for p in ports])
