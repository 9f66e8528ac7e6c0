"""Who said what: does the index give one speaker per real person, with all of that person's statements?

Ingests the PolNeAR dev articles from <repo>/../shared/eval/ through the real pipeline into a temporary embedded index
(or reuses one with --reuse DIR / builds one to keep with --keep DIR), then, for every person named (not a pronoun)
in at least two gold attributions, asks the API through the Flask test client:

    GET  /speakers?q=<full name>  -> the first speaker found, then GET /speakers/<id> for all its statements
    POST /ask "what did <full name> say?" (top_k 50)

A system statement is matched to the gold attribution it lies mostly inside (>= half of its letters and digits, the
scorer's tau 0.5 rule). Against the gold attributions whose mention names the person:

    precision      statements returned that match a gold attribution naming this person, over those returned that
                   match any gold attribution with a named (non-pronoun) mention; unmatched statements are extraction
                   errors and gold pronoun mentions count neither way
    recall         gold attributions naming the person that were extracted at all (some statement matches them) and
                   that the answer returns (identity recall; extraction recall is eval_extraction.py's job)
    fragmentation  distinct entities holding one person's gold attributions under a name with the person's surname
                   ("donald-trump", "donald-j-trump", "trump"), mean per person
    contamination  share of an entity's gold-matched statements whose gold mention names someone else

Who a gold mention names is read from the gold alone: its trailing capitalised words without titles, a bare surname
completed by the one first name written before that surname in the same article (the most frequent when several).

    python benchmarks/bench_who_said.py --keep /tmp/qb-who-dev      # dev: ingest (~1 min) and score
    python benchmarks/bench_who_said.py --reuse /tmp/qb-who-dev     # score again without ingesting
    python benchmarks/bench_who_said.py --order-check               # ingest twice more, shuffled; same partition?
    python benchmarks/bench_who_said.py --corpus train --keep /tmp/qb-who-train --junk   # 100 largest entities
    python benchmarks/bench_who_said.py --corpus train --reuse /tmp/qb-who-train --show 40   # score train, worst 40
    python benchmarks/bench_who_said.py --reuse /tmp/qb-who-dev --golden benchmarks/golden_who.yaml

Of train, the 84 held-out articles (`evaluate.heldout_ids`) are left out unless --include-heldout, so rules read
from its worst people never see them.

Writes numbers only (no corpus text) to benchmarks/results/who_said.json.

One self-contained benchmark script (over 350 lines): its corpus, workload, measurement and report read top to
bottom; what it shares with the others (corpora, servers, stage timing) is in benchmarks/harness.py.
"""

from __future__ import annotations

import argparse
import random
import re
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import RESULTS, SHARED, load_records, print_table, require_corpus, to_article, write_json

from bot.services import Services, build_services
from bot.settings import load_settings
from retrieval.quotes.evaluate import heldout_ids
from retrieval.speakers import surname_twins

PRONOUNS = {"he", "she", "they", "we", "i", "it", "you", "him", "her", "them", "us", "me", "his", "hers", "their",
            "its", "our", "my", "one", "who", "that", "which", "this", "said", "whom"}  # fmt: skip
# Words that open or decorate a name in a gold mention and are not part of it.
TITLES = {"mr", "mrs", "ms", "miss", "dr", "sen", "senator", "rep", "representative", "gov", "governor", "president",
          "vice", "secretary", "minister", "prime", "mayor", "judge", "justice", "gen", "general", "rev", "rival",
          "gop", "democratic", "republican", "nominee", "candidate", "former", "house", "speaker", "attorney",
          "chairman", "chief", "the", "a", "an", "lt", "col", "capt", "adm", "sgt", "state", "u.s.", "said",
          "leader", "majority", "minority", "first", "lady", "presidential", "democrat", "sens", "reps",
          "spokesman", "spokeswoman", "press", "deputy", "director", "ambassador", "sheriff", "chair"}  # fmt: skip
# A mention holding one of these is an organisation or group, not a person.
NOT_PERSON = {"campaign", "committee", "court", "times", "post", "center", "council", "department", "fbi", "imf",
              "nato", "party", "politifact", "poll", "polls", "republicans", "democrats", "administration",
              "government", "congress", "senate", "police", "news", "journal", "agency", "office", "union",
              "association", "foundation", "institute", "university", "network", "cnn", "fox", "nbc", "abc", "cbs",
              "msnbc", "naacp", "aclu", "russia", "america", "states", "kremlin", "pentagon", "ad", "report",
              "tribune", "magazine", "group", "organization", "coalition", "commission", "bureau", "white",
              "americans", "obamacare", "survey", "study", "statement", "county", "city", "reuters", "ap", "and",
              "media", "company", "inc", "club", "board", "service", "cia", "gop", "security", "un", "hedge", "caller",
              "korea", "china"}  # fmt: skip
