"""Prediction output: run the extractor over a JSONL corpus and write scorer-ready predictions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from retrieval.models import Statement
from retrieval.quotes.extract import extract_many


def predictions(st: Statement) -> list[dict[str, Any]]:
    """Return the scorer's records for one statement: one per content fragment (speaker = mention as written).

    '"A," she said, "B."' is one statement in two fragments; the scorer matches a prediction against one gold
    content or fragment and counts the fragments of one attribution together, so each fragment is its own record.
    """
    return [
        {
            "quote_start": start,
            "quote_end": end,
            "speaker_start": st.mention_start,
            "speaker_end": st.mention_end,
            "speaker": st.mention,
            "speaker_canonical": st.speaker,
            "type": st.kind,
            "cue": st.cue,
        }
        for start, end in (st.fragments or ((st.start, st.end),))
    ]


def predict_file(in_path: Path, out_path: Path) -> int:
    """Write scorer predictions for every article of a JSONL file; return the article count."""
    with open(in_path, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    results = extract_many((row["text"], str(row["doc_id"])) for row in rows)
    with open(out_path, "w", encoding="utf-8") as out:
        for row, statements in zip(rows, results, strict=True):
            record = {"doc_id": row["doc_id"], "quotes": [p for s in statements for p in predictions(s)]}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return len(rows)
