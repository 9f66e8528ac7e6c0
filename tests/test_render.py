"""Answer text from statements and verdicts: verbatim citations, one number per span, direct vs reported wording."""

from __future__ import annotations

import re

import pytest

from bot.render import Renderer, excerpt, intro_verb, pretty_date
from bot.services import Services
from retrieval.models import Citation, Passage, Verdict
from retrieval.store import Store

MARKER = re.compile(r"\[(\d+)\]$")


@pytest.mark.parametrize(
    ("cue", "verb"),
    [
        ("said", "said"),
        ("has warned", "warned"),  # the last word of a cue is its verb
        ("wrote", "wrote"),
        ("told", "said"),  # "X told: …" wants an object
        ("says", "said"),  # present tense reads wrongly before a past quotation
        ("believes", "said"),  # not a speech verb
        (None, "said"),
    ],
)
def test_intro_verb_keeps_only_a_past_speech_verb_that_stands_alone(cue: str | None, verb: str) -> None:
    assert intro_verb(cue) == verb


def test_excerpt_is_a_verbatim_prefix_cut_at_a_word() -> None:
    text = "The minister said the bridge would open in spring, weeks later than planned."
    cut, was_cut = excerpt(text, 30)
    assert was_cut and text.startswith(cut) and len(cut) <= 30 and not cut.endswith(" ")
    assert excerpt("  short  ") == ("short", False)


@pytest.mark.parametrize(("iso", "shown"), [("2023-05-06", "6 May 2023"), ("May 2023", "May 2023"), ("", "")])
def test_pretty_date(iso: str, shown: str) -> None:
    assert pretty_date(iso) == shown


@pytest.fixture
def passages(seeded: Services) -> list[Passage]:
    """Every statement of the seed article, as stored."""
    found = seeded.store.get_statements()
    assert len(found) >= 5
    return found


def test_every_line_cites_a_verbatim_span_once(seeded: Services, passages: list[Passage]) -> None:
    renderer = Renderer(seeded.store)
    text, cites = renderer.statements("Here is what was said:", passages)
    lines = text.splitlines()
    assert lines[0] == "Here is what was said:" and lines[1].startswith("In “")
    numbers = [int(m.group(1)) for line in lines[2:] if (m := MARKER.search(line))]
    assert numbers == list(range(1, len(cites) + 1))  # each cited span shown once, numbered in order
    for c in cites:
        article = seeded.store.get_article(c.article_id)
        assert article is not None and article.text[c.start : c.end] == c.text
    assert len({(c.start, c.end) for c in cites}) == len(cites)


def test_direct_words_are_quoted_and_reported_speech_is_not(seeded: Services, passages: list[Passage]) -> None:
    renderer = Renderer(seeded.store)
    direct = next(p for p in passages if p.statement and p.statement.kind == "direct" and p.statement.quoted)
    reported = next(p for p in passages if p.statement and p.statement.kind == "indirect")
    text, _ = renderer.ranked("Most relevant:", [direct, reported])
    first, second = text.splitlines()[1:]
    assert direct.statement is not None and direct.statement.speaker
    article = seeded.store.get_article(direct.source.article_id)
    assert article is not None
    words = " … ".join(article.text[s:e] for s, e in direct.statement.quoted)  # the speaker's own words, verbatim
    assert first.startswith(f"- {direct.statement.speaker} ") and f": “{words}” [1]" in first
    assert first.endswith(f"[1] ({_source(direct)})")
    assert second.startswith("- Reported: ") and second.endswith(f"[2] ({_source(reported)})")


def test_a_span_cited_again_keeps_its_number(seeded: Services, passages: list[Passage]) -> None:
    renderer = Renderer(seeded.store)
    first = renderer.cite(passages[0])
    other = renderer.cite(passages[-1])
    assert (first.n, other.n) == (1, 2)
    assert renderer.cite(passages[0]) is first and len(renderer.citations) == 2


def test_an_article_is_fetched_once_per_request(seeded: Services, passages: list[Passage]) -> None:
    renderer = Renderer(seeded.store)
    article_id = passages[0].source.article_id
    assert renderer.article(article_id) is renderer.article(article_id)
    assert Renderer(seeded.store).article(article_id) is not renderer.article(article_id)


def _cite(n: int) -> Citation:
    return Citation(n=n, article_id="a", start=0, end=4, text="text")


@pytest.mark.parametrize(
    ("verdict", "sentence"),
    [
        (Verdict("verified", "x", "Kirby", (_cite(1),)), "Verified: the sources quote Kirby saying these words [1]."),
        (
            Verdict("altered", "x", "Kirby", (_cite(1),), notes=("'not' added",)),
            "Altered: Kirby said something close, but the words differ ('not' added). See the source [1].",
        ),
        (
            Verdict("misattributed", "x", "Putin", (_cite(2),), actual_speaker="Kirby", similarity=1.0),
            "Misattributed: Kirby said this, not Putin [2].",
        ),
        (
            Verdict("not_found", "x", None),
            "Not found: I found no statement by anyone with these words in the indexed articles.",
        ),
    ],
)
def test_verdict_sentences_name_who_and_cite_the_evidence(store: Store, verdict: Verdict, sentence: str) -> None:
    assert Renderer(store).verdict(verdict, None) == sentence


def _source(p: Passage) -> str:
    """Return how a ranked line names its article: title in quotation marks, outlet and date."""
    return ", ".join(x for x in (f"“{p.source.title}”", p.source.source, pretty_date(p.source.published)) if x)
