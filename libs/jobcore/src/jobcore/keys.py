"""Every Redis key name (pure). A job's keys share its partition's hash tag.

One tag per partition keeps a job's hash, lock, cache entry, event channel and
its stream partition in one cluster slot, so one Lua script may touch them all.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Keys:
    prefix: str
    partitions: int

    def partition(self, job_id: str) -> int:
        return int(job_id[:4], 16) % self.partitions

    def tag(self, job_id: str) -> str:
        return self._tag(self.partition(job_id))

    def job(self, job_id: str) -> str:
        return f"{self.prefix}:{self.tag(job_id)}:job:{job_id}"

    def lock(self, job_id: str) -> str:
        return f"{self.prefix}:{self.tag(job_id)}:lock:{job_id}"

    def cache(self, job_id: str) -> str:
        return f"{self.prefix}:{self.tag(job_id)}:cache:{job_id}"

    def events(self, job_id: str) -> str:
        return f"{self.prefix}:{self.tag(job_id)}:events:{job_id}"

    def stream(self, part: int) -> str:
        return f"{self.prefix}:{self._tag(part)}:jobs"

    def stats(self, part: int) -> str:
        """Counters (submitted, completed, failed:<code>, ...) for one partition."""
        return f"{self.prefix}:{self._tag(part)}:stats"

    def stats_for(self, job_id: str) -> str:
        return self.stats(self.partition(job_id))

    def dead_letters(self, part: int) -> str:
        return f"{self.prefix}:{self._tag(part)}:dead"

    def streams(self) -> list[str]:
        return [self.stream(p) for p in range(self.partitions)]

    def stream_for(self, job_id: str) -> str:
        return self.stream(self.partition(job_id))

    def id_secret(self) -> str:
        """The deployment's job-id key, created once by the first gateway."""
        return f"{self.prefix}:id-secret"

    def rate(self, client: str, window: int) -> str:
        return f"{self.prefix}:rate:{client}:{window}"

    @staticmethod
    def _tag(part: int) -> str:
        return f"{{p{part:02d}}}"


GROUP = "workers"
