"""Prediction output: run the extractor over a JSONL corpus and write scorer-ready predictions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from retrieval.errors import LoadError
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
    rows = read_articles(in_path)
    results = extract_many((text, doc_id) for doc_id, text in rows)
    with open(out_path, "w", encoding="utf-8") as out:
        for (doc_id, _), statements in zip(rows, results, strict=True):
            record = {"doc_id": doc_id, "quotes": [p for s in statements for p in predictions(s)]}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return len(rows)


def read_articles(path: Path) -> list[tuple[str, str]]:
    """Return (doc_id, text) of each line of a JSONL file (`id` also names it), or raise LoadError saying why."""
    expected = "expected JSONL: one {doc_id, text} object per line"
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise LoadError(path, "no such file") from None
    except OSError as exc:
        raise LoadError(path, f"cannot read the file: {exc.strerror or exc}") from None
    try:
        lines = data.decode("utf-8-sig").split("\n")  # not splitlines(): U+2028 may sit inside a string
    except UnicodeDecodeError:
        raise LoadError(path, f"not UTF-8 text; {expected}") from None
    rows = []
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (ValueError, RecursionError):
            raise LoadError(path, f"line {lineno} is not JSON; {expected}") from None
        if not isinstance(row, dict):
            raise LoadError(path, f"line {lineno} is not a JSON object; {expected}")
        # Offsets index into the text exactly as given, so it is neither stripped nor normalised here.
        doc_id, text = row.get("doc_id", row.get("id")), row.get("text")
        if doc_id is None or isinstance(doc_id, bool) or not isinstance(doc_id, str | int):
            raise LoadError(path, f"line {lineno}: give each article a 'doc_id' (or 'id'), a string or number")
        if not isinstance(text, str):
            raise LoadError(path, f"line {lineno}: 'text' must be a string")
        rows.append((str(doc_id), text))
    if not rows:
        raise LoadError(path, f"no articles; {expected}")
    return rows


def alnum_positions(text: str, start: int, end: int) -> set[int]:
    """Return the positions of letters and digits in text[start:end] (the scorer compares spans by these)."""
    return {i for i in range(start, end) if text[i].isalnum()}


HELDOUT_EVERY = 10  # every tenth PolNeAR train article (by sorted doc_id) is kept out of training and rule tuning


def heldout_ids(doc_ids: list[str]) -> set[str]:
    """Return the fixed train slice kept out of training: every HELDOUT_EVERY-th id in sorted order (84 of 840)."""
    return set(sorted(doc_ids)[::HELDOUT_EVERY])
