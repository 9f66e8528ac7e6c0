"""Commands that write the index: ingest (here or queued), repair, and speaker corrections."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.cli.common import UsageError, cli_settings, open_services

if TYPE_CHECKING:
    from retrieval.ingest import IngestProgress


PROGRESS_SECONDS = 30.0  # off a terminal, one progress line this often: visible in logs, not flooding them


def ingest(args: argparse.Namespace) -> int:
    """`quotebot ingest`: load files and folders into the index here, or queue them as one job."""
    if args.queue:
        return ingest_queued(args)
    if args.wait:
        raise UsageError("--wait follows a queued job: add --queue")
    svc = open_services()
    with Progress(quiet=args.quiet) as show:
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


def ingest_queued(args: argparse.Namespace) -> int:
    """Load the files in this process (no model needed) and submit their articles as one job."""
    from bot.jobs import Jobs
    from retrieval.errors import LoadError
    from retrieval.loaders import iter_files, load_file
    from retrieval.models import Article

    settings = cli_settings()
    if not settings.jobs.redis_url:
        raise UsageError("--queue needs jobs.redis_url, e.g. QUOTEBOT_JOBS__REDIS_URL=redis://127.0.0.1:6379/2")
    failed: list[tuple[str, str]] = []
    articles: list[Article] = []
    for path in iter_files(args.paths, on_error=lambda exc: failed.append((exc.path, exc.reason))):
        try:
            articles += load_file(path, max_bytes=settings.ingest.max_file_bytes)
        except LoadError as exc:
            failed.append((exc.path, exc.reason))
    jobs = Jobs(settings.jobs, prefix=settings.store.prefix)
    job_id = jobs.submit(articles, failed)
    status = jobs.status(job_id)
    print(f"queued job {job_id}: {len(articles)} articles, {len(failed)} files failed", file=sys.stderr)
    while args.wait and status is not None and status["state"] not in ("finished", "failed"):
        time.sleep(1.0)
        status = jobs.status(job_id)
    print(json.dumps(status, indent=2))
    return 1 if status is None or status["counts"]["failed"] else 0


class Progress:
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


def repair(args: argparse.Namespace) -> int:
    """`quotebot repair`: finish interrupted writes and deletes, remove records no article owns."""
    svc = open_services()
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


def speakers(args: argparse.Namespace) -> int:
    """`quotebot speakers`: apply one identity correction and print the speakers it changed."""
    from retrieval.identity.corrections import Correction, split_id

    svc = open_services()
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
        if split_id(c) == args.speaker_id:
            print(f"quotebot: error: the split would keep id {args.speaker_id!r}; give --name NAME", file=sys.stderr)
            return 2
    elif args.action == "rename":
        c = Correction.new("rename", args.speaker_id, name=args.value)
    else:
        c = Correction.new("role", args.speaker_id, role=args.value)
    for sp in svc.store.correct(c):
        print(json.dumps(sp.to_dict(), ensure_ascii=False))
    return 0
