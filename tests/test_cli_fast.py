"""`quotebot ask` / `verify` start fast: a configured server answers them, and locally only what a question needs
is imported and loaded (no model for a question answered from statement metadata, never spaCy or Flask)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from bot.cli import main
from bot.services import Services
from tests.conftest import ROOT
from tests.servers import free_port, subprocess_env

HEAVY = (
    "sentence_transformers",
    "onnxruntime",
    "torch",
    "spacy",
    "flask",
    "chromadb",
    "trafilatura",
    "langchain_text_splitters",
)
PROBE = """
import sys
from bot.cli import main
code = main(sys.argv[2:])
heavy = {m.split(".")[0] for m in sys.modules} & set(sys.argv[1].split(","))
print(code, " ".join(sorted(heavy)), file=sys.stderr)
"""


@pytest.fixture
def served(app: Flask) -> Iterator[str]:
    """The seeded app behind a real HTTP server on loopback, in a thread."""
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join(10)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No QUOTEBOT_* settings of the caller's; the local index (when one is opened) is an empty folder."""
    for name in list(os.environ):
        if name.startswith("QUOTEBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("QUOTEBOT_STORE__PATH", str(tmp_path / "empty"))
    return tmp_path


def probe(args: list[str], env: dict[str, str]) -> tuple[int, set[str], str]:
    """Run the CLI in a fresh interpreter; return its exit code, the heavy modules it imported and its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(HEAVY), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    last = done.stderr.strip().splitlines()[-1]
    code, _, heavy = last.partition(" ")
    return int(code), set(heavy.split()), done.stdout


@pytest.mark.parametrize("how", ["flag", "setting"])
def test_ask_uses_a_configured_server_and_prints_its_answer(
    served: str,
    seeded: Services,
    clean_env: Path,
    how: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["ask", "what did Kirby say?", "--json"]
    if how == "flag":
        args += ["--server", served]
    else:
        monkeypatch.setenv("QUOTEBOT_CLIENT__URL", served)
    assert main(args) == 0  # the local index is empty: only the server can have answered
    answer = json.loads(capsys.readouterr().out)
    assert any("labelled as ludicrous" in c["text"] for c in answer["citations"])
    for c in answer["citations"]:
        article = seeded.store.get_article(c["article_id"])
        assert article is not None and article.text[c["start"] : c["end"]] == c["text"]
    assert main(["ask", "what did Kirby say?", "--server", served]) == 0
    text = capsys.readouterr().out
    assert "labelled as ludicrous" in text and "[1]" in text


def test_verify_through_a_server_gives_the_servers_verdicts(
    served: str, seeded: Services, clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", "deserves to be sentenced", "--speaker", "Zelensky", "--server", served]) == 0
    assert capsys.readouterr().out.startswith("VERIFIED: 'deserves to be sentenced'")
    claims = clean_env / "claims.jsonl"
    claims.write_text('{"quote": "deserves to be punished", "speaker": "Zelensky"}\n{"speaker": 3}\n', "utf-8")
    assert main(["verify", "--jsonl", str(claims), "--server", served]) == 1
    first, second = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert first == json.loads(
        json.dumps(seeded.verifier.verify_claim("deserves to be punished", "Zelensky").to_dict())
    )
    assert second["line"] == 2 and "quote" in second["error"]


def test_a_bad_request_is_refused_before_any_server_is_called(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unreachable = f"http://127.0.0.1:{free_port()}"
    assert main(["ask", "what did Kirby say?", "--top-k", "80", "--server", unreachable]) == 2
    assert "top_k is 80; use a value from 1 to 50" in capsys.readouterr().err


def test_a_server_that_is_down_is_a_clear_error(clean_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    unreachable = f"http://127.0.0.1:{free_port()}"
    assert main(["ask", "what did Kirby say?", "--server", unreachable]) == 2
    assert f"cannot reach {unreachable}" in capsys.readouterr().err
    assert main(["ask", "what did Kirby say?", "--server", "ftp://x"]) == 2
    assert "expected an http(s) URL" in capsys.readouterr().err


def test_asking_a_server_imports_no_model_store_parser_or_web_framework(served: str, tmp_path: Path) -> None:
    env = subprocess_env(tmp_path / "empty", QUOTEBOT_CLIENT__URL=served)
    code, heavy, out = probe(["ask", "what did Kirby say?"], env)
    assert code == 0 and "labelled as ludicrous" in out
    assert heavy == set(), heavy


def test_a_local_question_loads_only_what_it_needs(seeded: Services, tmp_path: Path) -> None:
    env = subprocess_env(Path(seeded.settings.store.path))
    code, heavy, out = probe(["ask", "what did Kirby say?"], env)
    assert code == 0 and "labelled as ludicrous" in out
    # The store is opened; the model is not (the speaker's statements are read by metadata), spaCy and Flask never.
    assert heavy == {"chromadb"}, heavy
    code, heavy, out = probe(["ask", "who called the claim ludicrous?"], env)  # a search: now the model loads
    assert code == 0 and "ludicrous" in out
    # the configured backend's runtime (onnxruntime by default, sentence_transformers for "torch")
    assert heavy & {"onnxruntime", "sentence_transformers"} and not heavy & {"spacy", "flask"}, heavy
