"""The shape of a golden file as pydantic models, and their errors as messages that say what to write instead."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

# What a verdict can say; "paraphrase": not in these words, but the speaker said this.
VERDICT_LABELS = ("verified", "altered", "paraphrase", "misattributed", "reported", "not_found")
EXPECT_KEYS = frozenset(
    {"intent", "speaker", "verdict", "max_citations", "min_citations", "cites", "articles", "absent"}
    | {"answer_contains", "first_cites", "speaker_any"}
)


def _fail(message: str) -> PydanticCustomError:
    """Return an error whose message is shown as written (the field name leads it)."""
    return PydanticCustomError("golden", "{text}", {"text": message})


def _text(value: Any, info: ValidationInfo) -> Any:
    if value is not None and not isinstance(value, str):
        raise _fail(f"{info.field_name} must be a string, got {value!r}")
    return value


def _label(value: Any, info: ValidationInfo) -> Any:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise _fail(f"{info.field_name} must be a non-empty string (a label to group the metrics by)")
    return value.strip() if value else None


def _question(value: Any, info: ValidationInfo) -> Any:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise _fail(f"{info.field_name} must be a non-empty string")
    return value.strip() if value else None


def _strings(value: Any, info: ValidationInfo) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise _fail(f"{info.field_name} must be a string or a list of strings, got {value!r}")


def _count(value: Any, info: ValidationInfo) -> Any:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise _fail(f"{info.field_name} must be a whole number >= 0, got {value!r}")
    return value


def _top_k(value: Any, info: ValidationInfo) -> Any:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        raise _fail(f"top_k must be a whole number >= 1 (passages the answer may cite), got {value!r}")
    return value


def _verdict(value: Any) -> Any:
    """Read `verdict: label` as `verdict: {label: label}` and check the label."""
    if value is None:
        return None
    mapping = dict(value) if isinstance(value, Mapping) else {"label": value}
    label = mapping.get("label")
    if label not in VERDICT_LABELS:
        raise _fail(f"verdict {label!r} is not a label; use one of {', '.join(VERDICT_LABELS)}")
    return mapping


def _mapping(value: Any, info: ValidationInfo) -> Any:
    if value is not None and not isinstance(value, Mapping):
        raise _fail(f"{info.field_name} must be a mapping, got {value!r}")
    return dict(value) if value else None


def _paths(value: Any) -> Any:
    value = [value] if isinstance(value, str) else value
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise _fail("corpus must be a path or a list of paths (relative to the golden file)")
    return tuple(value)


Text = Annotated[str | None, BeforeValidator(_text)]
Strings = Annotated[tuple[str, ...], BeforeValidator(_strings)]
Count = Annotated[int | None, BeforeValidator(_count)]


class _Spec(BaseModel):
    """A part of a golden file: unknown keys are refused, values are checked as written."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class VerdictSpec(_Spec):
    """The verdict an answer must give, and whom it must attribute the words to."""

    label: str
    speaker: Text = None


class TurnSpec(_Spec):
    """One question with what its answer must show; every expectation is optional."""

    question: Annotated[str | None, BeforeValidator(_question)] = None
    note: Any = None
    top_k: Annotated[int | None, BeforeValidator(_top_k)] = None
    intent: Text = None
    speaker: Text = None
    verdict: Annotated[VerdictSpec | None, BeforeValidator(_verdict)] = None
    max_citations: Count = None
    min_citations: Count = None
    cites: Strings = ()
    articles: Strings = ()
    absent: Strings = ()
    answer_contains: Strings = ()
    first_cites: Strings = ()
    speaker_any: Strings = ()

    @model_validator(mode="after")
    def _one_speaker(self) -> TurnSpec:
        """Refuse a turn without a question, or with both speaker and speaker_any."""
        if self.question is None and not isinstance(self, CaseSpec):
            raise _fail("question must be a non-empty string")
        if self.speaker is not None and self.speaker_any:
            raise _fail("give speaker (one name) or speaker_any (a list of names), not both")
        return self


class CaseSpec(TurnSpec):
    """One case: a question, or a conversation whose context is carried from turn to turn."""

    id: str | int
    kind: Annotated[str | None, BeforeValidator(_label)] = None
    context: Annotated[dict[str, Any] | None, BeforeValidator(_mapping)] = None
    conversation: tuple[TurnSpec, ...] | None = None

    @model_validator(mode="before")
    @classmethod
    def _question_or_conversation(cls, data: Any) -> Any:
        """Require a question or a conversation, and a conversation's expectations on its turns."""
        if isinstance(data, Mapping):
            if ("question" in data) == ("conversation" in data):
                raise _fail("give either question or conversation (a list of turns), not both or neither")
            convo = data.get("conversation")
            if "conversation" in data and (not isinstance(convo, list) or not convo):
                raise _fail("conversation must be a non-empty list of turns")
            extra = sorted(k for k in data if k in EXPECT_KEYS or k == "top_k")
            if "conversation" in data and extra:
                raise _fail(f"put {', '.join(extra)} on the turns of the conversation, not on the case")
        return data


class FileSpec(_Spec):
    """A golden file written as a mapping: its cases and the corpus they were written for."""

    cases: Any = None  # checked case by case, so an error can name the case and its line
    corpus: Annotated[tuple[str, ...], BeforeValidator(_paths)] = ()
    note: Any = None


_FIELDS: dict[str, type[_Spec]] = {"verdict": VerdictSpec}


def problems(exc: ValidationError, model: type[_Spec]) -> list[str]:
    """Return each error as `[turn N: ][part: ]message`; unknown keys are listed with the known ones."""
    out: list[str] = []
    unknown: dict[tuple[str, ...], list[str]] = {}
    for e in exc.errors():
        loc = [f"turn {x + 1}" if isinstance(x, int) else str(x) for x in e["loc"]]
        if loc[:1] == ["conversation"] and len(loc) > 1:
            loc = loc[1:]  # "turn 2" says it
        named = loc[:-1] if loc and not loc[-1].startswith("turn ") else loc  # a message names its own field
        if e["type"] == "extra_forbidden":
            unknown.setdefault(tuple(named), []).append(loc[-1])
        elif e["type"] == "golden":
            out.append(": ".join([*named, str((e.get("ctx") or {})["text"])]))
        elif e["type"] == "model_type":
            out.append(f"{': '.join(loc)}: must be a mapping, got {e['input']!r}")
        elif e["type"] == "missing":
            out.append(f"{': '.join(loc)} is required")
        else:
            out.append(f"{': '.join(loc)}: {e['msg']}")
    for where, keys in unknown.items():
        known = ", ".join(sorted(_spec_at(where, model).model_fields))
        out.append(": ".join([*where, f"unknown key {', '.join(sorted(keys))} (known: {known})"]))
    return out


def _spec_at(where: tuple[str, ...], model: type[_Spec]) -> type[_Spec]:
    """Return the model that reads the mapping at a location (a verdict, a turn, or the top)."""
    if not where:
        return model
    if where[-1].startswith("turn "):
        return TurnSpec
    return _FIELDS.get(where[-1], model)
