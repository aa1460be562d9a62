"""Session-wide fixtures: one real Redis server; every test gets its own key prefix."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from jobcore.connection import RedisClient, connect
from jobcore.keys import Keys
from jobcore.settings import Settings
from jobcore.store import JobStore

from tests.redis_cluster import LocalCluster
from tests.redis_server import private_redis


@pytest.fixture(scope="session")
def local_cluster() -> Iterator[LocalCluster | None]:
    """With RECAST_TEST_CLUSTER=1, a six-node local Redis Cluster for the whole session."""
    if os.environ.get("RECAST_TEST_CLUSTER") != "1":
        yield None
        return
    from tests.redis_cluster import local_cluster as start_cluster

    with start_cluster() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def redis_url(local_cluster: LocalCluster | None) -> Iterator[str]:
    """One private Redis, or the local cluster's URL."""
    if local_cluster is not None:
        yield local_cluster.url
        return
    with private_redis() as url:
        yield url


@pytest.fixture
def key_prefix() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def settings(redis_url: str, key_prefix: str) -> Settings:
    return Settings(
        redis_url=redis_url,
        key_prefix=key_prefix,
        stream_partitions=4,
        rate_limit_per_minute=0,
        sse_heartbeat_seconds=0.5,
    )


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[RedisClient]:
    client = connect(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def keys(settings: Settings) -> Keys:
    return Keys(settings.key_prefix, settings.stream_partitions)


@pytest.fixture
async def store(redis: RedisClient, keys: Keys, settings: Settings) -> JobStore:
    job_store = JobStore(
        redis,
        keys,
        job_ttl=settings.job_ttl_seconds,
        cache_ttl=settings.cache_ttl_seconds,
        lock_ttl=settings.job_lock_ttl_seconds,
    )
    await job_store.ensure_groups()
    return job_store
