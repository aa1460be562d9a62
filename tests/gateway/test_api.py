"""The HTTP API through create_app and a real Redis."""

from __future__ import annotations

import asyncio

import msgspec
import pytest
from aiohttp.test_utils import TestClient
from jobcore.keys import Keys
from jobcore.store import JobStore
from yarl import URL

PROBLEM = "application/problem+json"


async def test_submit_creates_a_job_and_answers_202(client: TestClient) -> None:
    resp = await client.post(
        "/api/transform", json={"url": "https://example.com/a", "persona": "student"}
    )
    assert resp.status == 202
    body = await resp.json()
    assert body["status"] == "queued"
    assert body["progress"] == 0
    assert body["stage"] == "queued"
    assert resp.headers["Location"] == body["statusUrl"] == f"/api/transform/jobs/{body['jobId']}"
    assert body["eventsUrl"] == body["statusUrl"] + "/events"
    assert int(resp.headers["Retry-After"]) >= 1
    status = await client.get(body["statusUrl"])
    snapshot = await status.json()
    assert status.status == 200
    assert snapshot["jobId"] == body["jobId"]
    assert snapshot["kind"] == "url"
    assert snapshot["attempts"] == 0
    assert snapshot["createdAt"].endswith("Z")


async def test_same_request_same_job_id_and_spelling_does_not_matter(client: TestClient) -> None:
    first = await (
        await client.post("/api/transform", json={"url": "https://Example.com:443/a#top"})
    ).json()
    second = await (
        await client.post("/api/transform", json={"url": "https://example.com/a"})
    ).json()
    other = await (
        await client.post(
            "/api/transform", json={"url": "https://example.com/a", "persona": "casual"}
        )
    ).json()
    assert first["jobId"] == second["jobId"]
    assert other["jobId"] != first["jobId"]


async def test_concurrent_identical_submits_one_entry(
    client: TestClient, store: JobStore, keys: Keys
) -> None:
    responses = await asyncio.gather(
        *(client.post("/api/transform", json={"url": "https://example.org/x"}) for _ in range(50))
    )
    ids = {(await r.json())["jobId"] for r in responses}
    assert {r.status for r in responses} == {202}
    assert len(ids) == 1
    job_id = ids.pop()
    assert await store.redis.xlen(keys.stream_for(job_id)) == 1


async def test_text_submission(client: TestClient) -> None:
    resp = await client.post(
        "/api/transform/text", json={"text": "Hello world. " * 20, "persona": "executive"}
    )
    assert resp.status == 202
    snapshot = await (await client.get((await resp.json())["statusUrl"])).json()
    assert snapshot["kind"] == "text"


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/api/transform", b"{not json", 400, "invalid_json"),
        ("/api/transform", b"[1, 2]", 400, "invalid_json"),
        ("/api/transform", b"", 400, "invalid_json"),
        ("/api/transform", b'{"url": 5}', 422, "validation_error"),
        ("/api/transform", b'{"url": "https://a.com", "extra": 1}', 422, "validation_error"),
        ("/api/transform", b'{"persona": "student"}', 422, "validation_error"),
        ("/api/transform", b'{"url": "notaurl"}', 422, "invalid_url"),
        ("/api/transform", b'{"url": "ftp://example.com/"}', 422, "unsupported_scheme"),
        ("/api/transform", b'{"url": "http://user:pw@example.com/"}', 422, "credentials_in_url"),
        ("/api/transform", b'{"url": "http://example.com:22/"}', 422, "blocked_port"),
        ("/api/transform", b'{"url": "http://127.0.0.1/"}', 422, "blocked_address"),
        (
            "/api/transform",
            b'{"url": "https://a.com/", "persona": "pirate"}',
            422,
            "unknown_persona",
        ),
        ("/api/transform", b'{"url": "https://a.com/' + b"a" * 3000 + b'"}', 422, "url_too_long"),
        ("/api/transform/text", b'{"text": "   "}', 422, "invalid_text"),
        ("/api/transform/text", b'{"text": "a\\u0000b"}', 422, "invalid_text"),
        ("/api/transform/text", b'{"text": "\\ud800 lone"}', 400, "invalid_json"),
        (
            "/api/transform",
            b'{"url": "https://a.com/", "url": "http://10.0.0.1/"}',
            400,
            "invalid_json",
        ),
        ("/api/transform", b"\xef\xbb\xbf{}", 400, "invalid_json"),
        ("/api/transform/text", b'{"text": "' + b"a" * 100_001 + b'"}', 422, "text_too_long"),
        ("/api/transform/text", b'{"text": "' + b"a" * 3_000_000 + b'"}', 413, "payload_too_large"),
        ("/api/transform", b'{"url": "https://a.com/", "persona": ""}', 422, "unknown_persona"),
        ("/api/transform", b'{"url": "https://a.com/", "persona": 7}', 422, "validation_error"),
    ],
)
async def test_bad_submissions_get_precise_problems(
    client: TestClient, store: JobStore, keys: Keys, path: str, body: bytes, status: int, code: str
) -> None:
    resp = await client.post(path, data=body, headers={"Content-Type": "application/json"})
    assert resp.status == status
    assert resp.content_type == PROBLEM
    problem = await resp.json()
    assert problem["code"] == code
    assert problem["status"] == status
    assert problem["title"]
    assert problem["type"].endswith(code)
    assert await _job_keys(store, keys) == []


