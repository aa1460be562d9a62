"""Every wire body, as msgspec Structs: the single source of truth for the JSON format.

JSON keys are camelCase (``rename="camel"``); the OpenAPI document is generated
from these types.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from jobcore.states import Kind, Stage, Status

# Any string: an unknown name is answered with ``unknown_persona``, not a schema error.
PersonaName = str


class _Wire(msgspec.Struct, kw_only=True, rename="camel", omit_defaults=True):
    pass


class TransformRequest(_Wire, forbid_unknown_fields=True):
    """``POST /api/transform``: a web page to fetch and rewrite for a persona."""

    url: str  # length and form are judged by the URL gate, with precise codes
    persona: PersonaName = "professional"
    refresh: bool = False


class TextRequest(_Wire, forbid_unknown_fields=True):
    """``POST /api/transform/text``: a pasted text to rewrite for a persona."""

    text: Annotated[str, Meta(min_length=1)]
    persona: PersonaName = "professional"
    title: Annotated[str, Meta(max_length=500)] | None = None
    refresh: bool = False


class JobError(_Wire):
    code: str
    message: str
    retryable: bool  # whether a resubmit may help; always present
    upstream_status: int | None = None


class ArticleMetadata(_Wire):
    byline: str | None = None
    language: str | None = None
    site_name: str | None = None
    published_time: str | None = None
    canonical_url: str | None = None
    excerpt: str | None = None


class TransformResult(_Wire):
    """A finished job's ``data``."""

    title: str
    summary: str
    key_points: list[str]
    markdown: str
    word_count: int
    reading_time_minutes: int
    persona: str
    engine: str
    source_url: str | None = None
    metadata: ArticleMetadata = msgspec.field(default_factory=ArticleMetadata)


class JobSnapshot(_Wire):
    """A job as clients see it: the GET body and every SSE event's data."""

    job_id: str
    kind: Kind
    status: Status
    progress: int
    stage: Stage
    attempts: int
    created_at: str
    updated_at: str
    persona: str | None = None
    source_url: str | None = None
    data: TransformResult | None = None
    error: JobError | None = None


class JobAccepted(_Wire):
    """202 body: the job exists (new or joined); follow it at the two URLs."""

    job_id: str
    status: Status
    progress: int
    stage: Stage
    status_url: str
    events_url: str
    cached: bool = False


class CachedResult(msgspec.Struct, kw_only=True, rename="camel"):
    """200 body on a cache hit (every field always present)."""

    job_id: str
    data: TransformResult
    status: Literal["completed"] = "completed"
    cached: bool = True


class Persona(_Wire):
    name: str
    label: str
    description: str


class PersonaList(_Wire):
    personas: list[Persona]


class FieldError(_Wire):
    field: str
    message: str


class Problem(_Wire):
    """RFC 9457 problem document, plus a stable ``code`` and per-field ``errors``."""

    type: str
    title: str
    status: int
    code: str
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None


class Health(_Wire):
    status: Literal["ok", "unavailable"]
    checks: dict[str, Any] | None = None


class JobSpec(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What the worker needs to run a job; stored in the job hash (not a public body)."""

    kind: Kind
    persona: str
    url: str | None = None
    text: str | None = None
    title: str | None = None
