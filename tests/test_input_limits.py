"""Malformed or hostile client input is a 4xx problem+json naming what to fix, never a 500 or a half write."""

from __future__ import annotations

import http.client
import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.serving import make_server
from werkzeug.test import TestResponse

from bot import chat, create_app, schemas
from bot.services import Services, build_services
from bot.settings import load_settings
from retrieval.embedding import Embedder
from tests.conftest import SEEDS

KEY = "limits-test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> FlaskClient:
    """A client of one seeded app that accepts KEY, shared by this module (no test here may write)."""
    folder = tmp_path_factory.mktemp("limits")
    services = build_services(load_settings({"store": {"path": str(folder / "index")}}, environ={}), embedder=embedder)
    assert services.ingestor.ingest_paths([SEEDS]).articles == 1
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QUOTEBOT_API_KEYS", KEY)
        return create_app(services=services).test_client()


def _problem(resp: TestResponse, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    body: dict[str, Any] = resp.get_json(force=True)
    assert body["status"] == status and "Traceback" not in resp.get_data(as_text=True)
    return body


# ---- /ask context ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("context", "field"),
    [
        ({"shown": 5}, "context.shown"),
        ({"shown": None}, "context.shown"),
        ({"last": 5}, "context.last"),
        ({"last": "abc"}, "context.last"),
        ({"last": [f"{i:016x}" for i in range(100_000)]}, "context.last"),
        ({"shown": ["a"] * 201}, "context.shown"),  # 200 is the limit
        ({"shown": [{"id": "x"}]}, "context.shown.0"),
        ({"last": ["../../etc"]}, "context.last.0"),
        ({"speaker": 5}, "context.speaker"),
        ({"speaker": ["john-kirby"]}, "context.speaker"),
        ({"speaker_name": "x" * 501}, "context.speaker_name"),
        ({"topic": "x" * 1001}, "context.topic"),
        ({"colour": "red"}, "context.colour"),
        ("john-kirby", "context"),
        ([], "context"),
    ],
)
def test_malformed_context_is_a_422_naming_the_field(keyed: FlaskClient, context: Any, field: str) -> None:
    body = _problem(keyed.post("/ask", json={"question": "what else did he say?", "context": context}), 422)
    assert field in body["detail"]
    assert field in [e["field"] for e in body["errors"]]


def test_context_round_trips_through_follow_ups(keyed: FlaskClient) -> None:
    first = keyed.post("/ask", json={"question": "what did Kirby say?"}).get_json()
    assert first["context"]["speaker"] == "john-kirby" and first["context"]["last"]
    when = keyed.post("/ask", json={"question": "when did he say that?", "context": first["context"]})
    assert when.status_code == 200 and when.get_json()["citations"]
    more = keyed.post("/ask", json={"question": "what else did he say?", "context": first["context"]})
    assert more.status_code == 200
    schemas.AnswerOut.model_validate(more.get_json())  # the context sent back is one the next request accepts
    assert keyed.post("/ask", json={"question": "what else?", "context": more.get_json()["context"]}).status_code == 200


def test_context_id_limit_holds_what_chat_keeps() -> None:
    assert chat.SHOWN_LIMIT <= schemas.CONTEXT_IDS == 200


# ---- JSON nested thousands deep ----------------------------------------------------------------------------


def _deep(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


@pytest.mark.parametrize("path", ["/ask", "/verify", "/articles"])
@pytest.mark.parametrize(
    "raw",
    [
        _deep(5_000),
        _deep(100_000),
        '{"question": "hi", "context": {"shown": ' + _deep(5_000, '"a"') + "}}",
        '{"quote": ' + '{"a": ' * 5_000 + "1" + "}" * 5_000 + "}",
    ],
    ids=["5k", "100k", "inside-context", "objects"],
)
def test_deeply_nested_json_is_a_422_and_still_logged(
    keyed: FlaskClient, caplog: pytest.LogCaptureFixture, path: str, raw: str
) -> None:
    caplog.set_level(logging.INFO, logger="quotebot.access")
    before = keyed.get("/health").get_json()["counts"]
    body = _problem(keyed.post(path, data=raw, content_type="application/json", headers=AUTH), 422)
    assert "nested too deeply" in body["detail"]
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "quotebot.access"]
    assert [(line["path"], line["status"]) for line in lines][-1] == (path, 422)
    assert keyed.get("/health").get_json()["counts"] == before


# ---- POST /articles: one rule per field, shared with the loaders ----------------------------------------------


@pytest.fixture
def writer(seeded: Services, monkeypatch: pytest.MonkeyPatch) -> FlaskClient:
    """A client of a seeded app of its own, for tests that write."""
    monkeypatch.setenv("QUOTEBOT_API_KEYS", KEY)
    return create_app(services=seeded).test_client()


