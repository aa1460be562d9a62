"""Retry delays: exponential backoff with full jitter (pure; the randomness is passed in)."""

from __future__ import annotations

from collections.abc import Callable


def backoff_seconds(
    attempt: int, base: float, rand: Callable[[], float], cap: float = 60.0
) -> float:
    """Delay before attempt ``attempt + 1``: uniform in [base/2, base * 2**(attempt-1)], capped."""
    ceiling = min(cap, base * 2.0 ** max(0, attempt - 1))
    return float(base / 2 + rand() * max(0.0, ceiling - base / 2))
