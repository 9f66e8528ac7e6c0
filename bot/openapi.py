"""The app's route table, gathered from the modules that declare their routes, and the OpenAPI 3.1 document
generated from it (each route's models, key rule, limits and errors)."""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from flask import Flask, current_app, jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel

from bot import api, openai_compat, schemas, search, web
from bot.routing import Route, Routes
from bot.settings import Settings

REF = "#/components/schemas/{model}"
PROBLEM_JSON = "application/problem+json"
EXTENSION = "quotebot_openapi"

routes = Routes("openapi", __name__)

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


def build_spec(settings: Settings, routes: Sequence[Route] | None = None) -> dict[str, Any]:
    """Return the OpenAPI 3.1 document of `routes` (default: every route of the app) for these settings."""
    components: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES if routes is None else routes:
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
        content["text/event-stream"] = {"schema": {"type": "string", "description": route.stream}}
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


@routes.get(
    "/openapi.json",
    ("application/json", {"type": "object", "required": ["openapi", "paths"]}),
    "This description",
    auth="none",
    cors=True,
    unavailable=False,
)
def spec() -> ResponseReturnValue:
    """Return the OpenAPI description."""
    return jsonify(spec_for(current_app._get_current_object()))  # type: ignore[attr-defined]


# Every route table of the app, in the order the document lists them.
TABLES: tuple[Routes, ...] = (api.routes, search.routes, openai_compat.routes, web.routes, routes)
ROUTES: tuple[Route, ...] = tuple(route for table in TABLES for route in table.routes)


def register(app: Flask) -> None:
    """Register every route of every table on `app`."""
    for table in TABLES:
        app.register_blueprint(table.blueprint)
