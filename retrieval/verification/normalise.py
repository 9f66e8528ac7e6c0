"""Normalise claimed quotes and statements into comparable words that keep their offsets."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Words are letter/digit runs (combining accents included), joined by inner apostrophes ("didn't", "Putin’s");
# numbers keep their separators ("3,000", "1.5") so a changed number is one changed word.
_WORD = re.compile(r"\d+(?:[.,]\d+)+|(?:[^\W_]|[\u0300-\u036f])+(?:['’‘ʼ`](?:[^\W_]|[\u0300-\u036f])+)*")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'"})
# An ellipsis, typed or typographic, optionally bracketed: "...", ". . .", "…", "[...]", "(…)".
_ELLIPSIS = re.compile(r"[\[(]?\s*(?:\.\s*\.\s*\.(?:\s*\.)*|…)\s*[\])]?")
# Characters typed around a claim that are not part of it: quote marks, brackets, spaces, end punctuation.
_EDGE = "\"'“”„‟‘’‚‛«»‹›「」『』()[]{}<> \t\r\n.,;:!?-–—"


@dataclass(frozen=True)
class Token:
    """One word: its folded form for comparison, its written form and its offsets."""

    norm: str
    raw: str
    start: int
    end: int


@dataclass(frozen=True)
class Claim:
    """A claimed quote split at ellipses into segments of words that must appear in order."""

    text: str
    segments: tuple[tuple[Token, ...], ...]

    @property
    def tokens(self) -> tuple[Token, ...]:
        """Return every word of every segment, in order."""
        return tuple(t for seg in self.segments for t in seg)

    @property
    def boundaries(self) -> frozenset[int]:
        """Return the word indexes where a new segment starts (where an ellipsis stood)."""
        out, at = set(), 0
        for seg in self.segments[:-1]:
            at += len(seg)
            out.add(at)
        return frozenset(out)


def fold_word(word: str) -> str:
    """Return a word without case, accents or typographic apostrophes."""
    decomposed = unicodedata.normalize("NFKD", word.translate(_APOSTROPHES))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def tokenize(text: str, offset: int = 0) -> list[Token]:
    """Return the words of `text`, with offsets shifted by `offset` (a statement's start in its article)."""
    return [Token(fold_word(m.group()), m.group(), m.start() + offset, m.end() + offset) for m in _WORD.finditer(text)]


def strip_claim(text: str) -> str:
    """Return a claim without the quote marks, spaces and end punctuation typed around it."""
    return text.strip(_EDGE)


def parse_claim(text: str) -> Claim:
    """Split a claimed quote at ellipses into word segments; empty segments are dropped."""
    stripped = strip_claim(text)
    segments: list[tuple[Token, ...]] = []
    at = 0
    for cut in [*_ELLIPSIS.finditer(stripped), None]:
        end = cut.start() if cut else len(stripped)
        words = tuple(tokenize(stripped[at:end], at))
        if words:
            segments.append(words)
        at = cut.end() if cut else end
    return Claim(stripped, tuple(segments))


def phrase_probes(claim: Claim, per_segment: int = 2) -> list[str]:
    """Return substrings likely to occur verbatim in a statement that holds the claim, most distinctive first.

    The store's phrase filter is a case-sensitive substring test, so a probe is a run of plain words the claim
    writes with single spaces (no punctuation or apostrophes, whose typography may differ), in a few casings.
    """
    runs: list[list[Token]] = []
    for seg in claim.segments:
        seg_runs: list[list[Token]] = []
        current: list[Token] = []
        for tok in seg:
            plain = tok.raw.isalnum()
            joined = bool(current) and claim.text[current[-1].end : tok.start] == " "
            if plain and joined:
                current.append(tok)
                continue
            if current:
                seg_runs.append(current)
            current = [tok] if plain else []
        if current:
            seg_runs.append(current)
        seg_runs.sort(key=lambda r: -sum(len(t.raw) for t in r))
        runs.extend(seg_runs[:per_segment])
    probes: list[str] = []
    for run in runs:
        words = [t.raw for t in run[:12]]  # long enough to be distinctive, short enough to survive edits
        phrase = " ".join(words)
        lower = phrase.lower()
        for variant in (phrase, lower, lower[:1].upper() + lower[1:], phrase[:1].swapcase() + phrase[1:]):
            if len(variant) >= 3 and variant not in probes:
                probes.append(variant)
    return probes


# Words that turn a statement into its opposite: a claim and a statement that differ in them do not mean the same,
# however close their embeddings ("good for the economy" / "do nothing to boost the economy").
NEGATORS = frozenset(
    ["not", "no", "never", "nothing", "nobody", "none", "neither", "nor", "without", "cannot", "hardly"]
)


def negated(words: list[str]) -> bool:
    """Return whether folded words carry a negation ("don't", "never", "nothing").

    Whether, not how many: a paraphrase rewrites negations freely ("hasn't had to ... can't" as "has never needed to
    ... is unable to"), so counting them to an odd or even number set apart claims that mean the same.
    """
    return any(w in NEGATORS or w.endswith("n't") for w in words)
