"""Speaker identity: one entity per real person, relatives kept apart, lookup by role and organisation, no guessing."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from bot import create_app
from bot.services import Services, build_services
from bot.settings import load_settings
from retrieval.embedding import Embedder
from retrieval.identity.groups import parties_in
from retrieval.identity.keys import current_id, scope_key
from retrieval.models import Article, Speaker
from retrieval.quotes import extract_statements
from retrieval.quotes.speakers import party_bridges
from retrieval.speakers import surname_twins
from tests.test_chat import ask

# Short invented articles (no corpus text): each names its people the way news copy does.
KIRBY_FULL = Article(id="k-full", text="Pentagon spokesman John Kirby said the plan was “a serious mistake”.")
KIRBY_BARE = Article(id="k-bare", text="Kirby said the talks would resume “within days”.")
COMEY_A = Article(id="comey-a", text="FBI Director James B. Comey said the review was “complete and thorough”.")
COMEY_B = Article(id="comey-b", text="James Comey said he had “no regrets” about the letter.")
TRUMPS = Article(
    id="trumps",
    text=(
        "Donald Trump said the polls were “rigged”. Melania Trump, his wife, spoke later in the evening. "
        "She praised the volunteers. “He will fight for you,” Mrs. Trump said. "
        "Donald Trump Jr. said his father had “never quit anything”."
    ),
)
DATELINE = Article(id="dateline", text="SELMA, N.C. — Donald Trump said on Tuesday that the economy was “a disaster”.")
EARNEST = Article(
    id="earnest",
    text="White House press secretary Josh Earnest said the president would “veto the bill”.",
)
JOHNSONS = Article(
    id="johnsons",
    text=(
        "Libertarian candidate Gary Johnson said the debate rules were “unfair”. "
        "Homeland Security Secretary Jeh Johnson said the threat was “real”."
    ),
)
MERKLEY = Article(id="merkley", text="Sen. Jeff Merkley said the bill was “only a start”.")
ARTICLES = [KIRBY_FULL, KIRBY_BARE, COMEY_A, COMEY_B, TRUMPS, DATELINE, EARNEST, JOHNSONS, MERKLEY]


def speakers_of(article: Article) -> dict[str, str | None]:
    """Return each statement's words -> speaker id, for one article."""
    return {st.text: st.speaker_id for st in extract_statements(article.text, article.id)}


def test_mrs_trump_and_trump_jr_are_not_donald_trump() -> None:
    ids = set(speakers_of(TRUMPS).values())
    assert {"donald-trump", "melania-trump", "donald-trump-jr"} <= ids


def test_a_middle_initial_is_the_same_person() -> None:
    assert set(speakers_of(COMEY_A).values()) == set(speakers_of(COMEY_B).values()) == {"james-comey"}


def test_a_dateline_is_not_part_of_the_name_and_a_date_is_no_speaker() -> None:
    assert set(speakers_of(DATELINE).values()) == {"donald-trump"}
    for text in ("On Tuesday said the vote was close.", "Tuesday said the vote was close."):
        assert all(st.speaker_id in {None} for st in extract_statements(text, "d"))


def test_common_nouns_are_typed_and_kept_to_their_article() -> None:
    text = "Officials said the bridge was safe. The report said repairs were “urgent”."
    got = {(st.speaker_id, st.speaker_kind) for st in extract_statements(text, "nouns")}
    key = scope_key("nouns")
    assert (f"officials--{key}", "group") in got and (f"report--{key}", "document") in got


def test_articles_whose_ids_share_a_prefix_keep_their_own_officials(services: Services) -> None:
    """Feed ids often share a long prefix; the first eight characters of the id used to merge their entities."""
    first = Article(id="wire-2026-03-01-bridge", text="Officials said the bridge was “safe to cross”.")
    second = Article(id="wire-2026-03-01-harbour", text="Officials said the harbour was “closed until May”.")
    assert not services.ingestor.ingest_articles([first, second]).failed
    owners: dict[str, set[str]] = {}
    for p in services.store.get_statements():
        assert p.statement is not None and p.statement.speaker_id
        owners.setdefault(p.statement.speaker_id, set()).add(p.statement.article_id)
    assert sorted(owners.values(), key=sorted) == [{first.id}, {second.id}]


