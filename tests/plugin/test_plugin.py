"""The pytest plugin end to end, through pytester: fixtures, golden files, metrics, report, live-URL mode."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from bot import create_app
from bot.services import Services
from retrieval.models import Article
from tests.plugin.canned import (
    KIRBY,
    ROOT,
    SEED_FILE,
    SEED_GOLDEN,
    SENTENCED,
    answer,
    cite,
    plugin_args,
    seed_article,
    verdict,
)

pytest_plugins = ["pytester"]
SEEDS = ROOT / "seeds"

CORRUPTED = """
from pathlib import Path

from bot.testing import assert_citations_verbatim, assert_cites, assert_verdict
from retrieval.loaders import load_file

ARTICLE = load_file(Path(SEED_FILE))[0]


def citation(phrase, speaker=None, shift=0, text=None):
    start = ARTICLE.text.index(phrase) + shift
    return {"n": 1, "article_id": ARTICLE.id, "start": start, "end": start + len(phrase),
            "text": text or phrase, "speaker": speaker}


def answer(*cites, verdicts=()):
    return {"answer": "see [1]", "intent": "search", "citations": list(cites), "verdicts": list(verdicts),
            "speaker": None, "context": {}}


def test_true_answer_passes():
    good = answer(citation(KIRBY, speaker="John Kirby"))
    assert_citations_verbatim(good, articles=[ARTICLE])
    assert_cites(good, speaker="John Kirby", contains="labelled as ludicrous")


def test_misquote():
    assert_citations_verbatim(answer(citation(KIRBY, text=KIRBY.replace("claim", "lie"))), articles=[ARTICLE])


def test_shifted_offsets():
    assert_citations_verbatim(answer(citation(KIRBY, shift=1)), articles=[ARTICLE])


def test_misattribution():
    assert_cites(answer(citation(KIRBY, speaker="Volodymyr Zelensky")), speaker="John Kirby", contains="ludicrous")


def test_speaker_swapped():
    ev = citation(SENTENCED, speaker="Volodymyr Zelensky")
    swapped = {"label": "verified", "claim": "deserves to be sentenced", "claimed_speaker": "Volodymyr Zelensky",
               "evidence": [ev], "actual_speaker": "John Kirby", "diff": [], "notes": [], "similarity": 1.0}
    assert_verdict(answer(ev, verdicts=[swapped]), "verified", speaker="Volodymyr Zelensky")
