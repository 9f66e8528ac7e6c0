"""The ingest pipeline: load -> chunk -> extract statements -> embed -> upsert, idempotent by content hash."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext, suppress
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from retrieval.chunking import split
from retrieval.embedding import Embedder
from retrieval.errors import LoadError
from retrieval.loaders import iter_files, load_file
from retrieval.locks import ArticleLocks, LocalLocks
from retrieval.models import Article, Chunk, Speaker, Statement, content_id
from retrieval.quotes import article_speakers, by_writer, extract_many
from retrieval.quotes.process import EXTRACTION
from retrieval.speakers import SpeakerIndex
from retrieval.store import COMPLETE, DELETING, ArticleWrite, Store

# Bump when chunking or extraction changes what is stored, so re-ingesting refreshes old records.
# 2: no statements from a headline; role nouns before a name are roles; 3: learned cues; 4: the speaker chooser;
# 5: "he"/"she" agree in sex with their person; 6: role holders fit their description, scope keys hash the whole
# id, an organisation a mention names is that organisation; 7: a bare surname finds a full name past its suffix,
# names keep their whole title, an owner or employer before a name is a role, credit lines are no speaker labels;
# 8: a short given name is its formal one in entity ids ("Ben Rhodes" is benjamin-rhodes), a title-case headline
# completes a surname the body writes alone, a transcript's capitals are the name as the article writes it, "the
# Times" is the one Times the article names in full, a Census first name tells "he" from "she"
# 9: a writer's "I" outside quotation marks is no one quoted before it (the byline's one writer, if any); "a
# spokesman for YouTube" is the YouTube spokesman; a role's id keeps its owner's words; a dateline's date is no one;
# "his campaign" is the campaign of the man "his" stands for, "his aide" his
# 10: "he" continues the subject of the sentence before; definite descriptions; digest headings
# 11: organisations and families by a word's shape, "Al" a given name, an interview's "Q" no one, "X, a Republican
# who", "-born" modifiers, titled surnames for pronouns, issuing verbs; the models retrained
# 12: surnames keep their particles and Arabic article ("Ursula von der Leyen", "Bashar al-Assad"); a role's holder
# named in apposition ("The Chancellor, Rachel Reeves, said"; "the executive" after "its chief executive, Laura Chen,")
PIPELINE_VERSION = "12"
# Articles embedded together: one large encode call is much faster than many small ones.
EMBED_GROUP = 16
# Wraps each stage of an ingest group ("lookup", "prepare" with "chunk" inside it, "embed", "write"): given the
# stage's name, returns the context manager it runs in. Benchmarks pass a timer; by default nothing is done.
# "lookup" and "prepare" of the next group run on the look-ahead thread while this group's "embed" and "write" run,
# so stage wall times overlap (their sum exceeds the ingest's) and a process CPU clock read in one counts both.
Stages = Callable[[str], AbstractContextManager[object]]


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


@dataclass
class RepairReport:
    """What a repair found and (unless it was a dry run) fixed."""

    rewritten: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    orphan_articles: list[str] = field(default_factory=list)
    orphan_records: int = 0
    dry_run: bool = False

    @property
    def clean(self) -> bool:
        """Whether there was nothing to repair."""
        return not (self.rewritten or self.deleted or self.orphan_articles)

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-ready summary."""
        return {
            "dry_run": self.dry_run,
            "rewritten": self.rewritten,
            "deleted": self.deleted,
            "orphan_articles": self.orphan_articles,
            "orphan_records": self.orphan_records,
        }


