"""Load benchmark: gunicorn (2 workers, then 1) over a `chroma run` server; 20 clients of mixed /ask and /verify.

Serves a copy of a kept 840-article index (bench_ingest_ask.py --keep) from `chroma run` on a free loopback port,
starts `gunicorn -c gunicorn.conf.py` against it and drives it with `--clients` threads for `--seconds`:
70% /ask ("what did <speaker> say?", "who said <words>?", topic searches), 30% /verify (real quoted words, half of
them altered or misattributed). `--with-ingest` adds a third run during which another process ingests new articles
(PolNeAR dev, ids prefixed "new-"), then checks that every one of them is queryable.
Results: benchmarks/results/load.json (and the gunicorn logs beside it).

One self-contained benchmark script (over 350 lines): its corpus, workload, measurement and report read top to
bottom; what it shares with the others (corpora, servers, stage timing) is in benchmarks/harness.py.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import REPO, RESULTS, SHARED, latency_summary, load_average, load_records, print_table, write_json

from tests.servers import ChromaServer, free_port

DEFAULT_INDEX = Path("/tmp/qb-index-840")
DEV = SHARED / "polnear_dev.jsonl"
API_KEY = "bench-load-key-5b1e"
GUNICORN = Path(sys.executable).parent / "gunicorn"


# ---- processes -----------------------------------------------------------------------------------------------


def copy_index(source: Path, into: Path) -> Path:
    """Copy a kept index folder (never touch the original) and return the copy."""
    if not (source / "chroma.sqlite3").is_file():
        raise SystemExit(f"no Chroma index at {source}: run bench_ingest_ask.py --keep {source} first")
    target = into / "chroma"
    shutil.copytree(source, target)
    return target


def app_env(chroma_url: str, *, prefix: str = "quotebot", torch_threads: int = 1) -> dict[str, str]:
    """Return the environment of the API and ingest processes: the server store, no rate limit, offline."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUOTEBOT_", "GUNICORN_"))}
    env.update(
        QUOTEBOT_STORE__URL=chroma_url,
        QUOTEBOT_STORE__PREFIX=prefix,
        QUOTEBOT_SERVER__RATE_LIMIT="",
        QUOTEBOT_EMBEDDING__THREADS=str(torch_threads),
        QUOTEBOT_API_KEYS=API_KEY,
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
    )
    return env


class Gunicorn:
    """`gunicorn -c gunicorn.conf.py` on a free loopback port with N workers, logging to a file."""

    def __init__(self, workers: int, env: dict[str, str], log: Path) -> None:
        self.workers, self.port, self.log = workers, free_port(), log
        self.env = {**env, "GUNICORN_WORKERS": str(workers), "GUNICORN_BIND": f"127.0.0.1:{self.port}"}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 240.0) -> None:
        """Start it and wait until every worker has booted and /ready answers 200."""
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [str(GUNICORN), "-c", "gunicorn.conf.py"], cwd=REPO, env=self.env, stdout=out, stderr=out
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}; see {self.log}")
            # Each worker builds its app before it accepts: wait for all of them to be ready.
            booted = self.log.read_text(errors="replace").count("Booting worker")
            if booted >= self.workers and request(self.port, "GET", "/ready", timeout=5)[0] == 200:
                return
            time.sleep(0.5)
        raise RuntimeError(f"gunicorn with {self.workers} workers not ready after {timeout:.0f} s; see {self.log}")

    def stop(self) -> None:
        """Stop it gracefully (SIGTERM), killing it if it lingers."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    def log_problems(self) -> dict[str, int]:
        """Count worker timeouts, crashes and tracebacks in the log."""
        text = self.log.read_text(errors="replace")
        return {k: text.count(k) for k in ("WORKER TIMEOUT", "Worker exiting", "Traceback", "Booting worker")}


@contextmanager
def serving(workers: int, env: dict[str, str], log: Path) -> Iterator[Gunicorn]:
    """Run gunicorn for the duration of the block."""
    gun = Gunicorn(workers, env, log)
    try:
        gun.start()
        yield gun
    finally:
        gun.stop()


def request(
    port: int, method: str, path: str, body: Any = None, *, timeout: float = 60.0, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """Send one request on a fresh connection; return (status, headers, body), status 0 when it raised."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = json.dumps(body) if body is not None else None
        conn.request(method, path, data, {"Content-Type": "application/json", **(headers or {})})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    except (OSError, http.client.HTTPException):
        return 0, {}, b""
    finally:
        conn.close()


