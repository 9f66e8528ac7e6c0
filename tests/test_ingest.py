"""Ingest on both Chroma backends: idempotent, a bad file reported while the good ones land, delete by id."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.services import Services
from retrieval.filters import Filters
from retrieval.ingest import Ingestor
from retrieval.models import Article
from tests.conftest import SEED_FILE

pytestmark = pytest.mark.parametrize("store_kind", ["embedded", "server"])


def _corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(SEED_FILE, folder / "seed.txt")
    (folder / "second.json").write_text(
        '{"title": "Budget row", "source": "Example News", "published": "2024-02-01", '
        '"text": "The minister said the budget was \\"a disgrace\\". Critics disagreed, officials said."}',
        encoding="utf-8",
    )
    (folder / "corrupt.txt").write_bytes(b"\xff\xfe\x00binary\x00junk")
    (folder / "empty.md").write_text("", encoding="utf-8")
    return folder


def test_ingest_twice_changes_no_count(services: Services, tmp_path: Path) -> None:
    folder = _corpus(tmp_path)
    first = services.ingestor.ingest_paths([folder])
    counts = services.store.counts()
    second = services.ingestor.ingest_paths([folder])
    assert services.store.counts() == counts
    assert first.articles == 2 and second.articles == 0 and second.unchanged == 2
    assert counts.articles == 2 and counts.chunks >= 3


def test_bad_files_are_reported_by_name_and_good_ones_land(services: Services, tmp_path: Path) -> None:
    report = services.ingestor.ingest_paths([_corpus(tmp_path)])
    failed = {Path(name).name: reason for name, reason in report.failed}
    assert set(failed) == {"corrupt.txt", "empty.md"}
    assert report.articles == 2
    assert services.store.counts().articles == 2


def test_changed_article_replaces_its_chunks(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text('{"id": "art-1", "text": "First version. It is short."}', encoding="utf-8")
    services.ingestor.ingest_paths([path])
    path.write_text('{"id": "art-1", "text": "Second version, quite different."}', encoding="utf-8")
    report = services.ingestor.ingest_paths([path])
    assert report.articles == 1
    article = services.store.get_article("art-1")
    assert article is not None and article.text.startswith("Second")
    hits = services.searcher.passages("version", 10)
    assert [h.text for h in hits] == ["Second version, quite different."]


def test_delete_removes_article_chunks_and_statements(services: Services) -> None:
    report = services.ingestor.ingest_paths([SEED_FILE])
    (article_id,) = report.article_ids
    assert services.store.delete_article(article_id)
    counts = services.store.counts()
    assert (counts.articles, counts.chunks, counts.statements) == (0, 0, 0)
    assert not services.store.delete_article(article_id)


def test_interrupted_write_leaves_orphans_that_a_rerun_removes(services: Services) -> None:
    """A crash after the chunks but before the article record converges on the next run."""
    from retrieval.chunking import split
    from retrieval.loaders import load_file

    (article,) = load_file(SEED_FILE)
    chunks = split(article)
    services.store.chunks.upsert(
        ids=[c.id + "-stale" for c in chunks],
        embeddings=services.embedder.embed_documents([c.text for c in chunks]),
        documents=[c.text for c in chunks],
        metadatas=[{"article_id": article.id, "start": c.start, "end": c.end} for c in chunks],
    )
    services.ingestor.ingest_paths([SEED_FILE])
    clean = len(split(article))
    assert services.store.counts().chunks == clean


def test_each_distinct_text_is_embedded_once(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    text = "The minister said the budget was a disgrace. Critics disagreed."
    sent: list[list[str]] = []
    real = services.ingestor.embedder.embed_documents

    def recording(texts: list[str]) -> object:
        sent.append(list(texts))
        return real(texts)

    monkeypatch.setattr(services.ingestor.embedder, "embed_documents", recording)
    report = services.ingestor.ingest_articles([Article(id="dup-a", text=text), Article(id="dup-b", text=text)])
    embedded = [t for call in sent for t in call]
    assert len(embedded) == len(set(embedded))
    assert len(embedded) < report.chunks + report.statements  # the second article's texts cost nothing
    hits = services.searcher.passages("budget disgrace", 5)
    scores = {h.source.article_id: h.score for h in hits}
    assert set(scores) == {"dup-a", "dup-b"} and scores["dup-a"] == pytest.approx(scores["dup-b"])


def test_the_stage_hook_sees_each_stage_of_a_group_and_a_skipped_group_only_looked_up(
    services: Services, tmp_path: Path
) -> None:
    seen: list[str] = []

    @contextmanager
    def stage(name: str) -> Iterator[None]:
        seen.append(name)
        yield

    ingestor = Ingestor(services.store, services.embedder, stages=stage)
    folder = _corpus(tmp_path)
    assert ingestor.ingest_paths([folder]).articles == 2
    # two articles in one group: one lookup, their preparation (a chunking each), one encode, one write
    assert seen == ["lookup", "prepare", "chunk", "chunk", "embed", "write"]
    seen.clear()
    again = ingestor.ingest_paths([folder])
    assert again.articles == 0 and again.unchanged == 2 and seen == ["lookup"]


def test_a_many_group_file_streams_through_one_run_with_progress_and_repeats_stored_once(
    services: Services, tmp_path: Path
) -> None:
    # 40 articles make three groups, so the next group is parsed while this one is embedded and written.
    records = [
        {
            "id": f"many-{i}",
            "title": "Roads",
            "published": "2024-03-01",
            "text": f"“The road {i} is shut,” said Officer Ann Lee.",
        }
        for i in range(40)
    ]
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    seen: list[int] = []
    report = services.ingestor.ingest_paths([path], progress=lambda s: seen.append(s.articles_done))
    assert report.articles == 40 and report.unchanged == 0 and not report.failed
    assert services.store.counts().articles == 40 and services.store.incomplete_count() == 0
    assert seen == sorted(seen) and seen[-1] == 40
    for i in (0, 17, 39):
        got = services.store.get_statements(Filters(article_id=f"many-{i}"))
        assert got and all(f"The road {i} is shut" in p.text for p in got)
    # The same article twice in one run, in different groups, is stored once; a new version of an id replaces it.
    articles = [Article(id=r["id"], text=r["text"], title="Roads", published=r["published"]) for r in records[:20]]
    changed = Article(
        id="many-5", text="“The road is open again,” said Officer Lee.", title="Roads", published="2024-03-02"
    )
    again = services.ingestor.ingest_articles([*articles, articles[3], articles[18], changed])
    assert again.articles == 1 and again.unchanged == 22
    stored = services.store.get_article("many-5")
    assert stored is not None and "open again" in stored.text


def test_a_columns_i_is_stored_as_the_bylines_writer(services: Services) -> None:
    text = (
        "The plan will not pay for itself.\n\n"
        'Gov. Alan Marsh said the plan "will pay for itself within a decade."\n\n'
        "I think the governor is wrong about the money, and I said so to his staff last week."
    )
    services.ingestor.ingest_articles([Article("col-1", text, "Column", byline="By Dana Whitfield")])
    by = {p.statement.text: p.statement.speaker for p in services.store.get_statements() if p.statement}
    said = [next(sp for words, sp in by.items() if part in words) for part in ("governor is wrong", "a decade")]
    assert said == ["Dana Whitfield", "Alan Marsh"]
    assert "Dana Whitfield" in {s.name for s in services.store.list_speakers()}
