"""LangChain: retriever, tools, embeddings and loader, in-process and against `quotebot serve`; only the LLM is fake."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from langchain.agents import create_agent
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.vectorstores import InMemoryVectorStore

from bot.client import Quotebot
from bot.integrations.langchain import (
    QuotebotArticleLoader,
    QuotebotEmbeddings,
    QuotebotRetriever,
    quotebot_tools,
)
from bot.schemas import AnswerOut, VerdictOut
from bot.services import Services
from retrieval.embedding import Embedder
from retrieval.loaders import iter_files, load_file
from tests.conftest import ROOT, SEEDS
from tests.integrations.conftest import Served

EXAMPLE = ROOT / "examples" / "lcel_chain.py"
LOADERS = ROOT / "tests" / "data" / "loaders"


def load_example() -> Any:
    """Import examples/lcel_chain.py as a module."""
    spec = importlib.util.spec_from_file_location("lcel_chain", EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(params=["in-process", "quotebot serve"])
def target(request: pytest.FixtureRequest) -> tuple[Any, Callable[[str], str]]:
    """What the integration runs over, and how to read a stored article's text there (to check citations)."""
    if request.param == "in-process":
        svc: Services = request.getfixturevalue("seeded_pkg")

        def local_text(article_id: str) -> str:
            art = svc.store.get_article(article_id)
            assert art is not None
            return art.text

        return svc, local_text
    served: Served = request.getfixturevalue("quotebot_serve")
    client = Quotebot(served.url, api_key=served.key)
    return client, lambda article_id: client.article(article_id).text


def test_retriever_returns_verbatim_documents_with_their_metadata(target: tuple[Any, Callable[[str], str]]) -> None:
    over, text_of = target
    docs = QuotebotRetriever.over(over, k=3).invoke("who called the claim ludicrous?")
    assert len(docs) == 3
    top = docs[0]
    assert top.metadata["speaker"] == "John Kirby" and top.metadata["speaker_id"] == "john-kirby"
    assert top.metadata["kind"] == "indirect" and top.metadata["published"] == "2023-05-06"
    assert top.id == top.metadata["statement_id"]
    for d in docs:
        m = d.metadata
        assert text_of(m["article_id"])[m["start"] : m["end"]] == d.page_content


def test_retriever_filters_by_speaker_dates_and_article(target: tuple[Any, Callable[[str], str]]) -> None:
    over, _ = target
    zelensky = QuotebotRetriever.over(over, k=10, speaker="Zelensky").invoke("Putin")
    assert zelensky and {d.metadata["speaker_id"] for d in zelensky} == {"volodymyr-zelensky"}
    assert QuotebotRetriever.over(over, since="2024-01-01").invoke("Putin") == []
    assert QuotebotRetriever.over(over, until="2023-05-06").invoke("Putin")
    article_id = zelensky[0].metadata["article_id"]
    assert QuotebotRetriever.over(over, article_id=article_id).invoke("Putin")
    assert QuotebotRetriever.over(over, article_id="no-such-article").invoke("Putin") == []
    chunks = QuotebotRetriever.over(over, kind="chunks", k=2).invoke("drone attack on the Kremlin")
    assert len(chunks) == 2 and {d.metadata["kind"] for d in chunks} == {"chunk"}
    assert all(d.metadata["speaker"] is None for d in chunks)


def test_in_process_and_served_retrievers_agree(seeded_pkg: Services, quotebot_serve: Served) -> None:
    question = "what did Zelensky say about Putin?"
    local = QuotebotRetriever.over(seeded_pkg, k=4).invoke(question)
    remote = QuotebotRetriever.over(Quotebot(quotebot_serve.url), k=4).invoke(question)
    assert [(d.id, d.page_content) for d in local] == [(d.id, d.page_content) for d in remote]


def test_lcel_chain_answers_with_quotebot_citations(target: tuple[Any, Callable[[str], str]]) -> None:
    over, text_of = target
    chain = load_example().build_chain(QuotebotRetriever.over(over, k=2))
    result = chain.invoke("who called the claim ludicrous?")
    assert result["answer"].splitlines()[1].startswith("- John Kirby: “This was a claim that spokesman John Kirby")
    for n, d in enumerate(result["docs"], start=1):
        assert f"“{d.page_content}” [{n}]" in result["answer"]
        assert text_of(d.metadata["article_id"])[d.metadata["start"] : d.metadata["end"]] == d.page_content


def test_lcel_chain_passes_numbered_sources_to_a_chat_model(seeded_pkg: Services) -> None:
    llm = GenericFakeChatModel(messages=iter(["Kirby called it ludicrous [1]."]))
    seen: list[Any] = []
    chain = load_example().build_chain(QuotebotRetriever.over(seeded_pkg, k=2), llm=llm)
    result = chain.invoke("who called the claim ludicrous?", {"callbacks": [_Recorder(seen)]})
    assert result["answer"] == "Kirby called it ludicrous [1]."
    prompt = "\n".join(str(m.content) for batch in seen for m in batch)
    assert "[1] John Kirby: This was a claim that spokesman John Kirby" in prompt
    assert "Question: who called the claim ludicrous?" in prompt


