"""The deployment's job-id key: JOB_ID_SECRET, or one random key shared through Redis."""

from __future__ import annotations

import secrets

from jobcore.connection import RedisClient
from jobcore.keys import Keys


class IdKey:
    def __init__(self, redis: RedisClient, keys: Keys, configured: str) -> None:
        self.redis = redis
        self.keys = keys
        self._key: bytes | None = configured.encode() if configured else None

    async def get(self) -> bytes:
        """Every gateway ends up with the same key: the first one to ask creates it."""
        if self._key is None:
            name = self.keys.id_secret()
            await self.redis.set(name, secrets.token_hex(32), nx=True)
            value = await self.redis.get(name)
            self._key = value if isinstance(value, bytes) else str(value).encode()
        return self._key
