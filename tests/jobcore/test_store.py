"""The job store's scripts against a real Redis: create-or-join, fencing, finish, cancel."""

from __future__ import annotations

import asyncio

from jobcore.connection import RedisClient as Redis
from jobcore.jobid import job_id_for
from jobcore.keys import GROUP, Keys
from jobcore.models import JobError, JobSpec, TransformResult
from jobcore.store import JobStore


def _spec(url: str = "https://example.com/a") -> JobSpec:
    return JobSpec(kind="url", persona="professional", url=url)


def _result() -> TransformResult:
    return TransformResult(
        title="T",
        summary="S",
        key_points=[],
        markdown="# T",
        word_count=1,
        reading_time_minutes=1,
        persona="professional",
        engine="test",
    )


async def _deliver(redis: Redis, keys: Keys, job_id: str) -> str:
    reply = await redis.xreadgroup(GROUP, "c1", {keys.stream_for(job_id): ">"}, count=1)
    return str(reply[0][1][0][0].decode())


async def test_concurrent_identical_submits_create_one_job_and_one_entry(
    store: JobStore, redis: Redis, keys: Keys
) -> None:
    job_id = job_id_for("url", "https://example.com/a", "professional")
    outcomes = await asyncio.gather(
        *(store.submit(job_id, _spec(), refresh=False, max_stream_len=0) for _ in range(50))
    )
    kinds = sorted(o.outcome for o in outcomes)
    assert kinds.count("created") == 1
    assert kinds.count("joined") == 49
    assert await redis.xlen(keys.stream_for(job_id)) == 1
    assert all(o.snapshot is not None and o.snapshot.job_id == job_id for o in outcomes)


async def test_finish_caches_and_next_submit_is_a_hit(
    store: JobStore, redis: Redis, keys: Keys
) -> None:
    job_id = job_id_for("url", "https://example.com/b", "professional")
    await store.submit(job_id, _spec(), refresh=False, max_stream_len=0)
    entry = await _deliver(redis, keys, job_id)
    started = await store.start(job_id, "tok", entry, stage="fetching", progress=10)
    assert started.outcome == "started"
    assert started.attempts == 1
    assert started.spec == _spec()
    assert await store.update(job_id, "tok", stage="extracting", progress=40) == "ok"
    assert await store.finish(job_id, "tok", entry, result=_result()) == "ok"
    snap = await store.snapshot(job_id)
    assert snap is not None
    assert snap[0].status == "completed"
    assert snap[0].progress == 100
    assert snap[0].data == _result()
    assert await redis.xlen(keys.stream_for(job_id)) == 0
    assert await redis.exists(keys.lock(job_id)) == 0
    again = await store.submit(job_id, _spec(), refresh=False, max_stream_len=0)
    assert again.outcome == "cached"
    assert again.result == _result()


async def test_progress_never_goes_backwards_within_an_attempt(
    store: JobStore, redis: Redis, keys: Keys
) -> None:
    job_id = job_id_for("url", "https://example.com/c", "professional")
    await store.submit(job_id, _spec(), refresh=False, max_stream_len=0)
    entry = await _deliver(redis, keys, job_id)
    await store.start(job_id, "tok", entry, stage="fetching", progress=10)
    await store.update(job_id, "tok", stage="transforming", progress=70)
    await store.update(job_id, "tok", stage="transforming", progress=60)
    snap = await store.snapshot(job_id)
    assert snap is not None
    assert snap[0].progress == 70


async def test_a_stale_lock_holder_cannot_finish(store: JobStore, redis: Redis, keys: Keys) -> None:
    job_id = job_id_for("url", "https://example.com/d", "professional")
    await store.submit(job_id, _spec(), refresh=False, max_stream_len=0)
    entry = await _deliver(redis, keys, job_id)
    await store.start(job_id, "old", entry, stage="fetching", progress=10)
    await redis.delete(keys.lock(job_id))  # the old owner's lease expired
    assert (await store.start(job_id, "new", entry, stage="fetching", progress=10)).attempts == 2
    assert await store.finish(job_id, "old", entry, result=_result()) == "lost"
    assert await store.update(job_id, "old", stage="storing", progress=95) == "lost"
    refused = await store.start(job_id, "old", entry, stage="fetching", progress=10)
    assert refused.outcome == "locked"
    snap = await store.snapshot(job_id)
    assert snap is not None
    assert snap[0].status == "running"


async def test_cancel_a_queued_job_removes_its_entry(
    store: JobStore, redis: Redis, keys: Keys
) -> None:
    job_id = job_id_for("url", "https://example.com/e", "professional")
    await store.submit(job_id, _spec(), refresh=False, max_stream_len=0)
    snap = await store.cancel(job_id)
    assert snap is not None
    assert snap.status == "cancelled"
    assert snap.error is not None
    assert snap.error.code == "cancelled"
    assert await redis.xlen(keys.stream_for(job_id)) == 0
    resubmitted = await store.submit(job_id, _spec(), refresh=False, max_stream_len=0)
    assert resubmitted.outcome == "created"


