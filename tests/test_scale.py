"""Per-request reads that must not grow with the corpus: the speaker index and a speaker's newest statements."""

from __future__ import annotations

import difflib
import random
import threading
import time
from typing import Any

import pytest

import retrieval.speakers as speakers_module
import retrieval.store as store_module
from bot import create_app
from bot.services import Services
from retrieval.filters import Filters
from retrieval.models import Article, Passage
from retrieval.speakers import SpeakerIndex, _fuzzy
from retrieval.store import Store

KIRBY = [
    ("k-2019", "2019-03-02", "John Kirby said the talks were “going nowhere”. Kirby added: “We will keep trying.”"),
    ("k-2024", "2024-06-01", "John Kirby said the ceasefire was “holding firm”."),
    ("k-2021a", "2021-05-05", "John Kirby said the convoy “reached the border”."),
    ("k-2021b", "2021-05-05", "John Kirby said the aid was “not enough”. He said the roads were “closed again”."),
]


def _kirby(seeded: Services) -> list[str]:
    seeded.ingestor.ingest_articles([Article(id=i, text=t, published=d) for i, d, t in KIRBY])
    found = SpeakerIndex(seeded.store).resolve("John Kirby")
    assert found is not None
    return [found.id]


def _newest_by_full_read(store: Store, ids: list[str]) -> list[Passage]:
    """What "what did X say?" shows without a topic: every statement of X, newest date first, then article order."""
    return sorted(store.get_statements(Filters.speakers(ids)), key=lambda p: p.source.published, reverse=True)


def test_latest_statements_equal_the_full_read_newest_first(seeded: Services) -> None:
    ids = _kirby(seeded)
    full = _newest_by_full_read(seeded.store, ids)
    assert len(full) >= 5
    for n in range(1, len(full) + 2):
        got = seeded.store.latest_statements(ids, n)
        assert got is not None
        assert [p.statement.id for p in got if p.statement] == [p.statement.id for p in full[:n] if p.statement]


def test_latest_statements_read_only_as_many_statements_as_asked(seeded: Services, monkeypatch: Any) -> None:
    ids = _kirby(seeded)
    asked: list[int] = []
    real = seeded.store.statements_by_ids
    monkeypatch.setattr(seeded.store, "statements_by_ids", lambda wanted: asked.append(len(wanted)) or real(wanted))
    got = seeded.store.latest_statements(ids, 2)
    assert got is not None and len(got) == 2
    assert asked == [2]


def test_latest_statements_follow_a_delete(seeded: Services) -> None:
    ids = _kirby(seeded)
    newest = seeded.store.latest_statements(ids, 1)
    assert newest and newest[0].source.article_id == "k-2024"
    assert seeded.ingestor.delete("k-2024")
    after = seeded.store.latest_statements(ids, 1)
    assert after and after[0].source.article_id != "k-2024"
    assert [p.statement.id for p in seeded.store.latest_statements(ids, 10) or [] if p.statement] == [
        p.statement.id for p in _newest_by_full_read(seeded.store, ids) if p.statement
    ]


def test_latest_statements_decline_past_what_the_records_keep(seeded: Services, monkeypatch: Any) -> None:
    monkeypatch.setattr(store_module, "LATEST_KEPT", 2)
    ids = _kirby(seeded)
    assert seeded.store.latest_statements(ids, 2) is not None
    assert seeded.store.latest_statements(ids, 3) is None  # the caller falls back to the full read