def _partition(services: Services) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for p in services.store.get_statements():
        if p.statement and p.statement.speaker_id:
            groups.setdefault(p.statement.speaker_id, set()).add(p.statement.id)
    return {frozenset(g) for g in groups.values()}


def test_entities_do_not_depend_on_ingest_order(tmp_path: Any, embedder: Embedder) -> None:
    """A bare "Kirby" used to join whichever "John Kirby" the index held already: the order decided."""
    parts = []
    for name, order in (("forward", ARTICLES), ("backward", ARTICLES[::-1])):
        settings = load_settings({"store": {"path": str(tmp_path / name)}}, environ={})
        services = build_services(settings, embedder=embedder)
        for article in order:
            services.ingestor.ingest_articles([article])
        parts.append(_partition(services))
    assert parts[0] == parts[1]


@pytest.fixture
def people(services: Services) -> FlaskClient:
    """A client over an index holding the invented articles."""
    services.ingestor.ingest_articles(ARTICLES)
    return create_app(services=services).test_client()


def test_role_question_finds_the_holder(people: FlaskClient) -> None:
    answer = ask(people, "what did the FBI director say?")
    assert answer["speaker"] == "James Comey"
    assert any("complete and thorough" in c["text"] for c in answer["citations"])


def test_a_bare_title_is_read_as_a_role(people: FlaskClient) -> None:
    """ "the senator" folds to nothing as a name ("senator" is a title): it must still find the senator."""
    answer = ask(people, "what did the senator say?")
    assert answer["speaker"] == "Jeff Merkley"
    assert any("only a start" in c["text"] for c in answer["citations"])


def test_a_role_known_only_from_a_role_mention_finds_its_holder_not_the_shadow_one(services: Services) -> None:
    services.ingestor.ingest_articles(
        [
            Article(
                "budget",
                "Budget row deepens\n\n"  # a short first paragraph is a headline: no statements come from it
                "The Chancellor, Rachel Reeves, has defended her spending plans.\n\n"
                "The shadow chancellor, Mel Stride, said “working people will pay for this.”\n\n"
                "A Treasury spokesperson said the figures had been checked.\n\n"
                "“The numbers are sound,” the spokesperson said.",
            )
        ]
    )
    client = create_app(services=services).test_client()
    answer = ask(client, "what did the chancellor say?")
    assert answer["speaker"] == "Rachel Reeves"
    assert any("defended her spending plans" in c["text"] for c in answer["citations"])
    assert ask(client, "what did the shadow chancellor say?")["speaker"] == "Mel Stride"
    treasury = ask(client, "what did the Treasury say?")
    assert any("numbers are sound" in c["text"] for c in treasury["citations"])
    assert "Treasury spokesperson, Treasury spokesperson" not in treasury["answer"]


def test_organisation_answer_includes_its_spokesperson_labelled(people: FlaskClient) -> None:
    answer = ask(people, "what did the White House say?")
    assert any("veto the bill" in c["text"] for c in answer["citations"])
    assert "Josh Earnest, White House press secretary:" in answer["answer"]


def test_a_shared_surname_is_asked_back_not_guessed(people: FlaskClient) -> None:
    answer = ask(people, "what did Johnson say?")
    assert answer["citations"] == []
    assert "Gary Johnson" in answer["answer"] and "Jeh Johnson" in answer["answer"]
    assert "Homeland Security Secretary" in answer["answer"]
    assert set(answer["context"]["candidates"]) == {"gary-johnson", "jeh-johnson"}
    # The context goes back unchanged with the next question, as the API asks of clients: it must validate.
    follow = people.post("/ask", json={"question": "what did Gary Johnson say?", "context": answer["context"]})
    assert follow.status_code == 200, follow.get_data(as_text=True)
    assert follow.get_json()["speaker"] == "Gary Johnson"


