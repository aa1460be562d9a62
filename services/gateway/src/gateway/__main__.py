"""``python -m gateway``: settings from the environment, logging, then serve."""

from __future__ import annotations

import os
import sys

from aiohttp import web
from jobcore.logs import configure_logging
from jobcore.loop import new_event_loop
from jobcore.settings import Settings, SettingsError

from gateway.app import create_app


def main() -> None:
    try:
        settings = Settings.from_env(os.environ)
    except SettingsError as exc:
        sys.exit(f"configuration error: {exc}")
    configure_logging(settings.log_format, settings.log_level)
    web.run_app(
        create_app(settings),
        loop=new_event_loop(),
        host=settings.host,
        port=settings.port,
        access_log=None,
        print=None,
        shutdown_timeout=5,
    )


if __name__ == "__main__":
    main()
