"""One person, one name: suffixes, long titles, family-name-first names, title-case phrases and heading labels."""

from __future__ import annotations

import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from retrieval.identity.keys import entity_id, family_name, opens_with_particle, person_key
from retrieval.quotes import extract_statements
from retrieval.quotes.gender import census_sexes, given_names, honorific_sexes
from retrieval.quotes.names import analyse, person_names, surname
from retrieval.quotes.speakers import NameIndex


def _speakers(text: str) -> dict[str, str | None]:
    """Return each statement's first words mapped to its speaker, checking every span is verbatim."""
    sts = extract_statements(text, "t")
    assert all(text[st.start : st.end] == st.text for st in sts)
    return {" ".join(st.text.split()[:3]): st.speaker for st in sts}


@pytest.mark.parametrize(
    ("name", "family"),
    [("Walter P. Dunmore Jr.", "Dunmore"), ("Edwin Castell III", "Castell"), ("Rosa Lind", "Lind"), ("Jr.", "Jr.")],
)
def test_a_generational_suffix_is_not_the_surname(name: str, family: str) -> None:
    assert family_name(name) == family
    assert surname(name) == family.strip(".").lower()


def test_a_bare_surname_finds_the_full_name_that_ends_in_a_suffix() -> None:
    text = (
        "Port commissioner Walter P. Dunmore Jr. toured the docks on Friday.\n\n"
        "“The cranes are older than I am,” Dunmore said."
    )
    assert _speakers(text) == {"The cranes are": "Walter P. Dunmore Jr."}


def test_a_surname_alone_is_completed_past_the_given_name_al() -> None:
    text = "Organizer Al Pettway spoke first.\n\n“The bridge will not open this year,” Pettway said."
    assert _speakers(text) == {"The bridge will": "Al Pettway"}


@pytest.mark.parametrize(
    ("mention", "name"),
    [
        ("Commission President Marta von der Ruhe", "Marta von der Ruhe"),
        ("Brazilian President Maria Souza da Costa", "Maria Souza da Costa"),
        ("Syrian envoy Karim al-Haddad", "Karim al-Haddad"),
    ],
)
def test_a_surname_with_particles_or_an_arabic_article_is_named_whole(mention: str, name: str) -> None:
    assert analyse(mention).name == name
    assert [n for _, n in person_names(f"{mention} spoke on Monday.")] == [name]


def test_a_surname_alone_is_completed_past_its_particles_and_article() -> None:
    text = (
        "Commission President Marta von der Ruhe and envoy Karim al-Haddad met on Monday.\n\n"
        "“We will not wait,” Von der Ruhe said.\n\n"
        "“Nor will we,” Haddad said."
    )
    assert _speakers(text) == {"We will not": "Marta von der Ruhe", "Nor will we,": "Karim al-Haddad"}


@pytest.mark.parametrize(
    ("name", "particle"),
    [("Al Pettway", False), ("Van Tassel", True), ("de Blasio", True), ("Al Said Hamdan", True), ("al Pettway", True)],
)
def test_only_a_lower_case_or_longer_al_is_a_particle(name: str, particle: bool) -> None:
    assert opens_with_particle(name) is particle


def test_a_long_title_does_not_cut_the_name_off() -> None:
    text = (
        "Harbor Plan Stalls.\n\n"
        "The plan was opposed by Harbor Board Chairwoman Lorna K. Whitcombe on Monday.\n\n"
        "“We cannot pay for this twice,” Whitcombe said."
    )
    assert "Lorna K. Whitcombe" in [n for _, n in person_names(text)]
    assert _speakers(text) == {"We cannot pay": "Lorna K. Whitcombe"}


def test_a_title_the_role_words_miss_is_cut_at_the_first_name() -> None:
    text = "The deal was praised by Harbor Pilots Guild Treasurer-Secretary Gary Osterhout on Tuesday."
    assert [n for _, n in person_names(text)] == ["Gary Osterhout"]
    # "Dakota" is a given name too, but a name does not run on for five words after it
    text = "It was opposed by North Dakota Harbor Guild Committeeman Curly Haugstad."
    assert [n for _, n in person_names(text)] == ["Curly Haugstad"]


