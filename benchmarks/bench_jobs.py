"""Ingest throughput through the job queue: the 840-article polnear_train.jsonl posted to the API as one upload,
consumed by 1 and then 2 `quotebot worker` processes that write to one `chroma run` server.

Per run: a fresh Chroma server folder and Redis, the API (`quotebot serve`) with jobs.redis_url set, N workers
started and registered (model loaded) before the post; the clock runs from the POST to the job's `finished`.
Prints progress samples from GET /jobs/<id> while it runs, then checks the counts exactly: the job stored every
article once (failed 0) and the index holds as many articles, chunks and statements as an inline ingest of the same
file (run first, in this process, with stand-in vectors: the vectors do not change what is stored), none unfinished.
With `--kill-one-after S`, S seconds after the post the first worker found inside a part (one ingest group written,
the next under way) is SIGKILLed and a replacement started; the run then also checks that exactly that part was
retried (one retry spent) and nothing was lost or counted twice. Writes benchmarks/results/bench_jobs.json; exits 1
when a check fails.

    python benchmarks/bench_jobs.py [--corpus ../shared/eval/polnear_train.jsonl] [--workers 1 2] [--limit N]
                                    [--kill-one-after S]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
import zlib
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from harness import (
    CORPUS,
    REPO,
    RESULTS,
    ChromaServer,
    free_port,
    load_average,
    require_corpus,
    running_redis,
    terminate,
    write_json,
)

from bot.settings import load_settings

BIN = Path(sys.executable).parent
KEY = "bench-jobs-key"


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start a process with its output in `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(argv, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)


def wait_url(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 300.0) -> None:
    """Wait until GET `url` answers, or fail with the process's log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{proc.args} exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


def post_file(port: int, name: str, data: bytes) -> tuple[int, dict[str, Any]]:
    """POST one file as multipart/form-data (field 'file'); return the status and the JSON body."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    body = head + data + f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/articles", data=body, method="POST")
    req.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
    req.add_header("Authorization", f"Bearer {KEY}")
    with urllib.request.urlopen(req, timeout=600) as resp:
        return resp.status, json.loads(resp.read())


def get_job(port: int, job_id: str) -> dict[str, Any]:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/jobs/{job_id}", headers={"Authorization": f"Bearer {KEY}"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        body: dict[str, Any] = json.loads(resp.read())
        return body


def registered_workers(redis_url: str) -> int:
    """How many RQ workers have registered (they do so after loading the model)."""
    import redis
    from rq import Worker

    return len(Worker.all(connection=redis.Redis.from_url(redis_url)))


class HashVectors:
    """Stand-in vectors for the reference ingest: what is stored (and so every count) does not depend on them."""

    name = "hash-vectors"
    dimension = 8

    def embed_documents(self, texts: Sequence[str]) -> Any:
        import numpy as np

        rows = [np.random.default_rng(zlib.crc32(t.encode())).standard_normal(self.dimension) for t in texts]
        vectors = np.array(rows, dtype=np.float32).reshape(len(texts), self.dimension)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True).clip(1e-9)

    def embed_query(self, text: str) -> Any:
        return self.embed_documents([text])[0]


def reference_counts(corpus: Path, data: bytes, work: Path) -> dict[str, int]:
    """Ingest the same bytes inline (embedded Chroma, default settings) and return the index counts it leaves."""
    from retrieval.ingest import IngestOptions, Ingestor
    from retrieval.loaders import load_bytes
    from retrieval.store import Store

    ing = load_settings({}, environ={}).ingest
    store = Store.open(path=str(work / "reference"))
    ingestor = Ingestor(store, HashVectors(), IngestOptions(ing.chunk_size, ing.chunk_overlap))
    report = ingestor.ingest_articles(load_bytes(data, corpus.name, max_bytes=len(data) + 1))
    counts = store.counts().to_dict()
    if report.failed or store.incomplete_count():
        raise SystemExit(f"the reference ingest did not finish cleanly: {report.to_dict()['failed']}")
    return counts


def kill_busy_worker(redis_url: str, workers: list[subprocess.Popen[bytes]]) -> dict[str, Any] | None:
    """SIGKILL one of our workers that is inside a part with a group written and more to go; say which part."""
    import redis
    from rq import Worker
    from rq.job import Job
    from rq.serializers import JSONSerializer

    conn = redis.Redis.from_url(redis_url)
    by_pid = {p.pid: p for p in workers if p.poll() is None}
    for w in Worker.all(connection=conn):
        part_id = w.get_current_job_id()
        proc = by_pid.get(w.pid or -1)
        if not part_id or proc is None:
            continue
        part = Job.fetch(part_id, connection=conn, serializer=JSONSerializer)
        done, size = int(part.meta.get("done", 0)), len(part.meta.get("ids", []))
        if 0 < done < size:
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
            return {"part": part_id, "pid": proc.pid, "done_in_part": done, "part_articles": size}
    return None


def part_retries(redis_url: str, job_id: str, n_parts: int) -> dict[str, int]:
    """Return each part's retries left."""
    import redis
    from rq.job import Job
    from rq.serializers import JSONSerializer

    ids = [f"{job_id}-{n:05d}" for n in range(n_parts)]
    parts = Job.fetch_many(ids, connection=redis.Redis.from_url(redis_url), serializer=JSONSerializer)
    return {i: int(p.retries_left or 0) for i, p in zip(ids, parts, strict=True) if p is not None}


