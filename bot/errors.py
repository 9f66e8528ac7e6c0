"""Map every error to one RFC 9457 application/problem+json body."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from retrieval.errors import ConfigError, LoadError, NotFoundError, StoreUnavailableError

if TYPE_CHECKING:  # the error classes are also raised where no app runs (the CLI's checks): Flask is imported late
    from flask import Flask, Response

PROBLEM_TYPE = "https://quotebot.dev/problems/"
log = logging.getLogger("quotebot.errors")


class ApiError(Exception):
    """An error with its HTTP status; `detail` tells the client what to fix."""

    status = 400
    title = "Bad request"
    slug = "bad-request"

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}
        self.headers = headers or {}


class UnsupportedMediaType(ApiError):
    """The request body is not in a content type the route accepts."""

    status, title, slug = 415, "Unsupported media type", "unsupported-media-type"


class InvalidRequest(ApiError):
    """The body parsed but its fields are wrong."""

    status, title, slug = 422, "Invalid request", "invalid-request"


class Conflict(ApiError):
    """The request is well formed but contradicts the index (merging an entity into itself)."""

    status, title, slug = 409, "Conflict", "conflict"


class Unauthorized(ApiError):
    """No or an unknown API key."""

    status, title, slug = 401, "Unauthorized", "unauthorized"


class ServiceUnavailable(ApiError):
    """A dependency (the Chroma server) is down; retry later."""

    status, title, slug = 503, "Service unavailable", "service-unavailable"


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    slug: str,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Return a problem+json response."""
    from flask import Response, json

    body: dict[str, Any] = {"type": PROBLEM_TYPE + slug, "title": title, "status": status, "detail": detail}
    body.update(extra or {})
    resp = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def _slug(title: str) -> str:
    return "-".join(title.lower().replace("'", "").split())


def validation_detail(exc: ValidationError) -> tuple[str, list[dict[str, Any]]]:
    """Return a one-line summary and the per-field errors of a pydantic error."""
    errors = []
    for err in exc.errors(include_url=False, include_context=False, include_input=False):
        field = ".".join(str(p) for p in err["loc"]) or "body"
        message = "unknown field; remove it" if err["type"] == "extra_forbidden" else err["msg"]
        errors.append({"field": field, "message": message})
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return summary, errors


def register(app: Flask) -> None:
    """Install the handlers that turn every error into problem+json."""
    from werkzeug.exceptions import HTTPException

    @app.errorhandler(ApiError)
    def _api(exc: ApiError) -> Response:
        return problem(exc.status, exc.title, exc.detail, slug=exc.slug, extra=exc.extra, headers=exc.headers)

    @app.errorhandler(ValidationError)
    def _validation(exc: ValidationError) -> Response:
        summary, errors = validation_detail(exc)
        return problem(422, "Invalid request", summary, slug="invalid-request", extra={"errors": errors})

    @app.errorhandler(NotFoundError)
    def _not_found(exc: NotFoundError) -> Response:
        return problem(404, "Not found", str(exc), slug="not-found")

    @app.errorhandler(LoadError)
    def _load(exc: LoadError) -> Response:
        return problem(422, "Unreadable article", str(exc), slug="unreadable-article", extra={"file": exc.path})

    @app.errorhandler(StoreUnavailableError)
    def _store(exc: StoreUnavailableError) -> Response:
        log.warning("store unavailable: %s", exc)
        return problem(
            503,
            "Service unavailable",
            "the index is unreachable; retry shortly",
            slug="service-unavailable",
            headers={"Retry-After": "5"},
        )

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        status = exc.code or 500
        title = exc.name or "Error"
        detail = exc.description or title
        if status == 413:
            limit = app.config.get("MAX_CONTENT_LENGTH")
            detail = f"request body too large; send at most {limit} bytes"
        resp = problem(status, title, detail, slug=_slug(title))
        if status == 405 and exc.get_response().headers.get("Allow"):
            resp.headers["Allow"] = exc.get_response().headers["Allow"]
        return resp

    @app.errorhandler(ConfigError)
    def _config(exc: ConfigError) -> Response:
        log.error("configuration error: %s", exc)
        return problem(500, "Internal server error", "server misconfigured; see the server log", slug="internal")

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        # The one bare `except Exception` of the app: log the traceback, never send it.
        log.exception("unhandled error")
        return problem(
            500, "Internal server error", "an unexpected error occurred; see the server log", slug="internal"
        )
