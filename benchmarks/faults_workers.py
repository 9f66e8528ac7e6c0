"""Fault scenarios on gunicorn (2 workers) + `chroma run` + Redis locks, for bench_faults.py --only workers.

(a) outage_restart: Chroma is killed, then a worker is `kill -9`ed while it is down; the replacement worker must boot
    without the store, the master must stay up, and every answer must be 200 again once Chroma is back, with no
    manual restart. (b) race: for `--race-seconds`, clients ingest and delete overlapping article ids while others ask
    and verify; afterwards the index must hold no unfinished article and no orphan, every citation must resolve, and
    the index must equal a clean ingest of the articles it ended with (same ids in every collection, same counts).
    (c) kill_write: a worker is `kill -9`ed while it writes a POST /articles batch; re-posting the batch must give
    exactly the counts of a clean ingest.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench_load import API_KEY, Gunicorn, app_env, request
from common import RESULTS, load_records

from bot.services import build_services
from bot.settings import load_settings
from retrieval.store import Store
from tests.servers import ChromaServer, free_port
from tests.test_faults import compare, snapshot

AUTH = {"Authorization": f"Bearer {API_KEY}"}


@contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """Run redis-server on a free loopback port without persistence; yield its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is needed for the workers scenario: bash scripts/system-deps.sh installs it")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(0.5)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.kill()
        proc.wait(10)


def to_body(record: dict[str, Any]) -> dict[str, Any]:
    """Return a POST /articles record for a PolNeAR-style corpus record."""
    return {
        "id": str(record["doc_id"]),
        "text": record["text"],
        "title": record.get("title") or "",
        "source": record.get("publisher") or "",
        "published": (record.get("publication_date") or "")[:10],
    }


def workers_of(master: int) -> list[int]:
    """Return the pids of a gunicorn master's worker processes."""
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True, check=False)
    return [int(p) for p in out.stdout.split()]


