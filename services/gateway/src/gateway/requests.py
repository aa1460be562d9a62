"""Reading requests: JSON bodies through msgspec, job ids, client identity."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import re
from typing import Any, TypeVar

import msgspec
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError
from jobcore.jobid import is_job_id
from jobcore.models import FieldError

from gateway.keys import SETTINGS
from gateway.problems import ProblemError

T = TypeVar("T")
_JSON_TYPES = ("application/json",)
_BODY_ENCODINGS = frozenset({"identity", "gzip", "deflate", "br", "x-gzip"})
_MISSING_RE = re.compile(r"missing required field `(\w+)`")
_PATH_RE = re.compile(r" - at `\$\.?(?P<path>[^`]*)`$")


async def decode_body(request: web.Request, body_type: type[T]) -> T:
    """Decode a JSON object body into ``body_type``, or raise a precise ProblemError."""
    content_type = request.content_type.lower()
    charset = (request.charset or "utf-8").lower()
    if (content_type not in _JSON_TYPES and not content_type.endswith("+json")) or charset not in (
        "utf-8",
        "utf8",
    ):
        raise ProblemError("unsupported_media_type", "send the body as UTF-8 application/json")
    settings = request.app[SETTINGS]
    if request.content_length is not None and request.content_length > settings.max_body_bytes:
        raise ProblemError(
            "payload_too_large", f"the body may be at most {settings.max_body_bytes} bytes"
        )
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in _BODY_ENCODINGS:
        raise ProblemError("unsupported_media_type", "Content-Encoding must be gzip, deflate or br")
    try:
        # client_max_size stops bodies without a length; the deadline stops slow senders.
        async with asyncio.timeout(settings.body_timeout_seconds):
            raw = await request.read()
    except TimeoutError:
        raise ProblemError("request_timeout", "the request body arrived too slowly") from None
    except web.HTTPRequestEntityTooLarge:
        raise
    except (RequestPayloadError, HttpProcessingError):  # e.g. a corrupt gzip body
        raise ProblemError("invalid_json", "the body could not be decoded") from None
    if raw[:1] != b"{":
        raise ProblemError("invalid_json", "the body must be one JSON object")
    try:
        decoded = msgspec.json.decode(raw, type=body_type)
        json.loads(raw, object_pairs_hook=_refuse_duplicate_keys)
        return decoded
    except msgspec.ValidationError as exc:
        message, field = split_validation_message(str(exc))
        raise ProblemError(
            "validation_error", message, errors=[FieldError(field=field, message=message)]
        ) from None
    except msgspec.DecodeError as exc:  # msgspec names the byte offset, never the input
        raise ProblemError("invalid_json", f"the body is not well-formed JSON: {exc}") from None
    except (RecursionError, UnicodeDecodeError):
        raise ProblemError("invalid_json", "the body is not well-formed JSON") from None
    except _DuplicateKey as exc:
        raise ProblemError("invalid_json", f"the key {exc.args[0]!r} appears twice") from None


class _DuplicateKey(ValueError):
    pass


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Two values for one key would let two parsers disagree on the request."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key[:64])
        result[key] = value
    return result


def split_validation_message(text: str) -> tuple[str, str]:
    """msgspec says "Expected `str`, got `int` - at `$.url`": split message and field."""
    match = _PATH_RE.search(text)
    if match is None:
        missing = _MISSING_RE.search(text)
        return text, missing.group(1) if missing else ""
    return text[: match.start()], match.group("path")


def job_id_from(request: web.Request) -> str:
    """The path's job id, checked against the id pattern before Redis is touched."""
    job_id = request.match_info.get("jobId", "")
    if not is_job_id(job_id):
        raise ProblemError("invalid_job_id", "a job id is 32 lower-case hexadecimal characters")
    return job_id


def client_identity(request: web.Request) -> str:
    if request.app[SETTINGS].trust_forwarded_for:
        # The right-most entry is the one our proxy appended; entries to its left are
        # whatever the client chose to send.
        forwarded = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            pass
    return request.remote or "unknown"
