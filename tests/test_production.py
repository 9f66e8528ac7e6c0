"""Write API with keys, rate limits (memory and a real Redis), request logs, readiness and a Chroma outage."""

from __future__ import annotations

import io
import logging
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bot import create_app
from bot.services import Services, build_services
from bot.settings import load_settings
from retrieval.embedding import Embedder
from retrieval.errors import ConfigError
from tests.conftest import SEED_FILE
from tests.servers import ChromaServer, free_port

KEY = "test-key-3f9a7c"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture
def keyed(seeded: Services, monkeypatch: pytest.MonkeyPatch) -> FlaskClient:
    monkeypatch.setenv("QUOTEBOT_API_KEYS", f"other-key,{KEY}")
    return create_app(services=seeded).test_client()


def _problem(resp, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    body: dict = resp.get_json(force=True)
    return body


# ---- keys -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer wrong"}, 403),
        ({"Authorization": KEY}, 401),
        ({"Authorization": "Bearer "}, 401),
    ],
)
def test_wrong_or_missing_key_cannot_add_or_delete(keyed: FlaskClient, headers: dict, status: int) -> None:
    before = keyed.get("/health").get_json()["counts"]
    _problem(keyed.post("/articles", json={"text": "Nobody said anything."}, headers=headers), status)
    article_id = keyed.post("/ask", json={"question": "drone"}).get_json()["citations"][0]["article_id"]
    _problem(keyed.delete(f"/articles/{article_id}", headers=headers), status)
    assert keyed.get("/health").get_json()["counts"] == before


def test_wrapped_articles_must_be_a_list(keyed: FlaskClient) -> None:
    before = keyed.get("/health").get_json()["counts"]
    body = _problem(keyed.post("/articles", json={"articles": {"text": "One."}}, headers=AUTH), 422)
    assert "must be a list" in body["detail"]
    assert keyed.get("/health").get_json()["counts"] == before


