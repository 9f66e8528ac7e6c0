"""The learned cue model: what it adds to the rules, what it leaves alone, and that one command rebuilds it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from retrieval.quotes import extract_statements, learned
from retrieval.quotes.cues import cue_for
from retrieval.quotes.spans import LEARNED_CUE

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "retrieval" / "quotes" / "data" / learned.MODEL_FILE


@pytest.fixture
def no_model(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run extraction with rules only, as a package without the model file would."""
    monkeypatch.setattr(learned, "model", lambda: None)
    yield


def test_shipped_model_is_small_and_loads() -> None:
    assert SHIPPED.stat().st_size <= 30 * 1024 * 1024
    model = learned.model()
    assert model is not None
    assert model.weights.shape == (learned.DIM,)
    assert 0.0 < model.threshold < 1.0


def test_a_stance_verb_outside_the_lexicon_reports_its_complement() -> None:
    text = "Dunn signaled that he would back the measure."
    assert cue_for("signal") is None  # not a lexicon cue: only the model can take it
    [st] = extract_statements(text, "t")
    assert st.text == "he would back the measure" == text[st.start : st.end]
    assert (st.mention, st.cue, st.kind, st.confidence) == ("Dunn", "signaled", "indirect", LEARNED_CUE)


def test_without_the_model_the_rules_alone_miss_it(no_model: None) -> None:
    assert extract_statements("Dunn signaled that he would back the measure.", "t") == []


@pytest.mark.parametrize(
    "text",
    [
        "Mayor Linda Ortiz bought a new car for her daughter last spring.",
        "The senator drove his old bus to the rally in Ohio.",
        "Dunn took aim at the governor for the delays at the bridge.",
    ],
)
def test_actions_are_not_statements(text: str) -> None:
    assert extract_statements(text, "t") == []


def test_a_quotation_stays_the_quotation_finders() -> None:
    text = 'Dunn signaled that "we will back the measure" in a letter to the council.'
    sts = extract_statements(text, "t")
    assert [(st.text, st.kind) for st in sts] == [("we will back the measure", "direct")]
    assert all(st.confidence != LEARNED_CUE for st in sts)


def _tiny_corpus(path: Path) -> None:
    """Write twenty annotated articles of our own: stance verbs with their speaker and complement, and actions."""
    names = ["Ann Lee", "Bo Park", "Cy Dunn", "Di Ross", "Ed Moss"]
    verbs = ["signaled", "intimated", "reckoned", "signaled", "intimated"]  # none of them a lexicon cue
    rows = []
    for k in range(20):
        who, verb = names[k % 5], verbs[(k * 3) % 5]
        claim = f"the plan number {k} would fail"
        lead = f"{who} {verb} that {claim}. "
        text = lead + f"{who} bought a red car in town {k}. The mayor opened a park on Main Street."
        rows.append(
            {
                "doc_id": f"doc{k:02d}",
                "text": text,
                "quotes": [
                    {
                        "quote_text": claim,
                        "quote_start": lead.index(claim),
                        "quote_end": lead.index(claim) + len(claim),
                        "quote_spans": [[lead.index(claim), lead.index(claim) + len(claim)]],
                        "speaker": who,
                        "speaker_start": 0,
                        "speaker_end": len(who),
                        "type": "indirect",
                        "cue": verb,
                        "cue_start": len(who) + 1,
                        "cue_end": len(who) + 1 + len(verb),
                    }
                ],
            }
        )
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_training_is_deterministic_and_learns_the_stance_verbs(train_script: ModuleType, tmp_path: Path) -> None:
    assert not any(cue_for(v) for v in ("signal", "intimate", "reckon"))
    corpus = tmp_path / "train.jsonl"
    _tiny_corpus(corpus)
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    assert train_script.main(["--train", str(corpus), "--out", str(a), "--stage", "cues"]) == 0
    assert train_script.main(["--train", str(corpus), "--out", str(b), "--stage", "cues"]) == 0
    assert a.read_bytes() == b.read_bytes()
    with np.load(a) as data:
        weights = data["weights"].astype(np.float32)
    for verb in ("signaled", "intimated", "reckoned"):
        assert weights[learned.hashed([f"l={verb}"])].sum() > 0
    assert weights[learned.hashed(["l=bought"])].sum() < 0
    with np.load(a) as data:
        triggers = set(data["triggers"].tolist())
    assert {"signaled", "intimated", "reckoned"} <= triggers and "bought" not in triggers


