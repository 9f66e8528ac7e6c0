"""The limits and filters of /ask, /verify, /search and /v1, checked once for the API and the command line alike."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.errors import InvalidRequest
from bot.schemas import AskFilters, AskRequest, VerifyRequest
from bot.settings import AskSettings, VerifySettings
from retrieval.search import Filters

if TYPE_CHECKING:
    from bot.services import Services


def check_length(field: str, value: str, limit: int) -> None:
    """Refuse a text longer than `limit` characters, saying how long it is."""
    if len(value) > limit:
        raise InvalidRequest(
            f"{field} is {len(value)} characters long; shorten it to at most {limit}",
            extra={"errors": [{"field": field, "message": f"at most {limit} characters"}]},
        )


def check_ask(body: AskRequest, limits: AskSettings) -> int:
    """Apply the [ask] limits to a parsed /ask body; return the top_k to use."""
    check_length("question", body.question, limits.max_question_chars)
    if body.context is not None and body.context.topic:
        check_length("context.topic", body.context.topic, limits.max_question_chars)
    return check_top_k(body.top_k, limits)


def check_top_k(top_k: int | None, limits: AskSettings, field: str = "top_k") -> int:
    """Return the top_k to use (the [ask] default when none is given), refusing one above ask.max_top_k."""
    chosen: int = top_k or limits.top_k
    if chosen > limits.max_top_k:
        raise InvalidRequest(
            f"{field} is {chosen}; use a value from 1 to {limits.max_top_k}",
            extra={"errors": [{"field": field, "message": f"at most {limits.max_top_k}"}]},
        )
    return chosen


def check_verify(body: VerifyRequest, limits: VerifySettings) -> None:
    """Apply the [verify] limits to a parsed /verify body."""
    check_length("quote", body.quote, limits.max_quote_chars)


def filters_for(svc: Services, f: AskFilters | None) -> Filters:
    """Turn request filters into search filters; an unknown or ambiguous speaker is a 422 that says what to send.

    An organisation's filter also takes in what its spokespeople said.
    """
    speaker_id = None
    also: tuple[str, ...] = ()
    if f and f.speaker:
        lookup = svc.speakers.lookup(f.speaker)
        if len(lookup.found) > 1:
            names = "; ".join(f"{sp.id} ({', '.join(sp.roles[:2]) or sp.kind})" for sp in lookup.found[:10])
            raise InvalidRequest(f"filters.speaker: {f.speaker!r} fits several speakers, name one by id: {names}")
        if lookup.one is None:
            raise InvalidRequest(f"filters.speaker: no known speaker matches {f.speaker!r}; see GET /speakers?q=")
        speaker_id = lookup.one.id
        also = tuple(sp.id for sp in lookup.spokespeople)
    return Filters(
        article_id=f.article_id if f else None,
        since=f.since.isoformat() if f and f.since else None,
        until=f.until.isoformat() if f and f.until else None,
        speaker_id=speaker_id,
        also_speakers=also,
    )
