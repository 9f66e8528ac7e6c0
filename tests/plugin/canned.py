"""Canned answers over the REAL seed article text: correct ones, and ones corrupted the way a quote bot fails."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path
from typing import Any

from retrieval.loaders import load_file
from retrieval.models import Article

ROOT = Path(__file__).resolve().parents[2]
SEED_FILE = ROOT / "seeds" / "000_1d849841864068f5.txt"
SEED_GOLDEN = ROOT / "tests" / "golden" / "seed.yaml"
KIRBY = "This was a claim that spokesman John Kirby, speaking for US National Security, labelled as ludicrous."
SENTENCED = "deserves to be sentenced for criminal actions in the capital of international law"


def seed_article() -> Article:
    """Return the seed article exactly as the loaders produce it (its text is what citations index into)."""
    return load_file(SEED_FILE)[0]


def cite(article: Article, phrase: str, *, n: int = 1, speaker: str | None = None) -> dict[str, Any]:
    """Return a correct citation of `phrase` (its first occurrence) in the shape of /ask."""
    start = article.text.index(phrase)
    return {
        "n": n,
        "article_id": article.id,
        "title": article.title,
        "url": article.url,
        "source": article.source,
        "published": article.published,
        "start": start,
        "end": start + len(phrase),
        "text": phrase,
        "speaker": speaker,
        "statement_id": None,
        "score": 1.0,
    }


def answer(
    text: str,
    *citations: dict[str, Any],
    intent: str = "search",
    speaker: str | None = None,
    verdicts: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Return an /ask answer."""
    return {
        "answer": text,
        "intent": intent,
        "citations": list(citations),
        "verdicts": verdicts or [],
        "speaker": speaker,
        "context": {},
    }


def verdict(
    label: str, claim: str, evidence: dict[str, Any], *, claimed: str | None, actual: str | None
) -> dict[str, Any]:
    """Return a Verdict dict."""
    return {
        "label": label,
        "claim": claim,
        "claimed_speaker": claimed,
        "evidence": [evidence],
        "actual_speaker": actual,
        "diff": [],
        "notes": [],
        "similarity": 1.0,
    }


def plugin_args() -> list[str]:
    """Return the -p option a pytester run needs when the `pytest11` entry point is not installed."""
    # Every distribution, as pluggy scans them: entry_points() keeps one per name, and a stale quotebot.egg-info
    # in the working directory would hide the installed one.
    installed = any(
        ep.group == "pytest11" and ep.value == "bot.testing.plugin"
        for dist in importlib.metadata.distributions()
        for ep in dist.entry_points
    )
    return [] if installed else ["-p", "bot.testing.plugin"]
