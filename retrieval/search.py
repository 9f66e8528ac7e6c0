"""Retrieval over the store: dense search of chunks and statements with metadata filters."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from retrieval.embedding import Embedder
from retrieval.filters import Filters
from retrieval.models import Passage

__all__ = ["Filters", "Searcher", "topic_words", "word_share"]  # Filters is read from here by the API and the chat

# Words that say nothing about what a claim or topic is about (the rest are matched against statements).
STOPWORDS = frozenset(
    """a an the and or but of to in on at for with by from as is was were be been that this it its their his her
    they he she who what which claim said say says called call about over when can get would could should will not
    more than into out our your you has have had does did all any some someone there also just very then only even
    because while are""".split()  # noqa: SIM905
)
TOPIC_POOL = 20  # statements read for a topic however few are wanted: the topic's own words re-rank them
# A statement of fewer words than this is a fragment ("law enforcement officers"): near any short topic in meaning
# whatever it says about it, so its dense similarity counts in proportion to its length when ranking by relevance.
FULL_WORDS = 8

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

    def on_topic(self, topic: str, top_k: int, filters: Filters | None = None) -> list[Passage]:
        """Return the max(top_k, TOPIC_POOL) statements nearest a topic, re-ranked by relevance: dense similarity
        plus the share of the topic's words they hold (the caller cuts the list).

        A short statement is near any short topic in meaning ("law enforcement officers" for "police officers"); the
        topic's own words lift the statements that speak of it. Each passage keeps its dense score.
        """
        words = topic_words(topic)
        found = self.statements(topic, max(top_k, TOPIC_POOL), filters)
        return sorted(found, key=lambda p: relevance(words, p), reverse=True)


def topic_words(text: str) -> list[str]:
    """Return the words of a claim or topic that say what it is about."""
    return [w for w in re.findall(r"[\w’'-]+", text.lower()) if w not in STOPWORDS and len(w) > 2]


def relevance(words: Sequence[str], passage: Passage) -> float:
    """Return how relevant a statement is to a topic's words: dense similarity (a fragment's scaled down by its
    length) plus the share of the words it holds."""
    fullness = min(1.0, len(passage.text.split()) / FULL_WORDS)
    dense = passage.score * fullness if passage.score > 0 else passage.score  # never lifts a dissimilar fragment
    return dense + word_share(words, passage.text)


def word_share(words: Sequence[str], text: str) -> float:
    """Return the share of `words` found in `text`, inside longer words too ("pay" in "taxpayers")."""
    low = text.lower()
    return sum(1 for w in words if w in low) / len(words) if words else 0.0
