"""Per-client submit limit: a fixed one-minute window counted in Redis (shared by gateways)."""

from __future__ import annotations

import time

from jobcore.connection import RedisClient
from jobcore.keys import Keys


class RateLimiter:
    def __init__(self, redis: RedisClient, keys: Keys, per_minute: int) -> None:
        self.redis = redis
        self.keys = keys
        self.per_minute = per_minute

    async def check(self, client: str) -> int | None:
        """None when allowed; otherwise the seconds until the window resets."""
        if self.per_minute <= 0:
            return None
        # Window edges come from this host's clock: a skew between gateways shifts a window
        # by seconds, which a rate limit tolerates (job liveness never depends on it).
        now = int(time.time())
        window = now // 60
        key = self.keys.rate(client, window)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.incr(key)
            pipe.expire(key, 61)
            count, _ = await pipe.execute()
        if int(count) > self.per_minute:
            return 60 - now % 60
        return None
