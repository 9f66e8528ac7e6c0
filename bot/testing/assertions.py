"""Assertions over /ask answers and verdicts whose failure messages say what to fix (the pytest plugin's API)."""

from __future__ import annotations

from typing import Any

from bot.golden.problems import (
    Articles,
    all_citations,
    answer_text,
    article_texts,
    cite_mismatches,
    describe_citation,
    normalize,
    speaker_matches,
    uncited_quote_problems,
    verbatim_problems,
    verdict_problems,
)

__all__ = [
    "assert_citations_verbatim",
    "assert_cites",
    "assert_no_uncited_quotes",
    "assert_verdict",
    "normalize",
    "speaker_matches",
]


def assert_citations_verbatim(answer: Any, articles: Articles | None = None) -> None:
    """Assert every citation (and verdict evidence) is article.text[start:end]; fetch articles when needed."""
    cites = all_citations(answer)
    if not cites:
        return
    problems = verbatim_problems(cites, article_texts(answer, articles))
    if problems:
        head = f"{len(problems)} of {len(cites)} citations are not verbatim at their offsets:"
        raise AssertionError("\n".join([head, *problems]))


def assert_cites(
    answer: Any, *, speaker: str | None = None, contains: str | None = None, article_id: str | None = None
) -> dict[str, Any]:
    """Assert one citation matches all the given criteria; return it."""
    if speaker is None and contains is None and article_id is None:
        raise ValueError("give at least one of speaker=, contains=, article_id=")
    cites = all_citations(answer)
    wanted = ", ".join(
        f"{k}={v!r}" for k, v in (("speaker", speaker), ("contains", contains), ("article_id", article_id)) if v
    )
    reasons = []
    for c in cites:
        why = cite_mismatches(c, speaker=speaker, contains=contains, article_id=article_id)
        if not why:
            return c
        reasons.append((c, why))
    if not cites:
        raise AssertionError(f"no citation matches {wanted}: the answer cites nothing\n  answer: {answer_text(answer)}")
    lines = [f"no citation matches {wanted}; the answer cites:"]
    misattributed = [c for c, why in reasons if len(why) == 1 and why[0].startswith("speaker is")]
    if contains is not None and speaker is not None and misattributed:
        lines[0] = (
            f"misattributed: {contains!r} is cited, but attributed to {misattributed[0].get('speaker')!r}, "
            f"not {speaker!r}; the answer cites:"
        )
    for c, why in reasons:
        lines.append(f"  {describe_citation(c)}\n      -> {'; '.join(why)}")
    raise AssertionError("\n".join(lines))


def assert_verdict(verdict: Any, label: str, speaker: str | None = None) -> None:
    """Assert a verdict (or an answer's first verdict) has `label` and, if given, attributes it to `speaker`."""
    problems = verdict_problems(verdict, label, speaker)
    if problems:
        raise AssertionError("\n".join(problems))


def assert_no_uncited_quotes(answer: Any) -> None:
    """Assert every string in quotation marks in the answer text is in one of its citations (or is a cited title)."""
    problems = uncited_quote_problems(answer)
    if problems:
        raise AssertionError("\n".join([f"{len(problems)} quoted strings are not backed by a citation:", *problems]))
