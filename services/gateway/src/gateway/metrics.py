"""Prometheus metrics: this process's HTTP counters plus the cluster-wide job counters.

Job counters live in Redis (one hash per partition, written by the same Lua scripts
that change job state), so every gateway reports the same totals for the whole
deployment; they are read once per scrape.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

_SIMPLE_COUNTERS = {
    "submitted": ("recast_jobs_submitted_total", "Jobs created by a submit."),
    "joined": ("recast_jobs_joined_total", "Submits that joined a queued or running job."),
    "cache_hits": ("recast_cache_hits_total", "Submits answered from the result cache."),
    "queue_full": ("recast_queue_full_total", "Submits refused because the queue was full."),
    "started": ("recast_jobs_started_total", "First attempts started by a worker."),
    "restarts": ("recast_jobs_reclaimed_total", "Attempts restarted after a lost worker."),
    "retries": ("recast_job_retries_total", "Retries after transient failures."),
    "completed": ("recast_jobs_completed_total", "Jobs completed."),
    "cancelled": ("recast_jobs_cancelled_total", "Jobs cancelled."),
    "dead_letters": ("recast_dead_letters_total", "Stream entries set aside."),
}


class JobStatsCollector(Collector):
    """Exposes the last values read from Redis (``update`` is called before each scrape)."""

    def __init__(self) -> None:
        self.stats: dict[str, float] = {}
        self.queue_depth = 0
        self.pending = 0
        self.redis_up = True

    def update(self, stats: dict[str, float], queue_depth: int, pending: int) -> None:
        self.stats, self.queue_depth, self.pending = stats, queue_depth, pending
        self.redis_up = True

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("recast_redis_up", "Whether the last scrape could read Redis.")
        up.add_metric([], 1.0 if self.redis_up else 0.0)
        yield up
        for key, (name, doc) in _SIMPLE_COUNTERS.items():
            family = CounterMetricFamily(name.removesuffix("_total"), doc)
            family.add_metric([], self.stats.get(key, 0.0))
            yield family
        failed = CounterMetricFamily(
            "recast_jobs_failed", "Jobs failed, by error code.", labels=["code"]
        )
        for key, value in sorted(self.stats.items()):
            if key.startswith("failed:"):
                failed.add_metric([key.removeprefix("failed:")], value)
        yield failed
        seconds = CounterMetricFamily(
            "recast_stage_seconds", "Time spent per stage (sum).", labels=["stage"]
        )
        count = CounterMetricFamily("recast_stage_runs", "Stage runs counted.", labels=["stage"])
        for key, value in sorted(self.stats.items()):
            if key.startswith("stage_ms:"):
                stage = key.removeprefix("stage_ms:")
                seconds.add_metric([stage], value / 1000)
                count.add_metric([stage], self.stats.get(f"stage_count:{stage}", 0.0))
        yield seconds
        yield count
        depth = GaugeMetricFamily("recast_queue_depth", "Stream entries not yet acknowledged.")
        depth.add_metric([], self.queue_depth)
        yield depth
        pending = GaugeMetricFamily("recast_queue_pending", "Entries delivered to a worker.")
        pending.add_metric([], self.pending)
        yield pending


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "recast_http_requests",
            "HTTP requests answered by this gateway.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.jobs = JobStatsCollector()
        self.registry.register(self.jobs)

    def observe_request(self, method: str, route: str, status: int) -> None:
        self.requests.labels(method, route, str(status)).inc()

    def gauge(self, name: str, doc: str, read: Callable[[], float]) -> None:
        Gauge(name, doc, registry=self.registry).set_function(read)

    def render(self) -> bytes:
        return generate_latest(self.registry)
