"""Ingest throughput through the job queue: the 840-article polnear_train.jsonl posted to the API as one upload,
consumed by 1 and then 2 `quotebot worker` processes that write to one `chroma run` server.

Per run: a fresh Chroma server folder and Redis, the API (`quotebot serve`) with jobs.redis_url set, N workers
started and registered (model loaded) before the post; the clock runs from the POST to the job's `finished`.
Prints articles/s and the job's exact counts; writes benchmarks/results/bench_jobs.json.

    python benchmarks/bench_jobs.py [--corpus ../shared/eval/polnear_train.jsonl] [--workers 1 2] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from common import CORPUS, REPO, RESULTS, load_average, require_corpus, write_json

from tests.servers import free_port

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


def run(n_workers: int, corpus: Path, data: bytes, work: Path) -> dict[str, Any]:
    """One measured run with `n_workers` workers; return its figures."""
    folder = work / f"w{n_workers}"
    folder.mkdir()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        redis_port, chroma_port, api_port = free_port(), free_port(), free_port()
        redis_bin = shutil.which("redis-server")
        if redis_bin is None:
            raise SystemExit("redis-server is needed: bash scripts/system-deps.sh installs it")
        procs.append(
            start([redis_bin, "--port", str(redis_port), "--save", "", "--appendonly", "no"], {}, folder / "redis.log")
        )
        chroma = [str(BIN / "chroma"), "run", "--path", str(folder / "chroma"), "--port", str(chroma_port)]
        procs.append(start([*chroma, "--host", "127.0.0.1"], dict(os.environ), folder / "chroma.log"))
        wait_url(f"http://127.0.0.1:{chroma_port}/api/v2/heartbeat", procs[-1], folder / "chroma.log")
        redis_url = f"redis://127.0.0.1:{redis_port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("QUOTEBOT_")}
        env.update(
            PYTHONPATH=str(REPO),
            HF_HUB_OFFLINE="1",
            TRANSFORMERS_OFFLINE="1",
            ANONYMIZED_TELEMETRY="False",
            QUOTEBOT_API_KEYS=KEY,
            QUOTEBOT_STORE__URL=f"http://127.0.0.1:{chroma_port}",
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
        for i in range(n_workers):
            procs.append(start([str(BIN / "quotebot"), "worker"], worker_env, folder / f"worker{i}.log"))
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
        while (job := get_job(api_port, accepted["id"]))["state"] not in ("finished", "failed"):
            if time.monotonic() - last > 30:
                last = time.monotonic()
                print(f"  {n_workers} worker(s): {job['progress']} after {last - t0:.0f} s", flush=True)
            time.sleep(1.0)
        seconds = time.monotonic() - t0
        counts = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{api_port}/health").read())["counts"]
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
        }
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(60)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--limit", type=int, default=None, help="post only the first N articles (default: all)")
    args = parser.parse_args()
    corpus = require_corpus(args.corpus)
    # Read in memory and posted from there: the corpus is never copied anywhere.
    lines = corpus.read_bytes().splitlines(keepends=True)
    data = b"".join(lines[: args.limit] if args.limit else lines)
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-jobs-") as tmp:
        for n in args.workers:
            print(f"== {n} worker(s)", flush=True)
            runs.append(run(n, corpus, data, Path(tmp)))
            print(json.dumps(runs[-1]), flush=True)
    print(f"\n{'workers':>7} {'seconds':>8} {'articles/s':>10}  counts")
    for r in runs:
        print(f"{r['workers']:>7} {r['seconds']:>8} {r['articles_per_s']:>10}  {r['counts']} ({r['state']})")
    out = write_json(
        RESULTS / "bench_jobs.json",
        {
            "corpus": corpus.name,
            "articles_posted": len(data.splitlines()),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average": load_average(),
            "runs": runs,
        },
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
