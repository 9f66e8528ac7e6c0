"""Chroma collections behind one Store class; the only module that imports chromadb.

Longer than most modules (~680 lines) on purpose: every read and write of the five collections and the protocol
that keeps them consistent (record states, speaker refresh, corrections, repair scans) sit with the one importer
of chromadb. The metadata layout lives apart in retrieval/records.py, the filters in retrieval/filters.py.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings

from retrieval.embedding import Vectors
from retrieval.errors import StoreUnavailableError
from retrieval.filters import Filters
from retrieval.identity.corrections import Correction
from retrieval.identity.corrections import apply as apply_corrections
from retrieval.identity.keys import name_rank
from retrieval.models import Article, Chunk, Passage, Source, Speaker, Statement
from retrieval.records import (  # re-exported: callers read the states and StoredArticle from the store
    COMPLETE,
    DELETING,
    WRITING,
    StoredArticle,
    article_meta,
    article_of,
    chunk_meta,
    published_int,
    source_of,
    speaker_meta,
    speaker_of,
    statement_meta,
    statement_passage,
    stored_of,
)

# Articles and speakers are looked up by id and metadata, never by vector, but Chroma wants an embedding
# for every record: a constant unit vector keeps those collections cheap.
_UNIT_DIM = 1


def _units(n: int) -> Vectors:
    return np.ones((n, _UNIT_DIM), dtype=np.float32)


_COSINE = {"hnsw:space": "cosine"}
_COLLECTIONS = ("articles", "chunks", "statements", "speakers", "corrections")

# Articles a crash left half-written or half-deleted (the states are described in retrieval/records.py).
_UNFINISHED: Any = {"state": {"$in": [WRITING, DELETING]}}
# Rows per page when a repair reads a whole collection, so memory stays flat however large the index is.
SCAN_PAGE = 5000
# Newest statement ids kept on each speaker record, so "what did X say?" reads a few records, not all of X's.
LATEST_KEPT = 100


@dataclass(frozen=True)
class ArticleWrite:
    """One article with everything derived from it, ready to store."""

    article: Article
    content_hash: str
    chunks: Sequence[Chunk]
    chunk_vectors: Vectors
    statements: Sequence[Statement] = ()
    statement_vectors: Vectors = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    speakers: Sequence[Speaker] = ()


@dataclass(frozen=True)
class Counts:
    """How many records each collection holds."""

    articles: int
    chunks: int
    statements: int
    speakers: int

    def to_dict(self) -> dict[str, int]:
        """Return the counts by collection name."""
        return dict(self.__dict__)


def _server_url(url: str) -> Any:
    """Return `url` parsed, or raise ValueError when it is not an http(s)://host[:port] URL."""
    parsed = urlparse(url)
    if parsed.scheme not in {"http", "https"} or not parsed.hostname:
        raise ValueError(f"store.url must look like http://host:port, got {url!r}")
    return parsed


def open_client(*, path: str = "", url: str = "", timeout: float = 5.0) -> ClientAPI:
    """Return a Chroma HttpClient for `url`, else a PersistentClient at `path`, telemetry off."""
    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    parsed = _server_url(url) if url else None
    try:
        if parsed is not None:
            settings.chroma_query_request_timeout_seconds = int(max(1, timeout))
            return chromadb.HttpClient(
                host=parsed.hostname,
                port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                ssl=parsed.scheme == "https",
                settings=settings,
            )
        Path(path).mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=path, settings=settings)
    except Exception as exc:  # chromadb raises ValueError or plain Exceptions for connection failures
        raise StoreUnavailableError(f"cannot open the Chroma store ({url or path}): {exc}") from exc


@contextmanager
def _reachable(what: str) -> Iterator[None]:
    """Turn connection failures into StoreUnavailableError so callers fail fast and clearly."""
    try:
        yield
    except (ConnectionError, TimeoutError, OSError) as exc:
        raise StoreUnavailableError(f"Chroma store unreachable while {what}: {exc}") from exc
    except Exception as exc:
        # httpx errors and chromadb's own wrappers do not share a base class we can import cheaply.
        if type(exc).__module__.startswith(("httpx", "httpcore")) or "Connect" in type(exc).__name__:
            raise StoreUnavailableError(f"Chroma store unreachable while {what}: {exc}") from exc
        raise


