"""Served quotebot apps for the integration tests: one in a thread (werkzeug) and one `quotebot serve` process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from flask import Flask

from bot import create_app
from bot.services import Services, build_services
from bot.settings import load_settings
from retrieval.embedding import Embedder
from tests.browser.conftest import serve
from tests.conftest import ROOT, SEEDS

KEY = "integration-test-key"


@dataclass(frozen=True)
class Served:
    """A live quotebot on loopback: its base URL, the key it accepts and (in-thread only) its services."""

    url: str
    key: str
    services: Services | None = None


def seeded_services(index: Path, embedder: Embedder) -> Services:
    """Return services over a fresh index at `index` holding the seed article."""
    services = build_services(load_settings({"store": {"path": str(index)}}, environ={}), embedder=embedder)
    report = services.ingestor.ingest_paths([SEEDS])
    assert report.articles == 1 and not report.failed
    return services


@pytest.fixture(scope="package")
def seeded_pkg(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Services:
    """Services over one seeded index shared by the read-only integration tests."""
    return seeded_services(tmp_path_factory.mktemp("integrations") / "index", embedder)


@pytest.fixture(scope="package")
def served_app(seeded_pkg: Services) -> Flask:
    """The app over the shared seeded index, accepting KEY."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QUOTEBOT_API_KEYS", KEY)
        return create_app(services=seeded_pkg)


@pytest.fixture(scope="package")
def live(served_app: Flask) -> Iterator[Served]:
    """The shared app served by werkzeug in a thread on a free loopback port."""
    server, url = serve(served_app)
    yield Served(url, KEY, served_app.extensions["quotebot"])
    server.shutdown()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="package")
def quotebot_serve(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[Served]:
    """`quotebot serve` in a subprocess over its own seeded index (ingested here, then left to the server)."""
    index = tmp_path_factory.mktemp("serve") / "index"
    seeded_services(index, embedder)
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "QUOTEBOT_STORE__PATH": str(index),
        "QUOTEBOT_API_KEYS": KEY,
        "QUOTEBOT_SERVER__RATE_LIMIT": "",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
    }
    log = (index.parent / "serve.log").open("w")
    cmd = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"quotebot serve exited {proc.returncode}: {(index.parent / 'serve.log').read_text()}")
            try:
                if httpx.get(url + "/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        else:
            pytest.fail("quotebot serve did not become ready in 120 s")
        yield Served(url, KEY)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
