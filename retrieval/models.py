"""Frozen dataclasses shared by every layer: articles, chunks, statements, speakers, citations, verdicts."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import asdict, dataclass, is_dataclass
from typing import Any, Literal

Span = tuple[int, int]
StatementKind = Literal["direct", "partial", "mixed", "indirect"]
SpeakerKind = Literal["person", "organisation", "group", "document"]
VerdictLabel = Literal["verified", "altered", "misattributed", "reported", "paraphrase", "not_found"]


def content_id(*parts: str, size: int = 16) -> str:
    """Return a stable hex id hashed from the given strings."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:size]


def plain(value: Any) -> Any:
    """Return `value` (a dataclass, or what asdict made of one) with tuples as lists: the JSON shape, by field."""
    if is_dataclass(value) and not isinstance(value, type):
        value = asdict(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def slugify(name: str) -> str:
    """Return a lowercase ascii slug for a name ("John Kirby" -> "john-kirby")."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-") or "unknown"


@dataclass(frozen=True)
class Article:
    """One news article; `text` is the body every citation indexes into."""

    id: str
    text: str
    title: str = ""
    url: str = ""
    source: str = ""
    published: str = ""  # ISO date (YYYY-MM-DD) or ""
    byline: str = ""
    caption: str = ""  # image caption kept out of the cited body

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True)
class Chunk:
    """A contiguous span of an article: `text == article.text[start:end]`."""

    id: str
    article_id: str
    index: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Statement:
    """One attributed utterance found in an article, with exact offsets."""

    id: str
    article_id: str
    kind: StatementKind
    start: int  # content span, end-exclusive, into article.text
    end: int
    text: str  # article.text[start:end]
    fragments: tuple[Span, ...] = ()  # content pieces ("A," she said, "B." -> two)
    quoted: tuple[Span, ...] = ()  # pieces inside quotation marks: the speaker's own words
    speaker: str | None = None  # resolved canonical name
    speaker_id: str | None = None  # slug of the canonical name, corpus-wide
    speaker_kind: SpeakerKind | None = None
    mention: str | None = None  # the words naming the speaker here ("He", "spokesman John Kirby")
    mention_start: int | None = None
    mention_end: int | None = None
    cue: str | None = None  # "said", "labelled", "according to"
    cue_start: int | None = None
    cue_end: int | None = None
    confidence: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (spans as lists)."""
        data: dict[str, Any] = plain(self)
        return data


@dataclass(frozen=True)
class Speaker:
    """A person, organisation or group that statements are attributed to."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    kind: SpeakerKind = "person"
    statement_count: int = 0
    affiliations: tuple[str, ...] = ()  # organisations the speaker speaks or works for ("White House"), or their party

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        data: dict[str, Any] = plain(self)
        return data


@dataclass(frozen=True)
class Source:
    """The article metadata a citation carries."""

    article_id: str
    title: str = ""
    url: str = ""
    source: str = ""
    published: str = ""

    @classmethod
    def of(cls, article: Article) -> Source:
        """Return the citation metadata of an article."""
        return cls(article.id, article.title, article.url, article.source, article.published)


@dataclass(frozen=True)
class Passage:
    """A retrieved span (a chunk or a statement's content) with its article metadata and score."""

    source: Source
    start: int
    end: int
    text: str
    score: float = 0.0
    statement: Statement | None = None

    def cite(self, n: int) -> Citation:
        """Return this passage as citation number `n`."""
        st = self.statement
        return Citation(
            n=n,
            article_id=self.source.article_id,
            start=self.start,
            end=self.end,
            text=self.text,
            title=self.source.title,
            url=self.source.url,
            source=self.source.source,
            published=self.source.published,
            speaker=st.speaker if st else None,
            statement_id=st.id if st else None,
            score=round(self.score, 4),
        )


@dataclass(frozen=True)
class Citation:
    """A verbatim span of a stored article: `article.text[start:end] == text`."""

    n: int
    article_id: str
    start: int
    end: int
    text: str
    title: str = ""
    url: str = ""
    source: str = ""
    published: str = ""
    speaker: str | None = None
    statement_id: str | None = None
    score: float = 0.0
    speaker_role: str | None = None  # the speaker's role, for the reader ("spokesman", "FBI director")

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True)
class DiffOp:
    """One word-level edit between a claim and the source: equal, insert, delete or replace."""

    op: Literal["equal", "insert", "delete", "replace"]
    source: str  # words in the source ("" for insert)
    claim: str  # words in the claim ("" for delete)


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking a claimed quote against the corpus."""

    label: VerdictLabel
    claim: str
    claimed_speaker: str | None = None
    evidence: tuple[Citation, ...] = ()
    actual_speaker: str | None = None
    diff: tuple[DiffOp, ...] = ()
    notes: tuple[str, ...] = ()
    similarity: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict, field by field."""
        data: dict[str, Any] = plain(self)
        return data
