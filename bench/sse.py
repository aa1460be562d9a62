"""Scenario 5: SSE fan-out on one gateway process.

Idle streams, one per queued job (the worst case: one Pub/Sub channel each), are opened in
steps; after each step the gateway's RSS and the Redis connections it holds (CLIENT LIST,
the bench's own connection excluded) are recorded. Then 1,000 more streams follow one job,
the bench drives that job through five state changes as a worker would (start, three
progress updates, finish) and every stream's receive time is compared with the moment the
state change was sent.
"""

from __future__ import annotations

import asyncio
import secrets
import sys
import time
import uuid

import aiohttp
from jobcore.jobid import job_id_for, text_digest
from jobcore.models import JobSpec, TransformResult
from redis.asyncio import Redis

from bench import env
from bench.queue import recast_store
from bench.report import Row, percentile

FANOUT = 1000


async def _submit_many(store, n: int, tag: str) -> list[str]:  # type: ignore[no-untyped-def]
    ids: list[str] = []

    async def one(i: int) -> None:
        text = f"sse {tag} {i}"
        job_id = job_id_for("text", text_digest(f"\x1f{text}"), "professional")
        await store.submit(
            job_id,
            JobSpec(kind="text", persona="professional", text=text),
            refresh=False,
            max_stream_len=0,
        )
        ids.append(job_id)

    for start in range(0, n, 64):
        await asyncio.gather(*(one(i) for i in range(start, min(n, start + 64))))
    return ids


class Stream:
    """One open SSE response; records when each event id arrives."""

    def __init__(self) -> None:
        self.arrivals: dict[int, float] = {}
        self.opened = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def follow(self, session: aiohttp.ClientSession, url: str) -> None:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=None)) as resp:
            async for line in resp.content:
                if line.startswith(b"id: "):
                    self.arrivals[int(line[4:])] = time.perf_counter()
                    self.opened.set()


async def _open(session: aiohttp.ClientSession, url: str, width: int, count: int) -> list[Stream]:
    streams: list[Stream] = []
    for start in range(0, count, width):
        batch = [Stream() for _ in range(min(width, count - start))]
        for s in batch:
            s.task = asyncio.create_task(s.follow(session, url(len(streams))))
            streams.append(s)
        await asyncio.wait_for(asyncio.gather(*(s.opened.wait() for s in batch)), 60)
    return streams


async def _gateway_connections(redis: Redis) -> int:
    clients = await redis.client_list()
    return sum(1 for c in clients if c.get("name") != "bench")


