"""Golden keys for issue #14: kind, first_cites, speaker_any and the paraphrase label, and the per-kind table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.golden.checking import check_turn
from bot.golden.loading import VERDICT_LABELS, GoldenError, Turn, load_golden
from bot.golden.metrics import format_table, summarize
from bot.golden.results import CaseResult
from tests.plugin.canned import KIRBY, SEED_FILE, SENTENCED, answer, cite, plugin_args, seed_article, verdict

pytest_plugins = ["pytester"]
SEEDS = SEED_FILE.parent
CRIMES = "crimes of aggression"


def _load(tmp_path: Path, text: str) -> Any:
    path = tmp_path / "golden.yaml"
    path.write_text(text, encoding="utf-8")
    return load_golden(path)


def _turn(tmp_path: Path, body: str) -> Turn:
    return _load(tmp_path, f"- id: one\n  question: what did Zelensky say?\n{body}").cases[0].turns[0]


def _check(turn: Turn, result: dict[str, Any]) -> Any:
    text = seed_article().text
    return check_turn(turn, result, lambda _aid: text)


def _zelensky(*phrases: str, speaker: str | None = "Volodymyr Zelensky") -> dict[str, Any]:
    article = seed_article()
    cites = [cite(article, p, n=i, speaker="Volodymyr Zelensky") for i, p in enumerate(phrases, start=1)]
    return answer("See " + " ".join(f"[{i}]" for i in range(1, len(cites) + 1)), *cites, speaker=speaker)


def test_new_keys_load_with_the_case_kind(tmp_path: Path) -> None:
    golden = _load(
        tmp_path,
        """
cases:
  - id: about-crimes
    kind: topic
    question: what did Zelensky say about aggression?
    first_cites: crimes of aggression
  - id: who
    kind: group
    question: what are Ukrainians saying?
    speaker_any: [Volodymyr Zelensky, John Kirby]
  - id: para
    question: did Zelensky say Putin should be tried?
    verdict: {label: paraphrase, speaker: Volodymyr Zelensky}
  - id: convo
    kind: followup
    conversation:
      - question: what did Zelensky say?
        first_cites: [crimes of aggression, deserves to be sentenced]
      - question: what else did he say?
""",
    )
    topic, group, para, convo = golden.cases
    assert (topic.kind, group.kind, para.kind, convo.kind) == ("topic", "group", None, "followup")
    assert topic.turns[0].expect.first_cites == (CRIMES,)
    assert group.turns[0].expect.speaker_any == ("Volodymyr Zelensky", "John Kirby")
    assert (para.turns[0].expect.verdict, para.turns[0].expect.verdict_speaker) == ("paraphrase", "Volodymyr Zelensky")
    assert convo.turns[0].expect.first_cites == (CRIMES, "deserves to be sentenced")
    assert "paraphrase" in VERDICT_LABELS


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("  verdict: paraphrased\n", "verdict 'paraphrased' is not a label; use one of verified, altered, paraphrase"),
        ("  speaker: Zelensky\n  speaker_any: [Kirby]\n", "give speaker (one name) or speaker_any"),
        ("  kind: [named]\n", "kind must be a non-empty string"),
        ("  first_cites: {text: x}\n", "first_cites must be a string or a list of strings"),
        ("  speaker_any: 3\n", "speaker_any must be a string or a list of strings"),
    ],
)
def test_bad_new_keys_stop_the_load_naming_the_case(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(GoldenError) as err:
        _turn(tmp_path, body)
    assert "case 'one'" in str(err.value) and message in str(err.value)


def test_first_cites_checks_only_the_first_citation(tmp_path: Path) -> None:
    turn = _turn(tmp_path, f"  first_cites: [{SENTENCED}, nowhere in the article]\n")
    good = _check(turn, _zelensky(SENTENCED, CRIMES))
    assert good.failures == [] and (good.counts.first_cite_correct, good.counts.first_cite_expected) == (1, 1)

    late = _check(turn, _zelensky(CRIMES, SENTENCED))  # cited, but second: not "relevant first"
    assert (late.counts.first_cite_correct, late.counts.first_cite_expected) == (0, 1)
    assert late.failures[0].startswith("first citation 'crimes of aggression' does not contain one of ")

    none = _check(turn, answer("Nothing found.", speaker="Volodymyr Zelensky"))
    assert none.failures[0].startswith("has no citation; the first should contain one of ")


def test_speaker_any_takes_the_answer_speaker_else_the_first_citation(tmp_path: Path) -> None:
    turn = _turn(tmp_path, "  speaker_any: [John Kirby, Zelensky]\n")
    named = _check(turn, _zelensky(CRIMES))
    rolled_up = _check(turn, _zelensky(CRIMES, speaker=None))  # a roll-up names no one speaker
    assert (named.counts.speaker_correct, rolled_up.counts.speaker_correct) == (1, 1)
    assert named.failures == rolled_up.failures == []

    kirby_only = _turn(tmp_path, "  speaker_any: [John Kirby, Vladimir Putin]\n")
    wrong = _check(kirby_only, _zelensky(CRIMES, speaker=None))
    assert (wrong.counts.speaker_correct, wrong.counts.speaker_expected) == (0, 1)
    assert wrong.failures[0] == "speaker is 'Volodymyr Zelensky', expected one of 'John Kirby', 'Vladimir Putin'"


def test_paraphrase_verdict_is_checked_like_any_label(tmp_path: Path) -> None:
    turn = _turn(tmp_path, "  verdict: {label: paraphrase, speaker: Zelensky}\n")
    evidence = cite(seed_article(), SENTENCED, speaker="Volodymyr Zelensky")
    said = verdict("paraphrase", "Putin should be tried", evidence, claimed="Zelensky", actual="Volodymyr Zelensky")
    other = {**said, "label": "verified"}
    right = _check(turn, answer("Not in these words [1]", evidence, intent="verify", verdicts=[said]))
    wrong = _check(turn, answer("Verified [1]", evidence, intent="verify", verdicts=[other]))
    assert (right.counts.verdict_correct, wrong.counts.verdict_correct) == (1, 0)
    assert right.failures == [] and "verdict is 'verified', expected 'paraphrase'" in wrong.failures


def test_report_and_table_group_the_scores_by_kind(tmp_path: Path) -> None:
    golden = _load(
        tmp_path,
        f"""
