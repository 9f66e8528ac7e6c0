"""Question parsing: speech verbs come from the cue lexicon; group questions; audiences and topics."""

from __future__ import annotations

import pytest

from bot.intents import Intent, detect
from retrieval.identity.groups import belongs, is_group
from retrieval.models import Speaker


@pytest.mark.parametrize(
    ("question", "speaker", "topic"),
    [
        ("What did Trump tell reporters about taxes?", "Trump", "taxes"),
        ("what did Michael Moore write about the election", "Michael Moore", "the election"),
        ("what did Pence say to men about abortion?", "Pence", "abortion"),
        ("What did the senator tweet?", "the senator", None),
        ("what did Clinton say regarding emails", "Clinton", "emails"),
    ],
)
def test_speaker_questions_take_any_speech_verb_and_an_audience(question: str, speaker: str, topic: str | None) -> None:
    intent = detect(question)
    assert (intent.name, intent.speaker, intent.topic) == ("speaker_statements", speaker, topic)


@pytest.mark.parametrize("verb", ["dismissed", "accused", "denounced", "praised", "warned"])
def test_who_questions_know_every_cue_verb(verb: str) -> None:
    intent = detect(f"who {verb} the governor of lying?")
    assert intent.name == "who_said" and intent.claim == "the governor of lying"


@pytest.mark.parametrize(
    ("question", "group", "topic"),
    [
        ("What are Democrats saying about the debate?", "Democrats", "the debate"),
        ("what did the Republicans say about the wall", "the Republicans", "the wall"),
        ("what do experts think of the plan?", "experts", "the plan"),
        ("How are people reacting to the verdict?", "people", "the verdict"),
    ],
)
def test_group_questions(question: str, group: str, topic: str) -> None:
    intent = detect(question)
    assert (intent.name, intent.speaker, intent.topic) == ("group", group, topic)


def test_a_name_is_not_a_group() -> None:
    assert detect("what did Chris Evans say about the film?").name == "speaker_statements"
    assert not is_group("Chris Evans")


def test_group_membership_from_party_tags_roles_and_affiliations() -> None:
    tagged = Speaker("amy-brooks", "Amy Brooks")
    assert belongs("Democrats", tagged, "Sen. Amy Brooks, D-Ohio")
    assert not belongs("Republicans", tagged, "Sen. Amy Brooks, D-Ohio")
    assert belongs("the Republicans", Speaker("t", "Tom Hale", roles=("Republican congressman",)))
    assert belongs("experts", Speaker("l", "Lisa Wong", roles=("economist",)))
    assert not belongs("experts", Speaker("l", "Lisa Wong", roles=("mayor",)))
    assert belongs("people", None)


@pytest.mark.parametrize(
    ("question", "speaker"),
    [
        ("what did the Secretary of State say?", "the Secretary of State"),
        ("what did the conservative talk radio host say?", "the conservative talk radio host"),
        ("did the Secretary of State say the talks failed?", "the Secretary of State"),
    ],
)
def test_a_cue_word_inside_a_title_does_not_cut_the_speaker(question: str, speaker: str) -> None:
    assert detect(question).speaker == speaker


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ('Did Kirby say "ludicrous"?', Intent("verify", speaker="Kirby", claim="ludicrous", quoted=True)),
        (
            "did Putin really say that the US was behind it",
            Intent("verify", speaker="Putin", claim="the US was behind it"),
        ),
        ("Is it true that Kirby said it was ludicrous?", Intent("verify", speaker="Kirby", claim="it was ludicrous")),
        ('"a disgrace" - John Smith', Intent("verify", speaker="John Smith", claim="a disgrace", quoted=True)),
        ('John Smith: "a disgrace".', Intent("verify", speaker="John Smith", claim="a disgrace", quoted=True)),
        ('who said "ludicrous"?', Intent("who_said", claim="ludicrous", quoted=True, topic="said")),
        ("When did Kirby say it?", Intent("when", speaker="Kirby")),
        ("when was that said?", Intent("when")),
        ("What else did Kirby say?", Intent("speaker_statements", speaker="Kirby", more=True)),
        (
            "Kirby's comments on the drone attack",
            Intent("speaker_statements", speaker="Kirby", topic="the drone attack"),
        ),
        ("quotes by Putin about Ukraine", Intent("speaker_statements", speaker="Putin", topic="Ukraine")),
        ("drone strikes on the Kremlin", Intent("search", topic="drone strikes on the Kremlin")),
        ("what did you say?", Intent("search", topic="what did you say")),  # the bot is not a speaker
    ],
)
def test_questions_map_to_one_intent_each(question: str, expected: Intent) -> None:
    assert detect(question) == expected


def test_a_pronoun_speaker_is_resolved_from_the_conversation() -> None:
    assert detect("what else did he say?").pronoun
    assert not detect("what did Kirby say?").pronoun
