"""The one place that turns REDIS_URL into a client."""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis


def connect(redis_url: str, *, max_connections: int = 64) -> Redis:
    """A client whose pool makes bursts wait for a free connection instead of failing."""
    pool = BlockingConnectionPool.from_url(
        redis_url,
        max_connections=max_connections,
        timeout=10,
        socket_connect_timeout=5,
        socket_keepalive=True,
        health_check_interval=30,
    )
    return Redis.from_pool(pool)
