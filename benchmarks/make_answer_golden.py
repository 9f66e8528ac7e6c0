"""Write the dev answer golden (issue #14): questions over the PolNeAR dev gold, one `kind` per case, fixed seed.

Reads ../shared/eval/polnear_dev.jsonl (gold attributions) and benchmarks/paraphrases_dev.json (hand-written
paraphrases and not-said claims, split calibrate/golden; only the golden split is asked here) and writes a golden
YAML (the format of tests/golden/seed.yaml, docs/pytest-plugin.md) to benchmarks/results/, which git ignores: the
file quotes PolNeAR text, so this script is the committed artefact, never its output.

Kinds (about --per-kind cases each; the paraphrase kinds take the golden split of the paraphrase file):

    named                 "what did <full name> say?"                  speaker; first citation one of their statements
    topic                 "what did <name> say about <words>?"         speaker; first citation the statement the
                                                                        words come from (words none of their other
                                                                        statements has)
    paraphrase_who        "who said <hand-written paraphrase>?"        speaker; first citation the paraphrased one
    verify_exact          'did <name> say "<their quoted words>"?'     verified, by them
    verify_altered        the same with one or two words dropped, or   altered, by them
                          "not" inserted
    verify_paraphrase     "did <name> say <paraphrase>?"               paraphrase, by them
    verify_misattributed  'did <other> say "<their words>"?'           misattributed, to the real speaker (the other
                                                                        person is named in the same article)
    verify_invented       "did <name> say <not-said claim>?"           not_found
    group                 "what are Democrats/Republicans saying       speaker any of that party (read from the
                          about <words>?"                               texts: "(D-Calif.)", "Republican Sen. X")
    followup              "what did X say?" then "when did he say      speaker kept; the publication date, or
                          that?" / "what else did he say?"              another of their statements

Only attributions whose gold speaker mention names a person are used (the name is completed from the article text
as in bench_who_said.py); a pronoun attribution counts as the nearest preceding named speaker's, only to widen the
set of acceptable first citations of "what did X say?". Expected citations are six-word runs from the middle of
the gold content (one sentence, one fragment), so a citation cut a little differently still contains them; each
fragment of four or more words gives one, since any of a statement's quotations cites it (named, topic, paraphrase).

    python benchmarks/make_answer_golden.py                     # -> benchmarks/results/answer_golden_dev.yaml
    python benchmarks/make_answer_golden.py --per-kind 12 --seed 14 --out /tmp/golden.yaml

One self-contained benchmark script (over 350 lines): its corpus, workload, measurement and report read top to
bottom; what it shares with the others (corpora, servers, stage timing) is in benchmarks/harness.py.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bench_who_said import STARTERS, TITLES, UNCLEAR, gold_person
from harness import RESULTS, SHARED, load_records, require_corpus

HERE = Path(__file__).resolve().parent
PARAPHRASES = HERE / "paraphrases_dev.json"
SNIPPET_WORDS = 6
FRAGMENT_WORDS = 4  # a statement's other fragments this long are expected citations too
_STRIP = " \t\n,.;:!?“”\"‘’'—–-()[]…"
# Words that carry no topic: a topic question built from them would match anything.
_STOP = frozenset(
    """about above after again against almost also always among another anyone anything around because been before
    being below between both cannot could didn does doesn doing done down during each either enough even ever every
    first from further going gonna great have having here hers herself him himself into itself just know last least
    less like made make many maybe might more most much must myself never next none nothing once only other others
    ought ours over own really right said same says see seen should since some something still such sure take than
    that their theirs them themselves then there these they thing things think this those though through thus today
    together told tonight toward under until upon very want wanted was were what whatever when where whether which
    while whom whose will with within without would year years yesterday your yours people time times well good new
    says saying tell tells telling going come comes came back away look looks looked actually lot lots way ways
    stuff kind kinds monday tuesday wednesday thursday friday saturday sunday week weeks month months day days night
    morning
    january february march april june july august september october november december""".split()  # noqa: SIM905
)
_AUX = re.compile(r"^(is|are|was|were|will|would|can|could|should|do|does|did|has|have|had|must)$", re.I)
_PARTY = {"D": "Democrats", "R": "Republicans"}
_TITLE_WORDS = (
    r"(?:(?:Sen\.|Rep\.|Gov\.|Senator|Representative|Congressman|Congresswoman|presidential|vice|nominee|candidate|"
    r"running|mate|leader|pollster|strategist|operative|chairman|former|Party|Whip|Minority|Majority|Leader|"
    r"National|Committee)\s+){0,3}"
)


@dataclass(frozen=True)
class Stmt:
    """One gold attribution with the person it names (or inherits from a pronoun) and the article's date."""

    doc: str
    index: int
    name: str  # display name, as the article writes it ("Ava DuVernay")
    key: str  # gold_person key ("ava duvernay")
    named: bool  # the mention names the person (False: a pronoun after them)
    kind: str  # direct | mixed | indirect
    spans: tuple[tuple[int, int], ...]
    quoted: tuple[tuple[int, int], ...]
    published: str


