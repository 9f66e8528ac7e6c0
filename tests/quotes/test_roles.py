"""Who "the nominee" and "the mayor" are: the person the article names with that title, if the description fits."""

from __future__ import annotations

from retrieval.quotes import extract_statements


def _speaker_of(text: str, words: str) -> str | None:
    """Return the speaker of the statement holding `words`, checking spans are verbatim."""
    found = []
    for st in extract_statements(text, "t"):
        assert text[st.start : st.end] == st.text
        if words in st.text:
            found.append(st.speaker)
    assert found, f"no statement holds {words!r}"
    return found[0]


def test_a_party_in_the_description_rules_out_the_other_partys_holder() -> None:
    text = (
        "Democratic presidential nominee Sam Ortega toured the plant on Monday.\n\n"
        "Republican presidential nominee Dana Whitfield spoke later in the day.\n\n"
        "The Democratic nominee said the plant “will stay open as long as I have a say.”"
    )
    # the nearest "nominee X" is the Republican: the Democrat named earlier is the one who fits
    assert _speaker_of(text, "will stay open") == "Sam Ortega"


def test_no_holder_fits_leaves_the_role_unresolved() -> None:
    text = (
        "Republican presidential nominee Dana Whitfield spoke on Monday.\n\n"
        "The Democratic presidential nominee said the plan “is a gift to the few.”"
    )
    assert _speaker_of(text, "is a gift") != "Dana Whitfield"


def test_the_vice_presidential_holder_is_not_the_presidential_one() -> None:
    text = (
        "Democratic vice-presidential nominee Sam Ortega toured the plant.\n\n"
        "The Democratic presidential nominee said the tour “went well.”"
    )
    assert _speaker_of(text, "went well") != "Sam Ortega"


def test_the_former_president_is_not_the_sitting_one() -> None:
    text = "President Marta Lind signed the order on Monday.\n\nThe former president said the order “goes too far.”"
    assert _speaker_of(text, "goes too far") != "Marta Lind"


def test_a_vice_presidents_title_does_not_name_the_president() -> None:
    text = (
        "President Marta Lind and Vice President Joseph R. Kemp visited the port.\n\n"
        "The president said the port “needs deeper berths.”"
    )
    assert _speaker_of(text, "deeper berths") == "Marta Lind"


def test_holders_with_initials_and_particles_are_named_whole() -> None:
    text = "Mayor Luis de Souza opened the bridge on Friday.\n\nThe mayor said the bridge “took too long to build.”"
    assert _speaker_of(text, "took too long") == "Luis de Souza"


def test_a_place_before_a_new_clause_is_no_holder() -> None:
    text = "In Chelsea, the mayor said the flooding “was the worst in a decade.”"
    assert _speaker_of(text, "worst in a decade") != "Chelsea"


def test_an_indefinite_role_is_nobody_the_article_named() -> None:
    text = (
        "Campaign spokeswoman Rita Moss declined to comment on Monday.\n\n"
        "A spokeswoman for the governor said the budget “is balanced.”"
    )
    assert _speaker_of(text, "is balanced") != "Rita Moss"
