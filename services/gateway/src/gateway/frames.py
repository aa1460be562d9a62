"""SSE framing (pure): one event per job snapshot."""

from __future__ import annotations

import msgspec
from jobcore.models import JobSnapshot
from jobcore.states import TERMINAL

_encoder = msgspec.json.Encoder()
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
