"""What the benchmarks share: the corpus read by the real loader, the test suite's servers, stage timing, tables.

Run a benchmark from the repo root with the project on the path: `PYTHONPATH=. python benchmarks/bench_x.py`
(the servers and the fault scenarios are the test suite's own, in tests/).
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from retrieval.ingest import Ingestor
from retrieval.loaders import load_bytes
from retrieval.models import Article

try:
    from tests.servers import ChromaServer, free_port, running_redis, terminate
except ModuleNotFoundError as exc:  # the tests are not installed with the project: the repo root must be on the path
    raise SystemExit(
        f"{exc}: run the benchmarks from the repo root with PYTHONPATH=. (see benchmarks/README.md)"
    ) from exc

__all__ = ["ChromaServer", "free_port", "running_redis", "terminate"]

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "eval"
CORPUS = SHARED / "polnear_train.jsonl"
DEV = SHARED / "polnear_dev.jsonl"
RESULTS = REPO / "benchmarks" / "results"


def require_corpus(path: Path = CORPUS) -> Path:
    """Return the corpus path, or exit with a clear message when the shared data is not there."""
    if not path.is_file():
        raise SystemExit(
            f"benchmark corpus not found: {path}\n"
            "It lives outside the repo in <repo>/../shared/eval/ (never copied into the repo); "
            "pass --corpus PATH if it is elsewhere."
        )
    return path


def load_records(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """Return the first `limit` JSONL records of the corpus as they are written (all when None)."""
    records: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if limit is not None and len(records) >= limit:
                break
            if line.strip():
                records.append(json.loads(line))
    return records


def to_articles(records: Iterable[dict[str, Any]]) -> list[Article]:
    """Read corpus records as `quotebot ingest` reads a JSONL file of them (retrieval/loaders.py)."""
    data = "\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode()
    return load_bytes(data, "corpus.jsonl", max_bytes=len(data) + 1) if data else []


def to_article(record: dict[str, Any]) -> Article:
    """Read one corpus record as the loader does (doc_id, publisher, publication_date are its aliases)."""
    return to_articles([record])[0]


def load_articles(path: Path, limit: int | None = None) -> list[Article]:
    """Return the first `limit` articles of a JSONL corpus, read by the loader."""
    return to_articles(load_records(path, limit))


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
    """Wall and process CPU time and calls per named stage; `stage` is the hook `Ingestor(stages=...)` takes."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)  # process CPU time (all threads): robust to a busy machine
        self.calls: dict[str, int] = defaultdict(int)

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
    def timing(self, ingestor: Ingestor) -> Iterator[StageTimer]:
        """Time the ingestor's stages (see `Ingestor.stages`) for the duration of the block."""
        before, ingestor.stages = ingestor.stages, self.stage
        try:
            yield self
        finally:
            ingestor.stages = before


@contextmanager
def patched(target: object, attr: str, value: Any) -> Iterator[None]:
    """Set `target.attr = value` for the block, then restore it (bench_ingest_ask's text recorders, not timing)."""
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


def cpu_seconds() -> float:
    """Return the CPU seconds of this process and its live children (ingest's extraction worker and forkserver)."""
    import psutil

    me = psutil.Process()
    total = me.cpu_times().user + me.cpu_times().system
    for child in me.children(recursive=True):
        try:
            times = child.cpu_times()
        except psutil.Error:  # exited between the listing and the read
            continue
        total += times.user + times.system
    return total


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