def get_json(port: int, path: str) -> Any:
    """GET a JSON resource that must answer 200."""
    status, _, data = request(port, "GET", path)
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}: {data[:200]!r}")
    return json.loads(data)


# ---- the workload ------------------------------------------------------------------------------------------------

_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+")
_NEGATE = {"is": "is not", "was": "was not", "will": "will not", "are": "are not", "can": "cannot", "has": "has not"}


def alter(quote: str, rnd: random.Random) -> str:
    """Change a quote the way misquotes do: a negation, a number, a dropped or swapped word."""
    words = quote.split()
    for i, w in enumerate(words):
        if w.lower() in _NEGATE and rnd.random() < 0.6:
            return " ".join([*words[:i], _NEGATE[w.lower()], *words[i + 1 :]])
        if w.isdigit():
            return " ".join([*words[:i], str(int(w) + 7), *words[i + 1 :]])
    if len(words) > 4:
        i = rnd.randrange(1, len(words) - 1)
        return " ".join([*words[:i], rnd.choice(["really", "totally", "never", "always"]), *words[i + 1 :]])
    return quote + " again"


@dataclass
class Workload:
    """Questions and quotes built from the served index itself (real speakers and their quoted words)."""

    speakers: list[str]
    quotes: list[tuple[str, str]]  # (quoted words, speaker name)
    titles: list[str]

    @classmethod
    def from_server(cls, port: int, n_speakers: int = 40) -> Workload:
        """Read GET /speakers and the statements of the busiest speakers."""
        people = [s for s in get_json(port, "/speakers")["speakers"] if s["kind"] == "person"]
        speakers, quotes, titles = [], [], set()
        for sp in people[:n_speakers]:
            speakers.append(sp["name"])
            for st in get_json(port, f"/speakers/{sp['id']}")["statements"]:
                titles.add(st["citation"]["title"])
                for qs, qe in st["quoted"]:
                    if st["start"] <= qs < qe <= st["end"]:
                        words = st["text"][qs - st["start"] : qe - st["start"]].strip(" ,.;:")
                        if 4 <= len(words.split()) <= 30:
                            quotes.append((words, sp["name"]))
        if not speakers or not quotes:
            raise RuntimeError("the served index has no speakers or quotes to build questions from")
        return cls(speakers, quotes, sorted(t for t in titles if t))

    def next(self, rnd: random.Random) -> tuple[str, str, dict[str, Any]]:
        """Return (kind, path, body) of one request of the 70/30 ask/verify mix."""
        r = rnd.random()
        if r < 0.7:
            kind = rnd.choice(["ask_speaker", "ask_who", "ask_topic"])
            if kind == "ask_speaker":
                question = f"What did {rnd.choice(self.speakers)} say?"
            elif kind == "ask_who":
                words = rnd.choice(self.quotes)[0].split()
                start = rnd.randrange(0, max(1, len(words) - 6))
                question = f"Who said {' '.join(words[start : start + 8])}?"
            else:
                title = rnd.choice(self.titles) if self.titles else "the election"
                question = " ".join(_WORD.findall(title)[:8]) or "the election"
            return kind, "/ask", {"question": question}
        quote, speaker = rnd.choice(self.quotes)
        roll = rnd.random()
        if roll < 0.5:
            return "verify_real", "/verify", {"quote": quote, "speaker": speaker}
        if roll < 0.8:
            return "verify_altered", "/verify", {"quote": alter(quote, rnd), "speaker": speaker}
        return "verify_misattributed", "/verify", {"quote": quote, "speaker": rnd.choice(self.speakers)}


