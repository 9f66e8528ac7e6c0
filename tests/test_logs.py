"""The JSON access log as real server processes write it: one object per request on stdout, no keys, no text."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from flask.testing import FlaskClient
from pytest import LogCaptureFixture

from tests.conftest import ROOT
from tests.servers import BIN, access_lines, free_port, request, running, subprocess_env

KEY = "log-test-key-91c2e7"
SECRET_TEXT = "The lighthouse keeper said the SECRET-ARTICLE-BODY-7731 fog would lift by noon."


def _traffic(port: int) -> list[tuple[str, str, int, str]]:
    """Send a mix of requests (writes with the key, reads, errors); return (method, path, status, id) of each."""
    auth = {"Authorization": f"Bearer {KEY}"}
    calls = [
        ("POST", "/articles", {"id": "log-a1", "title": "Fog", "text": SECRET_TEXT}, auth),
        ("POST", "/ask", {"question": "what did the lighthouse keeper say about the fog?"}, {}),
        ("POST", "/verify", {"quote": "the fog would lift by noon"}, {}),
        ("GET", "/articles/log-a1", None, {}),
        ("GET", "/speakers?q=keeper", None, {}),
        ("DELETE", "/articles/log-a1", None, {"Authorization": "Bearer wrong-key"}),
        ("POST", "/ask", {"question": ""}, {}),
        ("GET", "/no-such-route", None, {}),
        ("DELETE", "/articles/log-a1", None, auth),
    ]
    sent = []
    for n, (method, path, body, headers) in enumerate(calls):
        request_id = f"req-{n}"
        status, _ = request(port, method, path, body, {**headers, "X-Request-ID": request_id})
        sent.append((method, path.split("?")[0], status, request_id))
    return sent


def _check(out: Path, sent: list[tuple[str, str, int, str]]) -> None:
    records = access_lines(out.with_suffix(".stdout"))
    # The first line is the readiness probe's GET /health; then exactly one line per request, in order.
    assert [(r["method"], r["path"], r["status"]) for r in records[:1]] == [("GET", "/health", 200)]
    assert [(r["method"], r["path"], r["status"], r["request_id"]) for r in records[1:]] == sent
    assert all(isinstance(r["ms"], float) and r["ms"] >= 0 for r in records)
    everything = out.with_suffix(".stdout").read_text() + out.with_suffix(".stderr").read_text()
    assert KEY not in everything and "wrong-key" not in everything
    assert "SECRET-ARTICLE-BODY" not in everything and "lighthouse keeper said" not in everything


def test_gunicorn_writes_one_json_access_line_per_request(tmp_path: Path) -> None:
    port = free_port()
    env = subprocess_env(
        tmp_path / "index",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="1",
        GUNICORN_THREADS="2",
        QUOTEBOT_API_KEYS=KEY,
        QUOTEBOT_EMBEDDING__THREADS="1",
    )
    # No control socket: its default path is shared by every gunicorn on the machine.
    argv = [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--no-control-socket"]
    out = tmp_path / "gunicorn"
    with running(argv, env, port, out, cwd=tmp_path):
        sent = _traffic(port)
    assert [s[2] for s in sent] == [200, 200, 200, 200, 200, 403, 422, 404, 200]
    _check(out, sent)
    assert "Booting worker" in out.with_suffix(".stderr").read_text()  # gunicorn's own messages: stderr


def test_quotebot_serve_writes_the_same_access_lines(tmp_path: Path) -> None:
    port = free_port()
    env = subprocess_env(tmp_path / "index", QUOTEBOT_API_KEYS=KEY, QUOTEBOT_EMBEDDING__THREADS="1")
    out = tmp_path / "serve"
    with running([str(BIN / "quotebot"), "serve", "--port", str(port)], env, port, out, cwd=tmp_path):
        sent = _traffic(port)
    _check(out, sent)
    assert f"serving on http://127.0.0.1:{port}" in out.with_suffix(".stderr").read_text()


def test_a_body_nested_too_deep_still_gets_its_access_line(client: FlaskClient, caplog: LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="quotebot.access")
    body = '{"question": ' + "[" * 20000 + "]" * 20000 + "}"
    resp = client.post("/ask", data=body, headers={"Content-Type": "application/json", "X-Request-ID": "deep-1"})
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "quotebot.access"]
    assert [(r["request_id"], r["status"]) for r in lines] == [("deep-1", resp.status_code)]
    assert "question" not in lines[0]