class _Recorder(BaseCallbackHandler):
    """Records the messages a chat model was given."""

    def __init__(self, seen: list[Any]) -> None:
        self.seen = seen

    def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
        """Keep the prompt."""
        self.seen.extend(messages)


@pytest.mark.parametrize("mode", ["corpus", "url"])
def test_example_script_runs(mode: str, quotebot_serve: Served) -> None:
    where = ["--corpus", str(SEEDS)] if mode == "corpus" else ["--url", quotebot_serve.url]
    cmd = [sys.executable, str(EXAMPLE), *where, "-k", "2", "who called the claim ludicrous?"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT, check=True).stdout
    result = json.loads(out)
    assert result["citations"][0]["speaker"] == "John Kirby"
    assert f"“{result['citations'][0]['text']}” [1]" in result["answer"]


class ToolCallingFakeModel(GenericFakeChatModel):
    """The scripted LLM of the agent test: replays messages (tool calls, then a final answer); binding is a no-op."""

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        """Accept the tools; the script already says which to call."""
        return self


def test_agent_calls_the_tools_and_gets_cited_answers(target: tuple[Any, Callable[[str], str]]) -> None:
    over, text_of = target
    script = [
        AIMessage("", tool_calls=[{"name": "who_said", "args": {"claim": "the claim is ludicrous"}, "id": "c1"}]),
        AIMessage(
            "",
            tool_calls=[
                {
                    "name": "verify_quote",
                    "args": {"quote": "deserves to be sentenced", "speaker": "Zelensky"},
                    "id": "c2",
                },
                {"name": "speaker_statements", "args": {"speaker": "Kirby", "until": "2023-12-31"}, "id": "c3"},
            ],
        ),
        AIMessage("John Kirby called the claim ludicrous [1]."),
    ]
    agent = create_agent(ToolCallingFakeModel(messages=iter(script)), tools=quotebot_tools(over))
    state = agent.invoke({"messages": [HumanMessage("Who called the claim ludicrous, and did Zelensky say ...?")]})
    results = {m.tool_call_id: m for m in state["messages"] if isinstance(m, ToolMessage)}
    assert set(results) == {"c1", "c2", "c3"}
    who, verdict, listed = results["c1"].artifact, results["c2"].artifact, results["c3"].artifact
    assert isinstance(who, AnswerOut) and who.intent == "who_said" and who.speaker == "John Kirby"
    assert isinstance(verdict, VerdictOut) and verdict.label == "verified"
    assert isinstance(listed, AnswerOut) and listed.intent == "speaker_statements" and listed.citations
    assert "John Kirby" in str(results["c1"].content) and "Verdict: verified" in str(results["c2"].content)
    for artifact in (who, listed):
        for c in artifact.citations:
            assert text_of(c.article_id)[c.start : c.end] == c.text
            assert f"[{c.n}] “{c.text}”" in str(results["c1" if artifact is who else "c3"].content)
    assert state["messages"][-1].content == "John Kirby called the claim ludicrous [1]."


def test_tools_report_an_unknown_speaker_instead_of_raising(target: tuple[Any, Callable[[str], str]]) -> None:
    over, _ = target
    tools = {t.name: t for t in quotebot_tools(over)}
    msg = tools["speaker_statements"].invoke(
        {"type": "tool_call", "name": "speaker_statements", "id": "x", "args": {"speaker": "Nobody Atall"}}
    )
    assert "no statements by Nobody Atall" in str(msg.content)
    with pytest.raises(Exception, match="quote"):
        tools["verify_quote"].invoke({"speaker": "Zelensky"})  # the typed args refuse a call without a quote


def test_embeddings_adapter_matches_the_embedder_and_backs_a_vector_store(embedder: Embedder) -> None:
    emb = QuotebotEmbeddings(embedder)
    docs = QuotebotArticleLoader(SEEDS).load()
    vectors = emb.embed_documents([d.page_content for d in docs])
    assert np.allclose(vectors, embedder.embed_documents([d.page_content for d in docs]), atol=1e-6)
    assert abs(np.linalg.norm(emb.embed_query("Kremlin drone")) - 1) < 1e-5
    store = InMemoryVectorStore.from_documents(docs + QuotebotArticleLoader(LOADERS / "article.md").load(), emb)
    assert store.similarity_search("drone attack on the Kremlin", k=1)[0].id == docs[0].id


def test_loader_reads_every_quotebot_format_into_documents() -> None:
    paths = [LOADERS / "folder", LOADERS / "article.html", LOADERS / "articles.jsonl"]
    docs = QuotebotArticleLoader(paths).load()
    expected = [a for f in iter_files(paths) for a in load_file(f)]
    assert len({Path(d.metadata["file"]).suffix for d in docs}) >= 4  # .txt, .jsonl, .markdown, .html at least
    assert [d.page_content for d in docs] == [a.text for a in expected]
    assert [d.id for d in docs] == [d.metadata["id"] for d in docs] == [a.id for a in expected]
    assert {"title", "url", "source", "published", "byline", "file"} <= set(docs[0].metadata)
    seed = QuotebotArticleLoader(SEEDS).load()[0]
    assert seed.metadata["published"] == "2023-05-06" and "Kirby" in seed.page_content
