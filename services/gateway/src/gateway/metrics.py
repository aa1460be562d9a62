"""In-process counters rendered as Prometheus text; no client library needed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable


class Metrics:
    def __init__(self) -> None:
        self.requests: Counter[tuple[str, str, int]] = Counter()
        self.submits: Counter[str] = Counter()
        self.gauges: dict[str, Callable[[], float]] = {}

    def observe_request(self, method: str, route: str, status: int) -> None:
        self.requests[(method, route, status)] += 1

    def render(self) -> str:
        lines = [
            "# HELP recast_http_requests_total HTTP requests answered.",
            "# TYPE recast_http_requests_total counter",
        ]
        for (method, route, status), count in sorted(self.requests.items()):
            lines.append(
                f'recast_http_requests_total{{method="{method}",route="{route}",'
                f'status="{status}"}} {count}'
            )
        lines += [
            "# HELP recast_submits_total Submissions by outcome (created, joined, cached, ...).",
            "# TYPE recast_submits_total counter",
        ]
        lines += [
            f'recast_submits_total{{outcome="{k}"}} {v}' for k, v in sorted(self.submits.items())
        ]
        for name, read in sorted(self.gauges.items()):
            lines += [f"# TYPE {name} gauge", f"{name} {read()}"]
        return "\n".join(lines) + "\n"
