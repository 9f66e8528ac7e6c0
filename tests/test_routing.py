"""A route is declared once (bot/routing.py): its body parsing, key rule, rate limit and CORS all follow from that."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask, jsonify
from flask.testing import FlaskClient
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict

from bot import create_app, errors
from bot.openapi import ROUTES
from bot.routing import Route, Routes, path_pattern
from bot.services import Services

KEY = "routing-test-key"
ORIGIN = "https://news.example"


class Greeting(BaseModel):
    """A body for the test table."""

    model_config = ConfigDict(extra="forbid")
    name: str


def _table_app() -> Flask:
    """A bare app with one declared table: what the registry does without quotebot's services."""
    routes = Routes("t", __name__)

    @routes.post("/hello/{who}", Greeting, "Greet", body=Greeting, auth="none")
    def hello(who: str, body: Greeting) -> ResponseReturnValue:
        return jsonify({"who": who, "name": body.name})

    app = Flask(__name__)
    errors.register(app)
    app.register_blueprint(routes.blueprint)
    app.extensions["routes"] = routes.routes
    return app


def test_a_declared_route_is_registered_and_gets_its_parsed_body() -> None:
    app = _table_app()
    (route,) = app.extensions["routes"]
    assert (route.method, route.path, route.endpoint, route.body) == ("post", "/hello/{who}", "t.hello", Greeting)
    assert [r.rule for r in app.url_map.iter_rules() if r.endpoint == "t.hello"] == ["/hello/<who>"]
    client = app.test_client()
    assert client.post("/hello/you", json={"name": "Ann"}).get_json() == {"who": "you", "name": "Ann"}


@pytest.mark.parametrize(
    ("kwargs", "status", "needle"),
    [
        ({"data": "name=Ann", "content_type": "application/x-www-form-urlencoded"}, 415, "Content-Type"),
        ({"json": ["Ann"]}, 422, "must be a JSON object"),
        ({"data": "{", "content_type": "application/json"}, 422, "not valid JSON"),
        ({"json": {"name": "Ann", "age": 3}}, 422, "age: unknown field"),
    ],
)
def test_a_declared_body_is_refused_as_problem_json_saying_what_to_fix(kwargs: dict, status: int, needle: str) -> None:
    resp = _table_app().test_client().post("/hello/you", **kwargs)
    assert resp.status_code == status and resp.mimetype == "application/problem+json"
    assert needle in resp.get_json()["detail"]


def test_path_pattern_matches_one_segment_per_parameter() -> None:
    pattern = path_pattern(
        [Route("get", "/a/{x}/b", "t.v", "", Greeting), Route("get", "/openapi.json", "t.w", "", Greeting)]
    )
    assert pattern.match("/a/some-id/b") and pattern.match("/openapi.json")
    assert not pattern.match("/a//b") and not pattern.match("/a/x/y/b") and not pattern.match("/openapiXjson")


# ---- the real app: every route behaves as its declaration says ----------------------------------------------


def _path(route: Route) -> str:
    return re.sub(r"{[^}]+}", "some-id", route.path)


@pytest.fixture
def strict_app(services: Services, monkeypatch: pytest.MonkeyPatch) -> Iterator[FlaskClient]:
    """The real app with one allowed origin and a limit of one request per minute per route."""
    monkeypatch.setenv("QUOTEBOT_API_KEYS", KEY)
    monkeypatch.setattr(services.settings.server, "rate_limit", "1/minute")
    monkeypatch.setattr(services.settings.server, "cors_origins", [ORIGIN])
    with create_app(services=services).test_client() as client:
        yield client


def test_cors_headers_follow_each_routes_declaration(strict_app: FlaskClient) -> None:
    assert any(r.cors for r in ROUTES) and not all(r.cors for r in ROUTES)
    for route in ROUTES:
        asks = {"Origin": ORIGIN, "Access-Control-Request-Method": route.method.upper()}
        resp = strict_app.options(_path(route), headers=asks)
        allowed = resp.headers.get("Access-Control-Allow-Origin") == ORIGIN
        assert allowed == route.cors, f"{route.method} {route.path}: cors={route.cors} but allowed={allowed}"


def test_rate_limits_follow_each_routes_declaration(strict_app: FlaskClient) -> None:
    assert {r.endpoint for r in ROUTES if r.limited} >= {"api.ask", "api.verify"}
    auth = {"Authorization": f"Bearer {KEY}"}
    for route in ROUTES:
        # An empty body is refused (422) after the limit is counted, so nothing is written or searched.
        kwargs = {"json": {}} if route.body is not None else {}
        statuses = [
            strict_app.open(_path(route), method=route.method, headers=auth, **kwargs).status_code for _ in "12"
        ]
        assert (statuses[1] == 429) == route.limited, f"{route.method} {route.path}: {statuses}"