"""


def _outcomes(result: pytest.RunResult) -> dict[str, int]:
    return {k: v for k, v in result.parseoutcomes().items() if k in ("passed", "failed", "skipped", "errors")}


def test_corrupted_answers_fail_with_the_words_that_differ(pytester: pytest.Pytester) -> None:
    header = f"SEED_FILE = {str(SEED_FILE)!r}\nKIRBY = {KIRBY!r}\nSENTENCED = {SENTENCED!r}\n"
    pytester.makepyfile(test_corrupted=header + CORRUPTED)
    result = pytester.runpytest(*plugin_args(), "-q")
    assert _outcomes(result) == {"passed": 1, "failed": 4}
    result.stdout.fnmatch_lines(
        [
            "*first difference at word 4: the citation has 'lie' where the source has 'claim'*",
            "*offsets shifted by +1: the cited text is at *",
            "*misattributed: 'ludicrous' is cited, but attributed to 'Volodymyr Zelensky', not 'John Kirby'*",
            "*the words are attributed to 'John Kirby', expected 'Volodymyr Zelensky'*",
        ],
        consecutive=False,
    )


# --- a live service: any HTTP server with the /ask shape ------------------------------------------------------


def _canned_service(article: Article) -> dict[str, Any]:
    """Answers keyed by question: two right, three wrong in the ways a quote bot goes wrong."""
    kirby = cite(article, KIRBY, speaker="John Kirby")
    shifted = cite(article, SENTENCED, speaker="Volodymyr Zelensky")
    shifted.update(start=shifted["start"] + 1, end=shifted["end"] + 1)
    sentenced = cite(article, SENTENCED, speaker="Volodymyr Zelensky")
    swapped = verdict(
        "verified", "deserves to be sentenced", sentenced, claimed="Volodymyr Zelensky", actual="John Kirby"
    )
    return {
        "what did Kirby say?": answer(
            "John Kirby: “labelled as ludicrous” [1]", kirby, intent="speaker_statements", speaker="John Kirby"
        ),
        "who called the claim ludicrous?": answer(
            "Vladimir Putin [1]", {**kirby, "speaker": "Vladimir Putin"}, intent="who_said", speaker="Vladimir Putin"
        ),
        "did Zelensky say Putin deserves to be sentenced?": answer(
            "Verified [1]", sentenced, intent="verify", speaker="Volodymyr Zelensky", verdicts=[swapped]
        ),
        "what did Zelensky say?": answer(
            "He said [1]", shifted, intent="speaker_statements", speaker="Volodymyr Zelensky"
        ),
    }


@pytest.fixture
def live_url() -> Iterator[str]:
    """A loopback HTTP service that answers from canned answers over the real seed article."""
    article = seed_article()
    answers = _canned_service(article)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            question, context = body["question"], body.get("context") or {}
            if question == "what else did he say?":  # only right if the client sent the context back
                data = answer("Nothing more.", intent="speaker_statements", speaker=context.get("speaker"))
            elif question in answers:
                data = {**answers[question], "context": {"speaker": answers[question]["speaker"]}}
            else:
                return self._send(404, {"title": "Not Found", "detail": f"no canned answer for {question!r}"})
            self._send(200, data)

        def do_GET(self) -> None:
            if self.path == f"/articles/{article.id}":
                return self._send(200, article.to_dict())
            self._send(404, {"title": "Not Found", "detail": "no such article"})

        def _send(self, status: int, data: Any) -> None:
            raw = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


LIVE_GOLDEN = """
cases:
  - id: kirby
    question: what did Kirby say?
    intent: speaker_statements
    speaker: John Kirby
    cites: labelled as ludicrous
  - id: kirby-what-else
    conversation:
      - question: what did Kirby say?
        speaker: John Kirby
      - question: what else did he say?
        speaker: John Kirby
  - id: who-called-it-ludicrous
    question: who called the claim ludicrous?
    speaker: John Kirby
    cites: labelled as ludicrous
  - id: verify-sentenced
    question: did Zelensky say Putin deserves to be sentenced?
    verdict: {label: verified, speaker: Volodymyr Zelensky}
  - id: zelensky-shifted
    question: what did Zelensky say?
    cites: deserves to be sentenced
"""

LIVE_TESTS = """
from bot.testing import assert_citations_verbatim, assert_cites


def test_ask_fetches_articles_over_http(ask):
    answer = ask("what did Kirby say?")
    assert_citations_verbatim(answer)
    assert_cites(answer, speaker="Kirby", contains="ludicrous")


def test_app_fixture_skips_against_a_live_service(quotebot_app):
    raise AssertionError("unreachable")
