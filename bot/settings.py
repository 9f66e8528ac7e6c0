"""Load settings: config/default.toml, then an optional file, then the environment, then an explicit dict."""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from retrieval.errors import ConfigError

DEFAULT_FILE = Path(__file__).resolve().parent.parent / "config" / "default.toml"
ENV_PREFIX = "QUOTEBOT_"
Settings = dict[str, dict[str, Any]]


def load_settings(overrides: Mapping[str, Any] | None = None, *, environ: Mapping[str, str] | None = None) -> Settings:
    """Return validated settings: defaults < QUOTEBOT_CONFIG file < QUOTEBOT_* env < `overrides`."""
    env = os.environ if environ is None else environ
    with DEFAULT_FILE.open("rb") as fh:
        settings: Settings = tomllib.load(fh)
    if env.get("QUOTEBOT_CONFIG"):
        path = Path(env["QUOTEBOT_CONFIG"])
        try:
            with path.open("rb") as fh:
                _merge(settings, tomllib.load(fh), origin=str(path))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    _merge(settings, _from_env(env, settings), origin="environment")
    if overrides:
        _merge(settings, overrides, origin="explicit settings")
    return settings


def _from_env(env: Mapping[str, str], defaults: Settings) -> dict[str, dict[str, Any]]:
    """Collect QUOTEBOT_<SECTION>__<KEY> variables, parsed by the type of the default."""
    found: dict[str, dict[str, Any]] = {}
    for name, raw in env.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        section, _, key = name[len(ENV_PREFIX) :].lower().partition("__")
        default = defaults.get(section, {}).get(key)
        found.setdefault(section, {})[key] = _parse_env(name, raw, default)
    return found


def _parse_env(name: str, raw: str, default: Any) -> Any:
    """Parse one environment value into the type its default has."""
    if isinstance(default, bool):
        if raw.lower() in {"1", "true", "yes", "on"}:
            return True
        if raw.lower() in {"0", "false", "no", "off", ""}:
            return False
        raise ConfigError(f"{name}={raw!r}: expected true or false")
    if isinstance(default, int | float):
        try:
            return type(default)(raw)
        except ValueError:
            raise ConfigError(f"{name}={raw!r}: expected a {type(default).__name__}") from None
    if isinstance(default, list):
        if raw.strip().startswith("["):
            try:
                return json.loads(raw)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{name}: invalid JSON list: {exc}") from None
        return [item.strip() for item in raw.split(",") if item.strip()]
    return raw


def _merge(settings: Settings, layer: Mapping[str, Any], *, origin: str) -> None:
    """Merge `layer` into `settings`, refusing unknown keys and wrong types."""
    for section, values in layer.items():
        if section not in settings:
            known = ", ".join(sorted(settings))
            raise ConfigError(f"unknown config section [{section}] in {origin} (known: {known})")
        if not isinstance(values, Mapping):
            raise ConfigError(f"[{section}] in {origin} must be a table of keys")
        for key, value in values.items():
            if key not in settings[section]:
                known = ", ".join(sorted(settings[section]))
                raise ConfigError(f"unknown config key {section}.{key} in {origin} (known: {known})")
            default = settings[section][key]
            if not _same_type(value, default):
                raise ConfigError(
                    f"config key {section}.{key} in {origin} must be {type(default).__name__}, "
                    f"got {type(value).__name__} {value!r}"
                )
            settings[section][key] = float(value) if isinstance(default, float) else value


def _same_type(value: Any, default: Any) -> bool:
    """Return whether `value` may replace `default` (ints are accepted for floats)."""
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, float):
        return isinstance(value, int | float)
    if isinstance(default, list):
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, type(default))
