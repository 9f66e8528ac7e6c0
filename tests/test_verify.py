"""Quote verification: the normaliser, the word diff and its notes (no store), then verdicts over the seed index."""

from __future__ import annotations

import pytest

from bot.services import Services
from retrieval.models import Verdict
from retrieval.speakers import SpeakerIndex
from retrieval.verification import Verifier
from retrieval.verification.align import align, find_in_order
from retrieval.verification.diff import describe, word_diff
from retrieval.verification.normalise import negated, parse_claim, phrase_probes, strip_claim, tokenize
from retrieval.verification.verify import name_variants

SENTENCED = "deserves to be sentenced for criminal actions in the capital of international law"


def norms(text: str) -> list[str]:
    return [t.norm for t in tokenize(text)]


# ---- normaliser ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "source"),
    [
        ("Putin's Office", "Putin’s Office"),
        ("“Crimes of aggression.”", "crimes of aggression"),
        ("didn't", "didn’t"),
        ("well-known", "well — known"),
        ("  spread   over\nlines ", "spread over lines"),
        ("naïve café", "naive cafe"),
        ("e\u0301te\u0301", "été"),
        ("3,000 troops", "3,000 troops"),
    ],
)
def test_normaliser_makes_typed_and_source_forms_equal(typed: str, source: str) -> None:
    assert norms(typed) == norms(source)


def test_normaliser_keeps_offsets_into_the_original_text() -> None:
    text = "He said: “We’re not   done.”"
    for tok in tokenize(text, offset=100):
        assert text[tok.start - 100 : tok.end - 100] == tok.raw


@pytest.mark.parametrize(
    ("claim", "stripped"),
    [
        ('"ludicrous."', "ludicrous"),
        ("“deserves to be sentenced”!", "deserves to be sentenced"),
        ("‘crimes of aggression’,", "crimes of aggression"),
        ("  plain words  ", "plain words"),
    ],
)
def test_strip_claim_drops_surrounding_quote_marks_and_punctuation(claim: str, stripped: str) -> None:
    assert strip_claim(claim) == stripped


@pytest.mark.parametrize(
    ("claim", "segments"),
    [
        ("held to account ... crimes of aggression", [["held", "to", "account"], ["crimes", "of", "aggression"]]),
        ("held to account…crimes", [["held", "to", "account"], ["crimes"]]),
        ("held to account [...] crimes", [["held", "to", "account"], ["crimes"]]),
        ("held to account . . . crimes", [["held", "to", "account"], ["crimes"]]),
        ("...held to account...", [["held", "to", "account"]]),
        ("no ellipsis here.", [["no", "ellipsis", "here"]]),
    ],
)
def test_ellipsis_splits_a_claim_into_segments(claim: str, segments: list[list[str]]) -> None:
    assert [[t.norm for t in seg] for seg in parse_claim(claim).segments] == segments


def test_phrase_probes_are_plain_word_runs_in_a_few_casings() -> None:
    probes = phrase_probes(parse_claim("President of Russia was injured, as a result"))
    assert probes[0] == "President of Russia was injured"
    assert "president of russia was injured" in probes
    assert all("," not in p for p in probes)


@pytest.mark.parametrize(
    ("typed", "variants"),
    [
        ("Kirby", ["Kirby"]),
        ("spokesman John Kirby", ["spokesman John Kirby", "John Kirby"]),
        ("Daryl Kimball, executive director of the Arms Control Association", ["Daryl Kimball"]),
        ("Rep. Jim Clyburn (D-S.C.), the assistant leader", ["Jim Clyburn", "Rep. Jim Clyburn"]),
        ("Majority Leader Mitch McConnell, R-Ky.,", ["Mitch McConnell", "Majority Leader Mitch McConnell"]),
        ("IMF chief economist Maury Obstfeld", ["Maury Obstfeld"]),
        ("The piece", ["piece"]),
        ("Obama's former campaign strategist", []),
        ("Putin's Office", []),
    ],
)
def test_name_variants_try_shorter_forms_of_a_typed_speaker(typed: str, variants: list[str]) -> None:
    got = name_variants(typed)
    assert got[0] == typed
    assert got[1:] == [v for v in variants if v != typed]


# ---- alignment, diff and notes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("segments", "source", "found"),
    [
        (["a b"], "x a b y", [(1, 3)]),
        (["a", "c"], "a b c", [(0, 1), (2, 3)]),
        (["c", "a"], "a b c", None),
        (["a b", "a b"], "a b", None),
    ],
)
def test_find_in_order_places_segments_in_order(
    segments: list[str], source: str, found: list[tuple[int, int]] | None
) -> None:
    assert find_in_order([s.split() for s in segments], source.split()) == found


def test_find_in_order_can_require_quoted_words() -> None:
    assert find_in_order([["a", "b"]], ["a", "b", "a", "b"], [False, False, True, True]) == [(2, 4)]