"""


def test_golden_run_against_a_live_url_catches_misattribution_swap_and_shift(
    pytester: pytest.Pytester, live_url: str
) -> None:
    pytester.makefile(".yaml", live=LIVE_GOLDEN)
    pytester.makepyfile(test_live=LIVE_TESTS)
    report = pytester.path / "out" / "report.json"
    result = pytester.runpytest(
        *plugin_args(), "--quotebot-url", live_url, "--quotebot-golden", "live.yaml", "--quotebot-report", str(report)
    )
    assert _outcomes(result) == {"passed": 3, "failed": 3, "skipped": 1}
    result.stdout.fnmatch_lines(
        [
            "*golden case 'who-called-it-ludicrous' (*live.yaml:13) failed:",
            "*speaker is 'Vladimir Putin', expected 'John Kirby'",
            "*misattributed: 'labelled as ludicrous' is cited as [[]1] by 'Vladimir Putin', expected 'John Kirby'",
            "*golden case 'verify-sentenced'*",
            "*the words are attributed to 'John Kirby', expected 'Volodymyr Zelensky'",
            "*golden case 'zelensky-shifted'*",
            "*offsets shifted by +1: the cited text is at*",
            "*quotebot golden metrics*",
            "speaker accuracy      0.750  3/4",
        ],
        consecutive=False,
    )
    data = json.loads(report.read_text())
    assert (data["cases"], data["passed"], data["failed"]) == (5, 2, 3)
    assert data["citation_recall"] == 1.0 and data["citation_precision"] == 1.0
    assert (data["speaker_accuracy"], data["verdict_accuracy"], data["verbatim_rate"]) == (0.75, 0.0, 0.8)
    assert [r["id"] for r in data["results"] if not r["passed"]] == [
        "who-called-it-ludicrous",
        "verify-sentenced",
        "zelensky-shifted",
    ]


KEYED_TESTS = """
from bot.testing import assert_citations_verbatim, assert_cites


def test_kirby_over_http_with_a_key(ask):
    answer = ask("what did Kirby say?")
    assert_citations_verbatim(answer)  # fetches GET /articles/<id>, which needs the key too
    assert_cites(answer, speaker="John Kirby", contains="labelled as ludicrous")
