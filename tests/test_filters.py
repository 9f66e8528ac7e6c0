"""Typed filters: the store alone turns them into Chroma clauses, and each restriction holds on a real index."""

from __future__ import annotations

from bot.services import Services
from retrieval.filters import Filters
from retrieval.models import Article

ARTICLES = [
    ("f-2019", "2019-03-02", "John Kirby said the talks were “going nowhere”. Ann Lee said it was “a fair start”."),
    ("f-2021", "2021-05-05", "John Kirby said the convoy “reached the border”."),
    ("f-2024", "2024-06-01", "Ann Lee said the ceasefire was “holding firm”."),
]


def _ingest(services: Services) -> None:
    services.ingestor.ingest_articles([Article(id=i, text=t, published=d) for i, d, t in ARTICLES])


def _articles(services: Services, filters: Filters | None) -> set[str]:
    return {p.source.article_id for p in services.store.get_statements(filters)}


def test_article_date_and_speaker_filters_restrict_statements(services: Services) -> None:
    _ingest(services)
    assert _articles(services, None) == {"f-2019", "f-2021", "f-2024"}
    assert _articles(services, Filters(article_id="f-2021")) == {"f-2021"}
    assert _articles(services, Filters(article_ids=("f-2019", "f-2024"))) == {"f-2019", "f-2024"}
    assert _articles(services, Filters(since="2020-01-01")) == {"f-2021", "f-2024"}
    assert _articles(services, Filters(until="2021-12-31")) == {"f-2019", "f-2021"}
    kirby = {p.statement.speaker_id for p in services.store.get_statements(Filters(article_id="f-2021")) if p.statement}
    assert len(kirby) == 1
    by_kirby = services.store.get_statements(Filters.speakers(kirby))
    assert {p.source.article_id for p in by_kirby} == {"f-2019", "f-2021"}
    assert all(p.statement and p.statement.speaker == "John Kirby" for p in by_kirby)


def test_speakers_widen_with_also_speakers_and_leave_chunks_alone(services: Services) -> None:
    _ingest(services)
    ids = {p.statement.speaker_id for p in services.store.get_statements() if p.statement and p.statement.speaker_id}
    assert len(ids) == 2
    assert _articles(services, Filters.speakers(ids)) == {"f-2019", "f-2021", "f-2024"}
    assert Filters.speakers([]) is None
    assert Filters(speaker_id="a", also_speakers=("c", "b")).only_speakers()
    assert not Filters(speaker_id="a", since="2024-01-01").only_speakers() and not Filters().only_speakers()
    # Chunks carry no speaker: a speaker filter restricts statements only, never empties a chunk search.
    vector = services.embedder.embed_query("ceasefire")
    chunks = services.store.query_chunks(vector, 5, Filters(speaker_id=sorted(ids)[0], since="2024-01-01"))
    assert {p.source.article_id for p in chunks} == {"f-2024"}
