"""Hybrid candidate search over statements: exact phrases, single words, a speaker's statements, dense neighbours.

/ask's who-said answers and /verify both gather candidates here, so one statement is found (and scored) the same
way by both.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from retrieval.embedding import Embedder
from retrieval.models import Passage, Statement
from retrieval.store import Store
from retrieval.verification.align import find_in_order
from retrieval.verification.normalise import Token, tokenize

TOP_K = 8  # dense neighbours per query
PHRASE_LIMIT = 50  # statements per phrase query: a distinctive phrase rarely occurs more often
SPEAKER_LIMIT = 300  # statements read for one speaker
WORD_LIMIT = 50  # statements per single-word lookup


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
        tokens = tokenize(st.text, st.start)
        quoted = [any(q0 <= t.start and t.end <= q1 for q0, q1 in st.quoted) for t in tokens]
        return cls(passage, st, tokens, quoted, dense, [t.norm for t in tokens])


Pool = dict[str, Candidate]


class CandidateSearch:
    """Adds statements to a pool of candidates, each found once whichever way found it first."""

    def __init__(self, store: Store, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder

    def phrases(self, pool: Pool, probes: Iterable[str], segments: list[list[str]]) -> bool:
        """Add statements holding each exact phrase; stop (True) once one holds every segment in order.

        A phrase query scans the store's full-text index (10-25 ms at 13k statements): every statement holding
        the whole claim holds the first probe too, so the first probe's hits settle an exact match.
        """
        for probe in probes:
            hits = self.store.get_statements(contains=probe, limit=PHRASE_LIMIT)
            self.add(pool, hits)
            if any(p.statement and find_in_order(segments, pool[p.statement.id].words) for p in hits):
                return True
        return False

    def words(
        self, pool: Pool, words: Sequence[str], where: dict[str, Any] | None = None, *, cases: bool = True
    ) -> None:
        """Add statements containing any of the words (as written, and capitalised too when `cases`)."""
        for word in words:
            for variant in dict.fromkeys((word, word.capitalize()) if cases else (word,)):
                self.add(pool, self.store.get_statements(where, contains=variant, limit=WORD_LIMIT))

    def speaker(self, pool: Pool, ids: frozenset[str]) -> None:
        """Add the statements of the given speaker ids."""
        where = speaker_where(ids)
        if where:
            self.add(pool, self.store.get_statements(where, limit=SPEAKER_LIMIT))

    def dense(
        self,
        pool: Pool,
        text: str,
        *,
        ids: frozenset[str] = frozenset(),
        where: dict[str, Any] | None = None,
        top_k: int = TOP_K,
    ) -> None:
        """Add the statements nearest `text` in meaning: overall (within `where`), and by the given speakers."""
        vector = self.embedder.embed_query(text)
        self.add(pool, self.store.query_statements(vector, top_k, where), dense=True)
        by_speaker = speaker_where(ids)
        if by_speaker:
            self.add(pool, self.store.query_statements(vector, top_k, by_speaker), dense=True)

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


def speaker_where(ids: frozenset[str]) -> dict[str, Any] | None:
    """Return the store filter for statements by any of the speaker ids."""
    if not ids:
        return None
    if len(ids) == 1:
        return {"speaker_id": next(iter(ids))}
    return {"speaker_id": {"$in": sorted(ids)}}
