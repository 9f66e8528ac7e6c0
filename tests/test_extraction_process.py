"""The extraction worker process: the same statements as in-process extraction, and no group lost when it dies."""

from __future__ import annotations

from pathlib import Path

from retrieval.quotes import extract_many
from retrieval.quotes.process import ExtractionProcess

ROOT = Path(__file__).resolve().parent.parent


def articles() -> list[tuple[str, str]]:
    seed = [(p.read_text(), p.stem) for p in sorted((ROOT / "seeds").glob("*.txt"))]
    own = [
        ('"We are ready," said Ana Ortiz, the mayor. "We have been for weeks." Ortiz said taxes would not rise.', "a"),
        ("The minister told reporters that the budget was balanced. He added that cuts were over.", "b"),
    ]
    return seed + own


def test_worker_extracts_what_the_process_does() -> None:
    worker = ExtractionProcess()
    try:
        items = articles()
        got = worker.extract(items)
        assert got == list(extract_many(items, n_process=1))
        assert all(got) and any(s.speaker for s in got[-2])
        assert worker.extract(items[-1:]) == got[-1:]  # the same worker answers again
    finally:
        worker.close()


def test_a_dead_worker_costs_no_group() -> None:
    worker = ExtractionProcess()
    try:
        items = articles()[-2:]
        first = worker.extract(items)
        child = worker._child
        assert child is not None
        child.kill()
        child.wait()
        assert worker.extract(items) == first  # parsed in-process this time
        assert worker.extract(items) == first  # and a new worker answers the next one
        assert worker._child is not None and worker._child.pid != child.pid
    finally:
        worker.close()
