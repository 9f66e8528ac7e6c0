"""/ask, /articles and /health over a real index holding the seed article."""

from __future__ import annotations

from flask.testing import FlaskClient


def _ask(client: FlaskClient, **body: object) -> dict:
    resp = client.post("/ask", json=body)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    data: dict = resp.get_json()
    return data


def test_ask_kirby_cites_labelled_as_ludicrous_verbatim(client: FlaskClient) -> None:
    data = _ask(client, question="what did Kirby say?")
    assert set(data) == {"answer", "intent", "citations", "verdicts", "speaker", "context"}
    texts = [c["text"] for c in data["citations"]]
    assert any("labelled as ludicrous" in t for t in texts)
    for c in data["citations"]:
        article = client.get(f"/articles/{c['article_id']}").get_json()
        assert article["text"][c["start"] : c["end"]] == c["text"]
        assert f"[{c['n']}]" in data["answer"]


def test_ask_respects_top_k_and_article_filter(client: FlaskClient) -> None:
    one = _ask(client, question="drone attack on the Kremlin", top_k=1)
    assert len(one["citations"]) == 1
    none = _ask(client, question="drone attack", filters={"article_id": "does-not-exist"})
    assert none["citations"] == []
    assert "nothing" in none["answer"].lower()


def test_ask_date_filters_exclude_articles_outside_range(client: FlaskClient) -> None:
    inside = _ask(client, question="drone attack", filters={"since": "2023-05-01", "until": "2023-05-31"})
    outside = _ask(client, question="drone attack", filters={"since": "2024-01-01"})
    assert inside["citations"] and not outside["citations"]


def test_article_returns_stored_text_and_metadata(client: FlaskClient) -> None:
    cid = _ask(client, question="Kirby")["citations"][0]["article_id"]
    art = client.get(f"/articles/{cid}").get_json()
    assert {"id", "title", "url", "source", "published", "byline", "text"} <= set(art)
    assert art["published"] == "2023-05-06" and art["byline"] == "David Laycork"
    assert "Credit:" not in art["text"]


def test_health_reports_counts(client: FlaskClient) -> None:
    data = client.get("/health").get_json()
    assert data["status"] == "ok"
    assert data["counts"]["articles"] == 1 and data["counts"]["chunks"] >= 2
