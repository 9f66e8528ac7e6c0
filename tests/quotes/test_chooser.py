"""The learned speaker chooser: when it overrules the rules' speaker, when it leaves it, and how it is rebuilt."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from retrieval.quotes import chooser, extract_statements
from retrieval.quotes.extract import attributions, parsed_many
from retrieval.quotes.spans import Attribution

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "retrieval" / "quotes" / "data" / chooser.MODEL_FILE


@pytest.fixture
def rules_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run extraction with the rules' speakers, as a package without the chooser file would."""
    monkeypatch.setattr(chooser, "model", lambda: None)
    yield


def _mentions(text: str) -> list[str | None]:
    """Return the speaker mention of each statement, checking that it is verbatim."""
    sts = extract_statements(text, "t")
    for st in sts:
        assert text[st.start : st.end] == st.text
        if st.mention is not None:
            assert text[st.mention_start : st.mention_end] == st.mention
    return [st.mention for st in sts]


SIDE_BY_SIDE = "Ortiz warned that taxes would rise, while Cole said the budget was balanced."


def test_shipped_chooser_is_small_and_loads() -> None:
    assert SHIPPED.stat().st_size <= 1024 * 1024
    model = chooser.model()
    assert model is not None
    assert model.weights.shape[0] == 1 << 18
    assert model.margin >= 0.0


OVERRULED = [
    # a quotation inside an outer report is the reporter's, not the subject of the clause it sits in
    (
        'Retired Judge Mia Long said Dunn was "absolutely right" when he said that the courts were overwhelmed.',
        "absolutely right",
        "he",
        "Retired Judge Mia Long",
    ),
    (
        'Former Mayor Ann Cole said the governor was "completely wrong" when he claimed on Monday that the roads were'
        " safe.",
        "completely wrong",
        "he",
        "Former Mayor Ann Cole",
    ),
    (
        'The county sheriff said reporters are to blame for focusing on "rumours and gossip."',
        'for focusing on "rumours and gossip."',
        "reporters",
        "The county sheriff",
    ),
]


def _speaker_of(text: str, words: str) -> str | None:
    """Return the mention of the statement whose text is `words`."""
    [mention] = [m for st, m in zip(extract_statements(text, "t"), _mentions(text), strict=True) if st.text == words]
    return mention


@pytest.mark.parametrize(("text", "words", "rules", "chosen"), OVERRULED)
def test_the_chooser_overrules_a_wrong_rules_speaker(text: str, words: str, rules: str, chosen: str) -> None:
    assert _speaker_of(text, words) == chosen


@pytest.mark.parametrize(("text", "words", "rules", "chosen"), OVERRULED)
def test_without_the_chooser_the_rules_speaker_stands(
    rules_only: None, text: str, words: str, rules: str, chosen: str
) -> None:
    assert _speaker_of(text, words) == rules


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Ann Cole, whom Tom Reyes described as a careful planner, said the bridge will open in May.",
            ["Tom Reyes", "Ann Cole"],
        ),
        (
            "Though he said the audit found a handful of errors, Commissioner Ray Dunn said none were serious.",
            ["he", "Commissioner Ray Dunn"],
        ),
        # the rules' mention holds two heads; the shorter one names the same speaker and would lose the role
        (
            "The governor wants the council to approve the plan, his spokesman Lee Park told reporters.",
            ["his spokesman Lee Park"],
        ),
    ],
)
def test_right_speakers_stay(text: str, expected: list[str]) -> None:
    assert _mentions(text) == expected


def _candidates(text: str, cue: str, others: list[Attribution] | None = None) -> list[chooser.Candidate]:
    """Return the chooser's candidates for the attribution whose cue is `cue`, beside `others` (default: the
    article's attributions)."""
    [(norm, parsed)] = list(parsed_many([text]))
    atts = attributions(norm, parsed)
    [att] = [a for a in atts if a.cue and norm[a.cue[0] : a.cue[1]] == cue]
    return chooser.candidates(norm, parsed, att, atts if others is None else [att, *others])


def test_another_statements_speaker_is_taken_unless_it_reports_this_one() -> None:
    side_by_side = _candidates(SIDE_BY_SIDE, "said")
    taken = {c.head.text: c.taken for c in side_by_side}
    assert taken["Ortiz"] is True and taken["Cole"] is False
    assert next(c for c in side_by_side if c.rules).head.text == "Cole"
    # an outer reporter whose words hold this cue may speak these words too
    ortiz = (0, len("Ortiz"))
    outer = Attribution(fragments=[(len("Ortiz warned that "), len(SIDE_BY_SIDE) - 1)], mention=ortiz)
    assert {c.head.text: c.taken for c in _candidates(SIDE_BY_SIDE, "said", [outer])}["Ortiz"] is False
    beside = Attribution(
        fragments=[(len("Ortiz warned that "), len("Ortiz warned that taxes would rise"))], mention=ortiz
    )
    assert {c.head.text: c.taken for c in _candidates(SIDE_BY_SIDE, "said", [beside])}["Ortiz"] is True


def test_a_taken_candidate_never_wins() -> None:
    cands = _candidates(SIDE_BY_SIDE, "said")
    ortiz = next(c for c in cands if c.head.text == "Ortiz")
    # weights that favour Ortiz over every other candidate by far
    weights = np.zeros(1 << 18, dtype=np.float32)
    for f in ortiz.feats:
        if f.startswith("rel|k|rk="):
            weights[chooser.hashed([f])] = 10.0
    model = chooser.SpeakerModel(weights, 0.0, 0.0)
    assert model.choose([replace(c, taken=False) for c in cands]) == replace(ortiz, taken=False)
    assert model.choose(cands) is None  # Ortiz speaks "warned", whose words do not hold "said"


