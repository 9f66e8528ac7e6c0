"""The Python client (bot/client.py) against a served app: every route, typed results, problems as one exception."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.client import ROUTES, AsyncQuotebot, Quotebot, QuotebotHTTPError
from bot.services import Services
from tests.browser.conftest import serve
from tests.integrations.conftest import KEY, Served

ARTICLE = {
    "title": "Budget row",
    "source": "Example News",
    "published": "2024-02-01",
    "text": 'The plan is sound, the minister said. "We will not raise taxes this year," Jane Roe said.',
}


@pytest.fixture
def own(seeded: Services, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A served app of its own (for the tests that write), accepting KEY."""
    from bot import create_app

    monkeypatch.setenv("QUOTEBOT_API_KEYS", KEY)
    server, url = serve(create_app(services=seeded))
    yield url
    server.shutdown()


def test_client_covers_every_route_in_the_openapi_document(live: Served) -> None:
    with Quotebot(live.url) as qb:
        spec = qb.openapi()
    served = {(method, path) for path, ops in spec["paths"].items() for method in ops}
    assert served == set(ROUTES), "a route without a client method (or a method for a route that is gone)"
    for name in ROUTES.values():
        assert callable(getattr(Quotebot, name)), name
        assert inspect.iscoroutinefunction(getattr(AsyncQuotebot, name)), name


def test_ask_returns_typed_answer_whose_citations_are_verbatim(live: Served) -> None:
    with Quotebot(live.url) as qb:
        answer = qb.ask("what did Kirby say?")
        assert answer.intent == "speaker_statements" and answer.speaker == "John Kirby"
        assert answer.citations
        for c in answer.citations:
            assert qb.article(c.article_id).text[c.start : c.end] == c.text
        follow = qb.ask("when did he say that?", context=answer.context)
        assert follow.intent == "when" and "2023" in follow.answer


def test_ask_sends_filters_and_top_k(live: Served) -> None:
    with Quotebot(live.url) as qb:
        none = qb.ask("what did Zelensky say?", filters={"since": "2030-01-01"})
        some = qb.ask("what did Zelensky say?", top_k=1)
    assert not none.citations
    assert len(some.citations) == 1


def test_stream_yields_start_tokens_and_the_full_answer(live: Served) -> None:
    with Quotebot(live.url) as qb:
        events = list(qb.stream("What did Zelensky say?"))
        plain = qb.ask("What did Zelensky say?")
    assert events[0].event == "start" and events[-1].event == "done"
    tokens = "".join(e.data["text"] for e in events if e.event == "token")
    done = events[-1].answer
    assert done is not None and tokens == done.answer == plain.answer
    assert done.citations == plain.citations


def test_verify_speakers_and_articles_are_typed(live: Served) -> None:
    with Quotebot(live.url) as qb:
        verdict = qb.verify("deserves to be sentenced", speaker="Zelensky")
        assert verdict.label == "verified" and verdict.evidence
        found = qb.speakers("kirby")
        assert [s.name for s in found] == ["John Kirby"]
        everyone = qb.speakers()
        assert len(everyone) > len(found)
        detail = qb.speaker(found[0].id)
        assert detail.statement_count == len(detail.statements) > 0
        for st in detail.statements:
            art = qb.article(st.article_id)
            assert art.text[st.citation.start : st.citation.end] == st.citation.text
        assert qb.health().counts.articles == 1
        assert qb.ready().status == "ready"
        assert "customElements" in qb.widget() or "function" in qb.widget()
        assert "<html" in qb.page().lower()


def test_problems_raise_one_exception_with_the_problem_fields(live: Served) -> None:
    with Quotebot(live.url, api_key="") as qb:
        with pytest.raises(QuotebotHTTPError) as missing:
            qb.article("no-such-article")
        assert missing.value.status == 404 and missing.value.title == "Not found"
        assert missing.value.type.endswith("/not-found") and "no-such-article" in missing.value.detail
        with pytest.raises(QuotebotHTTPError) as bad:
            qb.ask("what did Kirby say?", top_k=0)
        assert bad.value.status == 422 and bad.value.errors and bad.value.errors[0]["field"] == "top_k"
        with pytest.raises(QuotebotHTTPError) as unauth:
            qb.delete_article("anything")
        assert unauth.value.status == 401 and "Bearer" in unauth.value.detail
    with Quotebot(live.url, api_key="wrong") as qb, pytest.raises(QuotebotHTTPError) as wrong:
        qb.add_articles([ARTICLE])
    assert wrong.value.status == 403


def test_unreachable_server_is_the_same_exception_with_status_0() -> None:
    server, url = serve(lambda env, start: [])
    server.shutdown()
    server.server_close()
    with Quotebot(url, timeout=2) as qb, pytest.raises(QuotebotHTTPError) as gone:
        qb.health()
    assert gone.value.status == 0 and "cannot reach" in str(gone.value)


