"""Who "the nominee", "the mayor" and "the campaign" are: the one the article names so, if the words fit."""

from __future__ import annotations

import pytest

from retrieval.models import Statement
from retrieval.quotes import extract_statements


def _said(text: str, words: str) -> Statement:
    """Return the first statement holding `words`, checking every statement's span is verbatim."""
    sts = extract_statements(text, "t")
    assert all(text[st.start : st.end] == st.text for st in sts)
    found = [st for st in sts if words in st.text]
    assert found, f"no statement holds {words!r}"
    return found[0]


def _speaker_of(text: str, words: str) -> str | None:
    """Return the speaker of the statement holding `words`."""
    return _said(text, words).speaker


def _kind(text: str, words: str) -> tuple[str | None, str | None]:
    """Return the speaker and speaker kind of the statement holding `words`."""
    st = _said(text, words)
    return st.speaker, st.speaker_kind


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


def test_a_role_named_first_and_its_holder_in_apposition_is_that_holder() -> None:
    text = (
        "The company's chief executive, Laura Chen, said the plant had lost money for years.\n\n"
        "“We looked at every option,” the executive said."
    )
    assert _speaker_of(text, "every option") == "Laura Chen"


def test_a_role_mention_with_its_holder_in_apposition_is_the_holder() -> None:
    text = "The Chancellor, Rachel Reeves, has defended her spending plans against the unions."
    assert _speaker_of(text, "spending plans") == "Rachel Reeves"


def test_a_shadow_or_deputy_holder_is_not_the_role() -> None:
    text = (
        "The Chancellor, Rachel Reeves, spoke in Leeds on Monday.\n\n"
        "The shadow chancellor, Mel Stride, accused the government of breaking its promises.\n\n"
        "The chancellor said she “will not change course.”"
    )
    assert _speaker_of(text, "change course") == "Rachel Reeves"


def test_a_role_before_a_clause_opened_by_a_titled_name_is_no_apposition() -> None:
    text = (
        "Mayor Luis de Souza opened the bridge.\n\n"
        "When he first ran for mayor, Mr. Obama spoke of bridges.\n\n"
        "The mayor said the bridge “took too long to build.”"
    )
    assert _speaker_of(text, "took too long") == "Luis de Souza"


def test_an_indefinite_role_is_nobody_the_article_named() -> None:
    text = (
        "Campaign spokeswoman Rita Moss declined to comment on Monday.\n\n"
        "A spokeswoman for the governor said the budget “is balanced.”"
    )
    assert _speaker_of(text, "is balanced") != "Rita Moss"


def test_a_campaign_named_in_the_mention_is_that_campaign_not_the_last_one_named() -> None:
    text = (
        "Dana Whitfield and Sam Ortega met voters on Monday.\n\n"
        "The Ortega campaign said the rally “drew thousands.”\n\n"
        "The Whitfield campaign said the numbers “were made up.”\n\n"
        "Dana Whitfield’s campaign later said it “stands by every word.”\n\n"
        "Whitfield’s presidential campaign said the tour “will go on.”"
    )
    assert _said(text, "drew thousands").speaker == "Ortega campaign"
    ids = {_said(text, w).speaker_id for w in ("were made up", "stands by every word", "will go on")}
    assert ids == {"whitfield-campaign"}


def test_a_possessive_s_apostrophe_and_a_sentence_opener_are_no_part_of_the_owner() -> None:
    text = (
        "Chris Jones spoke in Ohio.\n\n"
        "Chris Jones’ campaign said it raised “more than ever.”\n\n"
        "After campaign stops in Iowa, the campaign said the polls “look good.”"
    )
    assert _said(text, "more than ever").speaker == "Jones campaign"
    assert _said(text, "look good").speaker == "Jones campaign"


def test_an_organisation_whose_name_holds_of_or_and_is_one_organisation() -> None:
    text = (
        "The Department of Rural Affairs said the grants were “already paid.”\n\n"
        "The Office of Budget and Planning said the figures were “final.”"
    )
    assert _kind(text, "already paid") == ("Department of Rural Affairs", "organisation")
    assert _kind(text, "were “final") == ("Office of Budget and Planning", "organisation")


