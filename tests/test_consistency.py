"""Writes, deletes and crashes never leave an article half-visible: lazy store connection, article locks,
"unchanged" meaning complete, orphans never cited, and `quotebot repair` (issue #12 items 2-4)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import cli, create_app
from bot.services import Services, build_services
from bot.settings import load_settings
from retrieval.chunking import split
from retrieval.embedding import Embedder
from retrieval.errors import StoreUnavailableError
from retrieval.loaders import load_file
from retrieval.locks import LocalLocks, RedisLocks
from retrieval.store import WRITING, Store
from tests.conftest import SEED_FILE
from tests.servers import ChromaServer, free_port, redis_server
from tests.test_faults import compare, kill_ingest_at, small_corpus, snapshot

SEED_ID = load_file(SEED_FILE)[0].id


def _cited_articles(services: Services, question: str) -> set[str]:
    client = create_app(services=services).test_client()
    resp = client.post("/ask", json={"question": question, "top_k": 20})
    assert resp.status_code == 200, resp.get_json()
    return {c["article_id"] for c in resp.get_json()["citations"]}


# ---- item 2: a process starts without the store and heals when it returns ----------------------------------------


def test_app_starts_while_chroma_is_down_and_serves_once_it_is_up(tmp_path: Path, embedder: Embedder) -> None:
    server = ChromaServer(tmp_path / "chroma")  # not started: the store is down when the worker boots
    settings = load_settings(
        {"store": {"url": server.url, "prefix": "late", "timeout": 1.0}, "server": {"rate_limit": ""}}, environ={}
    )
    services = build_services(settings, embedder=embedder)  # connecting here would raise StoreUnavailableError
    client = create_app(services=services).test_client()
    down = client.get("/ready")
    assert down.status_code == 503 and down.mimetype == "application/problem+json"
    assert client.post("/ask", json={"question": "what did Kirby say?"}).status_code == 503
    server.start()
    try:
        assert client.get("/ready").status_code == 200
        services.ingestor.ingest_paths([SEED_FILE])
        assert SEED_ID in _cited_articles(services, "what did Kirby say?")
    finally:
        server.stop()


def test_a_malformed_store_url_is_refused_at_once() -> None:
    with pytest.raises(ValueError, match=r"store\.url"):
        Store.open(url="ftp://nowhere", lazy=True)


# ---- item 3: "unchanged" means complete; writes and deletes of one article never interleave ---------------------


def test_an_article_record_without_its_children_is_rewritten_not_skipped(services: Services) -> None:
    """The state a raced delete left behind: the record (same hash) survives, its chunks and statements do not."""
    first = services.ingestor.ingest_paths([SEED_FILE])
    counts = services.store.counts()
    services.store.chunks.delete(where={"article_id": SEED_ID})
    services.store.statements.delete(where={"article_id": SEED_ID})
    again = services.ingestor.ingest_paths([SEED_FILE])
    assert again.unchanged == 0 and again.articles == 1
    assert services.store.counts() == counts == services.store.counts()
    assert first.chunks == again.chunks and first.statements == again.statements


def test_a_partly_stored_article_is_rewritten(services: Services) -> None:
    services.ingestor.ingest_paths([SEED_FILE])
    counts = services.store.counts()
    one = services.store.chunks.get(where={"article_id": SEED_ID}, limit=1)["ids"]
    services.store.chunks.delete(ids=one)
    assert services.ingestor.ingest_paths([SEED_FILE]).articles == 1
    assert services.store.counts() == counts


def test_local_locks_make_a_delete_wait_for_a_write_of_the_same_article() -> None:
    locks = LocalLocks()
    order: list[str] = []
    holding = threading.Event()

    def writer() -> None:
        with locks.hold(["a", "b"]):
            holding.set()
            time.sleep(0.3)
            order.append("write done")

    def deleter() -> None:
        holding.wait(5)
        with locks.hold(["b"]):
            order.append("delete")

    threads = [threading.Thread(target=writer), threading.Thread(target=deleter)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert order == ["write done", "delete"]
    with locks.hold(["c"]):  # another article is not blocked by nothing
        pass


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server on a free loopback port, no persistence."""
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