def test_the_census_given_names_ship_and_rebuild_from_their_package(tmp_path: Path) -> None:
    assert {"Andy", "Linda", "Pat"} <= given_names() and not {"Harbor", "Committeeman"} & given_names()
    assert (census_sexes()["Dwight"], census_sexes()["Gwendolyn"], census_sexes()["Leslie"]) == (1, -1, 0)
    pytest.importorskip("names")  # a dev dependency
    script = Path(__file__).resolve().parents[2] / "scripts" / "census_names.py"
    out = tmp_path / "census.txt"
    done = subprocess.run([sys.executable, str(script), "--out", str(out)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    shipped = resources.files("retrieval.quotes").joinpath("data", "census_first_names.txt").read_bytes()
    assert out.read_bytes() == shipped


def test_an_honorific_before_a_family_name_that_comes_first() -> None:
    text = (
        "Steel Talks Resume.\n\n"
        "Trade minister Wen Haoyu met the delegation in Geneva.\n\n"
        "“Our steel is sold at a fair price,” Mr. Wen told reporters."
    )
    assert _speakers(text) == {"Our steel is": "Wen Haoyu"}


def test_a_title_case_phrase_is_not_a_second_person_sharing_a_first_name() -> None:
    text = (
        "Budget Vote Fails.\n\n"
        "Councilwoman Marisol Ibarra voted against the plan, and other members just watched the clock.\n\n"
        "A post titled Marisol Just Sank The Budget was shared widely.\n\n"
        "Marisol said the city “cannot borrow its way out of this.”"
    )
    assert _speakers(text)["the city “cannot"] == "Marisol Ibarra"


def test_a_lake_is_not_a_person() -> None:
    assert [n for _, n in person_names("Boats on Lake Winnetka were idle while Mayor Ida Crane spoke.")] == [
        "Ida Crane"
    ]


def test_credit_and_heading_labels_are_not_speakers() -> None:
    text = (
        "Ferry fares will rise next month, the authority said.\n\n"
        "Contributing: Pat Olsen and Dee Marsh.\n\n"
        "WOW: the new boats have bigger windows than the old ones.\n\n"
        "Survey: Most riders would pay more for later sailings."
    )
    labelled = {st.mention for st in extract_statements(text, "t") if st.mention in {"Contributing", "WOW", "Survey"}}
    # a credit line and a one-off exclamation are no one; a survey is a source that speaks
    assert labelled == {"Survey"}


def test_a_transcript_speaker_label_is_kept_even_when_the_story_never_names_them_again() -> None:
    text = (
        "HOLLIS: Let us turn to the harbor budget first tonight.\n\n"
        "MERRIN: Thank you, it is a pleasure to be here with you.\n\n"
        "HOLLIS: So why should taxpayers pay for the new boats?"
    )
    assert [st.mention for st in extract_statements(text, "t")] == ["HOLLIS", "MERRIN", "HOLLIS"]


@pytest.mark.parametrize(
    ("mention", "name", "role"),
    [
        ("WKRP’s Andy Travis", "Andy Travis", "WKRP’s"),
        ("Harbor Radio News Linda Park", "Linda Park", "Harbor Radio News"),
        ("Comedian Sarah Ostrow", "Sarah Ostrow", "Comedian"),
        ("Sens. Mary Holt", "Mary Holt", "Sens."),
        ("Senate Minority Whip Paul Ortega", "Paul Ortega", "Senate Minority Whip"),
        ("Treasury Department Inspector General Ruth Kemp", "Ruth Kemp", "Treasury Department Inspector General"),
    ],
)
def test_an_owner_employer_or_capitalised_role_before_a_name_is_the_role(mention: str, name: str, role: str) -> None:
    parts = analyse(mention)
    assert (parts.name, parts.role, parts.kind) == (name, role, "person")


@pytest.mark.parametrize("mention", ["Bureau of Labor Statistics", "Putin’s Office", "Harbor Sachs Group"])
def test_an_organisations_own_words_are_no_person(mention: str) -> None:
    assert analyse(mention).kind == "organisation"


@pytest.mark.parametrize(
    "mention",
    ["Southern Company’s Georgia Power", "Nike’s Jordan Brand", "Disney’s Star Wars", "Bank of America Merrill"],
)
def test_a_place_or_a_word_after_an_owner_is_no_given_name(mention: str) -> None:
    assert analyse(mention).kind == "organisation"


def test_a_very_long_title_keeps_the_name_after_it() -> None:
    text = "Former New York City Police Department Deputy Commissioner Lena Marsh said so."
    assert [n for _, n in person_names(text)] == ["Lena Marsh"]


def test_an_honorific_of_the_other_sex_takes_no_full_name_by_its_first_word() -> None:
    text = (
        "Investors Gather.\n\n"
        "Warren Holbrook praised the bill, and he said he would buy more bonds.\n\n"
        "“It is a giveaway to the banks,” Ms. Warren said."
    )
    assert _speakers(text)["It is a"] != "Warren Holbrook"


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Ben Rhodes", "Benjamin J. Rhodes", True),
        ("Dick Durbin", "Richard J. Durbin", True),
        ("Bill de Blasio", "William de Blasio", True),
        ("Joe Biden Jr.", "Joseph Biden Jr.", True),
        ("Joe Biden", "Joe Biden Jr.", False),  # a suffix is identity
        ("Chris Dalton", "Christopher Dalton", False),  # "Chris" stands for several formal names
        ("Ben Rhodes", "Bernard Rhodes", False),
    ],
)
def test_a_short_given_name_keys_the_same_person_as_the_formal_one(a: str, b: str, same: bool) -> None:
    assert (person_key(a) == person_key(b)) is same


