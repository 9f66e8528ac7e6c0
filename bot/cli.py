"""The `quotebot` command: ingest, ask, verify, extract, eval, serve, worker, repair."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from retrieval.errors import QuotebotError

if TYPE_CHECKING:
    from pydantic import BaseModel

    from bot.services import Services
    from bot.settings import Settings
    from retrieval.ingest import IngestProgress

    M = TypeVar("M", bound=BaseModel)

EPILOG = "Settings come from config/default.toml, QUOTEBOT_CONFIG=FILE and QUOTEBOT_<SECTION>__<KEY> variables."


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
        return code
    except QuotebotError as exc:
        print(f"quotebot: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="quotebot", description="Find, attribute and verify quotes in news articles.", epilog=EPILOG
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "ingest",
        help="load articles into the index",
        epilog=EPILOG,
        description="Load .txt/.md/.html/.json/.jsonl files and folders into the index. "
        "Unchanged articles are skipped; a bad file is reported and the rest still land.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders to ingest")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument(
        "--quiet",
        action="store_true",
        help="no progress on stderr (by default: a bar counting articles on a terminal, "
        f"else a line every {PROGRESS_SECONDS:g} s)",
    )
    p.add_argument(
        "--queue",
        action="store_true",
        help="read the files here, then queue them as one job for `quotebot worker` processes (needs jobs.redis_url) "
        "and print it; with --wait, follow it to the end",
    )
    p.add_argument("--wait", action="store_true", help="with --queue: wait until the job has ended")
    p.set_defaults(run=_ingest)

    p = sub.add_parser("ask", help="ask a question and print the cited answer", epilog=EPILOG)
    p.add_argument("question", help='e.g. "what did Kirby say?"')
    p.add_argument("--top-k", type=int, default=None, help="passages to cite (default: ask.top_k)")
    p.add_argument("--json", action="store_true", help="print the answer as the /ask JSON")
    _server_option(p)
    p.set_defaults(run=_ask)

    p = sub.add_parser(
        "verify",
        help="check a claimed quote: verified, altered, misattributed, reported or not found",
        epilog=EPILOG,
        description="Check a claimed quote against the index, as POST /verify does: print the verdict, the word "
        "diff and the evidence citations (--json: the /verify JSON). --jsonl checks one claim per line.",
    )
    p.add_argument("quote", nargs="?", help='the claimed words, e.g. "deserves to be sentenced"')
    p.add_argument("--speaker", help="who supposedly said them")
    p.add_argument("--json", action="store_true", help="print the verdict as the /verify JSON")
    p.add_argument(
        "--jsonl",
        type=Path,
        metavar="CLAIMS.jsonl",
        help='check one {"quote", "speaker"?} object per line; print one JSON verdict (or error) per line',
    )
    _server_option(p)
    p.set_defaults(run=_verify)

    p = sub.add_parser(
        "extract",
        help="write statement predictions for a JSONL of articles (no index needed)",
        description=(
            "Read {doc_id, text} lines ('id' is taken for 'doc_id', as ingest does), write predictions in the "
            "eval format: one record per content fragment "
            '(\'"A," she said, "B."\' is one statement, two records), speaker = the mention as written, '
            "speaker_canonical = the resolved name."
        ),
    )
    p.add_argument("input", type=Path, metavar="IN.jsonl")
    p.add_argument("--out", type=Path, required=True, metavar="PRED.jsonl")
    p.set_defaults(run=_extract)

    p = sub.add_parser(
        "eval",
        help="score a golden file of questions: citation recall/precision, speakers, verdicts (also per kind)",
        epilog=EPILOG,
    )
    p.add_argument("golden", type=Path, metavar="GOLDEN.yaml")
    p.add_argument(
        "--corpus",
        type=Path,
        action="append",
        metavar="PATH",
        help="build a temporary index from these files (repeatable); default: the golden file's corpus",
    )
    p.add_argument("--url", help="evaluate a live server instead of an in-process app")
    p.add_argument("--json", type=Path, metavar="REPORT.json", help="also write the metrics as JSON")
    p.set_defaults(run=_eval)

    p = sub.add_parser(
        "speakers",
        help="correct speaker identity: merge, split, rename, add-role",
        description="Editorial corrections, stored in the index and applied to every later ingest too.",
        epilog=EPILOG,
    )
    p.add_argument("action", choices=("merge", "split", "rename", "add-role"), help="what to correct")
    p.add_argument("speaker_id", help="the entity to correct (merge: the one folded in)")
    p.add_argument("value", help="merge: target id; split: the alias to split off; rename: new name; add-role: role")
    p.add_argument("--name", default="", help="split: the other person's name (default: the alias)")
    p.set_defaults(run=_speakers)

    p = sub.add_parser("serve", help="serve the HTTP API and the demo page (development server)", epilog=EPILOG)
    p.add_argument("--host", default=None, help="bind address (default: server.host)")
    p.add_argument("--port", type=int, default=None, help="port (default: server.port)")
    p.set_defaults(run=_serve)

    p = sub.add_parser(
        "worker",
        help="consume queued ingest jobs (needs jobs.redis_url); start as many as you like, on any machine",
        epilog=EPILOG,
        description="Take parts of ingest jobs from the Redis queue at jobs.redis_url and write them to the index "
        "(a Chroma server at store.url when several workers run). A worker killed mid-part loses nothing: another "
        "worker retries that part. SIGTERM finishes the current part, then stops.",
    )
    p.add_argument("--burst", action="store_true", help="stop when the queue is empty instead of waiting for more")
    p.set_defaults(run=_worker)

    p = sub.add_parser(
        "repair",
        help="finish interrupted writes and deletes, and remove records no article owns",
        epilog=EPILOG,
        description="Check the index after a crash: articles left half-written are rewritten from their stored text, "
        "half-deleted ones are deleted, and chunks or statements of articles that have no record are removed. "
        "Exits 0 when the index was already clean, 1 when something was (or, with --check, would be) repaired.",
    )
    p.add_argument("--check", action="store_true", help="only report what a repair would do; change nothing")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(run=_repair)
    return parser


def _server_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--server",
        metavar="URL",
        default=None,
        help="send it to a running quotebot server (default: client.url; with none, the index is opened here). "
        "The key, if the server wants one, comes from $QUOTEBOT_API_KEY",
    )


class UsageError(QuotebotError):
    """The command line asks for something invalid; the message says what to fix."""


PROGRESS_SECONDS = 30.0  # off a terminal, one progress line this often: visible in logs, not flooding them


def _settings() -> Settings:
    from bot.settings import load_settings

    return load_settings()


def _services(settings: Settings | None = None, *, lazy_model: bool = False) -> Services:
    from bot.services import build_services

    settings = settings or _settings()
    if not lazy_model:
        return build_services(settings)
    from bot.services import LazyEmbedder, build_embedder

    # A question may need no vector at all ("what did Kirby say?" reads statements by speaker): load on first use.
    lazy = LazyEmbedder(lambda: build_embedder(settings), settings.embedding.model)
    return build_services(settings, embedder=lazy)


def _server(args: argparse.Namespace, settings: Settings) -> Any:
    """Return a client of the server named by --server or client.url, or None to answer in this process."""
    url = args.server if args.server is not None else settings.client.url
    if not url:
        return None
    from bot.client import Quotebot

    try:
        return Quotebot(url)
    except ValueError as exc:
        raise UsageError(f"--server / client.url: {exc}") from None


def _raw(client: Any, call: Any) -> dict[str, Any]:
    """Send a client call and return the JSON exactly as the server sent it."""
    from dataclasses import replace

    body: dict[str, Any] = client.send(replace(call, model=None))
    return body


def _validated(model: type[M], data: Mapping[str, Any], check: Callable[[M], Any]) -> tuple[M, Any]:
    """Validate input as the API validates a request body (same rules, same messages); return it and check()."""
    from pydantic import ValidationError

    from bot.errors import InvalidRequest, validation_detail

    try:
        body = model.model_validate(data)
        return body, check(body)
    except ValidationError as exc:
        raise UsageError(validation_detail(exc)[0]) from None
    except InvalidRequest as exc:
        raise UsageError(exc.detail) from None


def _require_articles(svc: Services) -> None:
    """Refuse to answer from an empty index, saying how to fill it."""
    if svc.store.counts().articles == 0:
        st = svc.settings.store
        where = st.url or st.path
        raise UsageError(f"the index at {where} is empty; add articles first, e.g. `quotebot ingest seeds/`")


def _ingest(args: argparse.Namespace) -> int:
    if args.queue:
        return _ingest_queued(args)
    if args.wait:
        raise UsageError("--wait follows a queued job: add --queue")
    svc = _services()
    with _Progress(quiet=args.quiet) as show:
        report = svc.ingestor.ingest_paths(args.paths, progress=show)
    counts = svc.store.counts().to_dict()
    if args.json:
        print(json.dumps({**report.to_dict(), "counts": counts}, indent=2))
    else:
        print(
            f"added {report.articles} articles ({report.chunks} chunks, {report.statements} statements); "
            f"{report.unchanged} unchanged; {len(report.failed)} failed"
        )
        for name, reason in report.failed:
            print(f"  failed: {name}: {reason}")
        print("index: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 1 if report.failed else 0


def _ingest_queued(args: argparse.Namespace) -> int:
    """Load the files in this process (no model needed) and submit their articles as one job."""
    from bot.jobs import JobOptions, Jobs
    from retrieval.errors import LoadError
    from retrieval.loaders import iter_files, load_file
    from retrieval.models import Article

    settings = _settings()
    if not settings.jobs.redis_url:
        raise UsageError("--queue needs jobs.redis_url, e.g. QUOTEBOT_JOBS__REDIS_URL=redis://127.0.0.1:6379/2")
    failed: list[tuple[str, str]] = []
    articles: list[Article] = []
    for path in iter_files(args.paths, on_error=lambda exc: failed.append((exc.path, exc.reason))):
        try:
            articles += load_file(path, max_bytes=settings.ingest.max_file_bytes)
        except LoadError as exc:
            failed.append((exc.path, exc.reason))
    jobs = Jobs(JobOptions.from_settings(settings), prefix=settings.store.prefix)
    job_id = jobs.submit(articles, failed)
    status = jobs.status(job_id)
    print(f"queued job {job_id}: {len(articles)} articles, {len(failed)} files failed", file=sys.stderr)
    while args.wait and status is not None and status["state"] not in ("finished", "failed"):
        time.sleep(1.0)
        status = jobs.status(job_id)
    print(json.dumps(status, indent=2))
    return 1 if status is None or status["counts"]["failed"] else 0


class _Progress:
    """Show ingest progress on stderr per article: a tqdm bar on a terminal, else a line every PROGRESS_SECONDS."""

    def __init__(self, *, quiet: bool) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.bar: Any = None
        self.last = time.monotonic()

    def __enter__(self) -> Callable[[IngestProgress], None]:
        if not self.quiet and self.tty:
            from tqdm import tqdm

            self.bar = tqdm(total=None, unit="article", file=sys.stderr, dynamic_ncols=True)
        return self.show

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()

    def show(self, p: IngestProgress) -> None:
        """Report one step of the ingest."""
        if self.quiet:
            return
        # Until every file is loaded the article total is an estimate from the files loaded so far.
        total = p.articles_found
        if p.files_done < p.files_total and p.files_done:
            total = max(total, round(p.articles_found / p.files_done * p.files_total))
        if self.bar is not None:
            self.bar.total = total
            self.bar.n = p.articles_done
            self.bar.set_postfix_str(f"file {p.files_done}/{p.files_total}", refresh=False)
            self.bar.refresh()
        elif time.monotonic() - self.last >= PROGRESS_SECONDS:
            self.last = time.monotonic()
            print(
                f"quotebot: ingested {p.articles_done} of {'~' if total != p.articles_found else ''}{total} "
                f"articles ({p.files_done}/{p.files_total} files read)",
                file=sys.stderr,
                flush=True,
            )


def _ask(args: argparse.Namespace) -> int:
    from bot.schemas import AskRequest
    from bot.validation import check_ask

    settings = _settings()
    data = {"question": args.question} | ({} if args.top_k is None else {"top_k": args.top_k})
    body, top_k = _validated(AskRequest, data, lambda b: check_ask(b, settings.ask))
    client = _server(args, settings)
    if client is not None:
        with client:
            answer = _raw(client, client.ask_call(body.question, None, None, args.top_k))
    else:
        from bot.chat import AskParams

        svc = _services(settings, lazy_model=True)
        _require_articles(svc)
        answer = svc.chat.ask(AskParams(body.question, top_k)).to_dict()
    if args.json:
        print(json.dumps(answer, indent=2, ensure_ascii=False))
        return 0
    print(answer["answer"])
    if answer["citations"]:
        print()
    for c in answer["citations"]:
        meta = ", ".join(x for x in (c["title"], c["source"], c["published"]) if x)
        print(f"[{c['n']}] {meta} (article {c['article_id']}, chars {c['start']}-{c['end']})")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from bot.schemas import VerifyRequest
    from bot.validation import check_verify

    if (args.quote is None) == (args.jsonl is None):
        raise UsageError("give either a QUOTE or --jsonl CLAIMS.jsonl")
    if args.jsonl and args.speaker:
        raise UsageError("--speaker goes with a QUOTE; with --jsonl each line carries its own speaker")
    settings = _settings()

    def check(body: VerifyRequest) -> None:
        check_verify(body, settings.verify)

    client = _server(args, settings)
    svc = None

    def verdict_of(body: VerifyRequest) -> dict[str, Any]:
        nonlocal svc
        if client is not None:
            return _raw(client, client.verify_call(body.quote, body.speaker))
        if svc is None:
            svc = _services(settings, lazy_model=True)
            _require_articles(svc)
        found: dict[str, Any] = svc.verifier.verify_claim(body.quote, body.speaker).to_dict()
        return found

    if args.jsonl:
        try:
            lines = args.jsonl.read_text(encoding="utf-8").split("\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read {args.jsonl}: {getattr(exc, 'strerror', None) or exc}") from None
        if client is None:
            svc = _services(settings, lazy_model=True)
            _require_articles(svc)
        bad = 0
        for lineno, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                claim = json.loads(line)
                if not isinstance(claim, dict):
                    raise UsageError('expected a {"quote", "speaker"?} object')
                body, _ = _validated(VerifyRequest, claim, check)
            except (ValueError, RecursionError, UsageError) as exc:
                print(json.dumps({"line": lineno, "error": str(exc) if isinstance(exc, UsageError) else "not JSON"}))
                bad += 1
                continue
            print(json.dumps(verdict_of(body), ensure_ascii=False))
        return 1 if bad else 0
    data = {"quote": args.quote} | ({} if args.speaker is None else {"speaker": args.speaker})
    body, _ = _validated(VerifyRequest, data, check)
    verdict = verdict_of(body)
    if args.json:
        print(json.dumps(verdict, indent=2, ensure_ascii=False))
        return 0
    label, claimed = verdict["label"], verdict.get("claimed_speaker")
    print(
        f"{label.upper().replace('_', ' ')}: {verdict['claim']!r}"
        + (f" (claimed speaker: {claimed})" if claimed else "")
    )
    if verdict.get("actual_speaker") and label == "misattributed":
        print(f"  the sources attribute it to {verdict['actual_speaker']}")
    for note in verdict.get("notes", []):
        print(f"  note: {note}")
    for d in verdict.get("diff", []):
        if d["op"] != "equal":
            print(f"  {d['op']}: source {d['source']!r} -> claim {d['claim']!r}")
    for c in verdict.get("evidence", []):
        print(
            f"  [{c['n']}] {c['speaker'] or '?'}: {c['text']!r} ({c['title']}, {c['published']}; article "
            f"{c['article_id']} chars {c['start']}-{c['end']})"
        )
    return 0


def _extract(args: argparse.Namespace) -> int:
    from retrieval.quotes.evaluate import predict_file

    if not args.out.parent.is_dir():
        raise UsageError(f"--out {args.out}: the folder {args.out.parent} does not exist")
    n = predict_file(args.input, args.out)
    print(f"wrote predictions for {n} articles to {args.out}", file=sys.stderr)
    return 0


def _eval(args: argparse.Namespace) -> int:
    from bot.testing.runner import run_eval

    table, report = run_eval(args.golden, args.corpus, args.url)
    print(table)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    failed = report.get("failed", 0) if isinstance(report, dict) else 0
    return 1 if failed else 0


def _serve(args: argparse.Namespace) -> int:
    from bot import create_app, logs

    logs.configure()  # before the app exists, so its access lines (JSON, stdout) are set up like gunicorn's
    app = create_app()
    server = app.extensions["quotebot"].settings.server
    host, port = args.host or server.host, args.port or server.port
    # The development server's own banner is silenced with its access lines: say where we listen.
    print(f"quotebot: serving on http://{host}:{port} (development server; Ctrl+C stops)", file=sys.stderr)
    # werkzeug directly: app.run() would print Flask's banner on stdout, which carries only JSON access lines.
    from werkzeug.serving import run_simple

    run_simple(host, port, app, threaded=True)
    return 0


def _worker(args: argparse.Namespace) -> int:
    settings = _settings()
    if not settings.jobs.redis_url:
        raise UsageError(
            "set jobs.redis_url to the queue's Redis, e.g. QUOTEBOT_JOBS__REDIS_URL=redis://127.0.0.1:6379/2"
        )
    from bot.jobs import run_worker

    run_worker(settings, burst=args.burst)
    return 0


def _repair(args: argparse.Namespace) -> int:
    svc = _services()
    report = svc.ingestor.repair(dry_run=args.check)
    if args.json:
        print(json.dumps({**report.to_dict(), "counts": svc.store.counts().to_dict()}, indent=2))
    else:
        verb = "would" if args.check else "did"
        print(
            f"{'check' if args.check else 'repair'}: {verb} rewrite {len(report.rewritten)} unfinished articles, "
            f"{verb} finish {len(report.deleted)} deletes, {verb} remove the records of "
            f"{len(report.orphan_articles)} articles that have no record"
            + (f" ({report.orphan_records} records)" if report.orphan_records else "")
        )
        for kind, ids in (("rewritten", report.rewritten), ("deleted", report.deleted)):
            for article_id in ids:
                print(f"  {kind}: {article_id}")
        for article_id in report.orphan_articles:
            print(f"  orphans of: {article_id}")
    return 0 if report.clean else 1


def _speakers(args: argparse.Namespace) -> int:
    from retrieval.identity.corrections import Correction

    svc = _services()
    for sid in (args.speaker_id, *((args.value,) if args.action == "merge" else ())):
        if svc.store.get_speaker(sid) is None:
            print(
                f"quotebot: error: no speaker with id {sid!r}; see `quotebot ask` or GET /speakers?q=", file=sys.stderr
            )
            return 2
    if args.action == "merge":
        c = Correction.new("merge", args.speaker_id, target=args.value)
    elif args.action == "split":
        c = Correction.new("split", args.speaker_id, alias=args.value, name=args.name)
    elif args.action == "rename":
        c = Correction.new("rename", args.speaker_id, name=args.value)
    else:
        c = Correction.new("role", args.speaker_id, role=args.value)
    for sp in svc.store.correct(c):
        print(json.dumps(sp.to_dict(), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
