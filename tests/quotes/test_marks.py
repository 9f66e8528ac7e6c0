"""Quotation-mark scanning without a parser."""

from __future__ import annotations

import pytest

from retrieval.quotes.cues import cue_for, lexicon, parse_lexicon
from retrieval.quotes.marks import find_quotes, single_quoted


@pytest.mark.parametrize(
    ("text", "spans", "closed"),
    [
        ('He said "yes" and "no".', ["yes", "no"], [True, True]),
        ("“One.” Then “two.”", ["One.", "Two."[:0] + "two."], [True, True]),
        ("“Open to the end\nNext paragraph.", ["Open to the end"], [False]),
    ],
)
def test_find_quotes_spans(text: str, spans: list[str], closed: list[bool]) -> None:
    quotes = find_quotes(text)
    assert [text[q.start : q.end] for q in quotes] == spans
    assert [q.close_mark is not None for q in quotes] == closed


def test_multi_paragraph_quote_is_flagged_as_continuing() -> None:
    text = "“First part.\n“Second part.”"
    first, second = find_quotes(text)
    assert first.continues and not second.continues


def test_single_quotes_skip_apostrophes() -> None:
    text = "for ‘crimes of aggression’ and Putin’s ‘office’"
    assert [text[s:e] for s, e in single_quoted(text, 0, len(text))] == ["crimes of aggression", "office"]


def test_cue_lexicon_loads_flags() -> None:
    assert lexicon()["say"].strong
    assert cue_for("label") is not None and cue_for("label").takes_object  # type: ignore[union-attr]
    assert cue_for("according to") is not None and cue_for("according to").names_source  # type: ignore[union-attr]
    assert parse_lexicon(["# comment", "call obj", ""])["call"].takes_object
