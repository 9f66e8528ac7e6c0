"""Python client of the quotebot API (httpx, sync and async): typed results, one exception for every problem."""

from __future__ import annotations

import json
import os
import urllib.parse
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel

from bot import schemas
from bot.compat_schemas import ChatCompletionOut, ModelsOut, SearchHitOut, SearchOut
from retrieval.errors import QuotebotError

KEY_ENV = "QUOTEBOT_API_KEY"
DEFAULT_URL = "http://127.0.0.1:5000"
M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


class QuotebotHTTPError(QuotebotError):
    """An error answer of the API (its problem+json fields), or no answer at all (status 0)."""

    def __init__(
        self,
        method: str,
        path: str,
        status: int,
        detail: str,
        *,
        title: str = "",
        type: str = "about:blank",
        errors: Sequence[Mapping[str, Any]] = (),
        file: str | None = None,
        body: Any = None,
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.detail = detail
        self.title = title
        self.type = type
        self.errors = [dict(e) for e in errors]
        self.file = file
        self.body = body
        where = f"{method} {path}"
        super().__init__(f"{where} failed: {detail}" if status == 0 else f"{where} -> HTTP {status}: {detail}")

    @classmethod
    def from_response(cls, method: str, path: str, resp: httpx.Response) -> QuotebotHTTPError:
        """Read the problem+json fields of an error response (any other body becomes the detail)."""
        try:
            body: Any = resp.json()
        except ValueError:
            body = resp.text[:300]
        if not isinstance(body, dict):
            return cls(method, path, resp.status_code, str(body) or resp.reason_phrase, body=body)
        detail = next((str(body[k]) for k in ("detail", "title", "error", "message") if body.get(k)), "")
        return cls(
            method,
            path,
            resp.status_code,
            detail or json.dumps(body)[:300],
            title=str(body.get("title", "")),
            type=str(body.get("type", "about:blank")),
            errors=[e for e in body.get("errors") or [] if isinstance(e, dict)],
            file=body.get("file"),
            body=body,
        )


@dataclass(frozen=True)
class StreamEvent:
    """One server-sent event of a streamed answer: start, token (a piece of text) or done (the whole answer)."""

    event: str
    data: dict[str, Any]

    @property
    def answer(self) -> schemas.AnswerOut | None:
        """The full answer, on the `done` event."""
        return schemas.AnswerOut.model_validate_json(json.dumps(self.data)) if self.event == "done" else None


@dataclass(frozen=True)
class Call(Generic[T]):
    """One request and how to read its answer; the sync and async clients share these."""

    method: str
    path: str
    json: Any = None
    params: dict[str, str] | None = None
    files: list[tuple[str, tuple[str, bytes]]] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    model: type[BaseModel] | None = None  # None: the JSON as parsed, or the text for non-JSON routes
    text: bool = False


# Every route of the API and the client method that calls it (tests/test_client.py compares with /openapi.json).
ROUTES: dict[tuple[str, str], str] = {
    ("post", "/ask"): "ask",  # and stream()
    ("post", "/verify"): "verify",
    ("post", "/search"): "search",
    ("get", "/speakers"): "speakers",
    ("get", "/speakers/{speaker_id}"): "speaker",
    ("get", "/articles/{article_id}"): "article",
    ("post", "/articles"): "add_articles",  # and upload()
    ("delete", "/articles/{article_id}"): "delete_article",
    ("post", "/v1/chat/completions"): "chat",  # streamed: use the openai package
    ("get", "/v1/models"): "models",
    ("get", "/health"): "health",
    ("get", "/ready"): "ready",
    ("get", "/openapi.json"): "openapi",
    ("get", "/widget.js"): "widget",
    ("get", "/"): "page",
}


def _seg(value: str) -> str:
    return urllib.parse.quote(value, safe="")


class _Requests:
    """Builds the Call of every route; `Quotebot` and `AsyncQuotebot` send them."""

    @staticmethod
    def _ask(
        question: str,
        context: Mapping[str, Any] | None,
        filters: Mapping[str, Any] | None,
        top_k: int | None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"question": question}
        if context is not None:
            body["context"] = dict(context)
        if filters:
            body["filters"] = {k: v for k, v in filters.items() if v is not None}
        if top_k is not None:
            body["top_k"] = top_k
        return body

    def ask_call(self, question: str, context: Any, filters: Any, top_k: int | None) -> Call[schemas.AnswerOut]:
        return Call("POST", "/ask", self._ask(question, context, filters, top_k), model=schemas.AnswerOut)

    def stream_call(self, question: str, context: Any, filters: Any, top_k: int | None) -> Call[None]:
        body = self._ask(question, context, filters, top_k)
        return Call("POST", "/ask", body, headers={"Accept": "text/event-stream"})

    def verify_call(self, quote: str, speaker: str | None) -> Call[schemas.VerdictOut]:
        body: dict[str, Any] = {"quote": quote}
        if speaker is not None:
            body["speaker"] = speaker
        return Call("POST", "/verify", body, model=schemas.VerdictOut)

    def search_call(self, query: str, kind: str, filters: Any, top_k: int | None) -> Call[SearchOut]:
        body: dict[str, Any] = {"query": query, "kind": kind}
        if filters:
            body["filters"] = {k: v for k, v in filters.items() if v is not None}
        if top_k is not None:
            body["top_k"] = top_k
        return Call("POST", "/search", body, model=SearchOut)

    def speakers_call(self, q: str) -> Call[schemas.SpeakersOut]:
        return Call("GET", "/speakers", params={"q": q} if q else None, model=schemas.SpeakersOut)

    def speaker_call(self, speaker_id: str) -> Call[schemas.SpeakerDetailOut]:
        return Call("GET", f"/speakers/{_seg(speaker_id)}", model=schemas.SpeakerDetailOut)

    def article_call(self, article_id: str) -> Call[schemas.ArticleOut]:
        return Call("GET", f"/articles/{_seg(article_id)}", model=schemas.ArticleOut)

    def add_articles_call(self, articles: Sequence[Mapping[str, Any]] | Mapping[str, Any]) -> Call[schemas.IngestOut]:
        body = dict(articles) if isinstance(articles, Mapping) else [dict(a) for a in articles]
        return Call("POST", "/articles", body, model=schemas.IngestOut)

    def upload_call(self, files: Sequence[str | Path | tuple[str, bytes]]) -> Call[schemas.IngestOut]:
        parts: list[tuple[str, tuple[str, bytes]]] = []
        for f in files:
            name, data = f if isinstance(f, tuple) else (Path(f).name, Path(f).read_bytes())
            parts.append(("file", (name, data)))
        if not parts:
            raise ValueError("upload() needs at least one file")
        return Call("POST", "/articles", files=parts, model=schemas.IngestOut)

    def delete_article_call(self, article_id: str) -> Call[schemas.DeleteOut]:
        return Call("DELETE", f"/articles/{_seg(article_id)}", model=schemas.DeleteOut)

    def chat_call(self, messages: Sequence[Mapping[str, Any]], extra: Mapping[str, Any]) -> Call[ChatCompletionOut]:
        body = {"model": "quotebot", "messages": [dict(m) for m in messages], **extra}
        return Call("POST", "/v1/chat/completions", body, model=ChatCompletionOut)

    def models_call(self) -> Call[ModelsOut]:
        return Call("GET", "/v1/models", model=ModelsOut)

    def health_call(self) -> Call[schemas.HealthOut]:
        return Call("GET", "/health", model=schemas.HealthOut)

    def ready_call(self) -> Call[schemas.ReadyOut]:
        return Call("GET", "/ready", model=schemas.ReadyOut)

    def openapi_call(self) -> Call[dict[str, Any]]:
        return Call("GET", "/openapi.json")

    def widget_call(self) -> Call[str]:
        return Call("GET", "/widget.js", text=True)

    def page_call(self) -> Call[str]:
        return Call("GET", "/", text=True)


def _headers(api_key: str | None) -> dict[str, str]:
    key = api_key if api_key is not None else os.environ.get(KEY_ENV, "")
    headers = {"Accept": "application/json", "User-Agent": "quotebot-client"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return headers


def _read(call: Call[Any], resp: httpx.Response) -> Any:
    """Return the typed result of a successful response, or raise the problem it carries."""
    if not resp.is_success:
        raise QuotebotHTTPError.from_response(call.method, call.path, resp)
    if call.text:
        return resp.text
    if call.model is not None:
        return call.model.model_validate_json(resp.content)
    try:
        return resp.json()
    except ValueError as exc:
        detail = f"expected JSON, got {resp.headers.get('content-type', 'no content type')}: {resp.text[:200]!r}"
        raise QuotebotHTTPError(call.method, call.path, resp.status_code, detail, body=resp.text) from exc


class _SSE:
    """Parse server-sent events line by line (event: / data: lines; a blank line ends one)."""

    def __init__(self) -> None:
        self.event, self.data = "message", list[str]()

    def feed(self, line: str) -> StreamEvent | None:
        """Take one line; return the event it completes, if any."""
        if line.startswith("event:"):
            self.event = line[6:].strip()
        elif line.startswith("data:"):
            self.data.append(line[5:].lstrip())
        elif not line:
            return self.flush()
        return None

    def flush(self) -> StreamEvent | None:
        """Return the pending event (at a blank line or the end of the stream)."""
        done = StreamEvent(self.event, json.loads("\n".join(self.data))) if self.data else None
        self.event, self.data = "message", []
        return done


def _kwargs(call: Call[Any]) -> dict[str, Any]:
    kw: dict[str, Any] = {"params": call.params, "headers": call.headers or None}
    if call.files is not None:
        kw["files"] = call.files
    elif call.json is not None:
        kw["json"] = call.json
    return kw


class Quotebot(_Requests):
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
        self.http = http or httpx.Client(base_url=base, headers=_headers(api_key), timeout=timeout, transport=transport)

    def send(self, call: Call[T]) -> T:
        """Send one call and return its typed result."""
        try:
            resp = self.http.request(call.method, call.path, **_kwargs(call))
        except httpx.TransportError as exc:
            raise QuotebotHTTPError(call.method, call.path, 0, f"cannot reach {self.base_url}: {exc}") from exc
        result: T = _read(call, resp)
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
            with self.http.stream(call.method, call.path, **_kwargs(call)) as resp:
                if not resp.is_success:
                    resp.read()
                    raise QuotebotHTTPError.from_response(call.method, call.path, resp)
                parser = _SSE()
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

    def article(self, article_id: str) -> schemas.ArticleOut:
        """GET /articles/<id>: the stored text every citation indexes into."""
        return self.send(self.article_call(article_id))

    def add_articles(self, articles: Sequence[Mapping[str, Any]] | Mapping[str, Any]) -> schemas.IngestOut:
        """POST /articles with JSON (one article or a list); needs the key."""
        return self.send(self.add_articles_call(articles))

    def upload(self, files: Sequence[str | Path | tuple[str, bytes]]) -> schemas.IngestOut:
        """POST /articles with files (paths or (name, bytes)); the name picks the format; needs the key."""
        return self.send(self.upload_call(files))

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


class AsyncQuotebot(_Requests):
    """Asynchronous client with the same methods as `Quotebot`, each awaited (`stream` is an async iterator)."""

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        *,
        api_key: str | None = None,
        timeout: float = 60.0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        if urllib.parse.urlsplit(base_url).scheme not in ("http", "https"):
            raise ValueError(f"expected an http(s) URL like {DEFAULT_URL}, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.http = http or httpx.AsyncClient(base_url=self.base_url, headers=_headers(api_key), timeout=timeout)

    async def send(self, call: Call[T]) -> T:
        """Send one call and return its typed result."""
        try:
            resp = await self.http.request(call.method, call.path, **_kwargs(call))
        except httpx.TransportError as exc:
            raise QuotebotHTTPError(call.method, call.path, 0, f"cannot reach {self.base_url}: {exc}") from exc
        result: T = _read(call, resp)
        return result

    async def ask(
        self,
        question: str,
        *,
        context: Mapping[str, Any] | None = None,
        filters: Mapping[str, Any] | None = None,
        top_k: int | None = None,
    ) -> schemas.AnswerOut:
        """POST /ask: the answer with its citations."""
        return await self.send(self.ask_call(question, context, filters, top_k))

    async def stream(
        self,
        question: str,
        *,
        context: Mapping[str, Any] | None = None,
        filters: Mapping[str, Any] | None = None,
        top_k: int | None = None,
    ) -> AsyncIterator[StreamEvent]:
        """POST /ask as server-sent events: start, token..., done (whose `.answer` is the full answer)."""
        call = self.stream_call(question, context, filters, top_k)
        try:
            async with self.http.stream(call.method, call.path, **_kwargs(call)) as resp:
                if not resp.is_success:
                    await resp.aread()
                    raise QuotebotHTTPError.from_response(call.method, call.path, resp)
                parser = _SSE()
                async for line in resp.aiter_lines():
                    if event := parser.feed(line):
                        yield event
                if event := parser.flush():
                    yield event
        except httpx.TransportError as exc:
            raise QuotebotHTTPError(call.method, call.path, 0, f"cannot reach {self.base_url}: {exc}") from exc

    async def verify(self, quote: str, speaker: str | None = None) -> schemas.VerdictOut:
        """POST /verify: a verdict with evidence citations and a word diff."""
        return await self.send(self.verify_call(quote, speaker))

    async def search(
        self,
        query: str,
        *,
        kind: str = "statements",
        filters: Mapping[str, Any] | None = None,
        top_k: int | None = None,
    ) -> list[SearchHitOut]:
        """POST /search: statements (or kind="chunks") nearest in meaning, each a verbatim citation."""
        return (await self.send(self.search_call(query, kind, filters, top_k))).results

    async def speakers(self, q: str = "") -> list[schemas.SpeakerOut]:
        """GET /speakers: speakers with statement counts (those matching `q` when given)."""
        return (await self.send(self.speakers_call(q))).speakers

    async def speaker(self, speaker_id: str) -> schemas.SpeakerDetailOut:
        """GET /speakers/<id>: one speaker with their cited statements."""
        return await self.send(self.speaker_call(speaker_id))

    async def article(self, article_id: str) -> schemas.ArticleOut:
        """GET /articles/<id>: the stored text every citation indexes into."""
        return await self.send(self.article_call(article_id))

    async def add_articles(self, articles: Sequence[Mapping[str, Any]] | Mapping[str, Any]) -> schemas.IngestOut:
        """POST /articles with JSON (one article or a list); needs the key."""
        return await self.send(self.add_articles_call(articles))

    async def upload(self, files: Sequence[str | Path | tuple[str, bytes]]) -> schemas.IngestOut:
        """POST /articles with files (paths or (name, bytes)); needs the key."""
        return await self.send(self.upload_call(files))

    async def delete_article(self, article_id: str) -> schemas.DeleteOut:
        """DELETE /articles/<id>; needs the key."""
        return await self.send(self.delete_article_call(article_id))

    async def chat(self, messages: Sequence[Mapping[str, Any]], **extra: Any) -> ChatCompletionOut:
        """POST /v1/chat/completions (not streamed): the OpenAI-shaped answer, citations in `.quotebot`."""
        return await self.send(self.chat_call(messages, extra))

    async def models(self) -> ModelsOut:
        """GET /v1/models."""
        return await self.send(self.models_call())

    async def health(self) -> schemas.HealthOut:
        """GET /health: liveness with the index counts."""
        return await self.send(self.health_call())

    async def ready(self) -> schemas.ReadyOut:
        """GET /ready (raises with status 503 when the index is unreachable)."""
        return await self.send(self.ready_call())

    async def openapi(self) -> dict[str, Any]:
        """GET /openapi.json."""
        return await self.send(self.openapi_call())

    async def widget(self) -> str:
        """GET /widget.js: the embeddable chat widget's script."""
        return await self.send(self.widget_call())

    async def page(self) -> str:
        """GET /: the demo page."""
        return await self.send(self.page_call())

    async def aclose(self) -> None:
        """Close the connections."""
        await self.http.aclose()

    async def __aenter__(self) -> AsyncQuotebot:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"AsyncQuotebot({self.base_url!r})"
