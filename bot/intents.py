"""Detect what a question asks for: a speaker's statements, who said something, a quote check, or a search."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from retrieval.identity.groups import is_group
from retrieval.quotes.cues import forms

IntentName = Literal["speaker_statements", "who_said", "verify", "when", "group", "search"]

PRONOUNS = {"he", "she", "they", "him", "her", "them", "it"}
# The speech verbs are extraction's cue lexicon (retrieval/quotes/cues.txt), every inflection: one list for both.
_SAY = "|".join(sorted((f for f in forms() if f.isalpha() and len(f) > 2), key=len, reverse=True))
# The everyday verbs are tried first: a name or title may hold a rarer cue word ("the Secretary of State say",
# "the talk radio host say"), and the nearest verb would cut it.
_CORE = "say|said|says|tell|told|tells|write|wrote|writes|tweet|tweeted|tweets"
# Who a group question asks about: a plural the identity layer can tell members of, or anyone.
_GROUP = r"(?P<group>(?:the )?[A-Za-z][\w -]*?s|people|everyone|everybody)"
_ABOUT = r"(?:about|on|regarding|concerning|of|over)"
_QUOTE_RE = re.compile(r"[\"“”]([^\"“”]{2,})[\"“”]|(?<![A-Za-z])[‘']([^‘’']{3,})[’'](?![A-Za-z])")

_PATTERNS: list[tuple[IntentName, re.Pattern[str]]] = [
    # "when was that said" names no speaker: tried before the general form would read "that" as one
    ("when", re.compile(r"^when was (?:that|this|it) said\b", re.I)),
    ("when", re.compile(r"^when (?:did|was|were) (?P<speaker>.+?) (?:say|said|saying|quoted)\b", re.I)),
    *(
        (
            "verify",
            re.compile(
                rf"^(?:is it true that|did|does|has|have|was it) (?P<speaker>.+?) (?:really |actually |ever )?"
                rf"(?:{verbs})\b(?: that)?[,:]? (?P<claim>.+)$",
                re.I,
            ),
        )
        for verbs in (_CORE, _SAY)
    ),
    (
        "verify",
        re.compile(rf"^(?:verify|check|fact-check)[:,]? (?P<speaker>[^\"“]+?) (?:{_SAY})[,:]? (?P<claim>.+)$", re.I),
    ),
    (
        "who_said",
        re.compile(rf"^who (?:has |had |did )?(?P<verb>{_SAY})\b[,:]? (?P<claim>.+)$", re.I),
    ),
    (
        "group",
        re.compile(
            rf"^(?:what|how) (?:are|is|were|do|did|have|has) {_GROUP} (?:been )?"
            rf"(?:saying|say|said|think|thinking|thought|reacting|react|reacted|responding|respond|responded)"
            rf"(?: to| {_ABOUT})? (?P<topic>.+)$",
            re.I,
        ),
    ),
    *(
        (
            "speaker_statements",
            re.compile(
                rf"^what (?:else )?(?:did|does|has|have|had) (?P<speaker>.+?) (?:else )?(?:{verbs})"
                rf"(?: (?!{_ABOUT} )(?:to )?(?P<audience>[^?]{{1,40}}?))?(?: {_ABOUT} (?P<topic>.+))?$",
                re.I,
            ),
        )
        for verbs in (_CORE, _SAY)
    ),
    (
        "speaker_statements",
        re.compile(
            r"^(?P<speaker>.+?)['’]s? (?:comments?|remarks?|statements?|quotes?|views?)"
            r"(?: (?:about|on|regarding) (?P<topic>.+))?$",
            re.I,
        ),
    ),
    (
        "speaker_statements",
        re.compile(
            r"^(?:what are |show me |list )?(?:the )?(?:quotes|statements) (?:by|from) (?P<speaker>.+?)"
            r"(?: (?:about|on|regarding) (?P<topic>.+))?$",
            re.I,
        ),
    ),
]


@dataclass(frozen=True)
class Intent:
    """A parsed question."""

    name: IntentName
    speaker: str | None = None  # the name as typed ("Kirby", "he", "Putin's office")
    topic: str | None = None
    claim: str | None = None  # for verify / who_said
    quoted: bool = False  # the claim was given in quotation marks
    more: bool = False  # "what else ..."

    @property
    def pronoun(self) -> bool:
        """Return whether the speaker is a pronoun to resolve from the conversation."""
        return (self.speaker or "").lower() in PRONOUNS


def _clean(text: str) -> str:
    return text.strip().strip("?!. ").strip()


def detect(question: str) -> Intent:
    """Return the intent of a question."""
    q = " ".join(question.split()).strip()
    bare = q.rstrip("?!. ")
    for name, pattern in _PATTERNS:
        m = pattern.match(bare)
        if not m:
            continue
        groups = {k: v for k, v in m.groupdict().items() if v}
        if name in {"verify", "who_said"}:
            claim, quoted = _claim(groups.get("claim", ""))
            if name == "who_said":
                return Intent("who_said", claim=claim, quoted=quoted, topic=groups.get("verb"))
            return Intent("verify", speaker=_clean(groups["speaker"]), claim=claim, quoted=quoted)
        if name == "when":
            return Intent("when", speaker=_clean(groups.get("speaker", "")) or None)
        if name == "group":
            if not is_group(groups["group"]):
                continue
            return Intent("group", speaker=_clean(groups["group"]), topic=_clean(groups["topic"]))
        speaker = _clean(groups["speaker"])
        if speaker.lower() in {"you", "i", "we", "people", "they all"}:
            break
        return Intent(
            "speaker_statements",
            speaker=speaker,
            topic=_clean(groups["topic"]) if groups.get("topic") else None,
            more=" else " in f" {q.lower()} ",
        )
    pasted = _pasted_quote(q)
    if pasted:
        return pasted
    return Intent("search", topic=bare)


def _claim(text: str) -> tuple[str, bool]:
    """Return the claimed words (inside quotation marks when given) and whether they were quoted."""
    found = [a or b for a, b in _QUOTE_RE.findall(text)]
    if found:
        return " … ".join(s.strip() for s in found), True
    return _clean(text), False


def _pasted_quote(question: str) -> Intent | None:
    """Recognise `"words" - Name` or `Name: "words"` as a quote to check."""
    m = re.match(r"^[\"“](?P<claim>[^\"“”]{3,})[\"”][\s,]*[-–—]+\s*(?P<speaker>[A-Z][\w.’' -]+)$", question)
    if not m:
        m = re.match(r"^(?P<speaker>[A-Z][\w.’' -]+?)\s*[:,]\s*[\"“](?P<claim>[^\"“”]{3,})[\"”]\.?$", question)
    if not m:
        return None
    return Intent("verify", speaker=_clean(m["speaker"]), claim=m["claim"].strip(), quoted=True)