def test_the_place_after_a_persons_name_is_not_the_person() -> None:
    text = "“We will vote no,” said Representative Peter T. Larkin of New York."
    assert _speaker_of(text, "We will vote no") == "Peter T. Larkin"


def test_the_friends_of_a_person_are_not_the_person() -> None:
    text = "Supporters of Dana Whitfield said the result was “a triumph.”"
    assert _speaker_of(text, "a triumph") != "Dana Whitfield"


def test_a_company_is_an_organisation_and_its_first_word_names_it() -> None:
    text = (
        "Acme Energy said the plant was “safe to run.”\n\n"
        "Later on Monday, Acme said the repairs “are done.”\n\n"
        "Republican Party leaders met too. The Republican said the vote was “a disgrace.”"
    )
    assert _kind(text, "safe to run") == ("Acme Energy", "organisation")
    assert _kind(text, "are done") == ("Acme Energy", "organisation")
    assert _said(text, "a disgrace").speaker != "Republican Party"  # a person of the party, not the party


@pytest.mark.parametrize(
    ("text", "words", "speaker"),
    [
        # a surname ending in "s" is no organisation
        ("Tyra Banks said the show was “over.”", "over", "Tyra Banks"),
        # "the vice president" is the one the article titled so
        (
            "Vice President Joe Biden spoke. The vice president said the plan was “a good start.”",
            "good start",
            "Joe Biden",
        ),
        # a title's words stop at the sentence and at another phrase ("A former aide to Sen. X")
        (
            "A former aide to Sen. Ted Cruz spoke. Sen. Chuck Schumer spoke. The former senator said it was “a farce.”",
            "a farce",
            "former senator",
        ),
        # the party the article gives the holder outranks words near the title
        (
            "Lindsey Graham, the Republican senator, spoke. Sen. Chuck Schumer (D-N.Y.) spoke. "
            "The Republican senator said the vote was “a farce.”",
            "a farce",
            "Lindsey Graham",
        ),
        # an office's own words, not "House office"
        ("The White House press office said the trip was “off.”", "off", "White House press office"),
        # a name the article writes as a person's is not the organisation it opens
        (
            "Mr. Trump arrived late. Officials at the Trump Organization were silent. Trump said it was “great.”",
            "great",
            "Trump",
        ),
        # a middle initial after a title still makes a full name, so the bare surname later is that person
        (
            "FBI Director James B. Comey testified. Later, Comey said the review was “complete.”",
            "complete",
            "James B. Comey",
        ),
        # a semicolon inside quoted words ends nothing
        ('Smith said the rules, which were "unfair; unjust; wrong," must go.', "must go", "Smith"),
    ],
)
def test_review_cases(text: str, words: str, speaker: str) -> None:
    assert _speaker_of(text, words) == speaker


@pytest.mark.parametrize(
    "text",
    [
        "At the hearing on Tuesday Jones said that the rules were unfair.",
        "During the visit to Paris Obama said that the rules were unfair.",
    ],
)
def test_an_opening_phrase_lends_no_words_to_a_misattached_subject(text: str) -> None:
    assert all(st.speaker not in {"Tuesday Jones", "Paris Obama"} for st in extract_statements(text, "t"))


def test_a_role_held_for_someone_is_named_with_its_owner() -> None:
    text = (
        "Rivals traded blows on Monday.\n\n"
        "Sen. Nadia Corvell voted against the bill.\n\n"
        "A spokeswoman for Corvell said the senator would not change her vote.\n\n"
        "A spokesman for the Harlow County Sheriff's Office said no arrests were made.\n\n"
        "A spokesman for the campaign said nothing would change.\n\n"
        "Asked again, she said the vote was final."
    )
    st = _said(text, "would not change her vote")
    assert (st.speaker, st.speaker_kind, st.speaker_id) == (
        "Nadia Corvell’s spokeswoman",
        "person",
        "nadia-corvell-spokeswoman",
    )
    assert _speaker_of(text, "no arrests") == "Harlow County Sheriff's Office spokesman"
    assert _speaker_of(text, "nothing would change") == "spokesman"  # no proper owner: the article's spokesman


