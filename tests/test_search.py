"""Searcher: dense retrieval of chunks and statements through the store, with typed filters."""

from __future__ import annotations

import pytest

from bot.services import Services
from retrieval.filters import Filters
from retrieval.models import Article, Passage, Source
from retrieval.search import relevance, topic_words, word_share

ARTICLES = [
    ("s-rail", "2024-01-10", "Rail strike\nThe union said the rail strike would “go on until pay rises”."),
    ("s-farm", "2024-02-20", "Farm aid\nThe minister said the farm aid was “on its way to every village”."),
]


@pytest.fixture
def searched(services: Services) -> Services:
    services.ingestor.ingest_articles(
        [Article(id=i, text=t, published=d, title=t.split("\n")[0]) for i, d, t in ARTICLES]
    )
    return services


def test_passages_rank_the_chunk_about_the_query_first_and_cite_it_verbatim(searched: Services) -> None:
    hits = searched.searcher.passages("workers walking out over wages on the trains", 2)
    assert hits and hits[0].source.article_id == "s-rail"
    assert hits[0].score >= hits[-1].score
    for h in hits:
        article = searched.store.get_article(h.source.article_id)
        assert article is not None and article.text[h.start : h.end] == h.text


def test_statements_follow_the_filters(searched: Services) -> None:
    top = searched.searcher.statements("help for farmers", 1)
    assert top and top[0].source.article_id == "s-farm" and top[0].statement is not None
    later = searched.searcher.statements("help for farmers", 5, Filters(since="2024-02-01"))
    assert {h.source.article_id for h in later} == {"s-farm"}
    rail_only = searched.searcher.statements("help for farmers", 5, Filters(article_id="s-rail"))
    assert {h.source.article_id for h in rail_only} == {"s-rail"}


def test_a_search_needs_a_positive_top_k(searched: Services) -> None:
    with pytest.raises(ValueError, match="top_k must be positive"):
        searched.searcher.passages("strike", 0)
    with pytest.raises(ValueError, match="top_k must be positive"):
        searched.searcher.statements("strike", -1)


def test_a_fragment_near_the_topic_in_meaning_ranks_below_a_statement_on_it() -> None:
    # three words are near any short topic in meaning whatever they say about it; the line with the topic's words wins
    source = Source(article_id="a", title="t", published="2024-01-01")
    fragment = Passage(source, 0, 24, "law enforcement officers", score=0.9)
    line = Passage(source, 30, 110, "the city must spend more on training its police officers before summer", 0.34)
    words = topic_words("police officers")
    assert relevance(words, line) > relevance(words, fragment)


def test_function_words_say_nothing_about_a_topic() -> None:
    # "can" would be found in "American", "when" in any clause; a word inside a compound still counts
    assert topic_words("when can the tax rise") == ["tax", "rise"]
    assert word_share(["pay"], "a gift to taxpayers") == 1.0
