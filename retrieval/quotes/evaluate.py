"""Prediction output: run the extractor over a JSONL corpus and write scorer-ready predictions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from retrieval.models import Statement
from retrieval.quotes.extract import extract_many


def prediction(st: Statement) -> dict[str, Any]:
    """Return the scorer's record for one statement (speaker = mention as written)."""
    return {
        "quote_start": st.start,
        "quote_end": st.end,
        "speaker_start": st.mention_start,
        "speaker_end": st.mention_end,
        "speaker": st.mention,
        "speaker_canonical": st.speaker,
        "type": st.kind,
        "cue": st.cue,
    }


def predict_file(in_path: Path, out_path: Path) -> int:
    """Write scorer predictions for every article of a JSONL file; return the article count."""
    with open(in_path, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    results = extract_many((row["text"], str(row["doc_id"])) for row in rows)
    with open(out_path, "w", encoding="utf-8") as out:
        for row, statements in zip(rows, results, strict=True):
            record = {"doc_id": row["doc_id"], "quotes": [prediction(s) for s in statements]}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return len(rows)
