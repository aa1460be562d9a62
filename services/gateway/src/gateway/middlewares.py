"""Request context, one log line per request, CORS, and the error -> problem JSON mapping."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web
from jobcore.errors import RequestRejected
from redis.exceptions import BusyLoadingError, ConnectionError, RedisError, TimeoutError

from gateway.keys import METRICS, SETTINGS
from gateway.problems import ProblemError, problem_response

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
log = structlog.get_logger("gateway")

_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    request_id = uuid.uuid4().hex[:16]
    structlog.contextvars.bind_contextvars(request_id=request_id)
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        response.headers.setdefault("X-Request-Id", request_id)
        return response
    finally:
        route = request.match_info.route.resource
        route_name = route.canonical if route is not None else "unmatched"
        request.app[METRICS].observe_request(request.method, route_name, status)
        log.info(
            "request",
            method=request.method,
            path=request.path[:200],
            status=status,
            ms=round((time.perf_counter() - started) * 1000, 2),
        )
        structlog.contextvars.unbind_contextvars("request_id")


@web.middleware
async def problems(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure leaves as problem JSON; tracebacks go to the log only."""
    try:
        return await handler(request)
    except ProblemError as exc:
        return problem_response(
            exc.code,
            exc.detail,
            errors=exc.errors,
            retry_after=exc.retry_after,
            instance=request.path[:200],
        )
    except RequestRejected as exc:
        return problem_response(
            exc.code, exc.message, status=exc.status, instance=request.path[:200]
        )
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _HTTP_CODES.get(exc.status, "bad_request")
        response = problem_response(code, exc.reason, status=exc.status)
        if "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
        return response
    except (ConnectionError, TimeoutError, BusyLoadingError, OSError) as exc:
        log.warning("redis_unavailable", error=type(exc).__name__)
        return problem_response("unavailable", "the job store is unreachable", retry_after=2)
    except RedisError as exc:  # cluster down or failing over, MOVED storms, TRYAGAIN, ...
        log.warning("redis_error", error=type(exc).__name__, detail=str(exc)[:200])
        return problem_response("unavailable", "the job store is not answering", retry_after=2)
    except Exception:
        log.exception("unhandled_error")
        return problem_response("internal", "an unexpected error was logged")


@web.middleware
async def cors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """CORS for the origins in CORS_ORIGINS (``*`` allows any)."""
    allowed = request.app[SETTINGS].cors_origins
    origin = request.headers.get("Origin")
    if not origin or not allowed or (origin not in allowed and "*" not in allowed):
        return await handler(request)
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        response: web.StreamResponse = web.Response(status=204)
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, DELETE, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = (
            "Content-Type, Last-Event-ID, Authorization, X-API-Key"
        )
        response.headers["Access-Control-Max-Age"] = "600"
    else:
        response = await handler(request)
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Expose-Headers"] = "Location, Retry-After, X-Request-Id"
    response.headers["Vary"] = "Origin"
    return response
