"""The citation assertions on canned answers over the real seed article: what they catch and what they say."""

from __future__ import annotations

import pytest

from bot.golden.problems import speaker_matches
from bot.testing import assert_citations_verbatim, assert_cites, assert_no_uncited_quotes, assert_verdict
from retrieval.models import Article
from tests.plugin.canned import KIRBY, SENTENCED, answer, cite, seed_article, verdict


@pytest.fixture(scope="module")
def article() -> Article:
    return seed_article()


def test_true_citations_pass_every_assertion(article: Article) -> None:
    kirby = cite(article, KIRBY, n=1, speaker="John Kirby")
    zelensky = cite(article, SENTENCED, n=2, speaker="Volodymyr Zelensky")
    ans = answer("Kirby: “labelled as ludicrous” [1]. Zelensky: Putin “deserves to be sentenced” [2].", kirby, zelensky)
    assert_citations_verbatim(ans, articles=[article])
    assert_citations_verbatim(ans, articles={article.id: article.text})
    assert assert_cites(ans, speaker="Kirby", contains="LABELLED as ludicrous") == kirby
    assert_no_uncited_quotes(ans)


def test_misquote_names_the_changed_word(article: Article) -> None:
    bad = {**cite(article, KIRBY), "text": KIRBY.replace("ludicrous", "absurd")}
    with pytest.raises(AssertionError) as info:
        assert_citations_verbatim(answer("x [1]", bad), articles=[article])
    msg = str(info.value)
    assert "the citation has 'absurd.' where the source has 'ludicrous.'" in msg
    assert "occurs nowhere in the article" in msg and KIRBY[:40] in msg


@pytest.mark.parametrize("shift", [1, -1, 7])
def test_shifted_offsets_are_reported_with_the_true_position(article: Article, shift: int) -> None:
    good = cite(article, KIRBY)
    bad = {**good, "start": good["start"] + shift, "end": good["end"] + shift}
    with pytest.raises(AssertionError) as info:
        assert_citations_verbatim(answer("x [1]", bad), articles=[article])
    assert f"offsets shifted by {shift:+d}: the cited text is at [{good['start']}:{good['end']}]" in str(info.value)


def test_unknown_article_is_reported_not_raised(article: Article) -> None:
    bad = {**cite(article, KIRBY), "article_id": "nope"}
    with pytest.raises(AssertionError, match="article nope: cannot get the article"):
        assert_citations_verbatim(answer("x [1]", bad), articles=[article])


def test_verbatim_without_articles_or_client_says_how_to_fix(article: Article) -> None:
    with pytest.raises(ValueError, match="pass articles="):
        assert_citations_verbatim(answer("x [1]", cite(article, KIRBY)))


def test_misattribution_names_who_the_words_were_given_to(article: Article) -> None:
    ans = answer("Putin called it ludicrous [1].", cite(article, KIRBY, speaker="Vladimir Putin"))
    with pytest.raises(AssertionError) as info:
        assert_cites(ans, speaker="John Kirby", contains="labelled as ludicrous")
    msg = str(info.value)
    assert msg.startswith("misattributed: 'labelled as ludicrous' is cited, but attributed to 'Vladimir Putin'")
    assert "speaker is 'Vladimir Putin', not 'John Kirby'" in msg


def test_cites_lists_what_was_cited_when_nothing_matches(article: Article) -> None:
    ans = answer("x [1]", cite(article, KIRBY, speaker="John Kirby"))
    with pytest.raises(AssertionError, match=r"does not contain 'crimes of aggression'"):
        assert_cites(ans, contains="crimes of aggression")


def test_swapped_verdict_speaker_is_reported(article: Article) -> None:
    ev = cite(article, SENTENCED, speaker="John Kirby")
    v = verdict("verified", "deserves to be sentenced", ev, claimed="Volodymyr Zelensky", actual="John Kirby")
    assert_verdict(v, "verified")
    with pytest.raises(AssertionError) as info:
        assert_verdict(v, "verified", speaker="Volodymyr Zelensky")
    assert "the words are attributed to 'John Kirby', expected 'Volodymyr Zelensky'" in str(info.value)


def test_verdict_label_and_answer_without_verdict(article: Article) -> None:
    v = verdict("altered", "deserves to be punished", cite(article, SENTENCED), claimed="Zelensky", actual=None)
    with pytest.raises(AssertionError, match="verdict is 'altered', expected 'verified'"):
        assert_verdict(answer("x", verdicts=[v], intent="verify"), "verified")
    with pytest.raises(AssertionError, match="the answer has no verdict"):
        assert_verdict(answer("x"), "verified")


def test_uncited_quote_shows_the_closest_citation_and_the_word(article: Article) -> None:
    ans = answer("Zelensky said Putin “deserves to be punished for criminal actions” [1].", cite(article, SENTENCED))
    with pytest.raises(AssertionError) as info:
        assert_no_uncited_quotes(ans)
    assert "the quote has 'punished' where the citation has 'sentenced'" in str(info.value)


@pytest.mark.parametrize(
    "text",
    [
        "He said Putin “deserves to be sentenced … in the capital of international law” [1].",  # ellipsis joins
        'He said Putin "Deserves to be sentenced" [1].',  # case and straight quotes are folded
        "In “{title}” (6 May 2023): Putin “deserves to be sentenced” [1]",  # a cited title in quotation marks
        "In “{short}…”: [1]",  # a title cut short
    ],
)
def test_uncited_quote_check_accepts_what_is_backed(article: Article, text: str) -> None:
    text = text.format(title=article.title, short=article.title[:30])
    assert_no_uncited_quotes(answer(text, cite(article, SENTENCED)))


@pytest.mark.parametrize(
    ("expected", "actual", "same"),
    [
        ("John Kirby", "John Kirby", True),
        ("Kirby", "John Kirby", True),
        ("Mr Kirby", "john kirby", True),
        ("Putin", "Putin’s Office", False),
        ("Volodymyr Zelensky", "John Kirby", False),
        ("John Kirby", None, False),
    ],
)
def test_speaker_matching(expected: str, actual: str | None, same: bool) -> None:
    assert speaker_matches(expected, actual) is same
