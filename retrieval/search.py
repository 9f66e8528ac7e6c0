"""Retrieval over the store: dense search of chunks and statements with metadata filters."""

from __future__ import annotations

from typing import TYPE_CHECKING

from retrieval.embedding import Embedder
from retrieval.filters import Filters
from retrieval.models import Passage

__all__ = ["Filters", "Searcher"]  # Filters is read from here by the API and the chat

if TYPE_CHECKING:  # the CLI imports this module where no store is opened (a question sent to a server)
    from retrieval.store import Store


class Searcher:
    """Dense retrieval of passages and statements for one store and embedder."""

    def __init__(self, store: Store, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder

    def passages(self, query: str, top_k: int, filters: Filters | None = None) -> list[Passage]:
        """Return the chunks most similar to `query`, best first."""
        if top_k <= 0:
            raise ValueError(f"top_k must be positive, got {top_k}")
        return self.store.query_chunks(self.embedder.embed_query(query), top_k, filters)

    def statements(self, query: str, top_k: int, filters: Filters | None = None) -> list[Passage]:
        """Return the statements most similar to `query`, best first."""
        if top_k <= 0:
            raise ValueError(f"top_k must be positive, got {top_k}")
        return self.store.query_statements(self.embedder.embed_query(query), top_k, filters)
