"""Helpers shared by the benchmarks: where the shared corpus lives, loading it as Articles, timing, tables."""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "eval"
CORPUS = SHARED / "polnear_train.jsonl"
RESULTS = REPO / "benchmarks" / "results"

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from retrieval.models import Article  # noqa: E402

_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%d %B %Y", "%B %d, %Y", "%b %d, %Y", "%Y-%m-%dT%H:%M:%S")


def require_corpus(path: Path = CORPUS) -> Path:
    """Return the corpus path, or exit with a clear message when the shared data is not there."""
    if not path.is_file():
        raise SystemExit(
            f"benchmark corpus not found: {path}\n"
            "It lives outside the repo in <repo>/../shared/eval/ (never copied into the repo); "
            "pass --corpus PATH if it is elsewhere."
        )
    return path


def normalise_date(raw: object) -> str:
    """Return YYYY-MM-DD when `raw` parses as a date, else "" (what Article.published expects)."""
    if not isinstance(raw, str) or not raw.strip():
        return ""
    text = raw.strip()
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})", text)
    if m:
        return "-".join(m.groups())
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return ""


def load_records(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """Return the first `limit` JSONL records of the corpus (all when None)."""
    records: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if limit is not None and len(records) >= limit:
                break
            if line.strip():
                records.append(json.loads(line))
    return records


def to_article(record: dict[str, Any]) -> Article:
    """Build an Article from a PolNeAR-style record (doc_id, text, title?, publisher?, publication_date?)."""
    return Article(
        id=str(record["doc_id"]),
        text=str(record["text"]),
        title=str(record.get("title") or ""),
        source=str(record.get("publisher") or ""),
        published=normalise_date(record.get("publication_date")),
    )


def percentile(values: Sequence[float], q: float) -> float:
    """Return the q-th percentile (0-100, linear interpolation) of `values`, or NaN when empty."""
    if not values:
        return float("nan")
    data = sorted(values)
    pos = (len(data) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    """Return n, mean, p50, p95, p99 and max of a list of latencies, in milliseconds."""
    ms = [s * 1000.0 for s in seconds]
    return {
        "n": len(ms),
        "mean_ms": round(sum(ms) / len(ms), 2) if ms else float("nan"),
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "max_ms": round(max(ms), 2) if ms else float("nan"),
    }


class StageTimer:
    """Accumulates wall time and call counts per named stage; `wrap` times a callable without changing it."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)  # process CPU time (all threads): robust to a busy machine
        self.calls: dict[str, int] = defaultdict(int)

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Return `fn` timed under `name`."""

        def timed(*args: Any, **kwargs: Any) -> Any:
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - t0
                self.cpu[name] += time.process_time() - c0
                self.calls[name] += 1

        timed.__wrapped__ = fn  # type: ignore[attr-defined]
        return timed

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time a block under `name`."""
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - t0
            self.cpu[name] += time.process_time() - c0
            self.calls[name] += 1


@contextmanager
def patched(target: object, attr: str, value: Any) -> Iterator[None]:
    """Set `target.attr = value` for the duration of the block, then restore what was there."""
    had = attr in getattr(target, "__dict__", {})
    old = getattr(target, attr)
    setattr(target, attr, value)
    try:
        yield
    finally:
        if had:
            setattr(target, attr, old)
        else:
            delattr(target, attr)  # it was a class attribute seen through the instance


def load_average() -> list[float]:
    """Return the 1/5/15-minute load averages (the machine may be shared: read timings with them)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def print_table(
    rows: Sequence[tuple[str, str, str]], header: tuple[str, str, str] = ("metric", "value", "target")
) -> None:
    """Print rows of (metric, value, target/verdict) as an aligned Markdown table."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(3)]
    line = "| " + " | ".join(str(header[i]).ljust(widths[i]) for i in range(3)) + " |"
    print(line)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(str(r[i]).ljust(widths[i]) for i in range(3)) + " |")


def write_json(path: Path, data: dict[str, Any]) -> Path:
    """Write `data` as indented JSON, creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
