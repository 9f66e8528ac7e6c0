"""Who "he" and "she" are: the sex an article and the first-name prior tell, and how the prior is rebuilt."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest

from retrieval.identity.keys import scope_key
from retrieval.quotes import extract_statements, gender
from retrieval.quotes.evaluate import heldout_ids
from retrieval.quotes.speakers import NameIndex, by_writer

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "retrieval" / "quotes" / "data" / gender.FIRST_NAMES_FILE


def _speakers(text: str) -> list[tuple[str, str | None]]:
    """Return (statement words, speaker) for each statement, checking spans are verbatim."""
    out = []
    for st in extract_statements(text, "t"):
        assert text[st.start : st.end] == st.text
        if st.mention is not None:
            assert text[st.mention_start : st.mention_end] == st.mention
        out.append((st.text, st.speaker))
    return out


def _speaker_of(text: str, words: str) -> str | None:
    """Return the speaker of the statement holding `words`."""
    found = [sp for said, sp in _speakers(text) if words in said]
    assert found, f"no statement holds {words!r}"
    return found[0]


def test_the_shipped_prior_is_small_and_knows_common_names() -> None:
    assert SHIPPED.stat().st_size < 64 * 1024
    names = gender.first_names()
    assert names["Donald"][0] == 1 and names["Hillary"][0] == -1
    assert all(sex in (1, -1) and votes >= 1 for sex, votes in names.values())


# a woman speaks right after a man's quotation: her "she" is hers, not his
SCOLDED = (
    '"The agency ignored every warning we sent," said Paul Brennan, a retired inspector.\n\n'
    'Sen. Laura Whitcombe (D-Ore.) scolded the agency\'s director: "You were told twice and did nothing," she said.'
)


def test_she_after_a_mans_quote_is_the_woman_named_before_it() -> None:
    assert _speaker_of(SCOLDED, "ignored every warning") == "Paul Brennan"
    assert _speaker_of(SCOLDED, "told twice") == "Laura Whitcombe"


def test_an_honorific_tells_a_sex_the_prior_does_not_know() -> None:
    text = (
        '"We will appeal," said Peter Okafor, the company\'s lawyer.\n\n'
        "Ngozi Adeyemi, who brought the suit, was unmoved. Mrs. Adeyemi has waited six years. "
        '"They can appeal all they like," she said.'
    )
    assert "Ngozi" not in gender.first_names()
    assert _speaker_of(text, "appeal all they like") == "Ngozi Adeyemi"


def test_he_stays_with_the_last_man_who_spoke() -> None:
    text = (
        '"The bridge will open in May," said Peter Okafor, the city engineer. Laura Whitcombe, the mayor, '
        'did not comment.\n\n"We are ahead of schedule," he added.'
    )
    assert _speaker_of(text, "ahead of schedule") == "Peter Okafor"


def test_a_pronoun_nothing_contradicts_keeps_the_last_speaker() -> None:
    # no sex is known for either name: the news convention (the last speaker goes on) stands
    assert gender.prior("Kiri Tane") == (0, 0) and gender.prior("Ngaio Merin") == (0, 0)
    text = '"Rates will fall," said Kiri Tane. Ngaio Merin disagreed.\n\n"Not this year," she said.'
    assert _speaker_of(text, "Not this year") == "Kiri Tane"


def test_a_name_inside_a_quotation_is_nobody_a_pronoun_can_mean() -> None:
    # the only woman named is inside Brennan's words, and Brennan is surely a man: nobody is named
    text = '"Tell Laura Whitcombe the vote is off," said Paul Brennan.\n\n"She knew already," she said.'
    assert _speaker_of(text, "knew already") is None


def test_a_name_inside_the_pronouns_own_statement_is_nobody_it_can_mean() -> None:
    text = '"We will win," said Paul Brennan.\n\nLaura Whitcombe had misjudged the trade deal for years, she said.'
    assert _speaker_of(text, "misjudged the trade deal") is None


def test_a_pronoun_keeps_the_article_scope_of_a_common_noun_speaker() -> None:
    text = (
        "A company spokeswoman said the plant would close in June.\n\n"
        '"We will fight this," said Paul Brennan, the union leader.\n\n"That is not true," she said.'
    )
    (st,) = [s for s in extract_statements(text, "t") if "not true" in s.text]
    assert st.speaker is not None and "spokeswoman" in st.speaker
    assert st.speaker_id is not None and st.speaker_id.endswith(f"--{scope_key('t')}")  # of this article only


def test_a_rare_first_names_prior_yields_to_the_articles_own_pronouns() -> None:
    # a man's name in train, on little evidence (which one depends on the rebuilt prior)
    rare = sorted(n for n, (sex, votes) in gender.first_names().items() if sex == 1 and votes < gender.SURE_SUPPORT)
    assert rare
    text = f"The appeal failed, said {rare[0]} Lund. She said the family would try again."
    assert NameIndex(text).gender(f"{rare[0]} Lund") < 0


def test_a_title_in_quotation_marks_is_no_speaker_of_the_next_quotation() -> None:
    # the sentence opens inside the first quotation, so the title's "Fox" looks like a subject to the parser
    text = (
        "Retired Lt. Gen. Dale Mercer said Senator Hale was right.\n\n"
        "\u201cHe's absolutely right. There's a severe disconnect between this agency and our troops,\u201d Mercer, a"
        " top Hale surrogate, said Thursday morning on Fox News\u2019s \u201cFox and Friends.\u201d \u201cI mean,"
        " there's a lot of frustration within the ranks about what we're not able to do.\u201d\n\n"
        "Hale\u2019s comments drew scrutiny."
    )
    assert _speaker_of(text, "severe disconnect") == "Dale Mercer"
    assert _speaker_of(text, "frustration within the ranks") == "Dale Mercer"


def _article(doc_id: str, text: str, quotes: list[tuple[str, str]]) -> dict:
    """Return a PolNeAR-shaped article whose gold attributions are (speaker mention, content) pairs."""
    out = []
    for mention, content in quotes:
        start = text.index(content)
        at = text.index(mention, max(0, start - 80))
        out.append(
            {
                "speaker": mention,
                "speaker_start": at,
                "speaker_end": at + len(mention),
                "quote_start": start,
                "quote_end": start + len(content),
            }
        )
    return {"doc_id": doc_id, "text": text, "quotes": out}


TINY = [
    _article(
        f"a{k}",
        f"Officials met on Monday.\n\nOrla {surname} said the plan was sound. She said it would pass.",
        [(f"Orla {surname}", "the plan was sound"), ("She", "it would pass")],
    )
    for k, surname in enumerate(("Finch", "Wren", "Crane", "Heron"))
] + [
    _article(
        "b",
        "Critics were loud.\n\nBram Kettle said the plan was a mess. Mr. Kettle said it would fail.",
        [("Bram Kettle", "the plan was a mess")],
    )
]


def test_the_names_stage_counts_votes_and_is_deterministic(train_script: ModuleType, tmp_path: Path) -> None:
    corpus = tmp_path / "train.jsonl"
    corpus.write_text("".join(json.dumps(a) + "\n" for a in TINY), encoding="utf-8")
    outs = []
    for k in range(2):
        out = tmp_path / f"names{k}.tsv"
        code = train_script.main(["--train", str(corpus), "--stage", "names", "--names-out", str(out)])
        assert code == 0
        outs.append(out.read_text(encoding="utf-8"))
    assert outs[0] == outs[1]
    rows = {line.split("\t")[0]: line.split("\t")[1:] for line in outs[0].splitlines() if not line.startswith("#")}
    # each Orla article votes once ("She" after her), Bram's once ("Mr. Kettle"); held-out articles never vote, and
    # no surname or text is kept
    held = heldout_ids([a["doc_id"] for a in TINY])
    orla = sum(a["doc_id"] not in held for a in TINY if a["doc_id"].startswith("a"))
    expected = {"Orla": ["-1", str(orla)]} | ({} if "b" in held else {"Bram": ["1", "1"]})
    assert rows == expected


def test_the_names_stage_refuses_a_corpus_that_tells_no_sex(train_script: ModuleType, tmp_path: Path) -> None:
    corpus = tmp_path / "train.jsonl"
    corpus.write_text(json.dumps(_article("c", "Rain fell.\n\nNobody spoke.", [])) + "\n", encoding="utf-8")
    out = tmp_path / "names.tsv"
    assert train_script.main(["--train", str(corpus), "--stage", "names", "--names-out", str(out)]) == 2
    assert not out.exists()


def test_rebuilding_the_prior_from_polnear_train_gives_the_shipped_file(
    train_script: ModuleType, shared_eval: Path, tmp_path: Path
) -> None:
    out = tmp_path / gender.FIRST_NAMES_FILE
    assert train_script.main(["--train", str(shared_eval / "polnear_train.jsonl"), "--stage", "names",
                              "--names-out", str(out)]) == 0  # fmt: skip
    assert out.read_text(encoding="utf-8") == SHIPPED.read_text(encoding="utf-8")


@pytest.mark.parametrize("pronoun", ["he", "she"])
def test_without_the_name_lists_only_the_article_tells(monkeypatch: pytest.MonkeyPatch, pronoun: str) -> None:
    monkeypatch.setattr(gender, "first_names", lambda: {})
    monkeypatch.setattr(gender, "census_sexes", lambda: {})
    index = NameIndex("Laura Whitcombe spoke first. Paul Brennan did not. Mr. Brennan\u2019s office was closed.")
    assert index.gender("Laura Whitcombe") == 0
    assert index.agrees("Laura Whitcombe", pronoun)
    assert index.gender("Paul Brennan") == 2  # "Mr. Brennan’s", a possessive, still tells


def test_a_first_name_one_article_told_is_only_a_hint() -> None:
    once = [name for name, (_, votes) in gender.first_names().items() if votes == 1]
    assert once
    name = f"{once[0]} Quill"
    assert abs(NameIndex(f"{name} spoke.").gender(name)) == 1


def test_a_surname_alone_names_its_one_full_name_for_a_pronoun() -> None:
    text = (
        "Union fights the plan\n\n"
        "Paul Brennan, the union leader, met the mayor on Monday.\n\n"
        '"We will win," said Elizabeth Whitcombe, who thanked Mark Olsen for his help.\n\n'
        'On Thursday, Brennan criticised the plan. "It is a mess," he said.'
    )
    assert _speaker_of(text, "It is a mess") == "Paul Brennan"  # not Olsen, the last man named in full


# a column: the writer's "I" is nobody the article quoted before it
COLUMN = (
    'Gov. Alan Marsh said the plan "will pay for itself within a decade."\n\n'
    "I think the governor is wrong about the money, and I said so to his staff last week.\n\n"
    "Asked about it, Marsh said he stood by the estimate."
)


def test_the_writers_i_is_not_the_last_person_quoted() -> None:
    assert _speaker_of(COLUMN, "pay for itself") == "Alan Marsh"
    assert _speaker_of(COLUMN, "the governor is wrong") is None
    assert _speaker_of(COLUMN, "stood by the estimate") == "Alan Marsh"


def test_an_i_inside_a_quotation_or_an_interview_answer_is_the_speakers() -> None:
    quoted = 'Alan Marsh spoke to donors. "When I ran, I said the state would balance its books," Marsh said.'
    assert _speaker_of(quoted, "balance its books") == "Alan Marsh"
    interview = (
        "Gov. Alan Marsh sat down with us on Monday.\n\nWhy now?\n\nI think the timing is right for the state.\n\n"
        "What about the cost?\n\nI believe the plan pays for itself.\n\n"
        "And the critics?\n\nI said they would come round."
    )
    assert _speaker_of(interview, "pays for itself") == "Alan Marsh"
    introduced = "Alan Marsh wrote to supporters:\n\nI believe this state can balance its books by spring."
    assert _speaker_of(introduced, "balance its books") == "Alan Marsh"


@pytest.mark.parametrize(
    ("byline", "writer"),
    [("By Dana Whitfield", "Dana Whitfield"), ("Dana Whitfield, Associated Press", "Dana Whitfield"),
     ("BY DANA WHITFIELD", "Dana Whitfield"), ("Dana Whitfield and Omar Haddad", None), ("Associated Press", None),
     ("By Dana Whitfield with Omar Haddad", None), ("By Dana Whitfield, Omar Haddad", None),
     ("By Staff Reporter", None), ("Dana Whitfield\nStaff Writer", None), ("", None)],
)  # fmt: skip
def test_the_writers_i_belongs_to_the_one_person_the_byline_names(byline: str, writer: str | None) -> None:
    statements = by_writer(extract_statements(COLUMN, "t"), byline, COLUMN)
    st = next(s for s in statements if "the governor is wrong" in s.text)
    assert (st.speaker, st.speaker_id is not None) == (writer, writer is not None)
    assert next(s for s in statements if "pay for itself" in s.text).speaker == "Alan Marsh"


def test_the_writers_i_rule_reads_paragraphs_and_keeps_what_is_introduced() -> None:
    wrapped = (
        "Budget talks.\n\nGov. Alan Marsh sat down with the paper on Monday to talk about the budget and\n"
        "the plans of his office.\n\nA: I think the money was there already in the fund, and the schools\n"
        "will be fine.\n"
    )
    assert _speaker_of(wrapped, "money was there already") == "Alan Marsh"
    letter = (
        "Alan Marsh wrote to supporters:\n\nI believe this state can balance its books by spring.\n\n"
        "I said in March that the cuts would hurt families."
    )
    assert _speaker_of(letter, "cuts would hurt families") == "Alan Marsh"
    floating = COLUMN + '\n\nI said so again. "It is a fantasy budget."'
    statements = by_writer(extract_statements(floating, "t"), "By Dana Whitfield", floating)
    assert next(s for s in statements if "fantasy budget" in s.text).speaker == "Dana Whitfield"
    rhetorical = COLUMN.replace("I think", "Will it?\n\nWho pays?\n\nAnd when?\n\nI think")
    assert _speaker_of(rhetorical, "the governor is wrong") is None


def test_an_interview_answers_i_is_no_one_the_question_names() -> None:
    # the answer's "I" is the interviewee, not the last person the question names; a "Q" label is no one
    text = (
        "Gov. Alan Marsh spoke with the paper on Monday.\n\nQ: Why now?\n\nA: The timing is right for the state.\n\n"
        "Q: Dana Whitfield supporters, Omar Haddad supporters, are reflecting, the polls tell us, a lot of anger.\n\n"
        "A: I think they feel left behind, and I understand that feeling."
    )
    assert _speaker_of(text, "feel left behind") == "Alan Marsh"
    assert all(st.speaker != "Q" for st in extract_statements(text, "t"))


def test_an_interviewees_unresolved_i_is_never_given_to_the_byline() -> None:
    text = (
        "A conversation about the budget.\n\nOur reporter sat down with the treasurer.\n\nWhy now?\n\n"
        "I think the timing is right.\n\nWhat about the cost?\n\nI believe the plan pays for itself.\n\n"
        "And the critics?\n\nI said they would come round."
    )
    statements = by_writer(extract_statements(text, "t"), "By Dana Whitfield", text)
    assert {s.speaker for s in statements if s.mention == "I"} == {None}


def test_he_continues_the_subject_of_the_sentence_before_not_the_last_one_quoted() -> None:
    text = (
        "The hearing ran late.\n\n"
        "“We are not done,” said Walter Brandt, the committee chairman.\n\n"
        "Gregory Lyle disagreed.\n\n"
        "“This is the end of it,” he said."
    )
    assert _speaker_of(text, "end of it") == "Gregory Lyle"


def test_an_opening_phrase_and_titles_before_the_subject_keep_it_the_subject() -> None:
    text = (
        "The hearing ran late.\n\n"
        "“We are not done,” said Walter Brandt, the committee chairman.\n\n"
        "At a news conference on Tuesday, Republican Sen. Gregory Lyle walked out of the hearing room. "
        "He said the panel “has nothing left to find.”"
    )
    assert _speaker_of(text, "nothing left") == "Gregory Lyle"


def test_a_name_inside_a_clause_about_someone_is_not_the_subject() -> None:
    # "If Lyle wins ...": the sentence is not Lyle's, so "he" goes on meaning the last one quoted
    text = (
        "The hearing ran late.\n\n"
        "“We are not done,” said Walter Brandt, the committee chairman.\n\n"
        "If Gregory Lyle wins the vote, he said, the panel “will close for good.”"
    )
    assert _speaker_of(text, "close for good") == "Walter Brandt"


def test_whoever_speaks_in_the_sentence_before_outranks_its_first_name() -> None:
    text = (
        "The hearing ran late.\n\n"
        "Even Gregory Lyle is in trouble this year, Walter Brandt said.\n\n"
        "He said the race “is wide open.”"
    )
    assert _speaker_of(text, "wide open") == "Walter Brandt"


def test_a_subject_whose_given_name_is_the_other_sex_is_not_he() -> None:
    text = (
        "The hearing ran late.\n\n"
        "“We are not done,” said Walter Brandt, the committee chairman.\n\n"
        "Margaret Lyle disagreed.\n\n"
        "“We are,” he said."
    )
    assert _speaker_of(text, "We are,") == "Walter Brandt"


def test_a_name_in_apposition_is_not_the_subject() -> None:
    text = (
        "The hearing ran late.\n\n"
        "“We are not done,” said Walter Brandt, the committee chairman.\n\n"
        "Gregory Lyle runs against him in May.\n\n"
        "On the subject of his rival, Mr. Lyle, Mr. Brandt was blunt. “He is wrong,” he said."
    )
    assert _speaker_of(text, "He is wrong") == "Walter Brandt"


def test_a_name_before_a_possessive_is_not_the_subject() -> None:
    text = (
        "The hearing ran late.\n\n"
        "“We are not done,” said Walter Brandt, the committee chairman.\n\n"
        "Gregory Lyle’s son walked out.\n\n"
        "“This is the end of it,” he said."
    )
    assert _speaker_of(text, "end of it") == "Walter Brandt"


def test_he_continues_a_surname_written_only_after_a_title() -> None:
    # the article never writes the president's given name; his title says the run is a person's
    text = (
        "The court fight.\n\nWith Dana Whitfield, President Okafor made the safe choice for the court. "
        "He is daring the senators to refuse her a hearing, he said."
    )
    assert _speaker_of(text, "daring the senators") == "Okafor"


def test_a_womans_honorific_before_a_shared_surname_is_never_the_man_of_that_name() -> None:
    text = (
        "Holiday party.\n\nWalter Brandt and his wife, Ellen Brandt, greeted the guests, and Gregory Lyle came late. "
        "“It felt like old times,” Mr. Lyle said. But Mrs. Brandt, who was busy with another guest, was not "
        "as friendly. When she finally noticed him, he said, “she barely smiled at all that evening.”"
    )
    assert _speaker_of(text, "barely smiled") == "Gregory Lyle"


def test_a_quotation_closed_by_the_other_mark_hides_only_its_own_words() -> None:
    # “…" closes within its paragraph; the names of the paragraphs after it are still there for "he"
    text = (
        'Budget fight.\n\nMayor Dana Whitfield spoke on Monday. “We will win," she said.\n\n'
        'Gov. Alan Marsh disagreed with the mayor on the "reckless" plan.\n\nHe said the plan would fail by spring.'
    )
    assert _speaker_of(text, "plan would fail") == "Alan Marsh"


def test_a_possessive_opening_the_next_sentence_does_not_outvote_the_pronouns() -> None:
    text = (
        "Suit\n\nNgozi Adeyemi sued the landlord on Monday over the repairs. His lawyers called the suit baseless. "
        "“I am not afraid,” she said."
    )
    sts = extract_statements(text, "t")
    assert [st.speaker for st in sts if "not afraid" in st.text] == ["Ngozi Adeyemi"]
