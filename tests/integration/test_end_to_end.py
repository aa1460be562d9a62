"""The whole path with real processes: gateway and worker over Redis, pages over HTTP."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from tests.integration.client_helpers import poll, read_events, submit, until
from tests.integration.harness import CORPUS_DIR, PageServer, Services, corpus_pages
from tests.redis_server import kill_pubsub_clients

pytestmark = pytest.mark.integration


async def test_a_page_is_fetched_extracted_and_transformed(
    services: Services, pages: PageServer
) -> None:
    async with aiohttp.ClientSession() as session:
        url = f"{pages.base}/site/article.html"
        status, accepted = await submit(session, services.base, {"url": url, "persona": "student"})
        assert status == 202
        snapshot = await poll(session, services.base, accepted["jobId"])
        assert snapshot["status"] == "completed", snapshot
        assert snapshot["progress"] == 100
        assert snapshot["stage"] == "done"
        assert snapshot["attempts"] == 1
        data = snapshot["data"]
        assert data["title"] == "How Tide Pools Survive the Low Tide"
        assert data["persona"] == "student"
        assert data["sourceUrl"] == url
        assert data["wordCount"] > 20
        assert data["readingTimeMinutes"] >= 1
        assert data["summary"]
        assert data["keyPoints"]
        assert "tide pool" in data["markdown"].lower()
        assert data["metadata"]["siteName"] == "Shoreline Notes"

        again_status, again = await submit(
            session, services.base, {"url": url, "persona": "student"}
        )
        assert again_status == 200
        assert again["cached"] is True
        assert again["jobId"] == accepted["jobId"]
        assert again["data"] == data
    assert pages.hits["/site/article.html"] == 1


async def test_fifty_simultaneous_identical_submits_are_one_job_fetched_once(
    services: Services, pages: PageServer
) -> None:
    body = {"url": f"{pages.base}/site/recipe.html", "persona": "casual"}
    async with aiohttp.ClientSession() as session:
        answers = await asyncio.gather(*(submit(session, services.base, body) for _ in range(50)))
        job_ids = {a["jobId"] for _, a in answers}
        assert len(job_ids) == 1
        assert {s for s, _ in answers} <= {200, 202}
        snapshot = await poll(session, services.base, job_ids.pop())
        assert snapshot["status"] == "completed"
    assert pages.hits["/site/recipe.html"] == 1


async def test_text_job(services: Services) -> None:
    text = (
        "Rivers shape the land around them.\n\nOver thousands of years, a river carves "
        "valleys, moves sediment and builds deltas where it meets the sea. Engineers who "
        "build dams must understand these forces, because a dam traps sediment that would "
        "otherwise reach the coast."
    )
    async with aiohttp.ClientSession() as session:
        status, accepted = await submit(
            session, services.base, {"text": text, "persona": "executive"}, "/api/transform/text"
        )
        assert status == 202
        snapshot = await poll(session, services.base, accepted["jobId"])
    assert snapshot["status"] == "completed", snapshot
    assert snapshot["kind"] == "text"
    assert snapshot["data"]["title"] == "Rivers shape the land around them."
    assert "sourceUrl" not in snapshot["data"]


async def test_upstream_404_fails_with_http_error(services: Services, pages: PageServer) -> None:
    async with aiohttp.ClientSession() as session:
        _, accepted = await submit(session, services.base, {"url": f"{pages.base}/status/404"})
        snapshot = await poll(session, services.base, accepted["jobId"])
    assert snapshot["status"] == "failed"
    assert snapshot["error"]["code"] == "http_error"
    assert snapshot["error"]["upstreamStatus"] == 404
    assert snapshot["error"]["retryable"] is False


async def test_pathological_html_fails_alone_with_processing_limit(
    services: Services, pages: PageServer
) -> None:
    async with aiohttp.ClientSession() as session:
        _, bad = await submit(session, services.base, {"url": f"{pages.base}/pathological/divs"})
        _, good = await submit(
            session, services.base, {"url": f"{pages.base}/site/article.html", "persona": "casual"}
        )
        good_snapshot = await poll(session, services.base, good["jobId"])
        bad_snapshot = await poll(session, services.base, bad["jobId"])
    assert good_snapshot["status"] == "completed"
    assert bad_snapshot["status"] == "failed"
    assert bad_snapshot["error"]["code"] == "processing_limit"
    assert services.procs["worker0"].poll() is None  # the worker lives on


@pytest.mark.parametrize("kind", ["one-paragraph", "many-paragraphs"])
async def test_a_four_megabyte_page_completes_clipped(
    services: Services, pages: PageServer, kind: str
) -> None:
    async with aiohttp.ClientSession() as session:
        _, accepted = await submit(session, services.base, {"url": f"{pages.base}/big/{kind}"})
        snapshot = await poll(session, services.base, accepted["jobId"], 90)
    assert snapshot["status"] == "completed", snapshot.get("error")
    assert snapshot["data"]["title"] == "Big"


async def test_sse_for_a_job_that_finishes_after_subscribing(
    services: Services, pages: PageServer
) -> None:
    async with aiohttp.ClientSession() as session:
        _, accepted = await submit(session, services.base, {"url": f"{pages.base}/gate/sse-late"})
        events_url = services.base + accepted["eventsUrl"]
        events: list[tuple[str, str, dict[str, Any]]] = []
        reader = asyncio.create_task(read_events(session, events_url, events=events))
        # Release the page only once the stream is open and the job is visibly fetching.
        await until(lambda: events and pages.hits["/gate/sse-late"] == 1, what="fetch started")
        pages.release("sse-late")
        await reader
    ids = [int(i) for i, _, _ in events]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    progress = [snap["progress"] for _, _, snap in events]
    assert progress == sorted(progress)
    assert events[-1][1] == "completed"
    assert events[-1][2]["status"] == "completed"
    assert events[-1][2]["data"]["title"]
    stages = [snap["stage"] for _, _, snap in events]
    assert "fetching" in stages
    assert stages[-1] == "done"
    assert all(name == "progress" for _, name, _ in events[:-1])


async def test_sse_for_a_job_that_finished_before_subscribing(
    services: Services, pages: PageServer
) -> None:
    async with aiohttp.ClientSession() as session:
        _, accepted = await submit(
            session, services.base, {"url": f"{pages.base}/site/latin1.html"}
        )
        await poll(session, services.base, accepted["jobId"])
        events = await read_events(session, services.base + accepted["eventsUrl"])
        assert len(events) == 1
        assert events[0][1] == "completed"
        assert events[0][2]["data"]["title"] == "Café Notes"
        # Resuming after the last event id: nothing new, the stream just closes.
        resumed = await read_events(
            session,
            services.base + accepted["eventsUrl"],
            headers={"Last-Event-ID": events[0][0]},
        )
        assert resumed == []


@pytest.mark.skipif(not CORPUS_DIR.is_dir(), reason="../shared/corpus is not present")
async def test_twenty_corpus_pages(services: Services, pages: PageServer) -> None:
    chosen = corpus_pages()[::7][:20]
    assert len(chosen) == 20
    async with aiohttp.ClientSession() as session:
        accepted = await asyncio.gather(
            *(submit(session, services.base, {"url": pages.base + path}) for path, _ in chosen)
        )
        snapshots = await asyncio.gather(
            *(poll(session, services.base, a["jobId"], 120) for _, a in accepted)
        )
    for (path, source), snapshot in zip(chosen, snapshots, strict=True):
        assert snapshot["status"] == "completed", (path, snapshot.get("error"))
        assert snapshot["data"]["title"], path
        assert snapshot["data"]["wordCount"] > 0, path
        expected = source.parent / "expected-metadata.json"
        if expected.is_file() and json.loads(expected.read_text())["title"]:
            assert snapshot["data"]["title"].strip()


async def test_sse_survives_a_dropped_pubsub_connection(
    services: Services, pages: PageServer, redis_url: str
) -> None:
    async with aiohttp.ClientSession() as session:
        _, accepted = await submit(session, services.base, {"url": f"{pages.base}/gate/drop"})
        events: list[tuple[str, str, dict[str, Any]]] = []
        reader = asyncio.create_task(
            read_events(session, services.base + accepted["eventsUrl"], events=events)
        )
        await until(lambda: events and pages.hits["/gate/drop"] == 1, what="stream and fetch")
        assert kill_pubsub_clients(redis_url) >= 1
        pages.release("drop")
        await reader
    assert events[-1][1] == "completed"