def test_a_misspelt_surname_of_two_people_is_asked_back(people: FlaskClient) -> None:
    answer = ask(people, "what did Jonson say?")
    assert answer["citations"] == []
    assert set(answer["context"]["candidates"]) == {"gary-johnson", "jeh-johnson"}


def test_speaker_detail_has_kind_roles_and_affiliations(people: FlaskClient) -> None:
    detail = people.get("/speakers/joshua-earnest").get_json()
    assert detail["kind"] == "person"
    assert "White House press secretary" in detail["roles"]
    assert detail["affiliations"] == ["White House"]
    assert detail["statements"][0]["citation"]["text"]


def test_seed_spokesman_question_cites_kirby(client: FlaskClient) -> None:
    answer = ask(client, "What did the spokesman say?")
    assert answer["speaker"] == "John Kirby"
    assert any("ludicrous" in c["text"] for c in answer["citations"])


def test_seed_kremlin_question_answers_from_putins_office(client: FlaskClient) -> None:
    answer = ask(client, "What did the Kremlin say?")
    assert answer["speaker"] == "Putin's Office"
    assert "Putin's Office" in answer["answer"].split("\n")[0]  # says which entity it read "the Kremlin" as
    assert any("no victims" in c["text"] for c in answer["citations"])


@pytest.mark.parametrize(
    ("text", "party"),
    [
        ("Democratic presidential hopeful Rosa Vance spoke first.", ["Democratic Party"]),
        ("Republican Sen. Rosa Vance spoke first.", ["Republican Party"]),
        ("Rosa Vance (R-Utah) spoke first.", ["Republican Party"]),
        ("Rep. Rosa Vance, D-Md., spoke first.", ["Democratic Party"]),
        ("Rosa Vance, a Republican from Utah, spoke first.", ["Republican Party"]),
        ("Republican attacks on Rosa Vance grew.", []),  # the party is the attackers'
        ("Rosa Vance, a former Democrat, spoke first.", []),
        ("Rosa Vance (D-Md.) spoke first. Republican nominee Vance replied.", []),  # one each: a tie tells none
        ("He is a Republican critic of Rosa Vance.", []),  # a critic's party, not hers
        ("Rosa Vance, a longtime Republican target, spoke first.", []),
        ("Rosa Vance, the Democratic nominee, spoke first.", ["Democratic Party"]),
    ],
)
def test_an_articles_words_around_a_name_tell_the_party(text: str, party: list[str]) -> None:
    assert parties_in(text, ["Rosa Vance", "Vance"], party_bridges()) == party


def test_a_party_is_no_organisation_its_members_speak_for(services: Services) -> None:
    from tests.test_answers import COUNCIL

    assert not services.ingestor.ingest_articles([COUNCIL]).failed
    ortiz = services.speakers.lookup("Dan Ortiz").one
    assert ortiz is not None and "Republican Party" in ortiz.affiliations
    party = services.speakers.lookup("Republican Party")
    assert all(sp.id != ortiz.id for sp in party.spokespeople)


def test_a_shared_surname_is_no_name_form_and_a_suffix_is_no_surname() -> None:
    from retrieval.quotes.speakers import NameIndex, _name_forms

    one = NameIndex("Budget vote\n\nRosa Vance spoke. Hal Brant Jr. did not.")
    assert _name_forms("Rosa Vance", one) == ["Rosa Vance", "Vance"]
    assert _name_forms("Hal Brant Jr.", one) == ["Hal Brant Jr.", "Brant"]  # "Jr." is no one's surname
    father = NameIndex("Budget vote\n\nHal Brant spoke. Hal Brant Jr. did not.")  # "Brant" alone: which one?
    assert _name_forms("Hal Brant Jr.", father) == ["Hal Brant Jr."]
    two = NameIndex("Budget vote\n\nRosa Vance spoke, and Tom Vance answered her.")  # another Vance in the article
    assert _name_forms("Rosa Vance", two) == ["Rosa Vance"]


