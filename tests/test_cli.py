"""The quotebot command end to end on the embedded store."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import SEEDS


@pytest.fixture
def index_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("QUOTEBOT_STORE__PATH", str(tmp_path / "idx"))
    for name in list(os.environ):
        if name.startswith("QUOTEBOT_") and name != "QUOTEBOT_STORE__PATH":
            monkeypatch.delenv(name)
    return tmp_path


def test_ingest_then_ask_cites_kirby_verbatim(index_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", str(SEEDS)]) == 0
    assert "added 1 articles" in capsys.readouterr().out
    assert main(["ask", "what did Kirby say?", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    seed_text = None
    hits = [c for c in answer["citations"] if "labelled as ludicrous" in c["text"]]
    assert hits
    assert main(["ingest", str(SEEDS), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["articles"] == 0 and summary["unchanged"] == 1
    from retrieval.store import Store

    store = Store.open(path=str(index_env / "idx"))
    article = store.get_article(hits[0]["article_id"])
    assert article is not None
    seed_text = article.text
    for c in answer["citations"]:
        assert seed_text[c["start"] : c["end"]] == c["text"]


def test_ingest_exits_nonzero_and_names_the_bad_file(index_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = index_env / "bad.json"
    bad.write_text("{oops", encoding="utf-8")
    assert main(["ingest", str(SEEDS), str(bad)]) == 1
    out = capsys.readouterr().out
    assert "added 1 articles" in out and "bad.json" in out


def test_ask_text_output_lists_citations(index_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["ingest", str(SEEDS)])
    capsys.readouterr()
    assert main(["ask", "drone attack on the Kremlin"]) == 0
    out = capsys.readouterr().out
    assert "[1]" in out and "chars" in out


def test_help_lists_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for cmd in ("ingest", "ask", "extract", "serve"):
        assert cmd in out