def diff_notes(source: str, claim: str) -> tuple[list[tuple[str, str, str]], tuple[str, ...]]:
    src, clm = tokenize(source), tokenize(claim)
    al = align([t.norm for t in clm], [t.norm for t in src])
    assert al is not None
    ops: list[tuple[str, str, str]] = [(d.op, d.source, d.claim) for d in word_diff(clm, src, al.opcodes)]
    return ops, describe(clm, src, al.opcodes)


@pytest.mark.parametrize(
    ("source", "claim", "edit", "note"),
    [
        (
            "the president was not injured today",
            "the president was injured today",
            ("delete", "not", ""),
            "negation removed: not",
        ),
        (
            "the president was injured today",
            "the president was not injured today",
            ("insert", "", "not"),
            "negation added: not",
        ),
        (
            "we did it for the people",
            "we didn't do it for the people",
            ("replace", "did", "didn't do"),
            "negation added: didn't",
        ),
        (
            "three drones hit the Kremlin walls",
            "four drones hit the Kremlin walls",
            ("replace", "three", "four"),
            "number changed: three -> four",
        ),
        (
            "they fired 3 missiles at the town",
            "they fired 4 missiles at the town",
            ("replace", "3", "4"),
            "number changed: 3 -> 4",
        ),
        (
            "the deal pleased Putin a great deal",
            "the deal pleased Biden a great deal",
            ("replace", "Putin", "Biden"),
            "name swapped: Putin -> Biden",
        ),
        (
            "we will build a very big wall",
            "we will build a very tall wall",
            ("replace", "big", "tall"),
            "words changed: big -> tall",
        ),
    ],
)
def test_word_diff_and_notes_flag_the_edit(source: str, claim: str, edit: tuple[str, str, str], note: str) -> None:
    ops, notes = diff_notes(source, claim)
    assert edit in ops
    assert note in notes
    assert all(op == "equal" for op, *_ in ops if (op, *_) != edit)


def test_alignment_ignores_source_words_outside_the_claim() -> None:
    ops, notes = diff_notes("long before this the president was not injured at all, they said", "president was injured")
    assert ops == [("equal", "president was", "president was"), ("delete", "not", ""), ("equal", "injured", "injured")]
    assert notes == ("negation removed: not",)


def test_shuffled_words_align_poorly() -> None:
    words = norms(SENTENCED)
    shuffled = [words[i] for i in (7, 2, 11, 4, 0, 9, 5, 12, 1, 10, 3, 8, 6)]
    al = align(shuffled, words)
    assert al is not None and al.ratio < 0.7


# ---- verdicts over the seed index -----------------------------------------------------------------------------------


@pytest.fixture
def verifier(seeded: Services) -> Verifier:
    return Verifier(seeded.store, seeded.embedder, SpeakerIndex(seeded.store))


def assert_verbatim(services: Services, verdict: Verdict) -> None:
    assert [c.n for c in verdict.evidence] == list(range(1, len(verdict.evidence) + 1))
    for c in verdict.evidence:
        article = services.store.get_article(c.article_id)
        assert article is not None
        assert article.text[c.start : c.end] == c.text


@pytest.mark.parametrize("speaker", ["John Kirby", "kirby", "Kirby", "spokesman John Kirby"])
def test_verify_reports_indirect_speech_as_reported(seeded: Services, verifier: Verifier, speaker: str) -> None:
    v = verifier.verify_claim("ludicrous", speaker)
    assert v.label == "reported"
    assert v.claimed_speaker == "John Kirby" and v.actual_speaker == "John Kirby"
    assert any("labelled as ludicrous" in c.text for c in v.evidence)
    assert_verbatim(seeded, v)


@pytest.mark.parametrize(
    ("claim", "speaker"),
    [
        (SENTENCED, "Zelensky"),
        (SENTENCED, "Volodymyr Zelensky"),
        (f"“{SENTENCED.capitalize()}.”", "zelensky"),
        (SENTENCED, None),
        ("crimes of aggression", "Zelensky"),
        ("As a result of their fall and scattering of fragments, there were no victims", "Putin’s Office"),
        ("President of Russia was not injured as a result of Ukrainian attack", "Putin's office"),
    ],
)
def test_verify_finds_quoted_words_verified(
    seeded: Services, verifier: Verifier, claim: str, speaker: str | None
) -> None:
    v = verifier.verify_claim(claim, speaker)
    assert v.label == "verified", v
    assert v.similarity == 1.0 and v.evidence
    assert all(op.op == "equal" for op in v.diff)
    assert_verbatim(seeded, v)


def test_verify_resolves_the_claimed_speaker(verifier: Verifier) -> None:
    assert verifier.verify_claim(SENTENCED, "zelensky").claimed_speaker == "Volodymyr Zelensky"
    assert verifier.verify_claim(SENTENCED, "Nobody Knowsme").claimed_speaker == "Nobody Knowsme"


@pytest.mark.parametrize("speaker", ["Kirby", "Nobody Knowsme"])
def test_verify_flags_words_of_someone_else_misattributed(seeded: Services, verifier: Verifier, speaker: str) -> None:
    v = verifier.verify_claim(SENTENCED, speaker)
    assert v.label == "misattributed"
    assert v.actual_speaker == "Volodymyr Zelensky"
    assert v.evidence and v.evidence[0].speaker == "Volodymyr Zelensky"
    assert SENTENCED in v.evidence[0].text
    assert_verbatim(seeded, v)


