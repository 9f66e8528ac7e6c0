"""Results of a golden run: what each question got, which expectations failed, and the counts behind the metrics."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any


@dataclass
class Tally:
    """Counts behind every metric; they add up over turns and cases."""

    expected_quotes: int = 0  # `cites` entries
    cited_quotes: int = 0  # ... that some citation contains
    scored_citations: int = 0  # citations of turns that say what they should cite (cites, speaker or none)
    supporting_citations: int = 0  # ... that contain an expected quote or carry the expected speaker
    speaker_expected: int = 0
    speaker_correct: int = 0
    first_cite_expected: int = 0  # turns with `first_cites`
    first_cite_correct: int = 0  # ... whose first citation contains one of them
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


@dataclass
class TurnResult:
    """What one question got and which expectations failed."""

    question: str
    answer: dict[str, Any] | None
    failures: list[str] = field(default_factory=list)
    counts: Tally = field(default_factory=Tally)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready summary (the answer without its full citations)."""
        a = self.answer or {}
        return {
            "question": self.question,
            "intent": a.get("intent"),
            "speaker": a.get("speaker"),
            "answer": a.get("answer"),
            "citations": [
                {k: c.get(k) for k in ("n", "article_id", "start", "end", "speaker", "text")}
                for c in a.get("citations") or []
            ],
            "verdicts": [v.get("label") for v in a.get("verdicts") or []],
            "failures": self.failures,
        }


@dataclass
class CaseResult:
    """The outcome of one golden case."""

    case_id: str
    file: str
    line: int
    kind: str | None = None  # the case's `kind`, for the per-kind table
    turns: list[TurnResult] = field(default_factory=list)
    error: str | None = None  # the service failed (HTTP error, unreachable): the remaining turns did not run

    @property
    def passed(self) -> bool:
        """Return whether every turn met its expectations."""
        return self.error is None and not any(t.failures for t in self.turns)

    def tally(self) -> Tally:
        """Return the counts of all turns."""
        total = Tally()
        for t in self.turns:
            total += t.counts
        return total

    def failure_lines(self) -> list[str]:
        """Return the failures, by turn for conversations."""
        many = len(self.turns) > 1
        lines: list[str] = []
        for i, t in enumerate(self.turns, start=1):
            if not t.failures:
                continue
            if many:
                lines.append(f"turn {i}: {t.question!r}")
            lines.extend(("  " if many else "") + f for f in t.failures)
        if self.error:
            lines.append(f"error: {self.error}")
        return lines

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready summary."""
        return {
            "id": self.case_id,
            "kind": self.kind,
            "file": self.file,
            "line": self.line,
            "passed": self.passed,
            "error": self.error,
            "turns": [t.to_dict() for t in self.turns],
        }
