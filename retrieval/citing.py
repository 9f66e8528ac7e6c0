"""Sentence boundaries in news text and the span a statement is cited with; used by /ask and /verify alike."""

from __future__ import annotations

import re

from retrieval.wordlists import words

END_MARKS = ".!?…"
CLOSERS = "\"'”’)]"
MAX_WIDEN = 400  # characters a citation may grow by to take in its whole sentence
_OPENERS = "(\"“‘'["
_DOTTED = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]?")  # U.S, D.C, a.m


def abbreviations() -> frozenset[str]:
    """Return the words (lower case, no final period) whose period does not end a sentence."""
    return words("abbreviations")


def is_abbreviation(word: str) -> bool:
    """Return whether a word followed by a period is an abbreviation or an initial, not a sentence's end."""
    word = word.lstrip(_OPENERS).rstrip(".")
    if not word:
        return False
    if word.lower() in abbreviations():
        return True
    return (len(word) == 1 and word.isupper()) or bool(_DOTTED.fullmatch(word))


def sentence_end(text: str, i: int) -> int | None:
    """Return where the sentence ends if the mark at text[i] ends one (closing quotes included), else None."""
    if text[i] not in END_MARKS:
        return None
    j = i + 1
    while j < len(text) and text[j] in CLOSERS:
        j += 1
    if j < len(text) and not text[j].isspace():
        return None  # "U.S.-led", "3.5", "example.com"
    if text[i] == "." and j == i + 1:  # a closing quote after the period ends the sentence ("No.")
        k = i
        while k > 0 and not text[k - 1].isspace():
            k -= 1
        if is_abbreviation(text[k:i]):
            return None
    return j


def sentence_span(text: str, lo: int, hi: int, max_widen: int = MAX_WIDEN) -> tuple[int, int]:
    """Widen [lo, hi) to whole sentences within its paragraph, unless that adds more than `max_widen` characters."""
    start = lo
    while start > 0 and text[start - 1] != "\n":
        # a sentence starts after whitespace that follows a sentence's end
        if text[start - 1].isspace() and start >= 2:
            k = start - 2
            while k > 0 and text[k] in CLOSERS:
                k -= 1
            if text[k] in END_MARKS and sentence_end(text, k) is not None:
                break
        start -= 1
    end = hi
    i = max(lo, hi - 1)
    while i < len(text) and text[i] != "\n":
        stop = sentence_end(text, i)
        if stop is not None:
            end = max(hi, stop)
            break
        i += 1
    else:
        end = max(hi, i)
    while start < lo and text[start].isspace():
        start += 1
    while end > hi and text[end - 1].isspace():
        end -= 1
    if lo - start + end - hi > max_widen:
        return lo, hi
    return start, end


def statement_span(text: str, start: int, end: int, *extra: int | None) -> tuple[int, int]:
    """Return the sentence span citing a statement: its words plus any mention/cue offsets, widened to sentences."""
    points = [start, end, *(x for x in extra if x is not None)]
    return sentence_span(text, min(points), max(points))