def test_a_known_party_settles_membership_over_words_beside_the_mention() -> None:
    from retrieval.identity.groups import belongs
    from retrieval.models import Speaker

    near = "interested in Republican votes,” Reyes"  # the words an answer reads around "Reyes said"
    reyes = Speaker("carla-reyes", "Carla Reyes", affiliations=("Democratic Party",))
    assert not belongs("Republicans", reyes, near) and belongs("Democrats", reyes, near)
    unknown = Speaker("carla-reyes", "Carla Reyes")
    assert belongs("Republicans", unknown, near)  # without a known party the nearby words are all there is


def test_one_campaign_across_articles_however_each_names_it(services: Services) -> None:
    """ "the Whitfield campaign" and "Dana Whitfield’s campaign" in two articles are one organisation, asked by name."""
    first = Article(
        id="camp-a",
        text="Dana Whitfield toured Ohio. The Whitfield campaign said the rally “drew thousands.”",
    )
    second = Article(
        id="camp-b",
        text="Sam Ortega and Dana Whitfield debated. Dana Whitfield’s campaign said the debate “went well.”",
    )
    assert not services.ingestor.ingest_articles([first, second]).failed
    client = create_app(services=services).test_client()
    detail = client.get("/speakers/whitfield-campaign").get_json()
    assert detail["kind"] == "organisation"
    assert {s["article_id"] for s in detail["statements"]} == {"camp-a", "camp-b"}
    answer = ask(client, "what did the Whitfield campaign say?")
    assert {c["article_id"] for c in answer["citations"]} == {"camp-a", "camp-b"}


def test_a_surname_that_folds_to_nothing_is_no_lookup_key(services: Services) -> None:
    # "Sen" is a title, and the lookup key drops titles: filed under "", she matched any lookup that folds to nothing
    rita = Article(id="rita", text="Economist Rita Devi Sen said the plan was “a serious mistake”.")
    assert not services.ingestor.ingest_articles([rita]).failed
    assert services.speakers.lookup("Rita Devi Sen").one is not None
    for typed in ("Mr.", "the senator", "Dr."):  # each folds to "" too
        assert all("Rita" not in sp.name for sp in services.speakers.lookup(typed).found), typed


def test_a_short_given_name_is_the_same_person_across_articles(services: Services) -> None:
    """ "Ben Calder" in one article and "Benjamin L. Calder" in another are one entity, found by either name."""
    formal = Article(id="calder-a", text="Sen. Benjamin L. Calder said the bill was “dead on arrival”.")
    short = Article(id="calder-b", text="Ben Calder said the vote would be “close”.")
    only_formal = Article(id="ortiz", text="William Ortiz said the budget was “a fantasy”.")
    both_ways = Article(id="dalton", text="Chris Dalton said “yes”. Christopher Dalton said “no”.")
    assert not services.ingestor.ingest_articles([formal, short, only_formal, both_ways]).failed
    calder = services.store.get_speaker("benjamin-calder")
    assert calder is not None and calder.statement_count == 2
    assert calder.name == "Ben Calder"  # the shortest form seen is the one shown
    for typed in ("Ben Calder", "Benjamin Calder", "Sen. Calder"):
        assert (found := services.speakers.lookup(typed).one) is not None and found.id == "benjamin-calder", typed
    # typed by the short form that no article wrote
    assert (ortiz := services.speakers.lookup("Bill Ortiz").one) is not None and ortiz.id == "william-ortiz"
    # "Chris" stands for several formal names (Christopher, Christine, Christian): no merge on a guess
    assert services.store.get_speaker("chris-dalton") is not None
    assert services.store.get_speaker("christopher-dalton") is not None


def test_a_surname_only_entity_is_read_as_the_one_person_of_that_surname(people: FlaskClient) -> None:
    """An article that writes only "Kirby" stores a "kirby": the same person as John Kirby when read, whatever the
    ingest order (the entities themselves stay per article)."""
    both = {"a serious mistake", "within days"}
    for question in ("what did John Kirby say?", "what did Kirby say?"):
        answer = ask(people, question)
        assert answer["speaker"] == "John Kirby"
        assert {w for w in both for c in answer["citations"] if w in c["text"]} == both
    assert [s["id"] for s in people.get("/speakers?q=Kirby").get_json()["speakers"]] == ["john-kirby"]
    detail = people.get("/speakers/john-kirby").get_json()
    assert {w for w in both for s in detail["statements"] if w in s["text"]} == both
    verdict = people.post("/verify", json={"quote": "within days", "speaker": "John Kirby"}).get_json()
    assert verdict["label"] == "verified"


