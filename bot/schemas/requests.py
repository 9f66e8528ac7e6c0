"""Request models: the bodies validated once at the HTTP edge (unknown fields refused)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

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
    candidates: StatementIds = Field(
        default_factory=list, description='the speaker ids a "which one do you mean?" answer offered'
    )


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
