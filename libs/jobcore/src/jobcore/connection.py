"""The one place that turns REDIS_URL into a client."""

from __future__ import annotations

from redis.asyncio import Redis


def connect(redis_url: str, *, max_connections: int = 64) -> Redis:
    return Redis.from_url(
        redis_url,
        max_connections=max_connections,
        socket_connect_timeout=5,
        socket_keepalive=True,
        health_check_interval=30,
    )
