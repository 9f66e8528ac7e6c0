"""Ingest jobs: POST /articles past the inline limit queues a job that real `quotebot worker` processes consume.

Everything here is real: a redis-server, worker subprocesses running the CLI, and the `chroma run` server at
QUOTEBOT_TEST_CHROMA_URL that the workers and the app write to and read from.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from bot import create_app, schemas
from bot.services import Services, build_services
from bot.settings import Settings, load_settings
from retrieval.embedding import Embedder
from retrieval.loaders import load_file
from retrieval.models import Article
from retrieval.store import Store
from tests.conftest import CHROMA_URL, ROOT, SEED_FILE
from tests.servers import BIN, free_port, redis_server, subprocess_env

KEY = "jobs-test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server on a free loopback port, no persistence."""
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


def articles(n: int, tag: str) -> list[dict[str, Any]]:
    """`n` distinct articles built on the seed story, each with a quote of its own."""
    seed = load_file(SEED_FILE)[0]
    return [
        {
            "id": f"{tag}-{i:03d}",
            "title": f"{seed.title} ({i})",
            "published": seed.published,
            "text": f'{seed.text}\n\n"We will look at report {i} again tomorrow," said police chief Ann Ward{i}.',
        }
        for i in range(n)
    ]


def job_settings(redis_url: str, prefix: str, **jobs: Any) -> dict[str, Any]:
    """Settings overrides for a server store under `prefix` and a job queue in `redis_url`."""
    options = {"redis_url": redis_url, "inline_max_articles": 5, "heartbeat_seconds": 1, **jobs}
    return {
        "store": {"url": CHROMA_URL, "prefix": prefix, "lock_url": redis_url.rsplit("/", 1)[0] + "/1", "lock_ttl": 5},
        "jobs": options,
    }


def env_for(settings: dict[str, Any], tmp_path: Path) -> dict[str, str]:
    """The same settings as QUOTEBOT_* variables, for a worker subprocess."""
    extra = {
        f"QUOTEBOT_{section.upper()}__{key.upper()}": str(value)
        for section, values in settings.items()
        for key, value in values.items()
    }
    return subprocess_env(tmp_path / "unused-index", **extra)


@pytest.fixture
def queued(
    tmp_path: Path, redis_url: str, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Flask, dict[str, Any], Services]]:
    """An app whose store is a fresh prefix on the Chroma server and whose big ingests go to the queue."""
    if not CHROMA_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must run the job tests: set QUOTEBOT_TEST_CHROMA_URL (scripts/test.sh does)")
        pytest.skip("no Chroma server: set QUOTEBOT_TEST_CHROMA_URL (scripts/test.sh starts one)")
    monkeypatch.setenv("QUOTEBOT_API_KEYS", KEY)
    overrides = job_settings(redis_url, f"j{uuid.uuid4().hex[:12]}", part_articles=32)
    settings: Settings = load_settings(overrides, environ={})
    st = settings.store
    svc = build_services(settings, embedder=embedder, store=Store.open(url=st.url, prefix=st.prefix))
    yield create_app(services=svc), overrides, svc


class Worker:
    """One `quotebot worker` subprocess; its output goes to files named after it."""

    def __init__(self, env: dict[str, str], out: Path) -> None:
        self.out = out
        self.stderr = open(out.with_suffix(".stderr"), "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [str(BIN / "quotebot"), "worker"], env=env, stdout=self.stderr, stderr=subprocess.STDOUT
        )

    def log(self) -> str:
        return self.out.with_suffix(".stderr").read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Callable[[dict[str, str]], Worker]]:
    """Start worker subprocesses; every one still running is stopped at the end."""
    started: list[Worker] = []

    def start(env: dict[str, str]) -> Worker:
        w = Worker(env, tmp_path / f"worker{len(started)}")
        started.append(w)
        return w

    yield start
    for w in started:
        w.stop()


def wait_for(
    client: FlaskClient, job_id: str, until: Callable[[dict[str, Any]], bool], alive: list[Worker], timeout: float
) -> dict[str, Any]:
    """Poll GET /jobs/<id> until `until(body)`; fail with the workers' logs when it takes too long or one dies."""
    deadline = time.monotonic() + timeout
    while True:
        resp = client.get(f"/jobs/{job_id}", headers=AUTH)
        assert resp.status_code == 200, resp.get_json()
        body: dict[str, Any] = resp.get_json()
        if until(body):
            return body
        dead = [w for w in alive if w.proc.poll() is not None]
        if dead or time.monotonic() > deadline:
            logs = "\n".join(w.log()[-3000:] for w in alive)
            raise AssertionError(f"job stuck at {body} (dead workers: {len(dead)}):\n{logs}")
        time.sleep(0.1)


def ended(body: dict[str, Any]) -> bool:
    return body["state"] in ("finished", "failed")


