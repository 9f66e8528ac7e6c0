"""/v1/chat/completions and /v1/models, driven by the official `openai` package against served apps."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from bot import create_app
from bot.client import Quotebot
from bot.services import Services
from tests.browser.conftest import serve
from tests.integrations.conftest import KEY, Served

KIRBY = [{"role": "user", "content": "what did Kirby say?"}]


def sdk(served: Served, key: str | None = None) -> openai.OpenAI:
    """The official client pointed at a served quotebot."""
    return openai.OpenAI(base_url=served.url + "/v1", api_key=key or served.key, max_retries=0, timeout=60)


def check_cited(content: str, ext: dict[str, Any], qb: Quotebot) -> None:
    """Every [n] in the content resolves, and every citation is verbatim in its stored article."""
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", content)}
    assert markers and markers <= {c["n"] for c in ext["citations"]}
    for c in ext["citations"]:
        assert qb.article(c["article_id"]).text[c["start"] : c["end"]] == c["text"]


def test_openai_package_gets_a_cited_answer_from_quotebot_serve(quotebot_serve: Served) -> None:
    completion = sdk(quotebot_serve).chat.completions.create(model="quotebot", messages=KIRBY)
    assert completion.object == "chat.completion" and completion.model == "quotebot"
    choice = completion.choices[0]
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    ext = (completion.model_extra or {})["quotebot"]
    assert ext["intent"] == "speaker_statements" and ext["speaker"] == "John Kirby"
    assert choice.message.content and choice.message.content.startswith("John Kirby: 1 statement found.")
    check_cited(choice.message.content, ext, Quotebot(quotebot_serve.url))
    assert completion.usage and completion.usage.total_tokens > 0


def test_openai_package_streams_the_same_answer(quotebot_serve: Served) -> None:
    client = sdk(quotebot_serve)
    plain = client.chat.completions.create(model="quotebot", messages=KIRBY)
    chunks = list(client.chat.completions.create(model="quotebot", messages=KIRBY, stream=True))
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks][-1] == "stop"
    assert all(c.choices[0].finish_reason is None for c in chunks[:-1]) and len(chunks) > 3
    content = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert content == plain.choices[0].message.content
    ext = (chunks[-1].model_extra or {})["quotebot"]
    assert ext["citations"] == (plain.model_extra or {})["quotebot"]["citations"]
    check_cited(content, ext, Quotebot(quotebot_serve.url))


def test_raw_stream_ends_with_done(live: Served) -> None:
    import httpx

    body = {"model": "quotebot", "messages": KIRBY, "stream": True}
    with httpx.stream("POST", live.url + "/v1/chat/completions", json=body) as resp:
        assert resp.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in resp.iter_lines() if line]
    assert lines[-1] == "data: [DONE]" and all(line.startswith("data: {") for line in lines[:-1])


def test_earlier_messages_carry_the_conversation(live: Served) -> None:
    client = sdk(live)
    first = client.chat.completions.create(
        model="quotebot", messages=[{"role": "user", "content": "what did Kirby say?"}]
    )
    follow = [
        {"role": "system", "content": "You are a fact-checking assistant."},
        {"role": "user", "content": "what did Kirby say?"},
        {"role": "assistant", "content": first.choices[0].message.content or ""},
        {"role": "user", "content": [{"type": "text", "text": "when did he say that?"}]},
    ]
    when = client.chat.completions.create(model="quotebot", messages=follow)  # type: ignore[arg-type]
    assert (when.model_extra or {})["quotebot"]["intent"] == "when"
    assert "6 May 2023" in (when.choices[0].message.content or "")
    alone = client.chat.completions.create(
        model="quotebot", messages=[{"role": "user", "content": "when did he say that?"}]
    )
    assert "can't tell which statement" in (alone.choices[0].message.content or "")


def test_extension_options_filter_like_ask(live: Served) -> None:
    client = sdk(live)
    later = client.chat.completions.create(
        model="quotebot",
        messages=[{"role": "user", "content": "what did Zelensky say?"}],
        extra_body={"quotebot": {"filters": {"since": "2024-01-01"}, "top_k": 2}},
    )
    assert (later.model_extra or {})["quotebot"]["citations"] == []


def test_models_lists_quotebot(live: Served) -> None:
    assert [m.id for m in sdk(live).models.list()] == ["quotebot"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"model": "gpt-4o", "messages": KIRBY}, "model"),
        ({"model": "quotebot", "messages": []}, "messages"),
        ({"model": "quotebot", "messages": [*KIRBY, {"role": "assistant", "content": "x"}]}, "messages.1"),
        ({"model": "quotebot", "messages": [{"role": "user", "content": "  "}]}, "messages.0"),
        ({"model": "quotebot", "messages": KIRBY, "n": 2}, "n"),
        ({"model": "quotebot", "messages": KIRBY, "quotebot": {"top_k": 500}}, "quotebot.top_k"),
        ({"model": "quotebot", "messages": KIRBY, "quotebot": {"filters": {"speaker": "Nobody Atall"}}}, None),
    ],
)
def test_bad_requests_are_problems_that_say_what_to_fix(live: Served, body: dict[str, Any], field: str | None) -> None:
    import httpx

    resp = httpx.post(live.url + "/v1/chat/completions", json=body)
    assert resp.status_code == 422 and resp.headers["content-type"] == "application/problem+json"
    problem = resp.json()
    assert problem["status"] == 422 and problem["detail"]
    if field:
        assert field in [e["field"] for e in problem["errors"]]


def test_openai_package_raises_on_problems(live: Served) -> None:
    with pytest.raises(openai.UnprocessableEntityError) as bad:
        sdk(live).chat.completions.create(model="gpt-4o", messages=KIRBY)  # type: ignore[arg-type]
    assert isinstance(bad.value.body, dict) and "GET /v1/models" in bad.value.body["detail"]


@pytest.fixture
def keyed_reads(seeded: Services, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    """A served app that requires a key for reads."""
    monkeypatch.setenv("QUOTEBOT_API_KEYS", KEY)
    seeded.settings.server.require_key_for_reads = True
    server, url = serve(create_app(services=seeded))
    yield Served(url, KEY)
    server.shutdown()


def test_the_key_rule_of_ask_applies(keyed_reads: Served) -> None:
    with pytest.raises(openai.PermissionDeniedError):
        sdk(keyed_reads, key="wrong").chat.completions.create(model="quotebot", messages=KIRBY)
    with pytest.raises(openai.PermissionDeniedError):
        sdk(keyed_reads, key="wrong").models.list()
    ok = sdk(keyed_reads).chat.completions.create(model="quotebot", messages=KIRBY)
    assert (ok.model_extra or {})["quotebot"]["citations"]
