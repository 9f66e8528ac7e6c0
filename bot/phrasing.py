"""Optional LLM phrasing of answers, behind a verbatim guard; off unless [llm] provider is set.

The model writes connecting prose over the extractive answer's citations. After generation the guard checks, character
by character, that every quotation is a span of a source cited in the same sentence, that every [n] resolves and that
every sentence carries one. An answer that fails is replaced by the extractive answer; `phrasing` says which was served.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from importlib import resources
from typing import TYPE_CHECKING, Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from bot.answer import Answer
from bot.chat import AskParams, Chat
from retrieval.models import Citation

if TYPE_CHECKING:
    from bot.settings import Settings

PROMPT = "phrase.v1"
# Straight and curly double quotes, guillemets, and curly single quotes that open after a non-letter and close before
# one (a ’ inside a word is an apostrophe: ‘Russia’s crimes’). Straight single quotes are too ambiguous to read.
QUOTE = re.compile(r"“([^“”]*)”|\"([^\"]*)\"|«([^«»]*)»|(?<!\w)‘((?:[^‘’]|’(?=\w))*)’(?!\w)")
MARKER = re.compile(r"\[(\d+)\]")
# A sentence: up to an end mark (and closing quotes), then the markers that follow it ("... ludicrous.” [1]").
SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+[”\"’»)]*)?(?:\s*\[\d+\])*|[.!?]+")
OPEN_CLOSE = (("“", "”"), ("«", "»"))


def read_prompt(name: str = PROMPT) -> tuple[str, str]:
    """Return the (system, user) templates of a versioned prompt file (bot/prompts/<name>.txt, split at ---)."""
    text = resources.files("bot").joinpath(f"prompts/{name}.txt").read_text(encoding="utf-8")
    system, _, user = text.partition("\n---\n")
    return system.strip(), user.strip()


def _masked(text: str) -> str:
    """Return `text` with every quotation's content blanked (same length), so its punctuation splits no sentence."""
    return QUOTE.sub(lambda m: m.group(0)[0] + "x" * (len(m.group(0)) - 2) + m.group(0)[-1], text)


def check(text: str, citations: tuple[Citation, ...] | list[Citation]) -> list[str]:
    """Return why `text` may not be served over `citations` (empty: it passes the guard)."""
    if not text.strip():
        return ["the answer is empty"]
    problems: list[str] = []
    known = {c.n: c for c in citations}
    for m in MARKER.finditer(text):
        if int(m.group(1)) not in known:
            problems.append(f"[{m.group(1)}] resolves to no citation")
    if text.count('"') % 2 or any(text.count(a) != text.count(b) for a, b in OPEN_CLOSE):
        problems.append("a quotation mark is not closed")
    quotes = [(m.start(), next(g for g in m.groups() if g is not None)) for m in QUOTE.finditer(text)]
    for s in SENTENCE.finditer(_masked(text)):
        sentence = text[s.start() : s.end()]
        if not re.search(r"\w", MARKER.sub("", sentence)):
            continue  # punctuation or markers alone
        refs = [known[int(n)] for n in MARKER.findall(sentence) if int(n) in known]
        if not MARKER.search(sentence):
            problems.append(f"a sentence without a [n] marker: {sentence.strip()[:80]!r}")
        for at, quoted in quotes:
            if not s.start() <= at < s.end():
                continue
            # Trailing , or . inside the marks is punctuation style, not the speaker's words.
            words = quoted.strip().rstrip(",.")
            if words and not any(words in c.text for c in refs):
                problems.append(f"“{words[:80]}” is not verbatim in the sources its sentence cites")
    return problems


def sources_block(citations: tuple[Citation, ...]) -> str:
    """Number the citations for the prompt, each with its speaker and date."""
    lines = []
    for c in citations:
        meta = ", ".join(x for x in (c.speaker, c.published) if x)
        lines.append(f"[{c.n}] ({meta}) {c.text}" if meta else f"[{c.n}] {c.text}")
    return "\n".join(lines)


@dataclass
class Phraser:
    """Asks a chat model to phrase an answer and serves its text only when the guard passes."""

    model: BaseChatModel
    name: str
    prompt: str = PROMPT

    def messages(self, question: str, answer: Answer) -> list[Any]:
        """Return the prompt messages for one answer."""
        system, user = read_prompt(self.prompt)
        body = user.format(question=question, sources=sources_block(answer.citations), draft=answer.text)
        return [SystemMessage(system), HumanMessage(body)]

    def phrase(self, question: str, answer: Answer) -> Answer:
        """Return the answer with the model's prose if it passes the guard, else the extractive one; say which."""
        info: dict[str, Any] = {"served": "extractive", "model": self.name, "rejected": []}
        if not answer.citations:
            info["rejected"] = ["no citations to phrase"]
            return replace(answer, phrasing=info)
        started = time.perf_counter()
        try:
            text = str(self.model.invoke(self.messages(question, answer)).content).strip()
        # The one other broad except: a model (often a remote server) may fail in any way, and the extractive answer
        # is always there to serve instead.
        except Exception as exc:
            info.update(
                rejected=[f"the model failed: {type(exc).__name__}"], seconds=round(time.perf_counter() - started, 3)
            )
            return replace(answer, phrasing=info)
        info["seconds"] = round(time.perf_counter() - started, 3)
        problems = check(text, answer.citations)
        if problems:
            info["rejected"] = problems
            return replace(answer, phrasing=info)
        info["served"] = "llm"
        return replace(answer, text=text, phrasing=info)


class PhrasedChat(Chat):
    """Chat whose answers go through a Phraser (what services build when [llm] provider is set)."""

    def __init__(self, chat: Chat, phraser: Phraser) -> None:
        # Take over the built chat's state rather than rebuild it, so a change to Chat's constructor needs no edit here.
        self.__dict__.update(chat.__dict__)
        self.phraser = phraser

    def ask(self, params: AskParams) -> Answer:
        """Answer extractively, then let the phraser try its prose."""
        return self.phraser.phrase(params.question, super().ask(params))


def phrased(chat: Chat, settings: Settings) -> Chat:
    """Return `chat` behind the configured model, or `chat` itself when phrasing is off."""
    from bot.llm import build_chat_model

    model = build_chat_model(settings)
    if model is None:
        return chat
    return PhrasedChat(chat, Phraser(model, settings.llm.model or settings.llm.provider))
