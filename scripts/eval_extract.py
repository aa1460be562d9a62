"""Score worker.extract's metadata on the Readability test pages, and time it.

The text scores come from ../shared/tools/extract_eval.py; this adds what that tool
does not measure: title equality, and byline / language where the page expects them.

    .venv/bin/python scripts/eval_extract.py [../shared/corpus] [--show]
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

from worker.extract import extract_article


def _norm(value: str | None) -> str:
    return " ".join((value or "").split())


def main(argv: list[str]) -> int:
    show = "--show" in argv
    args = [a for a in argv if not a.startswith("--")]
    corpus = Path(args[0]) if args else Path(__file__).resolve().parents[2] / "shared" / "corpus"
    pages = sorted((corpus / "readability").glob("*/expected-metadata.json"))
    counts = {"title": [0, 0], "byline": [0, 0], "lang": [0, 0]}
    times: list[float] = []
    for path in pages:
        expected = json.loads(path.read_text())
        html = (path.parent / "source.html").read_bytes().decode("utf-8", "replace")
        start = time.perf_counter()
        article = extract_article(html, "http://fakehost/test/page.html")
        times.append((time.perf_counter() - start) * 1000)
        got = {"title": article.title, "byline": article.byline, "lang": article.language}
        for key in counts:
            want = expected.get(key)
            if key != "title" and not want:
                continue
            counts[key][1] += 1
            ok = _norm(got[key]) == _norm(want)
            counts[key][0] += ok
            if show and not ok:
                print(f"{path.parent.name:40} {key:6} want={want!r} got={got[key]!r}")
    for key, (good, total) in counts.items():
        print(f"{key:7} {good}/{total} = {good / max(total, 1):.3f}")
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))] if times else 0.0
    print(f"ms/page median {statistics.median(times):.2f} p95 {p95:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