ASK_TOP_K = 50  # the API's max_top_k
SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}
# Capitalised at a sentence start, never a first name.
STARTERS = {"another", "many", "as", "when", "but", "and", "while", "if", "after", "before", "even", "one", "some",
            "both", "all", "whether", "so", "then", "now", "since", "though", "because", "like",
            "other", "most"}  # fmt: skip
_WORD = re.compile(r"[A-Za-z][\w'’\-.]*")
_PARTY = re.compile(r"\([^)]*\)|\b[RDI]-[A-Z][A-Za-z.]*")


def _core(w: str) -> str:
    return re.sub(r"['’]s$", "", w).strip(".,").lower()


def _title(w: str) -> str:
    """Return a word in title case when it is written in capitals ("WALLACE" -> "Wallace")."""
    return w.capitalize() if w.isupper() and len(w) > 2 else w


@dataclass(frozen=True)
class GoldPerson:
    """The person a gold mention names: a key ("donald trump", "donald trump jr") and a name to ask about."""

    key: str
    name: str


UNCLEAR = GoldPerson("", "")  # a person the gold names but does not identify: counts neither way


def gold_person(mention: str | None, text: str) -> GoldPerson | None:
    """Return the person a gold speaker mention names, or None (pronoun, organisation, group, unclear)."""
    if not mention or mention.strip().lower() in PRONOUNS:
        return None
    words = [_title(w) for w in _WORD.findall(_PARTY.sub(" ", mention.split(",")[0]))]
    if not words or any(_core(w) in NOT_PERSON for w in words):
        return None
    if words[-1].islower() and _core(words[-1]) in TITLES:
        return UNCLEAR  # "the mayor", "the Republican nominee": a person, but the gold alone does not say who
    # the trailing run of capitalised words is the name; titles inside it are dropped
    k = len(words)
    while k > 0 and words[k - 1][:1].isupper():
        k -= 1
    run = [w for w in words[k:] if _core(w) not in TITLES]
    honorific = any(_core(w) in {"mrs", "ms", "miss"} for w in words[k:])
    suffix = [w for w in run if _core(w) in SUFFIXES]
    run = [w for w in run if _core(w) not in SUFFIXES and not re.fullmatch(r"[A-Z]\.?", w)]
    if not run:
        return None
    if any(w.endswith(("'s", "’s")) for w in run):
        return None  # "Trump's campaign" style possessives are not the person
    if _core(run[0]) in STARTERS or re.search(rf"\b{re.escape(run[0].lower())}\b", text):
        run = run[1:]  # a sentence-initial common word ("Another", "Many", "One"), not a name
    if not run or not all(re.fullmatch(r"[A-Z][\w'’\-]*", w) for w in run):
        return None
    last = _core(run[-1])
    first = _core(run[0]) if len(run) >= 2 else None
    if first is not None and not re.search(rf"\b{re.escape(run[0])}\s+(?:[A-Z]\.\s+)?{re.escape(run[-1])}", text):
        first = None  # "British ... May", "Oversight ... Chaffetz": the words are not written as one name
    if first is None:
        names: Counter[str] = Counter()
        for m in re.finditer(rf"\b([A-Z][a-z]+)\s+(?:[A-Z]\.\s+)?{re.escape(run[-1])}\b", text):
            before = re.search(r"(\S+)\s*$", text[: m.start()])
            if before and before.group(1)[:1].isupper() and not before.group(1).endswith((".", ",", ":")):
                continue  # "Four Corners Obama": part of a longer capitalised phrase
            if m.group(1).lower() not in TITLES | NOT_PERSON | STARTERS:
                names[m.group(1).lower()] += 1
        if honorific and len(names) > 1:
            return UNCLEAR  # "Mrs. Trump" beside several Trumps: the gold alone does not say which one
        if not names:
            return UNCLEAR  # a bare surname the article never completes: the gold does not say who it is
        first = names.most_common(1)[0][0]
    key = " ".join(x for x in (first, last, *(_core(s) for s in suffix)) if x)
    name = " ".join(x.capitalize() for x in (first, last) if x) + ("".join(f" {s}" for s in suffix))
    return GoldPerson(key, name)


def alnum(text: str, spans: list[tuple[int, int]]) -> set[int]:
    """Return the letter and digit positions of spans of a text."""
    return {i for s, e in spans for i in range(s, e) if text[i].isalnum()}


