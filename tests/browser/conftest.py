"""A real quotebot server, a host page on another origin and one shared headless Chromium for the widget tests."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from bot import create_app
from bot.services import build_services
from bot.settings import load_settings
from retrieval.embedding import Embedder
from retrieval.models import Article
from tests.conftest import ROOT, SEEDS

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "test-output" / "browser"
XSS_ARTICLE = Article(
    id="xss-harbour-festival",
    title='Harbour festival <img src=x onerror="window.__xss=3"> notice',
    url="javascript:window.__xss=4",
    source="<b>Harbour Gazette</b>",
    published="2024-02-01",
    text=(
        "The harbour festival committee announced the fireworks schedule for the weekend.\n\n"
        "The organisers posted a notice reading <script>window.__xss=1</script> about the harbour festival "
        'fireworks and <img src=x onerror="window.__xss=2"> next to the ticket prices.\n\n'
        "Tickets for the harbour festival fireworks go on sale on Monday."
    ),
)


class QuietHandler(WSGIRequestHandler):
    """A request handler that keeps the test output free of access logs."""

    def log(self, type: str, message: str, *args: Any) -> None:
        """Drop the log line."""


def serve(app: Callable[..., Any]) -> tuple[BaseWSGIServer, str]:
    """Serve a WSGI app on a free loopback port in a daemon thread; return the server and its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def host_page(quotebot: dict[str, str]) -> Callable[..., list[bytes]]:
    """Return a WSGI app for a third-party page embedding the widget from quotebot["base"] (known once it runs)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        base = quotebot["base"]
        mode = "bubble" if "bubble" in environ.get("QUERY_STRING", "") else "inline"
        page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A news site</title>
<style>body {{ font-family: Georgia, serif; }} quotebot-chat {{ --quotebot-accent: rgb(200, 0, 100); }}</style></head>
<body><h1>A news site that embeds quotebot</h1><p>Some article text.</p>
<div id="slot"></div>
<script src="{base}/widget.js" data-endpoint="{base}" data-mode="{mode}" data-target="#slot" defer></script>
</body></html>"""
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [page.encode()]

    return app


@dataclass
class Site:
    """The running servers: quotebot itself, an allowed host page origin and a disallowed one."""

    quotebot: str
    allowed: str
    disallowed: str


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[Site]:
    """Start quotebot over the seeds plus an XSS article, with only the `allowed` host origin in cors_origins."""
    # The host pages start first: the allowed one's origin goes into the settings quotebot starts with.
    quotebot: dict[str, str] = {}
    allowed_server, allowed = serve(host_page(quotebot))
    disallowed_server, disallowed = serve(host_page(quotebot))
    index = tmp_path_factory.mktemp("browser-index")
    settings = load_settings({"store": {"path": str(index)}, "server": {"cors_origins": [allowed]}}, environ={})
    services = build_services(settings, embedder=embedder)
    report = services.ingestor.ingest_paths([SEEDS])
    assert not report.failed
    report = services.ingestor.ingest_articles([XSS_ARTICLE])
    assert report.articles == 1 and not report.failed
    app_server, base = serve(create_app(services=services))
    quotebot["base"] = base
    yield Site(quotebot=base, allowed=allowed, disallowed=disallowed)
    for server in (app_server, allowed_server, disallowed_server):
        server.shutdown()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session (skipped without it locally, a failure in CI)."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: {CHROMIUM} is missing (scripts/system-deps.sh installs it)")
        pytest.skip(f"no Chromium at {CHROMIUM}: install it (apt-get install chromium) to run the widget tests")
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
    pw.stop()


@pytest.fixture
def page_errors() -> list[str]:
    """Uncaught script errors of the test's page; a widget test ends with none."""
    return []


@pytest.fixture
def page(browser: Any, page_errors: list[str]) -> Iterator[Any]:
    """A fresh page in its own context (clean localStorage); fails fast rather than waiting 30 s."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    pg = context.new_page()
    pg.on("pageerror", lambda exc: page_errors.append(str(exc)))
    yield pg
    context.close()
