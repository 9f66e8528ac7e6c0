"""The embeddable widget, the demo page and cross-origin access for allowed origins."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from flask import Flask, Response, current_app, render_template, request, send_from_directory
from flask.typing import ResponseReturnValue
from flask_cors import CORS

from bot.routing import Route, Routes, path_pattern

STATIC = Path(__file__).resolve().parent / "static"
# Preflights are cached by the browser for this many seconds, so each question costs one request, not two.
PREFLIGHT_MAX_AGE = 600

routes = Routes("web", __name__, template_folder="templates")


# The widget and demo page need no CORS (a <script src> is not a fetch).
@routes.get(
    "/widget.js",
    ("text/javascript", {"type": "string"}),
    "The embeddable chat widget",
    auth="none",
    unavailable=False,
)
def widget() -> ResponseReturnValue:
    """Return the widget script (one file, styles inside, no build step)."""
    resp = send_from_directory(STATIC, "widget.js", mimetype="text/javascript", max_age=300)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@routes.get("/", ("text/html", {"type": "string"}), "A demo page that uses the widget", auth="none")
def demo() -> ResponseReturnValue:
    """Return the demo page: what quotebot does, with the widget inline over the index."""
    counts = current_app.extensions["quotebot"].store.counts().to_dict()
    return render_template("index.html", counts=counts)


def origin_patterns(origins: list[str]) -> list[re.Pattern[str]]:
    """Return exact, case-insensitive matchers for `origins` (flask-cors would read "." or "*" as regex syntax)."""
    return [re.compile(re.escape(o.strip().rstrip("/")) + r"\Z", re.IGNORECASE) for o in origins if o.strip()]


def init_app(app: Flask, cors_origins: list[str], routes: Sequence[Route]) -> None:
    """Allow `cors_origins` (none when the list is empty) to call the routes that say cors=True."""
    # An API explorer reads /openapi.json, a dashboard polls /ready, the widget on a news site posts to /ask.
    api_paths = path_pattern([route for route in routes if route.cors])
    CORS(
        app,
        resources={api_paths: {}},
        origins=origin_patterns(cors_origins),
        methods=["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=["Content-Type", "Accept", "Authorization"],
        expose_headers=["Retry-After"],
        max_age=PREFLIGHT_MAX_AGE,
        vary_header=True,
    )

    @app.after_request
    def _vary_on_origin(resp: Response) -> Response:
        # flask-cors adds Vary only when it allows the origin; a shared cache must never hand one origin's answer
        # (with or without Access-Control-Allow-Origin) to another.
        if api_paths.match(request.path):
            resp.vary.add("Origin")
        return resp
