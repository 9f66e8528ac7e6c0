"""quotebot's pytest plugin: fixtures and citation assertions (golden files and their metrics live in bot.golden)."""

from __future__ import annotations

from bot.testing.assertions import (
    assert_citations_verbatim,
    assert_cites,
    assert_no_uncited_quotes,
    assert_verdict,
)

__all__ = ["assert_citations_verbatim", "assert_cites", "assert_no_uncited_quotes", "assert_verdict"]
