"""Accuracy and latency of quote verification on claims generated from PolNeAR's gold quotes.

Ingests the PolNeAR dev articles (or train with --corpus train) from <repo>/../shared/eval/ into a fresh temporary
embedded index, then builds claims from the gold annotated quotes that have quoted words: by default from every one
that suits a category (dev: 39 to 306 claims per category), because a sample of 40 per category swung a category's
accuracy by up to 0.10 from one seed to the next:

    verbatim        the gold quoted words                                  -> verified
    trimmed         a sub-span of >= 6 of those words                      -> verified
    ellipsis        two in-order pieces joined by " ... "                  -> verified
    substituted     one word replaced                                      -> altered
    negated         "not" inserted                                         -> altered
    number          a number changed                                       -> altered
    speaker_swap    the words, claimed for another speaker of the article  -> misattributed
    cross_article   another article's quoted words, claimed for this speaker -> misattributed
    invented        shuffled words or invented sentences                   -> not_found

The claimed speaker is the gold speaker mention (pronoun-only speakers are skipped). Gold and extracted statements
differ, so a claim counts as correct by its label only. Prints a table and writes benchmarks/results/verify.json
(numbers only: no corpus text goes into the repo).

    python benchmarks/bench_verify.py                      # dev: 84 articles
    python benchmarks/bench_verify.py --corpus train       # 840 articles (ingest takes a while on 2 cores)
    python benchmarks/bench_verify.py --show-errors 20     # print failing claims to the console for tuning

One self-contained benchmark script (over 350 lines): its corpus, workload, measurement and report read top to
bottom; what it shares with the others (corpora, servers, stage timing) is in benchmarks/harness.py.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import (
    RESULTS,
    SHARED,
    latency_summary,
    load_average,
    load_records,
    require_corpus,
    to_article,
    write_json,
)

from bot.services import build_services
from bot.settings import load_settings
from retrieval.filters import Filters
from retrieval.speakers import SpeakerIndex
from retrieval.verification import Verifier
from retrieval.verification.align import find_in_order
from retrieval.verification.normalise import parse_claim, tokenize

EXPECTED = {
    "verbatim": "verified",
    "trimmed": "verified",
    "ellipsis": "verified",
    "substituted": "altered",
    "negated": "altered",
    "number": "altered",
    "speaker_swap": "misattributed",
    "cross_article": "misattributed",
    "invented": "not_found",
}
MAX_SPEAKER_CHARS = 200  # VerifyRequest.speaker's limit
PRONOUNS = {"i", "he", "she", "it", "we", "they", "you", "who", "which", "that", "this", "said", "one"}
AUXILIARIES = {"is", "was", "are", "were", "will", "would", "can", "could", "should", "do", "does", "did", "has",
               "have", "had", "must", "may", "might"}  # fmt: skip
STOPWORDS = {"the", "a", "an", "and", "or", "but", "of", "to", "in", "on", "for", "with", "that", "this", "is",
             "was", "are", "were", "be", "it", "as", "at", "by", "we", "i", "he", "she", "they", "you", "not",
             "have", "has"}  # fmt: skip
SUBSTITUTES = ["purple", "bicycle", "orchestra", "glacier", "pancake", "volcano", "lighthouse", "saxophone",
               "umbrella", "crocodile", "meadow", "telescope"]  # fmt: skip
NUMBER_SWAPS = {"one": "two", "two": "three", "three": "four", "four": "five", "five": "six", "six": "seven",
                "seven": "eight", "eight": "nine", "nine": "ten", "ten": "eleven", "twenty": "thirty",
                "hundred": "thousand", "thousand": "million", "million": "billion", "billion": "million"}  # fmt: skip
# Sentences no news article in the corpus says; paired with real speakers they must come back not_found.
INVENTED = [
    "The harbour festival will feature twelve lantern boats this autumn",
    "Our bakery cooperative has doubled its sourdough output since the spring",
    "I have always believed that penguins make the finest chess partners",
    "The new tram line to the botanical garden opens on a Tuesday",
    "We will paint every lighthouse on the coast a cheerful shade of green",
    "My grandmother taught me to whistle through a blade of grass",
    "The orchestra rehearsed the symphony underwater for the documentary",
    "Nobody expected the snail race to draw such an enormous crowd",
    "Our committee recommends replacing all the stairs with gentle ramps and slides",
    "The volcano observatory reported a remarkably calm week for the goats",
    "I promise that the library will lend telescopes to every child next summer",
    "The glacier museum sold out of knitted mittens before lunchtime",
    "We are launching a satellite to count the migrating butterflies",
    "The village council voted to rename the duck pond after a famous jazz drummer",
    "My favourite breakfast is porridge with cardamom and roasted pears",
    "The ferry captain insists that dolphins follow the morning crossing",
    "Our research shows that houseplants grow faster when they hear cello music",
    "The marathon route will pass through three cheese factories and an aquarium",
    "I learned to juggle while waiting for the delayed night train",
    "The festival committee has ordered four thousand paper kites from the coast",
]


@dataclass(frozen=True)
class Quote:
    """A gold quote with quoted words: where it is, who said it, and the quoted spans' word offsets."""

    doc_id: str
    text: str  # the article text
    speaker: str
    spans: list[tuple[int, int]]  # quoted spans
    words: list[tuple[int, int]]  # word offsets of the longest quoted span


