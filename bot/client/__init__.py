"""Python client of the quotebot API (httpx): `Quotebot` (sync) and `AsyncQuotebot`, one method per route, typed
results (the response models of bot/schemas.py), and one exception, `QuotebotHTTPError`, for every problem.

The key comes from `api_key=` or $QUOTEBOT_API_KEY and is sent as `Authorization: Bearer <key>`.
"""

from __future__ import annotations

from bot.client.aio import AsyncQuotebot
from bot.client.calls import DEFAULT_URL, KEY_ENV, ROUTES, Call, QuotebotHTTPError, StreamEvent
from bot.client.sync import Quotebot

__all__ = ["DEFAULT_URL", "KEY_ENV", "ROUTES", "AsyncQuotebot", "Call", "Quotebot", "QuotebotHTTPError", "StreamEvent"]
