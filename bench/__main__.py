"""``python -m bench``: start a private Redis, run every scenario, print one table, write JSON.

python -m bench                      # everything (about 10 minutes on 2 cores)
python -m bench --only queue,scale   # a subset: queue scale cluster latency http sse pages memory
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

ALL = ["queue", "scale", "cluster", "latency", "http", "sse", "pages", "memory"]


def scenario_queue(url: str, args: argparse.Namespace) -> list[Row]:
    from bench import queue

    drains = queue.overhead(
        url, args.jobs, args.concurrency, args.reps, ["arq", "saq", "taskiq", "ceiling"]
    )
    rate = {k: median([d.rate for d in v]) for k, v in drains.items()}
    wcpu = {k: median([d.worker_us for d in v]) for k, v in drains.items()}
    rcpu = {k: median([d.redis_us for d in v]) for k, v in drains.items()}
    samples = {k: [round(d.rate) for d in v] for k, v in drains.items()}
    rec = rate["recast"]
    best_name = max(("arq", "saq", "taskiq"), key=lambda k: rate[k])
    common = (
        f"{args.jobs:,} no-op jobs, 1 worker process, concurrency {args.concurrency}, "
        f"median of {args.reps}"
    )
    detail = "; ".join(
        f"{k} {rate[k]:,.0f}/s (worker {wcpu[k]:.0f} µs + Redis {rcpu[k]:.0f} µs CPU per job)"
        for k in drains
    )
    return [
        Row(
            "1 queue overhead",
            "jobs/s vs best peer",
            rec,
            rate[best_name],
            best_name,
            "≥ 1.5×",
            rec >= 1.5 * rate[best_name],
            note=f"{common}: {detail}",
            samples=samples,
        ),
        Row(
            "1 queue overhead",
            "jobs/s vs Streams ceiling",
            rec,
            rate["ceiling"],
            "hand-written",
            "≥ 0.5×",
            rec >= 0.5 * rate["ceiling"],
        ),
        Row(
            "1 queue overhead",
            "worker+Redis CPU µs/job",
            wcpu["recast"] + rcpu["recast"],
            min(wcpu[k] + rcpu[k] for k in ("arq", "saq", "taskiq")),
            "leanest peer",
            "(context)",
        ),
    ]


def scenario_scale(url: str, args: argparse.Namespace) -> list[Row]:
    from bench import queue

    drains = queue.scaling(url, args.jobs, args.concurrency, args.reps)
    two, one = (median([d.rate for d in drains[k]]) for k in ("two", "one"))
    redis_us = median([d.redis_us for d in drains["two"]])
    note = (
        f"no-op jobs; Redis, both workers and the bench share {os.cpu_count()} cores; "
        f"Redis CPU {redis_us:.0f} µs/job caps the pair at ~{1e6 / redis_us:,.0f} jobs/s"
    )
    samples = {k: [round(d.rate) for d in v] for k, v in drains.items()}
    return [
        Row(
            "7 scaling",
            "jobs/s, 2 workers vs 1",
            two,
            one,
            "1 worker",
            "≥ 1.6×",
            two >= 1.6 * one,
            note=note,
            samples=samples,
        )
    ]


def scenario_cluster(url: str, args: argparse.Namespace) -> list[Row]:
    """Two worker processes on a local six-node Redis Cluster vs on one Redis, same run."""
    from bench import queue
    from tests.redis_cluster import local_cluster

    single: list[float] = []
    clustered: list[float] = []
    with local_cluster() as cluster:
        for rep in range(args.reps):
            single.append(queue.run_recast(url, args.jobs, args.concurrency, 2).rate)
            clustered.append(queue.run_recast(cluster.url, args.jobs, args.concurrency, 2).rate)
            print(
                f"  [cluster] rep {rep + 1}/{args.reps} one Redis {single[-1]:8.0f} jobs/s"
                f"  cluster {clustered[-1]:8.0f} jobs/s",
                file=sys.stderr,
            )
    note = (
        "no-op jobs, 2 worker processes; the cluster's six redis-servers share the same "
        f"{os.cpu_count()} cores as everything else, so this shows overhead, not scale-out"
    )
    return [
        Row(
            "9 cluster",
            "jobs/s, 2 workers: cluster vs one Redis",
            median(clustered),
            median(single),
            "one Redis",
            "reported",
            None,
            note=note,
            samples={"cluster": clustered, "one": single},
        )
    ]


def _runner(name: str) -> Callable[[str, argparse.Namespace], list[Row]]:
    if name == "queue":
        return scenario_queue
    if name == "scale":
        return scenario_scale
    if name == "cluster":
        return scenario_cluster
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
    load_start = os.getloadavg()
    if load_start[0] > (os.cpu_count() or 1):
        print(
            f"note: load average {load_start[0]:.1f} on {os.cpu_count()} cores — "
            "other work shares this machine; compare ratios, not absolute figures",
            file=sys.stderr,
        )
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
    meta = {
        "args": vars(args),
        "seconds": round(time.time() - started),
        "cpus": os.cpu_count(),
        "loadavg_start": load_start,
        "loadavg_end": os.getloadavg(),
    }
    path = report.write_json(rows, meta)
    print(f"\nJSON: {path.relative_to(env.ROOT)}")


if __name__ == "__main__":
    main()
