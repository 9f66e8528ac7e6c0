"""Schemathesis over every operation of /openapi.json, in process against the WSGI app over a seeded index.

Run alone with `pytest tests/test_schemathesis.py`; the summary prints how many requests reached the app, per
route. QUOTEBOT_FUZZ_EXAMPLES=400 runs a deeper search than the default.
"""

from __future__ import annotations

import contextlib
import copy
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.core.failures import Failure, FailureGroup

from bot.openapi import build_spec
from bot.settings import load_settings
from retrieval.embedding import Embedder
from tests.test_openapi import seeded_app

KEY = "schemathesis-key-7d1e"
NO_LIMIT = {"server": {"rate_limit": ""}}  # the fuzzer is one client sending thousands of requests
# Examples per operation in the fuzzing phase; the examples and coverage phases add their cases on top.
MAX_EXAMPLES = int(os.environ.get("QUOTEBOT_FUZZ_EXAMPLES", "25"))
CONFIG = schemathesis.Config.from_dict(
    {
        "auth": {"openapi": {"bearer": {"bearer": KEY}}},
        "generation": {"max-examples": MAX_EXAMPLES},
        "operations": [
            {
                # filters.speaker must name a known speaker, which no schema can say: a well-formed request
                # naming nobody is refused with 422 on purpose.
                "include-path": "/ask",
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]
                    }
                },
            },
            {
                # Nor can a schema say that `published` must be a real date (retrieval/fields.py parses several
                # formats), that no field may hold a NUL character, or that two different records in one batch
                # may not share an id: each is a 422 naming the field, on purpose.
                "include-path": "/articles",
                "include-method": "POST",
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]
                    }
                },
            },
            {
                # The last message must be a non-empty user message (the question), which the schema cannot say.
                "include-path": "/v1/chat/completions",
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]
                    }
                },
            },
            {
                "include-path": "/search",  # the same filters as /ask
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]
                    }
                },
            },
        ],
    }
)
# Known divergences between the API and its spec, each to be removed when the API is fixed: (operation, failure
# type, pattern in its message). AskFilters parses since/until in pydantic's lax mode, so a number (a Unix time)
# is accepted as a date where the spec says an ISO date string.
KNOWN: tuple[tuple[str, type[Failure], str], ...] = ()
FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
    derandomize=True,  # the same cases every run, so CI is repeatable; raise QUOTEBOT_FUZZ_EXAMPLES to dig deeper
)
# Built from the same settings as the apps below, at import (cheap: no model, no index), because schemathesis'
# fixture-backed loader (schemathesis.pytest.from_fixture) fails under pytest 9. The first test checks that the
# apps serve exactly this document.
SPEC = build_spec(load_settings(NO_LIMIT, environ={}))
SCHEMA = schemathesis.openapi.from_dict(copy.deepcopy(SPEC), config=CONFIG)


class CountingApp:
    """WSGI middleware that counts the requests reaching the app, by method and matched route."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.wsgi = app.wsgi_app
        self.counts: Counter[str] = Counter()
        app.wsgi_app = self  # type: ignore[method-assign]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Count the request, then pass it on."""
        try:
            rule = self.app.url_map.bind_to_environ(environ).match(return_rule=True)[0].rule
        except Exception:  # no route, or a method it lacks: schemathesis probes both on purpose
            rule = "(no route or method)"
        self.counts[f"{environ['REQUEST_METHOD']} {rule}"] += 1
        return self.wsgi(environ, start_response)

    def report(self, request: pytest.FixtureRequest, name: str) -> None:
        """Print the requests received, per route, past pytest's output capture."""
        lines = [f"schemathesis, {name}: {sum(self.counts.values())} requests"]
        lines += [f"  {n:6d}  {route}" for route, n in sorted(self.counts.items())]
        capture = request.config.pluginmanager.get_plugin("capturemanager")
        with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
            print("\n" + "\n".join(lines))


def _counted(request: pytest.FixtureRequest, tmp: Path, embedder: Embedder, name: str) -> Iterator[CountingApp]:
    counter = CountingApp(seeded_app(tmp, embedder, KEY, NO_LIMIT))
    yield counter
    counter.report(request, name)


@pytest.fixture(scope="module")
def counted(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, embedder: Embedder
) -> Iterator[CountingApp]:
    """A seeded app for every operation but DELETE."""
    yield from _counted(request, tmp_path_factory.mktemp("fuzz"), embedder, "every operation but DELETE")


@pytest.fixture(scope="module")
def counted_deletes(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, embedder: Embedder
) -> Iterator[CountingApp]:
    """A seeded app of its own for DELETE, so no removal can empty the index the other operations run against."""
    yield from _counted(request, tmp_path_factory.mktemp("fuzz-delete"), embedder, "DELETE")


def _known(failure: Failure) -> bool:
    return any(
        failure.operation == op and isinstance(failure, kind) and re.search(pattern, failure.message)
        for op, kind, pattern in KNOWN
    )


def _send(case: schemathesis.Case, app: Flask) -> None:
    """Send `case` to `app` in process and run every check schemathesis has on the response."""
    # The schema was loaded before the app existed; the checks that send probes of their own (auth, other
    # methods) look the app up on the operation and its schema, so point both at it.
    case.operation.app = case.operation.schema.app = app
    try:
        case.call_and_validate()
    except FailureGroup as group:
        if not all(_known(f) for f in group.exceptions):
            raise


def test_apps_serve_the_spec_being_fuzzed(counted: CountingApp, counted_deletes: CountingApp) -> None:
    for counter in (counted, counted_deletes):
        assert counter.app.test_client().get("/openapi.json").get_json() == SPEC


@SCHEMA.exclude(method="DELETE").parametrize()
@FUZZ
def test_api_conforms_to_its_spec(case: schemathesis.Case, counted: CountingApp) -> None:
    _send(case, counted.app)


# exclude, not include(method="DELETE"): with per-operation entries in the config, schemathesis 4.32 ignores include().
@SCHEMA.exclude(method=["GET", "POST"]).parametrize()
@FUZZ
def test_delete_conforms_to_its_spec(case: schemathesis.Case, counted_deletes: CountingApp) -> None:
    _send(case, counted_deletes.app)


def test_every_operation_was_exercised(counted: CountingApp, counted_deletes: CountingApp) -> None:
    counts = counted.counts + counted_deletes.counts
    if counts.total() < len(SPEC["paths"]):
        pytest.skip("the fuzz tests were not selected")
    for path, ops in SPEC["paths"].items():
        rule = re.sub(r"\{([^}]+)\}", r"<\1>", path)
        for verb in ops:
            assert counts[f"{verb.upper()} {rule}"] >= min(MAX_EXAMPLES, 10), f"{verb.upper()} {path} was hardly sent"
