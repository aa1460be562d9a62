"""EventHub: one Pub/Sub connection per gateway process, fanned out to every SSE client.

Events carry only the job's new sequence number; the hub reads the snapshot once
per event and hands the same encoded frame to every subscriber of that job. A
subscriber keeps only the newest frame (every frame is a full snapshot), so a
slow client costs one frame of memory, never a queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from dataclasses import dataclass, field
from typing import Any

import structlog
from jobcore.connection import RedisClient, is_cluster
from jobcore.models import JobSnapshot
from jobcore.store import JobStore
from redis.asyncio.client import PubSub

from gateway.frames import sse_frame

log = structlog.get_logger("gateway.hub")


@dataclass(frozen=True, slots=True)
class Frame:
    """A snapshot and its SSE bytes, encoded once for every subscriber."""

    seq: int
    snapshot: JobSnapshot
    data: bytes


@dataclass(eq=False)
class Subscription:
    job_id: str
    latest: Frame | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    closed: bool = False

    def offer(self, frame: Frame) -> None:
        if self.latest is None or frame.seq > self.latest.seq:
            self.latest = frame
            self.changed.set()

    def take(self) -> Frame | None:
        item, self.latest = self.latest, None
        self.changed.clear()
        return item


@dataclass(eq=False)
class _Channel:
    job_id: str
    subscribers: set[Subscription] = field(default_factory=set)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    pending_seq: int = 0
    refreshing: bool = False


class EventHub:
    def __init__(self, redis: RedisClient, store: JobStore) -> None:
        self.redis = redis
        self.store = store
        self.sharded = is_cluster(redis)
        self._pubsub: PubSub | None = None
        self._channels: dict[str, _Channel] = {}
        self._reader: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._streams = 0
        self._has_channels = asyncio.Event()
        self._command_lock = asyncio.Lock()
        self._idle_channel = f"{store.keys.prefix}:gateway:{secrets.token_hex(8)}"

    @property
    def stream_count(self) -> int:
        return self._streams

    async def start(self) -> None:
        self._pubsub = self.redis.pubsub()
        if not self.sharded:
            # A channel of its own keeps the connection subscribed, so the reader always
            # reads and no request ever runs the idle connection's health check (a
            # concurrent read on the shared socket).
            with contextlib.suppress(Exception):  # Redis may come later; resubscribed then
                await self._pubsub.subscribe(self._idle_channel)
        self._reader = asyncio.create_task(self._read_forever(), name="event-hub")

    async def close(self) -> None:
        for channel in self._channels.values():
            for sub in channel.subscribers:
                sub.closed = True
                sub.changed.set()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._pubsub is not None:
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]

    async def subscribe(self, job_id: str, *, confirm_within: float = 5.0) -> Subscription:
        """Subscribe, and return only once Redis has confirmed the subscription."""
        name = self.store.keys.events(job_id)
        channel = self._channels.get(name)
        if channel is None:
            channel = self._channels[name] = _Channel(job_id)
            try:
                await self._subscribe_command(name)
            except BaseException:
                if not channel.subscribers:  # never leave a channel nobody subscribed
                    self._channels.pop(name, None)
                raise
        sub = Subscription(job_id)
        channel.subscribers.add(sub)
        self._streams += 1
        self._has_channels.set()
        try:
            await asyncio.wait_for(channel.ready.wait(), confirm_within)
        except BaseException:
            await self.unsubscribe(sub)
            raise
        return sub

    async def unsubscribe(self, sub: Subscription) -> None:
        name = self.store.keys.events(sub.job_id)
        channel = self._channels.get(name)
        if channel is None or sub not in channel.subscribers:
            return
        channel.subscribers.discard(sub)
        self._streams -= 1
        if not channel.subscribers:
            del self._channels[name]
            with contextlib.suppress(Exception):
                await self._unsubscribe_command(name)

    async def _subscribe_command(self, name: str) -> None:
        assert self._pubsub is not None
        # One command at a time on the shared connection: concurrent requests would
        # interleave their writes and health-check reads.
        async with self._command_lock:
            if self.sharded:
                cluster: Any = self.redis
                await cluster.initialize()  # the slot map must be known before SSUBSCRIBE
                await self._pubsub.ssubscribe(name)
            else:
                await self._pubsub.subscribe(name)

    async def _unsubscribe_command(self, name: str) -> None:
        assert self._pubsub is not None
        async with self._command_lock:
            if self.sharded:
                await self._pubsub.sunsubscribe(name)
            else:
                await self._pubsub.unsubscribe(name)

    async def _read_forever(self) -> None:
        assert self._pubsub is not None
        while True:
            try:
                if not self._pubsub.subscribed:
                    # Nothing to read until the next subscribe, which wakes this at once.
                    self._has_channels.clear()
                    await self._has_channels.wait()
                    continue
                message = await self._next_message()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("pubsub_error", error=repr(exc))
                await self._resubscribe()
                continue
            if message is not None:
                self._dispatch(message)
            elif self.sharded:
                # The cluster client may answer "nothing" without awaiting anything (e.g.
                # between an unsubscribe and its confirmation): never spin the loop.
                await asyncio.sleep(0.01)

    async def _next_message(self) -> dict[str, object] | None:
        assert self._pubsub is not None
        if self.sharded:
            # One connection per shard holding our channels, read in turn: a short wait each.
            pubsub: Any = self._pubsub
            message: dict[str, object] | None = await pubsub.get_sharded_message(timeout=0.02)
            return message
        plain: dict[str, object] | None = await self._pubsub.get_message(timeout=1.0)
        return plain

    def _dispatch(self, message: dict[str, object]) -> None:
        raw_name = message.get("channel")
        name = raw_name.decode() if isinstance(raw_name, bytes) else str(raw_name)
        channel = self._channels.get(name)
        if channel is None:
            return
        kind = message.get("type")
        if kind in ("subscribe", "ssubscribe"):
            channel.ready.set()
            return
        if kind not in ("message", "smessage"):
            return
        data = message.get("data")
        seq = int(data.decode() if isinstance(data, bytes) else str(data))
        channel.pending_seq = max(channel.pending_seq, seq)
        self._schedule_refresh(name, channel)

    def _schedule_refresh(self, name: str, channel: _Channel) -> None:
        if not channel.refreshing:
            channel.refreshing = True
            task = asyncio.create_task(self._refresh(name, channel))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _refresh(self, name: str, channel: _Channel) -> None:
        """Read the snapshot once for all subscribers; loop while newer events arrived."""
        delivered = 0
        try:
            while channel.pending_seq > delivered and self._channels.get(name) is channel:
                wanted = channel.pending_seq
                current = await self.store.snapshot(channel.job_id)
                if current is None:  # expired or deleted: end its streams
                    for sub in list(channel.subscribers):
                        sub.closed = True
                        sub.changed.set()
                    break
                snapshot, seq = current
                delivered = max(seq, wanted)
                frame = Frame(seq, snapshot, sse_frame(seq, snapshot))
                for sub in list(channel.subscribers):
                    sub.offer(frame)
        except Exception as exc:
            log.warning("snapshot_refresh_failed", job_id=channel.job_id, error=repr(exc))
        finally:
            channel.refreshing = False

    async def _resubscribe(self) -> None:
        """After a connection loss: resubscribe, then re-read every job (events may be lost)."""
        await asyncio.sleep(0.5)
        if not self.sharded:
            with contextlib.suppress(Exception):
                await self._subscribe_command(self._idle_channel)
        for name, channel in list(self._channels.items()):
            with contextlib.suppress(Exception):
                await self._subscribe_command(name)
            channel.pending_seq += 1
            self._schedule_refresh(name, channel)
