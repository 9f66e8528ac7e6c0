"""Question -> intent -> retrieval -> extractive answer with [n] citations; plain Python, no Flask."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from retrieval.models import Answer, Citation, Passage
from retrieval.search import Filters, Searcher


@dataclass(frozen=True)
class AskParams:
    """One question with what came with it."""

    question: str
    top_k: int = 5
    filters: Filters = field(default_factory=Filters)
    context: dict[str, Any] | None = None


def excerpt(text: str, limit: int = 300) -> tuple[str, bool]:
    """Return a verbatim prefix of `text` of about `limit` characters ending at a word, and whether it was cut."""
    text = text.strip()
    if len(text) <= limit:
        return text, False
    cut = text[:limit].rsplit(" ", 1)[0].rstrip()
    return cut, True


class Chat:
    """Answers questions extractively from the index; every claim carries a citation."""

    def __init__(self, searcher: Searcher) -> None:
        self.searcher = searcher

    def ask(self, params: AskParams) -> Answer:
        """Answer one question."""
        passages = self.searcher.passages(params.question, params.top_k, params.filters)
        return self._search_answer(params, passages)

    def _search_answer(self, params: AskParams, passages: list[Passage]) -> Answer:
        if not passages:
            return Answer("I found nothing in the indexed articles about that.", "search", context=_context(params))
        citations: list[Citation] = []
        lines = ["The most relevant passages:"]
        for n, passage in enumerate(passages, start=1):
            citations.append(passage.cite(n))
            where = passage.source.title or passage.source.article_id
            shown, cut = excerpt(passage.text)
            # Only verbatim words go inside quotation marks; the ellipsis stays outside them.
            lines.append(f"- {where}: “{shown}”{' …' if cut else ''} [{n}]")
        return Answer("\n".join(lines), "search", tuple(citations), context=_context(params))


def _context(params: AskParams) -> dict[str, Any]:
    ctx = dict(params.context or {})
    ctx["last_question"] = params.question[:200]
    return ctx
