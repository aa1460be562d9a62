"""Statuses, stages and the transitions between them (pure)."""

from __future__ import annotations

from typing import Final, Literal

Status = Literal["queued", "running", "completed", "failed", "cancelled"]
Stage = Literal["queued", "fetching", "extracting", "transforming", "storing", "done"]
Kind = Literal["url", "text"]

TERMINAL: Final[frozenset[str]] = frozenset({"completed", "failed", "cancelled"})
LIVE: Final[frozenset[str]] = frozenset({"queued", "running"})

# Progress each stage starts at; the worker may report finer steps inside a stage.
STAGE_PROGRESS: Final[dict[str, int]] = {
    "queued": 0,
    "fetching": 10,
    "extracting": 40,
    "transforming": 60,
    "storing": 95,
    "done": 100,
}

_ALLOWED: Final[dict[str, frozenset[str]]] = {
    "queued": frozenset({"running", "cancelled", "failed"}),
    "running": frozenset({"running", "queued", "completed", "failed", "cancelled"}),
    "completed": frozenset(),
    "failed": frozenset(),
    "cancelled": frozenset(),
}


def is_terminal(status: str) -> bool:
    return status in TERMINAL


def can_transition(current: str, new: str) -> bool:
    """Whether a job in ``current`` may move to ``new`` (``running -> queued`` is a retry)."""
    return new in _ALLOWED.get(current, frozenset())
