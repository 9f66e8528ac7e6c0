"""The packaged word lists: one title and honorific list that name analysis, lookup, diffs and answers share."""

from __future__ import annotations

import pytest

from bot.golden.problems import speaker_matches
from retrieval.quotes.names import analyse
from retrieval.speakers import fold
from retrieval.wordlists import countries, female_honorifics, honorifics, name_prefixes, org_words, titles


def test_every_honorific_and_office_is_a_title_word() -> None:
    assert {"mr", "mrs", "ms", "miss", "dr", "sir"} == honorifics()
    assert female_honorifics() == {"mrs", "ms", "miss"}
    assert honorifics() <= name_prefixes() <= titles()
    assert {"senator", "president", "of", "white", "house"} <= titles()


def test_lists_are_read_once() -> None:
    assert titles() is titles()
    assert org_words() is org_words()


def test_countries_keep_the_canonical_spelling() -> None:
    assert countries()["north korea"] == "North Korea"
    assert countries()["u.s."] == "United States"


@pytest.mark.parametrize(
    ("mention", "name", "role"),
    [
        ("Sen. Elizabeth Warren", "Elizabeth Warren", "Sen."),
        ("Secretary of State John Kerry", "John Kerry", "Secretary of State"),
        ("Sir Keir Starmer", "Keir Starmer", "Sir"),
    ],
)
def test_name_analysis_reads_titles_as_role(mention: str, name: str, role: str) -> None:
    parts = analyse(mention)
    assert (parts.name, parts.role, parts.kind) == (name, role, "person")


@pytest.mark.parametrize(
    ("typed", "key"),
    [("Sen. Warren", "warren"), ("Miss Marple", "marple"), ("Sir Keir Starmer", "keir starmer"), ("the senator", "")],
)
def test_lookup_key_drops_honorifics_and_offices(typed: str, key: str) -> None:
    assert fold(typed) == key


def test_answer_check_ignores_the_same_honorifics() -> None:
    assert speaker_matches("Sir Starmer", "Keir Starmer")
    assert speaker_matches("Miss Marple", "Jane Marple")
    assert not speaker_matches("President Starmer", "Keir Starmer")  # an office is not part of a name here
