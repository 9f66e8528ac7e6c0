"""Property: whatever the article text, every citation the pipeline returns is verbatim at its offsets."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.chat import AskParams
from bot.services import Services, build_services
from bot.settings import load_settings
from retrieval.embedding import Embedder
from retrieval.models import Article
from retrieval.search import Filters

WORDS = st.sampled_from(
    [
        "John Kirby said",
        "“We will",
        "win,” she said.",
        "He added that",
        "according to officials",
        "told reporters",
        "Kirby",
        "said",
        "the",
        "claim",
        "was",
        "“ludicrous”",
        "‘crimes’",
        '"quoted"',
        "drone",
        "🚀",
        "naïve",
        "e\u0301te\u0301",
        "—",
        "…",
        "Zelensky:",
        "(see",
        "below)",
        "ключ",
        "中文",
        "x" * 120,
    ]
)
SEPARATORS = st.sampled_from([" ", " ", " ", ". ", ", ", "\n", "\n\n", "  ", "\t", "! "])
TEXTS = (
    st.lists(st.tuples(WORDS, SEPARATORS), min_size=1, max_size=400)
    .map(lambda parts: "".join(w + s for w, s in parts).strip())
    .filter(bool)
)


@pytest.fixture(scope="module")
def shared_services(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Services:
    folder: Path = tmp_path_factory.mktemp("prop")
    return build_services(load_settings({"store": {"path": str(folder / "index")}}, environ={}), embedder=embedder)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXTS, query=WORDS)
def test_citations_are_verbatim_for_arbitrary_text(shared_services: Services, text: str, query: str) -> None:
    article = Article(id=f"prop-{abs(hash(text)) % 10**12}", text=text, title="t")
    shared_services.ingestor.ingest_articles([article])
    only_this = Filters(article_id=article.id)
    answers = [shared_services.chat.ask(AskParams(query, 5, only_this))]
    speakers = {
        p.statement.speaker
        for p in shared_services.store.get_statements(Filters(article_id=article.id))
        if p.statement and p.statement.speaker
    }
    # Statement answers widen citations to whole sentences: check those offsets too.
    answers += [shared_services.chat.ask(AskParams(f"what did {name} say?", 5, only_this)) for name in speakers]
    stored = shared_services.store.get_article(article.id)
    assert stored is not None and stored.text == text
    assert answers[0].citations
    for answer in answers:
        for c in answer.citations:
            assert stored.text[c.start : c.end] == c.text
            assert f"[{c.n}]" in answer.text
