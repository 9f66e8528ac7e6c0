"""Golden files (YAML) loaded and validated: cases of questions or conversations, each with its expectations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.golden.schema import VERDICT_LABELS, CaseSpec, FileSpec, TurnSpec, problems
from retrieval.errors import QuotebotError

__all__ = ["VERDICT_LABELS", "Expect", "GoldenCase", "GoldenError", "GoldenFile", "Turn", "load_golden"]


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
    first_cites: tuple[str, ...] = ()  # the FIRST citation contains one of these: the most relevant comes first
    speaker_any: tuple[str, ...] = ()  # the answer's speaker (else its first citation's) is one of these

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
    kind: str | None = None  # a free label ("named", "verify_altered") the metrics are also grouped by


@dataclass(frozen=True)
class GoldenFile:
    """A loaded golden file: its cases and the corpus (paths resolved against the file) it was written for."""

    path: Path
    cases: tuple[GoldenCase, ...]
    corpus: tuple[Path, ...] = ()


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

    items_node = node
    if isinstance(data, Mapping):
        try:
            spec = FileSpec.model_validate(data)
        except ValidationError as exc:
            raise GoldenError("\n".join(f"{path}: {p}" for p in problems(exc, FileSpec))) from exc
        items: Any = spec.cases
        corpus = [(path.parent / p).resolve() for p in spec.corpus]
        items_node = next((v for k, v in getattr(node, "value", []) if k.value == "cases"), None)
    else:
        items, corpus = data, []
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
    """Validate one case; an error names the case (by id) and, in a conversation, the turn."""
    if not isinstance(raw, Mapping):
        raise GoldenError(f"{where}: a case must be a mapping with an id and a question or a conversation")
    case_id = raw.get("id")
    if not isinstance(case_id, str | int) or isinstance(case_id, bool) or not str(case_id).strip():
        raise GoldenError(f"{where}: every case needs an id (a short name; it becomes the test name)")
    where = f"{where}: case {case_id!r}"
    try:
        spec = CaseSpec.model_validate(raw)
    except ValidationError as exc:
        raise GoldenError("\n".join(f"{where}: {p}" for p in problems(exc, CaseSpec))) from exc
    turns = tuple(_turn(t) for t in spec.conversation) if spec.conversation else (_turn(spec),)
    return GoldenCase(str(spec.id), turns, line, spec.context, spec.kind)


def _turn(spec: TurnSpec) -> Turn:
    """Return the checked expectations of one question."""
    verdict = spec.verdict
    expect = Expect(
        intent=spec.intent,
        speaker=spec.speaker,
        cites=spec.cites,
        articles=spec.articles,
        absent=spec.absent,
        verdict=verdict.label if verdict else None,
        verdict_speaker=verdict.speaker if verdict else None,
        max_citations=spec.max_citations,
        min_citations=spec.min_citations,
        answer_contains=spec.answer_contains,
        first_cites=spec.first_cites,
        speaker_any=spec.speaker_any,
    )
    assert spec.question is not None  # a case without one has a conversation (CaseSpec checks)
    return Turn(spec.question, expect, spec.top_k)
