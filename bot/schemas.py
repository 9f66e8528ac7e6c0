"""Request models, validated once at the HTTP edge (unknown fields refused)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AskFilters(_Strict):
    """Optional restrictions on what /ask may cite."""

    article_id: str | None = Field(default=None, max_length=64)
    speaker: str | None = Field(default=None, max_length=200)
    since: dt.date | None = None
    until: dt.date | None = None


class AskRequest(_Strict):
    """Body of POST /ask."""

    question: str = Field(min_length=1, description="the question, in plain words")
    context: dict[str, Any] | None = Field(default=None, description="the `context` of the previous answer")
    filters: AskFilters | None = None
    top_k: int | None = Field(default=None, ge=1, description="passages or statements to return")

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("question must not be blank")
        return value


class VerifyRequest(_Strict):
    """Body of POST /verify."""

    quote: str = Field(min_length=1, description="the claimed words")
    speaker: str | None = Field(default=None, max_length=200, description="who supposedly said them")


class ArticleIn(_Strict):
    """One article posted to POST /articles."""

    id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    title: str = ""
    url: str = ""
    source: str = ""
    published: str = ""
    byline: str = ""
    text: str = Field(min_length=1)
