"""The widget routes, the demo page and CORS headers, through the Flask test client."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bot import create_app
from bot.services import Services
from bot.web import origin_patterns

ALLOWED = "https://news.example"
PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}


@pytest.fixture
def cors_client(seeded: Services) -> FlaskClient:
    """A client of an app that allows one origin."""
    seeded.settings.server.cors_origins = [ALLOWED]
    return create_app(services=seeded).test_client()


def test_widget_js_is_served_as_javascript(client: FlaskClient) -> None:
    resp = client.get("/widget.js")
    assert resp.status_code == 200
    assert resp.mimetype == "text/javascript"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    body = resp.get_data(as_text=True)
    assert "customElements.define(TAG, QuotebotChat)" in body
    assert ".innerHTML" not in body and "insertAdjacentHTML" not in body  # data goes in as text only


def test_demo_page_embeds_the_widget_inline(client: FlaskClient) -> None:
    resp = client.get("/")
    assert resp.status_code == 200
    assert resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    assert '<script src="/widget.js" data-mode="inline"' in html
    assert "<strong>1</strong> articles" in html  # the seeded index's counts


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("OPTIONS", "/ask"),
        ("POST", "/ask"),
        ("GET", "/health"),
        ("GET", "/articles/nope"),
        ("OPTIONS", "/articles"),
        ("OPTIONS", "/articles/nope"),
        ("OPTIONS", "/verify"),
        ("GET", "/openapi.json"),
        ("GET", "/ready"),
    ],
)
def test_allowed_origin_gets_cors_headers_on_api_routes(cors_client: FlaskClient, method: str, path: str) -> None:
    headers = {"Origin": ALLOWED, **(PREFLIGHT if method == "OPTIONS" else {})}
    kwargs = {"json": {"question": "what did Kirby say?"}} if method == "POST" else {}
    resp = cors_client.open(path, method=method, headers=headers, **kwargs)
    assert resp.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "Origin" in resp.vary
    assert "Access-Control-Allow-Credentials" not in resp.headers


def test_preflight_allows_the_widget_request(cors_client: FlaskClient) -> None:
    resp = cors_client.options("/ask", headers={"Origin": ALLOWED, **PREFLIGHT})
    assert resp.status_code == 200
    assert "POST" in resp.headers["Access-Control-Allow-Methods"]
    assert resp.headers["Access-Control-Allow-Headers"].lower() == "content-type"
    assert int(resp.headers["Access-Control-Max-Age"]) > 0


@pytest.mark.parametrize(("method", "path"), [("POST", "/articles"), ("DELETE", "/articles/some-id")])
def test_preflight_allows_the_write_routes_with_a_key(cors_client: FlaskClient, method: str, path: str) -> None:
    asks = {"Access-Control-Request-Method": method, "Access-Control-Request-Headers": "authorization,content-type"}
    resp = cors_client.options(path, headers={"Origin": ALLOWED, **asks})
    assert resp.status_code == 200
    assert resp.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert method in resp.headers["Access-Control-Allow-Methods"]
    assert set(resp.headers["Access-Control-Allow-Headers"].lower().split(", ")) == {"authorization", "content-type"}


def test_error_responses_carry_cors_headers_so_the_widget_can_read_detail(cors_client: FlaskClient) -> None:
    resp = cors_client.post("/ask", json={"question": ""}, headers={"Origin": ALLOWED})
    assert resp.status_code == 422
    assert resp.mimetype == "application/problem+json"
    assert resp.headers["Access-Control-Allow-Origin"] == ALLOWED


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "https://news.example.evil.example",  # a prefix match must not pass
        "https://newsxexample",  # "." is not a regex wildcard
        "http://news.example",  # another scheme is another origin
        "null",
    ],
)
def test_other_origins_get_no_cors_headers(cors_client: FlaskClient, origin: str) -> None:
    resp = cors_client.options("/ask", headers={"Origin": origin, **PREFLIGHT})
    assert "Access-Control-Allow-Origin" not in resp.headers
    resp = cors_client.post("/ask", json={"question": "what did Kirby say?"}, headers={"Origin": origin})
    assert resp.status_code == 200  # the server answers; the browser withholds it from the page
    assert "Access-Control-Allow-Origin" not in resp.headers
    assert "Origin" in resp.vary


def test_no_origin_is_allowed_by_default(client: FlaskClient, app: Flask) -> None:
    resp = client.options("/ask", headers={"Origin": ALLOWED, **PREFLIGHT})
    assert "Access-Control-Allow-Origin" not in resp.headers


def test_widget_and_demo_page_are_not_cors_resources(cors_client: FlaskClient) -> None:
    for path in ("/widget.js", "/"):
        resp = cors_client.get(path, headers={"Origin": ALLOWED})
        assert "Access-Control-Allow-Origin" not in resp.headers


def test_origin_patterns_match_exactly_ignoring_case_and_trailing_slash() -> None:
    (pattern,) = origin_patterns(["https://News.example/", " "])
    assert pattern.match("https://news.example")
    assert not pattern.match("https://news.example:8443")
    assert not pattern.match("https://news.example.org")
