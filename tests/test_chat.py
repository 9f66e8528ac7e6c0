"""Seed conversations through the HTTP API: intents, speakers, citations, context, streaming."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from bot import create_app
from bot.services import Services


def ask(client: FlaskClient, question: str, context: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"question": question}
    if context is not None:
        body["context"] = context
    resp = client.post("/ask", json=body)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    answer: dict[str, Any] = resp.get_json()
    check_invariants(client, answer)
    return answer


def check_invariants(client: FlaskClient, answer: dict[str, Any]) -> None:
    """Every citation verbatim; every [n] resolves; every citation is referenced."""
    texts: dict[str, str] = {}
    for c in answer["citations"]:
        if c["article_id"] not in texts:
            texts[c["article_id"]] = client.get(f"/articles/{c['article_id']}").get_json()["text"]
        assert texts[c["article_id"]][c["start"] : c["end"]] == c["text"]
    numbers = {c["n"] for c in answer["citations"]}
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", answer["answer"])}
    assert markers <= numbers, f"unresolved markers {markers - numbers}"
    assert numbers <= markers, f"citations never referenced {numbers - markers}"
    for quoted in re.findall(r"“([^”]+)”", answer["answer"]):
        if quoted in {c["title"] for c in answer["citations"]}:
            continue
        assert any(quoted in c["text"] for c in answer["citations"]), f"uncited quote {quoted!r}"


def cited(answer: dict[str, Any]) -> str:
    return "\n".join(c["text"] for c in answer["citations"])


def test_what_did_kirby_say(client: FlaskClient) -> None:
    a = ask(client, "what did Kirby say?")
    assert a["intent"] == "speaker_statements" and a["speaker"] == "John Kirby"
    assert "labelled as ludicrous" in cited(a)


def test_zelensky_both_statements_then_nothing_more(client: FlaskClient) -> None:
    a = ask(client, "What did Zelensky say?")
    assert a["speaker"] == "Volodymyr Zelensky"
    text = cited(a)
    assert "held to account for ‘crimes of aggression’" in text
    assert "deserves to be sentenced for criminal actions in the capital of international law" in text
    assert "He added" in text
    b = ask(client, "what else did he say?", a["context"])
    assert b["citations"] == []
    assert "nothing more" in b["answer"]


def test_when_did_he_say_that_uses_article_date(client: FlaskClient) -> None:
    a = ask(client, "What did Zelensky say?")
    b = ask(client, "when did he say that?", a["context"])
    assert b["intent"] == "when" and "6 May 2023" in b["answer"] and b["citations"]


def test_who_called_the_claim_ludicrous(client: FlaskClient) -> None:
    a = ask(client, "who called the claim ludicrous?")
    assert a["intent"] == "who_said" and a["speaker"] == "John Kirby"
    assert "ludicrous" in a["citations"][0]["text"]


def test_putins_office_quoted_exactly(client: FlaskClient) -> None:
    a = ask(client, "what did Putin's office say?")
    assert a["speaker"] == "Putin's Office"
    assert "there were no victims and material damage" in a["answer"]
    assert "there were no victims and material damage" in cited(a)


def test_did_zelensky_say_putin_deserves_to_be_sentenced(client: FlaskClient) -> None:
    a = ask(client, "did Zelensky say Putin deserves to be sentenced?")
    assert a["intent"] == "verify"
    assert a["verdicts"][0]["label"] == "verified"
    assert "deserves to be sentenced" in cited(a)


def test_unknown_speaker_gets_no_invented_statements(client: FlaskClient) -> None:
    a = ask(client, "what did Biden say?")
    assert "no statements by Biden" in a["answer"] and a["citations"] == []


@pytest.mark.parametrize("spelling", ["kirby", "KIRBY", "Kirbey", "John Kirby", "Mr Kirby", "Kirby's"])
def test_speaker_names_resolve_through_the_index(client: FlaskClient, spelling: str) -> None:
    a = ask(client, f"what did {spelling} say?")
    assert a["speaker"] == "John Kirby"


def test_reported_speech_is_not_turned_into_a_quote(client: FlaskClient) -> None:
    a = ask(client, "what did Kirby say?")
    assert "“ludicrous”" not in a["answer"] and '"ludicrous"' not in a["answer"]


def test_topic_question_ranks_by_topic(client: FlaskClient) -> None:
    a = ask(client, "what did US officials say about targeting leaders?")
    assert a["speaker"] == "US officials"
    assert "individual targeting of leaders" in cited(a)


def test_streaming_ends_with_done_carrying_the_answer(client: FlaskClient) -> None:
    resp = client.post("/ask", json={"question": "what did Kirby say?"}, headers={"Accept": "text/event-stream"})
    assert resp.status_code == 200 and resp.mimetype == "text/event-stream"
    events = [block for block in resp.get_data(as_text=True).split("\n\n") if block]
    names = [block.split("\n")[0].removeprefix("event: ") for block in events]
    assert names[0] == "start" and names[-1] == "done" and "token" in names
    done = json.loads(events[-1].split("\n")[1].removeprefix("data: "))
    tokens = "".join(json.loads(b.split("\n")[1].removeprefix("data: "))["text"] for b in events[1:-1])
    assert tokens == done["answer"]
    assert done["speaker"] == "John Kirby"


def test_speakers_endpoint_finds_kirby_with_verbatim_statement(client: FlaskClient) -> None:
    found = client.get("/speakers?q=kirby").get_json()["speakers"]
    assert found[0]["name"] == "John Kirby" and found[0]["statement_count"] == 1
    detail = client.get(f"/speakers/{found[0]['id']}").get_json()
    c = detail["statements"][0]["citation"]
    article = client.get(f"/articles/{c['article_id']}").get_json()
    assert article["text"][c["start"] : c["end"]] == c["text"] and "ludicrous" in c["text"]
    assert any(s["speaker"] == "John Kirby" for s in article["statements"])


def test_speaker_statements_show_the_newest_first(seeded: Services) -> None:
    """With more statements than top_k and no topic, the latest articles win."""
    from retrieval.models import Article

    old = Article(id="old-1", text="John Kirby said the talks were “going nowhere”.", published="2020-01-01")
    new = Article(id="new-1", text="John Kirby said the ceasefire was “holding firm”.", published="2024-06-01")
    seeded.ingestor.ingest_articles([old, new])
    client = create_app(services=seeded).test_client()
    answer = ask(client, "what did Kirby say?")
    assert answer["citations"][0]["article_id"] == "new-1"
    one = client.post("/ask", json={"question": "what did Kirby say?", "top_k": 1}).get_json()
    assert [c["article_id"] for c in one["citations"]] == ["new-1"]
