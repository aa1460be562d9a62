"""The Python SDK: submit, then poll or follow SSE; a cache hit returns at once.

    client = AsyncRecastClient("http://localhost:5000")
    result = await client.webpage("https://example.com/", "student",
                                  poll=PollOptions(on_progress=lambda s: print(s.progress)))

Exceptions (all ``RecastClientError``):
    ApiError(status, problem)     the gateway refused the request (problem JSON)
    JobFailed(code, snapshot)     the job ended ``failed``; ``code`` is ``error.code``
    JobCancelled(snapshot)        the job was cancelled
    PollTimeout(job_id)           ``max_attempts`` polls without a terminal state
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp
import msgspec

from jobcore.models import (
    CachedResult,
    JobAccepted,
    JobSnapshot,
    Persona,
    PersonaList,
    Problem,
    TransformResult,
)
from jobcore.sse import SseDecoder

DEFAULT_SERVER = "http://localhost:5000"
ProgressCallback = Callable[[JobSnapshot], None]


@dataclass(frozen=True, slots=True)
class PollOptions:
    """The same defaults as the existing frontend's ``PollOptions``."""

    max_attempts: int = 120
    interval: float = 1.0
    on_progress: ProgressCallback | None = None


class RecastClientError(Exception):
    pass


class ApiError(RecastClientError):
    def __init__(self, status: int, problem: Problem | None, text: str = "") -> None:
        self.status = status
        self.problem = problem
        self.code = problem.code if problem else f"http_{status}"
        super().__init__(f"{status} {self.code}: {problem.detail if problem else text[:200]}")


class JobFailed(RecastClientError):
    def __init__(self, snapshot: JobSnapshot) -> None:
        self.snapshot = snapshot
        self.code = snapshot.error.code if snapshot.error else "internal"
        message = snapshot.error.message if snapshot.error else "the job failed"
        super().__init__(f"job {snapshot.job_id} failed: {self.code}: {message}")


class JobCancelled(RecastClientError):
    def __init__(self, snapshot: JobSnapshot) -> None:
        self.snapshot = snapshot
        self.code = "cancelled"
        super().__init__(f"job {snapshot.job_id} was cancelled")


class PollTimeout(RecastClientError):
    def __init__(self, job_id: str, attempts: int) -> None:
        self.job_id = job_id
        self.code = "poll_timeout"
        super().__init__(f"job {job_id} did not finish within {attempts} polls")


@dataclass(frozen=True, slots=True)
class Submitted:
    job_id: str
    result: TransformResult | None = None  # set on a cache hit
    accepted: JobAccepted | None = None


def outcome(snapshot: JobSnapshot) -> TransformResult | None:
    """The result of a finished job; raise for failed/cancelled; None while it runs."""
    if snapshot.status == "completed" and snapshot.data is not None:
        return snapshot.data
    if snapshot.status == "failed":
        raise JobFailed(snapshot)
    if snapshot.status == "cancelled":
        raise JobCancelled(snapshot)
    return None


