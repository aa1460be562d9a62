"""Settings: one frozen Struct, built once per process by ``Settings.from_env``.

This is the only module that reads configuration. Everything below receives a
``Settings`` (or the few values it needs) as an argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from jobcore.netpolicy import AddressPolicy


class SettingsError(ValueError):
    """A configuration value could not be parsed; the message names the variable."""


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    # The seed's names.
    redis_url: str = "redis://localhost:6379/0"
    job_ttl_seconds: int = 3600
    job_lock_ttl_seconds: int = 300
    cache_ttl_seconds: int = 3600
    # Gateway.
    port: int = 5000
    host: str = "127.0.0.1"
    key_prefix: str = "recast"
    stream_partitions: int = 16
    max_body_bytes: int = 2 * 1024 * 1024
    body_timeout_seconds: float = 30.0
    text_max_chars: int = 100_000
    url_max_length: int = 2048
    rate_limit_per_minute: int = 120
    sse_max_streams_per_client: int = 16
    sse_max_streams: int = 10_000
    sse_heartbeat_seconds: float = 15.0
    queue_max_length: int = 50_000
    cors_origins: tuple[str, ...] = ()
    trust_forwarded_for: bool = False
    job_id_secret: str = ""  # empty: the gateways share one random key kept in Redis
    # Worker.
    worker_concurrency: int = 8
    worker_engine: str = "builtin"  # "noop" only for benchmarks of the queue itself
    worker_name: str = ""
    max_attempts: int = 3
    retry_base_seconds: float = 1.0
    max_deliveries: int = 5
    shutdown_grace_seconds: float = 30.0
    # Fetching.
    fetch_allowed_addresses: tuple[str, ...] = ()
    fetch_allowed_ports: tuple[int, ...] = (80, 443, 8080, 8443)
    fetch_timeout_seconds: float = 20.0
    fetch_connect_timeout_seconds: float = 5.0
    fetch_max_bytes: int = 5 * 1024 * 1024
    fetch_max_redirects: int = 5
    fetch_user_agent: str = "RecastBot/0.1 (+https://example.invalid/recast)"
    parse_timeout_seconds: float = 10.0
    parse_memory_bytes: int = 1024 * 1024 * 1024
    parse_workers: int = 0  # 0: one per CPU, at most WORKER_CONCURRENCY
    # Logging.
    log_format: str = "auto"
    log_level: str = "info"

    @classmethod
    def from_env(cls, environ: Mapping[str, str], env_file: str | Path | None = ".env") -> Settings:
        """Build settings from ``environ``, falling back to ``env_file`` for unset names."""
        values: dict[str, str] = {}
        if env_file is not None and Path(env_file).is_file():
            values.update(parse_env_file(Path(env_file).read_text(encoding="utf-8")))
        values.update(environ)
        fields: dict[str, Any] = {}
        for name, field_type in _FIELD_TYPES.items():
            raw = values.get(name.upper())
            if raw is None or raw.strip() == "":
                continue
            fields[name] = _convert(name.upper(), raw.strip(), field_type)
        try:
            settings = msgspec.convert(fields, cls)
        except msgspec.ValidationError as exc:
            raise SettingsError(str(exc)) from exc
        try:
            AddressPolicy.from_entries(settings.fetch_allowed_addresses)
        except ValueError as exc:
            raise SettingsError(str(exc)) from exc
        return settings


def parse_env_file(text: str) -> dict[str, str]:
    """Parse ``NAME=value`` lines; ``#`` comments, ``export`` and quotes are allowed."""
    result: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        result[name.strip()] = value
    return result


_FIELD_TYPES: dict[str, str] = {
    name: str(ftype) for name, ftype in Settings.__annotations__.items()
}


def _convert(env_name: str, raw: str, field_type: str) -> Any:
    try:
        if field_type == "int":
            return int(raw)
        if field_type == "float":
            return float(raw)
        if field_type == "bool":
            if raw.lower() in {"1", "true", "yes", "on"}:
                return True
            if raw.lower() in {"0", "false", "no", "off"}:
                return False
            raise ValueError(raw)
        if field_type.startswith("tuple[int"):
            return tuple(int(p) for p in _split(raw))
        if field_type.startswith("tuple[str"):
            return tuple(_split(raw))
    except ValueError as exc:
        raise SettingsError(f"{env_name}: cannot parse {raw!r} as {field_type}") from exc
    return raw


def _split(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]
