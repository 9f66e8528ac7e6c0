"""The widget in a real Chromium against a real quotebot: answers, citation cards, verdicts, safety, CORS, keyboard."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS, Site

pytestmark = pytest.mark.browser

INPUT_LABEL = "Ask about quotes in the news"
ZELENSKY = 'did Zelensky say "deserves to be sentenced for criminal actions in the capital of international law"?'
# Walk into the shadow roots to the element that really has focus.
DEEP_FOCUS = """() => {
  let el = document.activeElement;
  while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
  return el ? {tag: el.tagName.toLowerCase(), id: el.id, cls: el.className, text: el.textContent} : null;
}"""


def ask(page: Page, question: str) -> dict[str, Any]:
    """Type a question, press Enter, wait for the rendered answer; return the /ask JSON the widget received."""
    answers = page.locator("quotebot-chat .log .bot")
    before = answers.count()
    box = page.get_by_label(INPUT_LABEL)
    box.fill(question)
    with page.expect_response(lambda r: r.url.endswith("/ask") and r.request.method == "POST") as info:
        box.press("Enter")
    expect(answers).to_have_count(before + 1)
    return answer_of(info.value.text(), info.value.headers.get("content-type", ""))


def answer_of(body: str, content_type: str) -> dict[str, Any]:
    """Return the answer JSON of an /ask response, plain or streamed (the `done` event)."""
    if "text/event-stream" not in content_type:
        return dict(json.loads(body))
    for block in body.split("\n\n"):
        lines = block.splitlines()
        if "event: done" in lines:
            data = "\n".join(line[len("data: ") :] for line in lines if line.startswith("data: "))
            return dict(json.loads(data))
    raise AssertionError(f"the stream has no done event: {body[:200]!r}")


def citation_with(answer: dict[str, Any], words: str) -> int:
    """Return the marker number of the first citation whose text contains `words`."""
    for c in answer["citations"]:
        if words in c["text"]:
            return int(c["n"])
    raise AssertionError(f"no citation contains {words!r}: {[c['text'][:60] for c in answer['citations']]}")


def open_citation(page: Page, n: int) -> Any:
    """Click citation marker `n` of the latest answer; return the card locator."""
    page.locator("quotebot-chat .log .bot").last.get_by_role("button", name=f"Citation {n}", exact=True).first.click()
    card = page.locator("quotebot-chat .card")
    expect(card).to_be_visible()
    return card


def test_demo_answer_opens_card_with_quote_marked_in_paragraph(page: Page, site: Site, page_errors: list[str]) -> None:
    page.goto(site.quotebot + "/")
    expect(page.get_by_role("heading", name="quotebot", exact=True).first).to_be_visible()
    answer = ask(page, "what did Kirby say?")
    card = open_citation(page, citation_with(answer, "ludicrous"))
    expect(card.locator(".card-title")).to_contain_text("Quote by John Kirby, spokesman")  # the speaker's role
    mark = card.locator(".para mark")
    expect(mark).to_contain_text("ludicrous")
    expect(card.locator(".para")).to_contain_text("Having previously blamed Ukraine")  # the paragraph around it
    expect(card.locator("time")).to_have_attribute("datetime", "2023-05-06")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "demo.png"))
    assert page_errors == []


def test_verification_question_shows_verified_badge(page: Page, site: Site) -> None:
    page.goto(site.quotebot + "/")
    answer = ask(page, ZELENSKY)
    assert answer["verdicts"], "the server returned no verdicts"
    badge = page.locator("quotebot-chat .log .bot").last.locator(".badge").first
    expect(badge).to_have_text("verified")
    expect(badge).to_have_attribute("data-label", "verified")
    page.screenshot(path=str(SCREENSHOTS / "verify.png"))


CANNED_EVIDENCE = {
    "n": 1,
    "article_id": "a1",
    "title": "Canned article",
    "url": "https://news.example/a1",
    "source": "Example News",
    "published": "2024-03-02",
    "start": 0,
    "end": 24,
    "text": "We will not raise taxes.",
    "speaker": "Jane Doe",
    "statement_id": "s1",
    "score": 1.0,
}
CANNED_LABELS = {
    "verified": "verified",
    "altered": "altered",
    "misattributed": "misattributed",
    "reported": "reported",
    "not_found": "not found",
}


def canned_verdict(label: str) -> dict[str, Any]:
    """Return a verdict of `label`; the altered one carries a word diff and a note."""
    altered = label == "altered"
    return {
        "label": label,
        "claim": "We will raise taxes." if altered else "We will not raise taxes.",
        "claimed_speaker": "John Roe" if label == "misattributed" else "Jane Doe",
        "evidence": [] if label == "not_found" else [CANNED_EVIDENCE],
        "actual_speaker": "Jane Doe",
        "diff": [
            {"op": "equal", "source": "We will", "claim": "We will"},
            {"op": "delete", "source": "not", "claim": ""},
            {"op": "equal", "source": "raise", "claim": "raise"},
            {"op": "replace", "source": "taxes.", "claim": "levies."},
        ]
        if altered
        else [],
        "notes": ["negation removed"] if altered else [],
        "similarity": 0.8,
    }


def test_canned_verdicts_render_every_badge_and_the_altered_diff(
    page: Page, site: Site, page_errors: list[str]
) -> None:
    canned = {
        "answer": "Checked the claims [1].",
        "intent": "verify",
        "citations": [CANNED_EVIDENCE],
        "verdicts": [canned_verdict(label) for label in CANNED_LABELS],
        "speaker": "Jane Doe",
        "context": {"speaker": "jane-doe"},
    }
    # A fake only at the HTTP edge: the widget, its rendering and the page are real.
    page.route("**/ask", lambda route: route.fulfill(status=200, json=canned))
    page.goto(site.quotebot + "/")
    ask(page, "did Jane Doe say we will raise taxes?")
    verdicts = page.locator("quotebot-chat .log .bot").last.locator(".verdict")
    expect(verdicts).to_have_count(5)
    colours = set()
    for i, (label, text) in enumerate(CANNED_LABELS.items()):
        badge = verdicts.nth(i).locator(".badge")
        expect(badge).to_have_text(text)
        expect(badge).to_have_attribute("data-label", label)
        colours.add(badge.evaluate("el => getComputedStyle(el).backgroundColor"))
    assert len(colours) == 5, f"badges share colours: {colours}"
    altered = verdicts.nth(1)
    expect(altered.locator(".diff del")).to_have_text(["not", "taxes."])
    expect(altered.locator(".diff ins")).to_have_text(["levies."])
    expect(altered.locator(".notes")).to_have_text("negation removed")
    expect(verdicts.nth(2)).to_contain_text("The sources attribute these words to Jane Doe.")
    expect(verdicts.nth(4)).to_contain_text("absence of evidence")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "verdicts.png"))
    assert page_errors == []


def test_reload_keeps_conversation_and_sends_context_back(page: Page, site: Site) -> None:
    page.goto(site.quotebot + "/")
    first = ask(page, "what did Kirby say?")
    log = page.locator("quotebot-chat .log")
    page.reload()
    expect(log.locator(".user")).to_have_text(["You asked: what did Kirby say?"])
    expect(log.locator(".bot")).to_have_count(1)
    expect(log.locator(".bot .cite").first).to_be_visible()
    with page.expect_request(lambda r: r.url.endswith("/ask")) as sent:
        ask(page, "what else did he say?")
    assert sent.value.post_data_json["context"] == first["context"]
    expect(log.locator(".bot")).to_have_count(2)
    page.get_by_role("button", name="New conversation").click()
    expect(log.locator(".msg")).to_have_count(0)
    page.reload()
    expect(page.locator("quotebot-chat .empty")).to_be_visible()
    expect(log.locator(".msg")).to_have_count(0)


def test_widget_on_allowed_origin_answers_and_opens_card(page: Page, site: Site, page_errors: list[str]) -> None:
    page.goto(site.allowed + "/")
    answer = ask(page, "what did Kirby say?")
    card = open_citation(page, citation_with(answer, "ludicrous"))
    expect(card.locator(".para mark")).to_contain_text("ludicrous")  # GET /articles/<id> crossed origins too
    send = page.get_by_role("button", name="Send")
    assert send.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(200, 0, 100)"  # page theming
    assert page_errors == []


def test_widget_on_disallowed_origin_shows_clear_error(page: Page, site: Site) -> None:
    page.goto(site.disallowed + "/")
    page.get_by_label(INPUT_LABEL).fill("what did Kirby say?")
    page.get_by_label(INPUT_LABEL).press("Enter")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(f"Could not reach quotebot at {site.quotebot} (is this site allowed?)")
    expect(alert.get_by_role("button", name="Retry")).to_be_visible()
    expect(page.locator("quotebot-chat .log .bot")).to_have_count(0)


def test_xss_article_in_card_runs_no_script_and_shows_the_characters(page: Page, site: Site) -> None:
    page.goto(site.quotebot + "/")
    answer = ask(page, "what is on at the harbour festival fireworks?")
    log = page.locator("quotebot-chat .log")
    expect(log).to_contain_text("<script>window.__xss=1</script>")  # the answer quotes it too, as text
    card = open_citation(page, citation_with(answer, "<script>"))
    expect(card.locator(".para mark")).to_contain_text("<script>window.__xss=1</script>")
    expect(card.locator(".para")).to_contain_text("<script>window.__xss=1</script>")
    expect(card.locator(".para")).to_contain_text('<img src=x onerror="window.__xss=2">')
    expect(card).to_contain_text('Harbour festival <img src=x onerror="window.__xss=3"> notice')
    expect(card).to_contain_text("<b>Harbour Gazette</b>")
    assert page.locator("quotebot-chat script, quotebot-chat img, quotebot-chat b").count() == 0
    assert card.locator("a").count() == 0  # its url is javascript:, so no link
    page.wait_for_timeout(200)  # give an injected onerror handler the time to fire
    assert page.evaluate("() => window.__xss") is None


def deep_focus(page: Page) -> dict[str, str]:
    """Return the element that has keyboard focus, inside the widget's shadow root if there."""
    focused: dict[str, str] = page.evaluate(DEEP_FOCUS)
    return focused