def display_name(name: str, text: str) -> str | None:
    """Return the name as the article writes it ("Mitch McConnell", "Mary J. Blige"); None if it never does."""
    first, last = name.split(" ")[0], name.split(" ")[-1]
    m = re.search(rf"\b({re.escape(first)})\s+((?:[A-Z]\.\s+)?)({re.escape(last)})\b", text, re.I)
    if m is None or not m.group(1)[:1].isupper():
        return None  # "bin Laden": a particle, not a first name
    return f"{m.group(1)} {m.group(2)}{m.group(3)}"


def ambiguous(mention: str, name: str, text: str) -> bool:
    """Return whether a bare-surname mention could be several people the article names ("Gary" and "Jeh Johnson")."""
    first, last = name.split(" ")[0], name.split(" ")[-1]
    if re.search(rf"\b{re.escape(first)}\b", mention, re.I):
        return False
    firsts = {
        m.group(1).lower()
        for m in re.finditer(rf"\b([A-Z][a-z]+)\s+(?:[A-Z]\.\s+)?{re.escape(last)}\b", text)
        if m.group(1).lower() not in TITLES | STARTERS
    }
    return len(firsts) > 1


def statements(records: list[dict[str, Any]]) -> list[Stmt]:
    """Return the gold attributions that name a person, plus pronoun ones given to the last-named speaker before."""
    out: list[Stmt] = []
    for r in records:
        text = r["text"]
        last: tuple[str, str] | None = None
        quotes = sorted(enumerate(r["quotes"]), key=lambda iq: iq[1].get("speaker_start") or iq[1]["quote_start"])
        # the texts open with the headline: a headline is never a statement (issue #14), so none is expected
        first = text.find("\n\n")
        body = first if 0 < first <= len(str(r.get("title") or "")) + 10 else 0
        for i, q in quotes:
            if q["quote_start"] < body:
                continue
            mention = (q.get("speaker") or "").strip()
            person = gold_person(mention, text) if mention else None
            named = person is not None and person is not UNCLEAR
            who: tuple[str, str] | None = None
            if named and person is not None and not ambiguous(mention, person.name, text):
                shown = display_name(person.name, text)
                who = (shown, person.key) if shown else None
                last = who
            elif mention.lower() in {"he", "she"}:
                who = last
            if who is None:
                continue
            spans = tuple(tuple(s) for s in q.get("quote_spans") or [[q["quote_start"], q["quote_end"]]])
            quoted = tuple(tuple(s) for s in q.get("quoted_spans") or [])
            out.append(
                Stmt(r["doc_id"], i, who[0], who[1], named, q["type"], spans, quoted, r.get("publication_date", ""))  # type: ignore[arg-type]
            )
    # one name per person across articles: the form the articles write most ("Donald Trump", not "Donald J. Trump")
    forms: dict[str, Counter[str]] = defaultdict(Counter)
    for s in out:
        forms[s.key][s.name] += 1
    usual = {k: min(c, key=lambda n: (-c[n], n)) for k, c in forms.items()}
    return [replace(s, name=usual[s.key]) for s in out]