def test_verify_flags_removed_negation(seeded: Services, verifier: Verifier) -> None:
    v = verifier.verify_claim("President of Russia was injured as a result of Ukrainian attack", "Putin's Office")
    assert v.label == "altered"
    assert "negation removed: not" in v.notes
    assert any(d.op == "delete" and d.source == "not" and d.claim == "" for d in v.diff)
    assert v.actual_speaker == "Putin's Office"
    assert "was not injured" in v.evidence[0].text
    assert 0.7 <= v.similarity < 1.0
    assert_verbatim(seeded, v)


@pytest.mark.parametrize(
    ("claim", "note"),
    [
        ("As a result of their fall and scattering of fragments, there were many victims", "negation removed: no"),
        ("President of Ukraine was not injured as a result of Ukrainian attack", "name swapped: Russia -> Ukraine"),
        ("The Two drones exploded behind the Kremlin walls", None),
    ],
)
def test_verify_flags_edited_words_altered(seeded: Services, verifier: Verifier, claim: str, note: str | None) -> None:
    v = verifier.verify_claim(claim, None)
    assert v.label == "altered", v
    assert note is None or note in v.notes
    assert_verbatim(seeded, v)


def test_verify_returns_closest_statements_when_not_found(seeded: Services, verifier: Verifier) -> None:
    v = verifier.verify_claim("The drones were shot down by air defences", None)
    assert v.label == "not_found"
    assert v.evidence and all(0.0 < c.score < 1.0 for c in v.evidence)
    assert any("drone" in c.text for c in v.evidence)
    assert v.similarity < 0.7
    assert_verbatim(seeded, v)


def test_verify_not_found_by_a_speaker_cites_their_closest_statements(seeded: Services, verifier: Verifier) -> None:
    v = verifier.verify_claim("We will respond to this attack with force", "Zelensky")
    assert v.label == "not_found"
    assert any(c.speaker == "Volodymyr Zelensky" for c in v.evidence)
    assert_verbatim(seeded, v)


def test_verify_accepts_an_ellipsis_within_one_quote(seeded: Services, verifier: Verifier) -> None:
    v = verifier.verify_claim("As a result of their fall … President of Russia was not injured", "Putin's Office")
    assert v.label == "verified"
    assert v.evidence[0].text.startswith("As a result of their fall") and v.evidence[0].text.endswith("not injured")
    assert [d.op for d in v.diff] == ["equal", "delete", "equal"]
    assert_verbatim(seeded, v)


def test_verify_flags_a_frankenquote_altered(seeded: Services, verifier: Verifier) -> None:
    v = verifier.verify_claim("deserves to be sentenced ... crimes of aggression", "Zelensky")
    assert v.label == "altered"
    assert "segments joined from different statements" in v.notes
    assert {c.text for c in v.evidence} == {"deserves to be sentenced", "crimes of aggression"}
    assert_verbatim(seeded, v)


def test_verify_reads_an_ellipsis_over_reported_words_as_reported(seeded: Services, verifier: Verifier) -> None:
    v = verifier.verify_claim("held to account ... crimes of aggression", "Zelensky")
    assert v.label == "reported"
    assert "held to account for ‘crimes of aggression’" in v.evidence[0].text
    assert_verbatim(seeded, v)


def test_verify_segments_out_of_order_are_altered(verifier: Verifier) -> None:
    v = verifier.verify_claim("in the capital of international law ... deserves to be sentenced", "Zelensky")
    assert v.label == "altered"
    assert "segments appear out of order" in v.notes


def test_verify_never_answers_false_for_a_claim_without_words(verifier: Verifier) -> None:
    v = verifier.verify_claim(" “…” ", "Kirby")
    assert v.label == "not_found" and not v.evidence


def test_an_unknown_description_holding_the_speakers_name_is_that_speaker(seeded: Services, verifier: Verifier) -> None:
    # no speaker id matches the whole description, but the statement's speaker is named inside it
    claim = "As a result of their fall and scattering of fragments, there were no victims"
    speaker = "the Putin’s Office press team in Moscow"
    assert not verifier.resolve(speaker)[1]
    v = verifier.verify_claim(claim, speaker)
    assert v.label == "verified", v
    assert_verbatim(seeded, v)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("the bridge will not reopen this year", "the bridge will reopen this year", False),
        # a paraphrase rewrites negations: three in the source, two (and an "unable") in the claim
        (
            "just because he hasn't had to do it doesn't mean he can't",
            "never needing to does not mean he is unable",
            True,
        ),
        ("there is no way to exclude her", "he has not thought it through and there is no way to exclude her", True),
    ],
)
def test_polarity_is_whether_a_negation_is_there_not_how_many(a: str, b: str, same: bool) -> None:
    def words(text: str) -> list[str]:
        return [t.norm for t in parse_claim(text).tokens]

    assert (negated(words(a)) == negated(words(b))) is same
