"""Commands that score the pipeline: extract statement predictions, evaluate a golden file."""

from __future__ import annotations

import argparse
import json
import sys

from bot.cli.common import UsageError


def extract(args: argparse.Namespace) -> int:
    """`quotebot extract`: write statement predictions for a JSONL of articles."""
    from retrieval.quotes.evaluate import predict_file

    if not args.out.parent.is_dir():
        raise UsageError(f"--out {args.out}: the folder {args.out.parent} does not exist")
    n = predict_file(args.input, args.out)
    print(f"wrote predictions for {n} articles to {args.out}", file=sys.stderr)
    return 0


def evaluate(args: argparse.Namespace) -> int:
    """`quotebot eval`: score a golden file and print the table; exit 1 when a case failed."""
    from bot.golden.runner import run_eval

    table, report = run_eval(args.golden, args.corpus, args.url)
    print(table)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    failed = report.get("failed", 0) if isinstance(report, dict) else 0
    return 1 if failed else 0
