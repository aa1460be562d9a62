"""``python -m bench``: start a private Redis, run every scenario, print one table, write JSON.

    python -m bench                      # everything (about 10 minutes on 2 cores)
    python -m bench --only queue,scale   # a subset: queue scale latency http sse pages memory
    python -m bench --quick              # fewer jobs and repetitions, for a smoke run
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Callable

from bench import env, report
from bench.report import Row, median

ALL = ["queue", "scale", "latency", "http", "sse", "pages", "memory"]


def scenario_queue(url: str, args: argparse.Namespace) -> list[Row]:
    from bench import queue

    s = queue.overhead(url, args.jobs, args.concurrency, args.reps, ["arq", "saq", "taskiq", "ceiling"])
    rec = median(s["recast"])
    best_name = max(("arq", "saq", "taskiq"), key=lambda k: median(s[k]))
    best, ceiling = median(s[best_name]), median(s["ceiling"])
    common = f"{args.jobs:,} no-op jobs, 1 worker process, concurrency {args.concurrency}, median of {args.reps}"
    peers_note = ", ".join(f"{k} {median(s[k]):,.0f}" for k in ("arq", "saq", "taskiq"))
    return [
        Row("1 queue overhead", "jobs/s vs best peer", rec, best, best_name, "≥ 1.5×",
            rec >= 1.5 * best, note=f"{common}; peers: {peers_note}", samples=s),
        Row("1 queue overhead", "jobs/s vs Streams ceiling", rec, ceiling, "hand-written", "≥ 0.5×",
            rec >= 0.5 * ceiling),
    ]


def scenario_scale(url: str, args: argparse.Namespace) -> list[Row]:
    from bench import queue

    s = queue.scaling(url, args.jobs, args.concurrency, args.reps)
    two, one = median(s["two"]), median(s["one"])
    return [Row("7 scaling", "jobs/s, 2 workers vs 1", two, one, "1 worker", "≥ 1.6×",
                two >= 1.6 * one, note=f"no-op jobs; Redis, both workers and the bench share {os.cpu_count()} cores",
                samples=s)]


def _runner(name: str) -> Callable[[str, argparse.Namespace], list[Row]]:
    if name == "queue":
        return scenario_queue
    if name == "scale":
        return scenario_scale
    module = __import__(f"bench.{name}", fromlist=["run"])
    return module.run  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--only", default=",".join(ALL), help="comma-separated: " + " ".join(ALL))
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--streams", type=int, default=10_000, help="idle SSE streams to open")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.jobs, args.reps, args.streams, args.duration = 2_000, 1, 1_000, 3
    env.raise_fd_limit()
    rows: list[Row] = []
    started = time.time()
    with env.redis_server() as url:
        for name in [n.strip() for n in args.only.split(",") if n.strip()]:
            print(f"== {name}", file=sys.stderr, flush=True)
            try:
                rows += _runner(name)(url, args)
            except Exception as exc:
                traceback.print_exc()
                rows.append(Row(name, "error", None, note=f"{type(exc).__name__}: {exc}"))
    print()
    print(report.render(rows))
    meta = {"args": vars(args), "seconds": round(time.time() - started), "cpus": os.cpu_count()}
    path = report.write_json(rows, meta)
    print(f"\nJSON: {path.relative_to(env.ROOT)}")


if __name__ == "__main__":
    main()
