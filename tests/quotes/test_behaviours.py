"""Extraction behaviours, one table each: quotation shapes, reported speech, speaker resolution."""

from __future__ import annotations

import pytest

from retrieval.models import Statement
from retrieval.quotes import article_speakers, extract_statements
from retrieval.quotes.cues import parse_lexicon
from retrieval.quotes.marks import hard_wrapped, normalize_marks, split_paragraphs
from retrieval.quotes.names import analyse


def _only(text: str, needle: str) -> Statement:
    """Return the single statement whose text contains `needle`."""
    found = [st for st in extract_statements(text, "t") if needle in st.text]
    assert len(found) == 1, [st.text for st in extract_statements(text, "t")]
    st = found[0]
    assert st.text == text[st.start : st.end]
    return st


@pytest.mark.parametrize(
    ("text", "first", "second", "speaker"),
    [
        (
            '"We will win," she said, "and we will do it soon."',
            "We will win,",
            "and we will do it soon.",
            None,
        ),
        (
            "“The plan is dead,” Tom Cotton told reporters, “and nobody will revive it.”",
            "The plan is dead,",
            "and nobody will revive it.",
            "Tom Cotton",
        ),
    ],
)
def test_split_quote_is_one_statement_with_two_fragments(
    text: str, first: str, second: str, speaker: str | None
) -> None:
    st = _only(text, first)
    assert [text[s:e] for s, e in st.fragments] == [first, second]
    assert st.kind == "direct"
    if speaker:
        assert st.speaker == speaker


@pytest.mark.parametrize(
    "text",
    [
        'John Smith said on Monday:\n\n"We have to act now.\n\n"Nobody else will do it for us."\n',
        "John Smith said on Monday:\n“We have to act now.\n“Nobody else will do it for us.”\n",
    ],
)
def test_multi_paragraph_quote_is_one_statement(text: str) -> None:
    st = _only(text, "We have to act now.")
    assert len(st.fragments) == 2
    assert text[st.fragments[1][0] : st.fragments[1][1]].startswith("Nobody else")
    assert st.speaker == "John Smith"


@pytest.mark.parametrize(
    ("text", "content", "speaker"),
    [
        (
            "Jane Doe wrote:\n\n“The vote was rigged from the start.\n\nThe court later disagreed.\n",
            "The vote was rigged from the start.",
            "Jane Doe",
        ),
        (
            'Jane Doe has posted a video, stating:\n\n"The vote was rigged.\n\nOthers disagree.\n',
            "The vote was rigged.",
            "Jane Doe",
        ),
    ],
)
def test_missing_closing_mark_ends_at_paragraph(text: str, content: str, speaker: str) -> None:
    st = _only(text, content)
    assert st.text == content
    assert st.speaker == speaker


@pytest.mark.parametrize(
    ("text", "quoted", "speaker"),
    [
        ('The minister, Anna Berg, labelled the plan "reckless" on Monday.', "reckless", "Anna Berg"),
        (
            "Volodymyr Zelensky said that Russia should be held to account for ‘crimes of aggression’.",
            "crimes of aggression",
            "Volodymyr Zelensky",
        ),
        ("Clinton called half of Donald Trump’s supporters “deplorables.”", "deplorables", "Clinton"),
    ],
)
def test_partial_quote_is_kept_inside_its_statement(text: str, quoted: str, speaker: str) -> None:
    st = _only(text, quoted)
    assert st.kind in {"partial", "mixed"}
    assert any(quoted in text[s:e] for s, e in st.quoted)
    assert st.speaker == speaker


@pytest.mark.parametrize(
    ("text", "inner"),
    [
        ("\"He told me 'never again' and left,\" Mary Jones said.", "'never again'"),
        ("“He told me ‘never again’ and left,” Mary Jones said.", "‘never again’"),
    ],
)
def test_nested_single_quotes_stay_inside_the_quote(text: str, inner: str) -> None:
    st = _only(text, inner)
    assert st.kind == "direct"
    assert st.speaker == "Mary Jones"
    assert len(st.fragments) == 1


