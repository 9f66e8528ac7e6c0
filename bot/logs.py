"""One structured log line per request, with a request id echoed in X-Request-ID, and the logging set-up."""

from __future__ import annotations

import json
import logging
import logging.config
import re
import time
import uuid
from typing import Any

from flask import Flask, Response, g, request

log = logging.getLogger("quotebot.access")
_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
QUESTION_CHARS = 80  # questions are logged truncated; article text and keys never
_TEXT_FORMAT = "%(asctime)s [%(process)d] [%(levelname)s] %(name)s: %(message)s"


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """Return the dictConfig of a process we run: access lines as JSON on stdout, everything else on stderr."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {"format": "%(message)s"},  # the access record is already one JSON object
            "text": {"format": _TEXT_FORMAT, "datefmt": "[%Y-%m-%d %H:%M:%S %z]"},
        },
        "handlers": {
            "access": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"},
            "stderr": {"class": "logging.StreamHandler", "formatter": "text", "stream": "ext://sys.stderr"},
        },
        "root": {"level": "WARNING", "handlers": ["stderr"]},
        "loggers": {
            # stdout carries nothing but access lines, so a log shipper can parse every line as JSON.
            "quotebot.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
            "quotebot": {"level": level, "handlers": ["stderr"], "propagate": False},
            "gunicorn.error": {"level": level, "handlers": ["stderr"], "propagate": False},
            # gunicorn's own access log would repeat each request in another format (and log query strings).
            "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
            # the development server's access lines likewise; its warnings still show.
            "werkzeug": {"level": "WARNING", "handlers": ["stderr"], "propagate": False},
        },
    }


def configure(level: str = "INFO") -> None:
    """Install logging_config() for this process (`quotebot serve`; gunicorn uses it as logconfig_dict)."""
    logging.config.dictConfig(logging_config(level))


def ensure_configured() -> None:
    """Make access lines visible when the host process has not configured logging for quotebot itself."""
    app_log = logging.getLogger("quotebot")
    if app_log.handlers or log.handlers:
        return  # gunicorn's logconfig_dict or `quotebot serve` configured us
    if app_log.level == logging.NOTSET:
        app_log.setLevel(logging.INFO)  # else the root's WARNING default would drop every access line
    if not logging.getLogger().handlers:
        # Nobody handles records at all (Python's last resort shows warnings only): print ours.
        configure()


def init_app(app: Flask) -> None:
    """Stamp each request with an id and log it when the response is ready."""
    ensure_configured()

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
        question = _question()
        if question is not None:
            record["question"] = question[:QUESTION_CHARS]
        log.info(json.dumps(record, ensure_ascii=False))
        return response

    def _question() -> str | None:
        """Return the /ask question of this request, or None; never fails, so every request gets its line."""
        limit = app.config.get("MAX_CONTENT_LENGTH")
        # An oversized body was refused unread (413); reading it here would turn that into a 500.
        too_big = limit is not None and (request.content_length or 0) > limit
        if request.path != "/ask" or not request.is_json or too_big:
            return None
        try:
            body = request.get_json(silent=True)
        except (RecursionError, ValueError):  # JSON nested thousands deep: the route already answered it
            return None
        question = body.get("question") if isinstance(body, dict) else None
        return question if isinstance(question, str) else None