def test_keyboard_only_ask_and_open_a_citation(page: Page, site: Site) -> None:
    page.goto(site.quotebot + "/")
    for _ in range(15):
        page.keyboard.press("Tab")
        if deep_focus(page)["id"] == "qb-input":
            break
    else:
        raise AssertionError(f"Tab never reached the input; focus is on {deep_focus(page)}")
    page.keyboard.type("what did Kirby say?")
    page.keyboard.press("Enter")
    expect(page.locator("quotebot-chat .log .bot")).to_have_count(1)
    for _ in range(10):
        page.keyboard.press("Shift+Tab")
        if "cite" in deep_focus(page)["cls"]:
            break
    else:
        raise AssertionError(f"Shift+Tab never reached a citation marker; focus is on {deep_focus(page)}")
    outline = page.evaluate(
        "() => { let el = document.activeElement; while (el.shadowRoot && el.shadowRoot.activeElement) "
        "el = el.shadowRoot.activeElement; return getComputedStyle(el).outlineStyle; }"
    )
    assert outline == "solid", "the focused marker has no visible focus style"
    page.keyboard.press("Enter")
    card = page.locator("quotebot-chat .card")
    expect(card).to_be_visible()
    expect(card.locator(".para mark")).to_be_visible()
    assert deep_focus(page)["id"] == "qb-card-title"  # focus moved into the card
    page.keyboard.press("Escape")
    expect(card).to_be_hidden()
    assert "cite" in deep_focus(page)["cls"]  # and back to the marker