@pytest.mark.parametrize(
    ("text", "content", "mention", "cue"),
    [
        (
            "Senator Tom Cotton said that the deal was a mistake.",
            "the deal was a mistake",
            "Senator Tom Cotton",
            "said",
        ),
        ("The deal was a mistake, Cotton said.", "The deal was a mistake", "Cotton", "said"),
        (
            "The deal was a mistake, according to Tom Cotton.",
            "The deal was a mistake",
            "Tom Cotton",
            "according to",
        ),
        ("Tom Cotton told reporters the deal was a mistake.", "the deal was a mistake", "Tom Cotton", "told"),
        (
            "The White House denied that the meeting took place.",
            "the meeting took place",
            "The White House",
            "denied",
        ),
        (
            "Critics attacked the plan on Monday, suggesting that it would fail.",
            "it would fail",
            "Critics",
            "suggesting",
        ),
        ("Jane Doe labelled the claim as ludicrous.", "ludicrous", "Jane Doe", "labelled"),
        ("Jane Doe called the proposal a disgrace.", "the proposal a disgrace", "Jane Doe", "called"),
        ('"The deal is dead," said Tom Cotton.', "The deal is dead,", "Tom Cotton", "said"),
        # the parser hangs the subject on a long opening phrase ("with the editors Lopez")
        (
            "In a March meeting with the editors Lopez said that the levy may need to be cut in the coming years.",
            "the levy may need to be cut in the coming years",
            "Lopez",
            "said",
        ),
        # the parser reads "after the vote he would …" as an adverbial clause: it is what was said
        (
            "Ortiz said after the vote he would not accept the committee's offer.",
            "after the vote he would not accept the committee's offer",
            "Ortiz",
            "said",
        ),
        # a semicolon ends what was said
        (
            "Officials said the delay was not deliberate; the mayor had signed the order on Friday.",
            "the delay was not deliberate",
            "Officials",
            "said",
        ),
        # a clause before a colon is the story's, not what the speaker said
        (
            "The report set off a fierce row on Monday: Democrats said the figures were wrong.",
            "the figures were wrong",
            "Democrats",
            "said",
        ),
    ],
)
def test_reported_speech_pattern(text: str, content: str, mention: str, cue: str) -> None:
    st = _only(text, content)
    assert st.text == content
    assert st.mention == mention
    assert st.cue is not None and cue in st.cue


@pytest.mark.parametrize(
    ("text", "needle", "mention", "speaker"),
    [
        (
            "Volodymyr Zelensky said the war must end. He added that Russia must pay.",
            "Russia must pay",
            "He",
            "Volodymyr Zelensky",
        ),
        (
            "Angela Merkel said talks would resume. She said that a deal was close.",
            "a deal was close",
            "She",
            "Angela Merkel",
        ),
    ],
)
def test_pronoun_resolves_to_last_speaker(text: str, needle: str, mention: str, speaker: str) -> None:
    st = _only(text, needle)
    assert st.mention == mention
    assert st.speaker == speaker


@pytest.mark.parametrize(
    ("text", "needle", "speaker"),
    [
        (
            "Russian President Vladimir Putin spoke on Monday. Mr Putin said the attack was staged.",
            "staged",
            "Vladimir Putin",
        ),
        ("John Kirby spoke to the press. The claim is ludicrous, Kirby said.", "ludicrous", "John Kirby"),
    ],
)
def test_alias_resolves_to_full_name(text: str, needle: str, speaker: str) -> None:
    st = _only(text, needle)
    assert st.speaker == speaker
    assert st.speaker_id == speaker.lower().replace(" ", "-")


@pytest.mark.parametrize(
    ("text", "mention", "name", "role"),
    [
        (
            "Spokesman John Kirby said the claim was ludicrous.",
            "Spokesman John Kirby",
            "John Kirby",
            "Spokesman",
        ),
        (
            "White House spokesman Josh Earnest said the bill would fail.",
            "White House spokesman Josh Earnest",
            "Josh Earnest",
            "White House spokesman",
        ),
    ],
)
def test_role_is_kept_apart_from_name(text: str, mention: str, name: str, role: str) -> None:
    statements = extract_statements(text, "t")
    assert [st.mention for st in statements] == [mention]
    assert statements[0].speaker == name
    (speaker,) = article_speakers(statements)
    assert role in speaker.roles
    assert name in speaker.aliases


