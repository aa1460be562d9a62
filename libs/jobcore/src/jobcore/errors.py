"""The exception tree. Each error carries a stable ``code`` clients can rely on.

RecastError(code, message, retryable)
├── RequestRejected        submit-time refusal -> 4xx problem JSON (gateway)
│   └── UrlRejected        the URL gate: invalid_url, blocked_address, ...
└── JobFailure             a job ends ``failed`` with this error (worker)
    ├── FetchError         dns_error, connect_error, timeout, http_error, too_large, ...
    └── ProcessingError    empty_content, processing_limit, internal
"""

from __future__ import annotations


class RecastError(Exception):
    code: str = "internal"

    def __init__(self, code: str, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable


class RequestRejected(RecastError):
    """The client's request is refused before any job exists."""

    def __init__(self, code: str, message: str, *, status: int = 422, field: str | None = None):
        super().__init__(code, message)
        self.status = status
        self.field = field


class UrlRejected(RequestRejected):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message, status=422, field="url")


class JobFailure(RecastError):
    """A job cannot produce a result."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        retryable: bool = False,
        upstream_status: int | None = None,
    ) -> None:
        super().__init__(code, message, retryable=retryable)
        self.upstream_status = upstream_status


class FetchError(JobFailure):
    pass


class ProcessingError(JobFailure):
    pass
