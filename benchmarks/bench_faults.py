"""Fault benchmarks at full size: `kill -9` of an ingest then a re-run, and the Chroma server killed under load.

(1) For the embedded store and a `chroma run` server: a clean `quotebot ingest` of the PolNeAR dev articles (one
.json file each) into a fresh index; the same ingest into another fresh index, `kill -9`ed halfway (embedded: after a
fraction of the clean run's time; server: once half the articles are committed, polled over HTTP); the same ingest
again. The recovered index must equal the clean one exactly: same ids in every collection, no orphans, no duplicates,
speaker counts right. (2) gunicorn (2 workers) over a copy of the 840-article index, 20 clients of mixed /ask and
/verify; the Chroma server is killed (SIGKILL) and restarted mid-run: while it is down every answer must be a 503
problem+json (no hangs, no 500s, no refused connections), after it is back every answer a 200, and the index counts
unchanged. (3) `--only workers`: gunicorn (2 workers) + `chroma run` + Redis write locks: a worker killed while Chroma
is down heals by itself; 60 s of concurrent ingest/delete/ask on overlapping ids ends equal to a clean ingest of the
final set; a worker killed mid-write, then the batch re-posted, gives exact counts (benchmarks/faults_workers.py).
Exits 1 when a check fails. Results: benchmarks/results/faults.json.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import faults_workers
from bench_load import DEFAULT_INDEX, DEV, Run, Workload, app_env, copy_index, drive, get_json, request, serving
from chromadb.api.shared_system_client import SharedSystemClient
from common import REPO, RESULTS, load_average, load_records, print_table, write_json

from retrieval.store import Store
from tests.servers import ChromaServer
from tests.test_faults import Snapshot, child_env, compare, snapshot

QUOTEBOT = Path(sys.executable).parent / "quotebot"


# ---- (1) kill -9 of an ingest ---------------------------------------------------------------------------------


def write_corpus(source: Path, folder: Path, limit: int | None) -> int:
    """Write each record of a PolNeAR JSONL file as its own .json file; return how many."""
    folder.mkdir(parents=True, exist_ok=True)
    records = load_records(source, limit)
    for i, r in enumerate(records):
        (folder / f"{i:04d}.json").write_text(json.dumps(r, ensure_ascii=False), encoding="utf-8")
    return len(records)


def ingest(folder: Path, store: dict[str, str], log: Path) -> tuple[float, dict[str, Any]]:
    """Run `quotebot ingest --json FOLDER` to the end; return (seconds, its JSON summary)."""
    t0 = time.monotonic()
    with log.open("ab") as err:
        proc = subprocess.run(
            [str(QUOTEBOT), "ingest", "--json", str(folder)],
            env=child_env(store),
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=err,
            timeout=3600,
        )
    out = proc.stdout.decode()
    summary: dict[str, Any] = json.loads(out[out.index("{") :])
    summary.pop("article_ids", None)
    summary["exit_code"] = proc.returncode
    return time.monotonic() - t0, summary


def killed_ingest(
    folder: Path, store: dict[str, str], *, after_s: float | None, at_articles: int | None, log: Path
) -> dict[str, Any]:
    """Start `quotebot ingest` and `kill -9` it after `after_s` seconds or once `at_articles` are committed."""
    opened = Store.open(url=store["url"], prefix=store["prefix"]) if at_articles else None
    with log.open("ab") as err:
        proc = subprocess.Popen(
            [str(QUOTEBOT), "ingest", str(folder)],
            env=child_env(store),
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    t0 = time.monotonic()
    seen = 0
    try:
        while proc.poll() is None and time.monotonic() - t0 < 3600:
            if after_s is not None and time.monotonic() - t0 >= after_s:
                break
            if opened is not None and at_articles is not None:
                seen = opened.articles.count()
                if seen >= at_articles:
                    break
            time.sleep(0.5)
        finished = proc.poll() is not None
        if not finished:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    return {"killed_after_s": round(time.monotonic() - t0, 1), "finished_before_kill": finished, "polled": seen}


def snapshot_of(store: dict[str, str]) -> Snapshot:
    """Snapshot an index, then drop this process's cached embedded client (another process writes it next)."""
    if "url" in store:
        return snapshot(Store.open(url=store["url"], prefix=store["prefix"]))
    try:
        return snapshot(Store.open(path=store["path"]))
    finally:
        SharedSystemClient.clear_system_cache()


