"""The ingest pipeline: load -> chunk -> extract statements -> embed -> upsert, idempotent by content hash."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from retrieval.chunking import split
from retrieval.embedding import Embedder
from retrieval.errors import LoadError
from retrieval.loaders import iter_files, load_file
from retrieval.models import Article, Chunk, Speaker, Statement, content_id
from retrieval.quotes import article_speakers, extract_many
from retrieval.speakers import SpeakerIndex
from retrieval.store import ArticleWrite, Store

# Bump when chunking or extraction changes what is stored, so re-ingesting refreshes old records.
PIPELINE_VERSION = "1"
# Articles embedded together: one large encode call is much faster than many small ones.
EMBED_GROUP = 16


@dataclass(frozen=True)
class IngestOptions:
    """The knobs of one ingest run (from config [ingest])."""

    chunk_size: int = 800
    chunk_overlap: int = 100
    max_file_bytes: int = 5_000_000


@dataclass
class IngestReport:
    """What one ingest run did."""

    articles: int = 0
    chunks: int = 0
    statements: int = 0
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    article_ids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-ready summary."""
        return {
            "articles": self.articles,
            "chunks": self.chunks,
            "statements": self.statements,
            "unchanged": self.unchanged,
            "failed": [{"file": name, "reason": reason} for name, reason in self.failed],
            "article_ids": self.article_ids,
        }


@dataclass(frozen=True)
class _Prepared:
    article: Article
    content_hash: str
    chunks: list[Chunk]
    statements: list[Statement]
    speakers: list[Speaker]


def content_hash(article: Article) -> str:
    """Return the hash of everything stored for an article, so any change re-ingests it."""
    return content_id(PIPELINE_VERSION, json.dumps(article.to_dict(), sort_keys=True), size=32)


class Ingestor:
    """Runs articles through the pipeline into one store with one embedder."""

    def __init__(self, store: Store, embedder: Embedder, options: IngestOptions | None = None) -> None:
        self.store = store
        self.embedder = embedder
        self.options = options or IngestOptions()
        self.speakers = SpeakerIndex(store)

    def ingest_paths(
        self, paths: Iterable[str | Path], *, progress: Callable[[int], None] | None = None
    ) -> IngestReport:
        """Ingest files and folders; a bad file is reported by name while the good ones land."""
        report = IngestReport()
        try:
            files = iter_files(paths)
        except LoadError as exc:
            report.failed.append((exc.path, exc.reason))
            return report
        batch: list[Article] = []
        for path in files:
            try:
                batch.extend(load_file(path, max_bytes=self.options.max_file_bytes))
            except LoadError as exc:
                report.failed.append((exc.path, exc.reason))
            if len(batch) >= EMBED_GROUP:
                self.ingest_articles(batch, report)
                batch = []
            if progress:
                progress(1)
        self.ingest_articles(batch, report)
        return report

    def ingest_articles(self, articles: Sequence[Article], report: IngestReport | None = None) -> IngestReport:
        """Ingest already-loaded articles, skipping those stored unchanged."""
        report = report if report is not None else IngestReport()
        fresh: list[tuple[Article, str]] = []
        seen: set[str] = set()
        for article in articles:
            digest = content_hash(article)
            if article.id in seen or self.store.article_hash(article.id) == digest:
                report.unchanged += 1
                continue
            seen.add(article.id)
            fresh.append((article, digest))
        for start in range(0, len(fresh), EMBED_GROUP):
            self._write_group(self._prepare(fresh[start : start + EMBED_GROUP]), report)
        if fresh:
            self.speakers.invalidate()
        return report

    def _prepare(self, group: Sequence[tuple[Article, str]]) -> list[_Prepared]:
        """Chunk a group of articles and extract their statements in one parser batch."""
        # One process: forking spaCy workers beside a loaded torch model costs more than it saves per group.
        found = extract_many(((a.text, a.id) for a, _ in group), n_process=1)
        self.speakers.invalidate()  # read the corrections made since the last group
        prepared = []
        for (article, digest), statements in zip(group, found, strict=True):
            chunks = split(article, chunk_size=self.options.chunk_size, chunk_overlap=self.options.chunk_overlap)
            # Identity comes from the article alone (ids from names, never from what the index holds already), so
            # the same corpus gives the same entities in any ingest order; then the newsroom's corrections apply.
            sts, speakers = self.speakers.canonicalize(statements, article_speakers(statements))
            prepared.append(_Prepared(article, digest, chunks, sts, speakers))
        return prepared

    def _write_group(self, group: Sequence[_Prepared], report: IngestReport) -> None:
        """Embed a group's chunks and statements in one call, then store the group in batched writes."""
        texts = [c.text for p in group for c in p.chunks] + [s.text for p in group for s in p.statements]
        vectors = self.embedder.embed_documents(texts) if texts else np.zeros((0, 0), dtype=np.float32)
        chunk_at, statement_at = 0, sum(len(p.chunks) for p in group)
        writes = []
        for p in group:
            cv = vectors[chunk_at : chunk_at + len(p.chunks)]
            sv = vectors[statement_at : statement_at + len(p.statements)]
            chunk_at += len(p.chunks)
            statement_at += len(p.statements)
            writes.append(ArticleWrite(p.article, p.content_hash, p.chunks, cv, p.statements, sv, p.speakers))
        self.store.write_articles(writes)
        for p in group:
            report.articles += 1
            report.chunks += len(p.chunks)
            report.statements += len(p.statements)
            report.article_ids.append(p.article.id)
