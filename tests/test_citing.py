"""Sentence boundaries in news text: abbreviations, initials, acronyms and closing quotes."""

from __future__ import annotations

import pytest

from retrieval.citing import is_abbreviation, sentence_span, statement_span

TEXT = (
    "Analysts warned of a downturn in U.S. markets by Jan. 5 next year. Mrs. Clinton said “No.” Then she left.\n"
    "Sen. Bob Smith, R-Tex., spoke at 9 a.m. on Friday. John F. Kennedy Airport was closed."
)


def span_of(words: str) -> str:
    i = TEXT.index(words)
    lo, hi = sentence_span(TEXT, i, i + len(words))
    return TEXT[lo:hi]


@pytest.mark.parametrize(
    ("words", "sentence"),
    [
        ("downturn", "Analysts warned of a downturn in U.S. markets by Jan. 5 next year."),
        ("markets", "Analysts warned of a downturn in U.S. markets by Jan. 5 next year."),
        ("Clinton", "Mrs. Clinton said “No.”"),
        ("left", "Then she left."),
        ("Smith", "Sen. Bob Smith, R-Tex., spoke at 9 a.m. on Friday."),
        ("Airport", "John F. Kennedy Airport was closed."),
    ],
)
def test_sentence_span_knows_news_abbreviations(words: str, sentence: str) -> None:
    assert span_of(words) == sentence


def test_span_never_crosses_a_paragraph() -> None:
    i = TEXT.index("Then")
    lo, hi = sentence_span(TEXT, i, TEXT.index("Sen.") + 3)
    assert TEXT[lo:hi].startswith("Then")


def test_too_long_a_widening_keeps_the_span() -> None:
    text = "x" * 900 + " word " + "y" * 900 + "."
    i = text.index("word")
    assert sentence_span(text, i, i + 4) == (i, i + 4)


def test_statement_span_takes_in_mention_and_cue() -> None:
    text = "Earlier, officials met. “We are ready,” the minister said on Monday. Nothing followed."
    q0 = text.index("We")
    lo, hi = statement_span(text, q0, q0 + 12, text.index("the minister"), None)
    assert text[lo:hi] == "“We are ready,” the minister said on Monday."


@pytest.mark.parametrize(
    ("word", "expected"),
    [("Mrs", True), ("U.S", True), ("F", True), ("Calif", True), ("said", False), ("markets", False)],
)
def test_is_abbreviation(word: str, expected: bool) -> None:
    assert is_abbreviation(word) is expected
