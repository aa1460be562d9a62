"""Scenarios 3 and 4: cache-hit POST and job-status GET under wrk, against a bare ceiling.

Both sides run one process on uvloop with the same Redis pool settings; wrk uses 2 threads
and 64 connections. The ceiling (``bench.ceiling_server``) reads the body when there is one,
does one Redis GET and returns the bytes.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench import env
from bench.report import Row, median

SUBMIT = {"url": "https://example.com/recast-bench", "persona": "professional"}


def _post(url: str, body: dict[str, str]) -> tuple[int, dict]:  # type: ignore[type-arg]
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as resp:
        return resp.status, json.load(resp)


def _wait_cached(base: str) -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        status, body = _post(f"{base}/api/transform", SUBMIT)
        if status == 200:
            return str(body["jobId"])
        time.sleep(0.05)
    raise TimeoutError("the job never completed")


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk(url: str, duration: int, script: str | None = None) -> dict[str, float]:
    cmd = ["wrk", "-t2", "-c64", f"-d{duration}s", "--latency", url]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        if script:
            lua.write(script)
    if script:
        cmd[1:1] = ["-s", lua.name]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 30).stdout
    Path(lua.name).unlink(missing_ok=True)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {
        "rps": rps,
        "p99_ms": float(p99.group(1)) * _UNITS[p99.group(2)] if p99 else float("nan"),
        "non2xx": float(bad.group(1)) if bad else 0.0,
        "socket_errors": 1.0 if errors else 0.0,
    }


def _post_script(body: dict[str, str]) -> str:
    return (
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(json.dumps(body))}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
    )


def run(url: str, args) -> list[Row]:  # type: ignore[no-untyped-def]
    if shutil.which("wrk") is None:
        print(
            "  wrk is not installed (apt-get install -y wrk): skipping the HTTP rows",
            file=sys.stderr,
        )
        return [Row("3/4 HTTP", "skipped", None, note="wrk not installed: apt-get install -y wrk")]
    env.flush(url)
    gateway, base = env.start_gateway(url)
    worker = env.start_worker(url)
    try:
        job_id = _wait_cached(base)
    finally:
        worker.stop()
    cache_key = f"recast:{{p{int(job_id[:4], 16) % 16:02d}}}:cache:{job_id}"
    port = env.free_port()
    ceiling = env.Proc(
        "ceiling-http",
        ["-m", "bench.ceiling_server", str(port), url, cache_key],
        env.service_env(url),
    )
    env.wait_for(lambda: _alive(f"http://127.0.0.1:{port}/get"), 20, "the ceiling server")
    post, post_c, get, get_c = [], [], [], []
    try:
        for _ in range(args.reps):
            post.append(wrk(f"{base}/api/transform", args.duration, _post_script(SUBMIT)))
            post_c.append(wrk(f"http://127.0.0.1:{port}/get", args.duration, _post_script(SUBMIT)))
            get.append(wrk(f"{base}/api/transform/jobs/{job_id}", args.duration))
            get_c.append(wrk(f"http://127.0.0.1:{port}/get", args.duration))
            print(
                f"  [http] POST {post[-1]['rps']:.0f} vs {post_c[-1]['rps']:.0f} req/s; "
                f"GET {get[-1]['rps']:.0f} vs {get_c[-1]['rps']:.0f} req/s",
                file=sys.stderr,
            )
    finally:
        ceiling.stop()
        gateway.stop()
    bad = sum(r["non2xx"] for r in post + get)

    def m(runs: list[dict[str, float]], key: str) -> float:
        return median([r[key] for r in runs])

    note = (
        f"wrk -t2 -c64 -d{args.duration}s, median of {args.reps}; ceiling = bare aiohttp "
        f"handler + one Redis GET; non-2xx from Recast: {bad:.0f}"
    )
    rows = [
        Row(
            "3 cache-hit POST",
            "req/s",
            m(post, "rps"),
            m(post_c, "rps"),
            "bare handler",
            "≥ 0.6×",
            m(post, "rps") >= 0.6 * m(post_c, "rps"),
            note=note,
            samples={"recast": [r["rps"] for r in post], "ceiling": [r["rps"] for r in post_c]},
        ),
        Row(
            "3 cache-hit POST",
            "p99",
            m(post, "p99_ms"),
            m(post_c, "p99_ms"),
            "bare handler",
            "(reported)",
            unit="ms",
        ),
        Row(
            "4 status GET",
            "req/s",
            m(get, "rps"),
            m(get_c, "rps"),
            "bare handler",
            "≥ 0.6×",
            m(get, "rps") >= 0.6 * m(get_c, "rps"),
            samples={"recast": [r["rps"] for r in get], "ceiling": [r["rps"] for r in get_c]},
        ),
        Row(
            "4 status GET",
            "p99",
            m(get, "p99_ms"),
            m(get_c, "p99_ms"),
            "bare handler",
            "(reported)",
            unit="ms",
        ),
    ]
    return rows


def _alive(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except OSError:
        return False
