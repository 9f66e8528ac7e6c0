"""List the canonical speakers that changed between two prediction files of the same articles, to read by hand.

A rule about names moves speakers corpus-wide, and a score barely shows it (score.py's mention rule does not read
`speaker_canonical`). Predict the same articles before and after the change, then:

    python benchmarks/speaker_names_diff.py BEFORE.pred.jsonl AFTER.pred.jsonl --gold ../shared/eval/polnear_train.jsonl

It prints one row per (before -> after, article) with how many statements moved and the gold speaker of the first,
so each change can be judged right or wrong. Of a train file, the held-out slice (`evaluate.heldout_ids`) is skipped
unless --include-heldout: reading it while writing rules would make its figure no longer independent.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from retrieval.quotes.evaluate import heldout_ids


def read(path: Path) -> dict[str, dict[tuple[int, int], str]]:
    """Return doc_id -> (quote_start, quote_end) -> canonical speaker of one prediction file."""
    out: dict[str, dict[tuple[int, int], str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            doc = json.loads(line)
            out[doc["doc_id"]] = {
                (q["quote_start"], q["quote_end"]): q.get("speaker_canonical") or "" for q in doc["quotes"]
            }
    return out


def gold_speakers(path: Path) -> tuple[dict[str, list[tuple[int, int, str]]], set[str]]:
    """Return doc_id -> the gold statements' (start, end, speaker), and the ids of the file's train articles."""
    out: dict[str, list[tuple[int, int, str]]] = {}
    train: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            doc = json.loads(line)
            out[doc["doc_id"]] = [(q["quote_start"], q["quote_end"], q.get("speaker") or "") for q in doc["quotes"]]
            if doc.get("split") == "train":
                train.add(doc["doc_id"])
    return out, train


def gold_of(golds: list[tuple[int, int, str]], start: int, end: int) -> str:
    """Return the speaker of the gold statement overlapping a span most, or "" when none does."""
    best, speaker = 0, ""
    for s, e, who in golds:
        if (overlap := min(e, end) - max(s, start)) > best:
            best, speaker = overlap, who
    return speaker


def main(argv: list[str] | None = None) -> int:
    """Print the changed speakers; return a process exit code."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("before", type=Path, help="predictions before the change (evaluate.predict_file output)")
    ap.add_argument("after", type=Path, help="predictions after the change, of the same articles")
    ap.add_argument("--gold", type=Path, required=True, help="the gold file the articles came from (shows who spoke)")
    ap.add_argument("--include-heldout", action="store_true", help="also list the held-out train slice")
    args = ap.parse_args(argv)
    before, after = read(args.before), read(args.after)
    golds, train = gold_speakers(args.gold)
    skip = set() if args.include_heldout else heldout_ids(sorted(train))
    moved: Counter[tuple[str, str, str]] = Counter()
    example: dict[tuple[str, str, str], str] = {}
    gone = came = 0  # statements whose span is in one file only: a speaker change cannot be read off them
    for doc_id, spans in sorted(before.items()):
        if doc_id in skip:
            continue
        gone += len(spans.keys() - after.get(doc_id, {}).keys())
        came += len(after.get(doc_id, {}).keys() - spans.keys())
        for span, old in spans.items():
            new = after.get(doc_id, {}).get(span)
            if new is not None and new != old:
                key = (old, new, doc_id)
                moved[key] += 1
                example.setdefault(key, gold_of(golds.get(doc_id, []), *span))
    for (old, new, doc_id), n in sorted(moved.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"{n:3d}  {old!r} -> {new!r}  {doc_id[:40]}  (gold: {example[(old, new, doc_id)]})")
    print(f"{sum(moved.values())} statements in {len({k[2] for k in moved})} articles changed speaker", end="")
    print(f" ({len(skip)} held-out articles skipped)" if skip else "")
    print(f"{gone} statements only before and {came} only after (their spans changed; not compared)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