@pytest.mark.parametrize(
    ("encoding", "status", "code"),
    [
        ("gzip", 400, "invalid_json"),
        ("deflate", 400, "invalid_json"),
        ("br", 400, "invalid_json"),
        ("compress", 415, "unsupported_media_type"),
    ],
)
async def test_corrupt_or_unknown_body_encoding_is_a_problem_not_a_500(
    client: TestClient, encoding: str, status: int, code: str
) -> None:
    headers = {"Content-Type": "application/json", "Content-Encoding": encoding}
    resp = await client.post("/api/transform", data=b"garbage", headers=headers)
    assert resp.status == status
    assert (await resp.json())["code"] == code


async def test_zstd_body_is_refused_by_the_http_parser(client: TestClient) -> None:
    # aiohttp's parser answers before any handler runs (plain 400, not problem JSON).
    headers = {"Content-Type": "application/json", "Content-Encoding": "zstd"}
    resp = await client.post("/api/transform", data=b"garbage", headers=headers)
    assert resp.status == 400


async def test_zero_width_only_text_is_refused(client: TestClient) -> None:
    resp = await client.post("/api/transform/text", json={"text": "\u200b\ufeff\u200d"})
    assert (resp.status, (await resp.json())["code"]) == (422, "invalid_text")


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=utf-16"],
)
async def test_wrong_content_type_is_415(client: TestClient, content_type: str) -> None:
    body = b'{"url": "https://example.com/"}'
    resp = await client.post("/api/transform", data=body, headers={"Content-Type": content_type})
    assert resp.status == 415
    assert (await resp.json())["code"] == "unsupported_media_type"


async def test_validation_errors_name_the_field(client: TestClient) -> None:
    resp = await client.post("/api/transform", json={"url": 5})
    problem = await resp.json()
    assert problem["errors"][0]["field"] == "url"


@pytest.mark.parametrize(
    "job_id",
    [
        "abc",
        "A" * 32,
        "0" * 31 + "g",
        "..%2F..%2Fadmin",
        "%2e%2e",
        "abc%2Fevents",
        "a%00b",
        "%E2%80%AEabc",
        "%ff%fe",
        "0" * 64,
    ],
)
@pytest.mark.parametrize("suffix", ["", "/events"])
async def test_malformed_job_id_is_400(client: TestClient, job_id: str, suffix: str) -> None:
    resp = await client.get(URL(f"/api/transform/jobs/{job_id}{suffix}", encoded=True))
    assert resp.status == 400
    assert (await resp.json())["code"] == "invalid_job_id"


async def test_unknown_job_is_404(client: TestClient) -> None:
    for method in ("GET", "DELETE"):
        resp = await client.request(method, "/api/transform/jobs/" + "0" * 32)
        assert resp.status == 404
        assert (await resp.json())["code"] == "job_not_found"


async def test_cancel_a_queued_job(client: TestClient) -> None:
    accepted = await (
        await client.post("/api/transform", json={"url": "https://example.com/c"})
    ).json()
    resp = await client.delete(accepted["statusUrl"])
    assert resp.status == 200
    body = await resp.json()
    assert body["status"] == "cancelled"
    assert body["error"]["code"] == "cancelled"
    again = await client.delete(accepted["statusUrl"])  # idempotent
    assert (again.status, (await again.json())["status"]) == (200, "cancelled")


async def test_unknown_route_and_method_are_problems(client: TestClient) -> None:
    missing = await client.get("/nope")
    assert (missing.status, (await missing.json())["code"]) == (404, "not_found")
    wrong = await client.put("/api/transform")
    assert (wrong.status, (await wrong.json())["code"]) == (405, "method_not_allowed")


async def test_personas_health_ready_metrics(client: TestClient) -> None:
    personas = await (await client.get("/api/personas")).json()
    names = {p["name"] for p in personas["personas"]}
    assert {"professional", "executive", "student", "casual"} <= names
    assert all(p["description"] for p in personas["personas"])
    assert (await client.get("/healthz")).status == 200
    ready = await client.get("/readyz")
    assert ready.status == 200
    assert (await ready.json())["checks"]["redis"] == "ok"
    await client.post("/api/transform", json={"url": "https://example.com/m"})
    await client.post("/api/transform", json={"url": "https://example.com/m"})
    metrics = await (await client.get("/metrics")).text()
    assert "recast_http_requests_total" in metrics
    assert "recast_jobs_submitted_total 1.0" in metrics
    assert "recast_jobs_joined_total 1.0" in metrics
    assert "recast_queue_depth 1.0" in metrics