@pytest.mark.parametrize(
    ("text", "name", "kind"),
    [
        ("Putin’s Office stated: “There were no victims.”", "Putin's Office", "organisation"),
        ("The US has denied that it planned the strike.", "United States", "organisation"),
        ("US officials said that the strike was not theirs.", "US officials", "group"),
        ("Other commentators said that Russia staged it.", "commentators", "group"),
        ("The New York Times reported that the files were leaked.", "New York Times", "organisation"),
    ],
)
def test_organisation_and_group_speakers_have_their_kind(text: str, name: str, kind: str) -> None:
    (st,) = extract_statements(text, "t")
    assert st.speaker_kind == kind
    assert st.speaker is not None and name.lower() in st.speaker.lower()


def test_typewriter_double_apostrophes_are_quotation_marks() -> None:
    text = "''We will not back down,'' Mayor Ann Lee said on Monday."
    st = _only(text, "back down")
    assert st.kind == "direct"
    assert st.text == "We will not back down,"
    assert st.mention == "Mayor Ann Lee"


@pytest.mark.parametrize(
    ("text", "needle", "mention"),
    [
        # the parser may take a word inside the quotation as the subject of the cue after it
        ('"Anybody who attacks him will regret it," said Louise Park, a longtime friend.', "Anybody", "Louise Park"),
        # a cue-less quotation inside a sentence belongs to the sentence's subject, not the previous speaker
        (
            '"Taxes are too high," Tom Reed said.\n\nThe senator ticked off the city\'s "crumbling roads and broken '
            'bridges" in his speech.',
            "crumbling",
            "The senator",
        ),
    ],
)
def test_speaker_repairs(text: str, needle: str, mention: str) -> None:
    assert _only(text, needle).mention == mention


def test_nested_pronoun_cue_takes_the_outer_speaker() -> None:
    # "X said he thinks Y" is X's account of what he thinks: PolNeAR annotates the outer source
    found = extract_statements("Ned Devine said he does not think the contest will hurt the party.", "t")
    inner = next(st for st in found if st.cue == "not think")
    assert inner.text == "the contest will hurt the party"
    assert inner.mention == "Ned Devine"


def test_infinitive_cue_reports_a_pledge() -> None:
    st = _only("The mayor promised to build a new bridge over the river.", "bridge")
    assert st.text == "to build a new bridge over the river"
    assert st.mention == "The mayor"


def test_passive_cue_subject_is_the_listener_not_the_speaker() -> None:
    found = extract_statements("Rubio was asked whether he would support the nominee.", "t")
    assert all(st.mention != "Rubio" for st in found)


def test_a_report_inside_a_report_belongs_to_the_outer_speaker() -> None:
    # "the videos do not show …" is the attorney's claim, not the videos' statement
    text = "Justin Bamberg said the videos do not show whether the man had a weapon in his hands."
    found = extract_statements(text, "t")
    assert [st.mention for st in found] == ["Justin Bamberg"]


def test_a_weekday_is_never_the_speaker() -> None:
    text = 'Dean appeared on MSNBC on Tuesday and began by saying he would "never" diagnose someone on television.'
    st = _only(text, "never")
    assert st.mention == "Dean"


def test_a_partial_quote_inside_reported_speech_is_one_statement() -> None:
    text = 'Secretary of State John Kerry said the country would take "robust steps" in response to the test.'
    st = _only(text, "robust")
    assert st.kind in {"mixed", "partial"}
    assert st.speaker == "John Kerry"


@pytest.mark.parametrize(
    ("mention", "name", "role"),
    [
        ("Secretary of State John F. Kerry", "John F. Kerry", "Secretary of State"),
        ("House Speaker Paul Ryan, R-Wis.,", "Paul Ryan", "House Speaker"),
        ("Sen. David Perdue (R-Ga.)", "David Perdue", "Sen."),
        ("Kerr Putney, the Charlotte police chief,", "Kerr Putney", "Charlotte police chief"),
        ("Flynn, a top Trump surrogate,", "Flynn", "top Trump surrogate"),
    ],
)
def test_titles_party_tags_and_appositions_are_roles(mention: str, name: str, role: str) -> None:
    parts = analyse(mention)
    assert (parts.name, parts.role, parts.kind) == (name, role, "person")


def test_an_organisation_keeps_its_title_words() -> None:
    assert analyse("the National Security Council").kind == "organisation"
    assert analyse("Putin’s Office").kind == "organisation"


