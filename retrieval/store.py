"""Chroma collections behind one Store class; the only module that imports chromadb."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Sequence
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
from retrieval.identity.corrections import Correction
from retrieval.identity.corrections import apply as apply_corrections
from retrieval.identity.keys import name_rank
from retrieval.models import Article, Chunk, Passage, Source, Speaker, Statement

# Articles and speakers are looked up by id and metadata, never by vector, but Chroma wants an embedding
# for every record: a constant unit vector keeps those collections cheap.
_UNIT_DIM = 1


def _units(n: int) -> Vectors:
    return np.ones((n, _UNIT_DIM), dtype=np.float32)


_COSINE = {"hnsw:space": "cosine"}


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


def open_client(*, path: str = "", url: str = "", timeout: float = 5.0) -> ClientAPI:
    """Return a Chroma HttpClient for `url`, else a PersistentClient at `path`, telemetry off."""
    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    try:
        if url:
            parsed = urlparse(url)
            if parsed.scheme not in {"http", "https"} or not parsed.hostname:
                raise ValueError(f"store.url must look like http://host:port, got {url!r}")
            settings.chroma_query_request_timeout_seconds = int(max(1, timeout))
            return chromadb.HttpClient(
                host=parsed.hostname,
                port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                ssl=parsed.scheme == "https",
                settings=settings,
            )
        Path(path).mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=path, settings=settings)
    except ValueError:
        raise
    except Exception as exc:  # chromadb raises plain Exceptions for connection failures
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
    """The articles, chunks, statements and speakers collections of one index."""

    def __init__(self, client: ClientAPI, *, prefix: str = "quotebot") -> None:
        if not prefix:
            raise ValueError("prefix must not be empty")
        self.client = client
        self.prefix = prefix
        with _reachable("opening collections"):
            self.articles = self._collection("articles")
            self.chunks = self._collection("chunks")
            self.statements = self._collection("statements")
            self.speakers = self._collection("speakers")
            self.corrections = self._collection("corrections")  # editorial identity fixes, applied at ingest too

    @classmethod
    def open(cls, *, path: str = "", url: str = "", prefix: str = "quotebot", timeout: float = 5.0) -> Store:
        """Open (creating if needed) the index at `url` or `path`."""
        return cls(open_client(path=path, url=url, timeout=timeout), prefix=prefix)

    def _collection(self, name: str) -> Collection:
        # embedding_function=None: we always pass our own vectors, so Chroma never downloads its default model.
        return self.client.get_or_create_collection(f"{self.prefix}_{name}", metadata=_COSINE, embedding_function=None)

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

    def article_hash(self, article_id: str) -> str | None:
        """Return the content hash stored for an article, or None when it is absent."""
        with _reachable("reading an article"):
            got = self.articles.get(ids=[article_id], include=["metadatas"])
        metas = got["metadatas"] or []
        return str(metas[0]["content_hash"]) if metas else None

    def get_article(self, article_id: str) -> Article | None:
        """Return a stored article, or None."""
        with _reachable("reading an article"):
            got = self.articles.get(ids=[article_id], include=["metadatas", "documents"])
        if not got["ids"]:
            return None
        meta = (got["metadatas"] or [{}])[0]
        text = (got["documents"] or [""])[0] or ""
        return Article(
            id=article_id,
            text=text,
            title=str(meta.get("title", "")),
            url=str(meta.get("url", "")),
            source=str(meta.get("source", "")),
            published=str(meta.get("published", "")),
            byline=str(meta.get("byline", "")),
            caption=str(meta.get("caption", "")),
        )

    def query_chunks(self, vector: Vectors, top_k: int, where: dict[str, Any] | None = None) -> list[Passage]:
        """Return the `top_k` chunks nearest to `vector` as passages, best first."""
        with _reachable("searching chunks"):
            res = self.chunks.query(
                query_embeddings=np.asarray([vector], dtype=np.float32),
                n_results=top_k,
                where=where or None,
                include=["metadatas", "documents", "distances"],
            )
        out = []
        for meta, doc, dist in zip(res["metadatas"][0], res["documents"][0], res["distances"][0], strict=True):  # type: ignore[index]
            out.append(Passage(_source(meta), int(meta["start"]), int(meta["end"]), doc or "", 1.0 - float(dist)))
        return out

    def query_statements(self, vector: Vectors, top_k: int, where: dict[str, Any] | None = None) -> list[Passage]:
        """Return the `top_k` statements nearest to `vector`, best first."""
        with _reachable("searching statements"):
            res = self.statements.query(
                query_embeddings=np.asarray([vector], dtype=np.float32),
                n_results=top_k,
                where=where or None,
                include=["metadatas", "documents", "distances"],
            )
        ids, metas, docs, dists = res["ids"][0], res["metadatas"][0], res["documents"][0], res["distances"][0]  # type: ignore[index]
        return [
            _statement_passage(i, m, d or "", 1.0 - float(x))
            for i, m, d, x in zip(ids, metas, docs, dists, strict=True)
        ]

    def get_statements(
        self,
        where: dict[str, Any] | None = None,
        *,
        contains: str | None = None,
        limit: int | None = None,
    ) -> list[Passage]:
        """Return statements matching a metadata filter and/or containing a phrase, in article order."""
        with _reachable("reading statements"):
            res = self.statements.get(
                where=where or None,
                where_document={"$contains": contains} if contains else None,
                limit=limit,
                include=["metadatas", "documents"],
            )
        hits = [
            _statement_passage(i, m, d or "", 1.0)
            for i, m, d in zip(res["ids"], res["metadatas"] or [], res["documents"] or [], strict=True)
        ]
        return sorted(hits, key=lambda p: (p.source.published, p.source.article_id, p.start))

    def statements_by_ids(self, ids: Sequence[str]) -> list[Passage]:
        """Return the statements with these ids, in the order given (missing ones left out)."""
        if not ids:
            return []
        with _reachable("reading statements"):
            res = self.statements.get(ids=list(ids), include=["metadatas", "documents"])
        found = {
            i: _statement_passage(i, m, d or "", 1.0)
            for i, m, d in zip(res["ids"], res["metadatas"] or [], res["documents"] or [], strict=True)
        }
        return [found[i] for i in ids if i in found]

    def get_speaker(self, speaker_id: str) -> Speaker | None:
        """Return one speaker from the speaker index, or None."""
        found = self.list_speakers(ids=[speaker_id])
        return found[0] if found else None

    def list_speakers(self, ids: Sequence[str] | None = None) -> list[Speaker]:
        """Return speakers (all, or those with the given ids), most statements first."""
        with _reachable("reading speakers"):
            res = self.speakers.get(ids=list(ids) if ids is not None else None, include=["metadatas"])
        speakers = [_speaker(i, m) for i, m in zip(res["ids"], res["metadatas"] or [], strict=True)]
        return sorted(speakers, key=lambda s: (-s.statement_count, s.name))

    # ---- writes ------------------------------------------------------------------------------------------

    def write_articles(self, items: Sequence[ArticleWrite]) -> None:
        """Write articles with their chunks and statements in a few batched calls; article records go last.

        The article record is the commit mark: a crash before it leaves only orphans, which the next write of the
        same id removes first, so a re-run converges to the same counts as a clean ingest.
        """
        if not items:
            return
        ids = [item.article.id for item in items]
        chunk_rows: list[tuple[str, Vectors, str, dict[str, Any]]] = []
        statement_rows: list[tuple[str, Vectors, str, dict[str, Any]]] = []
        for item in items:
            source = Source.of(item.article)
            chunk_rows += [
                (c.id, v, c.text, _chunk_meta(c, source)) for c, v in zip(item.chunks, item.chunk_vectors, strict=True)
            ]
            statement_rows += [
                (st.id, v, st.text, _statement_meta(st, source))
                for st, v in zip(item.statements, item.statement_vectors, strict=True)
            ]
        with _reachable("writing articles"):
            where: Any = {"article_id": {"$in": ids}}
            self.chunks.delete(where=where)
            self.statements.delete(where=where)
            self._upsert(self.chunks, chunk_rows)
            self._upsert(self.statements, statement_rows)
            # Speakers before the article records: a re-run skips committed articles, so it could not repair them.
            self._refresh_speakers([sp for item in items for sp in item.speakers])
            self.articles.upsert(
                ids=ids,
                embeddings=_units(len(items)),
                documents=[item.article.text for item in items],
                metadatas=[
                    _article_meta(item.article, item.content_hash, len(item.chunks), len(item.statements))
                    for item in items
                ],
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
        """Remove an article with its chunks and statements; return whether it existed."""
        with _reachable("deleting an article"):
            existed = bool(self.articles.get(ids=[article_id], include=[])["ids"])
            affected = {
                str(m["speaker_id"])
                for m in self.statements.get(where={"article_id": article_id}, include=["metadatas"])["metadatas"] or []
                if m.get("speaker_id")
            }
            self.articles.delete(ids=[article_id])
            self._delete_children(article_id)
            if affected:
                self._refresh_speakers(self.list_speakers(ids=sorted(affected)))
        return existed

    def _delete_children(self, article_id: str) -> None:
        """Remove the chunks and statements of an article (also the orphans of an interrupted write)."""
        self.chunks.delete(where={"article_id": article_id})
        self.statements.delete(where={"article_id": article_id})

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
        found = self.statements.get(where=where, include=["metadatas"])
        counts = Counter(str(m["speaker_id"]) for m in found["metadatas"] or [])
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
                metadatas=[_speaker_meta(s) for s in keep],
            )

    # ---- editorial corrections of speaker identity ----------------------------------------------------------

    def list_corrections(self) -> list[Correction]:
        """Return every stored correction, oldest first."""
        with _reachable("reading corrections"):
            got = self.corrections.get(include=["documents"])
        return sorted((Correction.from_json(d or "{}") for d in got["documents"] or []), key=lambda c: c.at)

    def correct(self, c: Correction) -> list[Speaker]:
        """Store a correction and apply it to the statements and speakers held now; return the entities changed."""
        ids = [c.speaker_id, *([c.target] if c.target else [])]
        with _reachable("correcting a speaker"):
            passages = self.get_statements({"speaker_id": c.speaker_id})
            before = self.list_speakers(ids=ids)
            sts, after = apply_corrections([c], [p.statement for p in passages if p.statement], before)
            by_id = {st.id: st for st in sts}
            if passages:
                self.statements.update(
                    ids=[p.statement.id for p in passages if p.statement],
                    metadatas=[_statement_meta(by_id[p.statement.id], p.source) for p in passages if p.statement],
                )
            gone = {sp.id for sp in before} - {sp.id for sp in after}
            if gone:
                self.speakers.delete(ids=sorted(gone))
            if after:
                self.speakers.upsert(
                    ids=[sp.id for sp in after],
                    embeddings=_units(len(after)),
                    documents=[" | ".join((sp.name, *sp.aliases)) for sp in after],
                    metadatas=[_speaker_meta(sp) for sp in after],
                )
            self._refresh_speakers(after)
            self.corrections.upsert(
                ids=[c.id], embeddings=_units(1), documents=[c.to_json()], metadatas=[{"op": c.op, "at": c.at}]
            )
        return self.list_speakers(ids=[sp.id for sp in after])

    def _batch(self) -> int:
        return min(1000, self.client.get_max_batch_size())


# ---- translation between Chroma's flat metadata and our dataclasses ------------------------------------------


def published_int(published: str) -> int:
    """Return YYYYMMDD as an int (0 when unknown) so Chroma can range-filter dates."""
    digits = published.replace("-", "")[:8]
    return int(digits) if len(digits) == 8 and digits.isdigit() else 0


def _source_meta(source: Source) -> dict[str, Any]:
    return {
        "article_id": source.article_id,
        "title": source.title,
        "url": source.url,
        "source": source.source,
        "published": source.published,
        "published_int": published_int(source.published),
    }


def _source(meta: Any) -> Source:
    return Source(
        str(meta["article_id"]),
        str(meta.get("title", "")),
        str(meta.get("url", "")),
        str(meta.get("source", "")),
        str(meta.get("published", "")),
    )


def _article_meta(article: Article, content_hash: str, n_chunks: int, n_statements: int) -> dict[str, Any]:
    meta = _source_meta(Source.of(article))
    meta.update(
        byline=article.byline,
        caption=article.caption,
        content_hash=content_hash,
        chunks=n_chunks,
        statements=n_statements,
    )
    return meta


def _chunk_meta(chunk: Chunk, source: Source) -> dict[str, Any]:
    meta = _source_meta(source)
    meta.update(index=chunk.index, start=chunk.start, end=chunk.end)
    return meta


def _statement_meta(st: Statement, source: Source) -> dict[str, Any]:
    meta = _source_meta(source)
    meta.update(
        kind=st.kind,
        start=st.start,
        end=st.end,
        fragments=json.dumps(st.fragments),
        quoted=json.dumps(st.quoted),
        speaker=st.speaker or "",
        speaker_id=st.speaker_id or "",
        speaker_kind=st.speaker_kind or "",
        mention=st.mention or "",
        mention_start=-1 if st.mention_start is None else st.mention_start,
        mention_end=-1 if st.mention_end is None else st.mention_end,
        cue=st.cue or "",
        cue_start=-1 if st.cue_start is None else st.cue_start,
        cue_end=-1 if st.cue_end is None else st.cue_end,
        confidence=float(st.confidence),
    )
    return meta


def _opt_int(value: Any) -> int | None:
    return None if value is None or int(value) < 0 else int(value)


def _statement_passage(statement_id: str, meta: Any, text: str, score: float) -> Passage:
    st = Statement(
        id=statement_id,
        article_id=str(meta["article_id"]),
        kind=meta["kind"],
        start=int(meta["start"]),
        end=int(meta["end"]),
        text=text,
        fragments=tuple(tuple(s) for s in json.loads(meta.get("fragments") or "[]")),  # type: ignore[misc]
        quoted=tuple(tuple(s) for s in json.loads(meta.get("quoted") or "[]")),  # type: ignore[misc]
        speaker=meta.get("speaker") or None,
        speaker_id=meta.get("speaker_id") or None,
        speaker_kind=meta.get("speaker_kind") or None,
        mention=meta.get("mention") or None,
        mention_start=_opt_int(meta.get("mention_start")),
        mention_end=_opt_int(meta.get("mention_end")),
        cue=meta.get("cue") or None,
        cue_start=_opt_int(meta.get("cue_start")),
        cue_end=_opt_int(meta.get("cue_end")),
        confidence=float(meta.get("confidence", 1.0)),
    )
    return Passage(_source(meta), st.start, st.end, text, score, st)


def _speaker_meta(sp: Speaker) -> dict[str, Any]:
    return {
        "name": sp.name,
        "kind": sp.kind,
        "aliases": json.dumps(list(sp.aliases)),
        "roles": json.dumps(list(sp.roles)),
        "affiliations": json.dumps(list(sp.affiliations)),
        "statement_count": sp.statement_count,
    }


def _speaker(speaker_id: str, meta: Any) -> Speaker:
    return Speaker(
        id=speaker_id,
        name=str(meta["name"]),
        aliases=tuple(json.loads(meta.get("aliases") or "[]")),
        roles=tuple(json.loads(meta.get("roles") or "[]")),
        kind=meta.get("kind") or "person",
        statement_count=int(meta.get("statement_count", 0)),
        affiliations=tuple(json.loads(meta.get("affiliations") or "[]")),
    )