def test_training_refuses_a_missing_corpus(
    train_script: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert train_script.main(["--train", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "m.npz")]) == 2
    assert "no training data" in capsys.readouterr().err


def test_retraining_on_polnear_train_rebuilds_the_shipped_model(
    train_script: ModuleType, shared_eval: Path, tmp_path: Path
) -> None:
    out = tmp_path / "model.npz"
    assert train_script.main(["--train", str(shared_eval / "polnear_train.jsonl"), "--out", str(out)]) == 0
    # a fresh process rebuilds the file byte for byte; inside a test session that has parsed other texts first the
    # parser's floating point can tip a rare parse, so the check here is on what the model decides
    with np.load(out) as new, np.load(SHIPPED) as old:
        assert sorted(new.files) == sorted(old.files)
        assert abs(float(new["threshold"]) - float(old["threshold"])) < 0.02
        w_new, w_old = new["weights"].astype(np.float32), old["weights"].astype(np.float32)
    assert np.corrcoef(w_new, w_old)[0, 1] > 0.99


def test_a_lexicon_verb_the_rules_read_no_content_for_goes_to_the_model() -> None:
    from retrieval.quotes.parsing import parse
    from retrieval.quotes.reported import candidate

    doc = next(parse(["The minister denied any wrongdoing."]))
    denied = next(t for t in doc if t.text == "denied")
    assert cue_for("deny") is not None  # a lexicon cue, but a two-word object is no content for the rules
    cand = candidate(denied)
    assert cand is not None and cand.cue is None
    assert doc[cand.content[0][0] : cand.content[0][1] + 1].text == "any wrongdoing"
    assert "lex=weak" in cand.feats or "lex=strong" in cand.feats
    assert candidate(denied, learned_cues=False) is None


def test_shipped_trigger_words_are_plain_words() -> None:
    model = learned.model()
    assert model is not None
    assert 50 <= len(model.triggers) <= 2000
    assert all(w.isalpha() and w.islower() for w in model.triggers)


def test_a_threshold_that_no_cut_reaches_is_refused(train_script: ModuleType) -> None:
    scores = np.array([0.9, 0.8, 0.2])
    with pytest.raises(ValueError, match=r"no threshold reaches precision 0\.9"):
        train_script.threshold_for(scores, np.array([0, 0, 1], dtype=np.int8), 0.9)
    assert train_script.threshold_for(scores, np.array([1, 0, 1], dtype=np.int8), 0.6)[:3] == (0.2, 2 / 3, 2)


def test_a_learned_report_takes_in_no_quoted_words() -> None:
    # single quotes too: "signaled" is the model's guess, so the quoted words stay out of its report
    assert extract_statements("Dunn signaled that the ‘rigged’ plan would fail.", "t") == []


def test_a_learned_report_ends_before_the_next_report() -> None:
    text = "Dunn signaled that the plan would fail and warned that taxes would rise."
    sts = {st.cue: st for st in extract_statements(text, "t")}
    assert sts["signaled"].text == "the plan would fail"
    assert sts["warned"].text == "taxes would rise"
    assert all(st.text == text[st.start : st.end] for st in sts.values())


def test_without_the_model_extraction_is_the_rules_alone(no_model: None) -> None:
    texts = [
        "Dunn signaled that he would back the measure.",
        "Senator Ray Dunn sees the bill as a betrayal of rural voters.",
        "Ortiz wants the council to reopen the inquiry.",
    ]
    for text in texts:
        assert all(st.confidence != LEARNED_CUE for st in extract_statements(text, "t"))
