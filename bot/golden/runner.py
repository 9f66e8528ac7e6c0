"""Build an app over a temporary index of a corpus, and run a golden file without pytest (`quotebot eval`)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.golden.checking import run_case
from bot.golden.loading import load_golden
from bot.golden.metrics import format_table, summarize
from bot.golden.results import CaseResult
from retrieval.errors import ConfigError

if TYPE_CHECKING:
    from flask import Flask

    from bot.golden.client import QuotebotClient
    from retrieval.embedding import Embedder


def build_app(corpus: Sequence[str | Path], folder: str | Path, *, embedder: Embedder | None = None) -> Flask:
    """Return the app over a new embedded index in `folder` holding `corpus`; the real pipeline, nothing faked."""
    from bot import create_app
    from bot.services import build_services
    from bot.settings import load_settings

    # environ={}: a developer's QUOTEBOT_* variables must not redirect a test index to their real one.
    settings = load_settings({"store": {"path": str(Path(folder) / "index")}}, environ={})
    services = build_services(settings, embedder=embedder)
    report = services.ingestor.ingest_paths([str(p) for p in corpus])
    if report.failed:
        failed = "; ".join(f"{name}: {reason}" for name, reason in report.failed)
        raise ConfigError(f"the corpus did not load: {failed}")
    if not report.articles and not report.unchanged:
        raise ConfigError(f"the corpus {', '.join(map(str, corpus))} holds no articles")
    return create_app(services=services)


def run_eval(golden: Path, corpus: list[Path] | None = None, url: str | None = None) -> tuple[str, dict[str, Any]]:
    """Run a golden file against `url`, else a fresh index of `corpus` or its `corpus:`; return (table, report)."""
    # With neither, the configured index is evaluated: that is what `quotebot ask` answers from.
    from bot.golden.client import flask_client, http_client

    gf = load_golden(golden)
    paths = list(corpus or gf.corpus)
    with tempfile.TemporaryDirectory(prefix="quotebot-eval-", ignore_cleanup_errors=True) as tmp:
        client: QuotebotClient
        if url:
            client = http_client(url, api_key=os.environ.get("QUOTEBOT_API_KEY") or None)
        elif paths:
            client = flask_client(build_app(paths, tmp))
        else:
            from bot import create_app

            client = flask_client(create_app())
        results = [run_case(case, client, file=str(gf.path)) for case in gf.cases]
    report = summarize(results)
    return format_results(results, report), report


def format_results(results: Sequence[CaseResult], report: dict[str, Any]) -> str:
    """Return the metrics table followed by each failed case and why it failed."""
    parts = [format_table(report)]
    for r in results:
        if not r.passed:
            parts.append(f"\nFAILED {r.case_id} ({r.file}:{r.line})\n" + "\n".join(r.failure_lines()))
    return "\n".join(parts)