def test_mid_sentence_attribution_wraps_one_statement() -> None:
    text = "Lenox was a juggernaut, Mr. Clarke said, until it went bankrupt in 1999."
    st = _only(text, "juggernaut")
    assert st.mention == "Mr. Clarke"
    assert [text[s:e] for s, e in st.fragments] == ["Lenox was a juggernaut", "until it went bankrupt in 1999"]


def test_speaker_labels_in_transcripts_and_headlines() -> None:
    text = (
        "Pat Caddell: Voters Worried About the Debate\n\n"
        "Partial transcript as follows:\n\n"
        '"WALLACE: Let us start with breaking news on the debate story tonight."\n\n'
        "Correction: An earlier version of this article misspelled a name."
    )
    found = {st.mention: st for st in extract_statements(text, "t")}
    assert set(found) == {"Pat Caddell", "WALLACE"}
    assert found["WALLACE"].text == "Let us start with breaking news on the debate story tonight."
    assert found["WALLACE"].kind == "direct"
    assert found["Pat Caddell"].kind == "indirect"


def test_a_dash_glued_to_the_closing_mark_names_the_speaker() -> None:
    text = (
        "“He represents our greatest shame.” ― Sonya Herridge\n\n"
        "“During the debate he said we live in hell. He is ignorant of our culture.”― Pamela Padilla"
    )
    assert [st.mention for st in extract_statements(text, "t")] == ["Sonya Herridge", "Pamela Padilla"]


def test_according_to_before_a_quotation_after_anothers_quote_names_its_speaker() -> None:
    # the quotation must not float on to Mook, whose quotation ends the paragraph before
    text = "“It was unfair,” Mook said.\n\nAccording to Limbaugh, “If it was left up to her, she would never say it.”"
    assert _only(text, "left up").mention == "Limbaugh"


def test_what_someone_called_stays_inside_the_outer_statement() -> None:
    text = 'Secretary General Ban Ki-moon condemned what he called a "brazen breach" of U.N. resolutions.'
    found = extract_statements(text, "t")
    assert len(found) == 1 and found[0].speaker == "Ban Ki-moon"


@pytest.mark.parametrize(
    ("text", "content"),
    [
        ("Donald Trump has called for the complete repeal of the law.", "the complete repeal of the law"),
        ("While Trump railed against the provisions in the tax code, he kept them.", "the provisions in the tax code"),
        ("Trump accused her of being asleep when the calls came in.", "being asleep when the calls came in"),
    ],
)
def test_prepositional_cues_report_their_object(text: str, content: str) -> None:
    assert any(st.text == content for st in extract_statements(text, "t")), extract_statements(text, "t")


def test_a_preposition_only_cue_never_attributes_a_quotation() -> None:
    # "talked about" reports its topic; it is not the cue of the quotation after the colon
    found = extract_statements(
        "Trump talked about the wall: “We will build it and they will pay for it, believe me.”", "t"
    )
    assert [(st.kind, st.cue) for st in found] == [("indirect", "talked"), ("direct", None)]
    assert found[0].text == "the wall"


def test_lexicon_lines_carry_prepositions_and_flags() -> None:
    cues = parse_lexicon(["rail preponly prep=against  # railed against X", "call obj prep=for,on"])
    assert cues["rail"].prep_only and cues["rail"].preps == {"against"}
    assert cues["call"].takes_object and not cues["call"].prep_only and cues["call"].preps == {"for", "on"}


def test_an_inverted_said_before_a_colon_names_the_speaker() -> None:
    text = "Experts say the plans are complicated. Said Ellis: “I don’t get the sense she is interested in reform.”"
    st = _only(text, "reform")
    assert (st.mention, st.speaker) == ("Ellis", "Ellis")


def test_a_dash_after_a_non_breaking_space_names_the_speaker() -> None:
    text = "“He represents our greatest shame.”\xa0― Sonya Herridge\n“I am so ashamed today.”\xa0― Jacklyn Ashley"
    assert [st.mention for st in extract_statements(text, "t")] == ["Sonya Herridge", "Jacklyn Ashley"]


def test_a_subordinate_clause_after_a_quotation_is_not_its_attribution() -> None:
    text = "Gov. Chris Christie described Hillary Clinton as a “disgrace” after she attacked the police officers."
    st = _only(text, "disgrace")
    assert (st.speaker, st.cue) == ("Chris Christie", "described")
    assert st.text.endswith("”")  # the content reads as written, closing mark included


