"""API keys on every route that returns stored content, and the one key convention (Authorization: Bearer)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bot import create_app
from bot.openapi import build_spec
from bot.services import Services
from retrieval.filters import Filters

KEY = "security-test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
# The only routes that may answer without a key when server.require_key_for_reads is set: none returns stored
# content. Written out here, not read from the code, so a new route that forgets its guard fails the walk below.
PUBLIC = {"api.health", "api.ready", "web.demo", "web.widget", "openapi.spec", "static"}
# A value for each path argument (the key check comes before any lookup, so they need not exist).
ARGS = {"article_id": "some-article", "speaker_id": "john-kirby", "filename": "widget.js", "job_id": "0" * 32}


@pytest.fixture
def guarded(seeded: Services, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """An app over the seeded index that requires a key for reads."""
    monkeypatch.setenv("QUOTEBOT_API_KEYS", KEY)
    monkeypatch.setattr(seeded.settings.server, "require_key_for_reads", True)
    yield create_app(services=seeded)


def _requests(app: Flask) -> Iterator[tuple[str, str, str]]:
    """Yield (endpoint, method, path) for every route and method the app serves."""
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: ARGS[m[1]], rule.rule)
        for method in sorted((rule.methods or set()) - {"OPTIONS"}):
            yield rule.endpoint, method, path


def test_every_route_but_the_public_few_needs_a_key_for_reads(guarded: Flask) -> None:
    client = guarded.test_client()
    walked = set()
    for endpoint, method, path in _requests(guarded):
        walked.add(endpoint)
        resp = client.open(path, method=method, json={} if method in ("POST", "PUT", "PATCH") else None)
        if endpoint in PUBLIC:
            assert resp.status_code != 401, f"{method} {path} is public but asked for a key"
        else:
            assert resp.status_code == 401, f"{method} {path} answered {resp.status_code} without a key"
            assert resp.mimetype == "application/problem+json"
            keyed = client.open(path, method=method, headers=AUTH, json={} if method == "POST" else None)
            assert keyed.status_code not in (401, 403), f"{method} {path} refused a valid key"
    assert {"api.list_speakers", "api.get_speaker", "api.get_article", "api.ask"} <= walked


@pytest.mark.parametrize("path", ["/speakers", "/speakers?q=kirby", "/speakers/john-kirby", "/articles/{article}"])
def test_stored_content_needs_a_key_when_reads_do(guarded: Flask, seeded: Services, path: str) -> None:
    article_id = seeded.store.get_statements(Filters(speaker_id="john-kirby"))[0].source.article_id
    path = path.format(article=article_id)
    client = guarded.test_client()
    refused = client.get(path)
    assert refused.status_code == 401 and refused.mimetype == "application/problem+json"
    assert "Kirby" not in refused.get_data(as_text=True)
    assert client.get(path, headers=AUTH).status_code == 200


def test_reads_stay_public_by_default(client: FlaskClient) -> None:
    for path in ("/speakers", "/speakers/john-kirby"):
        assert client.get(path).status_code == 200


def test_spec_says_which_routes_need_a_key(guarded: Flask) -> None:
    spec = build_spec(guarded.extensions["quotebot"].settings)
    rules = {(rule.rule, m.lower()): rule.endpoint for rule in guarded.url_map.iter_rules() for m in rule.methods or ()}
    for path, ops in spec["paths"].items():
        for verb, op in ops.items():
            endpoint = rules[(re.sub(r"{([^}]+)}", r"<\1>", path), verb)]
            assert ("security" in op) == (endpoint not in PUBLIC), (verb, path)


def test_preflight_needs_no_key(guarded: Flask, seeded: Services) -> None:
    seeded.settings.server.cors_origins = ["https://news.example"]
    try:
        client = create_app(services=seeded).test_client()
        headers = {"Origin": "https://news.example", "Access-Control-Request-Method": "GET"}
        resp = client.options("/speakers", headers=headers)
        assert resp.status_code == 200 and resp.headers["Access-Control-Allow-Origin"] == "https://news.example"
    finally:
        seeded.settings.server.cors_origins = []


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "bEaReR", "Bearer ", "Bearer"])
def test_the_bearer_scheme_is_case_insensitive(guarded: Flask, scheme: str) -> None:
    header = f"{scheme} {KEY}"
    client = guarded.test_client()
    assert client.get("/speakers", headers={"Authorization": header}).status_code == 200
    written = client.post("/articles", json={"id": "case-1", "text": "x"}, headers={"Authorization": header})
    assert written.status_code == 200


@pytest.mark.parametrize("header", [f"Basic {KEY}", f"Bearer{KEY}", f"Token {KEY}", KEY, "bearer", "Bearer  "])
def test_other_schemes_and_bare_keys_are_401(guarded: Flask, header: str) -> None:
    resp = guarded.test_client().get("/speakers", headers={"Authorization": header})
    assert resp.status_code == 401 and "Authorization: Bearer <key>" in resp.get_json()["detail"]


def test_x_api_key_is_not_a_second_convention(guarded: Flask) -> None:
    assert guarded.test_client().get("/speakers", headers={"X-API-Key": KEY}).status_code == 401
