"""Redis Cluster failover under load: a primary dies, its replica takes over; every
accepted job still ends exactly once and no request gets a 500.

Runs only on the local cluster (``make cluster-test``).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import aiohttp
import pytest

from tests.integration.client_helpers import poll, submit, until
from tests.integration.harness import PageServer, running_services
from tests.redis_cluster import LocalCluster

pytestmark = pytest.mark.integration


async def test_primary_killed_mid_load(
    local_cluster: LocalCluster | None, pages: PageServer, tmp_path: Path
) -> None:
    if local_cluster is None:
        pytest.skip("needs the local cluster: make cluster-test")
    accepted: list[str] = []
    statuses: list[int] = []
    timeline: dict[str, float] = {}
    with running_services(
        local_cluster.url,
        f"fo-{uuid.uuid4().hex[:6]}",
        pages,
        tmp_path,
        workers=2,
        JOB_LOCK_TTL_SECONDS="3",
    ) as services:
        async with aiohttp.ClientSession() as session:

            async def load(stop: asyncio.Event) -> None:
                i = 0
                while not stop.is_set():
                    i += 1
                    body = {
                        "text": f"Failover load {i}. Rivers carve valleys.",
                        "persona": "casual",
                    }
                    status, answer = await submit(
                        session, services.base, body, "/api/transform/text"
                    )
                    statuses.append(status)
                    if status == 503:
                        timeline["last_refusal"] = time.monotonic()
                    if status in (200, 202):
                        accepted.append(answer["jobId"])
                    await asyncio.sleep(0.02)  # load shape: about 50 submits a second

            stop = asyncio.Event()
            loader = asyncio.create_task(load(stop))
            await until(lambda: len(accepted) >= 30, 30, "load before the failover")
            victim = local_cluster.primary_ports()[0]
            local_cluster.kill(victim)
            timeline["killed"] = time.monotonic()
            before = len(accepted)
            # Recovered: 50 submits in a row accepted after the kill, none refused.
            await until(
                lambda: (
                    len(accepted) >= before + 50
                    and time.monotonic() - timeline.get("last_refusal", 0) > 1.0
                ),
                60,
                "submits to be accepted again",
            )
            stop.set()
            await loader
            snapshots = [await poll(session, services.base, job_id, 120) for job_id in accepted]
    assert 500 not in statuses
    assert set(statuses) <= {200, 202, 503}
    assert {s["status"] for s in snapshots} == {"completed"}
    outage = max(0.0, timeline.get("last_refusal", timeline["killed"]) - timeline["killed"])
    print(f"\nfailover: last 503 {outage:.2f}s after the kill; {statuses.count(503)} answered 503")
