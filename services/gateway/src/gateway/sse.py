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

import structlog
from aiohttp import web
from jobcore.states import TERMINAL

from gateway.frames import HEARTBEAT, sse_frame
from gateway.keys import HUB, SETTINGS, STORE
from gateway.problems import ProblemError
from gateway.requests import client_identity, job_id_from

log = structlog.get_logger("gateway.sse")
STREAMS_PER_CLIENT = web.AppKey("sse_streams_per_client", Counter[str])
# How often an idle stream checks that its client is still there (a dead client frees
# its slot within this, not only at the next heartbeat).
LIVENESS_SECONDS = 1.0


def last_event_id(request: web.Request) -> int:
    raw = request.headers.get("Last-Event-ID", "") or request.query.get("lastEventId", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else 0


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
        if resume_after > sent:
            resume_after = 0  # an id this job never sent (another job, an earlier run)
        if sent > resume_after:
            await response.write(sse_frame(sent, snapshot))
        else:
            sent = resume_after
        loop = asyncio.get_running_loop()
        next_heartbeat = loop.time() + heartbeat
        while snapshot.status not in TERMINAL:
            try:
                await asyncio.wait_for(sub.changed.wait(), min(heartbeat, LIVENESS_SECONDS))
            except TimeoutError:
                if request.transport is None or request.transport.is_closing():
                    log.info("sse_client_gone", job_id=job_id)
                    break
                if loop.time() >= next_heartbeat:
                    await response.write(HEARTBEAT)
                    next_heartbeat = loop.time() + heartbeat
                continue
            if sub.closed:
                break
            frame = sub.take()
            if frame is None or frame.seq <= sent:
                continue
            sent, snapshot = frame.seq, frame.snapshot
            await response.write(frame.data)
        with contextlib.suppress(ConnectionError):
            await response.write_eof()
        return response
    except (ConnectionResetError, ConnectionError):
        log.info("sse_client_gone", job_id=job_id)
        return web.Response(status=499)
    finally:
        await hub.unsubscribe(sub)