- id: a
  kind: topic
  question: what did Zelensky say about aggression?
  speaker: Zelensky
  first_cites: {CRIMES}
- id: b
  kind: topic
  question: what did Zelensky say about sentences?
  speaker: Zelensky
  first_cites: {SENTENCED}
- id: c
  question: who called the claim ludicrous?
  speaker: John Kirby
""",
    )
    answers = [_zelensky(CRIMES, SENTENCED), _zelensky(CRIMES, SENTENCED), _zelensky(CRIMES)]
    results = []
    for case, got in zip(golden.cases, answers, strict=True):
        result = CaseResult(case.id, "golden.yaml", case.line, case.kind)
        result.turns.append(_check(case.turns[0], got))
        results.append(result)
    report = summarize(results)
    assert report["kinds"]["topic"] == {
        "cases": 2,
        "passed": 1,
        "speaker_accuracy": {"score": 1.0, "right": 2, "of": 2},
        "relevant_first_cite": {"score": 0.5, "right": 1, "of": 2},
        "verdict_accuracy": {"score": None, "right": 0, "of": 0},
    }
    assert report["kinds"]["-"]["speaker_accuracy"] == {"score": 0.0, "right": 0, "of": 1}
    assert report["relevant_first_cite"] == 0.5 and report["results"][0]["kind"] == "topic"
    table = format_table(report).splitlines()
    assert "relevant first cite   0.500  1/2" in table
    assert any(line.split() == ["topic", "2", "1", "1.000", "2/2", "0.500", "1/2", "-"] for line in table), table
    assert any(line.split() == ["-", "1", "0", "0.000", "0/1", "-", "-"] for line in table), table
    json.dumps(report)  # the JSON report carries the per-kind table


def test_a_file_without_kinds_keeps_the_plain_table(tmp_path: Path) -> None:
    golden = _load(tmp_path, f"- id: k\n  question: what did Kirby say?\n  cites: {KIRBY}\n")
    result = CaseResult("k", "golden.yaml", 1)
    result.turns.append(_check(golden.cases[0].turns[0], _zelensky(CRIMES)))
    report = summarize([result])
    assert "kinds" not in report and "kind" not in format_table(report)


def test_pytest_run_prints_the_per_kind_table(pytester: pytest.Pytester) -> None:
    # The real pipeline over the seed article: the plugin's terminal summary and report carry the kinds.
    pytester.makefile(
        ".yaml",
        kinds=f"""
corpus: {SEEDS}
cases:
  - id: kirby-named
    kind: named
    question: what did Kirby say?
    speaker: John Kirby
    first_cites: labelled as ludicrous
  - id: zelensky-sentenced
    kind: verify_exact
    question: did Zelensky say Putin deserves to be sentenced?
    verdict: {{label: verified, speaker: Volodymyr Zelensky}}
  - id: kirby-not-zelensky
    kind: verify_misattributed
    question: did Kirby say Putin deserves to be sentenced?
    speaker_any: [Volodymyr Zelensky]
""",
    )
    report = pytester.path / "kinds.json"
    result = pytester.runpytest_subprocess(
        *plugin_args(), "--quotebot-golden", "kinds.yaml", "--quotebot-report", str(report)
    )
    result.stdout.fnmatch_lines(
        [
            "*quotebot golden metrics*",
            "kind * cases passed  right speaker * relevant first cite * right verdict",
            "named * 1 * 1  1.000 1/1 * 1.000 1/1 * -",
            "verify_exact * 1 * 1  - * - * 1.000 1/1",
        ],
        consecutive=False,
    )
    data = json.loads(report.read_text())
    assert set(data["kinds"]) == {"named", "verify_exact", "verify_misattributed"}
    assert data["kinds"]["named"]["relevant_first_cite"] == {"score": 1.0, "right": 1, "of": 1}
    assert data["kinds"]["verify_misattributed"]["speaker_accuracy"]["of"] == 1
