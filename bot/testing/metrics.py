"""Tallies of a golden run -> citation recall/precision, speaker/verdict/intent accuracy, verbatim rate, a table."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

    from bot.testing.golden import CaseResult


@dataclass
class Tally:
    """Counts behind every metric; they add up over turns and cases."""

    expected_quotes: int = 0  # `cites` entries
    cited_quotes: int = 0  # ... that some citation contains
    scored_citations: int = 0  # citations of turns that say what they should cite (cites, speaker or none)
    supporting_citations: int = 0  # ... that contain an expected quote or carry the expected speaker
    speaker_expected: int = 0
    speaker_correct: int = 0
    verdict_expected: int = 0
    verdict_correct: int = 0
    intent_expected: int = 0
    intent_correct: int = 0
    citations: int = 0  # every citation and piece of verdict evidence
    verbatim_citations: int = 0  # ... that are article.text[start:end]

    def __iadd__(self, other: Tally) -> Tally:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self


# (metric name, numerator, denominator): the table and the JSON report list them in this order.
METRICS = (
    ("citation_recall", "cited_quotes", "expected_quotes"),
    ("citation_precision", "supporting_citations", "scored_citations"),
    ("speaker_accuracy", "speaker_correct", "speaker_expected"),
    ("verdict_accuracy", "verdict_correct", "verdict_expected"),
    ("intent_accuracy", "intent_correct", "intent_expected"),
    ("verbatim_rate", "verbatim_citations", "citations"),
)


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
    report["results"] = [r.to_dict() for r in results]
    return report


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
    return "\n".join(lines)