@pytest.mark.server
def test_small_posts_stay_inline_and_large_ones_answer_202_with_a_job(
    queued: tuple[Flask, dict[str, Any], Services],
) -> None:
    app, _, svc = queued
    client = app.test_client()
    inline = client.post("/articles", json=articles(5, "inline"), headers=AUTH)
    assert inline.status_code == 200 and inline.get_json()["articles"] == 5
    resp = client.post("/articles", json={"articles": articles(40, "big")}, headers=AUTH)
    assert resp.status_code == 202, resp.get_json()
    body = resp.get_json()
    assert resp.headers["Location"] == f"/jobs/{body['id']}"
    assert body["state"] == "queued" and body["progress"] == {"done": 0, "total": 40}
    assert body["parts"] == {"queued": 2, "started": 0, "finished": 0, "failed": 0}  # 32 + 8
    again = client.get(f"/jobs/{body['id']}", headers=AUTH)
    assert again.get_json()["state"] == "queued"  # no worker yet
    for answer in (body, again.get_json()):  # both answers are the documented model, field for field
        schemas.JobOut.model_validate(answer)
    spec = client.get("/openapi.json").get_json()
    assert spec["paths"]["/articles"]["post"]["responses"]["202"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/JobOut"
    }
    assert "404" in spec["paths"]["/jobs/{job_id}"]["get"]["responses"]
    assert svc.store.counts().articles == 5  # nothing of the job is written before a worker takes it


@pytest.mark.server
@pytest.mark.parametrize("job_id", ["0" * 32, "not-a-job", "f" * 33])
def test_an_unknown_job_is_a_404_problem(queued: tuple[Flask, dict[str, Any], Services], job_id: str) -> None:
    resp = queued[0].test_client().get(f"/jobs/{job_id}", headers=AUTH)
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"
    assert "no job with id" in resp.get_json()["detail"]


