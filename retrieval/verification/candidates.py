"""Hybrid candidate search over statements: exact phrases, single words, a speaker's statements, dense neighbours.

/ask's who-said answers and /verify both gather candidates here, so one statement is found (and scored) the same
way by both.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

from retrieval.embedding import Embedder, Vectors
from retrieval.filters import Filters
from retrieval.models import Passage, Statement
from retrieval.store import Store
from retrieval.verification.align import find_in_order
from retrieval.verification.normalise import Token, tokenize

TOP_K = 8  # dense neighbours per query
# Exact words are looked for among a claim's nearest statements in meaning, never by Chroma's full-text filter: that
# filter scans every document of every collection (1.3-2 s per lookup at 100k chunks, growing with the corpus),
# while a nearest-neighbour query stays bounded. A statement holding a claim's words is near the claim in meaning.
LEXICAL_K = 20  # statements searched for exact phrases or words (40: dev verification the same, +8 ms CPU)
TOKEN_CACHE = 20_000  # statements whose words stay tokenised: the same ones are candidates again and again
QUERY_CACHE = 256  # query vectors kept: verify and who-said embed one claim text several times


@dataclass
class Candidate:
    """A statement with its words, which of them are quoted, and its dense score if a query returned it."""

    passage: Passage
    st: Statement
    tokens: list[Token]
    quoted: list[bool]
    dense: float | None = None
    words: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, passage: Passage, dense: float | None) -> Candidate:
        """Return the candidate for a statement passage."""
        st = passage.statement
        assert st is not None
        tokens, quoted, words = _tokens(st.text, st.start, st.quoted)
        return cls(passage, st, list(tokens), list(quoted), dense, list(words))


class Pool(dict[str, Candidate]):
    """Candidates by statement id, and the neighbour lists already fetched for this request."""

    def __init__(self) -> None:
        super().__init__()
        self.near: dict[tuple[str, str], tuple[int, list[Passage]]] = {}  # (how many asked, what came back)


class CandidateSearch:
    """Adds statements to a pool of candidates, each found once whichever way found it first."""

    def __init__(self, store: Store, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder
        self._vector = functools.lru_cache(maxsize=QUERY_CACHE)(embedder.embed_query)  # thread-safe

    def phrases(
        self, pool: Pool, text: str, probes: Sequence[str], segments: list[list[str]], where: Filters | None = None
    ) -> bool:
        """Add the nearest statements holding one of the exact phrases; True once one holds every segment in order."""
        hits = [p for p in self.nearest(pool, text, where, LEXICAL_K) if any(probe in p.text for probe in probes)]
        self.add(pool, hits)
        return any(p.statement and find_in_order(segments, pool[p.statement.id].words) for p in hits)

    def words(self, pool: Pool, text: str, words: Sequence[str], where: Filters | None = None) -> None:
        """Add the statements nearest `text` that contain any of the words, as written."""
        self.add(pool, [p for p in self.nearest(pool, text, where, LEXICAL_K) if any(w in p.text for w in words)])

    def speaker(self, pool: Pool, text: str, ids: frozenset[str]) -> None:
        """Add the statements of the given speaker ids nearest `text` (a bounded read, however much they said)."""
        where = Filters.speakers(ids)
        if where:
            self.add(pool, self.nearest(pool, text, where, LEXICAL_K))

    def dense(
        self,
        pool: Pool,
        text: str,
        *,
        ids: frozenset[str] = frozenset(),
        where: Filters | None = None,
        top_k: int = TOP_K,
    ) -> None:
        """Add the statements nearest `text` in meaning: overall (within `where`), and by the given speakers."""
        self.add(pool, self.nearest(pool, text, where, top_k), dense=True)
        by_speaker = Filters.speakers(ids)
        if by_speaker:
            self.add(pool, self.nearest(pool, text, by_speaker, top_k), dense=True)

    def nearest(self, pool: Pool, text: str, where: Filters | None, k: int) -> list[Passage]:
        """Return the `k` statements nearest `text` in meaning (within `where`), best first.

        One store query per text and filter in a request: a narrower search reads the head of a wider one.
        """
        key = (text, repr(where))
        asked, have = pool.near.get(key, (0, []))
        if asked < k:
            asked = max(k, LEXICAL_K)
            have = self.store.query_statements(self.vector(text), asked, where)
            pool.near[key] = (asked, have)
        return have[:k]

    def vector(self, text: str) -> Vectors:
        """Return the query vector of `text`, embedding each text once while it stays in the cache."""
        return self._vector(text)

    @staticmethod
    def add(pool: Pool, passages: Sequence[Passage], *, dense: bool = False) -> None:
        """Add statement passages to the pool, keeping a dense score once one is known."""
        for p in passages:
            if p.statement is None:
                continue
            have = pool.get(p.statement.id)
            if have is None:
                pool[p.statement.id] = Candidate.of(p, p.score if dense else None)
            elif dense and have.dense is None:
                have.dense = p.score


@functools.lru_cache(maxsize=TOKEN_CACHE)
def _tokens(text: str, start: int, quoted: tuple[tuple[int, int], ...]) -> tuple[list[Token], list[bool], list[str]]:
    """Return a statement's tokens, which of them lie inside its quoted pieces, and their folded words."""
    tokens = tokenize(text, start)
    inside = [any(q0 <= t.start and t.end <= q1 for q0, q1 in quoted) for t in tokens]
    return tokens, inside, [t.norm for t in tokens]
