from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.harness import PageServer, Services, running_services


@pytest.fixture(scope="module")
def pages() -> Iterator[PageServer]:
    with PageServer() as server:
        yield server


@pytest.fixture(scope="module")
def services(
    redis_url: str, pages: PageServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Services]:
    log_dir: Path = tmp_path_factory.mktemp("logs")
    prefix = f"e2e-{uuid.uuid4().hex[:8]}"
    with running_services(redis_url, prefix, pages, log_dir, PARSE_TIMEOUT_SECONDS="5") as svc:
        yield svc
