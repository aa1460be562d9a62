"""Job ids: a digest of the canonical request, so the same request is the same job (pure)."""

from __future__ import annotations

import hashlib
import re
from typing import Final

# Bump when the transformation's output changes, so old cached results are not reused.
TRANSFORM_VERSION: Final = "1"

JOB_ID_LENGTH: Final = 32
JOB_ID_PATTERN: Final = r"^[0-9a-f]{32}$"
_JOB_ID_RE: Final = re.compile(JOB_ID_PATTERN)


def is_job_id(value: str) -> bool:
    return bool(_JOB_ID_RE.fullmatch(value))


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def job_id_for(
    kind: str,
    subject: str,
    persona: str,
    version: str = TRANSFORM_VERSION,
    *,
    secret: bytes = b"",
) -> str:
    """``subject`` is the canonical URL for ``url`` jobs and the text digest for ``text`` jobs.

    With a deployment ``secret`` (the gateways' keyed digest), nobody can compute the id
    of a request they did not submit, so results cannot be fetched by guessing.
    """
    canonical = "\x1f".join(("recast-job-v1", kind, subject, persona, version))
    digest = hashlib.blake2b(
        canonical.encode("utf-8"), digest_size=JOB_ID_LENGTH // 2, key=secret[:64]
    )
    return digest.hexdigest()