async def test_openapi_describes_every_route(client: TestClient) -> None:
    document = await (await client.get("/openapi.json")).json()
    for resource in client.app.router.resources():
        info = resource.get_info()
        path = info.get("path") or info.get("formatter")
        if path is None or path == "/" or path.startswith("/static"):
            continue
        assert path in document["paths"], path
    assert "TransformRequest" in document["components"]["schemas"]
    assert "jobId" in document["components"]["schemas"]["JobSnapshot"]["properties"]


async def test_rate_limit(aiohttp_client, settings) -> None:  # type: ignore[no-untyped-def]
    from gateway.app import create_app

    limited = await aiohttp_client(
        create_app(type(settings)(**{**_fields(settings), "rate_limit_per_minute": 2}))
    )
    statuses = [
        (await limited.post("/api/transform", json={"url": f"https://example.com/{i}"})).status
        for i in range(3)
    ]
    assert statuses[:2] == [202, 202]
    assert statuses[2] == 429


async def _job_keys(store: JobStore, keys: Keys) -> list[bytes]:
    """Every key but the (empty) partition streams the gateway creates at start-up."""
    found = await store.redis.keys(f"{keys.prefix}:*")
    streams = {s.encode() for s in keys.streams()}
    assert all([await store.redis.xlen(s) == 0 for s in streams])
    return [k for k in found if k not in streams]


def _fields(settings):  # type: ignore[no-untyped-def]
    import msgspec

    return msgspec.structs.asdict(settings)


async def test_a_vanished_sse_client_frees_its_slot_quickly(aiohttp_client, settings) -> None:  # type: ignore[no-untyped-def]
    import msgspec
    from gateway.app import create_app

    one_stream = msgspec.structs.replace(
        settings, sse_max_streams_per_client=1, sse_heartbeat_seconds=30
    )
    app_client = await aiohttp_client(create_app(one_stream))
    accepted = await (
        await app_client.post("/api/transform", json={"url": "https://example.com/s"})
    ).json()
    first = await app_client.get(accepted["eventsUrl"])
    assert first.status == 200
    await first.content.readline()
    second = await app_client.get(accepted["eventsUrl"])
    assert (second.status, (await second.json())["code"]) == (429, "too_many_streams")
    first.close()  # the client vanishes without a word
    deadline = asyncio.get_running_loop().time() + 5
    while True:
        third = await app_client.get(accepted["eventsUrl"])
        if third.status == 200:
            third.close()
            break
        assert asyncio.get_running_loop().time() < deadline, "slot not freed"
        await asyncio.sleep(0.1)


async def test_job_ids_are_keyed_so_nobody_can_precompute_them(
    aiohttp_client, settings, client: TestClient
) -> None:  # type: ignore[no-untyped-def]
    from gateway.app import create_app
    from jobcore.jobid import job_id_for
    from jobcore.urls import canonical_url

    url = "https://intranet-wiki.example/secret"
    accepted = await (await client.post("/api/transform", json={"url": url})).json()
    guessed = job_id_for("url", canonical_url(URL(url)), "professional")
    assert accepted["jobId"] != guessed
    assert (await client.get(f"/api/transform/jobs/{guessed}")).status == 404
    # A second gateway on the same Redis shares the key: same request, same id.
    other = await aiohttp_client(create_app(settings))
    again = await (await other.post("/api/transform", json={"url": url})).json()
    assert again["jobId"] == accepted["jobId"]


async def _first_frame(client: TestClient, url: str, headers: dict[str, str]) -> bytes:
    async with client.get(url, headers=headers) as resp:
        assert resp.status == 200
        while True:
            line = await asyncio.wait_for(resp.content.readline(), 5)
            if line.startswith(b"data:"):
                return line


@pytest.mark.parametrize("last_id", ["99999", "²", "-1", "abc"])
async def test_a_foreign_or_odd_last_event_id_still_gets_the_snapshot(
    client: TestClient, last_id: str
) -> None:
    accepted = await (
        await client.post("/api/transform", json={"url": "https://example.com/l"})
    ).json()
    frame = await _first_frame(client, accepted["eventsUrl"], {"Last-Event-ID": last_id})
    assert accepted["jobId"].encode() in frame


async def test_simultaneous_streams_on_many_jobs_all_open(client: TestClient) -> None:
    ids = []
    for i in range(15):
        body = {"url": f"https://example.com/burst{i}"}
        ids.append((await (await client.post("/api/transform", json=body)).json())["eventsUrl"])
    frames = await asyncio.gather(*(_first_frame(client, url, {}) for url in ids))
    assert len(frames) == 15


async def test_forwarded_for_uses_the_proxys_entry(aiohttp_client, settings) -> None:  # type: ignore[no-untyped-def]
    from gateway.app import create_app

    limited = msgspec.structs.replace(settings, rate_limit_per_minute=2, trust_forwarded_for=True)
    app_client = await aiohttp_client(create_app(limited))
    statuses = []
    for i in range(3):  # the client varies the left part; the proxy's entry stays the same
        headers = {"X-Forwarded-For": f"6.6.6.{i}, 203.0.113.7"}
        body = {"url": f"https://example.com/xff{i}"}
        statuses.append(
            (await app_client.post("/api/transform", json=body, headers=headers)).status
        )
    assert statuses == [202, 202, 429]