def test_missing_key_says_how_to_send_one(keyed: FlaskClient) -> None:
    resp = keyed.post("/articles", json={"text": "x"})
    assert "Authorization: Bearer" in _problem(resp, 401)["detail"]
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_server_without_keys_refuses_writes(seeded: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QUOTEBOT_API_KEYS", raising=False)
    client = create_app(services=seeded).test_client()
    assert "QUOTEBOT_API_KEYS" in _problem(client.post("/articles", json={"text": "x"}, headers=AUTH), 403)["detail"]


def test_post_articles_json_one_and_many(keyed: FlaskClient) -> None:
    one = keyed.post(
        "/articles", json={"id": "a-1", "text": "The mayor said the bridge “will open in May”."}, headers=AUTH
    )
    assert one.status_code == 200 and one.get_json()["articles"] == 1
    many = keyed.post(
        "/articles",
        json={
            "articles": [
                {"id": "a-2", "text": "Officials said the road was closed."},
                {"id": "a-1", "text": "The mayor said the bridge “will open in May”."},
            ]
        },
        headers=AUTH,
    )
    assert many.get_json()["articles"] == 1 and many.get_json()["unchanged"] == 1
    assert keyed.get("/articles/a-2").get_json()["text"] == "Officials said the road was closed."


def test_a_bad_record_writes_nothing(keyed: FlaskClient) -> None:
    before = keyed.get("/health").get_json()["counts"]
    body = _problem(
        keyed.post(
            "/articles", json=[{"id": "ok-1", "text": "Fine text."}, {"id": "bad id!", "text": "x"}], headers=AUTH
        ),
        422,
    )
    assert "1.id" in body["detail"]
    assert keyed.get("/health").get_json()["counts"] == before


def test_upload_reports_the_bad_file_and_lands_the_good(keyed: FlaskClient) -> None:
    data = {
        "file": [
            (io.BytesIO(SEED_FILE.read_bytes().replace(b"Kirby", b"Kirbyy")), "../../etc/seed.txt"),
            (io.BytesIO(b"\xff\xfe\x00\x00binary"), "broken.txt"),
        ]
    }
    resp = keyed.post("/articles", data=data, headers=AUTH, content_type="multipart/form-data")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    report = resp.get_json()
    assert report["articles"] == 1
    assert [f["file"] for f in report["failed"]] == ["broken.txt"]
    assert not Path("/etc/seed.txt").exists()


def test_delete_with_key_removes_everything_of_the_article(keyed: FlaskClient) -> None:
    keyed.post("/articles", json={"id": "gone-1", "text": "The chief said “we are ready”."}, headers=AUTH)
    before = keyed.get("/health").get_json()["counts"]
    assert keyed.delete("/articles/gone-1", headers=AUTH).get_json() == {"deleted": True, "id": "gone-1"}
    after = keyed.get("/health").get_json()["counts"]
    assert after["articles"] == before["articles"] - 1 and after["chunks"] < before["chunks"]
    _problem(keyed.delete("/articles/gone-1", headers=AUTH), 404)


def test_reads_can_require_a_key(seeded: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUOTEBOT_API_KEYS", KEY)
    seeded.settings.server.require_key_for_reads = True
    try:
        client = create_app(services=seeded).test_client()
        _problem(client.post("/ask", json={"question": "what did Kirby say?"}), 401)
        assert client.post("/ask", json={"question": "what did Kirby say?"}, headers=AUTH).status_code == 200
    finally:
        seeded.settings.server.require_key_for_reads = False


# ---- logs -------------------------------------------------------------------------------------------------


def test_one_log_line_per_request_without_keys_or_article_text(
    keyed: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="quotebot.access")
    long_question = "what did Kirby say about " + "the drone attack " * 20
    resp = keyed.post("/ask", json={"question": long_question}, headers={**AUTH, "X-Request-ID": "req-123"})
    keyed.post("/articles", json={"id": "log-1", "text": "SECRET ARTICLE BODY said someone."}, headers=AUTH)
    assert resp.headers["X-Request-ID"] == "req-123"
    lines = [r.getMessage() for r in caplog.records if r.name == "quotebot.access"]
    assert len(lines) == 2
    assert '"request_id": "req-123"' in lines[0] and '"route": "/ask"' in lines[0] and '"status": 200' in lines[0]
    text = "\n".join(lines)
    assert KEY not in text and "SECRET ARTICLE BODY" not in text
    assert long_question not in text and long_question[:80] in text


def test_request_id_is_generated_when_absent_or_malformed(keyed: FlaskClient) -> None:
    assert len(keyed.get("/health").headers["X-Request-ID"]) == 32
    assert keyed.get("/health", headers={"X-Request-ID": "bad id <x>"}).headers["X-Request-ID"] != "bad id <x>"


# ---- rate limits ------------------------------------------------------------------------------------------


def _limited_app(services: Services, storage: str, trusted_proxies: int = 0) -> Flask:
    server = {"rate_limit": "3/minute", "rate_limit_storage": storage, "trusted_proxies": trusted_proxies}
    settings = services.settings.model_copy(update={"server": services.settings.server.model_copy(update=server)})
    return create_app(services=Services(**{**services.__dict__, "settings": settings}))


def test_rate_limit_gives_429_problem_with_retry_after(seeded: Services) -> None:
    client = _limited_app(seeded, "memory://").test_client()
    for _ in range(3):
        assert client.post("/verify", json={"quote": "ludicrous"}).status_code == 200
    resp = client.post("/verify", json={"quote": "ludicrous"})
    body = _problem(resp, 429)
    assert int(resp.headers["Retry-After"]) > 0 and body["title"]
    assert client.get("/health").status_code == 200  # only /ask and /verify are limited


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    server = shutil.which("redis-server")
    if not server:
        if os.environ.get("CI"):
            pytest.fail("CI must run the Redis rate-limit test: install redis-server (scripts/system-deps.sh)")
        pytest.skip("redis-server is not installed")
    port = free_port()
    proc = subprocess.Popen(
        [
            server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


def test_two_workers_share_one_limit_through_redis(seeded: Services, redis_url: str) -> None:
    worker_a = _limited_app(seeded, redis_url).test_client()
    worker_b = _limited_app(seeded, redis_url).test_client()
    codes = [c.post("/verify", json={"quote": "ludicrous"}).status_code for c in (worker_a, worker_b, worker_a)]
    assert codes == [200, 200, 200]
    assert worker_b.post("/verify", json={"quote": "ludicrous"}).status_code == 429


def _forwarded(chain: str) -> dict[str, str]:
    return {"X-Forwarded-For": chain}


def test_behind_a_trusted_proxy_each_client_has_its_own_bucket_shared_by_workers(
    seeded: Services, redis_url: str
) -> None:
    # Both workers see every request from the proxy at 127.0.0.1; only X-Forwarded-For tells the clients apart.
    worker_a, worker_b = (_limited_app(seeded, redis_url, trusted_proxies=1).test_client() for _ in range(2))
    alice, bob = "203.0.113.7", "198.51.100.9"

    def verify(worker: FlaskClient, chain: str) -> int:
        return worker.post("/verify", json={"quote": "ludicrous"}, headers=_forwarded(chain)).status_code

    assert [verify(w, alice) for w in (worker_a, worker_b, worker_a)] == [200, 200, 200]
    assert verify(worker_b, alice) == 429  # one bucket for alice across both workers
    # Alice cannot escape by prepending a made-up hop: one trusted proxy means only the last entry counts.
    assert verify(worker_a, f"192.0.2.1, {alice}") == 429
    assert [verify(w, bob) for w in (worker_b, worker_a, worker_b)] == [200, 200, 200]
    assert verify(worker_a, bob) == 429


def test_without_trusted_proxies_x_forwarded_for_is_ignored(seeded: Services) -> None:
    client = _limited_app(seeded, "memory://").test_client()
    codes = [
        client.post("/verify", json={"quote": "ludicrous"}, headers=_forwarded(f"203.0.113.{i}")).status_code
        for i in range(4)
    ]
    assert codes == [200, 200, 200, 429]  # a client cannot pick a fresh bucket by sending the header


def test_a_negative_proxy_count_stops_start_up(seeded: Services) -> None:
    with pytest.raises(ConfigError, match=r"server\.trusted_proxies"):
        _limited_app(seeded, "memory://", trusted_proxies=-1)


# ---- readiness and a Chroma outage ------------------------------------------------------------------------


def test_ready_says_store_and_model_are_up(client: FlaskClient) -> None:
    ready = client.get("/ready").get_json()
    assert ready == {"status": "ready", "store": True, "model": True, "unfinished_articles": 0}


def test_chroma_outage_gives_503_then_recovers_without_restart(tmp_path: Path, embedder: Embedder) -> None:
    server = ChromaServer(tmp_path / "chroma")
    server.start()
    try:
        settings = load_settings({"store": {"url": server.url, "prefix": "outage"}}, environ={})
        services = build_services(settings, embedder=embedder)
        services.ingestor.ingest_paths([SEED_FILE])
        client = create_app(services=services).test_client()
        assert client.post("/ask", json={"question": "what did Kirby say?"}).status_code == 200
        server.stop()
        for method, path, body in [
            ("post", "/ask", {"question": "what did Kirby say?"}),
            ("get", "/ready", None),
            ("post", "/verify", {"quote": "ludicrous"}),
            ("get", "/health", None),
        ]:
            resp = getattr(client, method)(path, json=body)
            problem = _problem(resp, 503)
            assert "Traceback" not in resp.get_data(as_text=True) and problem["detail"]
            assert resp.headers["Retry-After"]
        server.start()
        answer = client.post("/ask", json={"question": "what did Kirby say?"}).get_json()
        assert answer["speaker"] == "John Kirby" and answer["citations"]
        assert client.get("/ready").status_code == 200
        assert client.get("/health").get_json()["counts"]["articles"] == 1
    finally:
        server.stop()