def test_the_cue_is_its_verb_and_relations_are_read_by_position() -> None:
    text = "An analysis by the Lakeview Institute has found that most families would pay less."
    cands = _candidates(text, "has found")
    analysis = next(c for c in cands if c.head.text == "analysis")
    institute = next(c for c in cands if c.head.text == "Institute")
    assert analysis.rules and "path=child" in analysis.feats and "chain=self" in analysis.feats
    assert "path=below" in institute.feats
    assert "cue=find" in analysis.feats  # the verb, not the auxiliary the cue span opens with


def test_a_tag_in_brackets_is_no_candidate() -> None:
    text = "Asked by reporters about the plan, Senate leader Harry Reid (D-Nev.) said it was a fraud."
    heads = [c.head.text for c in _candidates(text, "said")]
    assert "Reid" in heads and "reporters" in heads  # there is a choice to make
    assert not any("Nev" in h or h == "D" for h in heads)


def _authored_corpus(path: Path) -> None:
    """Write twenty annotated articles of our own: findings credited to a document, spoken by its author."""
    rows = []
    for k in range(20):
        doc = ["An analysis", "A study", "A review", "The survey"][k % 4]
        author = f"the Institute {chr(65 + k)}"
        claim = f"plan number {k} would cut costs"
        text = f"{doc} by {author} found that {claim}. The mayor opened a park on Main Street."
        start = text.index(claim)
        rows.append(
            {
                "doc_id": f"doc{k:02d}",
                "text": text,
                "quotes": [
                    {
                        "quote_spans": [[start, start + len(claim)]],
                        "quote_start": start,
                        "quote_end": start + len(claim),
                        "speaker": author,
                        "speaker_spans": [[text.index(author), text.index(author) + len(author)]],
                        "type": "indirect",
                        "cue": "found",
                        "cue_start": text.index("found"),
                        "cue_end": text.index("found") + len("found"),
                    }
                ],
            }
        )
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_training_is_deterministic_and_learns_to_overrule(train_script: ModuleType, tmp_path: Path) -> None:
    corpus = tmp_path / "train.jsonl"
    _authored_corpus(corpus)
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    assert train_script.main(["--train", str(corpus), "--stage", "speakers", "--speakers-out", str(a)]) == 0
    assert train_script.main(["--train", str(corpus), "--stage", "speakers", "--speakers-out", str(b)]) == 0
    assert a.read_bytes() == b.read_bytes()
    with np.load(a) as data:
        model = chooser.SpeakerModel(data["weights"], float(data["bias"]), float(data["margin"]))
    cands = _candidates("A report by the Harbor Council found that the pier would cost less.", "found")
    pick = model.choose(cands)
    assert pick is not None and pick.head.text == "Council"


def test_training_refuses_a_corpus_that_cannot_teach_it(
    train_script: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "train.jsonl"
    corpus.write_text(json.dumps({"doc_id": "a", "text": "The mayor opened a park.", "quotes": []}) + "\n")
    out = tmp_path / "s.npz"
    assert train_script.main(["--train", str(corpus), "--stage", "speakers", "--speakers-out", str(out)]) == 2
    assert "no speaker chooser written" in capsys.readouterr().out
    assert not out.exists()


def test_retraining_on_polnear_train_rebuilds_the_shipped_chooser(shared_eval: Path, tmp_path: Path) -> None:
    # in a fresh process, as the README's command runs: inside this session the parser has read other texts first,
    # and its floating point can tip a rare parse, enough to move the margin one step on a flat choice
    out = tmp_path / "speakers.npz"
    script = REPO / "scripts" / "train_attribution.py"
    args = ["--train", str(shared_eval / "polnear_train.jsonl"), "--stage", "speakers", "--speakers-out", str(out)]
    done = subprocess.run([sys.executable, str(script), *args], cwd=REPO, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    # on the machine that built it the file comes back byte for byte; another CPU's BLAS kernels round the solver's
    # sums differently (CI saw weights move by 0.002), so the check is on the model: same margin, same weights
    with np.load(out) as new, np.load(SHIPPED) as old:
        assert sorted(new.files) == sorted(old.files)
        assert float(new["margin"]) == float(old["margin"])
        assert abs(float(new["bias"]) - float(old["bias"])) < 0.02
        w_new, w_old = new["weights"].astype(np.float32), old["weights"].astype(np.float32)
    assert float(np.abs(w_new - w_old).max()) < 0.02
    assert np.corrcoef(w_new, w_old)[0, 1] > 0.999


def test_training_refuses_a_line_that_is_no_article(
    train_script: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "train.jsonl"
    corpus.write_text(json.dumps({"doc_id": "a", "text": "x", "quotes": []}) + "\n{not json\n", encoding="utf-8")
    cues, speakers = tmp_path / "c.npz", tmp_path / "s.npz"
    assert train_script.main(["--train", str(corpus), "--out", str(cues), "--speakers-out", str(speakers)]) == 2
    assert "line 2 is not a PolNeAR article" in capsys.readouterr().err
    assert not cues.exists() and not speakers.exists()
