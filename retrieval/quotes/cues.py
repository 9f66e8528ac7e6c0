"""Cue lexicon loading: the verbs that introduce reported speech, kept in the package data file cues.txt."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

FLAGS = {"obj", "source", "strong", "inf", "preponly"}


@dataclass(frozen=True)
class Cue:
    """One lexicon entry: a verb lemma and how its arguments are read."""

    lemma: str
    takes_object: bool = False  # the noun object is the content ("called it a disgrace")
    names_source: bool = False  # the prepositional object is the speaker ("according to X")
    strong: bool = False  # a speech verb proper ("said"), safe to attach a quotation to
    infinitive: bool = False  # a to-infinitive is the content too: "wants to build a wall"
    preps: frozenset[str] = frozenset()  # prepositions whose object is the content: "called for a recount"
    prep_only: bool = False  # only the prepositional object is content ("talked about taxes"); never a quote's cue


def parse_lexicon(lines: list[str]) -> dict[str, Cue]:
    """Return lexicon entries keyed by lemma from `lemma flag...` lines."""
    out: dict[str, Cue] = {}
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        preps = frozenset(p for w in words if w.startswith("prep=") for p in w[5:].split(","))
        words = [w for w in words if not w.startswith("prep=")]
        flags = {w for w in words if w in FLAGS}
        lemma = " ".join(w for w in words if w not in flags).rstrip(".").lower()
        out[lemma] = Cue(
            lemma, "obj" in flags, "source" in flags, "strong" in flags, "inf" in flags, preps, "preponly" in flags
        )
    return out


@lru_cache(maxsize=1)
def lexicon() -> dict[str, Cue]:
    """Return the packaged cue lexicon (loaded once)."""
    data = resources.files("retrieval.quotes").joinpath("cues.txt").read_text(encoding="utf-8")
    return parse_lexicon(data.splitlines())


def cue_for(lemma: str) -> Cue | None:
    """Return the lexicon entry for a verb lemma, if any."""
    return lexicon().get(lemma.lower())


IRREGULAR = {
    "said": "say",
    "told": "tell",
    "wrote": "write",
    "written": "write",
    "thought": "think",
    "found": "find",
    "shown": "show",
    "saw": "see",
    "seen": "see",
    "knew": "know",
    "known": "know",
    "felt": "feel",
    "meant": "mean",
    "put": "put",
    "read": "read",
    "spoke": "speak",
    "spoken": "speak",
    "says": "say",
    "denies": "deny",
    "denied": "deny",
}


def _inflections(lemma: str) -> set[str]:
    """Return the regular verb forms of a lemma (says, said-style irregulars live in IRREGULAR)."""
    stem = lemma[:-1] if lemma.endswith("e") else lemma
    forms = {lemma, lemma + "s", lemma + "es", lemma + "d", lemma + "ed", stem + "ing", stem + "ed"}
    forms |= {lemma + lemma[-1] + "ed", lemma + lemma[-1] + "ing"}
    if lemma.endswith("y"):
        forms |= {lemma[:-1] + "ied", lemma[:-1] + "ies"}
    return forms


@lru_cache(maxsize=1)
def forms() -> dict[str, str]:
    """Return a table from inflected form to lexicon lemma."""
    table: dict[str, str] = {}
    for lemma in lexicon():
        if " " not in lemma:
            for f in _inflections(lemma):
                table.setdefault(f, lemma)
    for form, lemma in IRREGULAR.items():
        if lemma in lexicon():
            table[form] = lemma
    return table


def is_strong(word: str) -> bool:
    """Return whether a cue word (its last word: "has said" -> said) is a speech verb proper."""
    words = word.split()
    cue = cue_for(lemma_of(words[-1])) if words else None
    return bool(cue and cue.strong)


def lemma_of(word: str) -> str:
    """Return the lexicon lemma of an inflected verb form, or the word lower-cased."""
    low = word.lower()
    return forms().get(low, low)


_WORD = re.compile(r"[a-z]+")
_MARKS = re.compile(r"[\"“”„«»:]")


def may_attribute(paragraph: str) -> bool:
    """Return whether a paragraph has a quotation mark, a colon or a cue word form, i.e. may hold a statement."""
    if _MARKS.search(paragraph):
        return True
    table = forms()
    return any(w in table or w == "according" for w in _WORD.findall(paragraph.lower()))
