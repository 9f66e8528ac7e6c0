"""Domain errors: they carry data, never HTTP; bot/errors.py maps them to problem+json."""

from __future__ import annotations

from pathlib import Path


class QuotebotError(Exception):
    """Base of every error quotebot raises on purpose."""


class LoadError(QuotebotError):
    """A file (or one record of it) could not be turned into an article."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class NotFoundError(QuotebotError):
    """A requested article, speaker or statement does not exist."""

    def __init__(self, kind: str, key: str) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"no {kind} with id {key!r}")


class StoreUnavailableError(QuotebotError):
    """The vector store cannot be reached (e.g. the Chroma server is down)."""


class ConfigError(QuotebotError):
    """A setting is unknown or has the wrong type."""
