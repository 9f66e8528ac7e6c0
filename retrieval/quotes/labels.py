"""Speaker labels: "PENCE: Well, look …" in transcripts and "Pat Caddell: Voters worried …" in headlines."""

from __future__ import annotations

import re

from retrieval.quotes.marks import Paragraph
from retrieval.quotes.spans import SPEAKER_LABEL, Attribution

_LABEL = re.compile(
    r"[ \t]*[\"“]?"  # a transcript line may open with a quotation mark
    r"([A-Z][\w.’'-]*(?:[ \t][A-Z][\w.’'-]*)?|[A-Z][A-Z.’'-]+(?:[ \t][A-Z][A-Z.’'-]+){0,2})"  # Name Surname | CAPS
    r":[ \t]+"
)
# labels that head a note, not a speaker's words
NOT_SPEAKERS = {
    "the latest", "latest", "correction", "clarification", "source", "sources", "update", "updated", "note",
    "editor's note", "editor’s note", "watch", "video", "photo", "photos", "related", "read more", "q", "a",
    "transcript", "excerpt", "breaking", "exclusive", "analysis", "opinion", "live", "also", "warning", "disclaimer",
}  # fmt: skip
CLOSERS = '"”'


def find_labelled(text: str, paragraphs: list[Paragraph]) -> list[Attribution]:
    """Return an attribution for each paragraph that opens with a speaker label and a colon."""
    out: list[Attribution] = []
    for p in paragraphs:
        m = _LABEL.match(text, p.start, p.end)
        if m is None or m.group(1).lower() in NOT_SPEAKERS:
            continue
        start, end = m.end(), p.end
        while end > start and (text[end - 1].isspace() or text[end - 1] in CLOSERS):
            end -= 1
        if end - start < 8:
            continue
        out.append(
            Attribution(
                fragments=[(start, end)],
                cue=(m.end(1), m.end(1) + 1),
                mention=m.span(1),
                source="label",
                confidence=SPEAKER_LABEL,
            )
        )
    return out