def test_redis_locks_are_shared_by_separate_holders(redis_url: str) -> None:
    """Two lock objects stand for two worker processes: one holds an article, the other must wait for it."""
    worker_a = RedisLocks(redis_url, prefix="t1", ttl=10, wait=0.3)
    worker_b = RedisLocks(redis_url, prefix="t1", ttl=10, wait=0.3)
    with worker_a.hold(["art-1", "art-2"]):
        with pytest.raises(StoreUnavailableError, match="art-2"), worker_b.hold(["art-2"]):
            pass
        with worker_b.hold(["art-3"]):  # other articles are free
            pass
    with worker_b.hold(["art-2"]):  # released on exit
        pass


def test_redis_lock_of_a_killed_holder_expires(redis_url: str) -> None:
    dead = RedisLocks(redis_url, prefix="t2", ttl=0.5, wait=0.2)
    dead.hold(["art-9"]).__enter__()  # never released, as if its process was killed
    alive = RedisLocks(redis_url, prefix="t2", ttl=5, wait=2.0)
    with alive.hold(["art-9"]):
        pass


def test_redis_down_is_a_clear_503_error() -> None:
    locks = RedisLocks(f"redis://127.0.0.1:{free_port()}/0", wait=0.5)
    with pytest.raises(StoreUnavailableError, match="lock server"), locks.hold(["x"]):
        pass


