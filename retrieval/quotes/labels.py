"""Speaker labels: "PENCE: Well, look …" in transcripts and "Pat Caddell: Voters worried …" in headlines."""

from __future__ import annotations

import re
from collections import Counter

from retrieval.identity import noun_kind
from retrieval.quotes.marks import Paragraph
from retrieval.quotes.spans import SPEAKER_LABEL, Attribution

_LABEL = re.compile(
    r"[ \t]*[\"“]?"  # a transcript line may open with a quotation mark
    r"([A-Z][\w.’'-]*(?:[ \t][A-Z][\w.’'-]*)?|[A-Z][A-Z.’'-]+(?:[ \t][A-Z][A-Z.’'-]+){0,2})"  # Name Surname | CAPS
    r":[ \t]+"
)
# labels that head a note, a credit or a share link, not a speaker's words
NOT_SPEAKERS = {
    "the latest", "latest", "correction", "clarification", "source", "sources", "update", "updated", "note",
    "editor's note", "editor’s note", "watch", "video", "photo", "photos", "related", "read more", "q", "a",
    "transcript", "excerpt", "breaking", "exclusive", "analysis", "opinion", "live", "also", "warning", "disclaimer",
    "contributing", "contributors", "contributor", "byline", "credit", "credits", "image", "images", "graphic",
    "additional reporting", "reporting", "paid notice", "advertisement", "sponsored", "tags", "topics", "filed under",
    "twitter", "facebook", "email", "e-mail", "share", "follow", "contact", "subscribe", "listen", "see also",
    "revealed", "trending", "more", "previously", "earlier", "background", "context", "fact check",
}  # fmt: skip
CLOSERS = '"”'


def label_at(text: str, start: int) -> str | None:
    """Return the label opening the paragraph at `start` ("A" of "A: ...", "PENCE" of "PENCE: ..."), or None."""
    m = _LABEL.match(text, start)
    return m.group(1) if m else None


def find_labelled(text: str, paragraphs: list[Paragraph]) -> list[Attribution]:
    """Return an attribution for each paragraph that opens with a speaker label and a colon."""
    out: list[Attribution] = []
    labelled = [(p, m) for p in paragraphs if (m := _LABEL.match(text, p.start, p.end))]
    uses = Counter(m.group(1) for _, m in labelled)
    # a transcript (a capitals label opens several paragraphs, or the story says it quotes one): a guest heard once
    # is a speaker too
    transcript = any(n > 1 and label.isupper() for label, n in uses.items()) or "transcript" in text.lower()
    for p, m in labelled:
        label = m.group(1)
        if label.lower() in NOT_SPEAKERS or not _names_someone(text, m, uses[label], transcript):
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


def _names_someone(text: str, m: re.Match[str], uses: int, transcript: bool) -> bool:
    """Return whether a label names a speaker: a transcript's capitals, a label used twice, a noun that can speak,
    a name of several words, or a word the story names again elsewhere.

    A one-off, one-word label the story never writes again with a capital ("BOOM:", "Grandkids:") is a heading
    device, not a speaker.
    """
    label = m.group(1)
    if uses > 1 or (transcript and label.isupper()) or len(label.split()) >= 2:
        return True  # a transcript's speaker, or a name of several words ("Pat Caddell: …")
    word = label.strip(".")
    if noun_kind(word)[0] not in {None, "none"}:
        return True  # a noun that speaks ("Poll: …", "Officials: …")
    again = re.finditer(rf"\b{re.escape(word)}\b", text, re.I)
    return any(f.start() != m.start(1) and f.group()[0].isupper() for f in again)
