"""One job: lock -> fetch -> extract -> transform -> store, with progress at every stage.

The lease (lock + entry idle time) is renewed beside the work; if the lease is lost
or the job is cancelled, the work is stopped and nothing is written. The terminal
state, cache entry, event and stream acknowledgement are written in one fenced step.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import structlog
from jobcore.errors import JobFailure
from jobcore.models import JobError, JobSpec, TransformResult
from jobcore.personas import PersonaSpec
from jobcore.states import STAGE_PROGRESS
from jobcore.store import JobStore

from worker.article import Article
from worker.clip import clip_article, extract_clipped
from worker.consumer import Delivery
from worker.retry import backoff_seconds
from worker.textinput import article_from_text
from worker.transform import transform

log = structlog.get_logger("worker.pipeline")
T = TypeVar("T")


class CpuRunner(Protocol):
    """Runs a pure CPU-bound function off the event loop."""

    async def run(self, fn: Callable[..., T], *args: Any) -> T: ...

    async def close(self) -> None: ...


Fetch = Callable[[str], Awaitable[tuple[str, str]]]  # url -> (html, final url)


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    consumer: str
    max_attempts: int
    retry_base_seconds: float
    renew_interval: float
    engine: str = "builtin"  # "noop": no fetch or parsing, for measuring queue overhead


def noop_result(spec: JobSpec) -> TransformResult:
    """What the bench-only ``noop`` engine stores: no work, just the queue's own cost."""
    return TransformResult(
        title="noop",
        summary="",
        key_points=[],
        markdown="",
        word_count=0,
        reading_time_minutes=0,
        persona=spec.persona,
        engine="noop",
        source_url=spec.url,
    )


def stop_reason(status: str) -> str:
    """Why a run stops without writing, from the job's status as Redis reports it."""
    if status == "lost":
        return "lease_lost"  # another worker owns the job now; this result is dropped
    if status in ("cancelled", "missing"):
        return status
    return f"superseded:{status}"  # another worker already finished it