async def test_failed_job_records_its_error(store: JobStore, redis: Redis, keys: Keys) -> None:
    job_id = job_id_for("url", "https://example.com/f", "professional")
    await store.submit(job_id, _spec(), refresh=False, max_stream_len=0)
    entry = await _deliver(redis, keys, job_id)
    await store.start(job_id, "tok", entry, stage="fetching", progress=10)
    error = JobError(
        code="http_error", message="upstream said 404", retryable=False, upstream_status=404
    )
    assert await store.finish(job_id, "tok", entry, error=error) == "ok"
    snap = await store.snapshot(job_id)
    assert snap is not None
    assert (snap[0].status, snap[0].error) == ("failed", error)
    assert await redis.ttl(keys.job(job_id)) > 0


async def test_queue_bound_refuses_new_jobs(store: JobStore) -> None:
    first = job_id_for("url", "https://example.com/g", "professional")
    second = next(
        job_id_for("url", f"https://example.com/g{i}", "professional")
        for i in range(1000)
        if store.keys.partition(job_id_for("url", f"https://example.com/g{i}", "professional"))
        == store.keys.partition(first)
    )
    assert (
        await store.submit(first, _spec(), refresh=False, max_stream_len=1)
    ).outcome == "created"
    outcome = await store.submit(second, _spec("https://x.org/"), refresh=False, max_stream_len=1)
    assert outcome.outcome == "queue_full"


async def test_a_failed_job_can_be_requeued_from_its_stored_request(
    store: JobStore, redis: Redis, keys: Keys
) -> None:
    job_id = job_id_for("url", "https://example.com/h", "professional")
    await store.submit(job_id, _spec(), refresh=False, max_stream_len=0)
    entry = await _deliver(redis, keys, job_id)
    await store.start(job_id, "tok", entry, stage="fetching", progress=10)
    error = JobError(code="timeout", message="slow", retryable=True)
    await store.finish(job_id, "tok", entry, error=error)
    assert await store.requeue(job_id) == "requeued"
    snap = await store.snapshot(job_id)
    assert snap is not None
    assert (snap[0].status, snap[0].error, snap[0].attempts) == ("queued", None, 0)
    again = await _deliver(redis, keys, job_id)
    started = await store.start(job_id, "tok2", again, stage="fetching", progress=10)
    assert started.spec == _spec()
    assert await store.requeue(job_id) == "live"


async def _complete(store: JobStore, redis: Redis, keys: Keys, job_id: str) -> None:
    entry = await _deliver(redis, keys, job_id)
    await store.start(job_id, "tok", entry, stage="fetching", progress=10)
    await store.finish(job_id, "tok", entry, result=_result())


async def test_resubmission_rules(store: JobStore, redis: Redis, keys: Keys) -> None:
    job_id = job_id_for("url", "https://example.com/rules", "professional")
    submit = store.submit
    assert (await submit(job_id, _spec(), refresh=False, max_stream_len=0)).outcome == "created"
    # While live, even refresh joins the running job.
    assert (await submit(job_id, _spec(), refresh=True, max_stream_len=0)).outcome == "joined"
    await _complete(store, redis, keys, job_id)
    assert (await submit(job_id, _spec(), refresh=False, max_stream_len=0)).outcome == "cached"
    # refresh bypasses the cache and runs again.
    assert (await submit(job_id, _spec(), refresh=True, max_stream_len=0)).outcome == "created"
    await _complete(store, redis, keys, job_id)
    # Cache expired while the job record lives: the job runs again.
    await redis.delete(keys.cache(job_id))
    rerun = await submit(job_id, _spec(), refresh=False, max_stream_len=0)
    assert rerun.outcome == "created"
    assert rerun.snapshot is not None
    assert (rerun.snapshot.status, rerun.snapshot.attempts) == ("queued", 0)


async def test_a_stale_worker_cannot_renew_after_the_new_owner_finished(
    store: JobStore, redis: Redis, keys: Keys
) -> None:
    job_id = job_id_for("url", "https://example.com/stale", "professional")
    await store.submit(job_id, _spec(), refresh=False, max_stream_len=0)
    entry = await _deliver(redis, keys, job_id)
    await store.start(job_id, "old", entry, stage="fetching", progress=10)
    await redis.delete(keys.lock(job_id))  # the old owner froze past its lease
    await store.start(job_id, "new", entry, stage="fetching", progress=10)
    assert await store.finish(job_id, "new", entry, result=_result()) == "ok"
    assert await store.renew(job_id, "old", "c1", entry) == "lost"
    assert await redis.exists(keys.lock(job_id)) == 0  # no lock resurrected


async def test_a_resubmit_after_cancelling_a_running_job_starts_at_once(
    store: JobStore, redis: Redis, keys: Keys
) -> None:
    job_id = job_id_for("url", "https://example.com/recancel", "professional")
    await store.submit(job_id, _spec(), refresh=False, max_stream_len=0)
    entry = await _deliver(redis, keys, job_id)
    await store.start(job_id, "old", entry, stage="fetching", progress=10)
    await store.cancel(job_id)
    await store.submit(job_id, _spec(), refresh=False, max_stream_len=0)
    fresh = await _deliver(redis, keys, job_id)
    assert (await store.start(job_id, "new", fresh, stage="fetching", progress=10)).outcome == (
        "started"
    )
    assert await store.update(job_id, "old", stage="extracting", progress=40) == "lost"
    assert await redis.ttl(keys.job(job_id)) > 0