def test_a_role_named_by_its_owner_keeps_every_word_of_its_id() -> None:
    # a person's middle names are not identity, an owner's words are: "White House" is not "White"
    assert entity_id("White House spokesman", "person") == "white-house-spokesman"
    assert entity_id("Joseph R. Biden Jr.", "person") == "joseph-biden-jr"


def test_an_honorific_finds_its_person_past_a_suffix() -> None:
    text = "Carl R. Voss Jr. spoke first. Mr. Voss said the talks were over. Ana Reyes agreed; Mrs. Reyes left."
    assert honorific_sexes(text, ["Carl R. Voss Jr.", "Ana Reyes"]) == {"Carl R. Voss Jr.": 1, "Ana Reyes": -1}


@pytest.mark.parametrize(
    ("headline", "speaker"),
    [
        ("Martha Quillen Takes On The Port Authority", "Martha Quillen"),  # the headline completes the body's surname
        ("Will Quillen Take On The Port Authority?", "Quillen"),  # "will" is a word of the article: no given name
        ("Harbor Fight Heats Up As Quillen Swings", "Quillen"),  # no given name before it
    ],
)
def test_a_title_case_headline_completes_a_surname_the_body_writes_alone(headline: str, speaker: str) -> None:
    text = (
        f"{headline}\n\n"
        "The port authority will meet on Monday to vote on the new lease for the eastern terminal.\n\n"
        "“The lease is a giveaway,” Quillen said."
    )
    assert _speakers(text) == {"The lease is": speaker}


def test_a_transcripts_capitals_are_the_name_as_the_article_writes_it() -> None:
    text = (
        "Harbor Debate Transcript.\n\n"
        "Radio host Nina Marsh moderated the debate with Mayor Tom Okafor at the library on Tuesday.\n\n"
        "NINA MARSH: Mayor, what will the new lease cost the city over ten years?\n\n"
        "OKAFOR: Less than the old one did, and the terminal stays open all year.\n\n"
        "MARSH: Thank you, Mayor, we will come back to the budget in a moment.\n\n"
        "WKRP: The station said the debate drew its largest audience of the year.\n\n"
        "DEREK VALE: The lease is a giveaway and the mayor knows it full well."
    )
    assert _speakers(text) == {
        "Mayor, what will": "Nina Marsh",
        "Less than the": "Tom Okafor",
        "Thank you, Mayor,": "Nina Marsh",
        "The station said": "WKRP",  # an acronym is written no other way
        "The lease is": "Derek Vale",  # never written otherwise, but "Derek" is a given name
    }


@pytest.mark.parametrize(
    ("mention", "name", "kind"),
    [
        ("Pima County Recorder Alma Reyes", "Alma Reyes", "person"),  # an office the title words do not list
        ("Lake County Assessor Dwight Olsen", "Dwight Olsen", "person"),
        ("Tarrant County Clerk Mary Louise Garcia", "Mary Louise Garcia", "person"),
        ("Bank of America Merrill Lynch", "Bank of America Merrill Lynch", "organisation"),  # no agent noun before
        ("Chicago Alderman Jason C. Ervin", "Jason C. Ervin", "person"),
    ],
)
def test_an_office_after_its_owner_is_a_role_not_part_of_the_name(mention: str, name: str, kind: str) -> None:
    parts = analyse(mention)
    assert (parts.name, parts.kind) == (name, kind)