def test_jobs_need_a_key_and_a_server_without_a_queue_knows_none(
    seeded: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUOTEBOT_API_KEYS", KEY)
    client = create_app(services=seeded).test_client()
    assert client.get("/jobs/" + "0" * 32).status_code == 401
    resp = client.get("/jobs/" + "0" * 32, headers=AUTH)
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"
    many = client.post("/articles", json=articles(8, "nojobs"), headers=AUTH)  # no queue: inline, as before
    assert many.status_code == 200 and many.get_json()["articles"] == 8


@pytest.mark.server
def test_two_workers_ingest_an_upload_with_exact_counts_and_errors_by_name(
    queued: tuple[Flask, dict[str, Any], Services], workers: Callable[[dict[str, str]], Worker], tmp_path: Path
) -> None:
    app, overrides, svc = queued
    client = app.test_client()
    batch = articles(70, "up")
    # 6 of them are stored already (unchanged), one file is unreadable: counts must say exactly that.
    assert client.post("/articles", json=batch[:5], headers=AUTH).status_code == 200
    svc.ingestor.ingest_articles([Article(**batch[5])])
    jsonl = "\n".join(json.dumps(a) for a in batch).encode()
    files = {"file": [(io.BytesIO(jsonl), "feed.jsonl"), (io.BytesIO(b"\x00\x01binary"), "photo.txt")]}
    resp = client.post("/articles", data=files, headers=AUTH)
    assert resp.status_code == 202, resp.get_json()
    job_id = resp.get_json()["id"]
    env = env_for(overrides, tmp_path)
    alive = [workers(env), workers(env)]
    body = wait_for(client, job_id, ended, alive, timeout=600)
    assert body["state"] == "finished", body
    assert body["progress"] == {"done": 70, "total": 70}
    assert body["counts"] == {"stored": 64, "unchanged": 6, "failed": 1}
    assert body["errors"] == [{"name": "photo.txt", "kind": "file", "reason": body["errors"][0]["reason"]}]
    assert body["parts"] == {"queued": 0, "started": 0, "finished": 3, "failed": 0} and body["finished"]
    assert svc.store.counts().articles == 70 and svc.store.incomplete_count() == 0
    # both workers took parts (3 parts, two idle workers): the log names each part a worker ran
    ran = [w.log().count(f"{job_id}-") for w in alive]
    assert all(ran), ran
    # every citation the app gives for the new articles is verbatim
    answer = client.post("/ask", json={"question": "what did Ann Ward69 say?"}).get_json()
    assert answer["citations"]
    for c in answer["citations"]:
        article = svc.store.get_article(c["article_id"])
        assert article is not None and article.text[c["start"] : c["end"]] == c["text"]


@pytest.mark.server
def test_a_worker_killed_mid_part_loses_nothing_another_retries_it_with_exact_counts(
    queued: tuple[Flask, dict[str, Any], Services], workers: Callable[[dict[str, str]], Worker], tmp_path: Path
) -> None:
    app, overrides, svc = queued
    assert svc.jobs is not None
    client = app.test_client()
    resp = client.post("/articles", json=articles(64, "kill"), headers=AUTH)
    assert resp.status_code == 202
    job_id = resp.get_json()["id"]
    env = env_for(overrides, tmp_path)
    first = workers(env)
    # Kill it once its part has written one ingest group (16 articles) and is in the middle of the next.
    mid = wait_for(client, job_id, lambda b: b["progress"]["done"] >= 16 and b["parts"]["started"], [first], 600)
    first.proc.send_signal(signal.SIGKILL)
    first.proc.wait(30)
    assert mid["state"] == "started" and mid["progress"]["done"] < 64, mid
    written = svc.store.counts().articles
    assert 16 <= written < 64, written  # a part was cut short: some of it stored, not all
    second = workers(env)
    body = wait_for(client, job_id, ended, [second], timeout=600)
    assert body["state"] == "finished", body
    # Exact: every article counted once as stored, though the dead worker wrote some of them before it died.
    assert body["counts"] == {"stored": 64, "unchanged": 0, "failed": 0}
    assert body["progress"] == {"done": 64, "total": 64} and body["errors"] == []
    assert svc.store.counts().articles == 64 and svc.store.incomplete_count() == 0
    # RQ found the dead worker's part abandoned and retried it: one retry spent on exactly one part
    from rq.job import Job
    from rq.serializers import JSONSerializer

    parts = Job.fetch_many([f"{job_id}-{n:05d}" for n in range(2)], svc.jobs.redis, serializer=JSONSerializer)
    assert sorted(p.retries_left for p in parts if p) == [2, 3]


@pytest.mark.server
def test_the_readme_job_curl_commands_run(
    queued: tuple[Flask, dict[str, Any], Services], workers: Callable[[dict[str, str]], Worker], tmp_path: Path
) -> None:
    app, overrides, _ = queued
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Ingest jobs: workers over a queue") :]
    block = section[section.index("```sh\n") + 6 : section.index("```\n", section.index("```sh\n") + 6)]
    post, get = (line for line in block.splitlines() if line.startswith("curl "))
    (tmp_path / "feed.jsonl").write_text("\n".join(json.dumps(a) for a in articles(9, "readme")), encoding="utf-8")
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {**os.environ, "KEY": KEY}

    def curl(line: str) -> dict[str, Any]:
        command = line.replace("localhost:5000", f"127.0.0.1:{port}")
        done = subprocess.run(
            ["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
        )
        body: dict[str, Any] = json.loads(done.stdout)
        return body

    try:
        accepted = curl(post)
        assert accepted["state"] == "queued" and accepted["progress"] == {"done": 0, "total": 9}, accepted
        workers(env_for(overrides, tmp_path))
        deadline = time.monotonic() + 600
        while (body := curl(get.replace("JOB_ID", accepted["id"])))["state"] not in ("finished", "failed"):
            assert time.monotonic() < deadline, body
            time.sleep(0.5)
        assert body["counts"] == {"stored": 9, "unchanged": 0, "failed": 0} and body["state"] == "finished"
    finally:
        server.shutdown()


def test_a_queue_that_is_down_is_a_503_problem_and_nothing_is_written(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.jobs import Jobs

    monkeypatch.setenv("QUOTEBOT_API_KEYS", KEY)
    dead = f"redis://127.0.0.1:{free_port()}/0"
    services.jobs = Jobs(load_settings(job_settings(dead, "dead"), environ={}).jobs)
    client = create_app(services=services).test_client()
    resp = client.post("/articles", json=articles(8, "down"), headers=AUTH)
    assert resp.status_code == 503 and resp.mimetype == "application/problem+json"
    assert "job queue" in resp.get_json()["detail"] and resp.headers["Retry-After"] == "5"
    assert services.store.counts().articles == 0
    assert client.get("/jobs/" + "0" * 32, headers=AUTH).status_code == 503


@pytest.mark.server
def test_ingest_queue_sends_a_folder_to_the_workers(
    queued: tuple[Flask, dict[str, Any], Services],
    workers: Callable[[dict[str, str]], Worker],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bot.cli import main

    _, overrides, svc = queued
    folder = tmp_path / "feed"
    folder.mkdir()
    batch = articles(10, "cli")
    (folder / "a.jsonl").write_text("\n".join(json.dumps(a) for a in batch[:6]), encoding="utf-8")
    (folder / "b.jsonl").write_text("\n".join(json.dumps(a) for a in batch[4:]), encoding="utf-8")  # 2 repeats
    (folder / "c.json").write_text("{oops", encoding="utf-8")
    env = env_for(overrides, tmp_path)
    for name, value in env.items():
        if name.startswith("QUOTEBOT_"):
            monkeypatch.setenv(name, value)
    workers(env)
    assert main(["ingest", "--queue", "--wait", str(folder)]) == 1  # one unreadable file
    body = json.loads(capsys.readouterr().out)
    assert body["state"] == "finished" and body["progress"] == {"done": 10, "total": 10}
    assert body["counts"] == {"stored": 10, "unchanged": 0, "failed": 1}, body
    assert [e["kind"] for e in body["errors"]] == ["file"] and body["errors"][0]["name"].endswith("c.json")
    assert svc.store.counts().articles == 10
