"""The JSON of each core dataclass is its fields (retrieval/models.py `plain`), and the HTTP edge's response model
lists the same fields: one shape per type, held together here."""

from __future__ import annotations

import json
from dataclasses import fields

import pytest
from pydantic import BaseModel

from bot import schemas
from bot.answer import Answer
from retrieval.models import Article, Citation, DiffOp, Speaker, Statement, Verdict

CITATION = Citation(n=1, article_id="a1", start=0, end=5, text="Hello", speaker="Ann Lee", statement_id="s1", score=0.5)
STATEMENT = Statement(
    id="s1", article_id="a1", kind="direct", start=0, end=5, text="Hello", fragments=((0, 5),), quoted=((0, 5),)
)
VERDICT = Verdict(
    label="altered",
    claim="Hullo",
    claimed_speaker="Ann Lee",
    evidence=(CITATION,),
    diff=(DiffOp("replace", "Hello", "Hullo"),),
    notes=("word changed",),
    similarity=0.9,
)


@pytest.mark.parametrize(
    ("kind", "model", "added"),
    [
        (Article, schemas.ArticleOut, {"statements"}),  # GET /articles/{id} adds the article's statements
        (Statement, schemas.StatementOut, set()),
        (Speaker, schemas.SpeakerOut, set()),
        (Citation, schemas.CitationOut, set()),
        (DiffOp, schemas.DiffOpOut, set()),
        (Verdict, schemas.VerdictOut, set()),
    ],
)
def test_each_response_model_has_the_fields_of_its_dataclass(kind: type, model: type[BaseModel], added: set) -> None:
    assert set(model.model_fields) - added == {f.name for f in fields(kind)}


@pytest.mark.parametrize(
    ("value", "model"),
    [
        (STATEMENT, schemas.StatementOut),
        (Speaker(id="ann-lee", name="Ann Lee", aliases=("Lee",), roles=("spokeswoman",)), schemas.SpeakerOut),
        (CITATION, schemas.CitationOut),
        (VERDICT, schemas.VerdictOut),
    ],
)
def test_to_dict_is_what_the_strict_response_model_accepts(value: Statement, model: type[BaseModel]) -> None:
    data = value.to_dict()
    assert json.loads(json.dumps(data)) == data  # JSON types only: a tuple left in place would differ
    assert json.loads(model.model_validate_json(json.dumps(data)).model_dump_json()) == data


def test_answer_json_sends_text_as_answer_and_phrasing_only_when_set() -> None:
    answer = Answer(text="Ann Lee said hello [1]", intent="search", citations=(CITATION,), verdicts=(VERDICT,))
    data = answer.to_dict()
    assert list(data) == ["answer", "intent", "citations", "verdicts", "speaker", "context"]
    assert json.loads(json.dumps(data)) == data
    schemas.AnswerOut.model_validate_json(json.dumps(data))
    phrased = Answer(text="x", intent="search", phrasing={"served": "extractive", "model": "m", "rejected": []})
    assert phrased.to_dict()["phrasing"] == {"served": "extractive", "model": "m", "rejected": []}
