"""Every Lua script and pipeline the store runs touches one cluster slot per call.

Each script call is recorded with the keys it is given; all of them must hash to
the same slot, or Redis Cluster would refuse it with CROSSSLOT. The pipelines need
no such care: ``acknowledge`` and dead-lettering touch one partition's keys (checked
below), and the read-only ones (stats, queue depth, per-partition reads) are not
transactions, which the cluster client splits by node.
"""

from __future__ import annotations

from typing import Any

import pytest
from jobcore.jobid import job_id_for
from jobcore.keys import GROUP, Keys
from jobcore.models import JobError, JobSpec
from jobcore.store import JobStore
from redis.crc import key_slot

from tests.jobcore.test_store import _result


class Recorder:
    def __init__(self, name: str, script: Any, calls: list[tuple[str, list[str]]]) -> None:
        self.name, self.script, self.calls = name, script, calls

    async def __call__(self, keys: list[str], args: list[Any]) -> Any:
        self.calls.append((self.name, list(keys)))
        return await self.script(keys=keys, args=args)


@pytest.mark.parametrize("seed", range(8))
async def test_every_script_call_stays_in_one_slot(store: JobStore, keys: Keys, seed: int) -> None:
    calls: list[tuple[str, list[str]]] = []
    for name in ("_submit", "_start", "_update", "_renew", "_finish", "_cancel", "_requeue"):
        setattr(store, name, Recorder(name, getattr(store, name), calls))
    job_id = job_id_for("url", f"https://example.com/{seed}", "professional")
    spec = JobSpec(kind="url", persona="professional", url=f"https://example.com/{seed}")
    await store.submit(job_id, spec, refresh=False, max_stream_len=0)
    reply = await store.redis.xreadgroup(GROUP, "c", {keys.stream_for(job_id): ">"}, count=1)
    entry = reply[0][1][0][0].decode()
    await store.start(job_id, "t", entry, stage="fetching", progress=10)
    await store.update(job_id, "t", stage="extracting", progress=40)
    await store.renew(job_id, "t", "c", entry)
    error = JobError(code="timeout", message="slow", retryable=True)
    await store.finish(job_id, "t", entry, error=error, stage_ms={"fetching": 1.0})
    await store.requeue(job_id)
    await store.cancel(job_id)
    other = job_id_for("url", f"https://example.org/{seed}", "professional")
    await store.submit(other, spec, refresh=False, max_stream_len=0)
    await store.finish(other, "", "0-1", result=_result())
    assert {name for name, _ in calls} == {
        "_submit",
        "_start",
        "_update",
        "_renew",
        "_finish",
        "_cancel",
        "_requeue",
    }
    for name, call_keys in calls:
        slots = {key_slot(k.encode()) for k in call_keys}
        assert len(slots) == 1, (name, call_keys)


def test_every_key_of_a_job_shares_its_partitions_slot(keys: Keys) -> None:
    for seed in range(200):
        job_id = job_id_for("text", str(seed), "casual")
        part = keys.partition(job_id)
        names = [
            keys.job(job_id),
            keys.lock(job_id),
            keys.cache(job_id),
            keys.events(job_id),
            keys.stream(part),
            keys.dead_letters(part),
            keys.stats(part),
        ]
        assert len({key_slot(n.encode()) for n in names}) == 1
