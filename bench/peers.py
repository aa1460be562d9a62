"""The peer queues (arq, SAQ, taskiq) and a hand-written Streams consumer, each with a no-op task.

Each system is measured the same way: its client enqueues N jobs before its worker starts
(``enqueue``), its worker runs alone in a child process (``python -m bench.peers NAME URL C``,
uvloop + hiredis for every system), and the parent polls that system's own record of
unfinished work (``remaining``) until it reaches zero.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis

ARQ_QUEUE = "arq:queue"
SAQ_QUEUE = "bench"
TASKIQ_STREAM = "taskiq-bench"
CEIL_PARTS = 16
CEIL_GROUP = "ceiling"


def ceiling_stream(part: int) -> str:
    return f"ceil:{{p{part:02d}}}:jobs"


async def _gather_chunked(n: int, make: Callable[[int], Awaitable[Any]], width: int = 64) -> None:
    for start in range(0, n, width):
        await asyncio.gather(*(make(i) for i in range(start, min(n, start + width))))


# -- arq --------------------------------------------------------------------------------------


async def arq_noop(ctx: dict[str, Any]) -> None:
    return None


async def arq_enqueue(url: str, n: int) -> None:
    from arq import create_pool
    from arq.connections import RedisSettings

    pool = await create_pool(RedisSettings.from_dsn(url))
    await _gather_chunked(n, lambda i: pool.enqueue_job("arq_noop"))
    await pool.aclose()


async def arq_worker(url: str, concurrency: int) -> None:
    from arq.connections import RedisSettings
    from arq.worker import Worker

    # poll_delay 10 ms: arq's fastest sensible setting (its default 0.5 s caps it near 200/s)
    worker = Worker(
        functions=[arq_noop],  # type: ignore[list-item]
        redis_settings=RedisSettings.from_dsn(url),
        max_jobs=concurrency,
        poll_delay=0.01,
        handle_signals=False,
    )
    await worker.main()


async def arq_remaining(redis: Redis) -> int:
    return int(await redis.zcard(ARQ_QUEUE))  # arq removes a job from the queue when it ends


# -- SAQ --------------------------------------------------------------------------------------


async def saq_noop(ctx: dict[str, Any]) -> None:
    return None


async def saq_enqueue(url: str, n: int) -> None:
    from saq import Queue

    queue = Queue.from_url(url, name=SAQ_QUEUE)
    await queue.connect()
    await _gather_chunked(n, lambda i: queue.enqueue("saq_noop"))
    await queue.disconnect()


async def saq_worker(url: str, concurrency: int) -> None:
    from saq import Queue, Worker

    queue = Queue.from_url(url, name=SAQ_QUEUE)
    worker = Worker(queue, functions=[saq_noop], concurrency=concurrency)  # type: ignore[list-item]
    await worker.start()


async def saq_remaining(redis: Redis) -> int:
    return int(await redis.zcard(f"saq:{SAQ_QUEUE}:incomplete"))


# -- taskiq (Redis Streams broker, with a Redis result backend: it stores each result) ----------


def _taskiq_broker(url: str) -> Any:
    from taskiq_redis import RedisAsyncResultBackend, RedisStreamBroker

    broker = RedisStreamBroker(url, queue_name=TASKIQ_STREAM, consumer_id="0").with_result_backend(
        RedisAsyncResultBackend(url, result_ex_time=3600)
    )
    return broker


async def taskiq_enqueue(url: str, n: int) -> None:
    broker = _taskiq_broker(url)
    noop = broker.register_task(_taskiq_noop, task_name="noop")
    await broker.startup()  # creates the group before the first entry
    await _gather_chunked(n, lambda i: noop.kiq())
    await broker.shutdown()


async def _taskiq_noop() -> None:
    return None


async def taskiq_worker(url: str, concurrency: int) -> None:
    from taskiq.api import run_receiver_task

    broker = _taskiq_broker(url)
    broker.register_task(_taskiq_noop, task_name="noop")
    await broker.startup()
    await run_receiver_task(broker, max_async_tasks=concurrency)


async def _group_remaining(redis: Redis, streams: list[str], group: str) -> int:
    total = 0
    for stream in streams:
        for info in await redis.xinfo_groups(stream):
            if info["name"] in (group, group.encode()):
                total += int(info["pending"]) + int(info.get("lag") or 0)
    return total


async def taskiq_remaining(redis: Redis) -> int:
    return await _group_remaining(redis, [TASKIQ_STREAM], "taskiq")


# -- the hand-written ceiling: batch XREADGROUP, pipelined HSET + PUBLISH + XACK --------------


async def ceiling_enqueue(url: str, n: int) -> None:
    redis = Redis.from_url(url)
    for part in range(CEIL_PARTS):
        await redis.xgroup_create(ceiling_stream(part), CEIL_GROUP, id="0", mkstream=True)
    for start in range(0, n, 1000):
        async with redis.pipeline(transaction=False) as pipe:
            for i in range(start, min(n, start + 1000)):
                job = f"{i:032x}"
                part = i % CEIL_PARTS
                pipe.hset(f"ceil:{{p{part:02d}}}:job:{job}", mapping={"status": "queued"})
                pipe.xadd(ceiling_stream(part), {"job": job})
            await pipe.execute()
    await redis.aclose()


async def ceiling_worker(url: str, concurrency: int) -> None:
    redis = Redis.from_url(url)
    streams = {ceiling_stream(p): ">" for p in range(CEIL_PARTS)}
    while True:
        reply = await redis.xreadgroup(CEIL_GROUP, "c1", streams, count=concurrency, block=1000)
        if not reply:
            continue
        async with redis.pipeline(transaction=False) as pipe:
            for stream, entries in reply:
                tag = stream.decode().split(":")[1]
                for entry_id, fields in entries:
                    job = fields[b"job"].decode()
                    key = f"ceil:{tag}:job:{job}"
                    pipe.hset(key, mapping={"status": "completed", "result": "{}"})
                    pipe.publish(f"ceil:{tag}:events:{job}", "1")
                    pipe.xack(stream, CEIL_GROUP, entry_id)
            await pipe.execute()


async def ceiling_remaining(redis: Redis) -> int:
    return await _group_remaining(redis, [ceiling_stream(p) for p in range(CEIL_PARTS)], CEIL_GROUP)


PEERS: dict[str, tuple[Any, Any, Any]] = {
    "arq": (arq_enqueue, arq_worker, arq_remaining),
    "saq": (saq_enqueue, saq_worker, saq_remaining),
    "taskiq": (taskiq_enqueue, taskiq_worker, taskiq_remaining),
    "ceiling": (ceiling_enqueue, ceiling_worker, ceiling_remaining),
}


def main() -> None:
    import logging

    import uvloop

    logging.basicConfig(level=logging.WARNING)
    name, url, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3])
    uvloop.run(PEERS[name][1](url, concurrency))


if __name__ == "__main__":
    main()