"""


@pytest.fixture
def keyed_url(seeded: Services, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The real app over the seed article on loopback, requiring QUOTEBOT_API_KEYS for every read."""
    monkeypatch.setenv("QUOTEBOT_API_KEYS", "plugin-key,other-key")
    monkeypatch.setattr(seeded.settings.server, "require_key_for_reads", True)
    server = make_server("127.0.0.1", 0, create_app(services=seeded), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(("key", "outcome", "status"), [("plugin-key", "passed", None), (None, "failed", 401)])
def test_live_url_mode_sends_the_client_key_as_a_bearer_token(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    keyed_url: str,
    key: str | None,
    outcome: str,
    status: int | None,
) -> None:
    if key:
        monkeypatch.setenv("QUOTEBOT_API_KEY", key)
    else:
        monkeypatch.delenv("QUOTEBOT_API_KEY", raising=False)
    pytester.makepyfile(test_keyed=KEYED_TESTS)
    result = pytester.runpytest(*plugin_args(), "--quotebot-url", keyed_url)
    assert _outcomes(result) == {outcome: 1}, result.stdout.str()
    if status:
        result.stdout.fnmatch_lines([f"*POST /ask -> HTTP {status}: send an API key as 'Authorization: Bearer <key>'*"])


def test_bad_golden_file_stops_the_run_naming_the_key(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", bad="- id: a\n  question: q\n  cite: typo\n")
    result = pytester.runpytest(*plugin_args(), "--quotebot-golden", "bad.yaml", "--quotebot-url", "http://127.0.0.1:9")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*bad.yaml:1: case 'a': unknown key cite (known: *cites*"])


def test_missing_corpus_and_broken_golden_file_say_what_to_do(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_nocorpus="def test_needs_a_corpus(ask):\n    ask('what did Kirby say?')\n")
    pytester.makefile(".quotebot.yaml", broken="cases:\n  - id: a\n    conversation: []\n")
    result = pytester.runpytest(*plugin_args(), "--continue-on-collection-errors")
    assert _outcomes(result) == {"errors": 2}
    result.stdout.fnmatch_lines(
        [
            "*broken.quotebot.yaml:2: case 'a': conversation must be a non-empty list of turns",
            "*quotebot needs a corpus: pass --quotebot-corpus PATH*",
        ],
        consecutive=False,
    )


def test_plugin_import_loads_nothing_heavy(tmp_path: Path) -> None:
    code = (
        "import sys, time; t = time.perf_counter(); import bot.testing.plugin; dt = time.perf_counter() - t; "
        "heavy = sorted(m for m in ('flask', 'yaml', 'torch', 'chromadb', 'sentence_transformers', 'numpy') "
        "if m in sys.modules); print(heavy, round(dt, 3))"
    )
    # Import pytest first, as pytest itself does before loading plugins; only the plugin's own cost is measured.
    out = subprocess.run(
        [sys.executable, "-c", "import pytest; " + code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    heavy, seconds = out.stdout.rsplit(" ", 1)
    assert heavy == "[]", f"importing the plugin loaded {heavy} (bot/__init__.py must import them lazily)"
    assert float(seconds) < 0.3


# --- the real app over seeds/ (each run loads the model and builds an index: keep these few) -------------------
# In a subprocess: an in-process run would import torch and chromadb inside pytester's sys.modules snapshot,
# and the next run would import their C extensions a second time into the same process (a segfault).

REAL_TESTS = """
import pytest

from bot.testing import assert_citations_verbatim, assert_cites, assert_no_uncited_quotes

pytestmark = pytest.mark.quotebot_corpus(SEEDS)


def test_kirby_is_cited_verbatim(ask):
    answer = ask("what did Kirby say?")
    assert_cites(answer, contains="labelled as ludicrous")
    assert_citations_verbatim(answer)
    assert_no_uncited_quotes(answer)


def test_app_and_client_share_one_index(quotebot_app, quotebot_client):
    assert quotebot_app.test_client().get("/health").get_json()["counts"]["articles"] == 1
    assert quotebot_client.ask("drone attack on the Kremlin")["citations"]
"""


def test_passing_golden_run_over_the_seed_corpus(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_real=f"SEEDS = {str(SEEDS)!r}\n" + REAL_TESTS)
    # Collected by its suffix; the corpus comes from the file.
    pytester.makefile(
        ".quotebot.yaml",
        kirby=f"corpus: {SEEDS}\ncases:\n  - id: kirby-cited\n    question: what did Kirby say?\n"
        "    cites: labelled as ludicrous\n",
    )
    # Given on the command line, a bare list of cases; the corpus comes from --quotebot-corpus.
    pytester.makefile(".yaml", extra="- id: drone\n  question: drone attack on the Kremlin\n  min_citations: 1\n")
    report = pytester.path / "report.json"
    result = pytester.runpytest_subprocess(
        *plugin_args(),
        "--strict-markers",
        "--quotebot-corpus",
        str(SEEDS),
        "--quotebot-golden",
        "extra.yaml",
        "--quotebot-report",
        str(report),
        "-v",
    )
    assert _outcomes(result) == {"passed": 4}, result.stdout.str()
    result.stdout.fnmatch_lines(["*kirby.quotebot.yaml::kirby-cited PASSED*", "*extra.yaml::drone PASSED*"])
    result.stdout.fnmatch_lines(["*quotebot golden metrics*", "citation recall       1.000  1/1", "verbatim rate*"])
    data = json.loads(report.read_text())
    assert (data["cases"], data["passed"], data["citation_recall"], data["verbatim_rate"]) == (2, 2, 1.0, 1.0)


def test_seed_golden_passes_with_perfect_scores(pytester: pytest.Pytester) -> None:
    report = pytester.path / "seed-report.json"
    result = pytester.runpytest_subprocess(
        *plugin_args(), "--quotebot-golden", str(SEED_GOLDEN), "--quotebot-report", str(report)
    )
    data = json.loads(report.read_text())
    failures = textwrap.indent(result.stdout.str()[-4000:], "  ")
    scores = {k: data[k] for k in ("citation_recall", "citation_precision", "speaker_accuracy", "verdict_accuracy")}
    assert scores == dict.fromkeys(scores, 1.0), f"{scores}\n{failures}"
    assert data["failed"] == 0 and data["verbatim_rate"] == 1.0, failures
