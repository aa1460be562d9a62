"""The Python SDK and the recast CLI against real gateway and worker processes."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from jobcore.client import (
    ApiError,
    AsyncRecastClient,
    JobCancelled,
    JobFailed,
    PollOptions,
    RecastClient,
)
from jobcore.models import JobSnapshot

from tests.integration.client_helpers import until
from tests.integration.harness import PageServer, Services

pytestmark = pytest.mark.integration


def cli(
    services: Services, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    recast = Path(sys.executable).with_name("recast")
    return subprocess.run(
        [str(recast), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**services.env, "RECAST_SERVER": services.base},
    )


async def test_async_sdk_polls_with_progress_then_hits_the_cache(
    services: Services, pages: PageServer
) -> None:
    seen: list[JobSnapshot] = []
    url = f"{pages.base}/site/article.html?sdk=poll"
    async with AsyncRecastClient(services.base) as client:
        result = await client.webpage(
            url, "executive", poll=PollOptions(interval=0.05, on_progress=seen.append)
        )
        assert result.title == "How Tide Pools Survive the Low Tide"
        assert result.persona == "executive"
        assert seen[-1].status == "completed"
        assert [s.progress for s in seen] == sorted(s.progress for s in seen)
        submitted = await client.submit("url", {"url": url, "persona": "executive"})
        assert submitted.result == result  # a cache hit returns at once
        assert submitted.accepted is None


async def test_async_sdk_follows_sse_and_resumes_by_id(
    services: Services, pages: PageServer
) -> None:
    async with AsyncRecastClient(services.base) as client:
        submitted = await client.submit(
            "url", {"url": f"{pages.base}/gate/sdk", "persona": "casual"}
        )
        follower = asyncio.create_task(client.follow(submitted.job_id))
        await until(lambda: pages.hits["/gate/sdk"] == 1, what="the fetch")
        pages.release("sdk")
        followed = await follower
        resumed = await client.wait(submitted.job_id, PollOptions(interval=0.05))
    assert followed == resumed
    assert followed.persona == "casual"


async def test_sdk_raises_typed_errors(services: Services, pages: PageServer) -> None:
    async with AsyncRecastClient(services.base) as client:
        with pytest.raises(JobFailed) as failed:
            await client.webpage(f"{pages.base}/status/404", poll=PollOptions(interval=0.05))
        assert failed.value.code == "http_error"
        with pytest.raises(ApiError) as refused:
            await client.webpage("ftp://example.com/")
        assert (refused.value.status, refused.value.code) == (422, "unsupported_scheme")
        submitted = await client.submit("url", {"url": f"{pages.base}/gate/sdk-cancel"})
        await until(lambda: pages.hits["/gate/sdk-cancel"] == 1, what="the fetch")
        await client.cancel(submitted.job_id)
        pages.release("sdk-cancel")
        with pytest.raises(JobCancelled):
            await client.wait(submitted.job_id, PollOptions(interval=0.05))


def test_sync_sdk(services: Services, pages: PageServer) -> None:
    client = RecastClient(services.base)
    result = client.text("Tides rise and fall twice a day. The moon pulls the sea.", "student")
    assert result.title == "Tides rise and fall twice a day."
    assert {p.name for p in client.personas()} >= {"professional", "student"}


def test_cli_transforms_a_page_and_prints_markdown(services: Services, pages: PageServer) -> None:
    done = cli(services, "webpage", f"{pages.base}/site/recipe.html", "--persona", "technical")
    assert done.returncode == 0, done.stderr
    assert "Baking Bread at Home" in done.stdout
    as_json = cli(
        services, "webpage", f"{pages.base}/site/recipe.html", "--persona", "technical", "--json"
    )
    assert json.loads(as_json.stdout)["persona"] == "technical"


def test_cli_text_from_stdin_status_and_personas(services: Services) -> None:
    done = cli(services, "--json", "text", "-", "--poll", stdin="Clouds form when air cools.")
    assert done.returncode == 0, done.stderr
    listing = cli(services, "personas")
    assert listing.returncode == 0
    assert "executive" in listing.stdout


def test_cli_exit_codes(services: Services, pages: PageServer) -> None:
    assert cli(services, "webpage", f"{pages.base}/status/410").returncode == 1
    assert cli(services, "webpage", "ftp://example.com/").returncode == 2
    assert cli(services, "status", "0" * 32).returncode == 2
    unreachable = cli(services, "--server", "http://127.0.0.1:9", "personas")
    assert unreachable.returncode == 5
    assert cli(services, "text", "/no/such/file").returncode == 64
