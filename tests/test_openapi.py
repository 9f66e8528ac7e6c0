"""/openapi.json is valid OpenAPI 3.1, covers every route, and real responses match it and the response models."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from pydantic import BaseModel
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.test import TestResponse

from bot import create_app, schemas
from bot.openapi import ROUTES, build_spec
from bot.services import Services, build_services
from bot.settings import load_settings
from retrieval.embedding import Embedder
from tests.conftest import SEEDS

KEY = "openapi-test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
FLASK_ONLY = {"static"}  # Flask's own static route is not part of the API
ARTICLE = {"title": "Budget", "text": 'The plan is sound, the minister said. "We will not raise taxes," Jane Roe said.'}


def seeded_app(tmp: Path, embedder: Embedder, key: str, overrides: dict[str, Any] | None = None) -> Flask:
    """Return an app over a freshly seeded index in `tmp` that accepts `key` for writes."""
    services = build_services(
        load_settings({"store": {"path": str(tmp / "index")}, **(overrides or {})}, environ={}), embedder=embedder
    )
    report = services.ingestor.ingest_paths([SEEDS])
    assert report.articles == 1 and not report.failed
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QUOTEBOT_API_KEYS", key)
        return create_app(services=services)


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[FlaskClient]:
    """A client of one seeded app for the read-only tests of this module (seeding per test would dominate)."""
    with seeded_app(tmp_path_factory.mktemp("openapi"), embedder, KEY).test_client() as c:
        yield c


@pytest.fixture
def own(seeded: Services, monkeypatch: pytest.MonkeyPatch) -> Iterator[FlaskClient]:
    """A client of a seeded app of its own, for tests that write or reconfigure."""
    monkeypatch.setenv("QUOTEBOT_API_KEYS", KEY)
    with create_app(services=seeded).test_client() as c:
        yield c


@pytest.fixture(scope="module")
def spec(keyed: FlaskClient) -> dict[str, Any]:
    """The spec as the app serves it."""
    resp = keyed.get("/openapi.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    served: dict[str, Any] = resp.get_json()
    return served


def template(rule: str) -> str:
    """Return a Flask rule as an OpenAPI path: /articles/<article_id> -> /articles/{article_id}."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _walk(node: Any) -> Iterator[Any]:
    yield node
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    for child in children:
        yield from _walk(child)


# ---- the document --------------------------------------------------------------------------------------


def test_spec_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1.")
    # Schemathesis validates against the official OpenAPI 3.1 meta-schema it bundles.
    schemathesis.openapi.from_dict(spec).validate()
    for name, schema in spec["components"]["schemas"].items():
        assert name and Draft202012Validator.check_schema(schema) is None


def test_every_ref_resolves(spec: dict[str, Any]) -> None:
    refs = {n["$ref"] for n in _walk(spec) if isinstance(n, dict) and isinstance(n.get("$ref"), str)}
    assert refs
    for ref in refs:
        node: Any = spec
        for part in ref.removeprefix("#/").split("/"):
            assert part in node, f"{ref} does not resolve"
            node = node[part]


def test_every_route_is_described_and_nothing_else(keyed: FlaskClient, spec: dict[str, Any]) -> None:
    app: Flask = keyed.application
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in FLASK_ONLY:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            path, verb = template(rule.rule), method.lower()
            served.add((path, verb))
            assert verb in spec["paths"].get(path, {}), f"{method} {rule.rule} is missing from /openapi.json"
            assert spec["paths"][path][verb]["operationId"] == rule.endpoint.rsplit(".", 1)[-1]
    described = {(path, verb) for path, ops in spec["paths"].items() for verb in ops}
    assert described == served, f"described but not served: {described - served}"


def test_spec_is_built_once_per_app(keyed: FlaskClient, spec: dict[str, Any]) -> None:
    ext = keyed.application.extensions["quotebot_openapi"]
    keyed.get("/openapi.json")
    assert keyed.application.extensions["quotebot_openapi"] is ext
    assert spec == json.loads(json.dumps(build_spec(keyed.application.extensions["quotebot"].settings)))


def test_every_error_is_problem_json(spec: dict[str, Any]) -> None:
    for path, ops in spec["paths"].items():
        for verb, op in ops.items():
            for status, response in op["responses"].items():
                if int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"], (verb, path, status)
                    assert response["content"]["application/problem+json"]["schema"] == {
                        "$ref": "#/components/schemas/Problem"
                    }
                assert response["headers"]["X-Request-ID"]["required"], (verb, path, status)


def test_write_routes_need_a_bearer_key(spec: dict[str, Any]) -> None:
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "QUOTEBOT_API_KEYS",
    }
    for route in ROUTES:
        op = spec["paths"][route.path][route.method]
        secured = op.get("security") == [{"bearer": []}]
        assert secured == (route.auth == "key"), route.path
        assert {"401", "403"} <= set(op["responses"]) or not secured


