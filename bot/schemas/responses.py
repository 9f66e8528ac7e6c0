"""Response models: what the routes return, field for field (tests/test_openapi.py checks real responses)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from bot.schemas.requests import AskContext


class _Out(BaseModel):
    # Unknown keys are refused so a field added to a to_dict() without a model here fails the tests.
    model_config = ConfigDict(extra="forbid", strict=True)


Offset = Field(ge=0)
Span = tuple[int, int]


class CitationOut(_Out):
    """A verbatim span of a stored article: article.text[start:end] == text."""

    n: int = Field(ge=1, description="the [n] marker in the answer text")
    article_id: str
    start: int = Offset
    end: int = Offset
    text: str
    title: str
    url: str
    source: str
    published: str = Field(description="ISO date (YYYY-MM-DD) or empty")
    speaker: str | None
    statement_id: str | None
    score: float
    speaker_role: str | None = Field(default=None, description="the speaker's role, e.g. spokesman")


class DiffOpOut(_Out):
    """One word-level edit between the claim and the source."""

    op: Literal["equal", "insert", "delete", "replace"]
    source: str = Field(description='words in the source ("" for insert)')
    claim: str = Field(description='words in the claim ("" for delete)')


class VerdictOut(_Out):
    """The outcome of checking a claimed quote (POST /verify)."""

    label: Literal["verified", "altered", "misattributed", "reported", "paraphrase", "not_found"]
    claim: str
    claimed_speaker: str | None
    evidence: list[CitationOut]
    actual_speaker: str | None
    diff: list[DiffOpOut]
    notes: list[str] = Field(description='e.g. "negation added", "number changed"')
    similarity: float


class PhrasingOut(_Out):
    """Which answer was served when [llm] phrasing is on, and why the model's prose was rejected if it was."""

    served: Literal["llm", "extractive"]
    model: str
    rejected: list[str] = Field(description="the guard's reasons (or why the model was not asked)")
    seconds: float | SkipJsonSchema[None] = Field(
        default=None,
        description="time the model took",
        json_schema_extra=lambda s: s.pop("default", None),  # type: ignore[arg-type,misc]
    )


class AnswerOut(_Out):
    """A reply to a question (POST /ask): text with [n] markers that resolve to citations."""

    answer: str
    intent: str
    citations: list[CitationOut]
    verdicts: list[VerdictOut]
    speaker: str | None
    context: AskContext = Field(description="send it back with the next question to follow up")
    # Sent only when [llm] phrasing is on; SkipJsonSchema keeps `null` out of the spec, since it is never sent.
    phrasing: PhrasingOut | SkipJsonSchema[None] = Field(
        default=None,
        description="which answer was served: the LLM's prose (passed the verbatim guard) or the extractive one",
        json_schema_extra=lambda s: s.pop("default", None),  # type: ignore[arg-type,misc]
    )


class StatementOut(_Out):
    """One attributed utterance with exact offsets into its article."""

    id: str
    article_id: str
    kind: Literal["direct", "partial", "mixed", "indirect"]
    start: int = Offset
    end: int = Offset
    text: str
    fragments: list[Span] = Field(description="content pieces as [start, end] pairs")
    quoted: list[Span] = Field(description="pieces inside quotation marks, as [start, end] pairs")
    speaker: str | None
    speaker_id: str | None
    speaker_kind: Literal["person", "organisation", "group", "document"] | None
    mention: str | None
    mention_start: int | None
    mention_end: int | None
    cue: str | None
    cue_start: int | None
    cue_end: int | None
    confidence: float


class CitedStatementOut(StatementOut):
    """A statement with the citation that quotes its sentence."""

    citation: CitationOut


class ArticleOut(_Out):
    """An article's stored text, metadata and statements (GET /articles/{article_id})."""

    id: str
    text: str = Field(description="the body every citation indexes into")
    title: str
    url: str
    source: str
    published: str
    byline: str
    caption: str
    statements: list[StatementOut]


class SpeakerOut(_Out):
    """A person, organisation or group that statements are attributed to."""

    id: str
    name: str
    aliases: list[str]
    roles: list[str]
    kind: Literal["person", "organisation", "group", "document"]
    statement_count: int = Field(ge=0)
    affiliations: list[str] = Field(default_factory=list, description="organisations the speaker speaks for")


