"""The `quotebot` command: its parser and entry point; the commands live in index, query, evaluate and serve."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.cli import evaluate, index, query, serve
from bot.cli.common import EPILOG
from retrieval.errors import QuotebotError


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
        f"else a line every {index.PROGRESS_SECONDS:g} s)",
    )
    p.add_argument(
        "--queue",
        action="store_true",
        help="read the files here, then queue them as one job for `quotebot worker` processes (needs jobs.redis_url) "
        "and print it; with --wait, follow it to the end",
    )
    p.add_argument("--wait", action="store_true", help="with --queue: wait until the job has ended")
    p.set_defaults(run=index.ingest)

    p = sub.add_parser("ask", help="ask a question and print the cited answer", epilog=EPILOG)
    p.add_argument("question", help='e.g. "what did Kirby say?"')
    p.add_argument("--top-k", type=int, default=None, help="passages to cite (default: ask.top_k)")
    p.add_argument("--json", action="store_true", help="print the answer as the /ask JSON")
    _server_option(p)
    p.set_defaults(run=query.ask)

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
    p.set_defaults(run=query.verify)

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
    p.set_defaults(run=evaluate.extract)

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
    p.set_defaults(run=evaluate.evaluate)

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
    p.set_defaults(run=index.speakers)

    p = sub.add_parser("serve", help="serve the HTTP API and the demo page (development server)", epilog=EPILOG)
    p.add_argument("--host", default=None, help="bind address (default: server.host)")
    p.add_argument("--port", type=int, default=None, help="port (default: server.port)")
    p.set_defaults(run=serve.serve)

    p = sub.add_parser(
        "worker",
        help="consume queued ingest jobs (needs jobs.redis_url); start as many as you like, on any machine",
        epilog=EPILOG,
        description="Take parts of ingest jobs from the Redis queue at jobs.redis_url and write them to the index "
        "(a Chroma server at store.url when several workers run). A worker killed mid-part loses nothing: another "
        "worker retries that part. SIGTERM finishes the current part, then stops.",
    )
    p.add_argument("--burst", action="store_true", help="stop when the queue is empty instead of waiting for more")
    p.set_defaults(run=serve.worker)

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
    p.set_defaults(run=index.repair)
    return parser


def _server_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--server",
        metavar="URL",
        default=None,
        help="send it to a running quotebot server (default: client.url; with none, the index is opened here). "
        "The key, if the server wants one, comes from $QUOTEBOT_API_KEY",
    )