def test_as_someone_put_it_names_the_speaker() -> None:
    text = "As Ms. Simonyan put it in a statement, RT is “providing a perspective you won't get from the press.”"
    st = _only(text, "perspective")
    assert (st.mention, st.cue) == ("Ms. Simonyan", "put")


def test_quoted_words_inside_a_mid_sentence_report_stay_the_reporters() -> None:
    text = "African-Americans, he said, can “rock like Jimi” and “stir the pot like Richard Pryor.”"
    st = _only(text, "Jimi")
    assert st.mention == "he" and st.kind in {"mixed", "partial"}


def test_a_quotation_ending_with_the_sentence_is_inside_the_report() -> None:
    text = "Michael Mulgrew said he hopes the day sends a message that “communities are standing up for schools.”"
    st = _only(text, "communities")
    assert st.quoted and st.text.endswith("schools.”")


def test_a_title_in_quotes_after_the_cue_is_not_the_speaker() -> None:
    text = "“He is absolutely right about the generals,” Flynn, a top surrogate, said on Fox News’s “Fox and Friends.”"
    st = _only(text, "generals")
    assert st.mention == "Flynn"


def test_a_cue_coordinated_with_the_report_is_its_own_statement() -> None:
    text = "Trump said he would order a review of the computer defenses and warned against potential hackers."
    found = {st.cue: st for st in extract_statements(text, "t")}
    assert found["said"].text == "he would order a review of the computer defenses"
    assert (found["warned"].text, found["warned"].mention) == ("potential hackers", "Trump")


def test_a_possessor_before_the_cue_is_not_the_speaker() -> None:
    text = "“My reaction, that was outrageous,” Obama's former campaign strategist said in an interview on CNN."
    st = _only(text, "outrageous")
    assert st.speaker == "Obama's former campaign strategist"


def test_a_misparsed_cue_right_after_the_quotation_still_attributes_it() -> None:
    text = "“… overall, I think the winner was Pence, and I think that is important for Trump,” Matthews concluded."
    st = _only(text, "winner")
    assert (st.kind, st.mention, st.cue) == ("direct", "Matthews", "concluded")


def test_a_partial_quotation_runs_to_the_end_of_its_reported_clause() -> None:
    text = 'The former senator said it was "a mistake" to use private email while at the State Department.'
    st = _only(text, "mistake")
    assert st.text == 'it was "a mistake" to use private email while at the State Department'
    assert st.kind == "mixed"


def test_a_new_sentence_after_a_quotation_does_not_take_it_from_the_cue_before() -> None:
    text = (
        "When Clinton noted it, as was true for years ― Trump boasted, “That makes me smart.” "
        "Trump was similarly defensive when forced to defend not paying an architect."
    )
    st = _only(text, "smart")
    assert (st.mention, st.cue) == ("Trump", "boasted")


def test_a_list_of_quoted_names_is_one_statement_with_every_quoted_part() -> None:
    text = 'Cruz called Trump a "pathological liar" who is "utterly amoral," a "bully" and a "narcissist like none."'
    st = _only(text, "pathological")
    assert st.text.endswith('"narcissist like none."')
    quoted = ["pathological liar", "utterly amoral,", "bully", "narcissist like none."]
    assert [text[s:e] for s, e in st.quoted] == quoted


@pytest.mark.parametrize(
    "text",
    [
        '"The bridge is safe," said Mayor Ortega. "Engineers checked every cable in March."',
        "“We counted twice,” Ortega told reporters. “The numbers did not move.”",
    ],
)
def test_a_quotation_after_the_cue_sentence_ends_is_a_direct_quote_of_the_same_speaker(text: str) -> None:
    second = _only(text, "did not move" if "numbers" in text else "every cable")
    assert second.kind == "direct"
    assert "Ortega" not in second.text  # the cue's sentence is not part of what the speaker said
    first = _only(text, "bridge is safe" if "bridge" in text else "counted twice")
    assert second.speaker == first.speaker == "Ortega"


def test_a_dash_then_a_speech_verb_reads_the_verb_as_the_cue() -> None:
    st = _only('"Not today," -- said Mrs. Halloway.', "Not today")
    assert (st.kind, st.cue, st.mention) == ("direct", "said", "Mrs. Halloway")
    bare = _only('"We will rebuild" — Mrs. Halloway.', "rebuild")
    assert bare.cue == "—"  # with no verb the dash is the attribution