def test_problem_json_error_shows_detail_and_retry_recovers(page: Page, site: Site) -> None:
    failures = {"left": 1}

    def flaky(route: Any) -> None:
        if failures["left"]:
            failures["left"] -= 1
            problem = {
                "type": "about:blank",
                "title": "Service unavailable",
                "status": 503,
                "detail": "the index is unreachable; retry shortly",
            }
            route.fulfill(status=503, content_type="application/problem+json", body=json.dumps(problem))
        else:
            route.continue_()

    page.route("**/ask", flaky)
    page.goto(site.quotebot + "/")
    page.get_by_label(INPUT_LABEL).fill("what did Kirby say?")
    page.get_by_label(INPUT_LABEL).press("Enter")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("the index is unreachable; retry shortly")
    alert.get_by_role("button", name="Retry").click()
    expect(page.locator("quotebot-chat .log .bot")).to_have_count(1)
    expect(page.locator("quotebot-chat .alert")).to_be_empty()
    expect(page.locator("quotebot-chat .log .user")).to_have_count(1)  # a retry does not repeat the question


def test_stream_error_event_shows_its_detail(page: Page, site: Site) -> None:
    problem = {"type": "about:blank", "title": "Internal server error", "status": 500, "detail": "the model fell over"}
    body = f"event: start\ndata: {json.dumps({'intent': 'search'})}\n\nevent: error\ndata: {json.dumps(problem)}\n\n"
    page.route("**/ask", lambda route: route.fulfill(status=200, content_type="text/event-stream", body=body))
    page.goto(site.quotebot + "/")
    page.get_by_label(INPUT_LABEL).fill("what did Kirby say?")
    page.get_by_label(INPUT_LABEL).press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("the model fell over")
    expect(page.locator("quotebot-chat .log .bot")).to_have_count(0)


