"""RFC 9457 problem documents: one table from error code to HTTP status and title."""

from __future__ import annotations

from typing import Final

import msgspec
from aiohttp import web
from jobcore.models import FieldError, Problem

PROBLEM_CONTENT_TYPE: Final = "application/problem+json"

_TABLE: Final[dict[str, tuple[int, str]]] = {
    "invalid_json": (400, "Request body is not one well-formed JSON object"),
    "invalid_job_id": (400, "Job id is malformed"),
    "bad_request": (400, "Bad request"),
    "unauthorized": (401, "Missing or wrong API key"),
    "job_not_found": (404, "Job not found"),
    "not_found": (404, "Not found"),
    "method_not_allowed": (405, "Method not allowed"),
    "request_timeout": (408, "Request body arrived too slowly"),
    "not_cancellable": (409, "Job has already finished"),
    "payload_too_large": (413, "Request body too large"),
    "unsupported_media_type": (415, "Content-Type must be application/json"),
    "validation_error": (422, "Request body failed validation"),
    "invalid_url": (422, "URL is not valid"),
    "url_too_long": (422, "URL is too long"),
    "unsupported_scheme": (422, "URL scheme is not supported"),
    "credentials_in_url": (422, "URL must not carry credentials"),
    "blocked_port": (422, "URL port is not allowed"),
    "blocked_address": (422, "URL points to a non-public address"),
    "unknown_persona": (422, "Unknown persona"),
    "text_too_long": (422, "Text is too long"),
    "invalid_text": (422, "Text is not valid"),
    "rate_limited": (429, "Too many requests"),
    "too_many_streams": (429, "Too many open event streams"),
    "internal": (500, "Internal error"),
    "queue_full": (503, "Queue is full"),
    "unavailable": (503, "Service temporarily unavailable"),
}

_encoder = msgspec.json.Encoder()


def problem_type(code: str) -> str:
    return f"urn:recast:problem:{code}"


def problem_response(
    code: str,
    detail: str | None = None,
    *,
    status: int | None = None,
    errors: list[FieldError] | None = None,
    instance: str | None = None,
    retry_after: int | None = None,
) -> web.Response:
    default_status, title = _TABLE.get(code, (status or 500, code.replace("_", " ").capitalize()))
    body = Problem(
        type=problem_type(code),
        title=title,
        status=status or default_status,
        code=code,
        detail=detail,
        instance=instance,
        errors=errors,
    )
    response = web.Response(
        body=_encoder.encode(body), status=body.status, content_type=PROBLEM_CONTENT_TYPE
    )
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def known_codes() -> list[str]:
    return sorted(_TABLE)


class ProblemError(Exception):
    """Raised by handlers to answer with a problem document."""

    def __init__(
        self,
        code: str,
        detail: str | None = None,
        *,
        errors: list[FieldError] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(detail or code)
        self.code = code
        self.detail = detail
        self.errors = errors
        self.retry_after = retry_after
