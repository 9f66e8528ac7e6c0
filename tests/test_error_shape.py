"""Every error is application/problem+json with type, title, status and a detail that says what to fix."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient


def _problem(resp, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json(force=True)
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    assert "Traceback" not in resp.get_data(as_text=True)
    return body


@pytest.mark.parametrize(
    ("kwargs", "status", "needle"),
    [
        ({"json": {}}, 422, "question"),
        ({"json": {"question": ""}}, 422, "question"),
        ({"json": {"question": "   "}}, 422, "at least 1 character"),
        ({"json": {"question": "x" * 1001}}, 422, "at most 1000"),
        ({"json": {"question": "hi", "top_k": 0}}, 422, "top_k"),
        ({"json": {"question": "hi", "top_k": 51}}, 422, "1 to 50"),
        ({"json": {"question": "hi", "top_k": "many"}}, 422, "top_k"),
        ({"json": {"question": "hi", "top_k": "5"}}, 422, "top_k"),
        ({"json": {"question": "hi", "top_k": True}}, 422, "top_k"),
        ({"json": {"question": "hi", "colour": "red"}}, 422, "colour: unknown field"),
        ({"json": {"question": "hi", "filters": {"since": "yesterday"}}}, 422, "filters.since"),
        ({"json": {"question": "hi", "filters": {"since": "0"}}}, 422, "YYYY-MM-DD"),
        ({"json": {"question": "hi", "filters": {"until": 0}}}, 422, "YYYY-MM-DD"),
        ({"json": ["question"]}, 422, "JSON object"),
        ({"data": "{not json", "content_type": "application/json"}, 422, "not valid JSON"),
        ({"data": "question=hi", "content_type": "application/x-www-form-urlencoded"}, 415, "application/json"),
        ({"data": "hi"}, 415, "application/json"),
    ],
)
def test_bad_ask_requests_get_problem_json(client: FlaskClient, kwargs: dict, status: int, needle: str) -> None:
    body = _problem(client.post("/ask", **kwargs), status)
    assert needle in body["detail"]


def test_unknown_article_is_404_problem(client: FlaskClient) -> None:
    body = _problem(client.get("/articles/nope"), 404)
    assert "nope" in body["detail"]


def test_unknown_route_and_wrong_method_are_problems(client: FlaskClient) -> None:
    _problem(client.get("/no-such-route"), 404)
    resp = client.get("/ask")
    _problem(resp, 405)
    assert "POST" in resp.headers["Allow"]


def test_oversized_body_is_413_problem(client: FlaskClient) -> None:
    client.application.config["MAX_CONTENT_LENGTH"] = 1000
    body = _problem(client.post("/ask", json={"question": "x" * 2000}), 413)
    assert "1000" in body["detail"]


def test_unexpected_failure_is_500_without_traceback(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(client.application.extensions["quotebot"].store, "counts", boom)
    body = _problem(client.get("/health"), 500)
    assert "secret" not in body["detail"]