class AsyncRecastClient:
    def __init__(
        self,
        server: str = DEFAULT_SERVER,
        *,
        session: aiohttp.ClientSession | None = None,
        request_timeout: float = 30.0,
    ) -> None:
        self.server = server.rstrip("/")
        self._session = session
        self._owns_session = session is None
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)

    async def __aenter__(self) -> AsyncRecastClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def _request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        data = msgspec.json.encode(body) if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        async with self.session.request(
            method, self.server + path, data=data, headers=headers, timeout=self._timeout
        ) as resp:
            raw = await resp.read()
            if resp.status >= 400:
                try:
                    problem = msgspec.json.decode(raw, type=Problem)
                except msgspec.DecodeError:
                    problem = None
                raise ApiError(resp.status, problem, raw.decode("utf-8", "replace"))
            return resp.status, raw

    async def submit(self, kind: Literal["url", "text"], payload: dict[str, Any]) -> Submitted:
        path = "/api/transform" if kind == "url" else "/api/transform/text"
        status, raw = await self._request("POST", path, payload)
        if status == 200:
            cached = msgspec.json.decode(raw, type=CachedResult)
            return Submitted(cached.job_id, result=cached.data)
        accepted = msgspec.json.decode(raw, type=JobAccepted)
        return Submitted(accepted.job_id, accepted=accepted)

    async def webpage(
        self,
        url: str,
        persona: str = "professional",
        *,
        poll: PollOptions | None = None,
        follow: Literal["poll", "sse"] = "poll",
        refresh: bool = False,
    ) -> TransformResult:
        submitted = await self.submit("url", {"url": url, "persona": persona, "refresh": refresh})
        return await self._complete(submitted, poll or PollOptions(), follow)

    async def text(
        self,
        text: str,
        persona: str = "professional",
        *,
        title: str | None = None,
        poll: PollOptions | None = None,
        follow: Literal["poll", "sse"] = "poll",
        refresh: bool = False,
    ) -> TransformResult:
        payload: dict[str, Any] = {"text": text, "persona": persona, "refresh": refresh}
        if title:
            payload["title"] = title
        submitted = await self.submit("text", payload)
        return await self._complete(submitted, poll or PollOptions(), follow)

    async def _complete(
        self, submitted: Submitted, poll: PollOptions, follow: str
    ) -> TransformResult:
        if submitted.result is not None:
            return submitted.result
        if follow == "sse":
            return await self.follow(submitted.job_id, on_progress=poll.on_progress)
        return await self.wait(submitted.job_id, poll)

    async def status(self, job_id: str) -> JobSnapshot:
        _, raw = await self._request("GET", f"/api/transform/jobs/{job_id}")
        return msgspec.json.decode(raw, type=JobSnapshot)

    async def cancel(self, job_id: str) -> JobSnapshot:
        _, raw = await self._request("DELETE", f"/api/transform/jobs/{job_id}")
        return msgspec.json.decode(raw, type=JobSnapshot)

    async def personas(self) -> list[Persona]:
        _, raw = await self._request("GET", "/api/personas")
        return msgspec.json.decode(raw, type=PersonaList).personas

    async def wait(self, job_id: str, poll: PollOptions | None = None) -> TransformResult:
        """Poll until the job ends (resume by id works the same way)."""
        poll = poll or PollOptions()
        for attempt in range(poll.max_attempts):
            snapshot = await self.status(job_id)
            if poll.on_progress is not None:
                poll.on_progress(snapshot)
            result = outcome(snapshot)
            if result is not None:
                return result
            if attempt + 1 < poll.max_attempts:
                await asyncio.sleep(poll.interval)
        raise PollTimeout(job_id, poll.max_attempts)

    async def follow(
        self,
        job_id: str,
        *,
        on_progress: ProgressCallback | None = None,
        reconnects: int = 5,
    ) -> TransformResult:
        """Follow the job's SSE stream to its end, reconnecting with Last-Event-ID."""
        async for snapshot in self.events(job_id, reconnects=reconnects):
            if on_progress is not None:
                on_progress(snapshot)
            result = outcome(snapshot)
            if result is not None:
                return result
        return await self.wait(job_id, PollOptions(on_progress=on_progress))

    async def events(self, job_id: str, *, reconnects: int = 5) -> AsyncIterator[JobSnapshot]:
        decoder = SseDecoder()
        failures = 0
        while failures <= reconnects:
            headers = {"Accept": "text/event-stream"}
            if decoder.last_id:
                headers["Last-Event-ID"] = decoder.last_id
            try:
                async with self.session.get(
                    f"{self.server}/api/transform/jobs/{job_id}/events",
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=None, sock_read=120),
                ) as resp:
                    if resp.status >= 400:
                        await self._raise_problem(resp)
                    async for raw_line in resp.content:
                        event = decoder.feed(raw_line.decode("utf-8").rstrip("\r\n"))
                        if event is None or not event.data:
                            continue
                        snapshot = msgspec.json.decode(event.data, type=JobSnapshot)
                        yield snapshot
                        if snapshot.status in ("completed", "failed", "cancelled"):
                            return
            except (TimeoutError, aiohttp.ClientConnectionError):
                pass
            failures += 1
            await asyncio.sleep(min(5.0, 0.25 * 2**failures))

    @staticmethod
    async def _raise_problem(resp: aiohttp.ClientResponse) -> None:
        raw = await resp.read()
        try:
            problem = msgspec.json.decode(raw, type=Problem)
        except msgspec.DecodeError:
            problem = None
        raise ApiError(resp.status, problem, raw.decode("utf-8", "replace"))


class RecastClient:
    """The synchronous client: the same calls and defaults, for scripts and notebooks."""

    def __init__(self, server: str = DEFAULT_SERVER, *, request_timeout: float = 30.0) -> None:
        self.server = server
        self.request_timeout = request_timeout

    def _run(self, call: Callable[[AsyncRecastClient], Any]) -> Any:
        async def main() -> Any:
            async with AsyncRecastClient(self.server, request_timeout=self.request_timeout) as c:
                return await call(c)

        return asyncio.run(main())

    def webpage(self, url: str, persona: str = "professional", **kw: Any) -> TransformResult:
        return self._run(lambda c: c.webpage(url, persona, **kw))  # type: ignore[no-any-return]

    def text(self, text: str, persona: str = "professional", **kw: Any) -> TransformResult:
        return self._run(lambda c: c.text(text, persona, **kw))  # type: ignore[no-any-return]

    def status(self, job_id: str) -> JobSnapshot:
        return self._run(lambda c: c.status(job_id))  # type: ignore[no-any-return]

    def wait(self, job_id: str, poll: PollOptions | None = None) -> TransformResult:
        return self._run(lambda c: c.wait(job_id, poll))  # type: ignore[no-any-return]

    def follow(self, job_id: str, **kw: Any) -> TransformResult:
        return self._run(lambda c: c.follow(job_id, **kw))  # type: ignore[no-any-return]

    def cancel(self, job_id: str) -> JobSnapshot:
        return self._run(lambda c: c.cancel(job_id))  # type: ignore[no-any-return]

    def personas(self) -> list[Persona]:
        return self._run(lambda c: c.personas())  # type: ignore[no-any-return]