@dataclass
class IngestProgress:
    """How far an ingest of files has got: files loaded, articles found in them and articles ingested."""

    files_total: int = 0
    files_done: int = 0
    articles_found: int = 0
    articles_done: int = 0


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

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        options: IngestOptions | None = None,
        *,
        locks: ArticleLocks | None = None,
        stages: Stages | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.options = options or IngestOptions()
        self.speakers = SpeakerIndex(store)
        # Writes and deletes of one article are serialised through these (Redis-backed across worker processes).
        self.locks: ArticleLocks = locks or LocalLocks()
        self.stages: Stages = stages or _untimed

    def ingest_paths(
        self, paths: Iterable[str | Path], *, progress: Callable[[IngestProgress], None] | None = None
    ) -> IngestReport:
        """Ingest files and folders; a bad file or path is reported by name while the good ones land."""
        report = IngestReport()
        files = iter_files(paths, on_error=lambda exc: report.failed.append((exc.path, exc.reason)))
        state = IngestProgress(files_total=len(files))

        def groups() -> Iterator[list[Article]]:
            # Groups of EMBED_GROUP, so a JSONL of hundreds of articles reports progress as it goes; files are read
            # as the pipeline asks for the next group.
            pending: list[Article] = []
            for i, path in enumerate(files):
                try:
                    articles = load_file(path, max_bytes=self.options.max_file_bytes)
                except LoadError as exc:
                    report.failed.append((exc.path, exc.reason))
                    articles = []
                pending.extend(articles)
                state.files_done += 1
                state.articles_found += len(articles)
                last = i == len(files) - 1
                while pending and (len(pending) >= EMBED_GROUP or last):
                    group, pending = pending[:EMBED_GROUP], pending[EMBED_GROUP:]
                    yield group
                if progress:
                    progress(state)

        def done(group: Sequence[Article]) -> None:
            state.articles_done += len(group)
            if progress:
                progress(state)

        self._run(groups(), report, force=False, after=done)
        return report

    def ingest_articles(
        self, articles: Sequence[Article], report: IngestReport | None = None, *, force: bool = False
    ) -> IngestReport:
        """Ingest already-loaded articles, skipping those stored complete and unchanged (`force` rewrites them)."""
        report = report if report is not None else IngestReport()
        groups = (articles[start : start + EMBED_GROUP] for start in range(0, len(articles), EMBED_GROUP))
        self._run(groups, report, force=force)
        return report

    def _run(
        self,
        groups: Iterable[Sequence[Article]],
        report: IngestReport,
        *,
        force: bool,
        after: Callable[[Sequence[Article]], None] | None = None,
    ) -> None:
        """Ingest groups of articles in order; the next group is checked and parsed while this one is embedded."""
        seen: dict[str, str] = {}  # id -> content hash, over the whole run

        def fresh(group: Sequence[Article]) -> list[tuple[Article, str]]:
            unique: dict[str, tuple[Article, str]] = {}
            for article in group:
                digest = content_hash(article)
                # The same article twice is stored once; a later version of an id in a later group replaces it.
                if article.id in unique or seen.get(article.id) == digest:
                    report.unchanged += 1
                    continue
                unique[article.id] = (article, digest)
            seen.update((i, d) for i, (_, d) in unique.items())
            return list(unique.values())

        wrote = False
        source = iter(groups)

        def land(group: Sequence[Article], writing: Future[tuple[set[str], list[ArticleWrite]]] | None) -> None:
            # Runs on this thread, so the report and the caller's progress callback are only touched here.
            nonlocal wrote
            if writing is not None:
                done, writes = writing.result()
                report.unchanged += len(done)
                for w in writes:
                    report.articles += 1
                    report.chunks += len(w.chunks)
                    report.statements += len(w.statements)
                    report.article_ids.append(w.article.id)
                wrote = wrote or bool(writes)
            if after:
                after(group)

        # Three stages overlap: the next group is checked and parsed (spaCy, one thread) and the previous group is
        # written to Chroma (one thread) while this one is embedded. The encoder leaves part of the cores idle
        # between its batches; the parse costs about a fifth and the write about a seventh of an ingest.
        with (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="quotebot-prepare") as ahead,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="quotebot-write") as writer,
        ):
            submitted = 0

            def submit() -> tuple[Sequence[Article], Future[tuple[set[str], list[_Prepared]]]] | None:
                nonlocal submitted
                group = next(source, None)
                if group is None:
                    return None
                # The first group is parsed here (a one-article ingest never waits for a worker process to start);
                # the rest in the extraction process, started as soon as a full first group says more may follow.
                submitted += 1
                if submitted == 1 and len(group) >= EMBED_GROUP:
                    EXTRACTION.start()
                return group, ahead.submit(self._check_and_prepare, fresh(group), force, submitted > 1)

            coming = submit()
            behind: tuple[Sequence[Article], Future[tuple[set[str], list[ArticleWrite]]] | None] | None = None
            try:
                while coming is not None:
                    group, future = coming
                    skip, prepared = future.result()
                    coming = submit()
                    report.unchanged += len(skip)
                    writes = []
                    if prepared:
                        # Extraction and embedding need no lock; only the check-and-write must not interleave with
                        # another writer or a delete of the same ids.
                        with self.stages("embed"):
                            writes = self._embed(prepared)
                    # Groups land in order, one write at a time: the previous write ends before this one starts.
                    if behind is not None:
                        pending, behind = behind, None
                        land(*pending)
                    behind = (group, writer.submit(self._write, writes, force) if writes else None)
            except BaseException:
                # A group written before the failure is still reported as stored, as it was when writes were inline.
                if behind is not None:
                    with suppress(Exception):
                        land(*behind)
                raise
            if behind is not None:
                land(*behind)
        if wrote:
            self.speakers.invalidate()

    def _write(self, writes: list[ArticleWrite], force: bool) -> tuple[set[str], list[ArticleWrite]]:
        """Store a group's embedded articles; return the ids found already stored unchanged and the writes made."""
        with self.locks.hold(w.article.id for w in writes), self.stages("write"):
            # Another writer may have stored the same content while this group was being embedded.
            done = set() if force else self._unchanged([(w.article, w.content_hash) for w in writes])
            writes = [w for w in writes if w.article.id not in done]
            self.store.write_articles(writes)
        return done, writes

    def _check_and_prepare(
        self, group: Sequence[tuple[Article, str]], force: bool, in_worker: bool = False
    ) -> tuple[set[str], list[_Prepared]]:
        """Return the ids of a group stored unchanged, and the rest chunked and parsed."""
        if not group:
            return set(), []
        with self.stages("lookup"):
            skip = set() if force else self._unchanged(group)
        fresh = [pair for pair in group if pair[0].id not in skip]
        if not fresh:
            return skip, []
        with self.stages("prepare"):
            return skip, self._prepare(fresh, in_worker)

    def unchanged_ids(self, articles: Sequence[Article]) -> set[str]:
        """Return the ids of these articles that are stored complete with this very content (an ingest skips them)."""
        found: set[str] = set()
        for start in range(0, len(articles), EMBED_GROUP):
            found |= self._unchanged([(a, content_hash(a)) for a in articles[start : start + EMBED_GROUP]])
        return found

    def _unchanged(self, group: Sequence[tuple[Article, str]]) -> set[str]:
        """Return the ids stored complete with this content: same hash, finished, every chunk and statement there."""
        stored = self.store.stored_articles([a.id for a, _ in group])
        same = [a.id for a, digest in group if a.id in stored and stored[a.id].content_hash == digest]
        same = [i for i in same if stored[i].state == COMPLETE]
        held = self.store.child_counts(same)
        return {i for i in same if held[i] == (stored[i].chunks, stored[i].statements)}

    def delete(self, article_id: str) -> bool:
        """Remove an article with everything derived from it; return whether it existed."""
        with self.locks.hold([article_id]):
            existed = self.store.delete_article(article_id)
        self.speakers.invalidate()
        return existed

    def repair(self, *, dry_run: bool = False) -> RepairReport:
        """Finish interrupted writes (from the stored text) and deletes, and remove records no article owns."""
        report = RepairReport(dry_run=dry_run)
        unfinished = self.store.unfinished_articles()
        report.deleted = sorted(a.id for a, state in unfinished if state == DELETING)
        report.rewritten = sorted(a.id for a, state in unfinished if state != DELETING)
        report.orphan_articles = sorted(self.store.orphan_article_ids())
        if dry_run:
            return report
        for article_id in report.deleted:
            self.delete(article_id)
        self.ingest_articles([a for a, state in unfinished if state != DELETING], force=True)
        if report.orphan_articles:
            with self.locks.hold(report.orphan_articles):
                # A write that began since the scan has made a record: that article is no longer an orphan.
                owned = self.store.stored_articles(report.orphan_articles)
                report.orphan_articles = [a for a in report.orphan_articles if a not in owned]
                report.orphan_records = self.store.delete_orphans(report.orphan_articles)
        self.speakers.invalidate()
        return report

    def _prepare(self, group: Sequence[tuple[Article, str]], in_worker: bool = False) -> list[_Prepared]:
        """Chunk a group of articles and extract their statements in one parser batch (here or in the worker)."""
        items = [(a.text, a.id) for a, _ in group]
        found = EXTRACTION.extract(items) if in_worker else extract_many(items, n_process=1)
        self.speakers.invalidate()  # read the corrections made since the last group
        prepared = []
        for (article, digest), statements in zip(group, found, strict=True):
            # A headline is the desk's summary, not anyone's statement: what it attributes is stored from the body.
            top = headline_end(article)
            statements = by_writer([s for s in statements if s.start >= top], article.byline, article.text)
            with self.stages("chunk"):
                chunks = split(article, chunk_size=self.options.chunk_size, chunk_overlap=self.options.chunk_overlap)
            # Identity comes from the article alone (ids from names, never from what the index holds already), so
            # the same corpus gives the same entities in any ingest order; then the newsroom's corrections apply.
            sts, speakers = self.speakers.canonicalize(statements, article_speakers(statements, article.text))
            prepared.append(_Prepared(article, digest, chunks, sts, speakers))
        return prepared

    def _embed(self, group: Sequence[_Prepared]) -> list[ArticleWrite]:
        """Embed a group's chunks and statements in one encode call; return the group ready to store."""
        texts = [c.text for p in group for c in p.chunks] + [s.text for p in group for s in p.statements]
        # Each distinct text is encoded once and its vector scattered back: a statement that is a whole chunk,
        # a quote repeated in an article or across a group's articles costs nothing more.
        unique = list(dict.fromkeys(texts))
        at = {text: i for i, text in enumerate(unique)}
        encoded = self.embedder.embed_documents(unique) if unique else np.zeros((0, 0), dtype=np.float32)
        vectors = encoded[[at[t] for t in texts]] if texts else encoded
        chunk_at, statement_at = 0, sum(len(p.chunks) for p in group)
        writes = []
        for p in group:
            cv = vectors[chunk_at : chunk_at + len(p.chunks)]
            sv = vectors[statement_at : statement_at + len(p.statements)]
            chunk_at += len(p.chunks)
            statement_at += len(p.statements)
            writes.append(ArticleWrite(p.article, p.content_hash, p.chunks, cv, p.statements, sv, p.speakers))
        return writes


def _untimed(_stage: str) -> AbstractContextManager[object]:
    return nullcontext()


def headline_end(article: Article) -> int:
    """Return where the article's headline ends when its text opens with it (0 when it does not)."""
    first = article.text.split("\n", 1)[0]
    if article.title and _letters(first) == _letters(article.title):
        return len(first)
    return 0


def _letters(text: str) -> str:
    """Return only the letters and digits of a text, lower-cased (headlines differ in punctuation)."""
    return "".join(ch for ch in text.lower() if ch.isalnum())
