"""Server-Sent Events for one job: the current snapshot, every change, the end.

Race-free by construction: the subscription is confirmed before the snapshot is
read, so a change is either in the snapshot or arrives as an event (or both:
sequence numbers drop the duplicate). ``Last-Event-ID`` resumes; because every
event is a full snapshot, a resumed client gets the current state at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter

import msgspec
import structlog
from aiohttp import web
from jobcore.models import JobSnapshot
from jobcore.states import TERMINAL

from gateway.keys import HUB, SETTINGS, STORE
from gateway.problems import ProblemError
from gateway.requests import client_identity, job_id_from

log = structlog.get_logger("gateway.sse")
_encoder = msgspec.json.Encoder()
STREAMS_PER_CLIENT = web.AppKey("sse_streams_per_client", Counter[str])
HEARTBEAT = b": keepalive\n\n"


def event_name(snapshot: JobSnapshot) -> str:
    return snapshot.status if snapshot.status in TERMINAL else "progress"


def sse_frame(seq: int, snapshot: JobSnapshot) -> bytes:
    """One SSE event; msgspec's JSON has no newlines, so one ``data:`` line suffices."""
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (
        seq,
        event_name(snapshot).encode(),
        _encoder.encode(snapshot),
    )


def last_event_id(request: web.Request) -> int:
    raw = request.headers.get("Last-Event-ID", "") or request.query.get("lastEventId", "")
    return int(raw) if raw.isdigit() and len(raw) < 19 else 0


async def job_events(request: web.Request) -> web.StreamResponse:
    job_id = job_id_from(request)
    settings = request.app[SETTINGS]
    hub = request.app[HUB]
    per_client = request.app[STREAMS_PER_CLIENT]
    client = client_identity(request)
    if hub.stream_count >= settings.sse_max_streams:
        raise ProblemError(
            "too_many_streams", "this gateway has no room for more streams", retry_after=5
        )
    if per_client[client] >= settings.sse_max_streams_per_client:
        raise ProblemError(
            "too_many_streams", "too many open event streams from this client", retry_after=5
        )
    per_client[client] += 1
    try:
        return await _stream(request, job_id, last_event_id(request))
    finally:
        per_client[client] -= 1
        if per_client[client] <= 0:
            del per_client[client]


async def _stream(request: web.Request, job_id: str, resume_after: int) -> web.StreamResponse:
    hub = request.app[HUB]
    heartbeat = request.app[SETTINGS].sse_heartbeat_seconds
    sub = await hub.subscribe(job_id)
    try:
        current = await request.app[STORE].snapshot(job_id)
        if current is None:
            raise ProblemError("job_not_found", "no job with this id (it may have expired)")
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache, no-transform",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        await response.write(b"retry: 2000\n\n")
        snapshot, sent = current
        if sent > resume_after:
            await response.write(sse_frame(sent, snapshot))
        else:
            sent = resume_after
        while snapshot.status not in TERMINAL:
            try:
                await asyncio.wait_for(sub.changed.wait(), heartbeat)
            except TimeoutError:
                await response.write(HEARTBEAT)
                continue
            if sub.closed:
                break
            item = sub.take()
            if item is None or item[0] <= sent:
                continue
            sent, snapshot = item
            await response.write(sse_frame(sent, snapshot))
        with contextlib.suppress(ConnectionError):
            await response.write_eof()
        return response
    except (ConnectionResetError, ConnectionError):
        log.info("sse_client_gone", job_id=job_id)
        return web.Response(status=499)
    finally:
        await hub.unsubscribe(sub)