STREAM = [
    ("start", {"intent": "search"}),
    ("token", {"text": "The Kirby "}),
    ("token", {"text": "passage [1]."}),
    (
        "done",
        {
            **{"answer": "The Kirby passage [1].", "intent": "search", "citations": [CANNED_EVIDENCE]},
            "verdicts": [],
            "speaker": None,
            "context": {"last_question": "q"},
        },
    ),
]


def test_streamed_answer_enters_the_live_log_only_when_complete(page: Page, site: Site) -> None:
    body = "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in STREAM)
    page.route("**/ask", lambda route: route.fulfill(status=200, content_type="text/event-stream", body=body))
    page.goto(site.quotebot + "/")
    page.wait_for_function("() => document.querySelector('quotebot-chat')?.shadowRoot?.querySelector('.log')")
    page.evaluate(
        """() => {
        const root = document.querySelector('quotebot-chat').shadowRoot;
        window.__logAdds = []; window.__streamed = [];
        new MutationObserver(ms => ms.forEach(m => m.addedNodes.forEach(n => window.__logAdds.push(n.textContent))))
          .observe(root.querySelector('.log'), {childList: true, subtree: true, characterData: true});
        new MutationObserver(() => window.__streamed.push(root.querySelector('.stream').textContent))
          .observe(root.querySelector('.stream'), {childList: true, subtree: true});
    }"""
    )
    ask(page, "what did Kirby say?")
    adds = page.evaluate("() => window.__logAdds")
    assert adds == ["You asked: what did Kirby say?", "quotebot: The Kirby passage 1."], adds
    assert any("The Kirby passage [1]." in s for s in page.evaluate("() => window.__streamed"))
    log = page.locator("quotebot-chat .log")
    expect(log).to_have_attribute("role", "log")
    expect(log).to_have_attribute("aria-live", "polite")


def test_bubble_mode_opens_and_closes_from_the_keyboard(page: Page, site: Site) -> None:
    page.goto(site.allowed + "/?bubble")
    launcher = page.get_by_role("button", name="Ask quotebot")
    expect(page.get_by_label(INPUT_LABEL)).to_be_hidden()
    launcher.focus()
    page.keyboard.press("Enter")
    expect(launcher).to_have_attribute("aria-expanded", "true")
    assert deep_focus(page)["id"] == "qb-input"
    page.keyboard.press("Escape")
    expect(page.get_by_label(INPUT_LABEL)).to_be_hidden()
    assert deep_focus(page)["text"].endswith("Ask quotebot")