def kill_scenario(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Clean ingest, killed ingest + re-run on both stores; compare each recovered index with the clean one."""
    folder = work / "corpus"
    n = write_corpus(args.kill_corpus, folder, args.kill_limit)
    log = RESULTS / "faults_ingest.log"
    log.write_text("")
    print(f"== kill -9: clean ingest of {n} articles", flush=True)
    clean_store = {"path": str(work / "clean")}
    clean_s, clean_summary = ingest(folder, clean_store, log)
    clean = snapshot_of(clean_store)
    out: dict[str, Any] = {
        "corpus": str(args.kill_corpus),
        "articles": n,
        "clean": {"seconds": round(clean_s, 1), "summary": clean_summary, **clean.summary()},
        "stores": {},
    }
    chroma = ChromaServer(work / "chroma-kill")
    chroma.start()
    try:
        for kind in ("embedded", "server"):
            fraction, attempts = args.kill_at, []
            for attempt in range(3):  # a timed kill can land before the first commit or after the last: retry
                store = (
                    {"path": str(work / f"killed-{attempt}")}
                    if kind == "embedded"
                    else {"url": chroma.url, "prefix": f"killed{attempt}", "timeout": "30"}
                )
                print(f"== kill -9: {kind} store, attempt {attempt + 1}", flush=True)
                kill = killed_ingest(
                    folder,
                    store,
                    after_s=clean_s * fraction if kind == "embedded" else None,
                    at_articles=max(1, int(n * fraction)) if kind == "server" else None,
                    log=log,
                )
                at_kill = snapshot_of(store)
                attempts.append({**kill, "fraction": round(fraction, 2), "articles": at_kill.counts["articles"]})
                if kill["finished_before_kill"] or at_kill.counts["articles"] == n:
                    fraction /= 2
                elif at_kill.counts["articles"] == 0:
                    fraction += (1 - fraction) / 2
                else:
                    break
            rerun_s, rerun_summary = ingest(folder, store, log)
            recovered = snapshot_of(store)
            diffs = compare(clean, recovered)
            out["stores"][kind] = {
                **kill,
                "attempts": attempts,
                "at_kill": at_kill.summary(),
                "rerun": {"seconds": round(rerun_s, 1), "summary": rerun_summary},
                "recovered": recovered.summary(),
                "differences_from_clean": diffs,
                "halfway": 0 < at_kill.counts["articles"] < n and not kill["finished_before_kill"],
                "converged": not diffs and recovered.counts == clean.counts,
            }
            print(json.dumps(out["stores"][kind], indent=1)[:1500], flush=True)
    finally:
        chroma.stop()
    return out


# ---- (2) the Chroma server killed and restarted under load ---------------------------------------------------------


def outage_scenario(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Kill the Chroma server under load, restart it, and check the answers in each phase and the counts."""
    chroma = ChromaServer(copy_index(args.index, work / "outage"))
    chroma.start()
    try:
        env = app_env(chroma.url, torch_threads=1)
        env["QUOTEBOT_STORE__TIMEOUT"] = str(args.store_timeout)
        with serving(2, env, RESULTS / "faults_gunicorn.log") as gun:
            workload = Workload.from_server(gun.port)
            drive(gun.port, workload, clients=args.clients, seconds=args.warmup, seed=97)
            before = snapshot(Store.open(url=chroma.url, prefix="quotebot"))
            health_before = get_json(gun.port, "/health")["counts"]
            ready: list[tuple[float, int]] = []
            runs: list[Run] = []
            stop_probe = threading.Event()

            def probe() -> None:
                while not stop_probe.is_set():
                    ready.append((time.monotonic(), request(gun.port, "GET", "/ready", timeout=30)[0]))
                    time.sleep(0.5)

            def load() -> None:
                runs.append(drive(gun.port, workload, clients=args.clients, seconds=args.outage_seconds, seed=5))

            prober = threading.Thread(target=probe, daemon=True)
            loader = threading.Thread(target=load, daemon=True)
            t0 = time.monotonic()
            prober.start()
            loader.start()
            time.sleep(args.kill_at_s)
            killed_at = time.monotonic()
            chroma.stop()
            print(f"== outage: chroma killed at {killed_at - t0:.1f} s", flush=True)
            time.sleep(args.down_s)
            restart_at = time.monotonic()
            chroma.start()
            up_at = time.monotonic()
            print(f"== outage: chroma back at {up_at - t0:.1f} s (start took {up_at - restart_at:.1f} s)", flush=True)
            loader.join(args.outage_seconds + 900)
            stop_probe.set()
            prober.join(60)
            time.sleep(11)  # speaker caches
            health_after = get_json(gun.port, "/health")["counts"]
            after = snapshot(Store.open(url=chroma.url, prefix="quotebot"))
            gun_log = gun.log_problems()
    finally:
        chroma.stop()
    run = runs[0]
    res = run.results

    def phase(lo: float, hi: float) -> dict[str, Any]:
        calls = [r for r in res if r.started >= lo and r.started + r.seconds <= hi]
        lat = sorted(r.seconds for r in calls)
        return {
            "requests": len(calls),
            "statuses": {str(k): v for k, v in sorted(Counter(r.status for r in calls).items())},
            "max_ms": round(lat[-1] * 1000, 1) if lat else None,
            "p99_ms": round(lat[int(0.99 * (len(lat) - 1))] * 1000, 1) if lat else None,
        }

    after_up = sorted((r for r in res if r.started >= up_at), key=lambda r: r.started)
    first_ok = next((r.started + r.seconds - up_at for r in after_up if r.status == 200), None)
    last_bad = max((r.started + r.seconds - up_at for r in after_up if r.status != 200), default=0.0)
    statuses = Counter(r.status for r in res)
    bad_503 = sum(1 for r in res if r.status == 503 and not (r.problem and r.retry_after))
    down = [r for r in res if r.started >= killed_at + 0.5 and r.started + r.seconds <= restart_at]
    # A 200 that cites nothing can be answered without the store (e.g. a speaker name the cached speaker index
    # cannot resolve): the same answer as with the store up, so it is allowed; a 200 with citations while down is not.
    down_uncited = Counter(r.uncited for r in down if r.status == 200 and r.uncited)
    checks = {
        "only_200_and_503": set(statuses) <= {200, 503},
        "no_refused_or_reset_connections": statuses[0] == 0,
        "every_503_is_problem_json_with_retry_after": bad_503 == 0,
        "503_while_down": bool(down) and all(r.status == 503 or (r.status == 200 and r.uncited) for r in down),
        "no_hangs": max(r.seconds for r in res) < args.store_timeout * 4 + 10,
        "full_recovery": first_ok is not None and all(r.status == 200 for r in after_up if r.started >= up_at + 5),
        "ready_503_while_down": any(s == 503 for t, s in ready if killed_at + 0.5 <= t <= restart_at),
        "counts_unchanged": health_before == health_after and before.ids == after.ids,
    }
    return {
        "index": str(args.index),
        "timeline_s": {
            "killed_at": round(killed_at - t0, 1),
            "restart_at": round(restart_at - t0, 1),
            "up_at": round(up_at - t0, 1),
            "end": round(run.ended - t0, 1),
        },
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "phases": {
            "before": phase(t0, killed_at),
            "down": phase(killed_at + 0.5, restart_at),
            "restarting": phase(restart_at, up_at),
            "after": phase(up_at, run.ended),
        },
        "down_200_without_citations": dict(down_uncited.most_common(10)),
        "first_200_after_up_s": round(first_ok, 2) if first_ok is not None else None,
        "last_error_after_up_s": round(last_bad, 2),
        "ready_probe": {
            "down": dict(Counter(str(s) for t, s in ready if killed_at + 0.5 <= t <= restart_at)),
            "after": dict(Counter(str(s) for t, s in ready if t >= up_at + 5)),
        },
        "counts_before": health_before,
        "counts_after": health_after,
        "index_problems_before": before.problems,
        "index_problems_after": after.problems,
        "gunicorn_log": gun_log,
        "checks": checks,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the chosen scenarios, write benchmarks/results/faults.json, exit 1 if a check fails."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", choices=["kill", "outage", "workers"], help="run one scenario")
    parser.add_argument("--kill-corpus", type=Path, default=DEV, help="JSONL of articles for the kill -9 scenario")
    parser.add_argument("--kill-limit", type=int, default=None, help="first N articles only")
    parser.add_argument("--kill-at", type=float, default=0.5, help="kill point as a fraction of the clean run")
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="kept 840-article index to copy")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--outage-seconds", type=float, default=75.0, help="length of the load run")
    parser.add_argument("--kill-at-s", type=float, default=20.0, help="when the Chroma server is killed")
    parser.add_argument("--down-s", type=float, default=20.0, help="how long it stays down")
    parser.add_argument("--store-timeout", type=float, default=5.0, help="QUOTEBOT_STORE__TIMEOUT")
    parser.add_argument("--race-seconds", type=float, default=60.0, help="workers: length of the ingest/delete race")
    parser.add_argument("--race-articles", type=int, default=30, help="workers: articles whose ids the race shares")
    parser.add_argument("--kill-batch", type=int, default=24, help="workers: articles in the batch killed mid-write")
    parser.add_argument("--out", type=Path, default=RESULTS / "faults.json")
    args = parser.parse_args(argv)
    if not args.kill_corpus.is_file():
        raise SystemExit(f"corpus not found: {args.kill_corpus}")
    result: dict[str, Any] = {
        "benchmark": "faults",
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "command": " ".join(["bench_faults.py", *(argv if argv is not None else sys.argv[1:])]),
        "load_average_at_start": load_average(),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="qb-faults-") as tmp:
        if args.only in (None, "kill"):
            result["kill_ingest"] = kill_scenario(args, Path(tmp))
            write_json(args.out, result)
        if args.only in (None, "outage"):
            result["chroma_outage"] = outage_scenario(args, Path(tmp))
            write_json(args.out, result)
        if args.only in (None, "workers"):
            result["workers"] = faults_workers.scenario(args, Path(tmp))
    result["load_average_at_end"] = load_average()
    write_json(args.out, result)
    rows: list[tuple[str, str, str]] = []
    ok = True
    for kind, r in result.get("kill_ingest", {}).get("stores", {}).items():
        passed = r["converged"] and r["halfway"]
        ok &= passed
        c = r["recovered"]["counts"]
        rows.append(
            (
                f"kill -9 ingest ({kind})",
                f"at kill {r['at_kill']['counts']['articles']} articles; after re-run "
                f"{c['articles']}/{c['chunks']}/{c['statements']}/{c['speakers']}",
                "PASS" if passed else f"FAIL {r['differences_from_clean'][:2]}",
            )
        )
    if "kill_ingest" in result:
        c = result["kill_ingest"]["clean"]["counts"]
        rows.append(("  clean ingest", f"{c['articles']}/{c['chunks']}/{c['statements']}/{c['speakers']}", ""))
    for name, passed in result.get("chroma_outage", {}).get("checks", {}).items():
        ok &= passed
        rows.append((f"outage: {name}", "", "PASS" if passed else "FAIL"))
    for name, passed in result.get("workers", {}).get("checks", {}).items():
        ok &= passed
        rows.append((f"workers {name}", "", "PASS" if passed else "FAIL"))
    print_table(rows, header=("scenario", "counts (articles/chunks/statements/speakers)", "check"))
    print(f"wrote {args.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