def test_a_surname_only_entity_joins_the_one_of_that_surname_who_shares_its_role(services: Services) -> None:
    services.ingestor.ingest_articles(
        [
            Article("o-full", "President Barack Obama said the deal was “the best we could get”."),
            Article("o-wife", "Michelle Obama, the first lady, said schools needed “healthier lunches”."),
            Article("o-bare", "President Obama said the talks would go on “as long as it takes”."),
        ]
    )
    client = create_app(services=services).test_client()
    answer = ask(client, "what did Barack Obama say?")
    assert any("as long as it takes" in c["text"] for c in answer["citations"])
    assert not any("healthier lunches" in c["text"] for c in answer["citations"])
    assert ask(client, "who said the talks would go on as long as it takes?")["speaker"] == "Barack Obama"
    rolled = ask(client, "what are people saying about the talks and the deal?")
    assert sum(line.startswith("- Barack Obama") for line in rolled["answer"].splitlines()) == 1
    assert not any(line.startswith("- Obama") for line in rolled["answer"].splitlines())
    asked = ask(client, "what did Obama say?")  # still two people: asked back, each counted with their twin
    assert set(asked["context"]["candidates"]) == {"barack-obama", "michelle-obama"}
    assert "Barack Obama, President (2 statements)" in asked["answer"]


def test_only_a_surname_of_a_real_full_name_is_joined() -> None:
    def person(sid: str, name: str, *roles: str) -> Speaker:
        return Speaker(sid, name, roles=roles, kind="person")

    found = surname_twins(
        [
            person("tom-john", "Tom John"),
            person("john", "John"),  # a first name alone, not Tom John's surname
            person("new-hampshire-democrat", "New Hampshire Democrat"),
            person("democrat", "Democrat"),  # no one's surname: "New Hampshire" is no given name
            person("al-from", "Al From"),
            person("from", "From"),  # a sentence misread
            person("marco-rubio", "Marco Rubio"),
            person("rubio", "Rubio"),
            Speaker("officials--k", "officials", kind="group"),
        ]
    )
    assert {main: [t.id for t in ts] for main, ts in found.items()} == {"marco-rubio": ["rubio"]}


def test_a_suffixed_name_sharing_a_role_is_the_same_person_and_a_son_is_not(services: Services) -> None:
    services.ingestor.ingest_articles(
        [
            Article("b-short", "Mayor Wendell Price said the port was “ready for the ships”."),
            Article("b-long", "Mayor Wendell K. Price Jr. said the bridge would open “before the summer”."),
            Article("b-bare", "Mayor Price said the schools needed “more teachers”."),
            Article("t-son", "Arlo Quince Jr., his son, said the firm was “doing fine”."),
            Article("t-dad", "Arlo Quince, a developer, said the tower was “almost finished”."),
        ]
    )
    client = create_app(services=services).test_client()
    answer = ask(client, "what did Price say?")  # one person under three names, not a question back
    assert answer["speaker"] == "Wendell Price"
    cited = " ".join(c["text"] for c in answer["citations"])
    assert all(words in cited for words in ("ready for the ships", "before the summer", "more teachers"))
    detail = client.get("/speakers/wendell-price").get_json()
    assert detail["statement_count"] == len(detail["statements"]) == 3
    asked = ask(client, "what did Quince say?")  # father and son stay two
    assert set(asked["context"]["candidates"]) == {"arlo-quince", "arlo-quince-jr"}