def test_settings_shape_the_spec(seeded: Services) -> None:
    settings = seeded.settings.model_copy(deep=True)
    settings.server.require_key_for_reads = True
    settings.ask.max_top_k = 7
    doc = build_spec(settings)
    assert doc["paths"]["/ask"]["post"]["security"] == [{"bearer": []}]
    assert doc["components"]["schemas"]["AskRequest"]["properties"]["top_k"]["anyOf"][0]["maximum"] == 7
    assert "429" in doc["paths"]["/verify"]["post"]["responses"]
    settings.server.rate_limit = ""
    assert "429" not in build_spec(settings)["paths"]["/verify"]["post"]["responses"]


# ---- real responses against the models and the served spec ---------------------------------------------


def conforms(client: FlaskClient, spec: dict[str, Any], resp: TestResponse, model: type[BaseModel]) -> Any:
    """Assert `resp` validates as `model` and as the spec's schema for its route, status and media type."""
    model.model_validate_json(resp.get_data())
    body = json.loads(resp.get_data())
    assert resp.headers.get("X-Request-ID")
    request = resp.request
    adapter = client.application.url_map.bind("localhost")
    try:
        rule = adapter.match(request.path, method=request.method, return_rule=True)[0]
    except (MethodNotAllowed, NotFound):
        return body  # no operation to hold it to; the model above still holds
    op = spec["paths"][template(rule.rule)][request.method.lower()]
    response = op["responses"][str(resp.status_code)]
    for name, header in response.get("headers", {}).items():
        assert not header.get("required") or resp.headers.get(name), f"{resp.status_code} lacks {name}"
    schema = response["content"][resp.mimetype]["schema"]
    validator = Draft202012Validator(
        {**schema, "components": spec["components"]}, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
    assert not errors, errors
    return body


def _article_id(client: FlaskClient) -> str:
    article_id: str = client.get("/speakers/john-kirby").get_json()["statements"][0]["article_id"]
    return article_id


QUESTIONS = [
    "what did Kirby say?",
    "who called the claim ludicrous?",
    "did Zelensky say Putin 'deserves to be sentenced'?",
    "what did he say?",
    "drone attack on the Kremlin",
]


@pytest.mark.parametrize("question", QUESTIONS)
def test_ask_answers_match_the_answer_model(keyed: FlaskClient, spec: dict[str, Any], question: str) -> None:
    body = conforms(keyed, spec, keyed.post("/ask", json={"question": question}), schemas.AnswerOut)
    assert body["intent"]


def test_ask_answers_with_verdicts_and_filters(keyed: FlaskClient, spec: dict[str, Any]) -> None:
    resp = keyed.post(
        "/ask",
        json={
            "question": "did Zelensky say Putin 'deserves to be punished'?",
            "filters": {"speaker": "Zelensky", "since": "2023-01-01"},
            "top_k": 3,
        },
    )
    body = conforms(keyed, spec, resp, schemas.AnswerOut)
    assert body["verdicts"] and body["verdicts"][0]["diff"]


def test_streamed_answer_events_match_the_spec(keyed: FlaskClient, spec: dict[str, Any]) -> None:
    resp = keyed.post("/ask", json={"question": "what did Kirby say?"}, headers={"Accept": "text/event-stream"})
    assert resp.status_code == 200 and resp.mimetype == "text/event-stream"
    assert "text/event-stream" in spec["paths"]["/ask"]["post"]["responses"]["200"]["content"]
    events = [
        (block.split("\n")[0].removeprefix("event: "), json.loads(block.split("\n")[1].removeprefix("data: ")))
        for block in resp.get_data(as_text=True).strip().split("\n\n")
    ]
    names = [name for name, _ in events]
    assert names[0] == "start" and names[-1] == "done" and set(names[1:-1]) == {"token"}
    assert "".join(data["text"] for name, data in events if name == "token") == events[-1][1]["answer"]
    schemas.AnswerOut.model_validate(events[-1][1])


@pytest.mark.parametrize(
    ("quote", "speaker"),
    [
        ("deserves to be sentenced", "Zelensky"),
        ("deserves to be punished", "Zelensky"),
        ("ludicrous", "Putin"),
        ("the moon is made of cheese", None),
    ],
)
def test_verdicts_match_the_verdict_model(
    keyed: FlaskClient, spec: dict[str, Any], quote: str, speaker: str | None
) -> None:
    conforms(keyed, spec, keyed.post("/verify", json={"quote": quote, "speaker": speaker}), schemas.VerdictOut)


@pytest.mark.parametrize("query", ["", "?q=kirby", "?q=nobody-at-all", "?q=%20"])
def test_speaker_lists_match_the_model(keyed: FlaskClient, spec: dict[str, Any], query: str) -> None:
    conforms(keyed, spec, keyed.get("/speakers" + query), schemas.SpeakersOut)


def test_every_speaker_matches_the_detail_model(keyed: FlaskClient, spec: dict[str, Any]) -> None:
    for speaker in keyed.get("/speakers").get_json()["speakers"]:
        body = conforms(keyed, spec, keyed.get(f"/speakers/{speaker['id']}"), schemas.SpeakerDetailOut)
        assert all(st["citation"]["text"] for st in body["statements"])


def test_article_matches_the_model(keyed: FlaskClient, spec: dict[str, Any]) -> None:
    body = conforms(keyed, spec, keyed.get(f"/articles/{_article_id(keyed)}"), schemas.ArticleOut)
    assert body["statements"]


def test_health_and_ready_match_the_models(keyed: FlaskClient, spec: dict[str, Any]) -> None:
    conforms(keyed, spec, keyed.get("/health"), schemas.HealthOut)
    conforms(keyed, spec, keyed.get("/ready"), schemas.ReadyOut)


def test_ingest_and_delete_match_the_models(own: FlaskClient, spec: dict[str, Any]) -> None:
    one = conforms(own, spec, own.post("/articles", json=ARTICLE, headers=AUTH), schemas.IngestOut)
    assert one["article_ids"]
    many = own.post("/articles", json={"articles": [ARTICLE, {**ARTICLE, "text": "Another."}]}, headers=AUTH)
    assert conforms(own, spec, many, schemas.IngestOut)["unchanged"] == 1
    listed = conforms(own, spec, own.post("/articles", json=[ARTICLE], headers=AUTH), schemas.IngestOut)
    assert listed["unchanged"] == 1
    files = {"file": [(io.BytesIO(ARTICLE["text"].encode()), "budget.txt"), (io.BytesIO(b"?"), "notes.exe")]}
    uploaded = conforms(own, spec, own.post("/articles", data=files, headers=AUTH), schemas.IngestOut)
    assert uploaded["failed"] and uploaded["failed"][0]["file"] == "notes.exe"
    gone = own.delete(f"/articles/{one['article_ids'][0]}", headers=AUTH)
    assert conforms(own, spec, gone, schemas.DeleteOut) == {"deleted": True, "id": one["article_ids"][0]}


def test_text_routes_match_the_spec(keyed: FlaskClient, spec: dict[str, Any]) -> None:
    for path, media in [("/widget.js", "text/javascript"), ("/", "text/html")]:
        resp = keyed.get(path)
        assert resp.status_code == 200 and resp.mimetype == media and resp.headers.get("X-Request-ID")
        assert media in spec["paths"][path]["get"]["responses"]["200"]["content"]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("post", "/articles", {"json": ARTICLE}, 401),
        ("post", "/articles", {"json": ARTICLE, "headers": {"Authorization": "Bearer wrong"}}, 403),
        ("delete", "/articles/nope", {"headers": {"Authorization": "Bearer wrong"}}, 403),
        ("delete", "/articles/nope", {"headers": AUTH}, 404),
        ("get", "/articles/nope", {}, 404),
        ("get", "/speakers/nobody", {}, 404),
        ("get", "/ask", {}, 405),
        ("post", "/verify", {"data": "ludicrous"}, 415),
        ("post", "/articles", {"data": "text", "headers": AUTH}, 415),
        ("post", "/ask", {"json": {}}, 422),
        ("post", "/ask", {"json": {"question": "hi", "top_k": 51}}, 422),
        ("post", "/ask", {"json": {"question": "hi", "filters": {"speaker": "Nobody Atall"}}}, 422),
        ("post", "/verify", {"json": {"quote": "x" * 2001}}, 422),
        ("post", "/articles", {"json": {"articles": []}, "headers": AUTH}, 422),
        ("post", "/articles", {"json": [{"text": "x", "colour": "red"}], "headers": AUTH}, 422),
        ("post", "/articles", {"data": {}, "content_type": "multipart/form-data", "headers": AUTH}, 422),
        ("get", "/speakers?q=" + "x" * 201, {}, 422),
    ],
)
def test_errors_match_the_problem_model(
    keyed: FlaskClient, spec: dict[str, Any], method: str, path: str, kwargs: dict[str, Any], status: int
) -> None:
    resp = getattr(keyed, method)(path, **kwargs)
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    body = conforms(keyed, spec, resp, schemas.Problem)
    assert body["status"] == status


@pytest.mark.parametrize(
    "path",
    [
        "/articles",
        "/verify",
        "/ask",
    ],
)
def test_oversized_body_is_a_413_problem(own: FlaskClient, spec: dict[str, Any], path: str) -> None:
    own.application.config["MAX_CONTENT_LENGTH"] = 1000
    resp = own.post(path, json={"text": "x" * 2000, "quote": "x", "question": "x"}, headers=AUTH)
    assert resp.status_code == 413
    conforms(own, spec, resp, schemas.Problem)


def test_rate_limited_request_is_a_429_problem(seeded: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    seeded.settings.server.rate_limit = "1/minute"
    with create_app(services=seeded).test_client() as client:
        served = client.get("/openapi.json").get_json()
        client.post("/verify", json={"quote": "ludicrous"})
        resp = client.post("/verify", json={"quote": "ludicrous"})
        assert resp.status_code == 429
        conforms(client, served, resp, schemas.Problem)


def test_response_models_refuse_unknown_fields() -> None:
    with pytest.raises(ValueError, match="Extra inputs"):
        schemas.ReadyOut.model_validate_json('{"status": "ready", "store": true, "model": true, "extra": 1}')
