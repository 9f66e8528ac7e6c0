"""The heavy objects of one process (model, store, searcher), built once from settings."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.chat import Chat
from bot.settings import Settings
from retrieval.embedding import Embedder, Vectors, make_embedder
from retrieval.ingest import IngestOptions, Ingestor
from retrieval.locks import article_locks
from retrieval.search import Searcher
from retrieval.speakers import SpeakerIndex
from retrieval.store import Store
from retrieval.verification import Verifier

if TYPE_CHECKING:
    from bot.jobs import Jobs


@dataclass
class Services:
    """Everything a request needs, shared by all requests of a process."""

    settings: Settings
    store: Store
    embedder: Embedder
    searcher: Searcher
    ingestor: Ingestor
    speakers: SpeakerIndex
    verifier: Verifier
    chat: Chat
    jobs: Jobs | None = None  # the ingest job queue, when jobs.redis_url is set


def build_embedder(settings: Settings) -> Embedder:
    """Return the configured embedder (the model is loaded once per process)."""
    emb = settings.embedding
    return make_embedder(
        emb.backend,
        emb.model,
        device=emb.device,
        batch_size=emb.batch_size,
        threads=emb.threads,
        int8=emb.int8,
        cache=emb.cache,
    )


def open_store(settings: Settings) -> Store:
    """Return the configured store: the Chroma server at store.url, else the embedded index at store.path.

    A server store connects on first use, so a process (a gunicorn worker) starts while Chroma is down and answers
    503 until it is back, instead of failing to boot.
    """
    st = settings.store
    return Store.open(
        path=str(Path(st.path).expanduser()),
        url=st.url,
        prefix=st.prefix,
        timeout=st.timeout,
        lazy=bool(st.url),
    )


def build_services(settings: Settings, *, embedder: Embedder | None = None, store: Store | None = None) -> Services:
    """Build every service from settings; pass `embedder` or `store` to share existing ones."""
    embedder = embedder or build_embedder(settings)
    store = store or open_store(settings)
    ing = settings.ingest
    options = IngestOptions(ing.chunk_size, ing.chunk_overlap, ing.max_file_bytes)
    searcher = Searcher(store, embedder)
    st = settings.store
    locks = article_locks(st.lock_url, prefix=st.prefix, ttl=st.lock_ttl)
    ingestor = Ingestor(store, embedder, options, locks=locks)
    speakers = ingestor.speakers  # one speaker index per process, refreshed after each ingest
    verifier = Verifier(store, embedder, speakers)
    chat = Chat(searcher, speakers, verifier)
    if settings.llm.provider:  # optional LLM phrasing behind the verbatim guard (bot/phrasing.py)
        from bot.phrasing import phrased

        chat = phrased(chat, settings)
    jobs = None
    if settings.jobs.redis_url:  # rq is imported only where a queue is configured
        from bot.jobs import Jobs

        jobs = Jobs(settings.jobs, prefix=st.prefix)
    return Services(settings, store, embedder, searcher, ingestor, speakers, verifier, chat, jobs)


class LazyEmbedder:
    """An Embedder that loads its model on first use: a CLI question answered from metadata never loads it."""

    def __init__(self, build: Callable[[], Embedder], name: str) -> None:
        self._build = build
        self._real: Embedder | None = None
        self.name = name

    def _get(self) -> Embedder:
        if self._real is None:
            self._real = self._build()
        return self._real

    @property
    def dimension(self) -> int:
        """The model's dimension (loads it)."""
        return self._get().dimension

    @dimension.setter
    def dimension(self, value: int) -> None:
        raise AttributeError("the dimension comes from the model")

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        """Return one normalised vector per text (loads the model on the first call)."""
        return self._get().embed_documents(texts)

    def embed_query(self, text: str) -> Vectors:
        """Return the normalised vector of one query (loads the model on the first call)."""
        return self._get().embed_query(text)
