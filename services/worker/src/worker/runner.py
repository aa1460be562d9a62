"""Worker lifecycle: read and reclaim entries, run up to N jobs at once, stop gracefully.

Nothing is acknowledged without a terminal state: on stop, running jobs get a grace
period, and whatever is still unfinished stays pending for another worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid

import aiohttp
import structlog
from jobcore.connection import RedisClient
from jobcore.keys import Keys
from jobcore.models import JobError
from jobcore.netpolicy import AddressPolicy
from jobcore.personas import load_personas
from jobcore.settings import Settings
from jobcore.store import JobStore

from worker.budget import ParseBudget
from worker.consumer import Delivery, StreamConsumer
from worker.fetch import FetchLimits, fetch_page, make_session
from worker.pipeline import CpuRunner, Pipeline, PipelineConfig

log = structlog.get_logger("worker")


def consumer_name(settings: Settings) -> str:
    return settings.worker_name or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class Worker:
    def __init__(
        self,
        settings: Settings,
        redis: RedisClient,
        *,
        cpu: CpuRunner | None = None,
        name: str | None = None,
    ) -> None:
        self.settings = settings
        self.redis = redis
        self.name = name or consumer_name(settings)
        self.keys = Keys(settings.key_prefix, settings.stream_partitions)
        self.store = JobStore(
            redis,
            self.keys,
            job_ttl=settings.job_ttl_seconds,
            cache_ttl=settings.cache_ttl_seconds,
            lock_ttl=settings.job_lock_ttl_seconds,
        )
        self.consumer = StreamConsumer(redis, self.keys, self.name)
        # Parsing runs in killable child processes with CPU, memory and wall-clock limits,
        # so a pathological page fails alone and the loop keeps renewing leases.
        self.cpu = cpu or ParseBudget(
            timeout=settings.parse_timeout_seconds,
            memory_bytes=settings.parse_memory_bytes,
            workers=settings.parse_workers or min(os.cpu_count() or 1, settings.worker_concurrency),
        )
        self.policy = AddressPolicy.from_entries(settings.fetch_allowed_addresses)
        self.limits = FetchLimits.from_settings(settings)
        self.in_flight: set[asyncio.Task[None]] = set()
        self.backlog: list[Delivery] = []
        self.stopping = asyncio.Event()
        self.read_failures = 0

    async def run(self, grace_seconds: float = 30.0) -> None:
        await self._wait_for_redis()
        async with make_session(self.policy, self.limits) as session:
            pipeline = self._pipeline(session)
            log.info(
                "worker_started", consumer=self.name, concurrency=self.settings.worker_concurrency
            )
            # Entries this consumer name already holds (a restart with a fixed name).
            self.backlog += await self.consumer.read(
                self.settings.worker_concurrency, 0, pending=True
            )
            try:
                await self._loop(pipeline)
            finally:
                await self._drain(grace_seconds)
                log.info("worker_stopped", consumer=self.name)

    async def _wait_for_redis(self) -> None:
        """Start even when Redis is not up yet: retry with backoff until the groups exist."""
        failures = 0
        while not self.stopping.is_set():
            try:
                await self.store.ensure_groups()
                return
            except Exception as exc:
                failures += 1
                delay = min(5.0, 0.1 * 2**failures)
                log.warning("redis_unreachable", error=repr(exc), retry_in=round(delay, 2))
                await asyncio.sleep(delay)

    def stop(self) -> None:
        self.stopping.set()

    def _pipeline(self, session: aiohttp.ClientSession) -> Pipeline:
        async def fetch(url: str) -> tuple[str, str]:
            page = await fetch_page(session, url, self.limits)
            return page.text, page.final_url

        lock_ttl = self.settings.job_lock_ttl_seconds
        config = PipelineConfig(
            consumer=self.name,
            max_attempts=self.settings.max_attempts,
            retry_base_seconds=self.settings.retry_base_seconds,
            # Renewing also notices a cancel: every few seconds, well within the lease.
            renew_interval=max(0.05, min(lock_ttl / 3, 2.0)),
            engine=self.settings.worker_engine,
        )
        return Pipeline(self.store, fetch, self.cpu, load_personas(), config)

    async def _loop(self, pipeline: Pipeline) -> None:
        concurrency = self.settings.worker_concurrency
        reclaim_every = max(0.5, min(30.0, self.settings.job_lock_ttl_seconds / 2))
        next_reclaim = 0.0
        loop = asyncio.get_running_loop()
        while not self.stopping.is_set():
            free = concurrency - len(self.in_flight)
            if free <= 0:
                # Every slot is busy: wait for one to free up, or for a stop request.
                stop = asyncio.create_task(self.stopping.wait())
                await asyncio.wait({*self.in_flight, stop}, return_when=asyncio.FIRST_COMPLETED)
                stop.cancel()
                continue
            if not self.backlog and loop.time() >= next_reclaim:
                next_reclaim = loop.time() + reclaim_every
                self.backlog += await self._reclaim(free)
            if not self.backlog:
                self.backlog += await self._read(free)
            while self.backlog and len(self.in_flight) < concurrency:
                self._spawn(pipeline, self.backlog.pop(0))

    async def _read(self, free: int) -> list[Delivery]:
        reader = asyncio.create_task(self.consumer.read(free, block_ms=1000))
        stopper = asyncio.create_task(self.stopping.wait())
        try:
            await asyncio.wait({reader, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
        if not reader.done():
            reader.cancel()  # stopping: an entry read now would simply stay pending
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
            return []
        try:
            deliveries = reader.result()
        except Exception as exc:
            await self._recover(exc)
            return []
        self.read_failures = 0
        return deliveries

    async def _recover(self, exc: Exception) -> None:
        """Back off after a Redis failure; recreate the groups if Redis came back empty."""
        self.read_failures += 1
        delay = min(5.0, 0.1 * 2**self.read_failures)
        log.warning("read_failed", error=repr(exc), retry_in=round(delay, 2))
        await asyncio.sleep(delay)
        if "NOGROUP" in str(exc):
            with contextlib.suppress(Exception):
                await self.store.ensure_groups()
                log.info("consumer_groups_recreated")

    async def _reclaim(self, free: int) -> list[Delivery]:
        try:
            claimed = await self.consumer.reclaim(self.settings.job_lock_ttl_seconds * 1000, free)
        except Exception as exc:
            log.warning("reclaim_failed", error=repr(exc))
            return []
        kept: list[Delivery] = []
        for delivery in claimed:
            count = await self.consumer.delivery_count(delivery)
            if delivery.job_id is None or count > self.settings.max_deliveries:
                reason = "undecodable" if delivery.job_id is None else f"deliveries:{count}"
                await self._dead_letter(delivery, reason)
            else:
                log.info("entry_reclaimed", job_id=delivery.job_id, deliveries=count)
                kept.append(delivery)
        return kept

    async def _dead_letter(self, delivery: Delivery, reason: str) -> None:
        if delivery.job_id is not None:
            # Fail the job first, fenced like any finish: while a (slow) owner still holds
            # the lease nothing is written, and the entry stays pending for later.
            outcome = await self.store.finish(
                delivery.job_id,
                "",  # no lease of its own: allowed only while nobody holds the job
                delivery.entry_id,
                error=JobError(
                    code="processing_limit",
                    message="the job failed on every delivery and was set aside",
                    retryable=False,
                ),
            )
            if outcome == "lost":
                log.info("dead_letter_deferred", job_id=delivery.job_id, reason=reason)
                return
        log.warning("entry_dead_lettered", job_id=delivery.job_id, reason=reason)
        await self.consumer.dead_letter(delivery, reason)

    def _spawn(self, pipeline: Pipeline, delivery: Delivery) -> None:
        if delivery.job_id is None:
            task = asyncio.create_task(self._dead_letter(delivery, "undecodable"))
        else:
            task = asyncio.create_task(self._guarded(pipeline, delivery))
        self.in_flight.add(task)
        task.add_done_callback(self.in_flight.discard)

    async def _guarded(self, pipeline: Pipeline, delivery: Delivery) -> None:
        """A job's failure is the job's, never the worker's."""
        try:
            await pipeline.process(delivery)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("job_processing_error", job_id=delivery.job_id)

    async def _drain(self, grace_seconds: float) -> None:
        if self.in_flight:
            log.info("worker_draining", running=len(self.in_flight), grace=grace_seconds)
            _, pending = await asyncio.wait(self.in_flight, timeout=grace_seconds)
            for task in pending:
                task.cancel()  # left unacknowledged: another worker reclaims it
            if pending:
                await asyncio.wait(pending, timeout=5)
        await self.cpu.close()