@dataclass
class Gold:
    """One gold attribution: its doc, letters, and the person its mention names (None: pronoun or not a person)."""

    doc: str
    index: int
    letters: set[int]
    person: GoldPerson | None
    named: bool  # the mention is not a pronoun (and not absent)


def gold_attributions(records: list[dict[str, Any]]) -> list[Gold]:
    """Return every gold attribution with the person it names."""
    out = []
    for r in records:
        for i, q in enumerate(r["quotes"]):
            spans = [tuple(s) for s in q.get("quote_spans") or [[q["quote_start"], q["quote_end"]]]]
            mention: str | None = q.get("speaker")
            named = bool(mention) and mention.strip().lower() not in PRONOUNS
            person = gold_person(mention, r["text"])
            named = named and person is not UNCLEAR
            out.append(Gold(r["doc_id"], i, alnum(r["text"], spans), person if person is not UNCLEAR else None, named))
    return out


def match_statements(services: Services, records: list[dict[str, Any]], golds: list[Gold]) -> dict[str, Gold]:
    """Return statement id -> the gold attribution it lies mostly inside."""
    texts = {r["doc_id"]: r["text"] for r in records}
    by_doc: dict[str, list[Gold]] = defaultdict(list)
    for g in golds:
        by_doc[g.doc].append(g)
    out: dict[str, Gold] = {}
    for p in services.store.get_statements():
        st = p.statement
        if st is None or st.article_id not in texts:
            continue
        letters = alnum(texts[st.article_id], list(st.fragments) or [(st.start, st.end)])
        if not letters:
            continue
        best = max(by_doc[st.article_id], key=lambda g: len(letters & g.letters), default=None)
        if best is not None and len(letters & best.letters) >= 0.5 * len(letters):
            out[st.id] = best
    return out


def speaker_of(statements: dict[str, str | None], ids: list[str]) -> Counter[str]:
    """Count speaker ids over statement ids."""
    return Counter(statements[i] or "" for i in ids if i in statements)


def score(services: Services, records: list[dict[str, Any]]) -> dict[str, Any]:
    """Ask about every named person through the API and score precision, recall, fragmentation, contamination."""
    from bot import create_app

    golds = gold_attributions(records)
    matched = match_statements(services, records, golds)
    speaker_by_statement = {
        p.statement.id: p.statement.speaker_id for p in services.store.get_statements() if p.statement
    }
    people: dict[str, list[Gold]] = defaultdict(list)
    for g in golds:
        if g.person:
            people[g.person.key].append(g)
    people = {k: v for k, v in people.items() if len(v) >= 2}
    names = {k: Counter(g.person.name for g in v if g.person).most_common(1)[0][0] for k, v in people.items()}
    extracted: dict[int, set[str]] = defaultdict(set)  # id(gold) -> statements matching it
    for sid, g in matched.items():
        extracted[id(g)].add(sid)

    app = create_app(services=services)
    rows: dict[str, dict[str, Any]] = {}
    totals = Counter()
    frag: list[int] = []
    with app.test_client() as client:
        for key, gs in sorted(people.items()):
            name = names[key]
            found = client.get("/speakers", query_string={"q": name}).get_json()["speakers"]
            returned: list[str] = []
            entity = found[0]["id"] if found else None
            if entity:
                detail = client.get(f"/speakers/{entity}").get_json()
                returned = [s["id"] for s in detail.get("statements", [])]
            ask = client.post("/ask", json={"question": f"what did {name} say?", "top_k": ASK_TOP_K}).get_json()
            # the statements the answer gives: one citation may cover two statements of one sentence (cited once)
            asked = list(dict.fromkeys(
                [c["statement_id"] for c in ask.get("citations", []) if c.get("statement_id")]
                + [str(i) for i in ask.get("context", {}).get("last", [])]
            ))  # fmt: skip
            row: dict[str, Any] = {"name": name, "gold": len(gs), "entity": entity, "candidates": len(found)}
            for label, ids in (("speakers", returned), ("ask", asked)):
                judged = [matched[i] for i in ids if i in matched and matched[i].named]
                tp = sum(1 for g in judged if g.person and g.person.key == key)
                reachable = [g for g in gs if extracted[id(g)]]
                hit = sum(1 for g in reachable if extracted[id(g)] & set(ids))
                if label == "ask":
                    # an answer holds at most top_k statements: do not count what it could not show as missed
                    reachable = reachable[: max(hit, ASK_TOP_K)]
                row[label] = {"tp": tp, "judged": len(judged), "reachable": len(reachable), "hit": hit}
                totals[f"{label}_tp"] += tp
                totals[f"{label}_judged"] += len(judged)
                totals[f"{label}_reachable"] += len(reachable)
                totals[f"{label}_hit"] += hit
            # entities the index holds this person under: those named with the person's surname (a statement given
            # to someone else entirely is a precision/recall error of the extractor, not a split identity)
            surname = key.split()[-1] if key.split()[-1] not in SUFFIXES else key.split()[-2]
            entities = {
                e
                for g in gs
                for s in extracted[id(g)]
                if (e := speaker_by_statement.get(s)) and surname in e.replace("-", " ").split()
            }
            row["entities"] = len(entities)
            if entities:
                frag.append(len(entities))
            rows[key] = row
    # contamination: per entity, statements matched to named gold whose person is not the entity's majority person
    per_entity: dict[str, Counter[str]] = defaultdict(Counter)
    for sid, g in matched.items():
        sp = speaker_by_statement.get(sid)
        if sp and g.named:
            per_entity[sp][g.person.key if g.person else "<not a person>"] += 1
    person_entities = {sp: c for sp, c in per_entity.items() if c.most_common(1)[0][0] in people}
    contaminated = sum(sum(c.values()) - c.most_common(1)[0][1] for c in person_entities.values())
    judged_all = sum(sum(c.values()) for c in person_entities.values())

    def ratio(a: float, b: float) -> float:
        return round(a / b, 3) if b else float("nan")

    return {
        "people": len(people),
        "speakers_precision": ratio(totals["speakers_tp"], totals["speakers_judged"]),
        "speakers_recall": ratio(totals["speakers_hit"], totals["speakers_reachable"]),
        "ask_precision": ratio(totals["ask_tp"], totals["ask_judged"]),
        "ask_recall": ratio(totals["ask_hit"], totals["ask_reachable"]),
        "fragmentation": ratio(sum(frag), len(frag)),
        "contamination": ratio(contaminated, judged_all),
        "rows": rows,
    }


