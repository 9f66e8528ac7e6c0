"""Regression guard: PolNeAR dev scores from the official scorer stay at the measured level."""

from __future__ import annotations

import json
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import pytest

from retrieval.quotes.evaluate import predict_file
from retrieval.quotes.extract import extract_many

# measured joint F1 at tau 0.5 (mention rule) minus a small margin; raise these when the numbers improve
FLOORS = {"direct": 0.895, "direct+mixed": 0.835, "all": 0.665}
MIN_QUOTE_PRECISION = 0.93


@pytest.fixture(scope="module")
def dev_scores(shared_eval: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Return the scorer's results for predictions on polnear_dev."""
    gold = shared_eval / "polnear_dev.jsonl"
    if not gold.exists():
        pytest.skip(f"{gold} not found")
    out = tmp_path_factory.mktemp("dev")
    pred, scores = out / "pred.jsonl", out / "scores.json"
    assert predict_file(gold, pred) == 84
    cmd = [
        sys.executable,
        str(shared_eval / "score.py"),
        "--gold",
        str(gold),
        "--pred",
        str(pred),
        "--json-out",
        str(scores),
    ]
    subprocess.run(cmd, check=True, capture_output=True)
    return dict(json.loads(scores.read_text()))


@pytest.mark.parametrize(("subset", "floor"), sorted(FLOORS.items()))
def test_polnear_dev_joint_f1_stays_above_floor(dev_scores: dict, subset: str, floor: float) -> None:
    assert dev_scores["0.5"]["subsets"][subset]["joint_f1_mention"] >= floor


def test_polnear_dev_quote_precision_stays_above_floor(dev_scores: dict) -> None:
    assert dev_scores["0.5"]["quote_precision"] >= MIN_QUOTE_PRECISION


def test_every_dev_statement_is_verbatim_with_ordered_fragments(shared_eval: Path) -> None:
    """Offsets hold on real news: text, mention and cue are slices; fragments ordered, disjoint, inside the span."""
    gold = shared_eval / "polnear_dev.jsonl"
    if not gold.exists():
        pytest.skip(f"{gold} not found")
    rows = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    bad = []
    for row, found in zip(rows, extract_many((r["text"], r["doc_id"]) for r in rows), strict=True):
        text = row["text"]
        for st in found:
            frags = list(st.fragments)
            ok = text[st.start : st.end] == st.text
            ok = ok and frags[0][0] == st.start and frags[-1][1] == st.end
            ok = ok and all(a < b <= c < d for (a, b), (c, d) in pairwise(frags))
            ok = ok and all(st.start <= a < b <= st.end for a, b in st.quoted)
            ok = ok and (st.mention is None or text[st.mention_start : st.mention_end] == st.mention)
            ok = ok and (st.cue is None or text[st.cue_start : st.cue_end] == st.cue)
            if not ok:
                bad.append((row["doc_id"], st.start, st.end, frags))
    assert not bad, bad[:5]