def test_a_misspelt_given_name_and_a_compound_surname_are_read_as_their_person() -> None:
    def person(sid: str, name: str, count: int, *roles: str) -> Speaker:
        return Speaker(sid, name, roles=roles, kind="person", statement_count=count)

    found = surname_twins(
        [
            person("jonathan-okafor", "Jonathan Okafor", 40),
            person("jonathon-okafor", "Jonathon Okafor", 3),  # one letter changed, quoted far less: a typo
            person("brian-tell", "Brian Tell", 12),
            person("bryan-tell", "Bryan Tell", 4),  # one letter apart but not ten times rarer, no shared role
            person("dora-okoro-ruiz", "Dora Okoro Ruiz", 6),
            person("okoro-ruiz", "Okoro Ruiz", 2),  # a compound surname alone
            person("ruiz", "Ruiz", 1),
        ]
    )
    assert {main: sorted(t.id for t in ts) for main, ts in found.items()} == {
        "jonathan-okafor": ["jonathon-okafor"],
        "dora-okoro-ruiz": ["okoro-ruiz", "ruiz"],
    }


def test_a_surname_alone_joins_the_full_name_past_its_arabic_article() -> None:
    def person(sid: str, name: str) -> Speaker:
        return Speaker(sid, name, kind="person")

    found = surname_twins(
        [person("omar-al-haddad", "Omar al-Haddad"), person("haddad", "Haddad"), person("al-haddad", "al-Haddad")]
    )
    assert {main: sorted(t.id for t in ts) for main, ts in found.items()} == {"omar-al-haddad": ["al-haddad", "haddad"]}


def test_a_name_one_person_is_quoted_by_far_the_most_under_is_read_as_them(services: Services) -> None:
    topics = ["the budget", "the bridge", "the schools", "the port", "the park", "the tax", "the police",
              "the water", "the roads", "the library"]  # fmt: skip
    said = " ".join(f"Mayor Rita Hale said {t} was “her first priority this year”." for t in topics)
    services.ingestor.ingest_articles(
        [Article("hale-a", said), Article("hale-b", "Tom Hale said the fair was “the best in years”.")]
    )
    client = create_app(services=services).test_client()
    answer = ask(client, "what did Hale say?")
    assert answer["speaker"] == "Rita Hale" and answer["citations"]
    assert answer["answer"].startswith('Reading "Hale" as Rita Hale, quoted far more often than Tom Hale.')
    assert ask(client, "what did Tom Hale say?")["speaker"] == "Tom Hale"


def test_twins_are_folded_in_every_lookup_and_counted_once(services: Services) -> None:
    services.ingestor.ingest_articles(
        [
            Article("o-full", "President Barack Obama said the deal was “the best we could get”."),
            Article("o-wife", "Michelle Obama, the first lady, said schools needed “healthier lunches”."),
            Article("o-bare", "President Obama said the talks would go on “as long as it takes”."),
            Article("s-kirby", "State Department spokesman John Kirby said the talks were “going well”."),
            Article("s-yt", "A spokesman for YouTube said the video was “removed on Monday”."),
        ]
    )
    _, ids = services.verifier.resolve("Obama")
    assert {"obama", "barack-obama", "michelle-obama"} <= ids
    assert [sp.id for sp in services.speakers.lookup("the president").found] == ["barack-obama"]
    assert "john-kirby" in [sp.id for sp in services.speakers.lookup("the spokesman").found]
    client = create_app(services=services).test_client()
    detail = client.get("/speakers/barack-obama").get_json()
    assert detail["statement_count"] == len(detail["statements"]) == 2
    listed = client.get("/speakers?q=Barack Obama").get_json()["speakers"]
    assert [(s["id"], s["statement_count"]) for s in listed] == [("barack-obama", 2)]


def test_a_role_named_by_its_owner_keeps_its_id_under_a_stored_correction() -> None:
    assert current_id("ben-carlow-spokesman") == "ben-carlow-spokesman"
    assert current_id("josh-earnest") == "joshua-earnest"


def test_an_organisation_is_answered_through_the_spokesman_named_for_it(services: Services) -> None:
    services.ingestor.ingest_articles(
        [Article("yt", "Videos were removed.\n\nA spokesman for YouTube said the videos broke “our clear rules”.")]
    )
    answer = ask(create_app(services=services).test_client(), "what did YouTube say?")
    assert any("our clear rules" in c["text"] for c in answer["citations"])
    assert "YouTube spokesman" in answer["answer"]
