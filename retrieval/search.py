"""Retrieval over the store: dense search of chunks and statements with metadata filters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from retrieval.embedding import Embedder
from retrieval.models import Passage

if TYPE_CHECKING:  # Filters is also read where no store is opened (a CLI question sent to a server)
    from retrieval.store import Store


@dataclass(frozen=True)
class Filters:
    """Restrictions a question may carry."""

    article_id: str | None = None
    since: str | None = None  # ISO date, inclusive
    until: str | None = None  # ISO date, inclusive
    speaker_id: str | None = None
    also_speakers: tuple[str, ...] = ()  # more ids answering for the same speaker (an organisation's spokespeople)

    def where(self, *, statements: bool = False) -> dict[str, Any] | None:
        """Return the Chroma `where` clause for these filters."""
        from retrieval.store import published_int

        clauses: list[dict[str, Any]] = []
        if self.article_id:
            clauses.append({"article_id": self.article_id})
        if self.since:
            clauses.append({"published_int": {"$gte": published_int(self.since)}})
        if self.until:
            clauses.append({"published_int": {"$lte": published_int(self.until)}})
        if statements and self.speaker_id and self.also_speakers:
            clauses.append({"speaker_id": {"$in": [self.speaker_id, *self.also_speakers]}})
        elif statements and self.speaker_id:
            clauses.append({"speaker_id": self.speaker_id})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class Searcher:
    """Dense retrieval of passages and statements for one store and embedder."""

    def __init__(self, store: Store, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder

    def passages(self, query: str, top_k: int, filters: Filters | None = None) -> list[Passage]:
        """Return the chunks most similar to `query`, best first."""
        if top_k <= 0:
            raise ValueError(f"top_k must be positive, got {top_k}")
        where = (filters or Filters()).where()
        return self.store.query_chunks(self.embedder.embed_query(query), top_k, where)

    def statements(self, query: str, top_k: int, filters: Filters | None = None) -> list[Passage]:
        """Return the statements most similar to `query`, best first."""
        if top_k <= 0:
            raise ValueError(f"top_k must be positive, got {top_k}")
        where = (filters or Filters()).where(statements=True)
        return self.store.query_statements(self.embedder.embed_query(query), top_k, where)
