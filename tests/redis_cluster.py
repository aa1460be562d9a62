"""A real local Redis Cluster for the test session: six redis-server processes on
loopback ports, three primaries and three replicas, made by ``redis-cli --cluster create``."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import redis
from redis.cluster import RedisCluster

from tests.redis_server import free_port, redis_server_binary

NODE_TIMEOUT_MS = 2000


class LocalCluster:
    def __init__(self, workdir: Path, nodes: int = 6) -> None:
        binary = redis_server_binary()
        cli = shutil.which("redis-cli")
        if binary is None or cli is None:
            raise RuntimeError("a cluster needs redis-server and redis-cli")
        self.binary, self.cli, self.workdir = binary, cli, workdir
        self.ports = _cluster_ports(nodes)
        self.procs: dict[int, subprocess.Popen[bytes]] = {}

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{p}" for p in self.ports[:3])

    def start_node(self, port: int) -> None:
        node_dir = self.workdir / str(port)
        node_dir.mkdir(exist_ok=True)
        args = [
            self.binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(node_dir),
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
            "--cluster-node-timeout",
            str(NODE_TIMEOUT_MS),
            "--save",
            "",
            "--appendonly",
            "no",
            "--repl-diskless-sync-delay",
            "0",
            "--logfile",
            str(node_dir / "redis.log"),
        ]
        self.procs[port] = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def start(self) -> None:
        for port in self.ports:
            self.start_node(port)
        for port in self.ports:
            _wait(lambda p=port: _ping(p), 10, f"node {port}")
        hosts = [f"127.0.0.1:{p}" for p in self.ports]
        subprocess.run(
            [self.cli, "--cluster", "create", *hosts, "--cluster-replicas", "1", "--cluster-yes"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        _wait(self.healthy, 30, "cluster_state:ok on every node")
        _wait(self.replicas_in_sync, 30, "every replica to sync")

    def healthy(self) -> bool:
        for port in self.procs:
            try:
                info = redis.Redis(port=port).cluster("info")
            except redis.RedisError:
                return False
            state = info.get("cluster_state") if isinstance(info, dict) else None
            if state != "ok":
                return False
        return True

    def replicas_in_sync(self) -> bool:
        """A replica that never synced cannot take over: failover tests need them all up."""
        links = []
        for port in self.procs:
            info = redis.Redis(port=port).info("replication")
            if info.get("role") == "slave":
                links.append(info.get("master_link_status") == "up")
        return len(links) == len(self.procs) // 2 and all(links)

    def primary_ports(self) -> list[int]:
        client = RedisCluster(host="127.0.0.1", port=self.ports[0])
        try:
            return sorted(int(n.port) for n in client.get_primaries())
        finally:
            client.close()

    def kill(self, port: int) -> None:
        proc = self.procs.pop(port)
        proc.kill()
        proc.wait(10)

    def stop(self) -> None:
        for port in list(self.procs):
            with contextlib.suppress(Exception):
                self.kill(port)


def _cluster_ports(count: int) -> list[int]:
    """Free ports whose cluster-bus twins (port + 10000) are free and valid too."""
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port < 55000 and port not in ports and _is_free(port + 10000):
            ports.append(port)
    return ports


def _is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _ping(port: int) -> bool:
    try:
        return bool(redis.Redis(port=port, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def _wait(condition: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.05)


@contextlib.contextmanager
def local_cluster() -> Iterator[LocalCluster]:
    with tempfile.TemporaryDirectory(prefix="recast-cluster-") as workdir:
        cluster = LocalCluster(Path(workdir))
        try:
            cluster.start()
            yield cluster
        finally:
            cluster.stop()