@dataclass
class Result:
    """One request's outcome."""

    kind: str
    started: float
    seconds: float
    status: int  # 0: raised (connection refused/reset, timeout)
    problem: bool = False  # an application/problem+json body
    retry_after: bool = False
    uncited: str = ""  # a 200 that cites nothing: the question or quote, to see what was answered without sources


@dataclass
class Run:
    """Every result of one load run."""

    results: list[Result] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, r: Result) -> None:
        """Record a result (thread-safe)."""
        with self.lock:
            self.results.append(r)

    def summary(self) -> dict[str, Any]:
        """Return errors, throughput and latency percentiles of the requests completed within the run."""
        span = self.ended - self.started
        done = [r for r in self.results if r.started + r.seconds <= self.ended]
        ok = [r for r in done if 200 <= r.status < 300]
        errors = Counter(str(r.status) for r in done if not 200 <= r.status < 300)
        return {
            "uncited_200": sum(1 for r in ok if r.uncited),
            "seconds": round(span, 1),
            "requests": len(done),
            "errors": sum(errors.values()),
            "error_statuses": dict(errors),
            "throughput_rps": round(len(ok) / span, 2) if span else 0.0,
            "latency_ms": latency_summary([r.seconds for r in ok]),
            "by_kind": {
                kind: latency_summary([r.seconds for r in ok if r.kind == kind])
                for kind in sorted({r.kind for r in ok})
            },
        }


def client_loop(
    port: int,
    workload: Workload,
    run: Run,
    seed: int,
    until: Callable[[], bool],
    timeout: float = 60.0,
) -> None:
    """One client: send requests back to back on a keep-alive connection until `until()` says stop."""
    rnd = random.Random(seed)
    conn: http.client.HTTPConnection | None = None
    while not until():
        kind, path, body = workload.next(rnd)
        t0 = time.monotonic()
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
            conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
            resp = conn.getresponse()
            data = resp.read()
            ctype = resp.getheader("Content-Type", "")
            uncited = ""
            if resp.status == 200:
                answer = json.loads(data)
                if not (answer.get("citations") or answer.get("evidence")):
                    uncited = str(body.get("question") or body.get("quote"))[:120]
            run.add(
                Result(
                    kind,
                    t0,
                    time.monotonic() - t0,
                    resp.status,
                    ctype.startswith("application/problem+json"),
                    bool(resp.getheader("Retry-After")),
                    uncited,
                )
            )
            if resp.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException):
            run.add(Result(kind, t0, time.monotonic() - t0, 0))
            if conn is not None:
                conn.close()
            conn = None
            time.sleep(0.05)  # a refused connection returns at once: do not spin
    if conn is not None:
        conn.close()