def test_a_due_refresh_never_reads_the_speaker_index_on_the_request_thread(
    seeded: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = SpeakerIndex(seeded.store)
    assert index.resolve("John Kirby") is not None  # the first lookup loads the index
    seeded.ingestor.ingest_articles([Article(id="roe-1", text="Jane Roe said the bridge was “safe for years”.")])
    readers: list[str] = []
    real = seeded.store.list_speakers
    monkeypatch.setattr(
        seeded.store, "list_speakers", lambda ids=None: readers.append(threading.current_thread().name) or real(ids)
    )
    monkeypatch.setattr(speakers_module, "_CACHE_SECONDS", 0.0)
    assert index.resolve("Jane Roe") is None  # answered from the index as it was, without waiting for the store
    assert threading.current_thread().name not in readers
    deadline = time.monotonic() + 30
    while index.resolve("Jane Roe") is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert index.resolve("Jane Roe") is not None  # the background reload brought the new speaker in
    assert readers and set(readers) == {"speaker-index-refresh"}


def test_invalidate_still_reads_the_processes_own_ingest_at_once(seeded: Services) -> None:
    index = seeded.speakers
    assert index.resolve("Jane Roe") is None
    seeded.ingestor.ingest_articles([Article(id="roe-1", text="Jane Roe said the bridge was “safe for years”.")])
    assert index.resolve("Jane Roe") is not None


@pytest.mark.parametrize("cutoff", [0.5, 0.85])
def test_fuzzy_matches_equal_difflib_over_every_key(cutoff: float) -> None:
    rnd = random.Random(5)
    keys = sorted(
        {"".join(rnd.choice("abcde ") for _ in range(rnd.randint(1, 14))).strip() for _ in range(3000)} - {""}
    )
    by_length: dict[int, list[str]] = {}
    for k in keys:
        by_length.setdefault(len(k), []).append(k)
    for _ in range(300):
        typed = "".join(rnd.choice("abcde ") for _ in range(rnd.randint(1, 14))).strip() or "a"
        assert _fuzzy(typed, by_length, 3, cutoff) == difflib.get_close_matches(typed, keys, n=3, cutoff=cutoff)


def test_speaker_recounts_read_a_page_at_a_time(seeded: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """A popular speaker's statements are counted in pages: one get() of ~32k rows fails inside Chroma."""
    monkeypatch.setattr(store_module, "SCAN_PAGE", 2)
    ids = _kirby(seeded)
    full = _newest_by_full_read(seeded.store, ids)
    kirby = seeded.store.get_speaker(ids[0])
    assert kirby is not None and kirby.statement_count == len(full) > 2
    got = seeded.store.latest_statements(ids, len(full))
    assert got is not None and [p.statement.id for p in got if p.statement] == [
        p.statement.id for p in full if p.statement
    ]


def test_who_said_and_verify_never_scan_the_full_text_index(seeded: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    # Chroma's full-text filter scans every document of every collection: its cost grows with the corpus.
    collection = type(seeded.store.statements)
    calls: list[tuple[str, dict[str, Any]]] = []
    for name in ("get", "query"):
        real = getattr(collection, name)

        def spy(self: Any, *args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            calls.append((_name, kwargs))
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(collection, name, spy)
    client = create_app(services=seeded).test_client()
    for body in (
        {"question": "who called the claim ludicrous?"},
        {"question": "Who said Putin deserves to be sentenced?"},
        {"question": "Did Kirby say Putin deserves to be sentenced?"},
    ):
        assert client.post("/ask", json=body).status_code == 200
    verdict = client.post("/verify", json={"quote": "Putin deserves to be sentenced", "speaker": "Kirby"}).get_json()
    assert verdict["label"] == "misattributed"
    assert calls, "the spy saw no Chroma reads"
    assert not [c for c in calls if c[1].get("where_document")]


def test_a_speakers_statements_are_ranked_exactly_by_the_ids_their_record_keeps(seeded: Services) -> None:
    ids = _kirby(seeded)
    vector = seeded.embedder.embed_query("the ceasefire is holding")
    ranked = seeded.store.rank_statements(vector, ids)
    assert ranked is not None
    assert sorted(p.statement.id for p in ranked if p.statement) == sorted(
        p.statement.id for p in _newest_by_full_read(seeded.store, ids) if p.statement
    )
    scores = [p.score for p in ranked]
    assert scores == sorted(scores, reverse=True)
    assert "holding firm" in ranked[0].text
    # A speakers-only search answers from the exact ranking, a wider filter from the index.
    got = seeded.store.query_statements(vector, 2, Filters.speakers(ids))
    assert [p.statement.id for p in got if p.statement] == [p.statement.id for p in ranked[:2] if p.statement]
    dated = seeded.store.query_statements(vector, 5, Filters(speaker_id=ids[0], since="2021-01-01"))
    assert dated and all(p.source.published >= "2021-01-01" for p in dated)


def test_the_exact_ranking_declines_a_speaker_who_said_more_than_the_record_keeps(
    seeded: Services, monkeypatch: Any
) -> None:
    monkeypatch.setattr(store_module, "LATEST_KEPT", 2)
    ids = _kirby(seeded)
    vector = seeded.embedder.embed_query("the ceasefire is holding")
    assert seeded.store.rank_statements(vector, ids) is None
    got = seeded.store.query_statements(vector, 3, Filters.speakers(ids))  # the index search answers instead
    assert len(got) == 3 and all(p.statement and p.statement.speaker_id in ids for p in got)
