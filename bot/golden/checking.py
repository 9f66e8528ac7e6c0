"""Golden cases run against a client: each answer checked against its expectations and counted for the metrics."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from bot.golden.loading import GoldenCase, Turn
from bot.golden.problems import (
    all_citations,
    normalize,
    speaker_matches,
    uncited_quote_problems,
    verbatim_problems,
    verdict_problems,
)
from bot.golden.results import CaseResult, TurnResult
from retrieval.errors import QuotebotError

if TYPE_CHECKING:
    from bot.golden.client import QuotebotClient


def run_case(case: GoldenCase, client: QuotebotClient, *, file: str = "") -> CaseResult:
    """Ask every turn of `case` (carrying the context), check its expectations and count the metrics."""
    result = CaseResult(case.id, file, case.line, case.kind)
    context: Mapping[str, Any] | None = case.context
    for turn in case.turns:
        try:
            extra = {"top_k": turn.top_k} if turn.top_k else {}
            answer = dict(client.ask(turn.question, context, **extra))
        except QuotebotError as exc:
            result.error = str(exc)
            return result
        result.turns.append(check_turn(turn, answer, lambda aid: str(client.article(aid)["text"])))
        context = answer.get("context") or None
    return result


def check_turn(turn: Turn, answer: dict[str, Any], text_of: Callable[[str], str]) -> TurnResult:
    """Check one answer against its expectations; return the failures and the metric counts."""
    ex, res = turn.expect, TurnResult(turn.question, answer)
    fail, n = res.failures.append, res.counts
    cites = [c for c in answer.get("citations") or []]
    everything = all_citations(answer)
    cited_texts = [(c, normalize(str(c.get("text", "")))) for c in everything]

    if ex.intent is not None:
        n.intent_expected += 1
        if answer.get("intent") == ex.intent:
            n.intent_correct += 1
        else:
            fail(f"intent is {answer.get('intent')!r}, expected {ex.intent!r}")
    if ex.speaker is not None:
        n.speaker_expected += 1
        if speaker_matches(ex.speaker, answer.get("speaker")):
            n.speaker_correct += 1
        else:
            fail(f"speaker is {answer.get('speaker')!r}, expected {ex.speaker!r}")
    if ex.speaker_any:
        n.speaker_expected += 1
        # A roll-up over several people may name no one speaker: then its first citation's speaker counts.
        named = answer.get("speaker") or (cites[0].get("speaker") if cites else None)
        if any(speaker_matches(s, named) for s in ex.speaker_any):
            n.speaker_correct += 1
        else:
            fail(f"speaker is {named!r}, expected one of {', '.join(map(repr, ex.speaker_any))}")
    if ex.first_cites:
        n.first_cite_expected += 1
        first = normalize(str(cites[0].get("text", ""))) if cites else None
        if first is not None and any(normalize(q) in first for q in ex.first_cites):
            n.first_cite_correct += 1
        elif first is None:
            fail(f"has no citation; the first should contain {_one_of(ex.first_cites)}")
        else:
            fail(
                f"first citation {_clip(str(cites[0].get('text', '')), 160)} does not contain {_one_of(ex.first_cites)}"
            )

    for quote in ex.cites:
        n.expected_quotes += 1
        holders = [c for c, t in cited_texts if normalize(quote) in t]
        if not holders:
            fail(f"does not cite {quote!r}")
            continue
        n.cited_quotes += 1
        if ex.speaker is not None:
            others = [c for c in holders if c.get("speaker") and not speaker_matches(ex.speaker, c.get("speaker"))]
            if len(others) == len(holders):
                c = others[0]
                fail(
                    f"misattributed: {quote!r} is cited as [{c.get('n')}] by {c.get('speaker')!r}, "
                    f"expected {ex.speaker!r}"
                )
    for quote in ex.absent:
        for c, t in cited_texts:
            if normalize(quote) in t:
                fail(f"cites {quote!r} as [{c.get('n')}], which it must not")
    article_ids = {c.get("article_id") for c in everything}
    for aid in ex.articles:
        if aid not in article_ids:
            fail(f"does not cite article {aid!r} (cites {sorted(map(str, article_ids))})")
    if ex.max_citations is not None and len(cites) > ex.max_citations:
        fail(f"has {len(cites)} citations, expected at most {ex.max_citations}")
    if ex.min_citations is not None and len(cites) < ex.min_citations:
        fail(f"has {len(cites)} citations, expected at least {ex.min_citations}")
    for words in ex.answer_contains:
        if normalize(words) not in normalize(str(answer.get("answer", ""))):
            fail(f"answer text does not contain {words!r}")

    if ex.verdict is not None:
        n.verdict_expected += 1
        problems = verdict_problems(answer, ex.verdict, ex.verdict_speaker)
        if problems:
            res.failures.extend(problems)
        else:
            n.verdict_correct += 1

    if ex.scores_precision:
        wanted = [normalize(q) for q in ex.cites]
        for c in cites:
            n.scored_citations += 1
            text = normalize(str(c.get("text", "")))
            if any(q in text for q in wanted) or (ex.speaker and speaker_matches(ex.speaker, c.get("speaker"))):
                n.supporting_citations += 1

    bad = verbatim_problems(everything, text_of)
    n.citations += len(everything)
    n.verbatim_citations += len(everything) - len(bad)
    res.failures.extend(bad)
    res.failures.extend(uncited_quote_problems(answer))
    if res.failures:
        res.failures.append(f"answer ({answer.get('intent')!r}): {_clip(str(answer.get('answer', '')))}")
    return res


def _one_of(quotes: tuple[str, ...]) -> str:
    return repr(quotes[0]) if len(quotes) == 1 else "one of " + ", ".join(map(repr, quotes))


def _clip(text: str, limit: int = 300) -> str:
    return repr(text if len(text) <= limit else text[:limit] + " …")
