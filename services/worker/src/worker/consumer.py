"""The Redis Streams side of the worker: read, reclaim, dead-letter (no job policy here)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from jobcore.connection import RedisClient, is_cluster
from jobcore.jobid import is_job_id
from jobcore.keys import GROUP, Keys


@dataclass(frozen=True, slots=True)
class Delivery:
    stream: str
    entry_id: str
    job_id: str | None  # None when the entry cannot be decoded
    kind: str = "url"


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def parse_entry(stream: str, entry_id: Any, fields: Any) -> Delivery:
    """Decode one stream entry; anything malformed becomes a Delivery without a job id."""
    decoded = {_text(k): _text(v) for k, v in (fields or {}).items()}
    job_id = decoded.get("job", "")
    return Delivery(
        stream=stream,
        entry_id=_text(entry_id),
        job_id=job_id if is_job_id(job_id) else None,
        kind=decoded.get("kind", "url"),
    )


class StreamConsumer:
    def __init__(self, redis: RedisClient, keys: Keys, name: str) -> None:
        self.redis = redis
        self.keys = keys
        self.name = name
        self.streams = keys.streams()

    async def read(self, count: int, block_ms: int, *, pending: bool = False) -> list[Delivery]:
        """New entries from every partition (or, with ``pending``, our own unacknowledged ones)."""
        start = "0" if pending else ">"
        if is_cluster(self.redis):
            return await self._read_each_partition(count, block_ms, start)
        reply = await self.redis.xreadgroup(
            GROUP,
            self.name,
            dict.fromkeys(self.streams, start),
            count=count,
            block=None if pending else block_ms,
        )
        return self._parse_reply(reply)

    async def _read_each_partition(self, count: int, block_ms: int, start: str) -> list[Delivery]:
        """On a cluster one XREADGROUP cannot span slots: read every partition (pipelined per
        node), and wait with a short back-off while all are empty."""
        deadline = asyncio.get_running_loop().time() + block_ms / 1000
        pause = 0.005
        while True:
            async with self.redis.pipeline(transaction=False) as pipe:
                for stream in self.streams:
                    pipe.xreadgroup(GROUP, self.name, {stream: start}, count=count)
                replies = await pipe.execute()
            deliveries = [d for reply in replies for d in self._parse_reply(reply)]
            if deliveries or start != ">" or asyncio.get_running_loop().time() >= deadline:
                return deliveries
            await asyncio.sleep(pause)
            pause = min(0.1, pause * 2)

    @staticmethod
    def _parse_reply(reply: Any) -> list[Delivery]:
        deliveries: list[Delivery] = []
        rows: list[Any] = list(reply or [])
        for stream, entries in rows:
            name = _text(stream)
            deliveries += [parse_entry(name, eid, fields) for eid, fields in entries]
        return deliveries

    async def reclaim(self, min_idle_ms: int, count: int) -> list[Delivery]:
        """Take over entries whose owner stopped renewing (idle time is server-side)."""
        claimed: list[Delivery] = []
        for stream in self.streams:
            reply = await self.redis.xautoclaim(
                stream, GROUP, self.name, min_idle_time=min_idle_ms, start_id="0-0", count=count
            )
            claimed += [parse_entry(stream, eid, fields) for eid, fields in reply[1]]
            if len(claimed) >= count:
                break
        return claimed

    async def delivery_count(self, delivery: Delivery) -> int:
        rows = await self.redis.xpending_range(
            delivery.stream, GROUP, min=delivery.entry_id, max=delivery.entry_id, count=1
        )
        return int(rows[0]["times_delivered"]) if rows else 0

    async def dead_letter(self, delivery: Delivery, reason: str) -> None:
        """Park an entry with its reason and release it, so it blocks nothing else."""
        part = self.keys.streams().index(delivery.stream)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(
                self.keys.dead_letters(part),
                {"entry": delivery.entry_id, "job": delivery.job_id or "", "reason": reason},
                maxlen=10_000,
                approximate=True,
            )
            pipe.xack(delivery.stream, GROUP, delivery.entry_id)
            pipe.xdel(delivery.stream, delivery.entry_id)
            pipe.hincrby(self.keys.stats(part), "dead_letters", 1)
            await pipe.execute()
