"""The `quotebot` command: ingest, ask, extract, serve."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from retrieval.errors import QuotebotError

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
    p.set_defaults(run=_ingest)

    p = sub.add_parser("ask", help="ask a question and print the cited answer", epilog=EPILOG)
    p.add_argument("question", help='e.g. "what did Kirby say?"')
    p.add_argument("--top-k", type=int, default=None, help="passages to cite (default: ask.top_k)")
    p.add_argument("--json", action="store_true", help="print the answer as the /ask JSON")
    p.set_defaults(run=_ask)

    p = sub.add_parser(
        "extract",
        help="write statement predictions for a JSONL of articles (no index needed)",
        description=(
            "Read {doc_id, text} lines, write predictions in the eval format: one record per content fragment "
            '(\'"A," she said, "B."\' is one statement, two records), speaker = the mention as written, '
            "speaker_canonical = the resolved name."
        ),
    )
    p.add_argument("input", type=Path, metavar="IN.jsonl")
    p.add_argument("--out", type=Path, required=True, metavar="PRED.jsonl")
    p.set_defaults(run=_extract)

    p = sub.add_parser(
        "eval", help="score a golden file of questions: citation recall/precision, speakers, verdicts", epilog=EPILOG
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
    return parser


def _services() -> Any:
    from bot.services import build_services
    from bot.settings import load_settings

    return build_services(load_settings())


def _ingest(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from retrieval.loaders import iter_files

    svc = _services()
    try:
        total = len(iter_files(args.paths))
    except QuotebotError:
        total = 0  # the ingest reports the missing path by name
    # A bar only for more than a few files, and only on a terminal.
    with tqdm(total=total, unit="file", disable=total <= 3 or not sys.stderr.isatty(), file=sys.stderr) as bar:
        report = svc.ingestor.ingest_paths(args.paths, progress=bar.update)
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


def _ask(args: argparse.Namespace) -> int:
    from bot.chat import AskParams

    svc = _services()
    top_k = args.top_k or svc.settings["ask"]["top_k"]
    if not 1 <= top_k <= svc.settings["ask"]["max_top_k"]:
        print(f"quotebot: error: --top-k must be between 1 and {svc.settings['ask']['max_top_k']}", file=sys.stderr)
        return 2
    answer = svc.chat.ask(AskParams(args.question, top_k))
    if args.json:
        print(json.dumps(answer.to_dict(), indent=2, ensure_ascii=False))
        return 0
    print(answer.text)
    if answer.citations:
        print()
    for c in answer.citations:
        meta = ", ".join(x for x in (c.title, c.source, c.published) if x)
        print(f"[{c.n}] {meta} (article {c.article_id}, chars {c.start}-{c.end})")
    return 0


def _verify(args: argparse.Namespace) -> int:
    if bool(args.quote) == bool(args.jsonl):
        print("quotebot: error: give either a QUOTE or --jsonl CLAIMS.jsonl", file=sys.stderr)
        return 2
    svc = _services()
    if args.jsonl:
        bad = 0
        with args.jsonl.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    claim = json.loads(line)
                    quote, speaker = str(claim["quote"]), claim.get("speaker")
                except (json.JSONDecodeError, KeyError, TypeError) as exc:
                    print(json.dumps({"line": lineno, "error": f'expected {{"quote", "speaker"?}}: {exc}'}))
                    bad += 1
                    continue
                print(json.dumps(svc.verifier.verify_claim(quote, speaker).to_dict(), ensure_ascii=False))
        return 1 if bad else 0
    verdict = svc.verifier.verify_claim(args.quote, args.speaker)
    if args.json:
        print(json.dumps(verdict.to_dict(), indent=2, ensure_ascii=False))
        return 0
    print(
        f"{verdict.label.upper().replace('_', ' ')}: {verdict.claim!r}"
        + (f" (claimed speaker: {verdict.claimed_speaker})" if verdict.claimed_speaker else "")
    )
    if verdict.actual_speaker and verdict.label == "misattributed":
        print(f"  the sources attribute it to {verdict.actual_speaker}")
    for note in verdict.notes:
        print(f"  note: {note}")
    changed = [d for d in verdict.diff if d.op != "equal"]
    for d in changed:
        print(f"  {d.op}: source {d.source!r} -> claim {d.claim!r}")
    for c in verdict.evidence:
        print(
            f"  [{c.n}] {c.speaker or '?'}: {c.text!r} ({c.title}, {c.published}; article {c.article_id} "
            f"chars {c.start}-{c.end})"
        )
    return 0


def _extract(args: argparse.Namespace) -> int:
    from retrieval.quotes.evaluate import predict_file

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
    from bot import create_app

    app = create_app()
    server = app.extensions["quotebot"].settings["server"]
    app.run(host=args.host or server["host"], port=args.port or server["port"], threaded=True)
    return 0


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
