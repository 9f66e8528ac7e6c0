"""The pytest plugin (entry point `pytest11: quotebot`): options, fixtures, golden-file items, metrics summary.

Inert unless used: importing it loads nothing heavy; the model, Chroma, Flask and YAML load only when a
fixture, a golden file or a --quotebot-* option asks for them.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from flask import Flask

    from bot.golden.client import AnswerDict, QuotebotClient
    from bot.golden.loading import GoldenCase, GoldenFile
    from bot.golden.results import CaseResult
    from retrieval.embedding import Embedder

GOLDEN_SUFFIXES = (".quotebot.yaml", ".quotebot.yml")
MARKER = "quotebot_corpus"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the --quotebot-* options and their ini equivalents."""
    group = parser.getgroup("quotebot", "quotebot citation evaluation")
    group.addoption(
        "--quotebot-corpus",
        action="append",
        default=[],
        metavar="PATH",
        help="article file or folder indexed for quotebot fixtures and golden cases (repeatable)",
    )
    group.addoption(
        "--quotebot-golden",
        action="append",
        default=[],
        metavar="FILE",
        help="golden YAML file whose cases run as tests, one per case id (repeatable)",
    )
    group.addoption("--quotebot-report", metavar="PATH", help="write the golden-run metrics as JSON to PATH")
    group.addoption(
        "--quotebot-url",
        metavar="URL",
        help="test a live quotebot-shaped service at URL instead of an in-process index (key: $QUOTEBOT_API_KEY)",
    )
    parser.addini("quotebot_corpus", "default for --quotebot-corpus (paths, relative to the ini file)", "paths", [])
    parser.addini("quotebot_golden", "default for --quotebot-golden (paths, relative to the ini file)", "paths", [])
    parser.addini("quotebot_report", "default for --quotebot-report", "string", "")
    parser.addini("quotebot_url", "default for --quotebot-url", "string", "")


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker and a lazy per-session state (nothing is built here)."""
    config.addinivalue_line(
        "markers",
        f"{MARKER}(*paths): index these article files/folders (relative to the rootdir) for the quotebot fixtures",
    )
    config.stash[STATE] = QuotebotState(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the temporary indexes."""
    state = config.stash.get(STATE, None)
    if state is not None:
        state.close()


# --- state shared by fixtures and golden items --------------------------------------------------------------


class QuotebotState:
    """Options of this session and its apps, one per corpus, built on first use and kept for the session."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        invocation = config.invocation_params.dir
        self.url: str = config.getoption("quotebot_url") or config.getini("quotebot_url") or ""
        self.corpus_option = tuple((invocation / p).resolve() for p in config.getoption("quotebot_corpus"))
        self.corpus_ini = tuple(Path(p).resolve() for p in config.getini("quotebot_corpus"))
        self.golden: tuple[Path, ...] = tuple(
            (invocation / p).resolve() for p in config.getoption("quotebot_golden")
        ) or tuple(Path(p) for p in config.getini("quotebot_golden"))
        report = config.getoption("quotebot_report") or config.getini("quotebot_report")
        self.report: Path | None = (invocation / report).resolve() if report else None
        self.results: list[CaseResult] = []
        self._apps: dict[tuple[Path, ...], Flask] = {}
        self._clients: dict[tuple[Path, ...], QuotebotClient] = {}
        self._broken: dict[tuple[Path, ...], str] = {}  # a corpus that failed to load fails fast after
        self._embedder: Embedder | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def app(self, corpus: tuple[Path, ...]) -> Flask:
        """Return the app over a temporary index of `corpus`, built once per session."""
        if not corpus:
            pytest.fail(
                "quotebot needs a corpus: pass --quotebot-corpus PATH, set quotebot_corpus in the ini file, "
                f"mark the test with @pytest.mark.{MARKER}(...), or test a live service with --quotebot-url URL",
                pytrace=False,
            )
        if corpus in self._broken:
            pytest.fail(self._broken[corpus], pytrace=False)
        if corpus not in self._apps:
            from bot.golden.runner import build_app
            from retrieval.errors import QuotebotError

            if self._tmp is None:
                self._tmp = tempfile.TemporaryDirectory(prefix="quotebot-pytest-", ignore_cleanup_errors=True)
            folder = Path(self._tmp.name) / f"corpus{len(self._apps) + len(self._broken)}"
            try:
                self._apps[corpus] = build_app(corpus, folder, embedder=self._shared_embedder())
            except QuotebotError as exc:
                self._broken[corpus] = f"quotebot could not index {', '.join(map(str, corpus))}: {exc}"
                pytest.fail(self._broken[corpus], pytrace=False)
        return self._apps[corpus]

    def client(self, corpus: tuple[Path, ...]) -> QuotebotClient:
        """Return the client of the live service (--quotebot-url), else of the app over `corpus`."""
        from bot.golden.client import flask_client, http_client

        key = () if self.url else corpus
        if key not in self._clients:
            if self.url:
                self._clients[key] = http_client(self.url, api_key=os.environ.get("QUOTEBOT_API_KEY") or None)
            else:
                self._clients[key] = flask_client(self.app(corpus))
        return self._clients[key]

    def _shared_embedder(self) -> Embedder:
        # One model per session, whatever the number of corpora: loading it is the slow part.
        if self._embedder is None:
            from bot.services import build_embedder
            from bot.settings import load_settings

            self._embedder = build_embedder(load_settings(environ={}))
        return self._embedder

    def close(self) -> None:
        """Drop the apps and delete their indexes."""
        self._clients.clear()
        self._apps.clear()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


STATE = pytest.StashKey[QuotebotState]()


def _corpus_for(node: pytest.Item | pytest.Collector, state: QuotebotState) -> tuple[Path, ...]:
    """Return the test's corpus: its marker, else the command line, else the ini file."""
    marker = node.get_closest_marker(MARKER)
    if marker is not None:
        if not marker.args:
            pytest.fail(f"@pytest.mark.{MARKER} needs at least one path", pytrace=False)
        return tuple((node.config.rootpath / str(p)).resolve() for p in marker.args)
    return state.corpus_option or state.corpus_ini


