"""Request models, validated once at the HTTP edge (unknown fields refused), and the response models the spec shows."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, RootModel, ValidationInfo, field_validator
from pydantic.json_schema import JsonDict, SkipJsonSchema

from bot.errors import InvalidRequest
from retrieval.fields import ARTICLE_ID_PATTERN, DATE_EXAMPLES, check_no_nul, parse_published

# Documents for the spec what the strip-then-min_length check refuses: a value that is only whitespace.
NOT_BLANK: JsonDict = {"pattern": r"\S"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _iso_date(value: Any) -> Any:
    """Accept only a YYYY-MM-DD string: pydantic alone would take 0 or "0" as 1970-01-01."""
    if value is None or isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("use a date as YYYY-MM-DD, e.g. 2023-05-06")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]


class AskFilters(_Strict):
    """Optional restrictions on what /ask may cite."""

    article_id: str | None = Field(default=None, max_length=64)
    speaker: str | None = Field(default=None, max_length=200)
    since: IsoDate | None = None
    until: IsoDate | None = None


# Most statement ids a context may carry: bot/chat.py keeps `shown` to its last SHOWN_LIMIT (200) ids.
CONTEXT_IDS = 200
StatementIds = Annotated[
    list[Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]],
    Field(max_length=CONTEXT_IDS, description=f"statement ids, at most {CONTEXT_IDS}"),
]


class AskContext(_Strict):
    """The conversation state /ask returns and takes back: send the previous answer's `context` unchanged."""

    speaker: str = Field(default="", max_length=500, description="the id of the speaker being discussed")
    speaker_name: str = Field(default="", max_length=500)
    topic: str = Field(default="", description="at most ask.max_question_chars characters")
    shown: StatementIds = Field(default_factory=list, description="statements already shown")
    last: StatementIds = Field(default_factory=list, description="the statements of the previous answer")


class AskRequest(_Strict):
    """Body of POST /ask."""

    question: str = Field(min_length=1, description="the question, in plain words", json_schema_extra=NOT_BLANK)
    context: AskContext | None = Field(default=None, description="the `context` of the previous answer")
    filters: AskFilters | None = None
    # strict: "5" or true is a client bug to report, not a number to guess
    top_k: int | None = Field(default=None, ge=1, strict=True, description="passages or statements to return")

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("question must not be blank")
        return value


class VerifyRequest(_Strict):
    """Body of POST /verify."""

    quote: str = Field(min_length=1, description="the claimed words", json_schema_extra=NOT_BLANK)
    speaker: str | None = Field(default=None, max_length=200, description="who supposedly said them")


SPEAKER_ID = r"^[a-z0-9][a-z0-9-]{0,199}$"
ShortText = Annotated[str, Field(min_length=1, max_length=200, json_schema_extra=NOT_BLANK)]


class MergeRequest(_Strict):
    """Body of POST /speakers/{speaker_id}/merge: another entity that is the same person."""

    source: str = Field(pattern=SPEAKER_ID, description="the entity to fold into this one (it disappears)")


class SplitRequest(_Strict):
    """Body of POST /speakers/{speaker_id}/split: a mention that is someone else."""

    alias: str = Field(
        min_length=1,
        max_length=200,
        description="the mention or alias to split off, as written",
        json_schema_extra=NOT_BLANK,
    )
    name: ShortText | SkipJsonSchema[None] = Field(default=None, description="the other person's name")


class SpeakerPatch(_Strict):
    """Body of PATCH /speakers/{speaker_id}: a new display name and/or a role to add (at least one)."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"anyOf": [{"required": ["name"]}, {"required": ["add_role"]}]},
    )

    name: ShortText | SkipJsonSchema[None] = Field(default=None, description="the new display name")
    add_role: ShortText | SkipJsonSchema[None] = Field(default=None, description="a role to add, e.g. FBI director")


class ArticleIn(_Strict):
    """One article posted to POST /articles."""

    id: str | None = Field(default=None, pattern=ARTICLE_ID_PATTERN, description="default: a hash of url, else text")
    title: str = ""
    url: str = ""
    source: str = ""
    published: str = Field(default="", description=f"a date, stored as YYYY-MM-DD: {DATE_EXAMPLES}")
    byline: str = ""
    text: str = Field(min_length=1, json_schema_extra=NOT_BLANK)

    @field_validator("title", "url", "source", "published", "byline", "text")
    @classmethod
    def _no_nul(cls, value: str, info: ValidationInfo) -> str:
        check_no_nul(info.field_name or "field", value)  # the loaders' rule (retrieval/fields.py)
        return value

    @field_validator("published")
    @classmethod
    def _iso_published(cls, value: str) -> str:
        return parse_published(value)  # the loaders' rule: one function normalises every date we store


class ArticlesIn(_Strict):
    """Body of POST /articles in its wrapped form: {"articles": [...]}."""

    articles: list[ArticleIn] = Field(min_length=1)


def _article_records(value: Any) -> Any:
    """Return the records of any accepted form as one list: {"articles": [...]} unwrapped, one article wrapped."""
    # InvalidRequest is not a ValueError, so pydantic lets it through as is: the shape's own message, not a union's.
    if isinstance(value, dict) and set(value) == {"articles"}:
        value = value["articles"]
        if not isinstance(value, list):
            raise InvalidRequest('"articles" must be a list of article objects: {"articles": [{"text": ...}]}')
    records = value if isinstance(value, list) else [value]
    if not records or not all(isinstance(r, dict) for r in records):
        raise InvalidRequest('send an article object, a non-empty list of them, or {"articles": [...]}')
    return records


ArticleList = Annotated[list[ArticleIn], Field(min_length=1)]


class ArticlesBody(
    RootModel[
        Annotated[
            list[ArticleIn],
            BeforeValidator(_article_records, json_schema_input_type=ArticleIn | ArticleList | ArticlesIn),
        ]
    ]
):
    """JSON body of POST /articles: one article, a non-empty list of them, or {"articles": [...]}."""

    # `root` is always the list: the spec shows the three forms the validator accepts


# ---- responses: what the routes return, field for field (tests/test_openapi.py checks real responses) --------


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