class SpeakerDetailOut(SpeakerOut):
    """One speaker with their statements (GET /speakers/{speaker_id})."""

    statements: list[CitedStatementOut]


class CorrectionOut(_Out):
    """A stored editorial correction of speaker identity."""

    id: str
    op: Literal["merge", "split", "rename", "role"]
    speaker_id: str
    target: str
    alias: str
    name: str
    role: str
    at: float


class CorrectedOut(_Out):
    """The correction made and the entities as they are now."""

    correction: CorrectionOut
    speakers: list[SpeakerOut]


class SpeakersOut(_Out):
    """Speakers with statement counts (GET /speakers)."""

    speakers: list[SpeakerOut]


class CountsOut(_Out):
    """How many records each collection holds."""

    articles: int = Field(ge=0)
    chunks: int = Field(ge=0)
    statements: int = Field(ge=0)
    speakers: int = Field(ge=0)


class HealthOut(_Out):
    """Liveness with the index counts (GET /health)."""

    status: Literal["ok"]
    counts: CountsOut


class ReadyOut(_Out):
    """Readiness (GET /ready): the store answered and the model is loaded; unfinished writes wait for a repair."""

    status: Literal["ready"]
    store: bool
    model: bool
    unfinished_articles: int = Field(ge=0, description="article writes or deletes interrupted by a crash")
    repair: str | None = Field(default=None, description="what to run when unfinished_articles is not 0")


class FailedFileOut(_Out):
    """An uploaded file that could not be read, and why."""

    file: str
    reason: str


class IngestOut(_Out):
    """What one ingest did (POST /articles)."""

    articles: int = Field(ge=0, description="articles added or changed")
    chunks: int = Field(ge=0)
    statements: int = Field(ge=0)
    unchanged: int = Field(ge=0, description="articles already stored as sent")
    failed: list[FailedFileOut]
    article_ids: list[str]


class JobProgressOut(_Out):
    """Articles of a job ingested so far, of all it holds."""

    done: int = Field(ge=0)
    total: int = Field(ge=0)


class JobCountsOut(_Out):
    """What a job did: exact even when a worker died and its part was retried."""

    stored: int = Field(ge=0, description="articles written (new or changed)")
    unchanged: int = Field(ge=0, description="articles already stored as sent before the job looked at them")
    failed: int = Field(ge=0, description="files that could not be read plus articles whose part failed for good")


class JobErrorOut(_Out):
    """A file or an article the job could not ingest, by name, and why."""

    name: str = Field(description="the uploaded file's name, or the article's id")
    kind: Literal["file", "article"]
    reason: str


class JobPartsOut(_Out):
    """How many of the job's queued parts are in each state."""

    queued: int = Field(ge=0)
    started: int = Field(ge=0)
    finished: int = Field(ge=0)
    failed: int = Field(ge=0)


class JobOut(_Out):
    """An ingest job (202 from POST /articles, GET /jobs/{job_id})."""

    id: str
    state: Literal["queued", "started", "finished", "failed"] = Field(
        description="failed: every part ended and at least one failed for good (its articles are in errors)"
    )
    progress: JobProgressOut
    counts: JobCountsOut
    errors: list[JobErrorOut]
    parts: JobPartsOut
    created: str = Field(description="UTC, ISO 8601")
    finished: str | None = Field(description="UTC, ISO 8601, once every part has ended")


class DeleteOut(_Out):
    """An article removed (DELETE /articles/{article_id})."""

    deleted: Literal[True]
    id: str


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


class FieldErrorOut(_Out):
    """One invalid field and what to fix."""

    field: str
    message: str


class Problem(_Out):
    """An RFC 9457 problem: every error the API returns has this body, as application/problem+json."""

    type: str
    title: str
    status: int = Field(ge=400, le=599)
    detail: str = Field(description="what went wrong and what to do about it")
    # Present only on some problems; SkipJsonSchema keeps `null` out of the spec, since it is never sent.
    errors: list[FieldErrorOut] | SkipJsonSchema[None] = Field(
        default=None, description="one entry per invalid field", json_schema_extra=_no_default
    )
    file: str | SkipJsonSchema[None] = Field(
        default=None, description="the file that could not be read", json_schema_extra=_no_default
    )
