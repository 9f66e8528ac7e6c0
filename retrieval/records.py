"""How articles, chunks, statements and speakers are laid out as Chroma metadata, and read back (no chromadb here)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from retrieval.models import Article, Chunk, Passage, Source, Speaker, Statement

# An article record's state. The record is written first as WRITING and turned COMPLETE after its children, and
# turned DELETING before its children go, so every chunk and statement has a record saying whether it may be cited,
# whatever point a crash stops a write or a delete at. Records without a state predate this and are complete.
COMPLETE, WRITING, DELETING = "complete", "writing", "deleting"


@dataclass(frozen=True)
class StoredArticle:
    """What the store records about an article besides its text."""

    id: str
    content_hash: str
    state: str
    chunks: int
    statements: int


def published_int(published: str) -> int:
    """Return YYYYMMDD as an int (0 when unknown) so Chroma can range-filter dates."""
    digits = published.replace("-", "")[:8]
    return int(digits) if len(digits) == 8 and digits.isdigit() else 0


def source_meta(source: Source) -> dict[str, Any]:
    return {
        "article_id": source.article_id,
        "title": source.title,
        "url": source.url,
        "source": source.source,
        "published": source.published,
        "published_int": published_int(source.published),
    }


def source_of(meta: Any) -> Source:
    return Source(
        str(meta["article_id"]),
        str(meta.get("title", "")),
        str(meta.get("url", "")),
        str(meta.get("source", "")),
        str(meta.get("published", "")),
    )


def article_meta(
    article: Article, content_hash: str, n_chunks: int, n_statements: int, state: str = COMPLETE
) -> dict[str, Any]:
    meta = source_meta(Source.of(article))
    meta.update(
        byline=article.byline,
        caption=article.caption,
        content_hash=content_hash,
        chunks=n_chunks,
        statements=n_statements,
        state=state,
    )
    return meta


def article_of(article_id: str, meta: Any, text: str) -> Article:
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


def stored_of(article_id: str, meta: Any) -> StoredArticle:
    return StoredArticle(
        article_id,
        str(meta.get("content_hash", "")),
        str(meta.get("state", COMPLETE)),
        int(meta.get("chunks", 0)),
        int(meta.get("statements", 0)),
    )


def chunk_meta(chunk: Chunk, source: Source) -> dict[str, Any]:
    meta = source_meta(source)
    meta.update(index=chunk.index, start=chunk.start, end=chunk.end)
    return meta


def statement_meta(st: Statement, source: Source) -> dict[str, Any]:
    meta = source_meta(source)
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


def opt_int(value: Any) -> int | None:
    return None if value is None or int(value) < 0 else int(value)


def statement_passage(statement_id: str, meta: Any, text: str, score: float) -> Passage:
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
        mention_start=opt_int(meta.get("mention_start")),
        mention_end=opt_int(meta.get("mention_end")),
        cue=meta.get("cue") or None,
        cue_start=opt_int(meta.get("cue_start")),
        cue_end=opt_int(meta.get("cue_end")),
        confidence=float(meta.get("confidence", 1.0)),
    )
    return Passage(source_of(meta), st.start, st.end, text, score, st)


def speaker_meta(sp: Speaker) -> dict[str, Any]:
    return {
        "name": sp.name,
        "kind": sp.kind,
        "aliases": json.dumps(list(sp.aliases)),
        "roles": json.dumps(list(sp.roles)),
        "affiliations": json.dumps(list(sp.affiliations)),
        "statement_count": sp.statement_count,
    }


def speaker_of(speaker_id: str, meta: Any) -> Speaker:
    return Speaker(
        id=speaker_id,
        name=str(meta["name"]),
        aliases=tuple(json.loads(meta.get("aliases") or "[]")),
        roles=tuple(json.loads(meta.get("roles") or "[]")),
        kind=meta.get("kind") or "person",
        statement_count=int(meta.get("statement_count", 0)),
        affiliations=tuple(json.loads(meta.get("affiliations") or "[]")),
    )
