"""The bench's own processes: a private redis-server, gateways, workers, and helpers."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # tests.integration.harness (PageServer) lives at the root
    sys.path.insert(0, str(ROOT))

LOG_DIR = ROOT / "bench" / "results" / "logs"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], bool], deadline: float, what: str, step: float = 0.02) -> None:
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(step)


def raise_fd_limit(wanted: int = 65536) -> int:
    """Raise the soft open-files limit as far as the hard limit allows (SSE needs many)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(wanted, hard) if hard != resource.RLIM_INFINITY else wanted
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A private redis-server on a free port, no persistence; yields its URL."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="recast-bench-redis-")
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
            "--maxclients",
            "20000",
            "--loglevel",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)

        def ping() -> bool:
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                return False

        wait_for(ping, 10, "redis-server")
        client.close()
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)


def flush(url: str) -> None:
    if url.startswith("redis+cluster://"):
        from redis.cluster import ClusterNode, RedisCluster

        host, _, port = url.split("://", 1)[1].split(",")[0].rpartition(":")
        cluster = RedisCluster(startup_nodes=[ClusterNode(host, int(port))])
        cluster.flushall(target_nodes=RedisCluster.PRIMARIES)
        cluster.close()
        return
    client = redis.Redis.from_url(url)
    client.flushall()
    client.close()


def service_env(redis_url: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "KEY_PREFIX": "recast",
        "HOST": "127.0.0.1",
        "RATE_LIMIT_PER_MINUTE": "0",
        "QUEUE_MAX_LENGTH": "1000000",
        "LOG_LEVEL": "warning",
        "LOG_FORMAT": "json",
        "WORKER_CONCURRENCY": "32",
        "SSE_MAX_STREAMS": "100000",
        "SSE_MAX_STREAMS_PER_CLIENT": "100000",
    }
    env.update(extra)
    return env


class Proc:
    """One child process (``python -m module``) with its log in bench/results/logs."""

    def __init__(self, name: str, args: list[str], env: dict[str, str]) -> None:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.log_path = LOG_DIR / f"{name}.log"
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, *args],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=lambda: raise_fd_limit(),
            )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 15) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_worker(redis_url: str, name: str = "worker0", **extra: str) -> Proc:
    env = service_env(redis_url, **{"WORKER_NAME": name, "WORKER_ENGINE": "noop", **extra})
    return Proc(name, ["-m", "worker"], env)


def start_gateway(redis_url: str, name: str = "gateway", **extra: str) -> tuple[Proc, str]:
    port = free_port()
    proc = Proc(name, ["-m", "gateway"], service_env(redis_url, PORT=str(port), **extra))
    base = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        if not proc.alive():
            raise RuntimeError(f"gateway exited:\n{proc.log()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=1) as resp:
                return resp.status == 200
        except OSError:
            return False

    wait_for(ready, 30, "the gateway")
    return proc, base


def rss_bytes(pid: int) -> int:
    """Resident set size of one process, from /proc."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0