def test_a_lone_given_name_resolves_to_the_one_full_name_it_opens() -> None:
    text = "Priya Raman toured the plant on Friday. Priya said the line would reopen next month."
    st = _only(text, "reopen")
    assert st.speaker == "Priya Raman"
    two = "Priya Raman and Priya Shah toured the plant. Priya said the line would reopen next month."
    assert _only(two, "reopen").speaker == "Priya"  # two full names open with it: left as written


@pytest.mark.parametrize(
    ("text", "words", "speaker"),
    [
        ("'We will not raise taxes,' the finance minister told reporters on Monday.", "We will not raise taxes,", None),
        ("The finance minister was blunt: 'It's a budget for growth.'", "It's a budget for growth.", None),
        ("‘We don’t have the votes yet,’ said Senator Ana Ruiz.", "We don’t have the votes yet,", "Ana Ruiz"),
    ],
)
def test_single_quote_house_style_is_a_direct_quotation(text: str, words: str, speaker: str | None) -> None:
    st = _only(text, words[:12])
    assert (st.kind, st.text) == ("direct", words)
    assert speaker is None or st.speaker == speaker


def test_apostrophes_and_nested_single_quotes_are_not_quotations() -> None:
    text = "The voters' anger grew, and 'Tis the season' was not a line anyone used. Rock 'n' roll won."
    assert extract_statements(text, "t") == []
    # a headline line, wherever it stands, quotes in single marks; a sentence of narration does not
    headline = "The mayor spoke.\n\nMayor Vela Says Budget Will Be ‘Balanced By June, No Matter What.’\n\nMore news."
    assert normalize_marks(headline) == headline
    prose = "The mayor spoke.\n\nThe mayor said it plainly: ‘The budget will be balanced by June.’\n\nMore news."
    assert normalize_marks(prose).count('"') == 2
    nested = "“She told me ‘We are done,’ and left,” Marta Vela said."
    st = _only(nested, "She told me")
    assert st.text == "She told me ‘We are done,’ and left,"  # the double marks rule the line


def test_a_hard_wrapped_feed_reads_its_paragraphs_across_line_breaks() -> None:
    text = (
        "The council met on Tuesday night.\n"
        "The mayor said the budget\n"
        "would be balanced by June and that\n"
        "no services would be cut.\n"
        "\n"
        '"We will not close a single\n'
        'library," said Dana Okafor, the\n'
        "council president. Residents\n"
        "cheered and the meeting ended early.\n"
    )
    quote = _only(text, "single")
    assert (quote.kind, quote.text) == ("direct", "We will not close a single\nlibrary,")
    assert quote.speaker == "Dana Okafor"
    reported = _only(text, "balanced")
    assert reported.text == "the budget\nwould be balanced by June and that\nno services would be cut"
    # nothing between a line's closing mark and the next line's narration is read as a quotation
    assert all("cheered" not in st.text and "council president" not in st.text for st in extract_statements(text))


def test_one_paragraph_per_line_is_not_hard_wrapped() -> None:
    news = (
        "WASHINGTON (AP) — The Senate passed the bill on Friday.\n"
        "Senators argued for hours before the vote, which came late in the evening.\n"
        "“This is a good day,” the majority leader said.\n"
        "The House takes it up next week.\n"
    )
    assert not hard_wrapped(news)
    assert [p.end - p.start for p in split_paragraphs(news)] == [len(line) for line in news.splitlines()]


def test_a_dash_glued_between_a_quotation_and_its_cue_still_attributes_it() -> None:
    st = _only('"Not today"--said Mrs. Halloway, closing the door.', "Not today")
    assert (st.kind, st.text, st.cue, st.mention) == ("direct", "Not today", "said", "Mrs. Halloway")


def test_the_name_a_participle_cue_follows_is_the_speaker() -> None:
    text = "The new ad plays footage of Maria Lund asking, “Why are we not further ahead?”"
    st = _only(text, "further ahead")
    assert (st.kind, st.speaker, st.cue) == ("direct", "Maria Lund", "asking")


