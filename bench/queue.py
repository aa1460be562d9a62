"""Scenarios 1 and 7: drain rate of no-op jobs, Recast vs arq, SAQ, taskiq and the ceiling.

Every system gets N jobs enqueued by its own client before its worker starts, the same
concurrency, uvloop and hiredis; the rate is measured from outside, from the 1 % mark to the
last job, by polling the system's own count of unfinished work every 5 ms, so process
start-up is left out for everyone alike. Recast jobs are submitted through
``JobStore.submit`` (the gateway's own create-or-join script, minus HTTP).
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable

from jobcore.jobid import job_id_for, text_digest
from jobcore.keys import Keys
from jobcore.models import JobSpec
from jobcore.store import JobStore
from redis.asyncio import Redis

from bench import env, peers


def recast_store(redis: Redis, prefix: str = "recast") -> JobStore:
    return JobStore(redis, Keys(prefix, 16), job_ttl=3600, cache_ttl=3600, lock_ttl=300)


async def recast_enqueue(url: str, n: int, tag: str = "") -> list[str]:
    redis = Redis.from_url(url)
    store = recast_store(redis)
    await store.ensure_groups()
    ids: list[str] = []

    async def one(i: int) -> None:
        text = f"bench job {tag}{i}"
        job_id = job_id_for("text", text_digest(f"\x1f{text}"), "professional")
        ids.append(job_id)
        spec = JobSpec(kind="text", persona="professional", text=text)
        await store.submit(job_id, spec, refresh=False, max_stream_len=0)

    await peers._gather_chunked(n, one)
    await redis.aclose()
    return ids


async def recast_remaining(redis: Redis) -> int:
    keys = Keys("recast", 16)
    async with redis.pipeline(transaction=False) as pipe:
        for stream in keys.streams():
            pipe.xlen(stream)  # FINISH acknowledges and deletes the entry with the terminal state
        lengths = await pipe.execute()
    return sum(int(n) for n in lengths)


async def drain_rate(
    url: str, n: int, remaining: Callable[[Redis], Awaitable[int]], timeout: float = 300
) -> float:
    """Jobs/s from the moment 1 % are done until none remain."""
    redis = Redis.from_url(url)
    warm = max(1, n // 100)
    t0 = done0 = None
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            left = await remaining(redis)
            now = time.perf_counter()
            done = n - left
            if t0 is None and done >= warm:
                t0, done0 = now, done
            if left <= 0 and t0 is not None and done0 is not None:
                return (n - done0) / max(now - t0, 1e-6)
            await asyncio.sleep(0.005)
        raise TimeoutError(f"queue not drained in {timeout}s ({left} left)")
    finally:
        await redis.aclose()


def run_recast(url: str, n: int, concurrency: int, workers: int = 1) -> float:
    env.flush(url)
    asyncio.run(recast_enqueue(url, n))
    procs = [
        env.start_worker(url, f"worker{i}", WORKER_CONCURRENCY=str(concurrency))
        for i in range(workers)
    ]
    try:
        return asyncio.run(drain_rate(url, n, recast_remaining))
    finally:
        for proc in procs:
            proc.stop()


def run_peer(url: str, name: str, n: int, concurrency: int) -> float:
    enqueue, _, remaining = peers.PEERS[name]
    env.flush(url)
    asyncio.run(enqueue(url, n))
    proc = env.Proc(
        f"peer-{name}", ["-m", "bench.peers", name, url, str(concurrency)], env.service_env(url)
    )
    try:
        return asyncio.run(drain_rate(url, n, remaining))
    finally:
        proc.stop(timeout=5)


def overhead(url: str, n: int, concurrency: int, reps: int, names: list[str]) -> dict[str, list[float]]:
    """Interleaved repetitions: recast, then each peer, ``reps`` times."""
    samples: dict[str, list[float]] = {k: [] for k in ["recast", *names]}
    for rep in range(reps):
        for name in samples:
            rate = run_recast(url, n, concurrency) if name == "recast" else run_peer(url, name, n, concurrency)
            samples[name].append(rate)
            print(f"  [queue] rep {rep + 1}/{reps} {name:8s} {rate:8.0f} jobs/s", file=sys.stderr)
    return samples


def scaling(url: str, n: int, concurrency: int, reps: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {"one": [], "two": []}
    for rep in range(reps):
        for label, workers in (("one", 1), ("two", 2)):
            rate = run_recast(url, n, concurrency, workers)
            samples[label].append(rate)
            print(f"  [scale] rep {rep + 1}/{reps} {label} worker(s) {rate:8.0f} jobs/s", file=sys.stderr)
    return samples
