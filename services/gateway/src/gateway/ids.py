"""The deployment's job-id key: JOB_ID_SECRET, or one random key shared through Redis."""

from __future__ import annotations

import secrets
import time

from jobcore.connection import RedisClient
from jobcore.keys import Keys

# How often a gateway re-asserts its key: after Redis lost its data, every gateway
# converges on one key again within this, so a request keeps mapping to one id.
REASSERT_SECONDS = 10.0


class IdKey:
    def __init__(self, redis: RedisClient, keys: Keys, configured: str) -> None:
        self.redis = redis
        self.keys = keys
        self.configured = configured.encode() if configured else None
        self._key: bytes | None = None
        self._checked = 0.0

    async def get(self) -> bytes:
        """Every gateway ends up with the same key: the first one to store it wins."""
        if self.configured is not None:
            return self.configured
        now = time.monotonic()
        if self._key is None or now - self._checked > REASSERT_SECONDS:
            name = self.keys.id_secret()
            await self.redis.set(name, self._key or secrets.token_hex(32).encode(), nx=True)
            value = await self.redis.get(name)
            self._key = value if isinstance(value, bytes) else str(value).encode()
            self._checked = now
        return self._key
