"""One small client over any quotebot-shaped service: the in-process Flask app or a live URL (stdlib urllib)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from retrieval.errors import QuotebotError

if TYPE_CHECKING:
    from flask import Flask


class QuotebotHTTPError(QuotebotError):
    """The service answered with an error status, or could not be reached (status 0)."""

    def __init__(self, method: str, path: str, status: int, detail: str) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.detail = detail
        where = f"{method} {path}"
        super().__init__(f"{where} failed: {detail}" if status == 0 else f"{where} -> HTTP {status}: {detail}")


class Transport(Protocol):
    """Send one JSON request; return the status and the parsed JSON body (None when there is none)."""

    def request(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> tuple[int, Any]: ...


class FlaskTransport:
    """Requests into an app in this process through Flask's test client (no sockets)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._client = app.test_client()

    def request(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> tuple[int, Any]:
        """Send one request to the app."""
        resp = self._client.open(path, method=method, json=dict(body) if body is not None else None)
        return resp.status_code, resp.get_json(silent=True)

    def __repr__(self) -> str:
        return f"FlaskTransport({self.app.name!r})"


class HttpTransport:
    """Requests to a live service at `base_url` with urllib (no extra dependency)."""

    def __init__(self, base_url: str, *, api_key: str | None = None, timeout: float = 60.0) -> None:
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"expected an http(s) URL like http://127.0.0.1:5000, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout

    def request(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> tuple[int, Any]:
        """Send one request over HTTP; a connection failure is reported as status 0."""
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if self.api_key:  # the server's one convention (bot/security.py), keys from its $QUOTEBOT_API_KEYS
            headers["Authorization"] = f"Bearer {self.api_key}"
        req = urllib.request.Request(self.base_url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return resp.status, _json_or_none(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, _json_or_none(exc.read())
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise QuotebotHTTPError(method, self.base_url + path, 0, f"cannot reach the service: {reason}") from exc

    def __repr__(self) -> str:
        return f"HttpTransport({self.base_url!r})"


class AnswerDict(dict[str, Any]):
    """The parsed /ask JSON; remembers the client that fetched it so assertions can look up cited articles."""

    client: QuotebotClient | None = None


class QuotebotClient:
    """ask / verify / article over a transport; raises QuotebotHTTPError on any error status."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self._articles: dict[str, dict[str, Any]] = {}

    def ask(self, question: str, context: Mapping[str, Any] | None = None, **extra: Any) -> AnswerDict:
        """POST /ask and return the answer (extra keys such as top_k or filters go into the body)."""
        body: dict[str, Any] = {"question": question, **extra}
        if context:
            body["context"] = dict(context)
        answer = AnswerDict(self._call("POST", "/ask", body))
        answer.client = self
        return answer

    def verify(self, quote: str, speaker: str | None = None) -> dict[str, Any]:
        """POST /verify and return the verdict."""
        body: dict[str, Any] = {"quote": quote}
        if speaker is not None:
            body["speaker"] = speaker
        return dict(self._call("POST", "/verify", body))

    def article(self, article_id: str) -> dict[str, Any]:
        """GET /articles/<id>, cached: a citation check fetches each article once."""
        if article_id not in self._articles:
            path = "/articles/" + urllib.parse.quote(article_id, safe="")
            self._articles[article_id] = dict(self._call("GET", path))
        return self._articles[article_id]

    def _call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        status, data = self.transport.request(method, path, body)
        if not 200 <= status < 300:
            raise QuotebotHTTPError(method, path, status, _detail(data))
        if not isinstance(data, dict):
            raise QuotebotHTTPError(method, path, status, f"expected a JSON object, got {type(data).__name__}")
        return data

    def __repr__(self) -> str:
        return f"QuotebotClient({self.transport!r})"


def flask_client(app: Flask) -> QuotebotClient:
    """Return a client of an app in this process."""
    return QuotebotClient(FlaskTransport(app))


def http_client(base_url: str, *, api_key: str | None = None, timeout: float = 60.0) -> QuotebotClient:
    """Return a client of a live service."""
    return QuotebotClient(HttpTransport(base_url, api_key=api_key, timeout=timeout))


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return {"detail": raw[:300].decode("utf-8", "replace")}


def _detail(data: Any) -> str:
    """Return the most useful words of an error body (problem+json `detail`, else the body)."""
    if isinstance(data, dict):
        for key in ("detail", "title", "error", "message"):
            if data.get(key):
                return str(data[key])
    return json.dumps(data)[:300] if data is not None else "(empty body)"
