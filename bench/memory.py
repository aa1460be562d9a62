"""Scenario 8: Redis memory per finished job, beyond the result itself, and the TTLs kept.

For every finished job: MEMORY USAGE of its hash plus its cache entry, minus the result's
length (the result is stored twice, in the hash and in the cache entry; the figure counts
one copy as "the result itself" and everything else as overhead). Every other key is
checked for a TTL: only the stream partitions and their counters may live without one.
"""

from __future__ import annotations

import asyncio
import statistics
from typing import Any

from redis.asyncio import Redis

from bench import env
from bench.queue import Drain, drain_rate, recast_enqueue, recast_remaining
from bench.report import Row


async def measure(url: str, job_ids: list[str]) -> dict[str, Any]:
    from jobcore.keys import Keys

    keys = Keys("recast", 16)
    redis = Redis.from_url(url)
    overhead, result_len, hash_ttl, cache_ttl = [], [], [], []
    for job_id in job_ids:
        job, cache = keys.job(job_id), keys.cache(job_id)
        status = await redis.hget(job, "status")
        if status != b"completed":
            continue
        result = await redis.hget(job, "result") or b""
        used = (await redis.memory_usage(job, samples=0) or 0) + (
            await redis.memory_usage(cache, samples=0) or 0
        )
        overhead.append(used - len(result))
        result_len.append(len(result))
        hash_ttl.append(await redis.ttl(job))
        cache_ttl.append(await redis.ttl(cache))
    no_ttl: dict[str, int] = {}
    async for key in redis.scan_iter(count=1000):
        if await redis.ttl(key) == -1:
            kind = (
                key.decode().split(":")[-1] if b":jobs" in key or b":stats" in key else key.decode()
            )
            no_ttl[kind] = no_ttl.get(kind, 0) + 1
    locks = [k async for k in redis.scan_iter(match="recast:*:lock:*")]
    await redis.aclose()
    return {
        "jobs": len(overhead),
        "overhead_median": statistics.median(overhead) if overhead else float("nan"),
        "result_median": statistics.median(result_len) if result_len else float("nan"),
        "hash_ttl_range": [min(hash_ttl, default=0), max(hash_ttl, default=0)],
        "cache_ttl_range": [min(cache_ttl, default=0), max(cache_ttl, default=0)],
        "keys_without_ttl": no_ttl,
        "locks_left": len(locks),
    }


def ttl_ok(m: dict[str, Any]) -> bool:
    allowed = {"jobs", "stats"}
    return (
        m["hash_ttl_range"][0] > 0
        and m["cache_ttl_range"][0] > 0
        and m["hash_ttl_range"][1] <= 3600
        and m["cache_ttl_range"][1] <= 3600
        and set(m["keys_without_ttl"]) <= allowed
        and m["locks_left"] == 0
    )


def describe(m: dict[str, Any]) -> str:
    return (
        f"{m['jobs']} finished jobs; result median {m['result_median']:.0f} B (held twice: "
        f"hash + cache); hash TTL {m['hash_ttl_range']} s, cache TTL {m['cache_ttl_range']} s; "
        f"keys without TTL: {m['keys_without_ttl']}; locks left: {m['locks_left']}"
    )


def run(url: str, args) -> list[Row]:  # type: ignore[no-untyped-def]
    env.flush(url)
    n = 1000
    ids = asyncio.run(recast_enqueue(url, n, tag="memory"))
    worker = env.start_worker(url)
    try:
        drained: Drain = asyncio.run(drain_rate(url, n, recast_remaining, [worker.pid]))
    finally:
        worker.stop()
    m = asyncio.run(measure(url, ids))
    return [
        Row(
            "8 Redis memory",
            "bytes/finished no-op job beyond result",
            m["overhead_median"],
            None,
            "",
            "reported; TTLs set",
            ttl_ok(m),
            unit="B",
            note=describe(m) + f" (drained at {drained.rate:,.0f}/s)",
        )
    ]
