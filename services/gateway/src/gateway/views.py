"""Thin handlers: decode -> one store call -> encode."""

from __future__ import annotations

import asyncio
import re

import msgspec
from aiohttp import web
from jobcore.jobid import job_id_for, text_digest
from jobcore.models import (
    Health,
    JobAccepted,
    JobSpec,
    PersonaList,
    TextRequest,
    TransformRequest,
)
from jobcore.urls import canonical_url, parse_submit_url

from gateway.keys import ID_KEY, LIMITER, METRICS, PERSONAS, POLICY, REDIS, SETTINGS, STORE
from gateway.problems import ProblemError
from gateway.requests import client_identity, decode_body, job_id_from

_encoder = msgspec.json.Encoder()


class CachedBody(msgspec.Struct, kw_only=True, rename="camel"):
    """``CachedResult`` on the wire, with ``data`` passed through as stored."""

    job_id: str
    data: msgspec.Raw
    status: str = "completed"
    cached: bool = True


# Text may hold tabs and newlines; other control characters and lone surrogates are refused.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), " ")
_BAD_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def json_response(body: object, status: int = 200) -> web.Response:
    return web.Response(body=_encoder.encode(body), status=status, content_type="application/json")


def _check_persona(request: web.Request, persona: str) -> None:
    personas = request.app[PERSONAS]
    if persona not in personas:
        raise ProblemError(
            "unknown_persona", f"unknown persona {persona!r}; known: {', '.join(personas)}"
        )


async def submit_url(request: web.Request) -> web.Response:
    body = await decode_body(request, TransformRequest)
    settings = request.app[SETTINGS]
    if _BAD_TEXT.search(body.url):
        raise ProblemError("invalid_url", "URL contains control characters")
    url = parse_submit_url(
        body.url,
        max_length=settings.url_max_length,
        policy=request.app[POLICY],
        allowed_ports=settings.fetch_allowed_ports,
    )
    _check_persona(request, body.persona)
    canonical = canonical_url(url)
    secret = await request.app[ID_KEY].get()
    job_id = job_id_for("url", canonical, body.persona, secret=secret)
    spec = JobSpec(kind="url", persona=body.persona, url=canonical)
    return await _submit(request, job_id, spec, body.refresh)


async def submit_text(request: web.Request) -> web.Response:
    body = await decode_body(request, TextRequest)
    settings = request.app[SETTINGS]
    if len(body.text) > settings.text_max_chars:
        raise ProblemError(
            "text_too_long", f"text may be at most {settings.text_max_chars} characters"
        )
    if _BAD_TEXT.search(body.text) or (body.title and _BAD_TEXT.search(body.title)):
        raise ProblemError("invalid_text", "text contains control characters or invalid Unicode")
    if not body.text.translate(_INVISIBLE).strip():
        raise ProblemError("invalid_text", "text is empty")
    _check_persona(request, body.persona)
    digest = text_digest(f"{body.title or ''}\x1f{body.text}")
    job_id = job_id_for("text", digest, body.persona, secret=await request.app[ID_KEY].get())
    spec = JobSpec(kind="text", persona=body.persona, text=body.text, title=body.title)
    return await _submit(request, job_id, spec, body.refresh)


async def _submit(request: web.Request, job_id: str, spec: JobSpec, refresh: bool) -> web.Response:
    settings = request.app[SETTINGS]
    retry_in = await request.app[LIMITER].check(client_identity(request))
    if retry_in is not None:
        raise ProblemError("rate_limited", "too many submissions; slow down", retry_after=retry_in)
    store = request.app[STORE]
    per_partition = -(-settings.queue_max_length // store.keys.partitions)
    outcome = await store.submit(job_id, spec, refresh=refresh, max_stream_len=per_partition)
    if outcome.outcome == "queue_full":
        raise ProblemError("queue_full", "the queue is full; try again shortly", retry_after=5)
    if outcome.result_json is not None:
        # The stored JSON goes out as it is: a cache hit never decodes the result.
        return json_response(CachedBody(job_id=job_id, data=msgspec.Raw(outcome.result_json)))
    snapshot = outcome.snapshot
    assert snapshot is not None
    status_url = f"/api/transform/jobs/{job_id}"
    accepted = JobAccepted(
        job_id=job_id,
        status=snapshot.status,
        progress=snapshot.progress,
        stage=snapshot.stage,
        status_url=status_url,
        events_url=f"{status_url}/events",
    )
    response = json_response(accepted, status=202)
    response.headers["Location"] = status_url
    response.headers["Retry-After"] = "1"
    return response


async def get_job(request: web.Request) -> web.Response:
    job_id = job_id_from(request)
    current = await request.app[STORE].snapshot(job_id)
    if current is None:
        raise ProblemError("job_not_found", "no job with this id (it may have expired)")
    return json_response(current[0])


async def cancel_job(request: web.Request) -> web.Response:
    job_id = job_id_from(request)
    snapshot = await request.app[STORE].cancel(job_id)
    if snapshot is None:
        raise ProblemError("job_not_found", "no job with this id (it may have expired)")
    if snapshot.status != "cancelled":
        raise ProblemError("not_cancellable", f"the job has already {snapshot.status}")
    return json_response(snapshot)


async def personas(request: web.Request) -> web.Response:
    specs = request.app[PERSONAS].values()
    return json_response(PersonaList(personas=[spec.public() for spec in specs]))


async def healthz(request: web.Request) -> web.Response:
    return json_response(Health(status="ok"))


async def readyz(request: web.Request) -> web.Response:
    try:
        await asyncio.wait_for(request.app[REDIS].ping(), timeout=2)
    except Exception as exc:
        body = Health(status="unavailable", checks={"redis": type(exc).__name__})
        return json_response(body, status=503)
    return json_response(Health(status="ok", checks={"redis": "ok"}))


async def metrics(request: web.Request) -> web.Response:
    store = request.app[STORE]
    registry = request.app[METRICS]
    try:
        stats = await store.stats()
        depth, pending = await store.queue_state()
    except Exception:  # Redis away: still serve this process's own metrics
        registry.jobs.redis_up = False
    else:
        registry.jobs.update(stats, depth, pending)
    return web.Response(
        body=registry.render(),
        headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
    )