def test_a_short_form_is_the_one_organisation_the_article_names_in_full() -> None:
    text = (
        "Port Spending Questioned.\n\n"
        "The Harbor City Tribune reported on Sunday that the port had spent millions on consultants last year.\n\n"
        "On Monday the Tribune said the spending was “far above what the board approved,” citing invoices.\n\n"
        "The Gazette said the port declined to comment when it was asked about the invoices on Monday.\n\n"
        "The House voted to cut the port’s budget, and the White House said the cut was “overdue.” "
        "The House said its members had “lost trust in the port.”"
    )
    speakers = _speakers(text)
    assert speakers["the port had"] == "Harbor City Tribune"
    assert speakers["the spending was"] == "Harbor City Tribune"  # "the Tribune": the one Tribune named in full
    assert speakers["the port declined"] == "Gazette"  # never named in full: left as written
    assert speakers["its members had"] == "House"  # the House is not the White House


def test_a_census_first_name_tells_he_from_she_when_the_prior_does_not_know_it() -> None:
    from retrieval.quotes.gender import first_names
    from retrieval.quotes.speakers import NameIndex

    assert not {"Gwendolyn", "Dwight", "Tracy"} & set(first_names())  # none of them in the PolNeAR prior
    index = NameIndex(
        "Harbor Vote Delayed.\n\n"
        "Dwight Olsen, the harbor master, met Gwendolyn Park and Tracy Moran on Monday about the lease."
    )
    assert not index.agrees("Gwendolyn Park", "he") and index.agrees("Gwendolyn Park", "she")
    assert not index.agrees("Dwight Olsen", "she")
    assert index.agrees("Tracy Moran", "he") and index.agrees("Tracy Moran", "she")  # a name of either sex
    # the "He" being resolved is the one pronoun after her name: it alone does not make her a man
    text = "Gwendolyn Park said the lease was “a giveaway.” He said the vote would go ahead in March."
    assert _speakers(text) == {"the lease was": "Gwendolyn Park", "the vote would": None}


def test_a_name_written_with_letters_past_ascii_is_a_full_name() -> None:
    text = (
        "Budget Talks Stall.\n\n"
        "Representative Zoë Lindqvist met Mayor José Díaz-Ortega in Tucson on Monday about the budget.\n\n"
        "“We are not there yet,” Lindqvist said after the meeting. “It is a long road,” Díaz-Ortega said."
    )
    assert [n for _, n in person_names(text)][1:] == ["Zoë Lindqvist", "José Díaz-Ortega"]
    assert set(_speakers(text).values()) == {"Zoë Lindqvist", "José Díaz-Ortega"}
    # a trailing possessive apostrophe is not part of the name
    assert [n for _, n in person_names("It was Rosa Lind' campaign.")] == ["Rosa Lind"]


def test_a_folded_name_keys_as_its_written_form_does() -> None:
    # a speaker lookup keys the folded, lower-case name: its initial must not be taken for the given name
    assert person_key("f jim sensenbrenner jr").lower() == person_key("F. Jim Sensenbrenner Jr.").lower()


@pytest.mark.parametrize("dateline", ["HARLOW, July 25 (Wire) —", "HARLOW, Ore. —", "HARLOW —", "HARLOW, Aug. 3 —"])
def test_a_datelines_town_date_and_wire_are_no_speaker(dateline: str) -> None:
    text = (
        "Council apologises.\n\n"
        f"{dateline} The Harlow City Council released a statement on Monday, offering “a deep and sincere apology” "
        "to residents after the flood warnings went out late."
    )
    assert _speakers(text)["a deep and"] == "Harlow City Council"


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Texas Sen. Ted Cruz spoke first.", ["Ted Cruz"]),
        ("During Mr. Clinton's presidency, rates fell.", []),
        ("Donald Trump Jr. spoke first.", ["Donald Trump Jr."]),
        ("The award went to Betty White.", ["Betty White"]),  # a surname that is also a title word, not abbreviated
    ],
)
def test_a_run_of_capitals_ending_in_a_title_is_no_name(text: str, names: list[str]) -> None:
    assert [name for _, name in person_names(text)] == names