def run(
    n_workers: int, corpus: Path, data: bytes, work: Path, kill_after: float | None = None, sample_every: float = 15.0
) -> dict[str, Any]:
    """One measured run with `n_workers` workers (one of them killed `kill_after` s in); return its figures."""
    folder = work / f"w{n_workers}"
    folder.mkdir()
    procs: list[subprocess.Popen[bytes]] = []
    servers = ExitStack()  # the test suite's redis-server and `chroma run`, stopped after the API and the workers
    try:
        redis_url = servers.enter_context(running_redis(folder)).removesuffix("/0")
        chroma = servers.enter_context(ChromaServer(folder / "chroma", log=folder / "chroma.log"))
        api_port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("QUOTEBOT_")}
        env.update(
            PYTHONPATH=str(REPO),
            HF_HUB_OFFLINE="1",
            TRANSFORMERS_OFFLINE="1",
            ANONYMIZED_TELEMETRY="False",
            QUOTEBOT_API_KEYS=KEY,
            QUOTEBOT_STORE__URL=chroma.url,
            QUOTEBOT_STORE__LOCK_URL=f"{redis_url}/1",
            QUOTEBOT_JOBS__REDIS_URL=f"{redis_url}/2",
            QUOTEBOT_SERVER__RATE_LIMIT="",
            QUOTEBOT_SERVER__MAX_BODY_BYTES="40000000",  # the 15 MB JSONL in one upload
            QUOTEBOT_INGEST__MAX_FILE_BYTES="40000000",
        )
        # The machine's cores split between the workers, so N workers never oversubscribe the CPU.
        threads = max(1, (os.cpu_count() or 1) // n_workers)
        worker_env = {**env, "QUOTEBOT_EMBEDDING__THREADS": str(threads)}
        api = start([str(BIN / "quotebot"), "serve", "--port", str(api_port)], env, folder / "api.log")
        procs.append(api)
        workers: list[subprocess.Popen[bytes]] = []
        for i in range(n_workers):
            workers.append(start([str(BIN / "quotebot"), "worker"], worker_env, folder / f"worker{i}.log"))
        procs.extend(workers)
        wait_url(f"http://127.0.0.1:{api_port}/ready", api, folder / "api.log")
        deadline = time.monotonic() + 300
        while registered_workers(f"{redis_url}/2") < n_workers:
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise SystemExit(f"workers did not start; see {folder}")
            time.sleep(0.5)
        t0 = time.monotonic()
        status, accepted = post_file(api_port, corpus.name, data)
        posted = time.monotonic() - t0
        if status != 202:
            raise SystemExit(f"expected 202 from POST /articles, got {status}: {accepted}")
        last = 0.0
        samples: list[dict[str, Any]] = []
        killed: dict[str, Any] | None = None
        while (job := get_job(api_port, accepted["id"]))["state"] not in ("finished", "failed"):
            now = time.monotonic() - t0
            if now - last >= sample_every:
                last = now
                samples.append({"s": round(now, 1), **job["progress"], "parts": job["parts"]})
                print(f"  {n_workers} worker(s) {now:6.0f} s: {job['progress']} parts {job['parts']}", flush=True)
            if kill_after is not None and killed is None and now >= kill_after:
                killed = kill_busy_worker(f"{redis_url}/2", workers)
                if killed:
                    killed["at_s"] = round(now, 1)
                    killed["job_progress"] = job["progress"]
                    print(f"  SIGKILLed worker pid {killed['pid']} inside {killed['part']}: {killed}", flush=True)
                    log = folder / f"worker{len(workers)}.log"
                    workers.append(start([str(BIN / "quotebot"), "worker"], worker_env, log))
                    procs.append(workers[-1])
            time.sleep(1.0)
        seconds = time.monotonic() - t0
        counts = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{api_port}/health").read())["counts"]
        ready = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{api_port}/ready").read())
        retries = part_retries(f"{redis_url}/2", accepted["id"], sum(job["parts"].values()))
        full = load_settings({}, environ={}).jobs.retries  # what a part that never failed has left
        return {
            "workers": n_workers,
            "torch_threads_per_worker": threads,
            "seconds": round(seconds, 1),
            "post_seconds": round(posted, 2),
            "articles_per_s": round(job["progress"]["total"] / seconds, 3),
            "state": job["state"],
            "progress": job["progress"],
            "counts": job["counts"],
            "errors": job["errors"][:5],
            "parts": job["parts"],
            "index": counts,
            "unfinished_articles": ready["unfinished_articles"],
            "killed": killed,
            "retried_parts": {p: full - left for p, left in retries.items() if left != full},
            "retries_left": sorted(set(retries.values())),
            "samples": samples,
        }
    finally:
        for p in reversed(procs):
            terminate(p)
        servers.close()


def check(r: dict[str, Any], total: int, reference: dict[str, int], kill: bool) -> list[str]:
    """Return what is wrong with a run: any count not exact, anything lost, a kill without its retry."""
    wrong = []
    if r["state"] != "finished" or r["counts"] != {"stored": total, "unchanged": 0, "failed": 0}:
        wrong.append(f"job {r['state']} with counts {r['counts']}, expected stored {total}, failed 0")
    if r["progress"] != {"done": total, "total": total}:
        wrong.append(f"progress {r['progress']}, expected {total} of {total}")
    for key in ("articles", "chunks", "statements"):
        if r["index"][key] != reference[key]:
            wrong.append(f"index {key} {r['index'][key]}, the inline ingest stored {reference[key]}")
    if r["unfinished_articles"]:
        wrong.append(f"{r['unfinished_articles']} articles left unfinished")
    if kill:
        if not r["killed"]:
            wrong.append("no worker was found inside a part to kill (the job ended first?)")
        elif list(r["retried_parts"]) != [r["killed"]["part"]]:
            wrong.append(f"retried parts {r['retried_parts']}, expected exactly the killed {r['killed']['part']}")
    return wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--limit", type=int, default=None, help="post only the first N articles (default: all)")
    parser.add_argument(
        "--kill-one-after",
        type=float,
        default=None,
        metavar="S",
        help="S seconds after the post, SIGKILL a worker inside a part and start a replacement",
    )
    args = parser.parse_args()
    corpus = require_corpus(args.corpus)
    # Read in memory and posted from there: the corpus is never copied anywhere.
    lines = corpus.read_bytes().splitlines(keepends=True)
    data = b"".join(lines[: args.limit] if args.limit else lines)
    runs = []
    wrong: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-jobs-") as tmp:
        t0 = time.monotonic()
        reference = reference_counts(corpus, data, Path(tmp))
        print(f"reference (inline ingest, {time.monotonic() - t0:.0f} s): {reference}", flush=True)
        for n in args.workers:
            print(f"== {n} worker(s)", flush=True)
            runs.append(run(n, corpus, data, Path(tmp), args.kill_one_after))
            print(json.dumps({k: v for k, v in runs[-1].items() if k != "samples"}), flush=True)
            runs[-1]["wrong"] = check(runs[-1], reference["articles"], reference, args.kill_one_after is not None)
            wrong += [f"{n} worker(s): {w}" for w in runs[-1]["wrong"]]
    print(f"\n{'workers':>7} {'seconds':>8} {'articles/s':>10}  counts")
    for r in runs:
        print(f"{r['workers']:>7} {r['seconds']:>8} {r['articles_per_s']:>10}  {r['counts']} ({r['state']})")
        print(f"{'':>28}index {r['index']}, killed {r['killed']}, retried {r['retried_parts']}")
    out = write_json(
        RESULTS / "bench_jobs.json",
        {
            "corpus": corpus.name,
            "articles_posted": len(data.splitlines()),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average": load_average(),
            "kill_one_after": args.kill_one_after,
            "reference": reference,
            "runs": runs,
        },
    )
    print(f"wrote {out}")
    print("\n".join(["CHECKS FAILED:", *wrong]) if wrong else "checks: counts exact, index equals the inline ingest")
    if wrong:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