@pytest.mark.parametrize(
    ("text", "content"),
    [
        ('Cole told reporters the plan was "dead on arrival" and would fail.', 'the plan was "dead on arrival"'),
        ('The mayor told the council the bridge "will open in May."', 'the bridge "will open in May."'),
    ],
)
def test_a_partial_quotation_told_to_someone_leaves_out_who_was_told(text: str, content: str) -> None:
    [st] = extract_statements(text, "t")
    assert st.text.startswith(content) and text[st.start : st.end] == st.text


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("“Not a chance,” Mayor Lena Ortiz said when asked whether she would raise the bridge toll.", "bridge toll"),
        ("Asked whether he would run again, Councilman Ray Tate said he had not decided.", "run again"),
    ],
)
def test_a_question_put_to_someone_is_not_their_statement(text: str, question: str) -> None:
    """ "X said, when asked whether …": the question is an unnamed asker's; X's words are the answer."""
    statements = extract_statements(text, "t")
    assert statements and all(text[st.start : st.end] == st.text for st in statements)
    assert not any(question in st.text for st in statements)
    # an asker who is named still asks
    (asked,) = extract_statements("Reporters asked Tate whether he would run again.", "t")
    assert asked.speaker == "Reporters" and "run again" in asked.text


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        (
            "Digest for Monday.\n\nTURNOUT IS UP IN THE SUBURBS - Nora Quill: “Early ballots are running well ahead of "
            "last year in every county we track.”",
            "Nora Quill",
        ),
        (
            "Digest for Monday.\n\nPOLLS DISAGREE ON THE RACE - Nora Quill and Ben Ocampo: “The spread between surveys "
            "is wider than usual this close to a vote.”",
            "Nora Quill and Ben Ocampo",
        ),
    ],
)
def test_a_digest_heading_in_capitals_is_never_the_speaker(text: str, speaker: str) -> None:
    # the name between the heading's dash and the colon is whose words follow
    st = _only(text, "ahead of" if "ahead" in text else "usual")
    assert st.mention == speaker


def test_a_heading_in_capitals_before_a_cueless_quotation_speaks_for_no_one() -> None:
    # the parser finds a subject in the heading's words; words in capitals are a heading, not a sentence naming them
    text = "Morning digest.\n\nUN: PEACEKEEPERS FAULT THE FERRY LINE “The checks went undone for years on every boat.”"
    statements = extract_statements(text, "t")
    assert not any(st.mention and "PEACEKEEPERS" in st.mention for st in statements)
    # a sentence in lower case keeps its subject as the speaker
    text = "Morning digest.\n\nThe mayor called the plan “a reckless gamble with our savings.”"
    (st,) = extract_statements(text, "t")
    assert st.mention == "The mayor"


@pytest.mark.parametrize("intro", ["three priorities - Housing:", "questions from the panel - Q:"])
def test_a_dash_before_one_word_and_a_colon_in_a_sentence_is_no_digest_author(intro: str) -> None:
    text = f"The mayor spoke.\n\nThe mayor laid out {intro} “We will build more homes this year.”"
    st = _only(text, "more homes")
    assert st.mention == "The mayor"


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ("But Mr. Okafor, a Republican who calls himself a fiscal hawk, has said the levy is a mistake.", "Okafor"),
        ("The city ignored Nadia Rusk, an engineer who has warned that the bridge is unsafe for trucks.", "Nadia Rusk"),
    ],
)
def test_who_after_a_described_name_is_that_name_not_the_description(text: str, speaker: str) -> None:
    # "X, a Republican who said …": the relative pronoun's noun is the description; the speaker is the name
    st = next(st for st in extract_statements(text, "t") if st.mention == "who")
    assert st.speaker == speaker


@pytest.mark.parametrize(
    "text",
    [
        "Mayor Ruth Okafor issued a statement Tuesday saying the levy “will be repealed before the spring.”",
        "Mayor Ruth Okafor posted a letter on Friday saying the levy “will be repealed before the spring.”",
    ],
)
def test_a_document_put_out_by_someone_speaks_for_them_not_for_its_date(text: str) -> None:
    st = next(st for st in extract_statements(text, "t") if "repealed" in st.text)
    assert st.speaker == "Ruth Okafor"


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ("Monday's report from the Treasury showed that tax receipts rose 4 percent.", "Treasury"),
        ("A statement by Sen. Amy Brooks said that the levy was a mistake.", "Amy Brooks"),
        (
            "A report from the Congressional Budget Office found that the levy would raise $2 billion.",
            "Congressional Budget Office",
        ),
        ("Tuesday's memo said that the levy would be delayed.", "memo"),
        ("A report from last May found that the levy had doubled.", "report"),
        ("The study by Harvard University researchers found that the levy worked.", "study"),
    ],
)
def test_a_document_from_someone_is_theirs_and_a_date_owns_no_document(text: str, speaker: str) -> None:
    # "the researchers" after the name are the authors, so no issuer is read; their identity is the rules' business
    st = next(st for st in extract_statements(text, "t") if "levy" in st.text or "receipts" in st.text)
    assert st.speaker == speaker


