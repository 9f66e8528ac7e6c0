"""Editorial corrections of speaker identity: visible at once in /ask, /verify and /speakers, kept across a re-ingest
and a restart, on the embedded store and on a `chroma run` server."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from bot import create_app
from bot.cli import main
from bot.services import Services, build_services
from bot.settings import Settings
from retrieval.embedding import Embedder
from retrieval.identity.corrections import Correction
from retrieval.identity.keys import current_id
from retrieval.models import Article
from retrieval.store import Store

KEY = "corrections-test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
# Invented copy: the desk wrote "Obama" where it meant the first lady, and one article names the press secretary
# only by surname.
FIRST = Article(
    id="c-first",
    text=(
        "Barack Obama said the deal was “a historic step”. Michelle Obama spoke at the rally. “We go high,” Obama said."
    ),
)
SECOND = Article(id="c-second", text="Josh Earnest said the veto was “certain”.")
THIRD = Article(id="c-third", text="Earnest said the talks were “productive”.")
ARTICLES = [FIRST, SECOND, THIRD]


def _client(services: Services, monkeypatch: pytest.MonkeyPatch) -> FlaskClient:
    monkeypatch.setenv("QUOTEBOT_API_KEYS", KEY)
    return create_app(services=services).test_client()


def _said(client: FlaskClient, who: str) -> list[str]:
    body: dict[str, Any] = client.post("/ask", json={"question": f"what did {who} say?", "top_k": 20}).get_json()
    return [c["text"] for c in body["citations"]]


def _verify(client: FlaskClient, quote: str, speaker: str) -> str:
    label: str = client.post("/verify", json={"quote": quote, "speaker": speaker}).get_json()["label"]
    return label


@pytest.fixture(params=["embedded", pytest.param("server", marks=pytest.mark.server)])
def store_kind(request: pytest.FixtureRequest) -> str:
    """Run every test here on the embedded store and on the Chroma server."""
    kind: str = request.param
    return kind


def test_merge_is_visible_at_once_and_survives_reingest_and_restart(
    services: Services, settings: Settings, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.ingestor.ingest_articles(ARTICLES)
    client = _client(services, monkeypatch)
    assert client.get("/speakers/earnest").status_code == 200  # the bare surname is its own entity when stored
    # ... and read as the one Earnest the index knows by a full name; a merge stores that decision
    assert any("productive" in t for t in _said(client, "Josh Earnest"))

    # the id keys the formal given name (data/nicknames.txt), so "Joshua Earnest" elsewhere is this entity too
    resp = client.post("/speakers/joshua-earnest/merge", json={"source": "earnest"}, headers=AUTH)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.get_json()["correction"]["op"] == "merge"
    assert any("productive" in t for t in _said(client, "Josh Earnest"))
    assert _verify(client, "the talks were productive", "Josh Earnest") in {"verified", "reported"}
    assert client.get("/speakers/earnest").status_code == 404
    detail = client.get("/speakers/joshua-earnest").get_json()
    assert detail["statement_count"] == 2 and "Earnest" in detail["aliases"]

    # a changed copy of the article is ingested again: the merge still holds
    services.ingestor.ingest_articles([Article(id="c-third", text=THIRD.text + " He left at noon.")])
    assert any("productive" in t for t in _said(client, "Josh Earnest"))

    # a new process over the same index (a restart) reads the stored correction
    st = settings.store
    again = build_services(settings, embedder=embedder, store=Store.open(path=st.path, url=st.url, prefix=st.prefix))
    again.ingestor.ingest_articles([Article(id="c-fourth", text="Earnest said the vote was “close”.")])
    fresh = _client(again, monkeypatch)
    said = _said(fresh, "Josh Earnest")
    assert any("productive" in t for t in said) and any("close" in t for t in said)


def test_split_and_rename_are_visible_at_once_and_survive_reingest(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.ingestor.ingest_articles(ARTICLES)
    client = _client(services, monkeypatch)
    assert any("We go high" in t for t in _said(client, "Barack Obama"))  # the extractor's mistake

    resp = client.post("/speakers/barack-obama/split", json={"alias": "Obama", "name": "Michelle Obama"}, headers=AUTH)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert not any("We go high" in t for t in _said(client, "Barack Obama"))
    assert any("We go high" in t for t in _said(client, "Michelle Obama"))
    assert _verify(client, "We go high", "Michelle Obama") == "verified"

    resp = client.patch("/speakers/barack-obama", json={"name": "President Barack Obama", "add_role": "President"},
                        headers=AUTH)  # fmt: skip
    assert resp.status_code == 200, resp.get_data(as_text=True)
    detail = client.get("/speakers/barack-obama").get_json()
    assert detail["name"] == "President Barack Obama" and "President" in detail["roles"]

    services.ingestor.ingest_articles([Article(id="c-first", text=FIRST.text + " The crowd cheered.")])
    assert not any("We go high" in t for t in _said(client, "Barack Obama"))
    assert client.get("/speakers/barack-obama").get_json()["name"] == "President Barack Obama"


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("post", "/speakers/earnest/merge", {"source": "earnest"}, 409),
        ("post", "/speakers/joshua-earnest/merge", {"source": "nobody"}, 404),
        ("post", "/speakers/joshua-earnest/merge", {"source": "Not An Id"}, 422),
        ("patch", "/speakers/joshua-earnest", {"name": None}, 422),
        ("post", "/speakers/nobody/split", {"alias": "X"}, 404),
        ("patch", "/speakers/joshua-earnest", {}, 422),
    ],
)
def test_bad_corrections_say_what_to_fix_and_change_nothing(
    services: Services, monkeypatch: pytest.MonkeyPatch, method: str, path: str, body: dict[str, Any], status: int
) -> None:
    services.ingestor.ingest_articles(ARTICLES)
    client = _client(services, monkeypatch)
    resp = client.open(path, method=method.upper(), json=body, headers=AUTH)
    assert resp.status_code == status and resp.mimetype == "application/problem+json"
    assert services.store.list_corrections() == []
    assert client.post("/speakers/joshua-earnest/merge", json={"source": "earnest"}).status_code == 401


def test_cli_merge_is_stored_and_applied(settings: Settings, services: Services, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    services.ingestor.ingest_articles(ARTICLES)
    st = settings.store
    monkeypatch.setenv("QUOTEBOT_STORE__PATH", st.path)
    if st.url:
        monkeypatch.setenv("QUOTEBOT_STORE__URL", st.url)
        monkeypatch.setenv("QUOTEBOT_STORE__PREFIX", st.prefix)
    assert main(["speakers", "merge", "earnest", "joshua-earnest"]) == 0
    assert '"joshua-earnest"' in capsys.readouterr().out
    services.speakers.invalidate()
    assert services.store.get_speaker("joshua-earnest").statement_count == 2  # type: ignore[union-attr]
    assert main(["speakers", "merge", "nobody", "joshua-earnest"]) == 2
    # a split that would keep the entity's id changes nothing and says to give a name
    capsys.readouterr()
    assert main(["speakers", "split", "joshua-earnest", "Joshua Earnest"]) == 2
    assert "--name" in capsys.readouterr().err


def test_a_correction_stored_before_short_names_were_rekeyed_still_applies(services: Services) -> None:
    """Ids once kept short given names ("josh-earnest"); a stored correction naming one must follow the new id."""
    services.ingestor.ingest_articles([SECOND])
    services.store.correct(Correction.new("merge", "earnest", target="josh-earnest"))  # as an older version stored it
    assert [(c.speaker_id, c.target) for c in services.store.list_corrections()] == [("earnest", "joshua-earnest")]
    assert not services.ingestor.ingest_articles([THIRD]).failed
    press = services.store.get_speaker("joshua-earnest")
    assert press is not None and press.statement_count == 2
    assert services.store.get_speaker("earnest") is None
    # an organisation's id that only looks like a person's keeps its correction
    school = Article(id="bju", text="Bob Jones University said the policy was “under review”.")
    assert not services.ingestor.ingest_articles([school]).failed
    services.store.correct(Correction.new("role", "bob-jones-university", role="university"))
    assert "bob-jones-university" in {c.speaker_id for c in services.store.list_corrections()}
    assert current_id("bill-de-blasio") == "william-de-blasio" and current_id("new-york-times") == "new-york-times"
    assert current_id("officials--3f2a9c0d1e7b") == "officials--3f2a9c0d1e7b"


def test_a_nickname_merge_is_undone_by_a_split(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """ "Ben Calder" and "Benjamin Calder" key to one entity; when they are two people a split must part them."""
    formal = Article(id="cal-a", text="Benjamin Calder, a retired judge, said the ruling was “sound”.")
    short = Article(id="cal-b", text="Ben Calder, a high-school coach, said the season was “long”.")
    assert not services.ingestor.ingest_articles([formal, short]).failed
    client = _client(services, monkeypatch)
    resp = client.post("/speakers/benjamin-calder/split", json={"alias": "Ben Calder"}, headers=AUTH)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    coach = client.get("/speakers/ben-calder").get_json()
    assert [s["article_id"] for s in coach["statements"]] == ["cal-b"]
    assert client.get("/speakers/benjamin-calder").get_json()["statement_count"] == 1
    # a split that would keep the id changes nothing and says what to send instead
    again = client.post("/speakers/benjamin-calder/split", json={"alias": "Benjamin Calder"}, headers=AUTH)
    assert again.status_code == 409 and again.mimetype == "application/problem+json"
    assert "name" in again.get_json()["detail"]
