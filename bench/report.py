"""Rows of the result table: print them, write them as JSON."""

from __future__ import annotations

import json
import platform
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Row:
    scenario: str
    figure: str
    recast: float | None
    peer: float | None = None
    peer_name: str = ""
    target: str = ""
    # ratio = recast / peer; ``met`` compares it (or the value itself) with the target
    met: bool | None = None
    unit: str = ""
    note: str = ""
    samples: dict[str, list[float]] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.recast is None or not self.peer:
            return None
        return self.recast / self.peer


def median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def render(rows: list[Row]) -> str:
    header = ["scenario", "figure", "Recast", "peer / ceiling", "ratio", "target", "met?"]
    body = []
    for r in rows:
        peer = f"{_fmt(r.peer)} ({r.peer_name})" if r.peer is not None else (r.peer_name or "—")
        ratio = f"{r.ratio:.2f}×" if r.ratio is not None else "—"
        met = {True: "yes", False: "NO", None: "—"}[r.met]
        unit = f" {r.unit}" if r.unit else ""
        body.append([r.scenario, r.figure, _fmt(r.recast) + unit, peer, ratio, r.target, met])
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body, strict=False)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"]
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    lines += [
        "| " + " | ".join(c.ljust(w) for c, w in zip(b, widths, strict=True)) + " |" for b in body
    ]
    notes = [f"- {r.scenario} / {r.figure}: {r.note}" for r in rows if r.note]
    return "\n".join(lines + (["", *notes] if notes else []))


def write_json(rows: list[Row], meta: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = RESULTS / f"bench-{stamp}.json"
    doc = {
        "meta": {"host": platform.node(), "python": platform.python_version(), **meta},
        "rows": [{**asdict(r), "ratio": r.ratio} for r in rows],
    }
    path.write_text(json.dumps(doc, indent=2))
    (RESULTS / "latest.json").write_text(json.dumps(doc, indent=2))
    return path
