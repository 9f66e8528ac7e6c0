"""Who "the Ohio senator" and "the businessman" are: the person named just before whom the article says it of."""

from __future__ import annotations

import pytest

from retrieval.quotes import extract_statements
from retrieval.quotes.epithets import Description, describe


def _speaker_of(text: str, words: str) -> str | None:
    """Return the speaker of the first statement holding `words`, checking every span is verbatim."""
    sts = extract_statements(text, "t")
    assert all(text[st.start : st.end] == st.text for st in sts)
    found = [st for st in sts if words in st.text]
    assert found, f"no statement holds {words!r}"
    return found[0].speaker


def test_a_state_tag_tells_which_person_named_before_the_description_it_is() -> None:
    # no title names either as a senator: the tags say which one is Vermont's
    text = (
        "Budget talks stalled.\n\n"
        "Dale Pruitt (R-Ohio) met Ana Kessler (D-Vt.) on Monday.\n\n"
        "“We will find the money,” the Vermont senator said."
    )
    assert _speaker_of(text, "find the money") == "Ana Kessler"


def test_the_nearest_title_holder_of_another_state_is_not_the_description() -> None:
    text = (
        "Budget talks stalled.\n\n"
        "Sen. Ana Kessler (D-Vt.) spoke first. Sen. Dale Pruitt (R-Ohio) spoke later.\n\n"
        "“We will find the money,” the Vermont senator said."
    )
    assert _speaker_of(text, "find the money") == "Ana Kessler"


def test_an_office_the_article_confirms_of_nobody_is_left_unresolved() -> None:
    # nothing says Graves is a senator, let alone Ohio's: "the Ohio senator" may be anyone
    text = "Budget talks stalled.\n\nTom Graves spoke first.\n\n“We will find the money,” the Ohio senator said."
    assert _speaker_of(text, "find the money") == "Ohio senator"


def test_a_sitting_president_is_not_the_former_president() -> None:
    # no "former President Hal Becker" anywhere: Lind is titled a sitting president, Becker is the one left
    text = (
        "The rally was loud.\n\n"
        "Hal Becker (D-Ohio) waved to President Mara Lind from the stage.\n\n"
        "“It was a fine day,” the former Ohio president said."
    )
    assert _speaker_of(text, "fine day") == "Hal Becker"


def test_a_self_evident_noun_is_the_only_person_leading_the_sentence_before() -> None:
    text = (
        "The deal closed.\n\n"
        "Walter Brandt bought the tower last spring for a record sum.\n\n"
        "“It is the best building in the city,” the real estate mogul said."
    )
    assert _speaker_of(text, "best building") == "Walter Brandt"


def test_a_name_after_someone_else_s_he_is_not_who_the_description_means() -> None:
    # the donor is "he"; Brandt is only whom he mentioned
    text = (
        "The gala raised millions.\n\n"
        "The donor stayed quiet, but he said he found Walter Brandt charming.\n\n"
        "“It was a lovely evening,” the casino tycoon said."
    )
    assert _speaker_of(text, "lovely evening") == "casino tycoon"


def test_two_people_the_description_fits_equally_are_left_unresolved() -> None:
    text = (
        "The deal closed.\n\n"
        "Walter Brandt sold the tower to Gus Keller last spring.\n\n"
        "“It is the best building in the city,” the businessman said."
    )
    assert _speaker_of(text, "best building") == "businessman"


def test_a_party_the_description_names_must_be_the_persons() -> None:
    text = (
        "The debate ended late.\n\n"
        "Ray Dunmore, a Republican, faced Iris Moyo, a Democrat, on Tuesday.\n\n"
        "Later, the Democratic candidate said the night “went our way.”"
    )
    assert _speaker_of(text, "went our way") == "Iris Moyo"


def test_an_appositive_description_is_no_evidence_of_the_name_before_it() -> None:
    # "Ana Pike, the Republican candidate said": the description is the speaker's, not Pike's apposition
    text = (
        "The interview aired Sunday.\n\n"
        "In an interview with hosts Ana Pike and Lee Ross, the Republican candidate said taxes “must fall.”"
    )
    assert _speaker_of(text, "must fall") == "Republican candidate"


@pytest.mark.parametrize(
    "mention, expected",
    [
        ("the Florida senator", Description("senator", None, "florida", False, False)),
        ("The New Jersey governor", Description("governor", None, "new jersey", False, False)),
        ("the former Democratic president", Description("president", "Democratic Party", None, True, False)),
        ("the billionaire real estate mogul", Description("mogul", None, None, False, False)),
        ("the senator", None),  # the title that names its holder decides, not the sentence before
        ("the other candidate", None),
        ("a businessman", None),
        ("the Clinton-era senator", None),
    ],
)
def test_describe_reads_a_definite_description(mention: str, expected: Description | None) -> None:
    assert describe(mention) == expected


def test_two_people_the_article_says_it_of_equally_are_left_unresolved() -> None:
    text = (
        "Budget talks stalled.\n\n"
        "Ana Kessler (D-Ohio) met Dale Pruitt (R-Ohio) on Monday.\n\n"
        "“We will find the money,” the Ohio senator said."
    )
    assert _speaker_of(text, "find the money") == "Ohio senator"


def test_a_town_that_starts_like_a_state_gives_no_state() -> None:
    text = (
        "Budget talks stalled.\n\n"
        "Ana Kessler of La Jolla spoke on Monday.\n\n"
        "“We will find the money,” the Louisiana senator said."
    )
    assert _speaker_of(text, "find the money") == "Louisiana senator"


def test_the_word_ending_the_sentence_before_a_name_is_no_title_of_it() -> None:
    # "... with President Obama. Marco Rubio": Rubio holds no presidency
    text = (
        "Budget talks stalled.\n\n"
        "The panel met with President Dana Obert. Marco Ruiz (R-Fla.) waited outside.\n\n"
        "“We will find the money,” the Florida senator said."
    )
    assert _speaker_of(text, "find the money") == "Marco Ruiz"


def test_a_rival_is_someone_else() -> None:
    text = (
        "The deal closed.\n\n"
        "Walter Brandt opened his campaign last spring.\n\n"
        "“He has no plan,” the rival candidate said."
    )
    assert _speaker_of(text, "no plan") == "rival candidate"