def test_concurrent_ingest_and_delete_converge(
    services: Services, tmp_path: Path, embedder: Embedder, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Ingests and deletes of overlapping ids through the API, then a final ingest: identical to a clean ingest."""
    paths = small_corpus(tmp_path / "corpus", n=6)
    records = [json.loads(p.read_text(encoding="utf-8")) for p in paths]
    ids = [r["id"] for r in records]
    app = create_app(services=services)
    app.extensions["quotebot_keys"].__init__(["k"])  # a key for the write routes
    auth = {"Authorization": "Bearer k"}
    errors: list[str] = []

    def ingest(n: int) -> None:
        c = app.test_client()
        for i in range(n):
            body = records[i % 3 :] if i % 2 else records
            resp = c.post("/articles", json={"articles": body}, headers=auth)
            if resp.status_code != 200:
                errors.append(f"ingest {resp.status_code}")

    def delete(n: int) -> None:
        c = app.test_client()
        for i in range(n):
            resp = c.delete(f"/articles/{ids[i % len(ids)]}", headers=auth)
            if resp.status_code not in (200, 404):
                errors.append(f"delete {resp.status_code}")

    threads = [threading.Thread(target=ingest, args=(4,)), threading.Thread(target=delete, args=(12,))]
    threads.append(threading.Thread(target=ingest, args=(3,)))
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    assert not errors
    services.ingestor.ingest_paths(paths)
    recovered = snapshot(services.store)

    clean_settings = load_settings({"store": {"path": str(tmp_path_factory.mktemp("clean") / "i")}}, environ={})
    clean = build_services(clean_settings, embedder=embedder)
    clean.ingestor.ingest_paths(paths)
    assert compare(snapshot(clean.store), recovered) == []


# ---- item 4: orphans and unfinished articles are never cited; repair removes them ------------------------------


def _orphan_chunks(services: Services) -> None:
    """Chunks of the seed article with no article record: what a crash after the chunk upsert used to leave."""
    (article,) = load_file(SEED_FILE)
    chunks = split(article)
    services.store.chunks.upsert(
        ids=[c.id for c in chunks],
        embeddings=services.embedder.embed_documents([c.text for c in chunks]),
        documents=[c.text for c in chunks],
        metadatas=[
            {"article_id": article.id, "index": c.index, "start": c.start, "end": c.end, "title": "", "published": ""}
            for c in chunks
        ],
    )


def test_orphan_chunks_are_never_cited(services: Services) -> None:
    _orphan_chunks(services)
    assert services.store.counts().chunks > 0
    assert SEED_ID not in _cited_articles(services, "who called the claim ludicrous?")
    assert services.searcher.passages("Kirby ludicrous", 5) == []


def test_repair_removes_orphans(services: Services) -> None:
    _orphan_chunks(services)
    check = services.ingestor.repair(dry_run=True)
    assert check.orphan_articles == [SEED_ID] and services.store.counts().chunks > 0
    report = services.ingestor.repair()
    assert report.orphan_articles == [SEED_ID] and report.orphan_records > 0
    assert services.store.counts().chunks == 0
    assert services.ingestor.repair().clean


def test_an_unfinished_write_is_hidden_then_repaired_from_the_stored_text(services: Services) -> None:
    services.ingestor.ingest_paths([SEED_FILE])
    clean = snapshot(services.store)
    meta = services.store.articles.get(ids=[SEED_ID], include=["metadatas"])["metadatas"][0]  # type: ignore[index]
    services.store.articles.update(ids=[SEED_ID], metadatas=[{**meta, "state": WRITING}])
    services.store.statements.delete(where={"article_id": SEED_ID})  # the crash came before the statements

    client = create_app(services=services).test_client()
    assert SEED_ID not in _cited_articles(services, "what did Kirby say?")
    assert client.get(f"/articles/{SEED_ID}").status_code == 404
    ready = client.get("/ready").get_json()
    assert ready["unfinished_articles"] == 1 and "quotebot repair" in ready["repair"]

    report = services.ingestor.repair()
    assert report.rewritten == [SEED_ID]
    assert compare(clean, snapshot(services.store)) == []
    assert SEED_ID in _cited_articles(services, "what did Kirby say?")
    assert client.get("/ready").get_json()["unfinished_articles"] == 0


def test_an_interrupted_delete_is_finished_by_repair(services: Services) -> None:
    services.ingestor.ingest_paths([SEED_FILE])
    meta = services.store.articles.get(ids=[SEED_ID], include=["metadatas"])["metadatas"][0]  # type: ignore[index]
    services.store.articles.update(ids=[SEED_ID], metadatas=[{**meta, "state": "deleting"}])
    assert SEED_ID not in _cited_articles(services, "what did Kirby say?")
    assert services.ingestor.repair().deleted == [SEED_ID]
    counts = services.store.counts()
    assert (counts.articles, counts.chunks, counts.statements, counts.speakers) == (0, 0, 0, 0)


def test_killed_ingest_cites_nothing_unfinished_and_cli_repair_restores_it(
    tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """kill -9 after the chunks of a group are stored: no answer cites them; `quotebot repair` makes the index whole."""
    corpus = small_corpus(tmp_path / "corpus", n=20)
    store = {"path": str(tmp_path / "index")}
    kill_ingest_at([corpus[0].parent], store, "chunks", tmp_path / "paused")
    settings = load_settings({"store": store}, environ={})
    services = build_services(settings, embedder=embedder)
    killed = snapshot(services.store)
    stored = {a for a in killed.ids["articles"] if services.store.get_article(a) is not None}
    assert len(stored) < len(corpus)
    assert _cited_articles(services, "what did Daniel Mbeki say about the costs?") <= stored

    for key in [k for k in __import__("os").environ if k.startswith("QUOTEBOT_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("QUOTEBOT_STORE__PATH", store["path"])
    capsys.readouterr()
    assert cli.main(["repair", "--json"]) == 1  # something was repaired
    report = json.loads(capsys.readouterr().out)
    assert report["rewritten"] and not report["orphan_articles"]
    assert cli.main(["repair", "--check"]) == 0  # now clean
    repaired = snapshot(Store.open(path=store["path"]))
    assert not repaired.problems
    # The repaired articles are whole; the rest was never written and lands with a re-ingest.
    assert cli.main(["ingest", "--json", str(corpus[0].parent)]) == 0
    clean_settings = load_settings({"store": {"path": str(tmp_path / "clean")}}, environ={})
    clean = build_services(clean_settings, embedder=embedder)
    clean.ingestor.ingest_paths([corpus[0].parent])
    assert compare(snapshot(clean.store), snapshot(Store.open(path=store["path"]))) == []
