"""Faults: `kill -9` of an ingest converges on re-run (both stores); a Chroma server killed under load gives 503s."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from bot import cli, create_app
from bot.services import build_services
from bot.settings import load_settings
from retrieval.embedding import Embedder
from retrieval.store import Store
from tests.servers import ChromaServer, free_port

ROOT = Path(__file__).resolve().parent.parent

# Runs `quotebot ingest` in a child process that stops (sleeps) right after a write into one collection and touches
# a marker file, so the test can `kill -9` it at a known point. It stops at the first write into `collection` made once
# `commits` (at least one) writes marked article records complete, so some articles are committed and some are not,
# whether the store writes article by article or in batches: after the chunks or the statements of unfinished
# articles, or right after the next articles' records are marked as being written. (bench_faults.py kills a full-size
# ingest halfway with a larger `commits`.)
PAUSING_INGEST = """
import sys, time
from pathlib import Path
from chromadb.api.models.Collection import Collection
marker, collection, at, paths = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4:]
commits = [0]
def pausing(real):
    def write(self, *args, **kwargs):
        real(self, *args, **kwargs)
        metas = kwargs.get("metadatas") or []
        if self.name.endswith("_articles") and any(m.get("state", "complete") == "complete" for m in metas):
            commits[0] += 1
        if self.name.endswith("_" + collection) and commits[0] >= at and not marker.exists():
            marker.write_text("paused")
            time.sleep(600)  # bounded: the test kills us long before
    return write
Collection.upsert = pausing(Collection.upsert)
Collection.update = pausing(Collection.update)  # the commit marks records complete with a metadata update
from bot.cli import main
sys.exit(main(["ingest", *paths]))
"""


# ---- what an index holds, and what must hold of it --------------------------------------------------------------


@dataclass
class Snapshot:
    """The ids and cross-references of one index, enough to compare two indexes exactly."""

    counts: dict[str, int]
    ids: dict[str, set[str]]
    speaker_counts: dict[str, int]
    problems: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Return the counts and the problems found, JSON-ready."""
        return {"counts": self.counts, "problems": self.problems}


def snapshot(store: Store) -> Snapshot:
    """Read every record's id and metadata and list broken invariants (orphans, duplicates, stale counts)."""
    cols = {"articles": store.articles, "chunks": store.chunks, "statements": store.statements}
    cols["speakers"] = store.speakers
    got = {name: col.get(include=["metadatas"]) for name, col in cols.items()}
    ids = {name: set(g["ids"]) for name, g in got.items()}
    metas: dict[str, list[Any]] = {name: list(g["metadatas"] or []) for name, g in got.items()}
    problems: list[str] = []
    for name, g in got.items():
        if len(g["ids"]) != len(ids[name]):
            problems.append(f"{name}: duplicate ids")
        if len(g["ids"]) != cols[name].count():
            problems.append(f"{name}: get() returned {len(g['ids'])} records but count() says {cols[name].count()}")
    articles = ids["articles"]
    chunk_keys = Counter((m["article_id"], m["index"]) for m in metas["chunks"])
    statement_keys = Counter((m["article_id"], m["start"], m["end"]) for m in metas["statements"])
    per_article = {kind: Counter(str(m["article_id"]) for m in metas[kind]) for kind in ("chunks", "statements")}
    for kind in ("chunks", "statements"):
        orphans = set(per_article[kind]) - articles
        if orphans:
            problems.append(f"{kind}: {sum(per_article[kind][a] for a in orphans)} orphans of {sorted(orphans)}")
    if any(n > 1 for n in chunk_keys.values()):
        problems.append("chunks: two records for one (article, index)")
    if any(n > 1 for n in statement_keys.values()):
        problems.append("statements: two records for one (article, start, end)")
    for aid, meta in zip(got["articles"]["ids"], metas["articles"], strict=True):
        for kind in ("chunks", "statements"):
            if int(meta[kind]) != per_article[kind][aid]:
                problems.append(f"article {aid}: says {meta[kind]} {kind}, holds {per_article[kind][aid]}")
    said = Counter(str(m["speaker_id"]) for m in metas["statements"] if m.get("speaker_id"))
    missing = set(said) - ids["speakers"]
    if missing:
        problems.append(f"speakers: {len(missing)} speaker ids used by statements but absent: {sorted(missing)[:5]}")
    speaker_counts = {
        sid: int(m["statement_count"]) for sid, m in zip(got["speakers"]["ids"], metas["speakers"], strict=True)
    }
    stale = {sid: (n, said[sid]) for sid, n in speaker_counts.items() if n != said[sid]}
    if stale:
        problems.append(f"speakers: {len(stale)} with a stale statement_count, e.g. {sorted(stale.items())[:3]}")
    # The vector index must hold every record too (an embedded index replays its log after a kill -9).
    for name in ("chunks", "statements"):
        n = cols[name].count()
        if n:
            probe: Any = cols[name].get(limit=1, include=["embeddings"])["embeddings"][0]  # type: ignore[index]
            res = cols[name].query(query_embeddings=[probe], n_results=n, include=[])
            if len(res["ids"][0]) != n:
                problems.append(f"{name}: the vector index returns {len(res['ids'][0])} of {n} records")
    counts = {name: len(v) for name, v in ids.items()}
    return Snapshot(counts, ids, speaker_counts, problems)


