"""Routes declared once: method, path, models, key rule, CORS and rate limit, next to the view that serves them.

`Routes` is a Flask blueprint whose decorators take the whole contract of a route. The blueprint registration, the
JSON body parsing, the key check (bot/security.py), the rate limits, the CORS paths (bot/web.py) and the OpenAPI
document (bot/openapi.py) are all read from the `Route` records it collects, so they cannot disagree.

A registry of our own rather than flask-openapi3 or spectree: both replace Flask's app or wrap every view in their
own validation and error shapes, while quotebot already has one problem+json body for every error (bot/errors.py),
limits that come from settings, streamed answers and a body (POST /articles) that is JSON or uploaded files; the
hundred-odd lines of `Route`, `Routes` and the body parsing below keep all of that as it is.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from flask import Blueprint, current_app, request
from flask.json.provider import DefaultJSONProvider
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, RootModel
from werkzeug.exceptions import RequestEntityTooLarge

from bot.errors import InvalidRequest, UnsupportedMediaType

Media = tuple[str, dict[str, Any]]  # a media type with an inline schema, for responses that are not a model
Method = Literal["get", "post", "patch", "delete"]
View = TypeVar("View", bound=Callable[..., ResponseReturnValue])
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Param:
    """A query parameter."""

    name: str
    description: str
    schema: dict[str, Any]


@dataclass(frozen=True)
class Route:
    """One operation of the API: its models, who may call it, its limits and the errors it can answer with."""

    method: Method
    path: str  # OpenAPI style: /speakers/{speaker_id}
    endpoint: str  # the Flask endpoint; its last part is the operationId
    summary: str
    ok: type[BaseModel] | Media
    body: type[BaseModel] | None = None  # parsed from JSON and passed to the view as `body`
    accepted: type[BaseModel] | None = None  # the 202 answer, when the work may be queued instead
    errors: tuple[int, ...] = ()
    query: tuple[Param, ...] = ()
    # "reads": a key only when server.require_key_for_reads is set. It is the default, so a new route is guarded unless
    # it says auth="none".
    auth: Literal["none", "key", "reads"] = "reads"
    limited: bool = False  # rate-limited when server.rate_limit is set
    cors: bool = False  # a page on an allowed origin (server.cors_origins) may call it
    stream: str = ""  # what a text/event-stream 200 carries; "" when the route does not stream
    uploads: bool = False  # the body may also be multipart/form-data files (then the view gets body=None)
    unavailable: bool = True  # touches the store, so 503 when it is down


class Routes:
    """A Flask blueprint whose routes are declared with their contract; `routes` lists them in declaration order."""

    def __init__(self, name: str, import_name: str, *, url_prefix: str = "", **blueprint: Any) -> None:
        self.blueprint = Blueprint(name, import_name, url_prefix=url_prefix or None, **blueprint)
        self.prefix = url_prefix
        self.routes: list[Route] = []

    def get(self, path: str, ok: type[BaseModel] | Media, summary: str, **contract: Any) -> Callable[[View], View]:
        """Declare a GET route (see Route for the contract's fields)."""
        return self.route("get", path, ok, summary, **contract)

    def post(self, path: str, ok: type[BaseModel] | Media, summary: str, **contract: Any) -> Callable[[View], View]:
        """Declare a POST route."""
        return self.route("post", path, ok, summary, **contract)

    def patch(self, path: str, ok: type[BaseModel] | Media, summary: str, **contract: Any) -> Callable[[View], View]:
        """Declare a PATCH route."""
        return self.route("patch", path, ok, summary, **contract)

    def delete(self, path: str, ok: type[BaseModel] | Media, summary: str, **contract: Any) -> Callable[[View], View]:
        """Declare a DELETE route."""
        return self.route("delete", path, ok, summary, **contract)

    def route(
        self, method: Method, path: str, ok: type[BaseModel] | Media, summary: str, **contract: Any
    ) -> Callable[[View], View]:
        """Declare a route and register its view on the blueprint."""

        def decorate(view: View) -> View:
            endpoint = f"{self.blueprint.name}.{view.__name__}"
            route = Route(method, self.prefix + path, endpoint, summary, ok, **contract)
            self.routes.append(route)
            rule = re.sub(r"{([^}]+)}", r"<\1>", path)
            self.blueprint.add_url_rule(rule, view_func=_with_body(route, view), methods=[method.upper()])
            return view

        return decorate


def _with_body(route: Route, view: View) -> Callable[..., ResponseReturnValue]:
    """Return `view`, given its parsed body as `body` when the route declares one."""
    model = route.body
    if model is None:
        return view

    @functools.wraps(view)
    def parsed(**kwargs: Any) -> ResponseReturnValue:
        if route.uploads and request.mimetype == "multipart/form-data":
            return view(**kwargs, body=None)
        return view(**kwargs, body=parse_json(model, files=route.uploads))

    return parsed


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, keys kept in order, and a body nested too deeply for the parser read as invalid JSON."""

    sort_keys = False

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse JSON; a RecursionError (thousands of nested brackets) becomes the ValueError of any bad JSON."""
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("nested too deeply; nest objects and arrays at most a few hundred levels") from None


def refuse_oversized_streamed_body() -> None:
    """Refuse with 413 a body sent without Content-Length (chunked) that is larger than server.max_body_bytes."""
    limit = request.max_content_length
    if limit is None or request.content_length is not None or request.method in ("GET", "HEAD", "OPTIONS"):
        return  # a declared length over the limit is refused by werkzeug itself
    # Werkzeug silently cuts such a body at the limit (the route then sees broken JSON: a 422 that hides the
    # cause). Read it once here (cached for the route); one more byte beyond the limit means it was too large.
    stream = request.environ["wsgi.input"]
    if len(request.get_data(cache=True)) >= limit and stream.read(1):
        # Read on (at most the limit again) so a client that sends the whole body before it reads sees the 413
        # instead of a reset connection; past that the server closes the connection anyway.
        drained = 0
        while drained < limit and (piece := stream.read(min(1 << 20, limit - drained))):
            drained += len(piece)
        raise RequestEntityTooLarge()


def read_json() -> Any:
    """Return the parsed JSON body, or raise a 422 that says why it is not JSON."""
    try:
        return current_app.json.loads(request.get_data(cache=True))
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise InvalidRequest(
            f"the body is not valid JSON: {exc}", extra={"errors": [{"field": "body", "message": "invalid JSON"}]}
        ) from None


def parse_json(model: type[M], *, files: bool = False) -> M:
    """Parse and validate the JSON body as `model`, or raise an error that says what to fix."""
    if not request.is_json:
        also = " or files as multipart/form-data" if files else ""
        raise UnsupportedMediaType(
            f"send the body as JSON with 'Content-Type: application/json'{also} (got {request.mimetype or 'none'!r})"
        )
    body: Any = read_json()
    if not isinstance(body, dict) and not issubclass(model, RootModel):  # a root model checks its own shape
        raise InvalidRequest("the body must be a JSON object")
    return model.model_validate(body)


def path_pattern(routes: Sequence[Route]) -> re.Pattern[str]:
    """Return a pattern that matches the URL paths of `routes` (a {name} part is one non-empty path segment)."""
    paths = sorted({_path_regex(route.path) for route in routes})
    return re.compile(rf"^(?:{'|'.join(paths)})$")


def _path_regex(path: str) -> str:
    return "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in re.split(r"({[^}]+})", path))