def partition(services: Services) -> set[frozenset[str]]:
    """Return the statements grouped by speaker id (the entity partition)."""
    groups: dict[str, set[str]] = defaultdict(set)
    for p in services.store.get_statements():
        if p.statement and p.statement.speaker_id:
            groups[p.statement.speaker_id].add(p.statement.id)
    return {frozenset(g) for g in groups.values()}


def open_services(folder: Path) -> Services:
    """Return services over the embedded index in a folder, rate limits off."""
    return build_services(load_settings({"store": {"path": str(folder)}, "server": {"rate_limit": ""}}, environ={}))


def order_check(records: list[dict[str, Any]], services: Services) -> dict[str, Any]:
    """Ingest the corpus in two shuffled orders and compare the entity partitions."""
    parts = []
    for seed in (1, 2):
        shuffled = records[:]
        random.Random(seed).shuffle(shuffled)
        with tempfile.TemporaryDirectory(prefix="qb-who-order-") as tmp:
            other = build_services(
                load_settings({"store": {"path": tmp}, "server": {"rate_limit": ""}}, environ={}),
                embedder=services.embedder,
            )
            # one article a call, as a newsroom feed would send them
            for r in shuffled:
                other.ingestor.ingest_articles([to_article(r)])
            parts.append(partition(other))
    diff = parts[0] ^ parts[1]
    return {"same_partition": not diff, "groups_differing": len(diff)}


def junk(services: Services, n: int = 100) -> list[dict[str, Any]]:
    """Return the n entities with most statements, with their kinds."""
    return [
        {"name": sp.name, "id": sp.id, "kind": sp.kind, "statements": sp.statement_count}
        for sp in services.speakers.all()[:n]
    ]


def junk_by_extraction(records: list[dict[str, Any]], n: int = 100) -> list[dict[str, Any]]:
    """Return the n largest entities without building an index: ingest resolves identity from each article alone,
    so extracting every article and adding up by entity id gives the entities an ingest would store."""
    from retrieval.identity.keys import name_rank
    from retrieval.quotes import article_speakers, extract_many

    counts: Counter[str] = Counter()
    names: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for statements in extract_many((r["text"], str(r["doc_id"])) for r in records):
        for sp in article_speakers(statements):
            counts[sp.id] += sp.statement_count
            names[sp.id] = min(names.get(sp.id, sp.name), sp.name, key=name_rank)
            kinds.setdefault(sp.id, sp.kind)
    return [{"name": names[i], "id": i, "kind": kinds[i], "statements": c} for i, c in counts.most_common(n)]


