"""Models of the integration routes (POST /search, /v1/chat/completions, /v1/models), kept free of Flask and the
store so that bot.client imports only pydantic and httpx."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.schemas.requests import NOT_BLANK, AskFilters, _Strict
from bot.schemas.responses import CitationOut, VerdictOut, _Out

MODEL_ID = "quotebot"  # the one model /v1/models lists
Kind = Literal["chunk", "direct", "partial", "mixed", "indirect"]

# ---- POST /search --------------------------------------------------------------------------------------------


class SearchRequest(_Strict):
    """Body of POST /search."""

    query: str = Field(min_length=1, description="what to look for, in plain words", json_schema_extra=NOT_BLANK)
    kind: Literal["statements", "chunks"] = Field(
        default="statements", description="attributed statements, or raw article chunks"
    )
    filters: AskFilters | None = None
    top_k: int | None = Field(default=None, ge=1, strict=True, description="results to return")


class SearchHitOut(CitationOut):
    """One result: a verbatim citation with what kind of span it is and whose words."""

    kind: Kind = Field(description='"chunk", or the statement kind')
    speaker_id: str | None


class SearchOut(_Out):
    """Results of POST /search, best first."""

    results: list[SearchHitOut]


# ---- /v1: OpenAI-compatible chat -----------------------------------------------------------------------------


class TextPart(BaseModel):
    """One part of a message's content in the list form."""

    model_config = ConfigDict(extra="ignore")
    type: str
    text: str = ""


class ChatMessage(BaseModel):
    """One message of the conversation (extra OpenAI fields such as `name` are ignored)."""

    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[TextPart] | None = None

    def text(self) -> str:
        """Return the message's text (list content: its text parts joined)."""
        if isinstance(self.content, list):
            return "\n".join(p.text for p in self.content if p.type == "text")
        return self.content or ""


class QuotebotOptions(BaseModel):
    """The `quotebot` extension of a request: /ask's filters and top_k."""

    model_config = ConfigDict(extra="forbid")
    filters: AskFilters | None = None
    top_k: int | None = Field(default=None, ge=1, strict=True)


class ChatCompletionRequest(BaseModel):
    """Body of POST /v1/chat/completions. Sampling fields (temperature, max_tokens, ...) are accepted and ignored."""

    # OpenAI clients send sampling options quotebot has no use for; refusing them would break every client.
    model_config = ConfigDict(extra="ignore")
    model: str = Field(description="the model id from GET /v1/models", json_schema_extra={"const": MODEL_ID})
    messages: list[ChatMessage] = Field(min_length=1, description="the conversation; the last one is the question")
    stream: bool = False
    n: int = Field(default=1, ge=1, le=1, description="only one choice is produced")
    quotebot: QuotebotOptions | None = Field(default=None, description="filters and top_k, as in POST /ask")

    @field_validator("model")
    @classmethod
    def _known_model(cls, value: str) -> str:
        if value != MODEL_ID:
            raise ValueError(f'unknown model {value!r}; use "{MODEL_ID}" (see GET /v1/models)')
        return value


class ChatMessageOut(_Out):
    """The assistant's reply."""

    role: Literal["assistant"]
    content: str


class ChoiceOut(_Out):
    """The one choice of a completion."""

    index: int
    message: ChatMessageOut
    finish_reason: Literal["stop"]
    logprobs: None


class UsageOut(_Out):
    """Words counted as tokens (quotebot runs no tokenizer)."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class QuotebotExtensionOut(_Out):
    """The extension field: the /ask answer behind the completion (citations, verdicts, intent, context)."""

    intent: str
    citations: list[CitationOut] = Field(description="as in POST /ask: each cites article.text[start:end] verbatim")
    verdicts: list[VerdictOut]
    speaker: str | None
    context: dict[str, Any]
    phrasing: dict[str, Any] | None = Field(default=None, description="which answer was served, when [llm] is set")


class ChatCompletionOut(_Out):
    """A chat completion in the OpenAI shape, with the `quotebot` extension."""

    id: str
    object: Literal["chat.completion"]
    created: int
    model: str
    choices: list[ChoiceOut]
    usage: UsageOut
    quotebot: QuotebotExtensionOut


class ModelOut(_Out):
    """One model."""

    id: str
    object: Literal["model"]
    created: int
    owned_by: str


class ModelsOut(_Out):
    """GET /v1/models."""

    object: Literal["list"]
    data: list[ModelOut]
