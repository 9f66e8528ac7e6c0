"""The HTTP routes: request validation at the edge, then plain calls into chat and retrieval."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel

from bot.chat import AskParams, Chat
from bot.errors import InvalidRequest, UnsupportedMediaType
from bot.schemas import AskRequest
from bot.services import Services
from retrieval.errors import NotFoundError
from retrieval.search import Filters

bp = Blueprint("api", __name__)
M = TypeVar("M", bound=BaseModel)


def services() -> Services:
    """Return the process's services (built once by create_app)."""
    svc: Services = current_app.extensions["quotebot"]
    return svc


def parse_json(model: type[M]) -> M:
    """Parse and validate the JSON body as `model`, or raise an error that says what to fix."""
    if not request.is_json:
        raise UnsupportedMediaType(
            f"send the body as JSON with 'Content-Type: application/json' (got {request.mimetype or 'none'!r})"
        )
    body: Any = request.get_json(silent=True)
    if body is None:
        raise InvalidRequest(
            "the body is not valid JSON", extra={"errors": [{"field": "body", "message": "invalid JSON"}]}
        )
    if not isinstance(body, dict):
        raise InvalidRequest("the body must be a JSON object")
    return model.model_validate(body)


def _check_length(field: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise InvalidRequest(
            f"{field} is {len(value)} characters long; shorten it to at most {limit}",
            extra={"errors": [{"field": field, "message": f"at most {limit} characters"}]},
        )


@bp.post("/ask")
def ask() -> ResponseReturnValue:
    """Answer a question with citations."""
    svc = services()
    limits = svc.settings["ask"]
    body = parse_json(AskRequest)
    _check_length("question", body.question, limits["max_question_chars"])
    top_k = body.top_k or limits["top_k"]
    if top_k > limits["max_top_k"]:
        raise InvalidRequest(
            f"top_k is {top_k}; use a value from 1 to {limits['max_top_k']}",
            extra={"errors": [{"field": "top_k", "message": f"at most {limits['max_top_k']}"}]},
        )
    f = body.filters
    filters = Filters(
        article_id=f.article_id if f else None,
        since=f.since.isoformat() if f and f.since else None,
        until=f.until.isoformat() if f and f.until else None,
    )
    answer = Chat(svc.searcher).ask(AskParams(body.question, top_k, filters, body.context))
    return jsonify(answer.to_dict())


@bp.get("/articles/<article_id>")
def get_article(article_id: str) -> ResponseReturnValue:
    """Return an article's stored text (what citations index into) and metadata."""
    article = services().store.get_article(article_id)
    if article is None:
        raise NotFoundError("article", article_id)
    return jsonify(article.to_dict())


@bp.get("/health")
def health() -> ResponseReturnValue:
    """Return liveness with the index counts."""
    return jsonify({"status": "ok", "counts": services().store.counts().to_dict()})
