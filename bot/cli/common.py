"""What the `quotebot` commands share: settings, services, the server client, input checked as the API checks it."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from retrieval.errors import QuotebotError

if TYPE_CHECKING:
    from pydantic import BaseModel

    from bot.services import Services
    from bot.settings import Settings

    M = TypeVar("M", bound=BaseModel)

EPILOG = "Settings come from config/default.toml, QUOTEBOT_CONFIG=FILE and QUOTEBOT_<SECTION>__<KEY> variables."


class UsageError(QuotebotError):
    """The command line asks for something invalid; the message says what to fix."""


def cli_settings() -> Settings:
    """Return the settings (config file, then environment)."""
    from bot.settings import load_settings

    return load_settings()


def open_services(settings: Settings | None = None, *, lazy_model: bool = False) -> Services:
    """Open the index and its services; with lazy_model the model loads only when a vector is needed."""
    from bot.services import build_services

    settings = settings or cli_settings()
    if not lazy_model:
        return build_services(settings)
    from bot.services import LazyEmbedder, build_embedder

    # A question may need no vector at all ("what did Kirby say?" reads statements by speaker): load on first use.
    lazy = LazyEmbedder(lambda: build_embedder(settings), settings.embedding.model)
    return build_services(settings, embedder=lazy)


def server_client(args: argparse.Namespace, settings: Settings) -> Any:
    """Return a client of the server named by --server or client.url, or None to answer in this process."""
    url = args.server if args.server is not None else settings.client.url
    if not url:
        return None
    from bot.client import Quotebot

    try:
        return Quotebot(url)
    except ValueError as exc:
        raise UsageError(f"--server / client.url: {exc}") from None


def raw_json(client: Any, call: Any) -> dict[str, Any]:
    """Send a client call and return the JSON exactly as the server sent it."""
    from dataclasses import replace

    body: dict[str, Any] = client.send(replace(call, model=None))
    return body


def validated(model: type[M], data: Mapping[str, Any], check: Callable[[M], Any]) -> tuple[M, Any]:
    """Validate input as the API validates a request body (same rules, same messages); return it and check()."""
    from pydantic import ValidationError

    from bot.errors import InvalidRequest, validation_detail

    try:
        body = model.model_validate(data)
        return body, check(body)
    except ValidationError as exc:
        raise UsageError(validation_detail(exc)[0]) from None
    except InvalidRequest as exc:
        raise UsageError(exc.detail) from None


def require_articles(svc: Services) -> None:
    """Refuse to answer from an empty index, saying how to fill it."""
    if svc.store.counts().articles == 0:
        st = svc.settings.store
        where = st.url or st.path
        raise UsageError(f"the index at {where} is empty; add articles first, e.g. `quotebot ingest seeds/`")
