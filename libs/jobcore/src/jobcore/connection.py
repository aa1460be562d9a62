"""The one place that turns REDIS_URL into a client: one Redis, or a Redis Cluster.

``redis://host:port/db`` (or ``rediss://``, ``unix://``) is one server;
``redis+cluster://host:port,host:port`` (or ``rediss+cluster://``) is a cluster,
reached through any of the listed nodes. Nothing else in the code knows which it
got, except where the protocol differs (sharded Pub/Sub, per-partition reads),
which asks ``is_cluster``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, TimeoutError

RedisClient = Redis | RedisCluster
CLUSTER_SCHEMES = ("redis+cluster", "rediss+cluster")


def is_cluster_url(redis_url: str) -> bool:
    return urlsplit(redis_url).scheme in CLUSTER_SCHEMES


def is_cluster(client: RedisClient) -> bool:
    return isinstance(client, RedisCluster)


def cluster_nodes(redis_url: str) -> list[tuple[str, int]]:
    """``redis+cluster://a:1,b:2/`` -> [("a", 1), ("b", 2)]."""
    netloc = urlsplit(redis_url).netloc.rpartition("@")[2]
    nodes = []
    for part in netloc.split(","):
        host, _, port = part.strip().rpartition(":")
        nodes.append((host.strip("[]") or "localhost", int(port or 6379)))
    return nodes


def connect(redis_url: str, *, max_connections: int = 64) -> RedisClient:
    """A client whose pool makes bursts wait for a free connection instead of failing."""
    if is_cluster_url(redis_url):
        parts = urlsplit(redis_url)
        return RedisCluster(
            startup_nodes=[ClusterNode(host, port) for host, port in cluster_nodes(redis_url)],
            username=parts.username,
            password=parts.password,
            ssl=parts.scheme.startswith("rediss"),
            # The cluster client has no blocking pool: a burst beyond the limit would fail
            # instead of waiting, so each node's pool is allowed to grow further.
            max_connections=max_connections * 16,
            socket_connect_timeout=5,
            socket_keepalive=True,
            # Rides out a failover: MOVED/connection errors retried while a replica takes over.
            retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=8),
        )
    pool = BlockingConnectionPool.from_url(
        redis_url,
        # A connection that died with a Redis restart is retried once on a fresh one.
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=2),
        retry_on_error=[ConnectionError, TimeoutError],
        max_connections=max_connections,
        timeout=10,
        socket_connect_timeout=5,
        socket_keepalive=True,
        health_check_interval=30,
    )
    return Redis.from_pool(pool)