def drive(
    port: int, workload: Workload, *, clients: int, seconds: float, seed: int, stop: Callable[[], bool] | None = None
) -> Run:
    """Run `clients` threads for `seconds` (or, when `stop` is given, until it returns True) and collect results."""
    run = Run()
    run.started = time.monotonic()
    deadline = run.started + seconds

    def until() -> bool:
        return stop() if stop is not None else time.monotonic() >= deadline

    threads = [
        threading.Thread(target=client_loop, args=(port, workload, run, seed * 1000 + i, until), daemon=True)
        for i in range(clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 900)
    run.ended = time.monotonic() if stop is not None else deadline
    return run


# ---- ingest while serving ----------------------------------------------------------------------------------------


def new_articles(n: int, folder: Path) -> tuple[Path, list[dict[str, Any]]]:
    """Write the first `n` dev articles with ids prefixed "new-" to a JSONL file; return it and the records."""
    if not DEV.is_file():
        raise SystemExit(f"dev corpus not found: {DEV}")
    records = [{**r, "doc_id": f"new-{r['doc_id']}"} for r in load_records(DEV, n)]
    path = folder / "new-articles.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path, records


def ingest_via_api(port: int, records: list[dict[str, Any]], batch: int = 5) -> dict[str, Any]:
    """POST the records to /articles in batches with the API key; return totals."""
    totals: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    for i in range(0, len(records), batch):
        body = [
            {"id": r["doc_id"], "title": r.get("title") or "", "text": r["text"], "source": r.get("publisher") or ""}
            for r in records[i : i + batch]
        ]
        status, _, data = request(
            port, "POST", "/articles", body, timeout=600, headers={"Authorization": f"Bearer {API_KEY}"}
        )
        statuses[status] += 1
        if status == 200:
            report = json.loads(data)
            totals.update({k: report[k] for k in ("articles", "chunks", "statements", "unchanged")})
    return {**totals, "statuses": {str(k): v for k, v in statuses.items()}}


def check_ingested(port: int, records: list[dict[str, Any]]) -> dict[str, Any]:
    """Check every new article: GET /articles/<id> is 200 with its text, and /ask filtered to it cites it verbatim."""
    missing, no_citations, wrong = [], [], []
    for r in records:
        aid = r["doc_id"]
        status, _, data = request(port, "GET", f"/articles/{aid}")
        if status != 200:
            missing.append(aid)
            continue
        text = json.loads(data)["text"]
        question = " ".join(_WORD.findall(r.get("title") or text)[:8])
        status, _, data = request(port, "POST", "/ask", {"question": question, "filters": {"article_id": aid}})
        citations = json.loads(data).get("citations", []) if status == 200 else []
        if not citations:
            no_citations.append(aid)
        for c in citations:
            if c["article_id"] != aid or text[c["start"] : c["end"]] != c["text"]:
                wrong.append(aid)
    return {
        "articles": len(records),
        "get_200": len(records) - len(missing),
        "ask_with_citations": len(records) - len(missing) - len(no_citations),
        "missing": missing,
        "no_citations": no_citations,
        "wrong_citations": sorted(set(wrong)),
    }


def run_with_ingest(
    port: int, workload: Workload, env: dict[str, str], args: argparse.Namespace, work: Path
) -> dict[str, Any]:
    """Drive the load while another process (or API client) ingests new articles; then check them."""
    path, records = new_articles(args.ingest_articles, work)
    before = get_json(port, "/health")["counts"]
    outcome: dict[str, Any] = {}
    done = threading.Event()
    min_end = time.monotonic() + args.seconds

    def ingest() -> None:
        t0 = time.monotonic()
        try:
            if args.ingest_via == "api":
                outcome["report"] = ingest_via_api(port, records)
            else:
                env_ingest = {**env, "QUOTEBOT_INGEST__MAX_FILE_BYTES": "20000000"}
                env_ingest.pop("QUOTEBOT_EMBEDDING__THREADS", None)
                proc = subprocess.run(
                    [str(Path(sys.executable).parent / "quotebot"), "ingest", "--json", str(path)],
                    env=env_ingest,
                    cwd=REPO,
                    capture_output=True,
                    timeout=1800,
                )
                outcome["exit_code"] = proc.returncode
                out = proc.stdout.decode()
                outcome["report"] = json.loads(out[out.index("{") :]) if "{" in out else {"stderr": proc.stderr[-500:]}
                outcome["report"].pop("article_ids", None)
        finally:
            outcome["ingest_s"] = round(time.monotonic() - t0, 1)
            done.set()

    worker = threading.Thread(target=ingest, daemon=True)
    worker.start()
    # Keep the load on until the ingest has finished (at least --seconds).
    run = drive(
        port,
        workload,
        clients=args.clients,
        seconds=args.seconds,
        seed=3,
        stop=lambda: done.is_set() and time.monotonic() >= min_end,
    )
    worker.join(60)
    time.sleep(11)  # the speaker index of each worker is cached for 10 s
    after = get_json(port, "/health")["counts"]
    return {
        "via": args.ingest_via,
        "load": run.summary(),
        "ingest": outcome,
        "counts_before": before,
        "counts_after": after,
        "queryable": check_ingested(port, records),
    }


# ---- main --------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run the load benchmark and write benchmarks/results/load.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="kept index to copy (prefix quotebot)")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each timed run")
    parser.add_argument("--warmup", type=float, default=10.0, help="untimed load before each run")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients")
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 1], help="gunicorn worker counts to run")
    parser.add_argument("--torch-threads", type=int, default=1, help="QUOTEBOT_EMBEDDING__THREADS of each worker")
    parser.add_argument("--with-ingest", action="store_true", help="add a run with a concurrent ingest")
    parser.add_argument("--ingest-articles", type=int, default=60, help="dev articles to ingest (ids new-...)")
    parser.add_argument("--ingest-via", choices=["cli", "api"], default="cli", help="quotebot ingest or POST /articles")
    parser.add_argument("--out", type=Path, default=RESULTS / "load.json")
    args = parser.parse_args(argv)

    result: dict[str, Any] = {
        "benchmark": "load",
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "command": " ".join(["bench_load.py", *(argv if argv is not None else sys.argv[1:])]),
        "settings": {k: str(v) for k, v in vars(args).items()},
        "cpus": os.cpu_count(),
        "load_average_at_start": load_average(),
        "runs": {},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="qb-load-") as tmp:
        work = Path(tmp)
        chroma = ChromaServer(copy_index(args.index, work))
        chroma.start()
        try:
            env = app_env(chroma.url, torch_threads=args.torch_threads)
            workload: Workload | None = None
            for workers in args.workers:
                name = f"{workers} worker{'s' if workers > 1 else ''}"
                print(f"== {name}: starting gunicorn", flush=True)
                with serving(workers, env, RESULTS / f"load_gunicorn_{workers}w.log") as gun:
                    workload = workload or Workload.from_server(gun.port)
                    drive(gun.port, workload, clients=args.clients, seconds=args.warmup, seed=99)
                    load = load_average()
                    run = drive(gun.port, workload, clients=args.clients, seconds=args.seconds, seed=1)
                    result["runs"][name] = {
                        **run.summary(),
                        "load_average": load,
                        "gunicorn_log": gun.log_problems(),
                    }
                print(json.dumps(result["runs"][name], indent=1)[:400], flush=True)
            if "2 workers" in result["runs"] and "1 worker" in result["runs"]:
                one = result["runs"]["1 worker"]["throughput_rps"]
                result["throughput_ratio_2_over_1"] = round(result["runs"]["2 workers"]["throughput_rps"] / one, 2)
            if args.with_ingest:
                print("== 2 workers + ingest", flush=True)
                with serving(2, env, RESULTS / "load_gunicorn_ingest.log") as gun:
                    workload = workload or Workload.from_server(gun.port)
                    drive(gun.port, workload, clients=args.clients, seconds=args.warmup, seed=98)
                    result["with_ingest"] = run_with_ingest(gun.port, workload, env, args, work)
                    result["with_ingest"]["gunicorn_log"] = gun.log_problems()
        finally:
            chroma.stop()
    result["workload"] = {"speakers": len(workload.speakers), "quotes": len(workload.quotes)} if workload else {}
    result["load_average_at_end"] = load_average()
    write_json(args.out, result)
    rows = []
    for name, r in result["runs"].items():
        lat = r["latency_ms"]
        rows.append((name, f"{r['errors']} errors / {r['requests']}", f"{r['throughput_rps']} req/s"))
        rows.append(("  p50/p95/p99 ms", f"{lat['p50_ms']}/{lat['p95_ms']}/{lat['p99_ms']}", ""))
    if "throughput_ratio_2_over_1" in result:
        rows.append(("throughput 2 workers / 1 worker", str(result["throughput_ratio_2_over_1"]), ""))
    if "with_ingest" in result:
        wi = result["with_ingest"]
        rows.append(("with ingest: errors", f"{wi['load']['errors']} / {wi['load']['requests']}", ""))
        q = wi["queryable"]
        rows.append(
            ("with ingest: queryable", f"{q['get_200']} GET, {q['ask_with_citations']} cited / {q['articles']}", "")
        )
    print_table(rows, header=("run", "result", "throughput"))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