@pytest.mark.parametrize(
    ("records", "field", "needle"),
    [
        ({"published": "yesterday", "text": "x"}, "0.published", '"2023-05-06"'),
        ({"published": "2023-02-30", "text": "x"}, "0.published", "not a date"),
        ([{"text": "fine"}, {"published": "06/05/2023", "text": "y"}], "1.published", "May 6, 2023"),
        ({"text": "before\u0000after"}, "0.text", "NUL character (U+0000) at offset 6"),
        ({"title": "a\u0000", "text": "x"}, "0.title", "NUL"),
        ({"id": ".", "text": "x"}, "0.id", "pattern"),
        ({"id": "..", "text": "x"}, "0.id", "pattern"),
        ({"id": "a/b", "text": "x"}, "0.id", "pattern"),
        ({"id": "-rf", "text": "x"}, "0.id", "pattern"),
        ([{"id": "dup-1", "text": "First."}, {"id": "dup-1", "text": "Second."}], "1.id", "'dup-1'"),
        ({"articles": [{"id": "dup-2", "text": "A."}, {"id": "dup-2", "text": "A!"}]}, "1.id", "same id"),
        ([{"url": "https://x.example/a", "text": "A."}, {"url": "https://x.example/a", "text": "B."}], "1.id", "url"),
    ],
)
def test_bad_article_fields_are_422_naming_the_field_and_write_nothing(
    keyed: FlaskClient, records: Any, field: str, needle: str
) -> None:
    before = keyed.get("/health").get_json()["counts"]
    body = _problem(keyed.post("/articles", json=records, headers=AUTH), 422)
    assert field in [e["field"] for e in body["errors"]] and needle in body["detail"], body
    assert keyed.get("/health").get_json()["counts"] == before


@pytest.mark.parametrize(
    ("published", "iso"),
    [("May 6, 2023", "2023-05-06"), ("2023-05-06T23:59:00+02:00", "2023-05-06"), ("6 May 2023", "2023-05-06")],
)
def test_published_is_stored_as_an_iso_date_that_filters_find(writer: FlaskClient, published: str, iso: str) -> None:
    article = {"id": "dated-1", "published": published, "text": "The mayor said the bridge “will open in May”."}
    assert writer.post("/articles", json=article, headers=AUTH).status_code == 200
    assert writer.get("/articles/dated-1").get_json()["published"] == iso
    found = writer.post(
        "/ask", json={"question": "bridge open in May", "filters": {"article_id": "dated-1", "since": iso}}
    )
    assert [c["published"] for c in found.get_json()["citations"]][:1] == [iso]


# ---- bodies without Content-Length, through a real HTTP server ----------------------------------------------


@pytest.fixture(scope="module")
def served(keyed: FlaskClient) -> Iterator[str]:
    """The module's app behind werkzeug's threaded HTTP server on loopback (it de-chunks bodies like gunicorn)."""
    server = make_server("127.0.0.1", 0, keyed.application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def _post_chunked(host: str, path: str, pieces: Iterator[bytes]) -> tuple[int, str, dict[str, Any]]:
    conn = http.client.HTTPConnection(host, timeout=60)
    try:
        headers = {"Content-Type": "application/json", **AUTH}
        conn.request("POST", path, body=pieces, headers=headers, encode_chunked=True)
        resp = conn.getresponse()
        return resp.status, resp.headers.get_content_type(), json.loads(resp.read())
    finally:
        conn.close()


def _eleven_megabytes() -> Iterator[bytes]:
    yield b'{"text": "'
    for _ in range(11):
        yield b"x" * 1_000_000
    yield b'"}'


@pytest.mark.parametrize("path", ["/articles", "/ask"])
def test_chunked_body_over_the_limit_is_413_not_422(keyed: FlaskClient, served: str, path: str) -> None:
    before = keyed.get("/health").get_json()["counts"]
    status, mimetype, body = _post_chunked(served, path, _eleven_megabytes())
    assert (status, mimetype) == (413, "application/problem+json"), body
    assert "10000000 bytes" in body["detail"]
    assert keyed.get("/health").get_json()["counts"] == before


def test_chunked_body_within_the_limit_is_read_whole(served: str) -> None:
    question = {"question": "what did Kirby say?", "filters": {"speaker": "Kirby"}}
    raw = json.dumps(question).encode()
    status, _, body = _post_chunked(served, "/ask", iter([raw[:10], raw[10:]]))
    assert status == 200 and body["speaker"] == "John Kirby"


# ---- requests the app refuses itself: all problem+json (the HTTP server's own 414/431 are in README) ----------


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("POST", "/articles", {"data": b"x", "content_type": "multipart/form-data"}, 422),  # no boundary
        (
            "POST",
            "/articles",
            {"data": {f"f{i}": "x" for i in range(1001)}, "content_type": "multipart/form-data"},
            413,
        ),
        ("POST", "/articles", {"data": {"f": "x"}}, 415),  # a form, not JSON or files
        ("POST", "/ask", {"data": b"{}", "headers": {"Content-Type": "application/json", "Content-Length": "x"}}, 422),
        (
            "POST",
            "/ask",
            {"data": '{"question": "caf\xe9"}'.encode("latin-1"), "content_type": "application/json"},
            422,
        ),
        (
            "POST",
            "/ask",
            {"data": b'{"question": "hi", "top_k": ' + b"9" * 5000 + b"}", "content_type": "text/json"},
            415,
        ),
        ("GET", "/articles/%ZZ", {}, 404),
        ("GET", "/speakers?q=" + "a" * 201, {}, 422),
        ("DELETE", "/articles/..", {}, 404),
        ("PUT", "/ask", {"json": {}}, 405),
    ],
)
def test_what_the_app_refuses_is_problem_json(
    keyed: FlaskClient, method: str, path: str, kwargs: dict[str, Any], status: int
) -> None:
    extra = {k: v for k, v in kwargs.items() if k != "headers"}
    _problem(keyed.open(path, method=method, headers={**AUTH, **kwargs.get("headers", {})}, **extra), status)


def test_an_exact_repeat_is_stored_once_like_in_a_file(writer: FlaskClient) -> None:
    record = {"id": "rep-1", "text": "The mayor said the bridge “will open in May”."}
    report = writer.post("/articles", json=[record, dict(record)], headers=AUTH).get_json()
    assert (report["articles"], report["article_ids"]) == (1, ["rep-1"])
