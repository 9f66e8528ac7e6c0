"""The OpenAPI 3.1 description, generated from the pydantic models in bot/schemas.py and the routes table below."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Literal

from flask import Blueprint, Flask, current_app, jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel

from bot import compat_schemas, openai_compat, schemas
from bot.settings import Settings

REF = "#/components/schemas/{model}"
PROBLEM_JSON = "application/problem+json"
EXTENSION = "quotebot_openapi"

bp = Blueprint("openapi", __name__)

# Why each error status is sent; every error body is a Problem.
ERRORS: dict[int, str] = {
    400: "The request could not be read.",
    401: "No API key, or not as 'Authorization: Bearer <key>'.",
    403: "The API key is not valid, or the server accepts none.",
    404: "No such resource.",
    409: "The request contradicts the index, e.g. merging a speaker into itself.",
    413: "The body is larger than server.max_body_bytes.",
    415: "The body is not in a content type this route accepts.",
    422: "The request parsed but a field is wrong; `errors` names each field where it can.",
    429: "Too many requests from this client; retry after Retry-After seconds.",
    500: "An unexpected error; the server log has the traceback.",
    503: "The index is unreachable; retry after Retry-After seconds.",
}
# Headers an error response carries besides X-Request-ID.
ERROR_HEADERS: dict[int, tuple[str, ...]] = {401: ("WWW-Authenticate",), 429: ("Retry-After",), 503: ("Retry-After",)}
BODY_ERRORS = (400, 413, 415, 422)
STREAM_EVENTS = (
    "Sent instead of the JSON answer when the request says `Accept: text/event-stream`. Events, in order: "
    "`start` (data: {intent, speaker}), then `token` events (data: {text}: a piece of the answer text, in order), "
    "then `done` (data: the full Answer JSON, citations included). The answer is complete before the stream starts, "
    "so a failure is an ordinary problem+json response, never a half stream: no `error` event is sent."
)

Media = tuple[str, dict[str, Any]]  # a media type with an inline schema, for responses that are not a model


@dataclass(frozen=True)
class Param:
    """A query parameter."""

    name: str
    description: str
    schema: dict[str, Any]


@dataclass(frozen=True)
class Route:
    """One operation of the API: its models, who may call it and the errors it can answer with."""

    method: Literal["get", "post", "patch", "delete"]
    path: str
    endpoint: str  # the Flask endpoint; its last part is the operationId
    summary: str
    ok: type[BaseModel] | Media
    body: type[BaseModel] | None = None
    accepted: type[BaseModel] | None = None  # the 202 answer, when the work may be queued instead
    errors: tuple[int, ...] = ()
    query: tuple[Param, ...] = ()
    # "reads": a key only when server.require_key_for_reads is set. It is the default, so a new route is guarded unless
    # it says auth="none"; bot/security.py enforces this field, so the spec and the guard cannot disagree.
    auth: Literal["none", "key", "reads"] = "reads"
    limited: bool = False  # rate-limited when server.rate_limit is set
    stream: bool = False  # 200 may also be text/event-stream
    stream_doc: str = STREAM_EVENTS  # what the event stream carries
    uploads: bool = False  # the body may also be multipart/form-data files
    unavailable: bool = True  # touches the store, so 503 when it is down


ROUTES: tuple[Route, ...] = (
    Route(
        "post",
        "/ask",
        "api.ask",
        "Answer a question; every citation is a verbatim span of a stored article",
        schemas.AnswerOut,
        body=schemas.AskRequest,
        errors=BODY_ERRORS,
        auth="reads",
        limited=True,
        stream=True,
    ),
    Route(
        "post",
        "/verify",
        "api.verify",
        "Check a claimed quote against the sources",
        schemas.VerdictOut,
        body=schemas.VerifyRequest,
        errors=BODY_ERRORS,
        auth="reads",
        limited=True,
    ),
    Route(
        "get",
        "/speakers",
        "api.list_speakers",
        "List speakers with statement counts (at most 100)",
        schemas.SpeakersOut,
        errors=(422,),
        query=(Param("q", "a name or part of one; empty lists everyone", {"type": "string", "maxLength": 200}),),
    ),
    Route(
        "get",
        "/speakers/{speaker_id}",
        "api.get_speaker",
        "One speaker with their statements, each cited verbatim",
        schemas.SpeakerDetailOut,
        errors=(404,),
    ),
    Route(
        "post",
        "/speakers/{speaker_id}/merge",
        "api.merge_speakers",
        "Fold another entity (`source`) into this one: one person (kept across re-ingests and restarts)",
        schemas.CorrectedOut,
        body=schemas.MergeRequest,
        errors=(*BODY_ERRORS, 404, 409),
        auth="key",
    ),
    Route(
        "post",
        "/speakers/{speaker_id}/split",
        "api.split_speaker",
        "Split an alias off an entity: statements with that mention become another person's",
        schemas.CorrectedOut,
        body=schemas.SplitRequest,
        errors=(*BODY_ERRORS, 404),
        auth="key",
    ),
    Route(
        "patch",
        "/speakers/{speaker_id}",
        "api.patch_speaker",
        "Rename an entity and/or add a role to it",
        schemas.CorrectedOut,
        body=schemas.SpeakerPatch,
        errors=(*BODY_ERRORS, 404),
        auth="key",
    ),
    Route(
        "get",
        "/articles/{article_id}",
        "api.get_article",
        "An article's stored text (what citations index into), metadata and statements",
        schemas.ArticleOut,
        errors=(404,),
    ),
    Route(
        "post",
        "/articles",
        "api.post_articles",
        "Ingest articles: JSON (one, a list, or {articles: [...]}) or uploaded files; idempotent",
        schemas.IngestOut,
        body=schemas.ArticlesBody,
        errors=BODY_ERRORS,
        auth="key",
        uploads=True,
        accepted=schemas.JobOut,
    ),
    Route(
        "get",
        "/jobs/{job_id}",
        "api.get_job",
        "An ingest job: state, progress, exact counts and each failed file or article by name",
        schemas.JobOut,
        errors=(404,),
        auth="key",
    ),
    Route(
        "delete",
        "/articles/{article_id}",
        "api.delete_article",
        "Remove an article with its chunks and statements",
        schemas.DeleteOut,
        errors=(404,),
        auth="key",
    ),
    Route(
        "post",
        "/search",
        "search.search",
        "Statements or article chunks nearest in meaning to a query, each a verbatim citation",
        compat_schemas.SearchOut,
        body=compat_schemas.SearchRequest,
        errors=BODY_ERRORS,
        auth="reads",
        limited=True,
    ),
    Route(
        "post",
        "/v1/chat/completions",
        "openai.chat_completions",
        "OpenAI-compatible chat: the last user message is the question; citations in the `quotebot` field",
        compat_schemas.ChatCompletionOut,
        body=compat_schemas.ChatCompletionRequest,
        errors=BODY_ERRORS,
        auth="reads",
        limited=True,
        stream=True,
        stream_doc=openai_compat.STREAM_CHUNKS,
    ),
    Route(
        "get",
        "/v1/models",
        "openai.models",
        "OpenAI-compatible model list: the one model, quotebot",
        compat_schemas.ModelsOut,
        auth="reads",
        unavailable=False,
    ),
    Route("get", "/health", "api.health", "Liveness with the index counts", schemas.HealthOut, auth="none"),
    Route(
        "get",
        "/ready",
        "api.ready",
        "Readiness: the store answers and the model is loaded",
        schemas.ReadyOut,
        auth="none",
    ),
    Route(
        "get",
        "/openapi.json",
        "openapi.spec",
        "This description",
        ("application/json", {"type": "object", "required": ["openapi", "paths"]}),
        auth="none",
        unavailable=False,
    ),
    Route(
        "get",
        "/widget.js",
        "web.widget",
        "The embeddable chat widget",
        ("text/javascript", {"type": "string"}),
        auth="none",
        unavailable=False,
    ),
    Route("get", "/", "web.demo", "A demo page that uses the widget", ("text/html", {"type": "string"}), auth="none"),
)


def build_spec(settings: Settings) -> dict[str, Any]:
    """Return the OpenAPI 3.1 document for an app with these settings."""
    components: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        paths.setdefault(route.path, {})[route.method] = _operation(route, settings, components)
    _apply_limits(components, settings)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "quotebot",
            "version": _version(),
            "summary": "Find, attribute and verify quotes in news articles, with verbatim citations.",
            "description": (
                "Every citation satisfies `article.text[start:end] == text`. Errors are RFC 9457 "
                "application/problem+json. Every response carries X-Request-ID (a valid incoming one is echoed)."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "QUOTEBOT_API_KEYS"}},
            "headers": {
                "X-Request-ID": {"description": "the request's id, as logged", "schema": {"type": "string"}},
                "Retry-After": {"description": "seconds to wait", "schema": {"type": "string"}},
                "WWW-Authenticate": {"description": "the auth scheme to use", "schema": {"type": "string"}},
            },
            "parameters": {
                "X-Request-ID": {
                    "name": "X-Request-ID",
                    "in": "header",
                    "required": False,
                    "description": "an id to log and echo; anything else is replaced by a fresh one",
                    "schema": {"type": "string"},
                }
            },
        },
    }


def _ref(model: type[BaseModel], components: dict[str, Any]) -> dict[str, str]:
    """Add `model` and the models it uses to `components`; return a $ref to it."""
    schema = model.model_json_schema(ref_template=REF)
    components.update(schema.pop("$defs", {}))
    components[model.__name__] = schema
    return {"$ref": REF.format(model=model.__name__)}


def _operation(route: Route, settings: Settings, components: dict[str, Any]) -> dict[str, Any]:
    """Return the operation object of one route."""
    server = settings.server
    secured = route.auth == "key" or (route.auth == "reads" and server.require_key_for_reads)
    errors = set(route.errors) | {500}
    if secured:
        errors |= {401, 403}
    if route.limited and server.rate_limit:
        errors.add(429)
    if route.unavailable:
        errors.add(503)
    op: dict[str, Any] = {
        "operationId": route.endpoint.rsplit(".", 1)[-1],
        "summary": route.summary,
        "parameters": [{"$ref": "#/components/parameters/X-Request-ID"}],
        "responses": {"200": _ok(route, components), **{str(s): _error(s, components) for s in sorted(errors)}},
    }
    if route.accepted is not None:
        op["responses"]["202"] = {
            "description": "Queued as a job (more articles than jobs.inline_max_articles); poll Location",
            "headers": {**_headers(), "Location": {"description": "/jobs/{job_id}", "schema": {"type": "string"}}},
            "content": {"application/json": {"schema": _ref(route.accepted, components)}},
        }
    if route.endpoint.startswith("api."):
        op["tags"] = ["api"]
    op["parameters"] += [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
        for name in _path_names(route.path)
    ]
    op["parameters"] += [
        {"name": p.name, "in": "query", "required": False, "description": p.description, "schema": p.schema}
        for p in route.query
    ]
    if route.body is not None:
        content: dict[str, Any] = {"application/json": {"schema": _ref(route.body, components)}}
        if route.uploads:
            content["multipart/form-data"] = {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "array",
                            "minItems": 1,
                            "items": {"type": "string", "format": "binary"},
                            "description": "article files: .txt, .md, .html, .json or .jsonl, chosen by name",
                        }
                    },
                }
            }
        op["requestBody"] = {"required": True, "content": content}
    if secured:
        op["security"] = [{"bearer": []}]
    return op


def _ok(route: Route, components: dict[str, Any]) -> dict[str, Any]:
    """Return the 200 response of a route."""
    if isinstance(route.ok, tuple):
        media, schema = route.ok
        content = {media: {"schema": schema}}
    else:
        content = {"application/json": {"schema": _ref(route.ok, components)}}
    if route.stream:
        content["text/event-stream"] = {"schema": {"type": "string", "description": route.stream_doc}}
    return {"description": route.summary, "headers": _headers(), "content": content}


def _error(status: int, components: dict[str, Any]) -> dict[str, Any]:
    """Return a problem+json response for `status`."""
    return {
        "description": ERRORS[status],
        "headers": _headers(*ERROR_HEADERS.get(status, ())),
        "content": {PROBLEM_JSON: {"schema": _ref(schemas.Problem, components)}},
    }


def _headers(*names: str) -> dict[str, Any]:
    return {name: {"$ref": f"#/components/headers/{name}", "required": True} for name in ("X-Request-ID", *names)}


def _path_names(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def _apply_limits(components: dict[str, Any], settings: Settings) -> None:
    """Write the limits that live in settings (not in the models) into the request schemas."""
    ask, verify = settings.ask, settings.verify
    components["AskRequest"]["properties"]["question"]["maxLength"] = ask.max_question_chars
    components["AskContext"]["properties"]["topic"]["maxLength"] = ask.max_question_chars
    components["AskRequest"]["properties"]["top_k"]["anyOf"][0]["maximum"] = ask.max_top_k
    components["VerifyRequest"]["properties"]["quote"]["maxLength"] = verify.max_quote_chars


def _version() -> str:
    try:
        return version("quotebot")
    except PackageNotFoundError:
        return "0+unknown"


def spec_for(app: Flask) -> dict[str, Any]:
    """Return the app's spec, built once and kept in app.extensions."""
    if EXTENSION not in app.extensions:
        app.extensions[EXTENSION] = build_spec(app.extensions["quotebot"].settings)
    spec: dict[str, Any] = app.extensions[EXTENSION]
    return spec


@bp.get("/openapi.json")
def spec() -> ResponseReturnValue:
    """Return the OpenAPI description."""
    return jsonify(spec_for(current_app._get_current_object()))  # type: ignore[attr-defined]


def init_app(app: Flask) -> None:
    """Register GET /openapi.json."""
    app.register_blueprint(bp)
