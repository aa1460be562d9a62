"""Scenario 2: submit -> terminal latency at 50 jobs/s on an idle queue (no-op engine).

Two views of the same path, each job submitted on a fixed 20 ms schedule:
- client: ``POST /api/transform/text`` on the gateway, then follow the job's SSE stream until
  its ``completed`` event arrives (what a browser sees; includes two HTTP requests);
- queue: ``JobStore.submit`` straight to Redis, terminal state observed through the job's
  Pub/Sub channel (what the queue itself adds).
"""

from __future__ import annotations

import asyncio
import time
import uuid

import aiohttp
from jobcore.connection import connect
from jobcore.jobid import job_id_for, text_digest
from jobcore.models import JobSpec

from bench import env
from bench.queue import recast_store
from bench.report import Row, percentile

RATE = 50.0


async def _client_one(session: aiohttp.ClientSession, base: str, text: str) -> float:
    started = time.perf_counter()
    async with session.post(f"{base}/api/transform/text", json={"text": text}) as resp:
        body = await resp.json()
        if resp.status == 200:
            return (time.perf_counter() - started) * 1000
        assert resp.status == 202, body
    async with session.get(f"{base}{body['eventsUrl']}") as events:
        async for line in events.content:
            if line.startswith(b"event: completed"):
                return (time.perf_counter() - started) * 1000
    raise RuntimeError("stream ended without a completed event")


async def _paced(n: int, one) -> list[float]:  # type: ignore[no-untyped-def]
    start = time.perf_counter() + 0.05
    tasks = []
    for i in range(n):
        delay = start + i / RATE - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i)))
    return list(await asyncio.gather(*tasks))


async def client_latencies(base: str, n: int) -> list[float]:
    run = uuid.uuid4().hex[:8]
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        for i in range(20):  # warm-up: connections, the worker's first read
            await _client_one(session, base, f"warm {run} {i}")
        return await _paced(n, lambda i: _client_one(session, base, f"latency {run} {i}"))


async def queue_latencies(url: str, n: int) -> list[float]:
    redis = connect(url)
    store = recast_store(redis)
    pubsub = redis.pubsub()
    await pubsub.psubscribe("recast:*:events:*")
    waiters: dict[str, asyncio.Future[float]] = {}
    run = uuid.uuid4().hex[:8]

    async def listen() -> None:
        async for message in pubsub.listen():
            if message["type"] != "pmessage":
                continue
            job_id = message["channel"].decode().rsplit(":", 1)[1]
            future = waiters.get(job_id)
            if future and not future.done():
                status = await redis.hget(store.keys.job(job_id), "status")
                if status == b"completed":
                    future.set_result(time.perf_counter())

    listener = asyncio.create_task(listen())

    async def one(i: int) -> float:
        text = f"queue latency {run} {i}"
        job_id = job_id_for("text", text_digest(f"\x1f{text}"), "professional")
        waiters[job_id] = asyncio.get_running_loop().create_future()
        started = time.perf_counter()
        await store.submit(
            job_id,
            JobSpec(kind="text", persona="professional", text=text),
            refresh=False,
            max_stream_len=0,
        )
        return (await asyncio.wait_for(waiters[job_id], 10) - started) * 1000

    try:
        for i in range(20):
            await one(-1 - i)
        return await _paced(n, one)
    finally:
        listener.cancel()
        await pubsub.aclose()
        await redis.aclose()


def run(url: str, args) -> list[Row]:  # type: ignore[no-untyped-def]
    n = max(100, min(1000, args.jobs // 20))
    env.flush(url)
    gateway, base = env.start_gateway(url)
    worker = env.start_worker(url)
    try:
        client = asyncio.run(client_latencies(base, n))
        queue = asyncio.run(queue_latencies(url, n))
    finally:
        worker.stop()
        gateway.stop()
    p50, p99 = percentile(client, 50), percentile(client, 99)
    q50, q99 = percentile(queue, 50), percentile(queue, 99)
    note = (
        f"{n} jobs at {RATE:.0f}/s; client = HTTP POST then SSE until `completed`; "
        f"queue = JobStore.submit then Pub/Sub (p50 {q50:.2f} ms, p99 {q99:.2f} ms)"
    )
    return [
        Row(
            "2 latency @50/s",
            "p50 submit→terminal (SSE)",
            p50,
            q50,
            "queue only",
            "≤ 3 ms",
            p50 <= 3,
            unit="ms",
            note=note,
            samples={"client": client, "queue": queue},
        ),
        Row(
            "2 latency @50/s",
            "p99 submit→terminal (SSE)",
            p99,
            q99,
            "queue only",
            "≤ 15 ms",
            p99 <= 15,
            unit="ms",
        ),
    ]