# --- fixtures -------------------------------------------------------------------------------------------------


@pytest.fixture
def quotebot_app(request: pytest.FixtureRequest) -> Flask:
    """The app over a temporary index of the test's corpus (built once per corpus per session)."""
    state = request.config.stash[STATE]
    if state.url:
        pytest.skip("quotebot_app needs an in-process index; this run tests the live service at --quotebot-url")
    return state.app(_corpus_for(request.node, state))


@pytest.fixture
def quotebot_client(request: pytest.FixtureRequest) -> QuotebotClient:
    """A client with ask/verify/article: the live service at --quotebot-url, else the in-process app."""
    state = request.config.stash[STATE]
    return state.client(_corpus_for(request.node, state))


@pytest.fixture
def ask(quotebot_client: QuotebotClient) -> Callable[..., AnswerDict]:
    """Ask a question (with the previous answer's context, if any); return the parsed /ask answer."""

    def _ask(question: str, context: Mapping[str, Any] | None = None, **extra: Any) -> AnswerDict:
        return quotebot_client.ask(question, context, **extra)

    return _ask


# --- golden files as test items -------------------------------------------------------------------------------


class GoldenCaseFailed(Exception):
    """A golden case missed expectations; carries the result for the report."""

    def __init__(self, result: CaseResult) -> None:
        super().__init__(result.case_id)
        self.result = result


class GoldenYamlFile(pytest.File):
    """A golden YAML file; each case becomes a GoldenItem named after its id."""

    def collect(self) -> Iterator[GoldenItem]:
        """Yield one item per case."""
        from bot.golden.loading import GoldenError, load_golden

        try:
            golden = load_golden(self.path)
        except GoldenError as exc:
            raise self.CollectError(str(exc)) from exc
        yield from self.items(golden)

    def items(self, golden: GoldenFile) -> Iterator[GoldenItem]:
        """Yield one item per case of a loaded golden file."""
        for case in golden.cases:
            yield GoldenItem.from_parent(self, name=case.id, case=case, golden=golden)


class GoldenItem(pytest.Item):
    """One golden case: asks its question(s) and checks every expectation."""

    def __init__(self, *, case: GoldenCase, golden: GoldenFile, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.golden = golden

    def runtest(self) -> None:
        """Run the case against the session's client and record its result for the metrics."""
        from bot.golden.checking import run_case

        state = self.config.stash[STATE]
        # The command line overrides the file's `corpus:`, which overrides the ini; --quotebot-url needs none.
        corpus = state.corpus_option or self.golden.corpus or state.corpus_ini
        result = run_case(self.case, state.client(corpus), file=str(self.golden.path))
        state.results.append(result)
        if not result.passed:
            raise GoldenCaseFailed(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        """Show the failed expectations, not a traceback into the plugin."""
        if isinstance(excinfo.value, GoldenCaseFailed):
            r = excinfo.value.result
            return "\n".join([f"golden case {r.case_id!r} ({r.file}:{r.line}) failed:", *r.failure_lines()])
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, int, str]:
        """Point at the case's line in the golden file."""
        return self.path, max(self.case.line - 1, 0), f"golden case {self.case.id}"


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> GoldenYamlFile | None:
    """Collect golden files named *.quotebot.yaml wherever pytest looks for tests."""
    if file_path.name.endswith(GOLDEN_SUFFIXES):
        return GoldenYamlFile.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(tryfirst=True)  # before -k/-m deselection, so those filter golden cases too
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Add the cases of --quotebot-golden files, which lie outside pytest's own collection."""
    state = config.stash[STATE]
    if not state.golden:
        return
    from bot.golden.loading import GoldenError, load_golden

    collected = {item.path for item in items if isinstance(item, GoldenItem)}
    for path in state.golden:
        if path in collected:
            continue
        try:
            golden = load_golden(path)
        except GoldenError as exc:
            raise pytest.UsageError(str(exc)) from exc
        items.extend(GoldenYamlFile.from_parent(session, path=path).items(golden))


# --- metrics at the end ---------------------------------------------------------------------------------------


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write the JSON report of the golden cases that ran, if --quotebot-report asks for it."""
    state = session.config.stash.get(STATE, None)
    if state is None or state.report is None:
        return
    from bot.golden.metrics import summarize

    state.report.parent.mkdir(parents=True, exist_ok=True)
    state.report.write_text(json.dumps(summarize(state.results), indent=2, ensure_ascii=False) + "\n", "utf-8")


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Print the metrics table after a run that included golden cases."""
    state = config.stash.get(STATE, None)
    if state is None or not state.results:
        return
    from bot.golden.metrics import format_table, summarize

    terminalreporter.write_sep("=", "quotebot golden metrics")
    terminalreporter.write_line(format_table(summarize(state.results)))
    if state.report is not None:
        terminalreporter.write_line(f"report written to {state.report}")
