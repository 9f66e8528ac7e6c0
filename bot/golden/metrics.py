"""Tallies of a golden run -> citation recall/precision, speaker/verdict/intent accuracy, verbatim rate, a table."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from bot.golden.results import CaseResult, Tally

# (metric name, numerator, denominator): the table and the JSON report list them in this order.
METRICS = (
    ("citation_recall", "cited_quotes", "expected_quotes"),
    ("citation_precision", "supporting_citations", "scored_citations"),
    ("speaker_accuracy", "speaker_correct", "speaker_expected"),
    ("relevant_first_cite", "first_cite_correct", "first_cite_expected"),
    ("verdict_accuracy", "verdict_correct", "verdict_expected"),
    ("intent_accuracy", "intent_correct", "intent_expected"),
    ("verbatim_rate", "verbatim_citations", "citations"),
)


# What the per-kind table shows: right speaker, relevant first citation, right verdict.
KIND_METRICS = tuple(m for m in METRICS if m[0] in ("speaker_accuracy", "relevant_first_cite", "verdict_accuracy"))


def summarize(results: Iterable[CaseResult]) -> dict[str, Any]:
    """Return the JSON report of a run: the metrics (None when nothing was measured), counts and every case."""
    results = list(results)
    total = Tally()
    for r in results:
        total += r.tally()
    report: dict[str, Any] = {
        "cases": len(results),
        "passed": sum(r.passed for r in results),
        "failed": sum(not r.passed for r in results),
        "turns": sum(len(r.turns) for r in results),
    }
    for name, num, den in METRICS:
        d = getattr(total, den)
        report[name] = round(getattr(total, num) / d, 4) if d else None
    report["counts"] = asdict(total)
    if any(r.kind for r in results):
        report["kinds"] = by_kind(results)
    report["results"] = [r.to_dict() for r in results]
    return report


def by_kind(results: Iterable[CaseResult]) -> dict[str, dict[str, Any]]:
    """Return, per case `kind` (sorted; unlabelled cases under "-"), its cases, passes and the kind metrics."""
    groups: dict[str, list[CaseResult]] = {}
    for r in results:
        groups.setdefault(r.kind or "-", []).append(r)
    kinds: dict[str, dict[str, Any]] = {}
    for kind in sorted(groups):
        total = Tally()
        for r in groups[kind]:
            total += r.tally()
        row: dict[str, Any] = {"cases": len(groups[kind]), "passed": sum(r.passed for r in groups[kind])}
        for name, num, den in KIND_METRICS:
            d = getattr(total, den)
            row[name] = {
                "score": round(getattr(total, num) / d, 4) if d else None,
                "right": getattr(total, num),
                "of": d,
            }
        kinds[kind] = row
    return kinds


def format_kinds(kinds: dict[str, dict[str, Any]]) -> str:
    """Return the per-kind table: cases, passed, then each kind metric as score and count ("-": not stated)."""
    heads = ("right speaker", "relevant first cite", "right verdict")
    lines = [f"{'kind':<22} {'cases':>5} {'passed':>6}  " + "  ".join(f"{h:<19}" for h in heads).rstrip()]
    for kind, row in kinds.items():
        cells = []
        for name, _, _ in KIND_METRICS:
            m = row[name]
            cells.append("-" if m["score"] is None else f"{m['score']:.3f} {m['right']}/{m['of']}")
        lines.append(
            f"{kind:<22} {row['cases']:>5} {row['passed']:>6}  " + "  ".join(f"{c:<19}" for c in cells).rstrip()
        )
    return "\n".join(lines)


def format_table(report: dict[str, Any]) -> str:
    """Return the metrics of a `summarize` report as a fixed-width table."""
    counts = report["counts"]
    lines = [
        f"quotebot golden: {report['cases']} cases, {report['passed']} passed, {report['failed']} failed "
        f"({report['turns']} turns)",
        f"{'metric':<20} {'score':>6}  count",
    ]
    for name, num, den in METRICS:
        value = report[name]
        score = "-" if value is None else f"{value:.3f}"
        lines.append(f"{name.replace('_', ' '):<20} {score:>6}  {counts[num]}/{counts[den]}")
    if report.get("kinds"):
        lines.extend(("", format_kinds(report["kinds"])))
    return "\n".join(lines)
