"""The quotebot command end to end on the embedded store."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from bot import cli, create_app
from bot.cli import main
from bot.services import Services
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
    for cmd in ("ingest", "ask", "verify", "extract", "eval", "serve"):
        assert cmd in out


# ---- verify -----------------------------------------------------------------------------------------------


def test_verify_prints_the_verdict_and_json_is_the_api_answer(
    index_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["ingest", str(SEEDS)])
    capsys.readouterr()
    assert main(["verify", "deserves to be sentenced", "--speaker", "Zelensky"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("VERIFIED: 'deserves to be sentenced' (claimed speaker: Volodymyr Zelensky)")
    assert "[1] Volodymyr Zelensky:" in text and "chars" in text
    assert main(["verify", "deserves to be sentenced", "--speaker", "Zelensky", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    from bot.services import build_services
    from bot.settings import load_settings

    client = create_app(services=build_services(load_settings())).test_client()
    api = client.post("/verify", json={"quote": "deserves to be sentenced", "speaker": "Zelensky"}).get_json()
    assert printed == api and printed["label"] == "verified" and printed["evidence"]


def test_verify_jsonl_answers_each_line_and_reports_bad_ones(
    index_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["ingest", str(SEEDS)])
    claims = index_env / "claims.jsonl"
    lines = ['{"quote": "deserves to be sentenced", "speaker": "Zelensky"}', "{oops", '{"quote": ""}', ""]
    claims.write_text("\n".join(lines), encoding="utf-8")
    capsys.readouterr()
    assert main(["verify", "--jsonl", str(claims)]) == 1
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert out[0]["label"] == "verified"
    assert out[1:] == [
        {"line": 2, "error": "not JSON"},
        {"line": 3, "error": "quote: String should have at least 1 character"},
    ]


# ---- the same refusals as the API -------------------------------------------------------------------------

LONG = "what did Kirby say " * 60  # 1,140 characters, over ask.max_question_chars


@pytest.mark.parametrize(
    ("argv", "route", "body"),
    [
        (["ask", ""], "/ask", {"question": ""}),
        (["ask", "   "], "/ask", {"question": "   "}),
        (["ask", LONG], "/ask", {"question": LONG}),
        (["ask", "what did Kirby say?", "--top-k", "0"], "/ask", {"question": "what did Kirby say?", "top_k": 0}),
        (["ask", "what did Kirby say?", "--top-k", "51"], "/ask", {"question": "what did Kirby say?", "top_k": 51}),
        (["verify", ""], "/verify", {"quote": ""}),
        (["verify", "x" * 2001], "/verify", {"quote": "x" * 2001}),
        (["verify", "fine", "--speaker", "y" * 201], "/verify", {"quote": "fine", "speaker": "y" * 201}),
    ],
    ids=["empty", "blank", "too-long", "top-k-0", "top-k-51", "empty-quote", "long-quote", "long-speaker"],
)
def test_ask_and_verify_refuse_bad_input_with_the_api_message(
    services: Services, index_env: Path, capsys: pytest.CaptureFixture[str], argv: list[str], route: str, body: dict
) -> None:
    resp = create_app(services=services).test_client().post(route, json=body)
    assert resp.status_code == 422
    assert main(argv) == 2
    assert capsys.readouterr().err == f"quotebot: error: {resp.get_json()['detail']}\n"


def test_ask_on_an_empty_index_says_how_to_fill_it(index_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "what did Kirby say?"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"the index at {index_env / 'idx'} is empty" in captured.err and "quotebot ingest seeds/" in captured.err


# ---- extract ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.jsonl", None, "missing.jsonl: no such file"),
        ("story.txt", "date 2023-05-06\n\nThe minister said no.", "story.txt: line 1 is not JSON; expected JSONL"),
        ("binary.jsonl", "\udcff", "binary.jsonl: not UTF-8 text; expected JSONL"),
        ("list.jsonl", '[{"doc_id": "a", "text": "x"}]', "list.jsonl: line 1 is not a JSON object"),
        ("noid.jsonl", '{"text": "x"}', "noid.jsonl: line 1: give each article a 'doc_id' (or 'id')"),
        (
            "notext.jsonl",
            '{"id": "a", "text": "x"}\n{"id": "b", "body": "x"}',
            "notext.jsonl: line 2: 'text' must be a string",
        ),
        ("empty.jsonl", "\n", "empty.jsonl: no articles; expected JSONL"),
    ],
)
def test_extract_refuses_bad_input_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: str | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content.encode("utf-8", "surrogateescape"))
    assert main(["extract", str(path), "--out", str(tmp_path / "pred.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"quotebot: error: {tmp_path / message}") and err.count("\n") == 1
    assert not (tmp_path / "pred.jsonl").exists()


def test_extract_takes_id_for_doc_id_as_ingest_does(tmp_path: Path) -> None:
    rows = [{"id": "a1", "text": '"We will win," she said.'}, {"doc_id": 7, "text": "Nobody spoke."}]
    (tmp_path / "in.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    assert main(["extract", str(tmp_path / "in.jsonl"), "--out", str(tmp_path / "pred.jsonl")]) == 0
    pred = [json.loads(line) for line in (tmp_path / "pred.jsonl").read_text().splitlines()]
    assert [p["doc_id"] for p in pred] == ["a1", "7"]
    [quote] = pred[0]["quotes"]
    assert rows[0]["text"][quote["quote_start"] : quote["quote_end"]] == "We will win,"
    assert pred[1]["quotes"] == []


# ---- ingest -----------------------------------------------------------------------------------------------


def test_ingest_lands_the_good_paths_when_one_is_missing(index_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = index_env / "missing.txt"
    assert main(["ingest", str(missing), str(SEEDS)]) == 1
    out = capsys.readouterr().out
    assert "added 1 articles" in out and f"failed: {missing}: no such file or directory" in out
    assert "index: articles 1," in out


def test_ingest_refusal_of_a_big_file_names_the_setting(
    index_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUOTEBOT_INGEST__MAX_FILE_BYTES", "1000")
    assert main(["ingest", str(SEEDS)]) == 1
    out = capsys.readouterr().out
    assert "over the limit of 1,000 bytes set by ingest.max_file_bytes" in out
    assert "QUOTEBOT_INGEST__MAX_FILE_BYTES" in out and "index: articles 0," in out


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _feed(folder: Path, n: int) -> Path:
    """Write one JSONL file of n small distinct articles."""
    path = folder / "feed.jsonl"
    rows = [{"id": f"feed-{i}", "text": f'"Rates will rise by {i} points," minister {i} said.'} for i in range(n)]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    return path


def test_ingest_of_one_big_jsonl_shows_a_bar_counting_articles(
    index_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert main(["ingest", str(_feed(index_env, 40))]) == 0
    shown = terminal.getvalue()
    assert "40/40" in shown and "article" in shown and "file 1/1" in shown
    assert "16/40" in shown  # progress while it runs, not only at the end
    assert "added 40 articles" in capsys.readouterr().out


def test_ingest_progress_off_a_terminal_is_a_line_and_quiet_is_silent(
    index_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli.index, "PROGRESS_SECONDS", 0.0)  # every step, instead of every 30 s
    feed = _feed(index_env, 20)
    assert main(["ingest", str(feed)]) == 0
    err = capsys.readouterr().err
    assert "quotebot: ingested 16 of 20 articles (1/1 files read)" in err
    assert "quotebot: ingested 20 of 20 articles (1/1 files read)" in err
    assert main(["ingest", "--quiet", str(feed)]) == 0
    assert "quotebot: ingested" not in capsys.readouterr().err