def _words(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return [(start + m.start(), start + m.end()) for m in re.finditer(r"\S+", text[start:end])]


def snippet(text: str, span: tuple[int, int], n: int = SNIPPET_WORDS) -> str:
    """Return about n words from the middle of a span, inside one sentence, without edge punctuation."""
    words = _words(text, *span)
    if len(words) <= n:
        return text[span[0] : span[1]].strip(_STRIP)
    windows = range(len(words) - n + 1)
    mid = (len(words) - n) / 2

    def ends_sentence(k: int) -> bool:
        return bool(re.search(r"[.!?][”\"’']?$", text[words[k][0] : words[k][1]]))

    inside = [w for w in windows if not any(ends_sentence(k) for k in range(w, w + n - 1))]
    best = min(inside or windows, key=lambda w: (abs(w - mid), w))
    return text[words[best][0] : words[best + n - 1][1]].strip(_STRIP)


def stmt_snippet(s: Stmt, texts: dict[str, str]) -> str:
    """Return the snippet of a statement's longest content fragment."""
    return snippet(texts[s.doc], max(s.spans, key=lambda sp: sp[1] - sp[0]))


def stmt_snippets(s: Stmt, texts: dict[str, str]) -> set[str]:
    """Return the expected-citation snippets of a statement (`span_snippets`)."""
    return span_snippets(texts[s.doc], s.spans)


def span_snippets(text: str, spans: Sequence[Sequence[int]]) -> set[str]:
    """Return the snippet of the longest fragment and of every other fragment of FRAGMENT_WORDS or more.

    A citation of any fragment cites the statement: '“This museum tells …,” Mr. Bush declared. “Even today …”' may be
    cited by either quotation. A shorter fragment ("as") would match any citation, so it is left out.
    """
    longest = max(spans, key=lambda sp: sp[1] - sp[0])
    return {snippet(text, (longest[0], longest[1]))} | {
        snippet(text, (a, b)) for a, b in spans if len(_words(text, a, b)) >= FRAGMENT_WORDS
    }


def topic_nouns(texts: list[str]) -> list[list[str]]:
    """Return each text's nouns and proper nouns (3+ letters, no stop words), in order, once each."""
    from retrieval.quotes.parsing import coarse, parse  # the project's one spaCy importer

    out: list[list[str]] = []
    for doc in parse(texts):
        seen: dict[str, None] = {}
        for tok in doc:
            pos = coarse(tok)
            word = tok.text if pos == "PROPN" else tok.text.lower()
            if pos in ("NOUN", "PROPN") and len(word) >= 3 and word.isalpha() and word.lower() not in _STOP:
                seen.setdefault(word, None)
        out.append(list(seen))
    return out


def has_word(text: str, word: str) -> bool:
    """Return whether a text holds a word (whole word, any case)."""
    return re.search(rf"\b{re.escape(word)}\b", text, re.I) is not None


def quoted_claim(s: Stmt, text: str, lo: int = 8, hi: int = 30) -> tuple[str, tuple[int, int]] | None:
    """Return the words of a statement's longest quoted span (no quote marks inside) when lo..hi words long."""
    if not s.quoted:
        return None
    span = max(s.quoted, key=lambda sp: sp[1] - sp[0])
    claim = text[span[0] : span[1]].strip(_STRIP)
    if re.search(r"[\"“”\[\]…:]|\.\.\.|\n", claim) or not lo <= len(claim.split()) <= hi:
        return None
    return claim, span


def altered(claim: str, variant: int) -> str | None:
    """Return the claim with one word dropped, two words dropped, or "not" inserted after an auxiliary verb."""
    words = claim.split()
    inner = [i for i in range(1, len(words) - 1) if len(words[i].strip(_STRIP)) >= 4]
    if variant == 2:
        aux = [i for i in range(len(words) - 1) if _AUX.match(words[i]) and words[i + 1].lower() != "not"]
        if aux:
            return " ".join([*words[: aux[0] + 1], "not", *words[aux[0] + 1 :]])
        variant = 1
    if variant == 1 and len(inner) >= 3:
        drop = {inner[len(inner) // 3], inner[2 * len(inner) // 3]}
    elif inner:
        drop = {inner[len(inner) // 2]}
    else:
        return None
    return " ".join(w for i, w in enumerate(words) if i not in drop)


def party_of(names: set[str], records: list[dict[str, Any]]) -> dict[str, str]:
    """Return name -> "D" or "R" where the texts say so ("(D-Calif.)", "Republican Sen. X") and never otherwise."""
    votes: dict[str, dict[str, int]] = defaultdict(lambda: {"D": 0, "R": 0})
    for r in records:
        t = r["text"]
        for name in names:
            first, last = map(re.escape, (name.split(" ")[0], name.split(" ")[-1]))
            full = rf"{first}\s+(?:[A-Z]\.\s+)?{last}"
            for m in re.finditer(rf"\b(Democratic|Democrat|Republican|GOP)\s+{_TITLE_WORDS}{full}\b", t):
                votes[name]["R" if m.group(1) in ("Republican", "GOP") else "D"] += 1
            for m in re.finditer(rf"\b{full}\s*,?\s*\(?([DR])-[A-Z][a-zA-Z.]*", t):
                votes[name][m.group(1)] += 1
    return {n: max(v, key=lambda p: v[p]) for n, v in votes.items() if (v["D"] > 0) != (v["R"] > 0)}


def pronoun(name: str, text: str) -> str:
    """Return "she" or "he": the pronoun written more often in the sentences that name the person's surname."""
    last = name.split(" ")[-1]
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if last in s]
    she = sum(len(re.findall(r"\b(?:she|her|hers)\b", s, re.I)) for s in sentences)
    he = sum(len(re.findall(r"\b(?:he|his|him)\b", s, re.I)) for s in sentences)
    return "she" if she > he else "he"


def pretty_date(published: str) -> str:
    """Return a date as quotebot's answers write it ("8 September 2016")."""
    from datetime import date

    d = date.fromisoformat(published[:10])
    return f"{d.day} {d.strftime('%B %Y')}"


def slug(text: str) -> str:
    """Return a short id part."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:24]


def build(records: list[dict[str, Any]], para: dict[str, Any], per_kind: int, seed: int) -> list[dict[str, Any]]:
    """Return the golden cases, deterministic for a seed."""
    rng = random.Random(seed)
    texts = {r["doc_id"]: r["text"] for r in records}
    titles = {r["doc_id"]: str(r.get("title") or "") for r in records}
    quotes = {(r["doc_id"], i): q for r in records for i, q in enumerate(r["quotes"])}
    stmts = statements(records)
    named = [s for s in stmts if s.named]
    by_person: dict[str, list[Stmt]] = defaultdict(list)  # named and inherited: any of them is "theirs"
    for s in stmts:
        by_person[s.name].append(s)
    own: dict[str, list[Stmt]] = defaultdict(list)  # named only
    for s in named:
        own[s.name].append(s)
    people = sorted(own)
    cases: list[dict[str, Any]] = []
    used: set[tuple[str, int]] = set()  # statements already a verify claim

    def add(kind: str, label: str, **case: Any) -> None:
        cases.append(
            {"id": f"{kind}-{sum(c['kind'] == kind for c in cases) + 1:02d}-{slug(label)}", "kind": kind, **case}
        )

    def theirs(name: str) -> list[str]:
        return sorted({snip for s in by_person[name] for snip in stmt_snippets(s, texts)})

    # named: people with 2-40 statements of their own (the two nominees would make it a test of two people)
    for name in rng.sample([p for p in people if 2 <= len(own[p]) <= 40], per_kind):
        add("named", name, question=f"what did {name} say?", speaker=name, first_cites=theirs(name))

    def content(s: Stmt) -> str:
        return " ".join(texts[s.doc][a:b] for a, b in s.spans)

    nouns = dict(zip(named, topic_nouns([content(s) for s in named]), strict=True))

    # topic: nouns of one statement that none of the person's other statements has
    topic_people = [p for p in people if len(own[p]) >= 3]
    rng.shuffle(topic_people)
    for name in topic_people:
        if sum(c["kind"] == "topic" for c in cases) >= per_kind:
            break
        mine = sorted(own[name], key=lambda s: (s.doc, s.index))
        for s in rng.sample(mine, len(mine)):
            others = " ".join(content(o) for o in by_person[name] if o != s)
            words = [w for w in nouns[s] if not has_word(others, w) and not has_word(name, w)]
            if len(words) >= 2:
                topic = " ".join(words[:3])
                add(
                    "topic",
                    f"{name} {topic}",
                    question=f"what did {name} say about {topic}?",
                    speaker=name,
                    first_cites=sorted(stmt_snippets(s, texts)),
                )
                break

    # paraphrases (golden split): alternately who-said and did-X-say
    for j, p in enumerate(x for x in para["paraphrases"] if x["split"] == "golden"):
        q = quotes[(p["doc_id"], p["quote_index"])]
        spans = q.get("quote_spans") or [[q["quote_start"], q["quote_end"]]]
        firsts = sorted(span_snippets(texts[p["doc_id"]], spans))
        claim = p["claim"].rstrip(".?!")
        used.add((p["doc_id"], p["quote_index"]))
        if j % 2 == 0:
            add("paraphrase_who", p["speaker"], question=f"who said {claim}?", speaker=p["speaker"], first_cites=firsts)
        else:
            add(
                "verify_paraphrase",
                p["speaker"],
                question=f"did {p['speaker']} say {claim}?",
                verdict={"label": "paraphrase", "speaker": p["speaker"]},
                first_cites=firsts,
            )
    for p in (x for x in para["negatives"] if x["split"] == "golden"):
        claim = p["claim"].rstrip(".?!")
        add("verify_invented", p["speaker"], question=f"did {p['speaker']} say {claim}?", verdict="not_found")

    # verify kinds from quoted words, one statement each, spread over people
    quotable = [(s, c) for s in named if (c := quoted_claim(s, texts[s.doc])) and (s.doc, s.index) not in used]
    rng.shuffle(quotable)
    docs_people: dict[str, set[str]] = defaultdict(set)
    for s in named:
        docs_people[s.doc].add(s.name)
    counts: dict[str, int] = defaultdict(int)
    per_name: dict[str, int] = defaultdict(int)
    for s, (claim, span) in quotable:
        if per_name[s.name] >= 2:
            continue
        first = snippet(texts[s.doc], span)
        claimants = sorted(
            n for n in docs_people[s.doc] if n.split()[-1] != s.name.split()[-1] and not has_word(claim, n.split()[-1])
        )
        kind = next(
            (k for k in ("verify_exact", "verify_altered", "verify_misattributed") if counts[k] < per_kind), None
        )
        if kind is None:
            break
        if kind == "verify_misattributed" and not claimants:
            kind = next((k for k in ("verify_exact", "verify_altered") if counts[k] < per_kind), None)
            if kind is None:
                continue
        if kind == "verify_exact":
            add(kind, s.name, question=f'did {s.name} say "{claim}"?', verdict={"label": "verified", "speaker": s.name},
                first_cites=[first])  # fmt: skip
        elif kind == "verify_altered":
            changed = altered(claim, counts[kind] % 3)
            if changed is None:
                continue
            verdict = {"label": "altered", "speaker": s.name}
            add(kind, s.name, question=f'did {s.name} say "{changed}"?', verdict=verdict, first_cites=[first])
        else:
            other = claimants[rng.randrange(len(claimants))]
            add(kind, f"{other} {s.name}", question=f'did {other} say "{claim}"?',
                verdict={"label": "misattributed", "speaker": s.name}, first_cites=[first])  # fmt: skip
        counts[kind] += 1
        per_name[s.name] += 1
        used.add((s.doc, s.index))

    # group: a party member's statement gives the topic; any member of that party may answer
    party = party_of(set(people), records)
    name_words = {w.lower() for p in people for w in p.replace(".", " ").split()}
    for code in ("D", "R"):  # Democrats first: fewer are named with a party, the Republicans fill up the rest
        members = sorted(n for n, p in party.items() if p == code)
        pool = sorted((s for s in named if s.name in members), key=lambda s: (s.doc, s.index))
        rng.shuffle(pool)
        per_name = defaultdict(int)  # cases per person within this party
        topics: set[frozenset[str]] = set()
        for s in pool:
            if sum(c["kind"] == "group" for c in cases) >= ((per_kind + 1) // 2 if code == "D" else per_kind):
                break
            if per_name[s.name] >= 2:
                continue
            title = titles[s.doc]
            # the story's subject: the statement's nouns that are no one's name and that the article repeats,
            # headline words first, then by how often the article uses them; at least one from the headline
            art = texts[s.doc]
            uses = {w: len(re.findall(rf"\b{w}\b", art, re.I)) for w in nouns[s]}
            found = [w for w in nouns[s] if w.lower() not in name_words and uses[w] >= 2]
            ranked = sorted(found, key=lambda w: (not has_word(title, w), -uses[w]))
            words = sorted(ranked[:2], key=found.index)
            topic = " ".join(words)
            if (
                len(words) < 2
                or not any(has_word(title, w) for w in words)
                or frozenset(topic.lower().split()) in topics
            ):
                continue
            per_name[s.name] += 1
            topics.add(frozenset(topic.lower().split()))
            on_topic = {stmt_snippet(s, texts)} | {
                stmt_snippet(o, texts) for o in pool if all(has_word(content(o), w) for w in words)
            }
            add(
                "group",
                f"{_PARTY[code]} {topic}",
                question=f"what are {_PARTY[code]} saying about {topic}?",
                speaker_any=members,
                first_cites=sorted(on_topic),
            )

    # followup: people who speak in one article only (one publication date), 2+ statements of their own
    single = [p for p in people if len({s.doc for s in by_person[p]}) == 1 and len(own[p]) >= 2]
    for j, name in enumerate(rng.sample(single, min(per_kind, len(single)))):
        doc = by_person[name][0].doc
        he = pronoun(name, texts[doc])
        first_turn: dict[str, Any] = {"question": f"what did {name} say?", "intent": "speaker_statements",
                                      "speaker": name, "first_cites": theirs(name)}  # fmt: skip
        second: dict[str, Any]
        if j % 2 == 0:
            second = {"question": f"when did {he} say that?", "intent": "when", "speaker": name,
                      "answer_contains": pretty_date(by_person[name][0].published)}  # fmt: skip
        else:
            first_turn["top_k"] = 1  # one statement now, so "what else" has others to give
            second = {"question": f"what else did {he} say?", "intent": "speaker_statements", "speaker": name,
                      "first_cites": theirs(name)}  # fmt: skip
        add("followup", name, conversation=[first_turn, second])
    return cases


def main(argv: list[str] | None = None) -> int:
    """Write the golden YAML and print how many cases of each kind it holds."""
    import yaml

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dev", type=Path, default=SHARED / "polnear_dev.jsonl", help="the PolNeAR dev gold")
    ap.add_argument("--paraphrases", type=Path, default=PARAPHRASES, help="hand-written claims (golden split used)")
    ap.add_argument("--out", type=Path, default=RESULTS / "answer_golden_dev.yaml")
    ap.add_argument("--per-kind", type=int, default=12, help="cases per generated kind (default 12)")
    ap.add_argument("--seed", type=int, default=14)
    args = ap.parse_args(argv)
    records = load_records(require_corpus(args.dev))
    para = json.loads(args.paraphrases.read_text(encoding="utf-8"))
    cases = build(records, para, args.per_kind, args.seed)
    doc = {
        "note": (
            f"Generated by benchmarks/make_answer_golden.py --seed {args.seed} --per-kind {args.per_kind} from "
            f"{args.dev.name}; quotes PolNeAR text: never commit. No corpus: key, so `quotebot eval` answers from "
            "the configured index (QUOTEBOT_STORE__PATH) or from --corpus."
        ),
        "cases": cases,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=120), encoding="utf-8")
    kinds: dict[str, int] = defaultdict(int)
    for c in cases:
        kinds[c["kind"]] += 1
    print(f"wrote {len(cases)} cases to {args.out}: " + ", ".join(f"{k} {n}" for k, n in kinds.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