class Store:
    """The articles, chunks, statements and speakers collections of one index.

    The client connects on first use, not in the constructor, and a failed connection is retried by the next call:
    a process can start while the Chroma server is down and serves as soon as it is back.
    """

    def __init__(self, client: ClientAPI | Callable[[], ClientAPI], *, prefix: str = "quotebot", lazy: bool = False):
        if not prefix:
            raise ValueError("prefix must not be empty")
        self.prefix = prefix
        self._connect: Callable[[], ClientAPI] = client if callable(client) else (lambda: client)
        self._client: ClientAPI | None = None
        self._cols: dict[str, Collection] | None = None
        self._opening = threading.Lock()
        if not lazy:
            self._open()

    @classmethod
    def open(
        cls, *, path: str = "", url: str = "", prefix: str = "quotebot", timeout: float = 5.0, lazy: bool = False
    ) -> Store:
        """Open (creating if needed) the index at `url` or `path`; `lazy` connects on first use instead of now."""
        if url:
            _server_url(url)  # a malformed URL is a ValueError now, not at the first request
        return cls(lambda: open_client(path=path, url=url, timeout=timeout), prefix=prefix, lazy=lazy)

    def _open(self) -> dict[str, Collection]:
        """Return the collections, connecting first if this is the first use or the last attempt failed."""
        cols = self._cols
        if cols is not None:
            return cols
        with self._opening:
            if self._cols is None:
                with _reachable("opening collections"):
                    client = self._connect()
                    # embedding_function=None: we always pass our own vectors, so Chroma never downloads its model.
                    self._cols = {
                        name: client.get_or_create_collection(
                            f"{self.prefix}_{name}", metadata=_COSINE, embedding_function=None
                        )
                        for name in _COLLECTIONS
                    }
                    self._client = client
            return self._cols

    @property
    def client(self) -> ClientAPI:
        """The Chroma client (connecting on first use)."""
        self._open()
        assert self._client is not None
        return self._client

    @property
    def articles(self) -> Collection:
        """Article records: text and metadata, the commit mark of each article."""
        return self._open()["articles"]

    @property
    def chunks(self) -> Collection:
        """Chunk records with their vectors."""
        return self._open()["chunks"]

    @property
    def statements(self) -> Collection:
        """Statement records with their vectors."""
        return self._open()["statements"]

    @property
    def speakers(self) -> Collection:
        """The speaker index (looked up by id and metadata)."""
        return self._open()["speakers"]

    @property
    def corrections(self) -> Collection:
        """Editorial identity fixes (merge, split, rename, add role), applied at ingest too."""
        return self._open()["corrections"]

    # ---- reads -------------------------------------------------------------------------------------------

    def ping(self) -> bool:
        """Return whether the store answers."""
        try:
            with _reachable("pinging"):
                self.client.heartbeat()
            return True
        except StoreUnavailableError:
            return False

    def counts(self) -> Counts:
        """Return the record count of every collection."""
        with _reachable("counting"):
            return Counts(self.articles.count(), self.chunks.count(), self.statements.count(), self.speakers.count())

    def incomplete_count(self) -> int:
        """Return how many article records a write or delete left unfinished (0 on a healthy index)."""
        with _reachable("counting unfinished articles"):
            got = self.articles.get(where=_UNFINISHED, include=[])
        return len(got["ids"])

    def stored_articles(self, article_ids: Sequence[str]) -> dict[str, StoredArticle]:
        """Return what is recorded about each of these articles that has a record (one query)."""
        if not article_ids:
            return {}
        with _reachable("reading articles"):
            got = self.articles.get(ids=list(dict.fromkeys(article_ids)), include=["metadatas"])
        return {i: stored_of(i, m) for i, m in zip(got["ids"], got["metadatas"] or [], strict=True)}

    def child_counts(self, article_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
        """Return the (chunks, statements) actually stored for each article id (one query per collection)."""
        if not article_ids:
            return {}
        where: Any = {"article_id": {"$in": list(dict.fromkeys(article_ids))}}
        with _reachable("counting an article's records"):
            chunks = self.chunks.get(where=where, include=["metadatas"])["metadatas"] or []
            statements = self.statements.get(where=where, include=["metadatas"])["metadatas"] or []
        nc = Counter(str(m["article_id"]) for m in chunks)
        ns = Counter(str(m["article_id"]) for m in statements)
        return {a: (nc[a], ns[a]) for a in article_ids}

    def get_article(self, article_id: str) -> Article | None:
        """Return a stored article, or None; one that is being written or deleted counts as absent."""
        with _reachable("reading an article"):
            got = self.articles.get(ids=[article_id], include=["metadatas", "documents"])
        if not got["ids"]:
            return None
        meta = (got["metadatas"] or [{}])[0]
        if meta.get("state", COMPLETE) != COMPLETE:
            return None
        return article_of(article_id, meta, (got["documents"] or [""])[0] or "")

    def unfinished_articles(self) -> list[tuple[Article, str]]:
        """Return every article whose write or delete was interrupted, with its state."""
        with _reachable("reading unfinished articles"):
            got = self.articles.get(where=_UNFINISHED, include=["metadatas", "documents"])
        return [
            (article_of(i, m, d or ""), str(m["state"]))
            for i, m, d in zip(got["ids"], got["metadatas"] or [], got["documents"] or [], strict=True)
        ]

    def orphan_article_ids(self) -> set[str]:
        """Return the article ids that chunks or statements name but no article record has (a full scan)."""
        with _reachable("scanning for orphans"):
            recorded = set(self._scan_ids(self.articles, None))
            named = set(self._scan_ids(self.chunks, "article_id")) | set(self._scan_ids(self.statements, "article_id"))
        return named - recorded

    def _scan_ids(self, collection: Collection, key: str | None) -> Iterator[str]:
        """Yield every record's id (key None) or metadata value `key`, a page at a time."""
        offset = 0
        while True:
            got = collection.get(include=["metadatas"] if key else [], limit=SCAN_PAGE, offset=offset)
            if not got["ids"]:
                return
            yield from (str(m[key]) for m in got["metadatas"] or []) if key else got["ids"]
            offset += len(got["ids"])

    def _paged(self, collection: Collection, where: Any) -> tuple[list[str], list[Any]]:
        """Return the ids and metadatas of every record matching `where`, read a page at a time.

        One unpaged get() of more than ~32k rows fails inside Chroma ("too many SQL variables"): a popular speaker
        passes that at about 100k chunks.
        """
        ids: list[str] = []
        metas: list[Any] = []
        while True:
            got = collection.get(where=where, include=["metadatas"], limit=SCAN_PAGE, offset=len(ids))
            ids += got["ids"]
            metas += got["metadatas"] or []
            if len(got["ids"]) < SCAN_PAGE:
                return ids, metas

    def _citable(self, passages: list[Passage]) -> list[Passage]:
        """Drop passages whose article is not stored complete, so an orphan or a half-written article is never cited."""
        if not passages:
            return passages
        stored = self.stored_articles([p.source.article_id for p in passages])
        ok = {a for a, s in stored.items() if s.state == COMPLETE}
        return [p for p in passages if p.source.article_id in ok]

    def query_chunks(self, vector: Vectors, top_k: int, filters: Filters | None = None) -> list[Passage]:
        """Return the `top_k` chunks nearest to `vector` as passages, best first."""
        with _reachable("searching chunks"):
            res = self.chunks.query(
                query_embeddings=np.asarray([vector], dtype=np.float32),
                n_results=top_k,
                where=chroma_where(filters, statements=False),
                include=["metadatas", "documents", "distances"],
            )
        out = []
        for meta, doc, dist in zip(res["metadatas"][0], res["documents"][0], res["distances"][0], strict=True):  # type: ignore[index]
            out.append(Passage(source_of(meta), int(meta["start"]), int(meta["end"]), doc or "", 1.0 - float(dist)))
        return self._citable(out)

    def query_statements(self, vector: Vectors, top_k: int, filters: Filters | None = None) -> list[Passage]:
        """Return the `top_k` statements nearest to `vector`, best first."""
        if filters is not None and filters.only_speakers():
            # Ranked exactly when the speaker records list every statement: the index search is slow under a filter
            # this selective. A prolific speaker's filter is not selective, and the index search serves it.
            ranked = self.rank_statements(vector, filters.speaker_ids())
            if ranked is not None:
                return ranked[:top_k]
        with _reachable("searching statements"):
            res = self.statements.query(
                query_embeddings=np.asarray([vector], dtype=np.float32),
                n_results=top_k,
                where=chroma_where(filters, statements=True),
                include=["metadatas", "documents", "distances"],
            )
        ids, metas, docs, dists = res["ids"][0], res["metadatas"][0], res["documents"][0], res["distances"][0]  # type: ignore[index]
        return self._citable(
            [
                statement_passage(i, m, d or "", 1.0 - float(x))
                for i, m, d, x in zip(ids, metas, docs, dists, strict=True)
            ]
        )

    def rank_statements(self, vector: Vectors, speaker_ids: Sequence[str]) -> list[Passage] | None:
        """Return every statement of these speakers, nearest to `vector` first, or None past what their records list.

        An exact ranking by ids the speaker records keep (all of a speaker's, up to LATEST_KEPT). At 200k
        statements Chroma's HNSW search under so selective a filter walks most of the graph (0.3-0.6 s a query
        in a probe at 101k chunks), and even the metadata filter alone cost 30-100 ms, where a read by id costs a
        few milliseconds.
        """
        if not speaker_ids:
            return []
        wanted = list(dict.fromkeys(speaker_ids))
        with _reachable("reading speakers"):
            got = self.speakers.get(ids=wanted, include=["metadatas"])
        if len(got["ids"]) < len(wanted):
            return None
        ids: list[str] = []
        for meta in got["metadatas"] or []:
            kept = json.loads(str(meta.get("latest", "null")))
            if kept is None or len(kept) < int(str(meta.get("statement_count", 0))):
                return None
            ids += kept
        if not ids:
            return []
        with _reachable("reading statements"):
            res = self.statements.get(ids=ids, include=["metadatas", "documents", "embeddings"])
        if not res["ids"]:
            return []
        scores = np.asarray(res["embeddings"], dtype=np.float32) @ np.asarray(vector, dtype=np.float32)  # unit vectors
        rows = zip(res["ids"], res["metadatas"] or [], res["documents"] or [], scores.tolist(), strict=True)
        ranked = sorted(rows, key=lambda r: -r[3])
        return self._citable([statement_passage(i, m, d or "", float(x)) for i, m, d, x in ranked])

    def get_statements(self, filters: Filters | None = None, *, limit: int | None = None) -> list[Passage]:
        """Return statements matching a metadata filter, in article order.

        No full-text filter: Chroma's scans every document of every collection, so its cost grows with the corpus.
        """
        with _reachable("reading statements"):
            res = self.statements.get(
                where=chroma_where(filters, statements=True),
                limit=limit,
                include=["metadatas", "documents"],
            )
        hits = [
            statement_passage(i, m, d or "", 1.0)
            for i, m, d in zip(res["ids"], res["metadatas"] or [], res["documents"] or [], strict=True)
        ]
        return sorted(self._citable(hits), key=lambda p: (p.source.published, p.source.article_id, p.start))

    def statements_by_ids(self, ids: Sequence[str]) -> list[Passage]:
        """Return the statements with these ids, in the order given (missing ones left out)."""
        if not ids:
            return []
        with _reachable("reading statements"):
            res = self.statements.get(ids=list(ids), include=["metadatas", "documents"])
        found = {
            p.statement.id: p
            for p in self._citable(
                [
                    statement_passage(i, m, d or "", 1.0)
                    for i, m, d in zip(res["ids"], res["metadatas"] or [], res["documents"] or [], strict=True)
                ]
            )
            if p.statement is not None
        }
        return [found[i] for i in ids if i in found]

    def latest_statements(self, speaker_ids: Sequence[str], n: int) -> list[Passage] | None:
        """Return the `n` newest statements of these speakers (newest date first, then article order).

        Reads the newest-first id lists kept on the speaker records: a bounded read however many statements a
        speaker has. Returns None when a record predates those lists or `n` reaches past what they hold; the caller
        then filters all of the speakers' statements instead.
        """
        if n <= 0:
            raise ValueError(f"n must be positive, got {n}")
        if not speaker_ids:
            return []
        with _reachable("reading speakers"):
            got = self.speakers.get(ids=list(dict.fromkeys(speaker_ids)), include=["metadatas"])
        ids: list[str] = []
        for meta in got["metadatas"] or []:
            if "latest" not in meta:
                return None
            kept = json.loads(str(meta["latest"]))
            if len(kept) < min(n, int(str(meta.get("statement_count", 0)))):
                return None
            ids += kept[:n]
        found = self.statements_by_ids(ids)
        found.sort(key=lambda p: (p.source.article_id, p.start))
        return sorted(found, key=lambda p: p.source.published, reverse=True)[:n]

    def get_speaker(self, speaker_id: str) -> Speaker | None:
        """Return one speaker from the speaker index, or None."""
        found = self.list_speakers(ids=[speaker_id])
        return found[0] if found else None

    def list_speakers(self, ids: Sequence[str] | None = None) -> list[Speaker]:
        """Return speakers (all, or those with the given ids), most statements first."""
        if ids is not None and not ids:
            return []  # Chroma refuses an empty id list: a correction of an entity no statement has yet changes none
        with _reachable("reading speakers"):
            res = self.speakers.get(ids=list(ids) if ids is not None else None, include=["metadatas"])
        speakers = [speaker_of(i, m) for i, m in zip(res["ids"], res["metadatas"] or [], strict=True)]
        return sorted(speakers, key=lambda s: (-s.statement_count, s.name))

    # ---- writes ------------------------------------------------------------------------------------------

    def write_articles(self, items: Sequence[ArticleWrite]) -> None:
        """Write articles with their chunks and statements in a few batched calls.

        The article records go first, marked WRITING, and are marked COMPLETE last: a crash in between leaves records
        that say the article is unfinished, so nothing of it is cited, the next ingest rewrites it and `repair` can
        finish it from the stored text. Callers hold the articles' locks (see retrieval.locks).
        """
        if not items:
            return
        ids = [item.article.id for item in items]
        chunk_rows: list[tuple[str, Vectors, str, dict[str, Any]]] = []
        statement_rows: list[tuple[str, Vectors, str, dict[str, Any]]] = []
        for item in items:
            source = Source.of(item.article)
            chunk_rows += [
                (c.id, v, c.text, chunk_meta(c, source)) for c, v in zip(item.chunks, item.chunk_vectors, strict=True)
            ]
            statement_rows += [
                (st.id, v, st.text, statement_meta(st, source))
                for st, v in zip(item.statements, item.statement_vectors, strict=True)
            ]
        with _reachable("writing articles"):
            self._put_articles(items, WRITING)
            where: Any = {"article_id": {"$in": ids}}
            self.chunks.delete(where=where)
            self.statements.delete(where=where)
            self._upsert(self.chunks, chunk_rows)
            self._upsert(self.statements, statement_rows)
            self._refresh_speakers([sp for item in items for sp in item.speakers])
            # The text and vector went in with `writing`: only the state changes, so only the metadata is written.
            self.articles.update(ids=ids, metadatas=[self._article_meta(item, COMPLETE) for item in items])

    def _article_meta(self, item: ArticleWrite, state: str) -> dict[str, Any]:
        """Return the metadata of an article record in this state."""
        return article_meta(item.article, item.content_hash, len(item.chunks), len(item.statements), state)

    def _put_articles(self, items: Sequence[ArticleWrite], state: str) -> None:
        self.articles.upsert(
            ids=[item.article.id for item in items],
            embeddings=_units(len(items)),
            documents=[item.article.text for item in items],
            metadatas=[self._article_meta(item, state) for item in items],
        )

    def _upsert(self, collection: Collection, rows: Sequence[tuple[str, Vectors, str, dict[str, Any]]]) -> None:
        step = self._batch()
        for start in range(0, len(rows), step):
            part = rows[start : start + step]
            collection.upsert(
                ids=[r[0] for r in part],
                embeddings=np.asarray([r[1] for r in part], dtype=np.float32),
                documents=[r[2] for r in part],
                metadatas=[r[3] for r in part],
            )

    def delete_article(self, article_id: str) -> bool:
        """Remove an article with its chunks and statements; return whether it existed.

        The record is marked DELETING first and removed last, so an interrupted delete is never half-visible and
        `repair` finishes it. Callers hold the article's lock.
        """
        with _reachable("deleting an article"):
            got = self.articles.get(ids=[article_id], include=["metadatas"])
            existed = bool(got["ids"])
            if existed:
                meta = dict((got["metadatas"] or [{}])[0])
                existed = meta.get("state", COMPLETE) != DELETING
                self.articles.update(ids=[article_id], metadatas=[{**meta, "state": DELETING}])
            affected = {
                str(m["speaker_id"])
                for m in self.statements.get(where={"article_id": article_id}, include=["metadatas"])["metadatas"] or []
                if m.get("speaker_id")
            }
            self._delete_children([article_id])
            self.articles.delete(ids=[article_id])
            if affected:
                self._refresh_speakers(self.list_speakers(ids=sorted(affected)))
        return existed

    def delete_orphans(self, article_ids: Sequence[str]) -> int:
        """Remove the chunks and statements of articles that have no record; return how many were removed."""
        if not article_ids:
            return 0
        where: Any = {"article_id": {"$in": list(article_ids)}}
        with _reachable("removing orphans"):
            speakers = {
                str(m["speaker_id"])
                for m in self.statements.get(where=where, include=["metadatas"])["metadatas"] or []
                if m.get("speaker_id")
            }
            before = self.chunks.count() + self.statements.count()
            self._delete_children(article_ids)
            removed = before - self.chunks.count() - self.statements.count()
            if speakers:
                self._refresh_speakers(self.list_speakers(ids=sorted(speakers)))
        return removed

    def _delete_children(self, article_ids: Sequence[str]) -> None:
        """Remove the chunks and statements of these articles."""
        where: Any = {"article_id": {"$in": list(article_ids)}}
        self.chunks.delete(where=where)
        self.statements.delete(where=where)

    def _refresh_speakers(self, speakers: Sequence[Speaker]) -> None:
        """Merge speakers into the index and recount their statements (one query); drop those left with none."""
        incoming: dict[str, Speaker] = {}
        for sp in speakers:
            old = incoming.get(sp.id)
            incoming[sp.id] = (
                sp
                if old is None
                else replace(
                    old,
                    name=min(old.name, sp.name, key=name_rank),
                    aliases=(*old.aliases, *sp.aliases),
                    roles=(*old.roles, *sp.roles),
                    affiliations=(*old.affiliations, *sp.affiliations),
                )
            )
        if not incoming:
            return
        known = {s.id: s for s in self.list_speakers(ids=list(incoming))}
        renamed = {c.speaker_id: c.name for c in self.list_corrections() if c.op == "rename"}
        where: Any = {"speaker_id": {"$in": list(incoming)}}
        ids, metas = self._paged(self.statements, where)
        counts = Counter(str(m["speaker_id"]) for m in metas)
        latest = _latest_ids(ids, metas)
        keep: list[Speaker] = []
        drop: list[Speaker] = []
        for sp in incoming.values():
            old = known.get(sp.id)
            aliases = tuple(sorted(set(sp.aliases) | set(old.aliases if old else ())))
            roles = tuple(sorted(set(sp.roles) | set(old.roles if old else ())))
            affs = tuple(sorted(set(sp.affiliations) | set(old.affiliations if old else ())))
            # the display name is chosen by rule, not by which article came last, so ingest order cannot change it
            name = min((sp.name, *((old.name,) if old else ())), key=name_rank)
            name = renamed.get(sp.id, name)
            merged = Speaker(sp.id, name, aliases, roles, sp.kind, counts[sp.id], affs)
            (keep if counts[sp.id] else drop).append(merged)
        if drop:
            self.speakers.delete(ids=[s.id for s in drop])
        if keep:
            self.speakers.upsert(
                ids=[s.id for s in keep],
                embeddings=_units(len(keep)),
                documents=[" | ".join((s.name, *s.aliases)) for s in keep],
                metadatas=[{**speaker_meta(s), "latest": json.dumps(latest.get(s.id, []))} for s in keep],
            )

    # ---- editorial corrections of speaker identity ----------------------------------------------------------

    def list_corrections(self) -> list[Correction]:
        """Return every stored correction, oldest first."""
        with _reachable("reading corrections"):
            got = self.corrections.get(include=["documents"])
        found = [Correction.from_json(d or "{}") for d in got["documents"] or []]
        stale = sorted({sid for c in found for sid in c.stale_ids()})
        organisations = {sp.id for sp in self.list_speakers(ids=stale) if sp.kind != "person"}
        return sorted((c.rekeyed(organisations) for c in found), key=lambda c: c.at)

    def correct(self, c: Correction) -> list[Speaker]:
        """Store a correction and apply it to the statements and speakers held now; return the entities changed."""
        ids = [c.speaker_id, *([c.target] if c.target else [])]
        with _reachable("correcting a speaker"):
            passages = self.get_statements(Filters(speaker_id=c.speaker_id))
            before = self.list_speakers(ids=ids)
            sts, after = apply_corrections([c], [p.statement for p in passages if p.statement], before)
            by_id = {st.id: st for st in sts}
            if passages:
                self.statements.update(
                    ids=[p.statement.id for p in passages if p.statement],
                    metadatas=[statement_meta(by_id[p.statement.id], p.source) for p in passages if p.statement],
                )
            gone = {sp.id for sp in before} - {sp.id for sp in after}
            if gone:
                self.speakers.delete(ids=sorted(gone))
            if after:
                self.speakers.upsert(
                    ids=[sp.id for sp in after],
                    embeddings=_units(len(after)),
                    documents=[" | ".join((sp.name, *sp.aliases)) for sp in after],
                    metadatas=[speaker_meta(sp) for sp in after],
                )
            self._refresh_speakers(after)
            self.corrections.upsert(
                ids=[c.id], embeddings=_units(1), documents=[c.to_json()], metadatas=[{"op": c.op, "at": c.at}]
            )
        return self.list_speakers(ids=[sp.id for sp in after])

    def _batch(self) -> int:
        return min(1000, self.client.get_max_batch_size())


# ---- translation between Chroma's flat metadata and our dataclasses ------------------------------------------


def chroma_where(filters: Filters | None, *, statements: bool) -> dict[str, Any] | None:
    """Return the Chroma `where` clause for filters (speakers restrict statements only; chunks have none)."""
    if filters is None:
        return None
    clauses: list[dict[str, Any]] = []
    articles = filters.article_set()
    if len(articles) == 1:
        clauses.append({"article_id": articles[0]})
    elif articles:
        clauses.append({"article_id": {"$in": list(articles)}})
    if filters.since:
        clauses.append({"published_int": {"$gte": published_int(filters.since)}})
    if filters.until:
        clauses.append({"published_int": {"$lte": published_int(filters.until)}})
    speakers = filters.speaker_ids() if statements else ()
    if len(speakers) == 1:
        clauses.append({"speaker_id": speakers[0]})
    elif speakers:
        clauses.append({"speaker_id": {"$in": list(speakers)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _latest_ids(ids: Sequence[str], metas: Sequence[Any]) -> dict[str, list[str]]:
    """Return each speaker's newest LATEST_KEPT statement ids: newest date first, then article and text order."""
    rows = sorted(
        zip(ids, metas, strict=True),
        key=lambda r: (-int(r[1].get("published_int", 0)), str(r[1]["article_id"]), int(r[1]["start"])),
    )
    out: dict[str, list[str]] = {}
    for statement_id, meta in rows:
        kept = out.setdefault(str(meta["speaker_id"]), [])
        if len(kept) < LATEST_KEPT:
            kept.append(statement_id)
    return out