def test_his_campaign_and_his_aide_are_the_ones_of_the_man_his_stands_for() -> None:
    text = (
        "The race tightened on Monday.\n\n"
        "Sen. Nadia Corvell led the polls. Gov. Alan Marsh trailed her by four points.\n\n"
        "His campaign said the gap would close by March.\n\n"
        "Her campaign said the lead would hold. Marsh was in Dayton. His chief aide said he would debate her."
    )
    assert _kind(text, "gap would close") == ("Marsh campaign", "organisation")
    assert _kind(text, "lead would hold") == ("Corvell campaign", "organisation")
    assert _kind(text, "would debate her") == ("Alan Marsh’s aide", "person")


@pytest.mark.parametrize(
    "between",
    ["YouTube on Monday", "YouTube in London", "Sen. Nadia Corvell in Washington", "Trump and Pence",
     "Facebook Thursday", "the family"],
)  # fmt: skip
def test_a_role_held_for_words_that_are_no_whole_name_keeps_its_article_entity(between: str) -> None:
    text = f"Rivals traded blows.\n\nA spokesman for {between} said the post was removed."
    st = _said(text, "post was removed")
    assert st.speaker == "spokesman" and st.speaker_id is not None and "--" in st.speaker_id


def test_the_role_again_is_the_spokesperson_just_quoted() -> None:
    text = (
        "A Google spokesperson said the company would consider an appeal.\n\n"
        "“We respectfully disagree with the conclusions,” the spokesperson said."
    )
    assert _speaker_of(text, "respectfully disagree") == "Google spokesperson"


def test_the_company_again_is_the_one_just_quoted_but_not_a_union() -> None:
    text = (
        "Acme Corp. said in a statement that it had already changed its practices.\n\n"
        "The company added that it would “engage constructively” with regulators."
    )
    assert _speaker_of(text, "engage constructively") == "Acme Corp."
    union = (
        "Pay talks with Norvell Telecom broke down on Monday.\n\n"
        "The Communications Workers of America said the offer was “an insult.”\n\n"
        "The company said that the offer was “fair and final.”"
    )
    assert _speaker_of(union, "fair and final") != "Communications Workers of America"


def test_the_company_is_not_a_person_just_quoted() -> None:
    text = (
        "Donald Trump said the tower would open in May.\n\n"
        "“It will be beautiful,” Trump said.\n\n"
        "The company said that the opening “may slip.”"
    )
    assert _speaker_of(text, "may slip") != "Donald Trump"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("The Pentagon said on Monday that it had cancelled the deal with Boeing. The company said it would appeal.",
         "would appeal"),
        ("Jones said the deal was off and nothing more could be done this year. The company said it would sue.",
         "would sue"),
    ],
)  # fmt: skip
def test_the_company_is_no_government_body_or_person_just_quoted(text: str, words: str) -> None:
    assert _speaker_of(text, words) not in ("Pentagon", "Jones")


def test_an_acting_holder_is_not_the_role_again() -> None:
    text = "The acting director said staff were tired.\n\nThe director said “pay is too low.”"
    assert _speaker_of(text, "pay is too low") != "acting director"


def test_a_holder_whose_own_title_differs_is_not_the_role() -> None:
    text = (
        "President Joe Biden met troops on Monday. The president, Vice President Kamala Harris, and the first lady "
        "greeted them.\n\n“We are grateful,” the president said."
    )
    assert _speaker_of(text, "We are grateful") == "Joe Biden"


def test_a_rank_written_in_lower_case_still_finds_its_holder() -> None:
    text = "Labour's shadow chancellor Mel Stride attacked the plan.\n\nThe shadow chancellor said it was “unfair.”"
    assert _speaker_of(text, "unfair") == "Mel Stride"
