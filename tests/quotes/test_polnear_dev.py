"""Regression guard: PolNeAR dev scores from the official scorer stay at the measured level."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from retrieval.quotes.evaluate import predict_file

# measured joint F1 at tau 0.5 (mention rule) minus a small margin; raise these when the numbers improve
FLOORS = {"direct": 0.89, "direct+mixed": 0.825, "all": 0.64}
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