@dataclass(frozen=True)
class ClaimCase:
    """One generated claim and the label it should get."""

    category: str
    doc_id: str
    quote: str
    speaker: str

    @property
    def expected(self) -> str:
        """Return the label a correct verifier gives."""
        return EXPECTED[self.category]


def usable_speaker(mention: str | None, is_pronoun: bool) -> str | None:
    """Return the mention as a claimed speaker, or None for pronouns and nameless mentions."""
    if not mention or is_pronoun:
        return None
    name = mention.strip()
    if name.lower() in PRONOUNS or not any(w[:1].isupper() for w in name.split()):
        return None
    # /verify refuses a speaker over 200 characters (a few train mentions are whole clauses): not a name to claim
    return name if len(name) <= MAX_SPEAKER_CHARS else None


def gold_quotes(records: list[dict[str, Any]]) -> list[Quote]:
    """Return the gold quotes with quoted words and a named speaker."""
    out = []
    for rec in records:
        text = rec["text"]
        for q in rec.get("quotes", []):
            speaker = usable_speaker(q.get("speaker"), bool(q.get("speaker_is_pronoun")))
            spans = [(int(s), int(e)) for s, e in q.get("quoted_spans") or []]
            if not speaker or not spans:
                continue
            s, e = max(spans, key=lambda x: x[1] - x[0])
            words = [(m.start() + s, m.end() + s) for m in re.finditer(r"\S+", text[s:e])]
            out.append(Quote(rec["doc_id"], text, speaker, spans, words))
    return out


def name_tokens(name: str) -> set[str]:
    """Return the lowercase capitalised words of a name ("Mr. Trump" -> {"mr", "trump"})."""
    return {w.lower().strip(".,()") for w in name.split() if w[:1].isupper()}


def clean(text: str) -> str:
    """Return claim text without quote marks and edge punctuation left by cutting a span."""
    return text.strip(" \t\n\"'“”‘’.,;:!?()[]-–—")


def slice_words(q: Quote, i: int, j: int) -> str:
    """Return the article text of quoted words i..j-1."""
    return clean(q.text[q.words[i][0] : q.words[j - 1][1]])


