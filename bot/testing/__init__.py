"""quotebot's pytest plugin and evaluation helpers: fixtures, citation assertions, golden files, metrics."""

from __future__ import annotations

from bot.testing.assertions import (
    assert_citations_verbatim,
    assert_cites,
    assert_no_uncited_quotes,
    assert_verdict,
)

__all__ = ["assert_citations_verbatim", "assert_cites", "assert_no_uncited_quotes", "assert_verdict"]