def committed_articles(store: Store) -> list[str]:
    """Return the ids of the articles whose write was committed (an unfinished one is not served)."""
    return sorted(a for a in store.articles.get(include=[])["ids"] if store.get_article(a) is not None)


def compare(clean: Snapshot, recovered: Snapshot) -> list[str]:
    """Return how a recovered index differs from a clean ingest of the same files (empty when identical)."""
    diffs = [f"recovered index: {p}" for p in recovered.problems]
    for name in clean.ids:
        extra, lost = recovered.ids[name] - clean.ids[name], clean.ids[name] - recovered.ids[name]
        if extra or lost:
            diffs.append(f"{name}: {len(extra)} extra, {len(lost)} missing ids (e.g. {sorted(extra | lost)[:3]})")
    if clean.speaker_counts != recovered.speaker_counts:
        diffs.append("speakers: statement counts differ")
    return diffs


# ---- ingest processes ------------------------------------------------------------------------------------------


def child_env(store: Mapping[str, str], extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return this environment without QUOTEBOT_* settings, plus the store's and `extra`, offline."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUOTEBOT_")}
    env.update({f"QUOTEBOT_STORE__{k.upper()}": v for k, v in store.items()})
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False", **(extra or {}))
    return env


def kill_ingest_at(
    paths: list[Path], store: Mapping[str, str], collection: str, marker: Path, timeout: float = 300, commits: int = 1
) -> float:
    """Start an ingest and `kill -9` it at the pause point of PAUSING_INGEST; return seconds it ran."""
    if commits < 1:
        raise ValueError("commits must be >= 1: the kill falls after at least one commit")
    proc = subprocess.Popen(
        [sys.executable, "-c", PAUSING_INGEST, str(marker), collection, str(commits), *map(str, paths)],
        env=child_env(store),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    started = time.monotonic()
    try:
        while not marker.exists():
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise RuntimeError(f"the ingest ended (code {proc.returncode}) before the kill point:\n{err[-2000:]}")
            if time.monotonic() - started > timeout:
                raise RuntimeError("the ingest did not reach the kill point in time")
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(30) == -signal.SIGKILL
        return time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)


def rerun_ingest(
    paths: list[Path], store: Mapping[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> dict[str, Any]:
    """Run `quotebot ingest --json PATHS` (in this process, fresh settings and store) and return its summary."""
    for key in [k for k in os.environ if k.startswith("QUOTEBOT_")]:
        monkeypatch.delenv(key)
    for key, value in store.items():
        monkeypatch.setenv(f"QUOTEBOT_STORE__{key.upper()}", value)
    capsys.readouterr()
    assert cli.main(["ingest", "--json", *map(str, paths)]) == 0
    summary: dict[str, Any] = json.loads(capsys.readouterr().out)
    return summary


# ---- a small generated corpus (no PolNeAR text in the repo) ----------------------------------------------------

TOWNS = [
    "Ashford",
    "Brookvale",
    "Carlow",
    "Dunmore",
    "Elmstead",
    "Fairholt",
    "Glenrock",
    "Harwick",
    "Ivybridge",
    "Joncey",
    "Kestrel Bay",
    "Lindale",
]
TOPICS = [
    "bridge repair",
    "bus depot",
    "flood barrier",
    "school roof",
    "water main",
    "library extension",
    "cycle lane",
    "harbour wall",
    "market hall",
    "tram extension",
    "park lighting",
    "recycling plant",
]
FIRST = ["Maria", "Tomas", "Aisha", "Peter", "Ingrid", "Samuel", "Chloe", "Rafael", "Nadia", "Oliver", "Helen", "Kwame"]
LAST = [
    "Ferreira",
    "Nakamura",
    "Osei",
    "Lindqvist",
    "Morales",
    "Kovacs",
    "Brennan",
    "Haddad",
    "Petrov",
    "Adeyemi",
    "Castillo",
    "Whitfield",
]


def small_corpus(folder: Path, n: int = 20) -> list[Path]:
    """Write `n` generated news articles as .json files (shared and per-article speakers, 2 chunks each).

    More than one ingest group (16 articles), so a kill can fall between two commits of a batched store.
    """
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        town, topic = TOWNS[i % len(TOWNS)], TOPICS[i % len(TOPICS)]
        local = f"{FIRST[i % len(FIRST)]} {LAST[(i * 5 + 3 + i // len(FIRST)) % len(LAST)]}"
        surname = local.split()[1]
        text = (
            f"{town} council met on Tuesday to decide the future of the {topic}.\n\n"
            f"The minister for regions, Joan Calloway, said the {topic} was “a priority for the whole region” and "
            f"that funding of {i + 2} million pounds “will be released before the summer”.\n\n"
            f"“We have waited {i + 3} years for this,” said {local}, who chairs the {town} residents' association. "
            f"{surname} added that the {topic} had been “patched up far too often”.\n\n"
            f"Engineers told the meeting that the work on the {topic} would take about {i + 4} months. "
            f"The contractor has not yet been chosen, and the council said tenders would open in the autumn. "
            f"Local traders are worried about the disruption, which could close the high street for weeks.\n\n"
            f"According to the regional auditor, Daniel Mbeki, the costs of the {topic} have risen by {10 + i} "
            f"percent since the first estimate. Mbeki said the council “must publish the full figures”.\n\n"
            f"Calloway rejected the criticism. “Every pound will be accounted for,” she said. The council will vote "
            f"on the {topic} next month, and a public hearing is planned for the week before the vote."
        )
        record = {
            "id": f"fault-{i:02d}",
            "title": f"{town} decides on the {topic}",
            "text": text,
            "source": "Example Gazette",
            "published": f"2024-03-{i + 1:02d}",
        }
        path = folder / f"{i:02d}.json"
        path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        paths.append(path)
    return paths


# ---- fixtures --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chroma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    """A real `chroma run` on loopback for this module's server-store tests."""
    server = ChromaServer(tmp_path_factory.mktemp("chroma"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The generated articles, one .json file each."""
    return small_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def clean(corpus: list[Path], embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    """A clean ingest of the corpus into a fresh embedded index: what every recovered index must equal."""
    settings = load_settings({"store": {"path": str(tmp_path_factory.mktemp("clean") / "index")}}, environ={})
    services = build_services(settings, embedder=embedder)
    report = services.ingestor.ingest_paths([corpus[0].parent])
    assert report.articles == len(corpus) and not report.failed
    snap = snapshot(services.store)
    assert not snap.problems, snap.problems
    assert snap.counts["chunks"] > snap.counts["articles"] and snap.counts["statements"] > 2 * len(corpus)
    assert snap.counts["speakers"] >= 3
    return snap


# ---- kill -9 of an ingest, then the same ingest again ----------------------------------------------------------


@pytest.mark.parametrize("store_kind", ["embedded", "server"])
@pytest.mark.parametrize(
    "collection",
    [
        "chunks",
        "statements",
        "articles",
    ],
    ids=["after-chunks-before-commit", "after-statements-before-commit", "after-commit"],
)
def test_killed_ingest_converges_on_rerun(
    store_kind: str,
    collection: str,
    corpus: list[Path],
    clean: Snapshot,
    chroma: ChromaServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if store_kind == "server":
        store = {"url": chroma.url, "prefix": f"kill{collection}"}
        opened = lambda: Store.open(url=chroma.url, prefix=store["prefix"])  # noqa: E731
    else:
        store = {"path": str(tmp_path / "index")}
        opened = lambda: Store.open(path=store["path"])  # noqa: E731
    folder = corpus[0].parent
    kill_ingest_at([folder], store, collection, tmp_path / "paused")

    killed = opened()
    # Killed halfway: some articles committed, not all.
    committed = committed_articles(killed)
    assert 0 < len(committed) < len(corpus), committed
    if collection != "articles":  # killed inside the next group's write, not right after a commit
        assert killed.incomplete_count() > 0

    summary = rerun_ingest([folder], store, monkeypatch, capsys)
    assert summary["articles"] + summary["unchanged"] == len(corpus) and not summary["failed"]
    recovered = snapshot(opened())
    assert compare(clean, recovered) == [], (clean.counts, recovered.counts)


# ---- the Chroma server killed and restarted under load ---------------------------------------------------------


@dataclass
class Call:
    """One request made during the outage test."""

    started: float
    ended: float
    path: str
    status: int  # 0: the request raised
    problem: bool
    detail: str = ""


def _client_loop(port: int, stop: threading.Event, article_ids: list[str], out: list[Call], seed: int) -> None:
    """Send a fixed rotation of reads until `stop` is set (at most two minutes); record every outcome."""
    requests: list[tuple[str, str, dict[str, Any] | None]] = [
        ("POST", "/ask", {"question": "what did Daniel Mbeki say?"}),
        ("POST", "/verify", {"quote": "must publish the full figures", "speaker": "Daniel Mbeki"}),
        ("GET", f"/articles/{article_ids[seed % len(article_ids)]}", None),
        ("POST", "/ask", {"question": "who said the costs must be published?"}),
        ("GET", "/health", None),
    ]
    i, until = seed, time.monotonic() + 120
    while not stop.is_set() and time.monotonic() < until:
        method, path, body = requests[i % len(requests)]
        i += 1
        t0 = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request(method, path, json.dumps(body) if body else None, {"Content-Type": "application/json"})
            resp = conn.getresponse()
            data = resp.read()
            problem = resp.getheader("Content-Type", "").startswith("application/problem+json")
            ok = resp.status != 503 or (problem and bool(resp.getheader("Retry-After")))
            out.append(Call(t0, time.monotonic(), path, resp.status, problem, "" if ok else data[:200].decode()))
        except Exception as exc:
            out.append(Call(t0, time.monotonic(), path, 0, False, repr(exc)))
        finally:
            conn.close()


def test_chroma_killed_under_load_gives_503_then_recovers(
    chroma: ChromaServer, corpus: list[Path], embedder: Embedder
) -> None:
    prefix = "outage"
    settings = load_settings(
        {"store": {"url": chroma.url, "prefix": prefix, "timeout": 2.0}, "server": {"rate_limit": ""}}, environ={}
    )
    services = build_services(settings, embedder=embedder)
    services.ingestor.ingest_paths([corpus[0].parent])
    before = services.store.counts()
    app = create_app(services=services)
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    calls: list[Call] = []
    try:
        stop = threading.Event()
        ids = [f"fault-{i:02d}" for i in range(len(corpus))]
        clients = [threading.Thread(target=_client_loop, args=(port, stop, ids, calls, n)) for n in range(4)]
        for c in clients:
            c.start()
        time.sleep(2.0)
        killed_at = time.monotonic()
        chroma.stop()
        time.sleep(2.5)
        restart_at = time.monotonic()
        chroma.start()
        up_at = time.monotonic()
        time.sleep(4.0)
        stop.set()
        for c in clients:
            c.join(60)
            assert not c.is_alive(), "a client hung"
    finally:
        server.shutdown()
        serving.join(10)

    statuses = Counter(c.status for c in calls)
    assert set(statuses) <= {200, 503}, (statuses, [c for c in calls if c.status not in (200, 503)][:5])
    assert all(c.problem and not c.detail for c in calls if c.status == 503), [c for c in calls if c.detail][:3]
    down = [c for c in calls if c.started >= killed_at + 0.2 and c.ended <= restart_at]
    assert down and all(c.status == 503 for c in down), (
        Counter((c.path, c.status) for c in down),
        [(round(c.started - killed_at, 2), round(c.ended - killed_at, 2), c.path) for c in down if c.status != 503][:8],
    )
    assert max(c.ended - c.started for c in calls) < 10.0  # no hangs: the store timeout is 2 s
    after = [c for c in calls if c.started >= up_at + 1.0]
    assert after and all(c.status == 200 for c in after), Counter(c.status for c in after)
    assert services.store.counts() == before
    answer = create_app(services=services).test_client().post("/ask", json={"question": "what did Mbeki say?"})
    assert answer.status_code == 200 and answer.get_json()["citations"]
