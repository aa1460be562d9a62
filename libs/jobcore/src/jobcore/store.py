"""JobStore: the only place that reads or changes job state in Redis.

Every state change is one Lua script call (see scripts.py), so state, cache,
event and stream acknowledgement always move together.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

import msgspec
from redis.exceptions import ResponseError

from jobcore import scripts
from jobcore.connection import RedisClient, is_cluster
from jobcore.keys import GROUP, Keys
from jobcore.models import JobError, JobSnapshot, JobSpec, TransformResult

_encoder = msgspec.json.Encoder()
_result_decoder = msgspec.json.Decoder(TransformResult)
_error_decoder = msgspec.json.Decoder(JobError)
_spec_decoder = msgspec.json.Decoder(JobSpec)


@dataclass(frozen=True, slots=True)
class SubmitOutcome:
    """``created``/``joined`` carry a snapshot; ``cached`` carries the result."""

    outcome: Literal["created", "joined", "cached", "queue_full"]
    snapshot: JobSnapshot | None = None
    result_json: bytes | None = None  # the cached result as stored: passed on undecoded

    @property
    def result(self) -> TransformResult | None:
        return _result_decoder.decode(self.result_json) if self.result_json else None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    entry_id: str
    job_id: str
    reason: str
    partition: int


@dataclass(frozen=True, slots=True)
class StartOutcome:
    outcome: Literal["started", "missing", "terminal", "stale", "locked"]
    attempts: int = 0
    spec: JobSpec | None = None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


def _iso(ms: str | None) -> str:
    stamp = dt.datetime.fromtimestamp(int(ms or 0) / 1000, tz=dt.UTC)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def decode_snapshot(job_id: str, values: list[Any]) -> tuple[JobSnapshot, int] | None:
    """Build a snapshot from the HMGET of ``scripts.SNAPSHOT_FIELDS``; also return its seq."""
    fields = dict(zip(scripts.SNAPSHOT_FIELDS, (_text(v) for v in values), strict=True))
    if fields["status"] is None:
        return None
    result = fields["result"]
    error = fields["error"]
    snapshot = JobSnapshot(
        job_id=job_id,
        kind=fields["kind"] or "url",  # type: ignore[arg-type]
        status=fields["status"],  # type: ignore[arg-type]
        stage=fields["stage"] or "queued",  # type: ignore[arg-type]
        progress=int(fields["progress"] or 0),
        attempts=int(fields["attempts"] or 0),
        created_at=_iso(fields["created_at"]),
        updated_at=_iso(fields["updated_at"]),
        persona=fields["persona"],
        source_url=fields["source_url"],
        data=_result_decoder.decode(result) if result else None,
        error=_error_decoder.decode(error) if error else None,
    )
    return snapshot, int(fields["seq"] or 0)


class JobStore:
    """Job state for gateways and workers. Holds no policy beyond the TTLs it is given."""

    def __init__(
        self,
        redis: RedisClient,
        keys: Keys,
        *,
        job_ttl: int,
        cache_ttl: int,
        lock_ttl: int,
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.job_ttl = job_ttl
        self.cache_ttl = cache_ttl
        self.lock_ttl_ms = lock_ttl * 1000
        # Sharded Pub/Sub on a cluster keeps each job's events on its own shard.
        self.publish_command = "SPUBLISH" if is_cluster(redis) else "PUBLISH"
        self._submit = redis.register_script(scripts.SUBMIT)
        self._start = redis.register_script(scripts.START)
        self._update = redis.register_script(scripts.UPDATE)
        self._renew = redis.register_script(scripts.RENEW)
        self._finish = redis.register_script(scripts.FINISH)
        self._cancel = redis.register_script(scripts.CANCEL)
        self._requeue = redis.register_script(scripts.REQUEUE)
        self._release = redis.register_script(scripts.RELEASE)

    async def ensure_groups(self) -> None:
        """Create the consumer group on every partition (idempotent)."""
        for stream in self.keys.streams():
            try:
                await self.redis.xgroup_create(stream, GROUP, id="0", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    # -- gateway side -----------------------------------------------------------------

    async def submit(
        self, job_id: str, spec: JobSpec, *, refresh: bool, max_stream_len: int
    ) -> SubmitOutcome:
        k = self.keys
        reply = await self._submit(
            keys=[
                k.job(job_id),
                k.cache(job_id),
                k.stream_for(job_id),
                k.events(job_id),
                k.stats_for(job_id),
                k.lock(job_id),
            ],
            args=[
                job_id,
                spec.kind,
                spec.persona,
                _encoder.encode(spec),
                spec.url or "",
                self.job_ttl,
                "1" if refresh else "0",
                max_stream_len,
                self.publish_command,
            ],
        )
        outcome = _text(reply[0])
        if outcome == "cached":
            return SubmitOutcome("cached", result_json=bytes(reply[1]))
        if outcome == "queue_full":
            return SubmitOutcome("queue_full")
        decoded = decode_snapshot(job_id, list(reply[1:]))
        assert decoded is not None
        return SubmitOutcome(outcome, snapshot=decoded[0])  # type: ignore[arg-type]

    async def snapshot(self, job_id: str) -> tuple[JobSnapshot, int] | None:
        values = await self.redis.hmget(self.keys.job(job_id), list(scripts.SNAPSHOT_FIELDS))
        return decode_snapshot(job_id, values)

    async def cancel(self, job_id: str) -> JobSnapshot | None:
        k = self.keys
        error = JobError(code="cancelled", message="the job was cancelled", retryable=True)
        reply = await self._cancel(
            keys=[
                k.job(job_id),
                k.events(job_id),
                k.stream_for(job_id),
                k.stats_for(job_id),
                k.lock(job_id),
            ],
            args=[_encoder.encode(error), self.publish_command, GROUP],
        )
        if _text(reply[0]) == "missing":
            return None
        decoded = decode_snapshot(job_id, list(reply[1:]))
        return decoded[0] if decoded else None

    # -- worker side ------------------------------------------------------------------

    async def start(
        self, job_id: str, token: str, entry_id: str, *, stage: str, progress: int
    ) -> StartOutcome:
        k = self.keys
        reply = await self._start(
            keys=[
                k.job(job_id),
                k.lock(job_id),
                k.events(job_id),
                k.stream_for(job_id),
                k.stats_for(job_id),
            ],
            args=[
                token,
                self.lock_ttl_ms,
                entry_id,
                stage,
                progress,
                self.publish_command,
                GROUP,
                self.job_ttl,
            ],
        )
        outcome = _text(reply[0])
        if outcome != "started":
            return StartOutcome(outcome)  # type: ignore[arg-type]
        return StartOutcome("started", int(reply[1]), _spec_decoder.decode(reply[2]))

    async def update(
        self,
        job_id: str,
        token: str,
        *,
        stage: str,
        progress: int,
        new_attempt: bool = False,
        error: JobError | None = None,
    ) -> str:
        k = self.keys
        reply = await self._update(
            keys=[k.job(job_id), k.lock(job_id), k.events(job_id), k.stats_for(job_id)],
            args=[
                token,
                stage,
                progress,
                self.publish_command,
                "1" if new_attempt else "0",
                _encoder.encode(error) if error else "",
            ],
        )
        return _text(reply) or "missing"

    async def renew(self, job_id: str, token: str, consumer: str, entry_id: str) -> str:
        k = self.keys
        reply = await self._renew(
            keys=[k.lock(job_id), k.stream_for(job_id), k.job(job_id)],
            args=[token, self.lock_ttl_ms, GROUP, consumer, entry_id, self.job_ttl],
        )
        return _text(reply) or "missing"

    async def finish(
        self,
        job_id: str,
        token: str,
        entry_id: str,
        *,
        result: TransformResult | None = None,
        error: JobError | None = None,
        stage_ms: dict[str, float] | None = None,
    ) -> str:
        k = self.keys
        status, payload = ("completed", result) if result is not None else ("failed", error)
        counter = "completed" if result is not None else f"failed:{error.code if error else ''}"
        timings = [f for stage, ms in (stage_ms or {}).items() for f in (stage, f"{ms:.3f}")]
        reply = await self._finish(
            keys=[
                k.job(job_id),
                k.lock(job_id),
                k.cache(job_id),
                k.events(job_id),
                k.stream_for(job_id),
                k.stats_for(job_id),
            ],
            args=[
                token,
                status,
                _encoder.encode(payload),
                self.cache_ttl,
                self.job_ttl,
                self.publish_command,
                GROUP,
                entry_id,
                counter,
                *timings,
            ],
        )
        return _text(reply) or "missing"

    async def stats(self) -> dict[str, float]:
        """Counters summed over every partition (shared by all gateways and workers)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for part in range(self.keys.partitions):
                pipe.hgetall(self.keys.stats(part))
            replies = await pipe.execute()
        totals: dict[str, float] = {}
        for reply in replies:
            for name, value in reply.items():
                key = _text(name) or ""
                totals[key] = totals.get(key, 0.0) + float(value)
        return totals

    async def queue_state(self) -> tuple[int, int]:
        """(entries waiting or running, entries delivered but unacknowledged) over partitions."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for stream in self.keys.streams():
                pipe.xlen(stream)
            lengths = await pipe.execute()
        pending = 0
        for stream in self.keys.streams():
            with contextlib.suppress(ResponseError):
                summary = await self.redis.xpending(stream, GROUP)
                pending += int(summary["pending"])
        return sum(int(n) for n in lengths), pending

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """Entries set aside by workers, oldest first, from every partition."""
        found: list[DeadLetter] = []
        for part in range(self.keys.partitions):
            rows: list[Any] = list(
                await self.redis.xrange(self.keys.dead_letters(part), count=limit) or []
            )
            for entry_id, fields in rows:
                values = {_text(k): _text(v) for k, v in (fields or {}).items()}
                found.append(
                    DeadLetter(
                        entry_id=_text(entry_id) or "",
                        job_id=values.get("job") or "",
                        reason=values.get("reason") or "",
                        partition=part,
                    )
                )
        return found[:limit]

    async def requeue(self, job_id: str, dead_entry_id: str = "") -> str:
        """Replay a failed or dead-lettered job from its stored request."""
        k = self.keys
        part = k.partition(job_id)
        reply = await self._requeue(
            keys=[k.job(job_id), k.stream(part), k.events(job_id), k.dead_letters(part)],
            args=[job_id, dead_entry_id, self.publish_command, self.job_ttl],
        )
        return _text(reply) or "missing"

    async def release(self, job_id: str, token: str, entry_id: str) -> str:
        """Hand an unfinished job back to the queue (a worker stopping before it ends)."""
        k = self.keys
        reply = await self._release(
            keys=[k.job(job_id), k.lock(job_id), k.stream_for(job_id), k.events(job_id)],
            args=[token, entry_id, GROUP, self.publish_command, job_id],
        )
        return _text(reply) or "missing"

    async def acknowledge(self, job_id: str, entry_id: str) -> None:
        """Drop an entry that has nothing left to do (job expired, finished or superseded)."""
        stream = self.keys.stream_for(job_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.xack(stream, GROUP, entry_id)
            pipe.xdel(stream, entry_id)
            await pipe.execute()