class _Stop(Exception):
    """The job must stop without writing: lease lost, cancelled, or gone."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Pipeline:
    def __init__(
        self,
        store: JobStore,
        fetch: Fetch,
        cpu: CpuRunner,
        personas: dict[str, PersonaSpec],
        config: PipelineConfig,
    ) -> None:
        self.store = store
        self.fetch = fetch
        self.cpu = cpu
        self.personas = personas
        self.config = config

    async def process(self, delivery: Delivery) -> None:
        assert delivery.job_id is not None
        job_id, token = delivery.job_id, secrets.token_hex(16)
        first_stage = "fetching" if delivery.kind == "url" else "extracting"
        started = await self.store.start(
            job_id,
            token,
            delivery.entry_id,
            stage=first_stage,
            progress=STAGE_PROGRESS[first_stage],
        )
        if started.outcome in ("missing", "terminal", "stale"):
            await self.store.acknowledge(job_id, delivery.entry_id)
            log.info("entry_dropped", job_id=job_id, reason=started.outcome)
            return
        if started.outcome == "locked" or started.spec is None:
            log.info("job_locked_elsewhere", job_id=job_id)
            return
        run = _JobRun(self, delivery, token, started.spec, started.attempts, first_stage)
        with structlog.contextvars.bound_contextvars(job_id=job_id):
            await run.execute()


class _JobRun:
    def __init__(
        self,
        pipeline: Pipeline,
        delivery: Delivery,
        token: str,
        spec: JobSpec,
        attempts: int,
        first_stage: str,
    ) -> None:
        self.p = pipeline
        self.delivery = delivery
        self.job_id = delivery.job_id or ""
        self.token = token
        self.spec = spec
        self.attempts = attempts
        self.first_stage = first_stage
        self.started = time.perf_counter()
        self.stage_ms: dict[str, float] = {}
        self.lease_end: str | None = None

    async def execute(self) -> None:
        work = asyncio.create_task(self._attempts())
        lease = asyncio.create_task(self._keep_lease(work))
        try:
            outcome = await work
        except _Stop as stop:
            outcome = stop.reason
        except asyncio.CancelledError:
            if self.lease_end is None:
                # The worker is stopping past its grace period: hand the job back now,
                # rather than letting it wait out the lease.
                work.cancel()
                released = await self.p.store.release(
                    self.job_id, self.token, self.delivery.entry_id
                )
                log.info("job_released", outcome=released, attempts=self.attempts)
                raise
            outcome = self.lease_end
        finally:
            lease.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await lease
        if outcome in ("cancelled", "missing"):
            # Acknowledge through the fenced finish, which sees the status and writes nothing.
            await self.p.store.finish(
                self.job_id,
                self.token,
                self.delivery.entry_id,
                error=JobError(code="cancelled", message="cancelled", retryable=True),
            )
        log.info(
            "job_done",
            outcome=outcome,
            attempts=self.attempts,
            persona=self.spec.persona,
            ms=round((time.perf_counter() - self.started) * 1000, 1),
            stages={k: round(v, 1) for k, v in self.stage_ms.items()},
        )

    async def _keep_lease(self, work: asyncio.Task[str]) -> None:
        while True:
            await asyncio.sleep(self.p.config.renew_interval)
            try:
                status = await self.p.store.renew(
                    self.job_id, self.token, self.p.config.consumer, self.delivery.entry_id
                )
            except Exception as exc:  # Redis hiccup: keep working, try again next interval
                log.warning("lease_renew_failed", error=repr(exc))
                continue
            if status != "running":
                log.warning("lease_ended", status=status)
                self.lease_end = stop_reason(status)
                work.cancel()
                return

    async def _attempts(self) -> str:
        """Run attempts until a terminal state is written; return the finish outcome."""
        while True:
            try:
                result = await self._steps()
            except JobFailure as failure:
                error = JobError(
                    code=failure.code,
                    message=failure.message[:500],
                    retryable=failure.retryable,
                    upstream_status=failure.upstream_status,
                )
                if failure.retryable and self.attempts < self.p.config.max_attempts:
                    await self._retry(error)
                    continue
                return await self._finish(error=error)
            except (_Stop, asyncio.CancelledError):
                raise
            except Exception:
                log.exception("job_crashed")
                error = JobError(
                    code="internal", message="the job failed unexpectedly", retryable=True
                )
                return await self._finish(error=error)
            return await self._finish(result=result)

    async def _retry(self, error: JobError) -> None:
        delay = backoff_seconds(self.attempts, self.p.config.retry_base_seconds, random.random)
        log.info("job_retry", code=error.code, attempt=self.attempts, delay=round(delay, 2))
        await asyncio.sleep(delay)
        self.attempts += 1
        await self._progress(self.first_stage, new_attempt=True, error=error)

    async def _finish(
        self, *, result: TransformResult | None = None, error: JobError | None = None
    ) -> str:
        outcome = await self.p.store.finish(
            self.job_id,
            self.token,
            self.delivery.entry_id,
            result=result,
            error=error,
            stage_ms=self.stage_ms,
        )
        if outcome == "ok":
            return "completed" if result is not None else f"failed:{error.code if error else ''}"
        return stop_reason(outcome)

    async def _progress(
        self, stage: str, *, new_attempt: bool = False, error: JobError | None = None
    ) -> None:
        status = await self.p.store.update(
            self.job_id,
            self.token,
            stage=stage,
            progress=STAGE_PROGRESS[stage],
            new_attempt=new_attempt,
            error=error,
        )
        if status != "ok":
            raise _Stop(stop_reason(status))

    async def _timed(self, stage: str, awaitable: Awaitable[T]) -> T:
        started = time.perf_counter()
        try:
            return await awaitable
        finally:
            self.stage_ms[stage] = (time.perf_counter() - started) * 1000

    async def _steps(self) -> TransformResult:
        spec = self.spec
        if self.p.config.engine == "noop":
            return noop_result(spec)
        persona = self.p.personas[spec.persona]
        if spec.kind == "url" and spec.url:
            if self.stage_ms:  # a retry starts over at the first stage
                self.stage_ms.clear()
            html, final_url = await self._timed("fetching", self.p.fetch(spec.url))
            await self._progress("extracting")
            article: Article = await self._timed(
                "extracting", self.p.cpu.run(extract_clipped, html, final_url)
            )
        else:
            article = clip_article(article_from_text(spec.text or "", spec.title))
        await self._progress("transforming")
        result = await self._timed("transforming", self.p.cpu.run(transform, article, persona))
        await self._progress("storing")
        return result
