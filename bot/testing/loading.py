"""Golden files (YAML) loaded and validated: cases of questions or conversations, each with its expectations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from retrieval.errors import QuotebotError

_LIST_KEYS = ("cites", "articles", "absent", "answer_contains", "first_cites", "speaker_any")
_EXPECT_KEYS = frozenset({"intent", "speaker", "verdict", "max_citations", "min_citations", *_LIST_KEYS})
_CASE_KEYS = frozenset({"id", "kind", "question", "conversation", "note", "context", "top_k"}) | _EXPECT_KEYS
_TURN_KEYS = frozenset({"question", "note", "top_k"}) | _EXPECT_KEYS
_FILE_KEYS = frozenset({"cases", "corpus", "note"})
# What a verdict can say; "paraphrase": not in these words, but the speaker said this.
VERDICT_LABELS = ("verified", "altered", "paraphrase", "misattributed", "reported", "not_found")


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
    kind = raw.get("kind")
    if kind is not None and (not isinstance(kind, str) or not kind.strip()):
        raise GoldenError(f"{where}: kind must be a non-empty string (a label to group the metrics by)")
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
    return GoldenCase(str(case_id), turns, line, dict(context) if context else None, kind.strip() if kind else None)


def _turn(raw: Any, where: str) -> Turn:
    if not isinstance(raw, Mapping):
        raise GoldenError(f"{where}: a turn must be a mapping with a question")
    _no_unknown(raw, _TURN_KEYS | ({"id", "context", "kind"} if "id" in raw else set()), where)
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
    if verdict is not None and verdict not in VERDICT_LABELS:
        raise GoldenError(f"{where}: verdict {verdict!r} is not a label; use one of {', '.join(VERDICT_LABELS)}")
    if raw.get("speaker") is not None and lists["speaker_any"]:
        raise GoldenError(f"{where}: give speaker (one name) or speaker_any (a list of names), not both")
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