def test_writes_with_the_key_from_the_environment(own: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUOTEBOT_API_KEY", KEY)
    with Quotebot(own) as qb:
        report = qb.add_articles(ARTICLE)
        assert report.articles == 1 and report.statements >= 1
        (article_id,) = report.article_ids
        art = qb.article(article_id)
        assert art.title == "Budget row" and art.statements
        again = qb.upload([("story.json", b'{"title": "Rates", "text": "Rates will rise, the bank said."}')])
        assert again.articles == 1 and not again.failed
        bad = qb.upload([("empty.txt", b"")])
        assert bad.articles == 0 and bad.failed and bad.failed[0].file == "empty.txt"
        assert qb.delete_article(article_id).deleted is True
        with pytest.raises(QuotebotHTTPError) as gone:
            qb.article(article_id)
        assert gone.value.status == 404


def test_speaker_corrections_round_trip_through_the_client(own: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUOTEBOT_API_KEY", KEY)
    with Quotebot(own) as qb:
        qb.add_articles(ARTICLE)
        roe = next(sp for sp in qb.speakers("Jane Roe"))
        kirby = next(sp for sp in qb.speakers("Kirby") if sp.name == "John Kirby")
        renamed = qb.patch_speaker(roe.id, name="Jane Q. Roe", add_role="finance minister")
        assert any(sp.name == "Jane Q. Roe" and "finance minister" in sp.roles for sp in renamed.speakers)
        merged = qb.merge_speakers(kirby.id, roe.id)
        assert merged.correction.op == "merge"
        assert any(st.text.startswith("We will not raise taxes") for st in qb.speaker(kirby.id).statements)
        with pytest.raises(QuotebotHTTPError) as gone:
            qb.speaker(roe.id)
        assert gone.value.status == 404
        split = qb.split_speaker(kirby.id, "Jane Roe", name="Jane Roe")
        assert split.correction.op == "split"
        with pytest.raises(QuotebotHTTPError) as no_key:
            Quotebot(own, api_key="wrong").merge_speakers(kirby.id, roe.id)
        assert no_key.value.status == 403


def test_in_process_client_needs_no_socket(live: Served) -> None:
    assert live.services is not None
    from bot import create_app

    with Quotebot(app=create_app(services=live.services)) as qb:
        answer = qb.ask("who called the claim ludicrous?")
    assert answer.speaker == "John Kirby"


def test_async_client_asks_streams_verifies_and_raises(live: Served) -> None:
    async def run() -> None:
        async with AsyncQuotebot(live.url) as qb:
            answer, verdict = await asyncio.gather(
                qb.ask("what did Kirby say?"), qb.verify("deserves to be sentenced", "Zelensky")
            )
            assert answer.speaker == "John Kirby" and verdict.label == "verified"
            events = [e async for e in qb.stream("what did Kirby say?")]
            assert events[-1].answer is not None and events[-1].answer.answer == answer.answer
            art = await qb.article(answer.citations[0].article_id)
            assert art.text[answer.citations[0].start : answer.citations[0].end] == answer.citations[0].text
            with pytest.raises(QuotebotHTTPError) as bad:
                await qb.speakers("x" * 300)
            assert bad.value.status == 422

    # In a thread of its own: a session-wide browser fixture (Playwright's sync API) may hold this thread's loop.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


def test_search_returns_statements_or_chunks_as_verbatim_citations(live: Served) -> None:
    with Quotebot(live.url) as qb:
        hits = qb.search("the claim is ludicrous", top_k=3)
        assert len(hits) == 3 and hits[0].speaker == "John Kirby" and hits[0].kind == "indirect"
        chunks = qb.search("drone attack", kind="chunks", top_k=2)
        assert len(chunks) == 2 and {c.kind for c in chunks} == {"chunk"} and chunks[0].speaker is None
        only = qb.search("Putin", filters={"speaker": "Zelensky"}, top_k=10)
        assert only and {h.speaker_id for h in only} == {"volodymyr-zelensky"}
        for h in hits + chunks + only:
            assert qb.article(h.article_id).text[h.start : h.end] == h.text
        with pytest.raises(QuotebotHTTPError) as unknown:
            qb.search("Putin", filters={"speaker": "Nobody Atall"})
        assert unknown.value.status == 422 and "GET /speakers" in unknown.value.detail


def test_chat_and_models_are_typed(live: Served) -> None:
    with Quotebot(live.url) as qb:
        completion = qb.chat([{"role": "user", "content": "who called the claim ludicrous?"}])
        assert completion.choices[0].message.content.startswith("John Kirby, according to the sources.")
        assert completion.quotebot.citations[0].speaker == "John Kirby"
        assert [m.id for m in qb.models().data] == ["quotebot"]
