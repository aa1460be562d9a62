"""``python -m worker``: settings from the environment, logging, signals, run."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from jobcore.connection import connect
from jobcore.logs import configure_logging
from jobcore.loop import new_event_loop
from jobcore.settings import Settings, SettingsError

from worker.runner import Worker


async def serve(settings: Settings) -> None:
    redis = connect(settings.redis_url)
    worker = Worker(settings, redis)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, worker.stop)
    try:
        await worker.run(grace_seconds=settings.shutdown_grace_seconds)
    finally:
        await redis.aclose()


def main() -> None:
    try:
        settings = Settings.from_env(os.environ)
    except SettingsError as exc:
        sys.exit(f"configuration error: {exc}")
    configure_logging(settings.log_format, settings.log_level)
    loop = new_event_loop()
    try:
        loop.run_until_complete(serve(settings))
    finally:
        loop.close()


if __name__ == "__main__":
    main()
