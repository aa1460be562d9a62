from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from aiohttp.test_utils import TestClient
from gateway.app import create_app
from jobcore.settings import Settings

ClientFactory = Callable[..., Awaitable[TestClient]]


@pytest.fixture
async def client(aiohttp_client: ClientFactory, settings: Settings) -> TestClient:
    return await aiohttp_client(create_app(settings))