def make_claims(quotes: list[Quote], per_category: int, seed: int) -> list[ClaimCase]:
    """Generate up to `per_category` claims of each category from the gold quotes."""
    rng = random.Random(seed)
    by_doc: dict[str, list[Quote]] = defaultdict(list)
    for q in quotes:
        by_doc[q.doc_id].append(q)
    long5 = [q for q in quotes if len(q.words) >= 5]
    claims: list[ClaimCase] = []

    def take(category: str, pool: list[Quote], build: Callable[[Quote], tuple[str, str] | None]) -> None:
        picked = 0
        for q in rng.sample(pool, len(pool)):
            if picked >= per_category:
                break
            made = build(q)
            if made and len(made[0].split()) >= 3:
                claims.append(ClaimCase(category, q.doc_id, made[0], made[1]))
                picked += 1

    def verbatim(q: Quote) -> tuple[str, str]:
        return slice_words(q, 0, len(q.words)), q.speaker

    def trimmed(q: Quote) -> tuple[str, str] | None:
        n = len(q.words)
        if n < 8:
            return None
        size = rng.randint(6, n - 1)
        i = rng.randint(0, n - size)
        return slice_words(q, i, i + size), q.speaker

    def ellipsis(q: Quote) -> tuple[str, str] | None:
        n = len(q.words)
        if n < 9:
            return None
        a = rng.randint(0, n - 9)
        b = a + rng.randint(3, 4)
        c = rng.randint(b + 1, n - 3)
        d = rng.randint(c + 3, n)
        return f"{slice_words(q, a, b)} ... {slice_words(q, c, d)}", q.speaker

    def substituted(q: Quote) -> tuple[str, str] | None:
        words = slice_words(q, 0, len(q.words)).split()
        options = [k for k, w in enumerate(words) if len(w) >= 4 and w.lower().strip(".,;:!?\"'”“’‘") not in STOPWORDS]
        if not options:
            return None
        k = rng.choice(options)
        words[k] = rng.choice([s for s in SUBSTITUTES if s != words[k].lower()])
        return " ".join(words), q.speaker

    def negated(q: Quote) -> tuple[str, str] | None:
        words = slice_words(q, 0, len(q.words)).split()
        lowered = [w.lower() for w in words]
        if {"not", "never", "no"} & set(lowered) or any(w.endswith("n't") or w.endswith("n’t") for w in lowered):
            return None
        auxes = [k for k, w in enumerate(lowered) if w in AUXILIARIES]
        k = (rng.choice(auxes) + 1) if auxes else rng.randint(1, len(words) - 1)
        return " ".join([*words[:k], "not", *words[k:]]), q.speaker

    def number(q: Quote) -> tuple[str, str] | None:
        words = slice_words(q, 0, len(q.words)).split()
        for k, w in enumerate(words):
            m = re.fullmatch(r"(\$?)(\d[\d,]*)(\.\d+)?(%?)([.,;:!?”’\"']*)", w)
            if m:
                value = int(m.group(2).replace(",", "")) + rng.randint(1, 9)
                words[k] = f"{m.group(1)}{value}{m.group(3) or ''}{m.group(4)}{m.group(5)}"
                return " ".join(words), q.speaker
            stem = w.lower().strip(".,;:!?\"'”’")
            if stem in NUMBER_SWAPS:
                words[k] = w.lower().replace(stem, NUMBER_SWAPS[stem])
                return " ".join(words), q.speaker
        return None

    def speaker_swap(q: Quote) -> tuple[str, str] | None:
        others = [o.speaker for o in by_doc[q.doc_id] if not (name_tokens(o.speaker) & name_tokens(q.speaker))]
        if not others:
            return None
        return slice_words(q, 0, len(q.words)), rng.choice(sorted(set(others)))

    def cross_article(q: Quote) -> tuple[str, str] | None:
        donors = [o for o in long5 if o.doc_id != q.doc_id and not (name_tokens(o.speaker) & name_tokens(q.speaker))]
        if not donors:
            return None
        donor = rng.choice(donors)
        return slice_words(donor, 0, len(donor.words)), q.speaker

    def invented(q: Quote) -> tuple[str, str] | None:
        if rng.random() < 0.5:
            return rng.choice(INVENTED), q.speaker
        words = slice_words(q, 0, len(q.words)).split()
        if len(words) < 6:
            return None
        shuffled = words[:]
        while shuffled == words:
            rng.shuffle(shuffled)
        return " ".join(shuffled), q.speaker

    take("verbatim", long5, verbatim)
    take("trimmed", long5, trimmed)
    take("ellipsis", long5, ellipsis)
    take("substituted", long5, substituted)
    take("negated", long5, negated)
    take("number", long5, number)
    take("speaker_swap", long5, speaker_swap)
    take("cross_article", long5, cross_article)
    take("invented", long5, invented)
    return claims