def main(argv: list[str] | None = None) -> int:
    """Ingest (or reuse) an index, score who-said-what, and print the table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", choices=("dev", "train"), default="dev", help="which PolNeAR split to ingest")
    ap.add_argument("--limit", type=int, default=None, help="only the first N articles")
    ap.add_argument("--keep", type=Path, default=None, help="build the index in this folder and keep it")
    ap.add_argument("--reuse", type=Path, default=None, help="score an index built with --keep")
    ap.add_argument("--order-check", action="store_true", help="ingest twice more in shuffled orders and compare")
    ap.add_argument("--junk", action="store_true", help="print the 100 entities with most statements, with kinds")
    ap.add_argument("--junk-only", action="store_true", help="list the 100 largest entities by extraction alone")
    ap.add_argument("--golden", type=Path, default=None, help="also ask the role/organisation golden questions")
    ap.add_argument("--include-heldout", action="store_true", help="train: keep the 84 held-out articles in")
    ap.add_argument("--show", type=int, default=0, help="print the N people with the lowest recall or precision")
    ap.add_argument("--out", type=Path, default=RESULTS / "who_said.json", help="where to write the JSON results")
    args = ap.parse_args(argv)

    records = load_records(require_corpus(SHARED / f"polnear_{args.corpus}.jsonl"), args.limit)
    if args.corpus == "train" and not args.include_heldout:
        # The held-out slice stays unread while rules are written, or its figure is no longer independent.
        skip = heldout_ids([str(r["doc_id"]) for r in load_records(SHARED / "polnear_train.jsonl")])
        records = [r for r in records if str(r["doc_id"]) not in skip]
    if args.junk_only:
        rows = junk_by_extraction(records)
        for i, row in enumerate(rows, start=1):
            print(f"{i:3d}. {row['statements']:4d}  {row['kind']:<12} {row['name']}")
        write_json(args.out, {"corpus": args.corpus, "junk": rows})
        return 0
    with tempfile.TemporaryDirectory(prefix="qb-who-") as tmp:
        folder = args.reuse or args.keep or Path(tmp)
        services = open_services(folder)
        t0 = time.perf_counter()
        if not args.reuse:
            services.ingestor.ingest_articles([to_article(r) for r in records])
        counts = services.store.counts()
        print(f"index: {counts.articles} articles, {counts.statements} statements, {counts.speakers} speakers "
              f"({time.perf_counter() - t0:.1f}s ingest)", flush=True)  # fmt: skip
        result: dict[str, Any] = {"corpus": args.corpus, "articles": counts.articles, "speakers": counts.speakers}
        # entities the speaker index reads as another person (surname-only, suffixed, misspelt, compound surnames)
        twins = surname_twins(services.store.list_speakers())
        result["read_as_another"] = sorted(t.name for ts in twins.values() for t in ts if len(t.name.split()) > 1)
        result["read_as_another_count"] = sum(map(len, twins.values()))
        print(f"entities read as another person: {result['read_as_another_count']} "
              f"(with several words: {', '.join(result['read_as_another']) or 'none'})", flush=True)  # fmt: skip
        if args.junk:
            result["junk"] = junk(services)
            for i, row in enumerate(result["junk"], start=1):
                print(f"{i:3d}. {row['statements']:4d}  {row['kind']:<12} {row['name']}")
        if args.corpus == "dev" or not args.junk:
            result.update(score(services, records))
            rows = [
                ("people (>= 2 named gold attributions)", str(result["people"]), ""),
                ("/speakers precision", str(result["speakers_precision"]), ">= 0.92"),
                ("/speakers recall (identity)", str(result["speakers_recall"]), ">= 0.85"),
                ("/ask precision", str(result["ask_precision"]), ">= 0.92"),
                ("/ask recall (of at most top_k 50)", str(result["ask_recall"]), ">= 0.85"),
                ("fragmentation (entities/person)", str(result["fragmentation"]), "<= 1.05"),
                ("contamination", str(result["contamination"]), "low"),
            ]
            if args.golden:
                from golden_who import ask_golden

                result["golden"] = ask_golden(services, args.golden)
                g = result["golden"]
                rows.append(("golden role/org questions right", f"{g['right']}/{g['n']} = {g['share']}", ">= 0.90"))
            if args.order_check:
                result["order"] = order_check(records, services)
                rows.append(("same partition in two shuffled orders", str(result["order"]["same_partition"]), "True"))
            print_table(rows)
            if args.show:
                worst = sorted(
                    result["rows"].values(),
                    key=lambda r: min(
                        r["speakers"]["hit"] / max(1, r["speakers"]["reachable"]),
                        r["speakers"]["tp"] / max(1, r["speakers"]["judged"]),
                    ),
                )
                for r in worst[: args.show]:
                    print(r)
        result.pop("rows", None) if not args.show else None
        write_json(args.out, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
