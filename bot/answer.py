"""The answer /ask returns: text with [n] markers, its citations and verdicts, and the context to send back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypedDict

from retrieval.models import Citation, Verdict, plain


class Context(TypedDict, total=False):
    """The conversation state an answer hands back; the client sends it with its next question unchanged.

    bot/schemas AskContext validates what a client sends; this is the same shape inside.
    """

    speaker: str  # the id of the speaker being discussed
    speaker_name: str
    topic: str
    shown: list[str]  # statement ids already shown
    last: list[str]  # the statement ids of the previous answer
    candidates: list[str]  # the speaker ids a "which one do you mean?" answer offered


@dataclass(frozen=True)
class Answer:
    """A reply to a question: text with [n] markers that resolve to `citations`."""

    text: str
    intent: str
    citations: tuple[Citation, ...] = ()
    verdicts: tuple[Verdict, ...] = ()
    speaker: str | None = None
    context: Context = field(default_factory=lambda: Context())
    phrasing: dict[str, Any] | None = None  # set only when [llm] phrasing is on: which answer was served, and why

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape of /ask."""
        # Field by field, but the text is sent as "answer" and phrasing only when [llm] phrasing is on.
        data: dict[str, Any] = {"answer": self.text, **plain(self)}
        del data["text"]
        if self.phrasing is None:
            del data["phrasing"]
        return data
