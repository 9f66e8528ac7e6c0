"""Golden YAML validation (pydantic models): every error names the file and line, the case, the turn and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.golden.loading import GoldenError, load_golden


@pytest.mark.parametrize(
    ("text", "messages"),
    [
        (
            "- id: a\n  conversation:\n    - question: q\n    - cites: x\n",
            ["golden.yaml:1: case 'a': turn 2: question must be a non-empty string"],
        ),
        (
            "- id: a\n  conversation:\n    - question: q\n"
            "      max_citations: -1\n      verdict: {label: verified, by: x}\n",
            [
                "golden.yaml:1: case 'a': turn 1: max_citations must be a whole number >= 0, got -1",
                "golden.yaml:1: case 'a': turn 1: verdict: unknown key by (known: label, speaker)",
            ],
        ),
        ("- id: a\n  question: q\n  speaker: 3\n", ["golden.yaml:1: case 'a': speaker must be a string, got 3"]),
        ("- id: a\n  question: q\n  context: [x]\n", ["golden.yaml:1: case 'a': context must be a mapping, got ['x']"]),
        ("- id: a\n  question: q\n  top_k: 0\n", ["golden.yaml:1: case 'a': top_k must be a whole number >= 1"]),
        ("- id: a\n  cites: x\n  conversation: [{question: q}]\n", ["put cites on the turns of the conversation"]),
        ("- id: a\n  note: x\n", ["case 'a': give either question or conversation"]),
        ("- question: q\n", ["golden.yaml:1: every case needs an id"]),
        ("corpus: 3\ncases: [{id: a, question: q}]\n", ["golden.yaml: corpus must be a path or a list of paths"]),
        ("cas: []\n", ["golden.yaml: unknown key cas (known: cases, corpus, note)"]),
        ("- id: a\n  question: q\n- id: a\n  question: r\n", ["golden.yaml:3: duplicate case id 'a'"]),
    ],
)
def test_errors_name_the_file_case_turn_and_key(tmp_path: Path, text: str, messages: list[str]) -> None:
    path = tmp_path / "golden.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(GoldenError) as err:
        load_golden(path)
    shown = str(err.value).replace(f"{tmp_path}/", "")
    for message in messages:
        assert message in shown
    assert len(shown.splitlines()) == len(messages)  # one line per problem, all of them at once


def test_a_verdict_may_be_a_label_or_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "golden.yaml"
    path.write_text(
        "corpus: articles\ncases:\n  - id: a\n    question: q\n    verdict: altered\n"
        "  - id: b\n    question: r\n    verdict: {label: paraphrase, speaker: Z}\n    cites: [x, y]\n",
        encoding="utf-8",
    )
    golden = load_golden(path)
    a, b = (case.turns[0].expect for case in golden.cases)
    assert (a.verdict, a.verdict_speaker, b.verdict, b.verdict_speaker) == ("altered", None, "paraphrase", "Z")
    assert b.cites == ("x", "y") and golden.corpus == ((tmp_path / "articles").resolve(),)
