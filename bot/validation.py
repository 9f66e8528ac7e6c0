"""The limits of /ask and /verify, checked once for the API and the command line alike."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.errors import InvalidRequest
from bot.schemas import AskRequest, VerifyRequest


def check_length(field: str, value: str, limit: int) -> None:
    """Refuse a text longer than `limit` characters, saying how long it is."""
    if len(value) > limit:
        raise InvalidRequest(
            f"{field} is {len(value)} characters long; shorten it to at most {limit}",
            extra={"errors": [{"field": field, "message": f"at most {limit} characters"}]},
        )


def check_ask(body: AskRequest, limits: Mapping[str, Any]) -> int:
    """Apply the [ask] limits to a parsed /ask body; return the top_k to use."""
    check_length("question", body.question, limits["max_question_chars"])
    if body.context is not None and body.context.topic:
        check_length("context.topic", body.context.topic, limits["max_question_chars"])
    top_k: int = body.top_k or limits["top_k"]
    if top_k > limits["max_top_k"]:
        raise InvalidRequest(
            f"top_k is {top_k}; use a value from 1 to {limits['max_top_k']}",
            extra={"errors": [{"field": "top_k", "message": f"at most {limits['max_top_k']}"}]},
        )
    return top_k


def check_verify(body: VerifyRequest, limits: Mapping[str, Any]) -> None:
    """Apply the [verify] limits to a parsed /verify body."""
    check_length("quote", body.quote, limits["max_quote_chars"])