@pytest.mark.parametrize("short", ["Stay inside.", "Big time.", "Which is it?"])
def test_a_short_quotation_that_is_a_sentence_of_its_own_goes_on_quoting(short: str) -> None:
    # however few its words, a quotation standing as its own sentence after a quote is speech, not a scare quote
    text = f"The levy passed on Monday.\n\n“This is a serious moment,” Mayor Ruth Okafor said at a briefing. “{short}”"
    sts = extract_statements(text, "t")
    assert [st.speaker for st in sts if st.text.strip("“” ") == short] == ["Ruth Okafor"]


def test_a_short_quotation_inside_a_sentence_is_still_a_scare_quote() -> None:
    text = "The levy passed on Monday.\n\n“This is a serious moment,” Okafor said of the “tax grab” at a briefing."
    assert not [st for st in extract_statements(text, "t") if st.text.strip("“” ") == "tax grab"]


@pytest.mark.parametrize("dateline", ["MIAMI (AP) — ", "KYIV, March 3 (Reuters) - ", "SELMA, N.C. — ", "WASHINGTON — "])
def test_a_statement_opening_the_story_starts_after_its_dateline(dateline: str) -> None:
    text = (
        "Storm batters the coast\n\n"
        f"{dateline}Hurricane Lena slammed into the coast early Thursday, cutting power to 400,000 homes, "
        "officials said."
        "\n\nNATO - the alliance said on Friday - will meet next week to discuss the storm relief effort in full."
    )
    sts = extract_statements(text, "t")
    assert all(text[st.start : st.end] == st.text for st in sts)
    lead = next(st for st in sts if "slammed" in st.text)
    assert lead.text.startswith("Hurricane Lena")
    # only the story's first paragraph carries a dateline: capitals and a dash later are the words themselves
    assert not any(st.text.startswith("the alliance") for st in sts)


def test_a_short_sentence_quoted_after_someone_else_is_named_is_theirs() -> None:
    text = "Rivals\n\n“We will win,” Rita Smith said on Tuesday. Ann Jones, her rival, disagreed. “Nonsense.”"
    st = next(st for st in extract_statements(text, "t") if st.text.strip("“” ") == "Nonsense.")
    assert st.speaker == "Ann Jones"


@pytest.mark.parametrize(
    "text",
    [
        "A report from Capitol Hill said that the bill would pass before the end of the session next month.",
        "A letter from Wall Street said that the levy would drive banks out of the city within a year.",
    ],
)
def test_a_document_from_a_place_is_nobodys(text: str) -> None:
    st = extract_statements(text, "t")[0]
    assert st.speaker_kind != "person"


def test_a_place_with_a_particle_is_nobody_a_pronoun_means() -> None:
    text = "Talks\n\nThe talks were held in Rio de Janeiro on Monday and ran all day.\n\n“We made progress,” he said."
    assert all(st.speaker != "Rio de Janeiro" for st in extract_statements(text, "t"))


def test_an_organisation_with_an_arabic_article_is_no_person() -> None:
    st = extract_statements("The group al-Qaeda said that it carried out the attack on the base.", "t")[0]
    assert (st.speaker, st.speaker_kind) == ("al-Qaeda", "organisation")


@pytest.mark.parametrize(
    "text",
    [
        "US - China trade talks collapsed on Monday after two days of meetings in Geneva, officials said.",
        "OPEC — the cartel of oil producers — will cut output next month by a million barrels, officials said.",
    ],
)
def test_capitals_and_a_dash_that_are_no_dateline_stay(text: str) -> None:
    st = extract_statements("Talks\n\n" + text, "t")[0]
    assert st.text.startswith(text.split()[0])
