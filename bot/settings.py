"""Typed settings: config/default.toml, then an optional file, then the environment, then an explicit dict.

The models below give each key its type; config/default.toml gives its value and, in the comment above it, its
meaning. Code reads `settings.ask.top_k`.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, get_origin

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from retrieval.errors import ConfigError

DEFAULT_FILE = Path(__file__).resolve().parent.parent / "config" / "default.toml"
ENV_PREFIX = "QUOTEBOT_"


class _Section(BaseModel):
    # strict: a TOML "5" for an int is a mistake to name, not a value to guess; assignments are checked too, so a
    # test or a tool that sets a key later cannot store the wrong type.
    model_config = ConfigDict(extra="forbid", strict=True, validate_assignment=True)


class StoreSettings(_Section):
    """[store]: where the Chroma index lives."""

    path: str
    url: str
    prefix: str
    timeout: float
    lock_url: str
    lock_ttl: float


class EmbeddingSettings(_Section):
    """[embedding]: the sentence embedding model."""

    model: str
    backend: str
    cache: str
    batch_size: int
    device: str
    threads: int
    int8: bool


class IngestSettings(_Section):
    """[ingest]: file limits and chunking."""

    max_file_bytes: int
    chunk_size: int
    chunk_overlap: int


class AskSettings(_Section):
    """[ask]: defaults and limits of questions."""

    top_k: int
    max_top_k: int
    max_question_chars: int


class VerifySettings(_Section):
    """[verify]: limits of claimed quotes."""

    max_quote_chars: int


class ServerSettings(_Section):
    """[server]: the HTTP server, its keys, limits and CORS."""

    host: str
    port: int
    max_body_bytes: int
    cors_origins: list[str]
    require_key_for_reads: bool
    rate_limit: str
    rate_limit_storage: str
    trusted_proxies: int


class LlmSettings(_Section):
    """[llm]: optional phrasing of answers by a chat model."""

    provider: str
    model: str
    base_url: str
    max_tokens: int


class JobsSettings(_Section):
    """[jobs]: the ingest job queue."""

    redis_url: str
    inline_max_articles: int
    part_articles: int
    part_timeout: int
    retries: int
    heartbeat_seconds: int
    keep_seconds: int


class ClientSettings(_Section):
    """[client]: a server the command line calls instead of opening the index."""

    url: str


class Settings(BaseModel):
    """Every section of config/default.toml."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    store: StoreSettings
    embedding: EmbeddingSettings
    ingest: IngestSettings
    ask: AskSettings
    verify: VerifySettings
    server: ServerSettings
    llm: LlmSettings
    jobs: JobsSettings
    client: ClientSettings


@cache
def sections() -> dict[str, type[_Section]]:
    """Return each section's name and model."""
    return {name: field.annotation for name, field in Settings.model_fields.items()}  # type: ignore[misc]


def load_settings(overrides: Mapping[str, Any] | None = None, *, environ: Mapping[str, str] | None = None) -> Settings:
    """Return validated settings: defaults < QUOTEBOT_CONFIG file < QUOTEBOT_* env < `overrides`."""
    env = os.environ if environ is None else environ
    raw: dict[str, dict[str, Any]] = {}
    with DEFAULT_FILE.open("rb") as fh:
        _merge(raw, tomllib.load(fh), origin=str(DEFAULT_FILE))
    if env.get("QUOTEBOT_CONFIG"):
        path = Path(env["QUOTEBOT_CONFIG"])
        try:
            with path.open("rb") as fh:
                _merge(raw, tomllib.load(fh), origin=str(path))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    _merge(raw, _from_env(env), origin="environment")
    if overrides:
        _merge(raw, overrides, origin="explicit settings")
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:  # every value was checked by _merge: only a key missing from the defaults is left
        missing = ", ".join(".".join(map(str, e["loc"])) for e in exc.errors())
        raise ConfigError(f"{DEFAULT_FILE} lacks {missing}; every key needs a default there") from None


@cache
def _adapter(section: str, key: str) -> TypeAdapter[Any]:
    return TypeAdapter(_type_of(section, key), config=ConfigDict(strict=True))


def _type_of(section: str, key: str) -> Any:  # Any: a type form, or None
    """Return the type of `section.key`, or None for an unknown key."""
    model = sections().get(section)
    field = model.model_fields.get(key) if model is not None else None
    return field.annotation if field is not None else None


def _from_env(env: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """Collect QUOTEBOT_<SECTION>__<KEY> variables, parsed by the key's type."""
    found: dict[str, dict[str, Any]] = {}
    for name, raw in env.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        section, _, key = name[len(ENV_PREFIX) :].lower().partition("__")
        found.setdefault(section, {})[key] = _parse_env(name, raw, _type_of(section, key))
    return found


def _parse_env(name: str, raw: str, kind: Any) -> Any:
    """Parse one environment value into `kind` (an unknown key's value stays a string, for _merge to refuse)."""
    if kind is bool:
        if raw.lower() in {"1", "true", "yes", "on"}:
            return True
        if raw.lower() in {"0", "false", "no", "off", ""}:
            return False
        raise ConfigError(f"{name}={raw!r}: expected true or false")
    if kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            raise ConfigError(f"{name}={raw!r}: expected a {kind.__name__}") from None
    if get_origin(kind) is list:
        if raw.strip().startswith("["):
            try:
                return json.loads(raw)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{name}: invalid JSON list: {exc}") from None
        return [item.strip() for item in raw.split(",") if item.strip()]
    return raw


def _merge(raw: dict[str, dict[str, Any]], layer: Mapping[str, Any], *, origin: str) -> None:
    """Merge `layer` into `raw`, refusing unknown keys and wrong types by name."""
    known_sections = sections()
    for section, values in layer.items():
        if section not in known_sections:
            known = ", ".join(sorted(known_sections))
            raise ConfigError(f"unknown config section [{section}] in {origin} (known: {known})")
        if not isinstance(values, Mapping):
            raise ConfigError(f"[{section}] in {origin} must be a table of keys")
        fields = known_sections[section].model_fields
        for key, value in values.items():
            if key not in fields:
                known = ", ".join(sorted(fields))
                raise ConfigError(f"unknown config key {section}.{key} in {origin} (known: {known})")
            try:
                checked = _adapter(section, key).validate_python(value)
            except ValidationError:
                kind = _type_of(section, key)
                raise ConfigError(
                    f"config key {section}.{key} in {origin} must be {(get_origin(kind) or kind).__name__}, "
                    f"got {type(value).__name__} {value!r}"
                ) from None
            raw.setdefault(section, {})[key] = checked
