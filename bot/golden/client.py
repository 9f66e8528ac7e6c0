"""A client for golden runs and the pytest plugin: ask / verify / article as plain dicts, in-process or over HTTP."""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.client import Call, Quotebot, QuotebotHTTPError

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["AnswerDict", "QuotebotClient", "QuotebotHTTPError", "flask_client", "http_client"]


class AnswerDict(dict[str, Any]):
    """The parsed /ask JSON; remembers the client that fetched it so assertions can look up cited articles."""

    client: QuotebotClient | None = None


class QuotebotClient:
    """ask / verify / article as the JSON the service sent (a quotebot-shaped service need not match our models).

    Any error status, or no answer, raises bot.client.QuotebotHTTPError with the problem's fields.
    """

    def __init__(self, api: Quotebot) -> None:
        self.api = api
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
        data: Any = self.api.send(Call(method, path, json=dict(body) if body is not None else None))
        if not isinstance(data, dict):
            raise QuotebotHTTPError(method, path, 200, f"expected a JSON object, got {type(data).__name__}")
        return data

    def __repr__(self) -> str:
        return f"QuotebotClient({self.api!r})"


def flask_client(app: Flask) -> QuotebotClient:
    """Return a client of an app in this process (no sockets)."""
    return QuotebotClient(Quotebot(app=app))


def http_client(base_url: str, *, api_key: str | None = None, timeout: float = 60.0) -> QuotebotClient:
    """Return a client of a live service; the key (else $QUOTEBOT_API_KEY) goes as `Authorization: Bearer`."""
    return QuotebotClient(Quotebot(base_url, api_key=api_key, timeout=timeout))