def cpu_ticks(pid: int) -> int:
    """Return the user+system CPU ticks a process has used (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def clean_equal(url: str, prefix: str, bodies: list[dict[str, Any]], work: Path) -> list[str]:
    """Ingest `bodies` into a fresh prefix in this process and return how the index at `prefix` differs from it."""
    from retrieval.models import Article

    settings = load_settings({"store": {"url": url, "prefix": f"clean{random.randrange(10**9)}"}}, environ={})
    services = build_services(settings)
    services.ingestor.ingest_articles([Article(**b) for b in bodies])
    return compare(snapshot(services.store), snapshot(Store.open(url=url, prefix=prefix)))


def _ask_and_check(port: int, questions: list[str], rnd: random.Random, out: Counter[str]) -> None:
    """Ask one question; count answers, citations and citations whose article text does not hold them."""
    status, _, data = request(port, "POST", "/ask", {"question": rnd.choice(questions)}, headers=AUTH)
    out[f"ask {status}"] += 1
    if status != 200:
        return
    for c in json.loads(data)["citations"]:
        out["citations"] += 1
        st, _, art = request(port, "GET", f"/articles/{c['article_id']}", headers=AUTH)
        if st == 200:
            text = json.loads(art)["text"]
            out["verbatim" if text[c["start"] : c["end"]] == c["text"] else "NOT verbatim"] += 1
        else:
            out[f"cited article then {st}"] += 1  # may be a delete that landed after the answer: checked at the end


def race(port: int, records: list[dict[str, Any]], seconds: float, seed: int) -> dict[str, Any]:
    """Concurrent ingest, delete, ask and verify of overlapping ids for `seconds`; return what happened."""
    bodies = [to_body(r) for r in records]
    ids = [b["id"] for b in bodies]
    questions = [f"what did {w} say?" for w in ("Trump", "Clinton", "Obama", "Sanders")] + [
        "who said the election was rigged?",
        "what did officials say about the emails?",
    ]
    tallies: dict[str, Counter[str]] = {"ingest": Counter(), "delete": Counter(), "ask": Counter()}
    deadline = time.monotonic() + seconds

    def ingester(n: int) -> None:
        rnd = random.Random(seed + n)
        while time.monotonic() < deadline:
            batch = rnd.sample(bodies, rnd.randint(2, 6))
            status, _, _ = request(port, "POST", "/articles", {"articles": batch}, headers=AUTH, timeout=300)
            tallies["ingest"][str(status)] += 1

    def deleter() -> None:
        rnd = random.Random(seed + 99)
        while time.monotonic() < deadline:
            status, _, _ = request(port, "DELETE", f"/articles/{rnd.choice(ids)}", headers=AUTH)
            tallies["delete"][str(status)] += 1
            time.sleep(0.2)

    def asker(n: int) -> None:
        rnd = random.Random(seed + 50 + n)
        while time.monotonic() < deadline:
            _ask_and_check(port, questions, rnd, tallies["ask"])

    threads = [threading.Thread(target=ingester, args=(n,)) for n in range(2)]
    threads += [threading.Thread(target=deleter)] + [threading.Thread(target=asker, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 600)
    return {k: dict(v) for k, v in tallies.items()}


def scenario(args: Any, work: Path) -> dict[str, Any]:
    """Run (a) outage_restart, (b) race and (c) kill_write against one gunicorn; return figures and checks."""
    records = load_records(args.kill_corpus, args.race_articles)
    chroma = ChromaServer(work / "workers-chroma")
    chroma.start()
    result: dict[str, Any] = {}
    checks: dict[str, bool] = {}
    try:
        with redis_server(work) as redis_url:
            env = app_env(chroma.url, torch_threads=1)
            env["QUOTEBOT_STORE__LOCK_URL"] = redis_url
            env["QUOTEBOT_STORE__TIMEOUT"] = "3"
            env["QUOTEBOT_SERVER__REQUIRE_KEY_FOR_READS"] = "false"
            gun = Gunicorn(2, env, RESULTS / "faults_workers_gunicorn.log")
            gun.start()
            try:
                assert gun.proc is not None
                master = gun.proc.pid
                port = gun.port
                status, _, _ = request(
                    port, "POST", "/articles", {"articles": [to_body(r) for r in records[:10]]}, headers=AUTH
                )
                assert status == 200, status

                # (a) a worker dies while Chroma is down
                chroma.stop()
                time.sleep(1.0)
                victim = workers_of(master)[0]
                os.kill(victim, signal.SIGKILL)
                time.sleep(8.0)  # the replacement boots (model load) while the store is still down
                down_ready = request(port, "GET", "/ready", timeout=10)[0]
                master_alive_down = gun.proc.poll() is None
                t_up = time.monotonic()
                chroma.start()
                healed_after = None
                while time.monotonic() - t_up < 120:
                    statuses = [request(port, "GET", "/ready", timeout=10)[0] for _ in range(6)]
                    statuses += [
                        request(port, "POST", "/ask", {"question": "what did Trump say?"}, headers=AUTH)[0]
                        for _ in range(4)
                    ]
                    if all(s == 200 for s in statuses):
                        healed_after = time.monotonic() - t_up
                        break
                    time.sleep(0.5)
                result["outage_restart"] = {
                    "killed_worker": victim,
                    "ready_while_down": down_ready,
                    "master_alive": master_alive_down and gun.proc.poll() is None,
                    "workers_after": len(workers_of(master)),
                    "all_200_after_chroma_back_s": round(healed_after, 1) if healed_after is not None else None,
                }
                checks["outage_restart: master stays up, replacement boots"] = (
                    master_alive_down and gun.proc.poll() is None and len(workers_of(master)) == 2
                )
                checks["outage_restart: /ready 503 while down"] = down_ready == 503
                checks["outage_restart: heals without a restart"] = healed_after is not None

                # (b) concurrent ingest / delete / ask on overlapping ids
                t0 = time.monotonic()
                tallies = race(port, records, args.race_seconds, seed=11)
                store = Store.open(url=chroma.url, prefix="quotebot")
                held = snapshot(store)
                final_ids = sorted(held.ids["articles"])
                after_ask: Counter[str] = Counter()
                rnd = random.Random(5)
                for _ in range(20):
                    _ask_and_check(port, ["what did Trump say?", "what did Clinton say?"], rnd, after_ask)
                by_id = {str(r["doc_id"]): r for r in records}
                diffs = clean_equal(chroma.url, "quotebot", [to_body(by_id[i]) for i in final_ids], work)
                result["race"] = {
                    "seconds": round(time.monotonic() - t0, 1),
                    "requests": tallies,
                    "final_articles": len(final_ids),
                    "final_counts": held.counts,
                    "index_problems": held.problems,
                    "unfinished": store.incomplete_count(),
                    "asks_after": dict(after_ask),
                    "differences_from_clean_ingest_of_final_set": diffs,
                }
                bad = {k for k in tallies["ingest"] if k != "200"} | {
                    k for k in tallies["delete"] if k not in ("200", "404")
                }
                checks["race: every write answered 200/404"] = not bad
                checks["race: no orphan or unfinished article"] = not held.problems and store.incomplete_count() == 0
                checks["race: equals a clean ingest of the final set"] = diffs == []
                checks["race: every citation verbatim and resolvable"] = (
                    "NOT verbatim" not in tallies["ask"]
                    and set(after_ask) <= {"ask 200", "citations", "verbatim"}
                    and after_ask["citations"] > 0
                )

                # (c) kill -9 of the worker that is writing a batch
                batch = [to_body(r) for r in records[-args.kill_batch :]]
                for b in batch:
                    request(port, "DELETE", f"/articles/{b['id']}", headers=AUTH)
                poster = threading.Thread(
                    target=request, args=(port, "POST", "/articles", {"articles": batch}), kwargs={"headers": AUTH}
                )
                before = {pid: cpu_ticks(pid) for pid in workers_of(master)}
                poster.start()
                killed = None
                t_kill = time.monotonic()
                while time.monotonic() - t_kill < 300 and killed is None:
                    got = store.stored_articles([b["id"] for b in batch])
                    # Kill once at least one group is committed and the next one is being written.
                    if any(s.state == "complete" for s in got.values()) and store.incomplete_count() > 0:
                        busy = max(workers_of(master), key=lambda p: cpu_ticks(p) - before.get(p, 0))
                        os.kill(busy, signal.SIGKILL)
                        killed = busy
                    time.sleep(0.05)
                poster.join(120)
                unfinished_after_kill = store.incomplete_count()
                time.sleep(10)  # replacement worker boots
                status, _, data = request(port, "POST", "/articles", {"articles": batch}, headers=AUTH, timeout=600)
                summary = json.loads(data) if status == 200 else {}
                present = snapshot(store)
                final_ids = sorted(present.ids["articles"])
                diffs = clean_equal(chroma.url, "quotebot", [to_body(by_id[i]) for i in final_ids], work)
                result["kill_write"] = {
                    "killed_worker": killed,
                    "unfinished_after_kill": unfinished_after_kill,
                    "repost": {k: summary.get(k) for k in ("articles", "unchanged", "chunks", "statements")},
                    "final_counts": present.counts,
                    "differences_from_clean_ingest": diffs,
                }
                checks["kill_write: killed mid-write"] = killed is not None and unfinished_after_kill > 0
                checks["kill_write: re-post gives exact counts"] = (
                    status == 200 and diffs == [] and not present.problems
                )
                result["gunicorn_log"] = gun.log_problems()
            finally:
                gun.stop()
    finally:
        chroma.stop()
    result["checks"] = checks
    return result
