"""What a read of the store may be restricted to; retrieval/store.py alone turns it into a Chroma filter."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Filters:
    """Restrictions a question or a read may carry: articles, a date range, speakers (statements only)."""

    article_id: str | None = None
    since: str | None = None  # ISO date, inclusive
    until: str | None = None  # ISO date, inclusive
    speaker_id: str | None = None
    also_speakers: tuple[str, ...] = ()  # more ids answering for the same speaker (an organisation's spokespeople)
    article_ids: tuple[str, ...] = ()  # any of these articles (with article_id, that one too)

    @classmethod
    def speakers(cls, ids: Iterable[str]) -> Filters | None:
        """Return the filter for statements by any of these speaker ids (None for no ids)."""
        ordered = sorted(set(ids))
        return cls(speaker_id=ordered[0], also_speakers=tuple(ordered[1:])) if ordered else None

    def speaker_ids(self) -> tuple[str, ...]:
        """Return every speaker id the filter allows (empty: any speaker)."""
        return (self.speaker_id, *self.also_speakers) if self.speaker_id else ()

    def only_speakers(self) -> bool:
        """Return whether the filter restricts speakers and nothing else (no article, no date)."""
        return bool(self.speaker_id) and not (self.article_id or self.article_ids or self.since or self.until)

    def article_set(self) -> tuple[str, ...]:
        """Return every article id the filter allows (empty: any article)."""
        return tuple(dict.fromkeys((self.article_id, *self.article_ids) if self.article_id else self.article_ids))