def main(argv: list[str] | None = None) -> int:
    """Ingest, generate claims, verify them, and report accuracy and latency; return an exit code."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", choices=("dev", "train"), default="dev", help="which PolNeAR split to ingest")
    ap.add_argument(
        "--per-category", type=int, default=1000, help="at most this many claims per category (default: every one)"
    )
    ap.add_argument("--seed", type=int, default=7, help="RNG seed for claim generation")
    ap.add_argument("--limit", type=int, default=None, help="ingest only the first N articles")
    ap.add_argument("--show-errors", type=int, default=0, help="print up to N wrong verdicts (console only)")
    ap.add_argument("--no-api", action="store_true", help="skip timing POST /verify through the Flask test client")
    ap.add_argument("--keep", type=Path, default=None, help="build the index in this folder and keep it")
    ap.add_argument("--reuse", type=Path, default=None, help="verify against an index built with --keep")
    ap.add_argument("--out", type=Path, default=RESULTS / "verify.json", help="where to write the JSON results")
    args = ap.parse_args(argv)

    path = require_corpus(SHARED / f"polnear_{args.corpus}.jsonl")
    records = load_records(path, args.limit)
    with tempfile.TemporaryDirectory(prefix="qb-verify-") as tmp:
        folder = args.reuse or args.keep or Path(tmp)
        # rate limits off: a latency benchmark through the API must time answers, not 429s
        config = {"store": {"path": str(folder)}, "server": {"rate_limit": ""}}
        services = build_services(load_settings(config, environ={}))
        t0 = time.perf_counter()
        if not args.reuse:
            services.ingestor.ingest_articles([to_article(r) for r in records])
        ingest_s = time.perf_counter() - t0
        counts = services.store.counts()
        print(f"index: {counts.articles} articles, {counts.statements} statements ({ingest_s:.1f}s ingest)", flush=True)
        verifier = getattr(services, "verifier", None) or Verifier(
            services.store, services.embedder, SpeakerIndex(services.store)
        )
        claims = make_claims(gold_quotes(records), args.per_category, args.seed)
        verifier.verify_claim("warm up the model and caches", None)

        results: list[tuple[ClaimCase, str, float]] = []
        cpu: list[float] = []
        for case in claims:
            t, c = time.perf_counter(), time.process_time()
            verdict = verifier.verify_claim(case.quote, case.speaker)
            results.append((case, verdict.label, time.perf_counter() - t))
            cpu.append(time.process_time() - c)
        api = None if args.no_api else time_api(services, claims)
        if args.show_errors:
            show_errors(services, verifier, results, args.show_errors)

    summary = summarise(results)
    summary.update(
        corpus=args.corpus,
        articles=counts.articles,
        statements=counts.statements,
        ingest_seconds=round(ingest_s, 1),
        seed=args.seed,
        per_category=args.per_category,
        latency_verify_claim=latency_summary([r[2] for r in results]),
        cpu_verify_claim=latency_summary(cpu),
        latency_api=api,
        load_average=load_average(),
        command="python benchmarks/bench_verify.py " + " ".join(argv if argv is not None else sys.argv[1:]),
    )
    print_report(summary)
    out = write_json(args.out, summary)
    print(f"wrote {out}")
    return 0


def show_errors(services: Any, verifier: Any, results: list[tuple[ClaimCase, str, float]], n: int) -> None:
    """Print wrong verdicts (console only) with whether an extracted statement of the article holds the words."""
    wrong = [(c, got) for c, got, _ in results if got != c.expected]
    for c, got in wrong[:n]:
        print(f"- [{c.category}] expected {c.expected}, got {got} | {c.speaker!r}: {c.quote!r} ({c.doc_id})")
        claim = parse_claim(c.quote)
        segments = [[t.norm for t in seg] for seg in claim.segments]
        _, ids = verifier.resolve(c.speaker)
        print(f"    claimed ids: {sorted(ids)}")
        for p in services.store.get_statements(Filters(article_id=c.doc_id)):
            st = p.statement
            toks = tokenize(st.text, st.start)
            quoted = [any(a <= t.start and t.end <= b for a, b in st.quoted) for t in toks]
            words = [t.norm for t in toks]
            if find_in_order(segments, words):
                inside = bool(find_in_order(segments, words, quoted))
                print(f"    in statement by {st.speaker!r} ({st.speaker_id}, {st.kind}, quoted={inside})")


def time_api(services: Any, claims: list[ClaimCase]) -> dict[str, float] | None:
    """Return POST /verify latencies through the Flask test client, or None when the route is absent."""
    from bot import create_app

    app = create_app(services=services)
    if not any(rule.rule == "/verify" for rule in app.url_map.iter_rules()):
        return None
    seconds = []
    with app.test_client() as client:
        for case in claims:
            t = time.perf_counter()
            res = client.post("/verify", json={"quote": case.quote, "speaker": case.speaker})
            seconds.append(time.perf_counter() - t)
            if res.status_code != 200:
                raise SystemExit(f"/verify answered {res.status_code} for a {case.category} claim: {res.get_json()}")
    return latency_summary(seconds)


def summarise(results: list[tuple[ClaimCase, str, float]]) -> dict[str, Any]:
    """Return accuracy per category, the macro average and the confusion of labels."""
    per: dict[str, dict[str, Any]] = {}
    for category in EXPECTED:
        rows = [(c, got) for c, got, _ in results if c.category == category]
        if not rows:
            continue
        correct = sum(got == c.expected for c, got in rows)
        per[category] = {
            "expected": EXPECTED[category],
            "n": len(rows),
            "correct": correct,
            "accuracy": round(correct / len(rows), 3),
            "labels": dict(Counter(got for _, got in rows).most_common()),
        }
    macro = sum(p["accuracy"] for p in per.values()) / len(per) if per else 0.0
    return {"categories": per, "macro_accuracy": round(macro, 3), "claims": len(results)}


def print_report(summary: dict[str, Any]) -> None:
    """Print the accuracy table and the latencies."""
    print("\n| category | expected | n | accuracy | labels |\n|---|---|---|---|---|")
    for name, p in summary["categories"].items():
        labels = ", ".join(f"{k} {v}" for k, v in p["labels"].items())
        print(f"| {name} | {p['expected']} | {p['n']} | {p['accuracy']:.3f} | {labels} |")
    print(f"| **macro** | | {summary['claims']} | **{summary['macro_accuracy']:.3f}** | |")
    lat = summary["latency_verify_claim"]
    print(f"\nverify_claim latency: p50 {lat['p50_ms']} ms, p95 {lat['p95_ms']} ms, mean {lat['mean_ms']} ms")
    if summary.get("latency_api"):
        api = summary["latency_api"]
        print(f"POST /verify latency: p50 {api['p50_ms']} ms, p95 {api['p95_ms']} ms, mean {api['mean_ms']} ms")
    cpu = summary["cpu_verify_claim"]
    print(f"verify_claim CPU time: p50 {cpu['p50_ms']} ms, p95 {cpu['p95_ms']} ms (robust to a busy machine)")
    print(f"load average: {summary['load_average']}")


if __name__ == "__main__":
    raise SystemExit(main())
