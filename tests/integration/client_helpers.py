"""Small HTTP helpers for end-to-end tests: poll with a deadline, read an SSE stream."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
from jobcore.sse import SseDecoder

TERMINAL = {"completed", "failed", "cancelled"}


async def submit(
    session: aiohttp.ClientSession, base: str, body: dict[str, Any], path: str = "/api/transform"
) -> tuple[int, dict[str, Any]]:
    async with session.post(base + path, json=body) as resp:
        return resp.status, await resp.json()


async def poll(
    session: aiohttp.ClientSession, base: str, job_id: str, deadline_seconds: float = 60
) -> dict[str, Any]:
    """Poll until the job is terminal; fail after the deadline (the condition, not a sleep)."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        async with session.get(f"{base}/api/transform/jobs/{job_id}") as resp:
            snapshot: dict[str, Any] = await resp.json()
        if snapshot.get("status") in TERMINAL:
            return snapshot
        if time.monotonic() > deadline:
            raise TimeoutError(f"job {job_id} still {snapshot.get('status')} after deadline")
        await asyncio.sleep(0.05)


async def read_events(
    session: aiohttp.ClientSession,
    url: str,
    deadline_seconds: float = 60,
    headers: dict[str, str] | None = None,
    events: list[tuple[str, str, dict[str, Any]]] | None = None,
) -> list[tuple[str, str, dict[str, Any]]]:
    """Every (id, event, snapshot) until the server closes the stream (appended as they come)."""
    events = [] if events is None else events
    decoder = SseDecoder()
    async with asyncio.timeout(deadline_seconds), session.get(url, headers=headers) as resp:
        assert resp.status == 200, await resp.text()
        assert resp.content_type == "text/event-stream"
        async for raw in resp.content:
            event = decoder.feed(raw.decode().rstrip("\r\n"))
            if event is not None and event.data:
                events.append((event.id or "", event.event, json.loads(event.data)))
    return events


async def until(condition: Any, deadline_seconds: float = 30, what: str = "condition") -> None:
    deadline = time.monotonic() + deadline_seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)
