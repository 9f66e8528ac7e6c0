"""Golden files (YAML): cases of questions or conversations with expectations, loaded, run and scored."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.testing.assertions import (
    all_citations,
    normalize,
    speaker_matches,
    uncited_quote_problems,
    verbatim_problems,
    verdict_problems,
)
from bot.testing.metrics import Tally
from retrieval.errors import QuotebotError

if TYPE_CHECKING:
    from bot.testing.client import QuotebotClient

_LIST_KEYS = ("cites", "articles", "absent", "answer_contains")
_EXPECT_KEYS = frozenset({"intent", "speaker", "verdict", "max_citations", "min_citations", *_LIST_KEYS})
_CASE_KEYS = frozenset({"id", "question", "conversation", "note", "context", "top_k"}) | _EXPECT_KEYS
_TURN_KEYS = frozenset({"question", "note", "top_k"}) | _EXPECT_KEYS
_FILE_KEYS = frozenset({"cases", "corpus", "note"})


class GoldenError(QuotebotError):
    """A golden file cannot be read or does not have the expected shape; the message names the place."""


@dataclass(frozen=True)
class Expect:
    """What one answer must show; every field is optional."""

    intent: str | None = None
    speaker: str | None = None  # the answer's `speaker`, and the attribution of the `cites` quotes
    cites: tuple[str, ...] = ()  # substrings some citation must contain
    articles: tuple[str, ...] = ()  # article ids that must be cited
    absent: tuple[str, ...] = ()  # substrings no citation may contain
    verdict: str | None = None  # label of the answer's first verdict
    verdict_speaker: str | None = None  # the speaker that verdict attributes the words to
    max_citations: int | None = None
    min_citations: int | None = None
    answer_contains: tuple[str, ...] = ()

    @property
    def scores_precision(self) -> bool:
        """Return whether this turn says what it should cite, so its citations count towards precision."""
        return bool(self.cites) or self.speaker is not None or self.max_citations == 0


@dataclass(frozen=True)
class Turn:
    """One question of a case, with its expectations."""

    question: str
    expect: Expect
    top_k: int | None = None  # sent as the /ask top_k (else the service's default)


@dataclass(frozen=True)
class GoldenCase:
    """One test: a question, or a conversation whose context is carried from turn to turn."""

    id: str
    turns: tuple[Turn, ...]
    line: int = 0  # 1-based line in the golden file
    context: Mapping[str, Any] | None = None  # the context of the first question


@dataclass(frozen=True)
class GoldenFile:
    """A loaded golden file: its cases and the corpus (paths resolved against the file) it was written for."""

    path: Path
    cases: tuple[GoldenCase, ...]
    corpus: tuple[Path, ...] = ()


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
            "file": self.file,
            "line": self.line,
            "passed": self.passed,
            "error": self.error,
            "turns": [t.to_dict() for t in self.turns],
        }


# --- loading ------------------------------------------------------------------------------------------------


def load_golden(path: str | Path) -> GoldenFile:
    """Load and validate a golden file; raise GoldenError naming the file, case and key that is wrong."""
    import yaml  # only when a golden file is used: the plugin must stay cheap to import

    path = Path(path)
    try:
        loader = yaml.SafeLoader(path.read_text(encoding="utf-8"))
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except OSError as exc:
        raise GoldenError(f"cannot read golden file {path}: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise GoldenError(f"{path}: invalid YAML: {exc}") from exc

    corpus: list[Path] = []
    items_node = node
    if isinstance(data, Mapping):
        _no_unknown(data, _FILE_KEYS, str(path))
        raw_corpus = data.get("corpus", [])
        raw_corpus = [raw_corpus] if isinstance(raw_corpus, str) else raw_corpus
        if not isinstance(raw_corpus, list) or not all(isinstance(p, str) for p in raw_corpus):
            raise GoldenError(f"{path}: corpus must be a path or a list of paths (relative to the golden file)")
        corpus = [(path.parent / p).resolve() for p in raw_corpus]
        items = data.get("cases")
        items_node = next((v for k, v in getattr(node, "value", []) if k.value == "cases"), None)
    else:
        items = data
    if not isinstance(items, list) or not items:
        raise GoldenError(f"{path}: expected a non-empty list of cases (at the top level or under 'cases:')")
    lines = [n.start_mark.line + 1 for n in items_node.value] if items_node is not None else [0] * len(items)

    cases: list[GoldenCase] = []
    seen: set[str] = set()
    for raw, line in zip(items, lines, strict=True):
        case = _case(raw, f"{path}:{line}", line)
        if case.id in seen:
            raise GoldenError(f"{path}:{line}: duplicate case id {case.id!r}")
        seen.add(case.id)
        cases.append(case)
    return GoldenFile(path, tuple(cases), tuple(corpus))


def _case(raw: Any, where: str, line: int) -> GoldenCase:
    if not isinstance(raw, Mapping):
        raise GoldenError(f"{where}: a case must be a mapping with an id and a question or a conversation")
    case_id = raw.get("id")
    if not isinstance(case_id, str | int) or not str(case_id).strip():
        raise GoldenError(f"{where}: every case needs an id (a short name; it becomes the test name)")
    where = f"{where}: case {case_id!r}"
    _no_unknown(raw, _CASE_KEYS, where)
    context = raw.get("context")
    if context is not None and not isinstance(context, Mapping):
        raise GoldenError(f"{where}: context must be a mapping")
    if ("question" in raw) == ("conversation" in raw):
        raise GoldenError(f"{where}: give either question or conversation (a list of turns), not both or neither")
    turns: tuple[Turn, ...]
    if "question" in raw:
        turns = (_turn(raw, where),)
    else:
        convo = raw["conversation"]
        if not isinstance(convo, list) or not convo:
            raise GoldenError(f"{where}: conversation must be a non-empty list of turns")
        extra = sorted(k for k in raw if k in _EXPECT_KEYS or k == "top_k")
        if extra:
            raise GoldenError(f"{where}: put {', '.join(extra)} on the turns of the conversation, not on the case")
        turns = tuple(_turn(t, f"{where}, turn {i}") for i, t in enumerate(convo, start=1))
    return GoldenCase(str(case_id), turns, line, dict(context) if context else None)


def _turn(raw: Any, where: str) -> Turn:
    if not isinstance(raw, Mapping):
        raise GoldenError(f"{where}: a turn must be a mapping with a question")
    _no_unknown(raw, _TURN_KEYS | ({"id", "context"} if "id" in raw else set()), where)
    question = raw.get("question")
    if not isinstance(question, str) or not question.strip():
        raise GoldenError(f"{where}: question must be a non-empty string")
    lists = {k: _strings(raw.get(k), k, where) for k in _LIST_KEYS}
    verdict: Any = raw.get("verdict")
    verdict_speaker: Any = None
    if isinstance(verdict, Mapping):
        _no_unknown(verdict, frozenset({"label", "speaker"}), f"{where}: verdict")
        verdict, verdict_speaker = verdict.get("label"), verdict.get("speaker")
    checks = (("intent", raw.get("intent")), ("speaker", raw.get("speaker")), ("verdict", verdict))
    for key, value in (*checks, ("verdict speaker", verdict_speaker)):
        if value is not None and not isinstance(value, str):
            raise GoldenError(f"{where}: {key} must be a string, got {value!r}")
    bounds = {k: raw.get(k) for k in ("max_citations", "min_citations", "top_k")}
    for key, value in bounds.items():
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise GoldenError(f"{where}: {key} must be a whole number >= 0, got {value!r}")
    expect = Expect(
        intent=raw.get("intent"),
        speaker=raw.get("speaker"),
        verdict=verdict,
        verdict_speaker=verdict_speaker,
        max_citations=bounds["max_citations"],
        min_citations=bounds["min_citations"],
        **lists,
    )
    if bounds["top_k"] == 0:
        raise GoldenError(f"{where}: top_k must be at least 1")
    return Turn(question.strip(), expect, bounds["top_k"])


def _strings(value: Any, key: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise GoldenError(f"{where}: {key} must be a string or a list of strings, got {value!r}")


def _no_unknown(raw: Mapping[str, Any], known: frozenset[str] | set[str], where: str) -> None:
    unknown = sorted(str(k) for k in raw if k not in known)
    if unknown:
        raise GoldenError(f"{where}: unknown key {', '.join(unknown)} (known: {', '.join(sorted(known))})")


# --- running ------------------------------------------------------------------------------------------------


def run_case(case: GoldenCase, client: QuotebotClient, *, file: str = "") -> CaseResult:
    """Ask every turn of `case` (carrying the context), check its expectations and count the metrics."""
    result = CaseResult(case.id, file, case.line)
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


def _clip(text: str, limit: int = 300) -> str:
    return repr(text if len(text) <= limit else text[:limit] + " …")
