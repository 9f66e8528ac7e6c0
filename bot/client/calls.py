"""The client's shared parts: the one exception, the calls every route makes, SSE parsing, request helpers."""

from __future__ import annotations

import json
import os
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel

from bot import schemas
from bot.compat_schemas import ChatCompletionOut, ModelsOut, SearchOut
from retrieval.errors import QuotebotError

KEY_ENV = "QUOTEBOT_API_KEY"
JOB_ENDED = ("finished", "failed")
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
    accepted: type[BaseModel] | None = None  # the model of a 202 answer (POST /articles queued as a job)
    text: bool = False


# Every route of the API and the client method that calls it (tests/test_client.py compares with /openapi.json).
ROUTES: dict[tuple[str, str], str] = {
    ("post", "/ask"): "ask",  # and stream()
    ("post", "/verify"): "verify",
    ("post", "/search"): "search",
    ("get", "/speakers"): "speakers",
    ("get", "/speakers/{speaker_id}"): "speaker",
    ("post", "/speakers/{speaker_id}/merge"): "merge_speakers",
    ("post", "/speakers/{speaker_id}/split"): "split_speaker",
    ("patch", "/speakers/{speaker_id}"): "patch_speaker",
    ("get", "/articles/{article_id}"): "article",
    ("post", "/articles"): "add_articles",  # and upload()
    ("delete", "/articles/{article_id}"): "delete_article",
    ("get", "/jobs/{job_id}"): "job",  # and wait_job()
    ("post", "/v1/chat/completions"): "chat",  # streamed: use the openai package
    ("get", "/v1/models"): "models",
    ("get", "/health"): "health",
    ("get", "/ready"): "ready",
    ("get", "/openapi.json"): "openapi",
    ("get", "/widget.js"): "widget",
    ("get", "/"): "page",
}


def seg(value: str) -> str:
    return urllib.parse.quote(value, safe="")


class Requests:
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
        return Call("GET", f"/speakers/{seg(speaker_id)}", model=schemas.SpeakerDetailOut)

    def merge_call(self, speaker_id: str, source: str) -> Call[schemas.CorrectedOut]:
        body = {"source": source}
        return Call("POST", f"/speakers/{seg(speaker_id)}/merge", body, model=schemas.CorrectedOut)

    def split_call(self, speaker_id: str, alias: str, name: str | None) -> Call[schemas.CorrectedOut]:
        body = {"alias": alias, **({"name": name} if name else {})}
        return Call("POST", f"/speakers/{seg(speaker_id)}/split", body, model=schemas.CorrectedOut)

    def patch_call(self, speaker_id: str, name: str | None, add_role: str | None) -> Call[schemas.CorrectedOut]:
        body = {k: v for k, v in (("name", name), ("add_role", add_role)) if v}
        return Call("PATCH", f"/speakers/{seg(speaker_id)}", body, model=schemas.CorrectedOut)

    def article_call(self, article_id: str) -> Call[schemas.ArticleOut]:
        return Call("GET", f"/articles/{seg(article_id)}", model=schemas.ArticleOut)

    def add_articles_call(
        self, articles: Sequence[Mapping[str, Any]] | Mapping[str, Any]
    ) -> Call[schemas.IngestOut | schemas.JobOut]:
        body = dict(articles) if isinstance(articles, Mapping) else [dict(a) for a in articles]
        return Call("POST", "/articles", body, model=schemas.IngestOut, accepted=schemas.JobOut)

    def upload_call(self, files: Sequence[str | Path | tuple[str, bytes]]) -> Call[schemas.IngestOut | schemas.JobOut]:
        parts: list[tuple[str, tuple[str, bytes]]] = []
        for f in files:
            name, data = f if isinstance(f, tuple) else (Path(f).name, Path(f).read_bytes())
            parts.append(("file", (name, data)))
        if not parts:
            raise ValueError("upload() needs at least one file")
        return Call("POST", "/articles", files=parts, model=schemas.IngestOut, accepted=schemas.JobOut)

    def job_call(self, job_id: str) -> Call[schemas.JobOut]:
        return Call("GET", f"/jobs/{seg(job_id)}", model=schemas.JobOut)

    def delete_article_call(self, article_id: str) -> Call[schemas.DeleteOut]:
        return Call("DELETE", f"/articles/{seg(article_id)}", model=schemas.DeleteOut)

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


def headers_for(api_key: str | None) -> dict[str, str]:
    key = api_key if api_key is not None else os.environ.get(KEY_ENV, "")
    headers = {"Accept": "application/json", "User-Agent": "quotebot-client"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return headers


def read(call: Call[Any], resp: httpx.Response) -> Any:
    """Return the typed result of a successful response, or raise the problem it carries."""
    if not resp.is_success:
        raise QuotebotHTTPError.from_response(call.method, call.path, resp)
    if call.text:
        return resp.text
    if resp.status_code == 202 and call.accepted is not None:
        return call.accepted.model_validate_json(resp.content)
    if call.model is not None:
        return call.model.model_validate_json(resp.content)
    try:
        return resp.json()
    except ValueError as exc:
        detail = f"expected JSON, got {resp.headers.get('content-type', 'no content type')}: {resp.text[:200]!r}"
        raise QuotebotHTTPError(call.method, call.path, resp.status_code, detail, body=resp.text) from exc


class SSE:
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


def kwargs_for(call: Call[Any]) -> dict[str, Any]:
    kw: dict[str, Any] = {"params": call.params, "headers": call.headers or None}
    if call.files is not None:
        kw["files"] = call.files
    elif call.json is not None:
        kw["json"] = call.json
    return kw
