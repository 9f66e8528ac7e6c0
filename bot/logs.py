"""One structured log line per request, with a request id echoed in X-Request-ID."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

log = logging.getLogger("quotebot.access")
_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
QUESTION_CHARS = 80  # questions are logged truncated; article text and keys never


def init_app(app: Flask) -> None:
    """Stamp each request with an id and log it when the response is ready."""

    @app.before_request
    def _start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _ID.match(incoming) else uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        request_id = getattr(g, "request_id", None) or uuid.uuid4().hex
        response.headers["X-Request-ID"] = request_id
        record = {
            "request_id": request_id,
            "method": request.method,
            "route": request.url_rule.rule if request.url_rule else None,
            "path": request.path,
            "status": response.status_code,
            "ms": round((time.perf_counter() - getattr(g, "started", time.perf_counter())) * 1000, 1),
            "client": request.remote_addr,
        }
        limit = app.config.get("MAX_CONTENT_LENGTH")
        # An oversized body was refused unread (413); reading it here would turn that into a 500.
        fits = limit is None or (request.content_length or 0) <= limit
        if request.path == "/ask" and request.is_json and fits:
            body = request.get_json(silent=True)
            if isinstance(body, dict) and isinstance(body.get("question"), str):
                record["question"] = body["question"][:QUESTION_CHARS]
        log.info(json.dumps(record, ensure_ascii=False))
        return response
