"""The synchronous client."""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from bot import schemas
from bot.client.calls import (
    DEFAULT_URL,
    JOB_ENDED,
    SSE,
    Call,
    QuotebotHTTPError,
    Requests,
    StreamEvent,
    T,
    headers_for,
    kwargs_for,
    read,
)
from bot.compat_schemas import ChatCompletionOut, ModelsOut, SearchHitOut


class Quotebot(Requests):
    """Synchronous client: `Quotebot("http://127.0.0.1:5000").ask("what did Kirby say?")`.

    The key comes from `api_key` or $QUOTEBOT_API_KEY and is sent as `Authorization: Bearer <key>`. Pass `app=` (a
    Flask app) to call an app in this process without sockets, or `http=` for an httpx.Client of your own.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        *,
        api_key: str | None = None,
        timeout: float = 60.0,
        app: Any = None,
        http: httpx.Client | None = None,
    ) -> None:
        transport = httpx.WSGITransport(app=app) if app is not None else None
        base = "http://quotebot.local" if app is not None else base_url.rstrip("/")
        if app is None and urllib.parse.urlsplit(base).scheme not in ("http", "https"):
            raise ValueError(f"expected an http(s) URL like {DEFAULT_URL}, got {base_url!r}")
        self.base_url = base
        self.http = http or httpx.Client(
            base_url=base, headers=headers_for(api_key), timeout=timeout, transport=transport
        )

    def send(self, call: Call[T]) -> T:
        """Send one call and return its typed result."""
        try:
            resp = self.http.request(call.method, call.path, **kwargs_for(call))
        except httpx.TransportError as exc:
            raise QuotebotHTTPError(call.method, call.path, 0, f"cannot reach {self.base_url}: {exc}") from exc
        result: T = read(call, resp)
        return result

    def ask(
        self,
        question: str,
        *,
        context: Mapping[str, Any] | None = None,
        filters: Mapping[str, Any] | None = None,
        top_k: int | None = None,
    ) -> schemas.AnswerOut:
        """POST /ask: the answer with its citations."""
        return self.send(self.ask_call(question, context, filters, top_k))

    def stream(
        self,
        question: str,
        *,
        context: Mapping[str, Any] | None = None,
        filters: Mapping[str, Any] | None = None,
        top_k: int | None = None,
    ) -> Iterator[StreamEvent]:
        """POST /ask as server-sent events: start, token..., done (whose `.answer` is the full answer)."""
        call = self.stream_call(question, context, filters, top_k)
        try:
            with self.http.stream(call.method, call.path, **kwargs_for(call)) as resp:
                if not resp.is_success:
                    resp.read()
                    raise QuotebotHTTPError.from_response(call.method, call.path, resp)
                parser = SSE()
                for line in resp.iter_lines():
                    if event := parser.feed(line):
                        yield event
                if event := parser.flush():
                    yield event
        except httpx.TransportError as exc:
            raise QuotebotHTTPError(call.method, call.path, 0, f"cannot reach {self.base_url}: {exc}") from exc

    def verify(self, quote: str, speaker: str | None = None) -> schemas.VerdictOut:
        """POST /verify: a verdict with evidence citations and a word diff."""
        return self.send(self.verify_call(quote, speaker))

    def search(
        self,
        query: str,
        *,
        kind: str = "statements",
        filters: Mapping[str, Any] | None = None,
        top_k: int | None = None,
    ) -> list[SearchHitOut]:
        """POST /search: statements (or kind="chunks") nearest in meaning, each a verbatim citation."""
        return self.send(self.search_call(query, kind, filters, top_k)).results

    def speakers(self, q: str = "") -> list[schemas.SpeakerOut]:
        """GET /speakers: speakers with statement counts (those matching `q` when given)."""
        return self.send(self.speakers_call(q)).speakers

    def speaker(self, speaker_id: str) -> schemas.SpeakerDetailOut:
        """GET /speakers/<id>: one speaker with their cited statements."""
        return self.send(self.speaker_call(speaker_id))

    def merge_speakers(self, speaker_id: str, source: str) -> schemas.CorrectedOut:
        """POST /speakers/<id>/merge: fold entity `source` into this one (kept across re-ingests); needs the key."""
        return self.send(self.merge_call(speaker_id, source))

    def split_speaker(self, speaker_id: str, alias: str, name: str | None = None) -> schemas.CorrectedOut:
        """POST /speakers/<id>/split: statements with mention `alias` become another entity's; needs the key."""
        return self.send(self.split_call(speaker_id, alias, name))

    def patch_speaker(
        self, speaker_id: str, *, name: str | None = None, add_role: str | None = None
    ) -> schemas.CorrectedOut:
        """PATCH /speakers/<id>: rename an entity and/or add a role; needs the key."""
        return self.send(self.patch_call(speaker_id, name, add_role))

    def article(self, article_id: str) -> schemas.ArticleOut:
        """GET /articles/<id>: the stored text every citation indexes into."""
        return self.send(self.article_call(article_id))

    def add_articles(
        self, articles: Sequence[Mapping[str, Any]] | Mapping[str, Any]
    ) -> schemas.IngestOut | schemas.JobOut:
        """POST /articles with JSON (one article or a list); needs the key. A JobOut when the server queued it."""
        return self.send(self.add_articles_call(articles))

    def upload(self, files: Sequence[str | Path | tuple[str, bytes]]) -> schemas.IngestOut | schemas.JobOut:
        """POST /articles with files (paths or (name, bytes)); the name picks the format; needs the key."""
        return self.send(self.upload_call(files))

    def job(self, job_id: str) -> schemas.JobOut:
        """GET /jobs/<id>: an ingest job's state, progress, counts and errors; needs the key."""
        return self.send(self.job_call(job_id))

    def wait_job(self, job_id: str, *, timeout: float = 3600.0, poll: float = 1.0) -> schemas.JobOut:
        """Poll GET /jobs/<id> until the job has finished or failed; raise TimeoutError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while (job := self.job(job_id)).state not in JOB_ENDED:
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} is still {job.state} after {timeout:g} s")
            time.sleep(poll)
        return job

    def delete_article(self, article_id: str) -> schemas.DeleteOut:
        """DELETE /articles/<id>; needs the key."""
        return self.send(self.delete_article_call(article_id))

    def chat(self, messages: Sequence[Mapping[str, Any]], **extra: Any) -> ChatCompletionOut:
        """POST /v1/chat/completions (not streamed): the OpenAI-shaped answer, citations in `.quotebot`."""
        return self.send(self.chat_call(messages, extra))

    def models(self) -> ModelsOut:
        """GET /v1/models."""
        return self.send(self.models_call())

    def health(self) -> schemas.HealthOut:
        """GET /health: liveness with the index counts."""
        return self.send(self.health_call())

    def ready(self) -> schemas.ReadyOut:
        """GET /ready (raises with status 503 when the index is unreachable)."""
        return self.send(self.ready_call())

    def openapi(self) -> dict[str, Any]:
        """GET /openapi.json."""
        return self.send(self.openapi_call())

    def widget(self) -> str:
        """GET /widget.js: the embeddable chat widget's script."""
        return self.send(self.widget_call())

    def page(self) -> str:
        """GET /: the demo page."""
        return self.send(self.page_call())

    def close(self) -> None:
        """Close the connections."""
        self.http.close()

    def __enter__(self) -> Quotebot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Quotebot({self.base_url!r})"
