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
from dataclasses import dataclass

from jobcore.connection import RedisClient as Redis
from jobcore.connection import connect, is_cluster
from jobcore.jobid import job_id_for, text_digest
from jobcore.keys import Keys
from jobcore.models import JobSpec
from jobcore.store import JobStore

from bench import env, peers


def recast_store(redis: Redis, prefix: str = "recast") -> JobStore:
    return JobStore(redis, Keys(prefix, 16), job_ttl=3600, cache_ttl=3600, lock_ttl=300)


async def recast_enqueue(url: str, n: int, tag: str = "") -> list[str]:
    redis = connect(url)
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


@dataclass
class Drain:
    rate: float  # jobs/s
    worker_us: float  # worker CPU per job (all worker processes), microseconds
    redis_us: float  # Redis server CPU per job, microseconds


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and its live children (the worker's parse processes)."""
    import psutil

    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0.0
    for p in procs:
        try:
            times = p.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


async def redis_cpu(redis: Redis) -> float:
    if is_cluster(redis):
        return 0.0  # spread over six servers: reported as jobs/s only
    info = await redis.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


async def drain_rate(
    url: str,
    n: int,
    remaining: Callable[[Redis], Awaitable[int]],
    pids: list[int],
    timeout: float = 300,  # noqa: ASYNC109 (polls with its own deadline)
) -> Drain:
    """Jobs/s (and CPU per job) from the moment 1 % are done until none remain."""
    redis = connect(url)
    warm = max(1, n // 100)
    t0 = done0 = None
    cpu0 = (0.0, 0.0)
    deadline = time.monotonic() + timeout
    left = n
    try:
        while time.monotonic() < deadline:
            left = await remaining(redis)
            now = time.perf_counter()
            done = n - left
            if t0 is None and done >= warm:
                t0, done0 = now, done
                cpu0 = (sum(cpu_seconds(p) for p in pids), await redis_cpu(redis))
            if left <= 0 and t0 is not None and done0 is not None:
                jobs = n - done0
                worker = sum(cpu_seconds(p) for p in pids) - cpu0[0]
                server = await redis_cpu(redis) - cpu0[1]
                return Drain(jobs / max(now - t0, 1e-6), worker / jobs * 1e6, server / jobs * 1e6)
            await asyncio.sleep(0.005)
        raise TimeoutError(f"queue not drained in {timeout}s ({left} left)")
    finally:
        await redis.aclose()


def run_recast(url: str, n: int, concurrency: int, workers: int = 1) -> Drain:
    env.flush(url)
    asyncio.run(recast_enqueue(url, n))
    procs = [
        env.start_worker(url, f"worker{i}", WORKER_CONCURRENCY=str(concurrency))
        for i in range(workers)
    ]
    try:
        return asyncio.run(drain_rate(url, n, recast_remaining, [p.pid for p in procs]))
    finally:
        for proc in procs:
            proc.stop()


def run_peer(url: str, name: str, n: int, concurrency: int) -> Drain:
    enqueue, _, remaining = peers.PEERS[name]
    env.flush(url)
    asyncio.run(enqueue(url, n))
    proc = env.Proc(
        f"peer-{name}", ["-m", "bench.peers", name, url, str(concurrency)], env.service_env(url)
    )
    try:
        return asyncio.run(drain_rate(url, n, remaining, [proc.pid]))
    finally:
        proc.stop(timeout=5)


def overhead(
    url: str, n: int, concurrency: int, reps: int, names: list[str]
) -> dict[str, list[Drain]]:
    """Interleaved repetitions: recast, then each peer, ``reps`` times."""
    samples: dict[str, list[Drain]] = {k: [] for k in ["recast", *names]}
    for rep in range(reps):
        for name in samples:
            d = (
                run_recast(url, n, concurrency)
                if name == "recast"
                else run_peer(url, name, n, concurrency)
            )
            samples[name].append(d)
            print(
                f"  [queue] rep {rep + 1}/{reps} {name:8s} {d.rate:8.0f} jobs/s"
                f"  worker {d.worker_us:6.0f} µs/job  redis {d.redis_us:6.0f} µs/job",
                file=sys.stderr,
            )
    return samples


def scaling(url: str, n: int, concurrency: int, reps: int) -> dict[str, list[Drain]]:
    samples: dict[str, list[Drain]] = {"one": [], "two": []}
    for rep in range(reps):
        for label, workers in (("one", 1), ("two", 2)):
            d = run_recast(url, n, concurrency, workers)
            samples[label].append(d)
            print(
                f"  [scale] rep {rep + 1}/{reps} {label} worker(s) {d.rate:8.0f} jobs/s"
                f"  worker {d.worker_us:6.0f} µs/job  redis {d.redis_us:6.0f} µs/job",
                file=sys.stderr,
            )
    return samples