@pytest.mark.parametrize(
    ("sentence", "speaker", "kind"),
    [
        ("“The rule is unlawful,” the NLRB said in a filing.", "NLRB", "organisation"),
        ("“The rule is unlawful,” SeaTrek said in a filing.", "SeaTrek", "organisation"),
        ("“The rule is unlawful,” Ledgerwatch.org said in a post.", "Ledgerwatch.org", "organisation"),
        # surnames with a capital inside, and a transcript's label in capitals, stay people
        ("“The rule is unlawful,” McAvoy said in a filing.", "McAvoy", "person"),
        ("“The rule is unlawful,” DeMarco said in a filing.", "DeMarco", "person"),
        # a family named by the plural of a surname the article writes alone
        ("Dale Orwell thanked them, and Orwell smiled. “We are grateful,” the Orwells said.", "Orwells", "group"),
        # a surname ending in s whose singular is a given name followed by a surname is one person
        ("Brett Adamo spoke first. “We are grateful,” Roberts said, as did Robert Lyle.", "Roberts", "person"),
        ("Prince William visited the base. “We are grateful,” Williams said.", "Williams", "person"),
        ("The Hill reported it first. “We are grateful,” Hills said.", "Hills", "person"),
        ("“The rule is unlawful,” FitzGerald said in a filing.", "FitzGerald", "person"),
    ],
)
def test_a_one_word_speaker_is_an_organisation_or_family_by_its_shape(sentence: str, speaker: str, kind: str) -> None:
    st = next(st for st in extract_statements(f"Notes.\n\n{sentence}", "t") if st.text.startswith(("The rule", "We")))
    assert (st.speaker, st.speaker_kind) == (speaker, kind)


def test_a_capitals_label_is_the_person_whose_surname_it_is() -> None:
    text = "Transcript.\n\nJAKE MORROW: Good morning.\n\nMORROW: Welcome back to the show, and thank you for watching."
    kinds = {(st.speaker, st.speaker_kind) for st in extract_statements(text, "t")}
    assert kinds == {("Jake Morrow", "person")}
    # a label in capitals no full name explains is still a person, never an acronym's organisation
    debate = (
        "Debate.\n\nHOLT: Good evening and welcome to the first debate tonight.\n\n"
        "QUINCE: We are going to build the bridge and it will be great.\n\nHOLT: Thank you for that answer.\n\n"
        "QUINCE: You are welcome, and I mean it very much."
    )
    assert {st.speaker_kind for st in extract_statements(debate, "t")} == {"person"}


@pytest.mark.parametrize(
    ("intro", "later", "speaker"),
    [
        ("Ohio-born Dana Whitfield", "Whitfield", "Dana Whitfield"),
        ("West Nebraska-based Omar Haddad", "Haddad", "Omar Haddad"),
    ],
)
def test_a_capitalised_modifier_is_not_part_of_the_name(intro: str, later: str, speaker: str) -> None:
    text = f"Notes.\n\n{intro} spoke.\n\n“The bridge will not open this year,” {later} said."
    assert _speakers(text) == {"The bridge will": speaker}


@pytest.mark.parametrize(
    ("run", "name"),
    [
        ("Why Omar Haddad", "Omar Haddad"),  # a headline's question word
        ("Neither Dana Whitfield", "Dana Whitfield"),
        ("Democrats Dana Whitfield", "Dana Whitfield"),  # "Democrats Dana Whitfield, Omar Haddad and ..."
        ("Meanwhile Omar Haddad", "Omar Haddad"),
        ("Will Haddad", "Will Haddad"),  # a given name that is also a verb stays
    ],
)
def test_a_word_opening_a_sentence_is_no_part_of_a_name(run: str, name: str) -> None:
    assert NameIndex(f"Notes.\n\n{run} spoke on Monday.").clean(run) == name


def test_mr_and_mrs_of_one_surname_are_two_people_and_neither_takes_the_full_name_blindly() -> None:
    # the one Qureshi named in full may be the husband or the wife: no honorific vote and no blind expansion
    text = (
        "Parents answer critics\n\n"
        "Zarmina Qureshi spoke briefly at the rally while her husband addressed the crowd.\n\n"
        "Mr. Qureshi said he had carried the letter for years. “I will read it to anyone,” he said.\n\n"
        "Mrs. Qureshi later wrote that she had been too overcome to speak.\n\n"
        "Mr. Qureshi told reporters on Sunday that he would not be silenced."
    )
    said = _speakers(text)
    assert said["he had carried"] == said["he would not"] == said["I will read"] == "Mr. Qureshi"
    assert said["she had been"] == "Mrs. Qureshi"
    assert NameIndex(text).gender("Zarmina Qureshi") != 2


def test_mr_alone_still_finds_the_one_full_name() -> None:
    text = "Budget row\n\nOmar Qureshi toured the port.\n\nMr. Qureshi said the port was “ready for the ships.”"
    assert _speakers(text) == {"the port was": "Omar Qureshi"}