async def measure(url: str, base: str, gateway_pid: int, total: int) -> dict[str, object]:
    redis = Redis.from_url(url, client_name="bench")
    store_redis = Redis.from_url(url, client_name="bench")
    store = recast_store(store_redis)
    tag = uuid.uuid4().hex[:8]
    ids = await _submit_many(store, total + 1, tag)
    fan_job = ids.pop()
    steps = sorted({s for s in (100, 1000, total) if s <= total})
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    result: dict[str, object] = {"steps": []}
    async with aiohttp.ClientSession(connector=connector) as session:
        warm = await _open(session, lambda i: f"{base}/api/transform/jobs/{ids[i]}/events", 50, 50)
        for s in warm:
            s.task.cancel()  # type: ignore[union-attr]
        await asyncio.sleep(1)
        rss0, conns0 = env.rss_bytes(gateway_pid), await _gateway_connections(redis)
        result["baseline"] = {"rss": rss0, "redis_connections": conns0}
        opened: list[Stream] = []
        for step in steps:
            started = time.perf_counter()
            offset = len(opened)
            opened += await _open(
                session,
                lambda i, k=offset: f"{base}/api/transform/jobs/{ids[k + i]}/events",
                200,
                step - len(opened),
            )
            await asyncio.sleep(1)
            rss, conns = env.rss_bytes(gateway_pid), await _gateway_connections(redis)
            result["steps"].append(  # type: ignore[attr-defined]
                {
                    "streams": step,
                    "rss": rss,
                    "redis_connections": conns,
                    "open_seconds": round(time.perf_counter() - started, 2),
                }
            )
            print(
                f"  [sse] {step} idle streams: gateway RSS {rss / 2**20:.1f} MiB "
                f"(+{(rss - rss0) / max(step, 1) / 1024:.1f} KiB/stream), "
                f"Redis connections {conns}",
                file=sys.stderr,
            )
        # one job followed by FANOUT more streams, driven through five state changes
        fan = await _open(
            session, lambda i: f"{base}/api/transform/jobs/{fan_job}/events", 200, FANOUT
        )
        sent: dict[int, float] = {}
        token = secrets.token_hex(16)
        entry = (await store_redis.hget(store.keys.job(fan_job), "entry")).decode()
        steps_driven = [
            ("start", "extracting"),
            ("update", "transforming"),
            ("update", "storing"),
            ("update", "storing"),
            ("finish", ""),
        ]
        for kind, stage in steps_driven:
            await asyncio.sleep(0.3)
            before = time.perf_counter()
            if kind == "start":
                await store.start(fan_job, token, entry, stage=stage, progress=40)
            elif kind == "update":
                await store.update(fan_job, token, stage=stage, progress=95)
            else:
                result_ = TransformResult(
                    title="t",
                    summary="",
                    key_points=[],
                    markdown="",
                    word_count=0,
                    reading_time_minutes=0,
                    persona="professional",
                    engine="noop",
                )
                await store.finish(fan_job, token, entry, result=result_)
            seq = int(await store_redis.hget(store.keys.job(fan_job), "seq"))
            sent[seq] = before
        await asyncio.sleep(2)
        delays = [
            (s.arrivals[seq] - at) * 1000
            for s in fan
            for seq, at in sent.items()
            if seq in s.arrivals
        ]
        result["fanout"] = {
            "events": len(sent),
            "streams": FANOUT,
            "delivered": len(delays),
            "expected": len(sent) * FANOUT,
            "delays_ms": delays,
        }
        result["connections_during_fanout"] = await _gateway_connections(redis)
        for s in opened + fan:
            s.task.cancel()  # type: ignore[union-attr]
    await store_redis.aclose()
    await redis.aclose()
    return result


def run(url: str, args) -> list[Row]:  # type: ignore[no-untyped-def]
    limit = env.raise_fd_limit()
    total = min(args.streams, max(100, (limit - FANOUT - 500) // 1))
    env.flush(url)
    gateway, base = env.start_gateway(url, SSE_HEARTBEAT_SECONDS="15")
    try:
        res = asyncio.run(measure(url, base, gateway.pid, total))
    finally:
        gateway.stop()
    base_rss = res["baseline"]["rss"]  # type: ignore[index]
    last = res["steps"][-1]  # type: ignore[index]
    per_stream = (last["rss"] - base_rss) / last["streams"] / 1024
    conns = [res["baseline"]["redis_connections"]] + [s["redis_connections"] for s in res["steps"]]  # type: ignore[index]
    fan = res["fanout"]  # type: ignore[assignment]
    delays = fan["delays_ms"]  # type: ignore[index]
    p50, p99 = percentile(delays, 50), percentile(delays, 99)
    # the gateway's pool (jobcore.connection.connect: at most 64) plus its one Pub/Sub connection
    steady = max(conns) <= 64 + 1
    note = (
        f"{last['streams']:,} idle streams (one job each) opened in {last['open_seconds']} s; "
        f"RSS {base_rss / 2**20:.0f} -> {last['rss'] / 2**20:.0f} MiB; "
        f"Redis connections at 0/…/{last['streams']} streams: {conns}; "
        f"fan-out: {fan['delivered']}/{fan['expected']} deliveries, p50 {p50:.1f} ms"
    )  # type: ignore[index]
    return [
        Row(
            "5 SSE fan-out",
            "memory per idle stream",
            per_stream,
            None,
            "",
            "≤ 20 KiB",
            per_stream <= 20,
            unit="KiB",
            note=note,
            samples={"steps": res["steps"]},
        ),  # type: ignore[dict-item]
        Row(
            "5 SSE fan-out",
            f"delivery p99, 1 job → {FANOUT} streams",
            p99,
            None,
            "",
            "≤ 50 ms",
            p99 <= 50 and fan["delivered"] == fan["expected"],
            unit="ms",
        ),  # type: ignore[index]
        Row(
            "5 SSE fan-out",
            "Redis connections held",
            float(max(conns)),
            float(min(conns)),
            "at 0 streams",
            "≤ pool (64) + 1",
            steady,
        ),
    ]
