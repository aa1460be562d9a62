"""The gateway application factory."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import AsyncIterator

from aiohttp import web
from jobcore import __version__
from jobcore.connection import RedisClient, connect
from jobcore.keys import Keys
from jobcore.models import (
    CachedResult,
    Health,
    JobAccepted,
    JobSnapshot,
    PersonaList,
    TextRequest,
    TransformRequest,
)
from jobcore.netpolicy import AddressPolicy
from jobcore.personas import load_personas
from jobcore.settings import Settings
from jobcore.store import JobStore

from gateway import sse, views
from gateway.hub import EventHub
from gateway.ids import IdKey
from gateway.keys import HUB, ID_KEY, LIMITER, METRICS, PERSONAS, POLICY, REDIS, SETTINGS, STORE
from gateway.metrics import Metrics
from gateway.middlewares import cors, problems, request_context
from gateway.openapi import RouteSpec, build_openapi, openapi_handler
from gateway.ratelimit import RateLimiter
from gateway.static import add_static_routes

JOB = "/api/transform/jobs/{jobId}"
SUBMIT_ERRORS = (400, 413, 415, 422, 429, 503)

ROUTES: list[RouteSpec] = [
    RouteSpec(
        "POST",
        "/api/transform",
        views.submit_url,
        "Transform a web page",
        TransformRequest,
        {200: CachedResult, 202: JobAccepted},
        SUBMIT_ERRORS,
    ),
    RouteSpec(
        "POST",
        "/api/transform/text",
        views.submit_text,
        "Transform a text",
        TextRequest,
        {200: CachedResult, 202: JobAccepted},
        SUBMIT_ERRORS,
    ),
    RouteSpec(
        "GET", JOB, views.get_job, "A job's snapshot", None, {200: JobSnapshot}, (400, 404, 503)
    ),
    RouteSpec(
        "DELETE",
        JOB,
        views.cancel_job,
        "Cancel a queued or running job",
        None,
        {200: JobSnapshot},
        (400, 404, 409, 503),
    ),
    RouteSpec(
        "GET",
        JOB + "/events",
        sse.job_events,
        "Follow a job (Server-Sent Events)",
        None,
        {200: "text/event-stream"},
        (400, 404, 429, 503),
    ),
    RouteSpec(
        "GET", "/api/personas", views.personas, "The reader personas", None, {200: PersonaList}
    ),
    RouteSpec("GET", "/healthz", views.healthz, "Liveness", None, {200: Health}),
    RouteSpec(
        "GET",
        "/readyz",
        views.readyz,
        "Readiness (Redis reachable)",
        None,
        {200: Health, 503: Health},
    ),
    RouteSpec("GET", "/metrics", views.metrics, "Prometheus metrics", None, {200: "text/plain"}),
]


def create_app(settings: Settings, *, redis: RedisClient | None = None) -> web.Application:
    """Build the gateway. ``redis`` is injected by tests; otherwise one is made from settings."""
    app = web.Application(
        middlewares=[request_context, cors, problems],
        client_max_size=settings.max_body_bytes,
        handler_args={"max_field_size": 8190, "max_line_size": 8190},
    )
    app[SETTINGS] = settings
    app[METRICS] = Metrics()
    app[POLICY] = AddressPolicy.from_entries(settings.fetch_allowed_addresses)
    app[PERSONAS] = load_personas()
    app[sse.STREAMS_PER_CLIENT] = Counter()
    for route in ROUTES:
        app.router.add_route(route.method, route.path, route.handler)
    document = build_openapi(
        [
            *ROUTES,
            RouteSpec(
                "GET", "/openapi.json", None, "This document", None, {200: "application/json"}
            ),
        ],
        __version__,
    )
    app.router.add_get("/openapi.json", openapi_handler(document))
    add_static_routes(app)
    app.cleanup_ctx.append(_redis_context(settings, redis))
    app.on_shutdown.append(_close_streams)
    return app


def _redis_context(settings: Settings, injected: RedisClient | None):  # type: ignore[no-untyped-def]
    async def context(app: web.Application) -> AsyncIterator[None]:
        client = injected if injected is not None else connect(settings.redis_url)
        keys = Keys(settings.key_prefix, settings.stream_partitions)
        store = JobStore(
            client,
            keys,
            job_ttl=settings.job_ttl_seconds,
            cache_ttl=settings.cache_ttl_seconds,
            lock_ttl=settings.job_lock_ttl_seconds,
        )
        hub = EventHub(client, store)
        app[REDIS] = client
        app[STORE] = store
        app[HUB] = hub
        app[LIMITER] = RateLimiter(client, keys, settings.rate_limit_per_minute)
        app[ID_KEY] = IdKey(client, keys, settings.job_id_secret)
        app[METRICS].gauge(
            "recast_sse_streams", "Open SSE streams on this gateway.", lambda: hub.stream_count
        )
        await hub.start()
        # Redis may come later: /readyz reports it, and workers create the groups too.
        with contextlib.suppress(Exception):
            await store.ensure_groups()
        yield
        await hub.close()
        if injected is None:
            await client.aclose()

    return context


async def _close_streams(app: web.Application) -> None:
    """On shutdown, end every SSE stream cleanly instead of cutting it."""
    if HUB in app:
        await app[HUB].close()
