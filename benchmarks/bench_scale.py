"""Scale benchmark: grow one index on a `chroma run` server through 10k, 50k and 100k+ chunks and measure each size.

The corpus is generated from the 924 PolNeAR train+dev articles (read from <repo>/../shared/eval at run time, never
copied): round r regroups the articles by publication date (days with fewer than 3 articles merged with the next
day), pools each group's paragraphs, shuffles them with a seed fixed by (seed, r, group) and deals them back into
as many new articles as the group had, each keeping one original's paragraph count, title (suffixed " [r]") and
date, with a new id `scale-r<r>-<n>`. Every article then goes through the real ingest pipeline
(`Ingestor.ingest_articles`: chunking, spaCy statement extraction, speaker identity, Chroma writes), so statements
and speakers are real.

Embedding 100k+ chunks and ~2 statements per chunk with the real model costs about an hour of CPU on the 2 shared
cores, so the FILL between measured sizes uses a documented cheaper embedder (`ComposedEmbedder`), never random
vectors: every unique sentence of the 924 articles is embedded once with the real model; a text that is one
sentence (most statements) gets its own real vector, exactly; a longer text (a chunk) gets the length-weighted,
renormalised sum of its sentences' real vectors, a partial sentence at a chunk edge standing for the whole sentence it
starts or ends; a piece found nowhere (a statement fragment, say) is embedded with the real model and cached. What is
MEASURED uses the real model only: at each size a fresh batch of generated articles is ingested with the real
`SentenceTransformerEmbedder` (ingest articles/s), and every /ask and /verify query is embedded by the API's own
model.

Per size: ingest articles/s (real batch), /ask p50/p95 (a fixed, seeded mix: "what did X say?", "who said ...?",
topic searches) and /verify p50/p95 (real quotes, altered ones, misattributed ones), paced over ~80 s so the API's
periodic refreshes land inside the measurement, through gunicorn (1 worker, the production app) on the same Chroma
server; the RSS of that API worker; the index size on disk. Results: benchmarks/results/scale.json and a table.

    python benchmarks/bench_scale.py --keep /tmp/qb-scale            # 10k, 50k, 100k chunks; resumable
    python benchmarks/bench_scale.py --keep /tmp/qb-scale --sizes 10000,50000,100000,120000
    python benchmarks/bench_scale.py --keep /tmp/qb-scale --measure-only   # re-measure the index as it is now

`--keep DIR` holds the Chroma folder, the sentence vectors, the fill cursor and the results of each size, so a
stopped run resumes where it stopped (sizes already measured are not measured again unless --measure-only).

One self-contained benchmark script (over 350 lines): its corpus, workload, measurement and report read top to
bottom; what it shares with the others (corpora, servers, stage timing) is in benchmarks/harness.py.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from bench_load import Gunicorn, alter, app_env, request
from harness import (
    REPO,
    RESULTS,
    SHARED,
    latency_summary,
    load_average,
    load_records,
    print_table,
    to_article,
    write_json,
)

from retrieval.chunking import split
from retrieval.embedding import SentenceTransformerEmbedder, Vectors
from retrieval.filters import Filters
from retrieval.identity.keys import name_rank, scope_key
from retrieval.ingest import IngestOptions, Ingestor, content_hash
from retrieval.models import Article, Source, Speaker, Statement, content_id
from retrieval.quotes import article_speakers, extract_many
from retrieval.records import chunk_meta, speaker_meta, statement_meta
from retrieval.store import (
    COMPLETE,
    LATEST_KEPT,
    ArticleWrite,
    Store,
    published_int,
)
from tests.servers import ChromaServer

CORPORA = (SHARED / "polnear_train.jsonl", SHARED / "polnear_dev.jsonl")
SIZES = (10_000, 50_000, 100_000)
PREFIX = "scale"
FILL_BATCH = 128  # articles per write of the fill
REAL_BATCH = 10  # articles ingested with the real embedder at each size to measure articles/s
ASKS, VERIFIES, WARMUP = 160, 80, 10
PACE_SECONDS = 70.0  # spread the timed requests over this long: the speaker index refreshes every 10-60 s
TARGET_ASK_P95_MS = 200.0
TARGET_P50_GROWTH = 2.0
_SENTENCE = re.compile(r"(?<=[.!?])[\"”’)]*\s+|\n+")
_EDGE = 40  # characters that key a partial sentence to the whole one


# ---- the generated corpus --------------------------------------------------------------------------------------


def base_articles() -> list[Article]:
    """Return the 924 PolNeAR train+dev articles, oldest first."""
    for path in CORPORA:
        if not path.is_file():
            raise SystemExit(f"corpus not found: {path} (it lives in <repo>/../shared/eval/, never in the repo)")
    articles = [to_article(r) for path in CORPORA for r in load_records(path)]
    return sorted(articles, key=lambda a: (a.published, a.id))


def day_groups(articles: Sequence[Article], minimum: int = 3) -> list[list[Article]]:
    """Group articles by publication day, merging a day with fewer than `minimum` articles into the next."""
    groups: list[list[Article]] = []
    current: list[Article] = []
    for i, a in enumerate(articles):
        current.append(a)
        last = i == len(articles) - 1
        if last or (articles[i + 1].published != a.published and len(current) >= minimum):
            groups.append(current)
            current = []
    if len(groups) > 1 and len(groups[-1]) < minimum:
        groups[-2].extend(groups.pop())
    return groups


@dataclass(frozen=True)
class Placed:
    """A paragraph of a base article placed in a generated one: where it was and where it went."""

    source: str
    old: int
    new: int
    length: int


def paragraphs(text: str) -> list[tuple[int, str]]:
    """Return the non-empty paragraphs of a text with their offsets."""
    out, pos = [], 0
    for part in text.split("\n\n"):
        if part.strip():
            out.append((pos, part))
        pos += len(part) + 2
    return out


def generate(groups: Sequence[Sequence[Article]], rnd_round: int, seed: int) -> list[tuple[Article, list[Placed]]]:
    """Return round `rnd_round` of the corpus: each group's paragraphs shuffled across its articles, new ids."""
    out: list[tuple[Article, list[Placed]]] = []
    for g, group in enumerate(groups):
        pool = [(a.id, off, p) for a in group for off, p in paragraphs(a.text)]
        random.Random(seed * 1_000_003 + rnd_round * 10_007 + g).shuffle(pool)
        at = 0
        for a in group:
            n = max(1, len(paragraphs(a.text)))
            # a content-hash id like an uploaded file's (its first 8 characters scope an article's own entities)
            new_id = content_id("scale", str(seed), str(rnd_round), str(len(out)))
            placed, parts, pos = [], [], 0
            for source, off, text in pool[at : at + n]:
                placed.append(Placed(source, off, pos, len(text)))
                parts.append(text)
                pos += len(text) + 2
            at += n
            article = Article(
                id=new_id, text="\n\n".join(parts), title=f"{a.title} [{rnd_round}]", source=a.source,
                published=a.published,
            )  # fmt: skip
            out.append((article, placed))
    return out


def base_statements(articles: Sequence[Article], cache: Path) -> dict[str, list[Statement]]:
    """Return the statements the real extractor finds in each base article (extracted once, cached in --keep)."""
    if not cache.is_file():
        t0 = time.perf_counter()
        found = extract_many(((a.text, a.id) for a in articles), n_process=1)
        data = {a.id: [st.to_dict() for st in sts] for a, sts in zip(articles, found, strict=True)}
        cache.write_text(json.dumps(data), encoding="utf-8")
        print(f"extracted the statements of {len(articles)} base articles in {time.perf_counter() - t0:.0f} s")
    raw = json.loads(cache.read_text(encoding="utf-8"))
    return {
        a: [
            Statement(**{**d, "fragments": tuple(map(tuple, d["fragments"])), "quoted": tuple(map(tuple, d["quoted"]))})
            for d in sts
        ]
        for a, sts in raw.items()
    }


def transplant(article: Article, placed: Sequence[Placed], base: dict[str, list[Statement]]) -> list[Statement]:
    """Return the base statements that lie wholly inside a moved paragraph, moved with it into `article`."""
    out: list[Statement] = []
    for pl in placed:
        shift = pl.new - pl.old
        for st in base.get(pl.source, []):
            spans = [(st.start, st.end), *st.fragments, *st.quoted]
            spans += [
                (x, y)
                for x, y in ((st.mention_start, st.mention_end), (st.cue_start, st.cue_end))
                if x is not None and y is not None
            ]
            if not all(pl.old <= x and y <= pl.old + pl.length for x, y in spans):
                continue  # a statement whose speaker was named in another paragraph stays behind
            sid = st.speaker_id
            if sid and "--" in sid:
                sid = f"{sid.rsplit('--', 1)[0]}--{scope_key(article.id)}"  # the article's own entity is the new one's
            moved = replace(
                st,
                id=content_id(article.id, str(st.start + shift), str(st.end + shift)),
                article_id=article.id,
                start=st.start + shift,
                end=st.end + shift,
                fragments=tuple((x + shift, y + shift) for x, y in st.fragments),
                quoted=tuple((x + shift, y + shift) for x, y in st.quoted),
                mention_start=None if st.mention_start is None else st.mention_start + shift,
                mention_end=None if st.mention_end is None else st.mention_end + shift,
                cue_start=None if st.cue_start is None else st.cue_start + shift,
                cue_end=None if st.cue_end is None else st.cue_end + shift,
                speaker_id=sid,
            )
            assert article.text[moved.start : moved.end] == moved.text, "a moved statement must stay verbatim"
            out.append(moved)
    return sorted(out, key=lambda st: st.start)


class SpeakerBook:
    """The speaker records of the fill, kept in memory and written before each measurement.

    Store.write_articles recounts every incoming speaker by reading all of their statements (an ingest-time cost
    that grows with the corpus, measured by the real batch at each size); the fill instead merges speakers the same
    way (display name by name_rank, aliases, roles and affiliations united, statements counted, newest ids kept) and
    writes the records once per size.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.speakers: dict[str, Speaker] = {}
        self.counts: Counter[str] = Counter()
        self.latest: dict[str, list[tuple[int, str, int, str]]] = {}
        if path.is_file():
            data = json.loads(path.read_text(encoding="utf-8"))
            self.speakers = {
                k: Speaker(**{**v, **{f: tuple(v[f]) for f in ("aliases", "roles", "affiliations")}})
                for k, v in data["speakers"].items()
            }
            self.counts = Counter(data["counts"])
            self.latest = {k: [tuple(r) for r in v] for k, v in data["latest"].items()}  # type: ignore[misc]

    def add(self, speakers: Sequence[Speaker], statements: Sequence[Statement], published: dict[str, str]) -> None:
        """Merge an article's speakers and count its statements."""
        for sp in speakers:
            old = self.speakers.get(sp.id)
            self.speakers[sp.id] = (
                sp
                if old is None
                else replace(
                    old,
                    name=min(old.name, sp.name, key=name_rank),
                    aliases=tuple(sorted({*old.aliases, *sp.aliases})),
                    roles=tuple(sorted({*old.roles, *sp.roles})),
                    affiliations=tuple(sorted({*old.affiliations, *sp.affiliations})),
                    kind=sp.kind,
                )
            )
        for st in statements:
            if st.speaker_id:
                self.counts[st.speaker_id] += 1
                rows = self.latest.setdefault(st.speaker_id, [])
                rows.append((-published_int(published[st.article_id]), st.article_id, st.start, st.id))
                if len(rows) > 2 * LATEST_KEPT:
                    rows.sort()
                    del rows[LATEST_KEPT:]

    def flush(self, store: Store) -> int:
        """Write every speaker record (with its count and newest statement ids); return how many."""
        ids = [i for i in self.speakers if self.counts[i]]
        for start in range(0, len(ids), 1000):
            part = [replace(self.speakers[i], statement_count=self.counts[i]) for i in ids[start : start + 1000]]
            store.speakers.upsert(
                ids=[sp.id for sp in part],
                embeddings=np.ones((len(part), 1), dtype=np.float32),
                documents=[" | ".join((sp.name, *sp.aliases)) for sp in part],
                metadatas=[
                    {
                        **speaker_meta(sp),
                        "latest": json.dumps([r[3] for r in sorted(self.latest[sp.id])[:LATEST_KEPT]]),
                    }
                    for sp in part
                ],
            )
        return len(ids)

    def save(self) -> None:
        """Write the book beside the cursor so a resumed fill keeps its speakers."""
        data = {
            "speakers": {k: sp.to_dict() for k, sp in self.speakers.items()},
            "counts": dict(self.counts),
            "latest": self.latest,
        }
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, self.path)


def fill_batch(
    store: Store,
    composed: ComposedEmbedder,
    book: SpeakerBook,
    batch: Sequence[tuple[Article, list[Placed]]],
    base: dict[str, list[Statement]],
) -> int:
    """Write generated articles with their chunks, moved statements and composed vectors; return chunks written."""
    rows = []
    for article, placed in batch:
        sts = transplant(article, placed, base)
        rows.append((article, split(article), sts))
        book.add(article_speakers(sts), sts, {article.id: article.published})
    spans = {article.id: sentence_spans(article.text) for article, _, _ in rows}
    composed.cover([piece for pieces in spans.values() for _, _, piece in pieces])
    writes = []
    for article, chunks, sts in rows:
        own = spans[article.id]
        dim = composed.dimension
        cv = np.asarray([composed.span(own, c.start, c.end, c.text) for c in chunks], dtype=np.float32).reshape(-1, dim)
        # a statement that is a whole sentence has its own real vector; a part of one, its sentence's
        sv = np.asarray(
            [
                composed.vectors[st.text]
                if st.text in composed.vectors
                else composed.span(own, st.start, st.end, st.text)
                for st in sts
            ],
            dtype=np.float32,
        ).reshape(-1, dim)
        writes.append(ArticleWrite(article, content_hash(article), chunks, cv, sts, sv))
    # the records the store's write path makes, written directly: articles complete, then chunks and statements
    store._put_articles(writes, COMPLETE)
    chunk_rows = [
        (c.id, v, c.text, chunk_meta(c, Source.of(w.article)))
        for w in writes
        for c, v in zip(w.chunks, w.chunk_vectors, strict=True)
    ]
    statement_rows = [
        (st.id, v, st.text, statement_meta(st, Source.of(w.article)))
        for w in writes
        for st, v in zip(w.statements, w.statement_vectors, strict=True)
    ]
    store._upsert(store.chunks, chunk_rows)
    store._upsert(store.statements, statement_rows)
    return sum(len(r[1]) for r in rows)


def sentences(text: str) -> list[str]:
    """Split text into sentence pieces (good enough to key cached vectors, not a linguistic splitter)."""
    return [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]


def sentence_spans(text: str) -> list[tuple[int, int, str]]:
    """Return the pieces `sentences` finds, with their offsets in `text`."""
    out: list[tuple[int, int, str]] = []
    pos = 0
    for cut in [*_SENTENCE.finditer(text), None]:
        end = cut.start() if cut else len(text)
        piece = text[pos:end]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            out.append((pos + lead, pos + lead + len(piece.strip()), piece.strip()))
        pos = cut.end() if cut else end
    return out


# ---- the fill embedder -----------------------------------------------------------------------------------------


class ComposedEmbedder:
    """Vectors composed from real-model sentence vectors (fill only; see the module docstring)."""

    def __init__(self, real: SentenceTransformerEmbedder, cache: Path) -> None:
        self.real, self.cache = real, cache
        self.name, self.dimension = f"composed({real.name})", real.dimension
        self.vectors: dict[str, Vectors] = {}
        self.prefix: dict[str, str] = {}
        self.suffix: dict[str, str] = {}
        self.real_calls = 0
        self.unsaved = 0
        if cache.is_file():
            data = np.load(cache, allow_pickle=False)
            texts = json.loads(cache.with_suffix(".json").read_text(encoding="utf-8"))
            self._remember(texts, data)

    def prime(self, articles: Sequence[Article]) -> int:
        """Embed every unique sentence of `articles` with the real model once; return how many were new."""
        new = sorted({s for a in articles for s in sentences(a.text)} - set(self.vectors))
        for start in range(0, len(new), 2048):
            self._embed_real(new[start : start + 2048])
            print(f"  primed {min(start + 2048, len(new))}/{len(new)} sentences", flush=True)
        self.save()
        return len(new)

    def _remember(self, texts: Sequence[str], vectors: Vectors) -> None:
        for t, v in zip(texts, vectors, strict=True):
            self.vectors[t] = v
            if len(t) >= _EDGE:
                self.prefix.setdefault(t[:_EDGE], t)
                self.suffix.setdefault(t[-_EDGE:], t)

    def _embed_real(self, texts: Sequence[str]) -> None:
        if texts:
            self._remember(texts, self.real.embed_documents(texts))
            self.real_calls += len(texts)
            self.unsaved += len(texts)

    def _find(self, piece: str) -> str | None:
        if piece in self.vectors:
            return piece
        if len(piece) >= _EDGE:
            return self.prefix.get(piece[:_EDGE]) or self.suffix.get(piece[-_EDGE:])
        return None

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        """Return one unit vector per text, composed from cached real vectors (misses embedded for real)."""
        split = [sentences(t) or [t] for t in texts]
        single = [p[0] for p in split if len(p) == 1]
        missing = {t for t in single if t not in self.vectors}  # one-sentence texts get their own real vector
        missing |= {piece for p in split if len(p) > 1 for piece in p if self._find(piece) is None}
        self._embed_real(sorted(missing))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, pieces in enumerate(split):
            if len(pieces) == 1:
                out[i] = self.vectors[pieces[0]]
                continue
            v = sum(len(p) * self.vectors[self._find(p) or p] for p in pieces)
            out[i] = v / max(float(np.linalg.norm(v)), 1e-9)
        return out

    def cover(self, pieces: Sequence[str]) -> None:
        """Embed with the real model the sentence pieces not cached yet (after priming: almost none)."""
        self._embed_real(sorted(set(pieces) - set(self.vectors)))

    def span(self, spans: Sequence[tuple[int, int, str]], start: int, end: int, text: str) -> Vectors:
        """Return the unit vector of `text` at [start, end): its sentences' vectors weighted by how much it holds."""
        total = np.zeros(self.dimension, dtype=np.float32)
        for a, b, piece in spans:
            overlap = min(b, end) - max(a, start)
            if overlap > 0:
                total += overlap * self.vectors[piece]
        norm = float(np.linalg.norm(total))
        if norm == 0.0:  # only separators (a lone quotation mark): embed it for real
            self._embed_real([text])
            return self.vectors[text]
        return total / norm

    def embed_query(self, text: str) -> Vectors:
        """Embed a query with the real model (the fill never queries)."""
        return self.real.embed_query(text)

    def save(self) -> None:
        """Write the cached real vectors so a resumed fill does not embed them again."""
        if not self.vectors:
            return
        texts = list(self.vectors)
        tmp = self.cache.with_name(self.cache.stem + ".tmp.npy")
        np.save(tmp, np.asarray([self.vectors[t] for t in texts], dtype=np.float32))
        self.cache.with_suffix(".json").write_text(json.dumps(texts), encoding="utf-8")
        os.replace(tmp, self.cache)
        self.unsaved = 0


# ---- measuring one size ----------------------------------------------------------------------------------------


def disk_bytes(folder: Path) -> int:
    """Return the bytes the files under `folder` take."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def cpu_seconds(pids: Sequence[int]) -> float:
    """Return the user+system CPU seconds these processes and their children have used so far."""
    import psutil

    total = 0.0
    for pid in pids:
        proc = psutil.Process(pid)
        for p in (proc, *proc.children(recursive=True)):
            t = p.cpu_times()
            total += t.user + t.system
    return total


def worker_rss(master_pid: int) -> int:
    """Return the summed RSS (bytes) of the gunicorn master's child processes (the API workers)."""
    import psutil

    return sum(c.memory_info().rss for c in psutil.Process(master_pid).children(recursive=True))


def build_workload(store: Store, seed: int) -> dict[str, Any]:
    """Return a seeded, fixed set of /ask and /verify requests built from a bounded sample of the index."""
    from bot.intents import detect

    rnd = random.Random(seed)
    got = store.statements.get(limit=4000, include=["metadatas", "documents"])
    sts = [(m, d or "") for m, d in zip(got["metadatas"] or [], got["documents"] or [], strict=True)]
    sts = [(m, d) for m, d in sts if m.get("speaker") and len(d.split()) >= 6]
    sp = store.speakers.get(limit=5000, include=["metadatas"])
    people = [
        (str(m["name"]), int(str(m.get("statement_count", 0))))
        for i, m in zip(sp["ids"], sp["metadatas"] or [], strict=True)
        if "--" not in i and m.get("kind") == "person"
    ]
    speakers = [n for n, _ in sorted(people, key=lambda x: -x[1])]
    titles = sorted({str(m.get("title", "")).rsplit(" [", 1)[0] for m, _ in sts} - {""})
    if not sts or not speakers or not titles:
        raise SystemExit("the index has no statements, speakers or titles to build requests from")
    asks: list[dict[str, str]] = []
    while len(asks) < ASKS + WARMUP:
        kind = rnd.choices(["speaker_statements", "who_said", "search"], [0.4, 0.3, 0.3])[0]
        if kind == "speaker_statements":
            pool = speakers[:30] if rnd.random() < 0.5 else speakers
            q = f"What did {rnd.choice(pool)} say?"
        elif kind == "who_said":
            words = [w.strip("\"“”‘’'«».,;:!?()[]") for w in rnd.choice(sts)[1].split()]
            words = [w for w in words if w]
            size = rnd.randint(4, 7)
            start = rnd.randint(0, max(0, len(words) - size))
            q = f"Who said {' '.join(words[start : start + size])}?"
        else:
            words = [w for w in rnd.choice(titles).split() if w.strip("\"“”‘’'")]
            size = min(len(words), rnd.randint(3, 8))
            start = rnd.randint(0, max(0, len(words) - size))
            q = " ".join(words[start : start + size]).rstrip(":,;-–—")
        if q and detect(q).name == kind:
            asks.append({"kind": kind, "question": q})
    verifies: list[dict[str, Any]] = []
    while len(verifies) < VERIFIES + WARMUP:
        meta, text = rnd.choice(sts)
        words = text.strip(' "“”').split()
        quote = " ".join(words[: rnd.randint(6, 14)]).strip(" ,.;:")
        roll = rnd.random()
        if roll < 0.5:
            verifies.append({"kind": "real", "body": {"quote": quote, "speaker": meta["speaker"]}})
        elif roll < 0.8:
            verifies.append({"kind": "altered", "body": {"quote": alter(quote, rnd), "speaker": meta["speaker"]}})
        else:
            verifies.append({"kind": "misattributed", "body": {"quote": quote, "speaker": rnd.choice(speakers)}})
    return {"asks": asks, "verifies": verifies}


def measure_requests(port: int, workload: dict[str, Any]) -> dict[str, Any]:
    """Send the workload (warm-up first), asks and verifies interleaved and paced; return latency summaries."""
    asks, verifies = workload["asks"], workload["verifies"]
    plan = [("ask", "/ask", {"question": a["question"]}, a["kind"]) for a in asks[WARMUP:]]
    plan += [("verify", "/verify", v["body"], v["kind"]) for v in verifies[WARMUP:]]
    random.Random(7).shuffle(plan)
    for a in asks[:WARMUP]:
        request(port, "POST", "/ask", {"question": a["question"]})
    for v in verifies[:WARMUP]:
        request(port, "POST", "/verify", v["body"])
    lat: dict[str, list[float]] = {"ask": [], "verify": []}
    by_kind: dict[str, list[float]] = {}
    errors: list[str] = []
    gap = PACE_SECONDS / len(plan)
    t_start = time.perf_counter()
    slowest: list[tuple[float, str, str]] = []
    for i, (what, path, body, kind) in enumerate(plan):
        wait = t_start + i * gap - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        t0 = time.perf_counter()
        status, _, data = request(port, "POST", path, body)
        took = time.perf_counter() - t0
        if status != 200:
            errors.append(f"{path} {status} {json.dumps(body)[:120]} {data[:200]!r}")
            continue
        lat[what].append(took)
        by_kind.setdefault(f"{what}:{kind}", []).append(took)
        slowest.append((took, f"{what}:{kind}", json.dumps(body)[:160]))
    slowest.sort(reverse=True)
    return {
        "ask": latency_summary(lat["ask"]),
        "verify": latency_summary(lat["verify"]),
        "by_kind": {k: latency_summary(v) for k, v in sorted(by_kind.items())},
        "slowest": [{"ms": round(t * 1000, 1), "kind": k, "body": b} for t, k, b in slowest[:8]],
        "errors": errors[:20],
        "n_errors": len(errors),
    }


def measure(
    size: int,
    store: Store,
    server: ChromaServer,
    real: Ingestor,
    groups: Sequence[Sequence[Article]],
    book: SpeakerBook,
    args: Any,
) -> dict[str, Any]:
    """Measure the index as it stands: a real-embedder ingest batch, then /ask and /verify through gunicorn."""
    before = store.counts()
    batch = [a for a, _ in generate(groups, 100_000 + size // 1000, args.seed)]  # a round the fill never makes
    batch = random.Random(size).sample(batch, min(REAL_BATCH, len(batch)))
    t0 = time.perf_counter()
    c0 = time.process_time()
    report = real.ingest_articles(batch)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    counts = store.counts()
    if report.article_ids:  # the book learns the real batch's statements, or its next flush would undercount them
        got = store.get_statements(Filters(article_ids=tuple(report.article_ids)))
        sts = [p.statement for p in got if p.statement]
        speakers = store.list_speakers(ids=sorted({st.speaker_id for st in sts if st.speaker_id}))
        book.add(speakers, sts, {p.source.article_id: p.source.published for p in got})
        book.save()
    workload_file = args.keep / "workload.json"
    if workload_file.is_file():
        workload = json.loads(workload_file.read_text(encoding="utf-8"))
    else:
        workload = build_workload(store, args.seed)
        workload_file.write_text(json.dumps(workload, ensure_ascii=False, indent=1), encoding="utf-8")
    gun = Gunicorn(1, app_env(server.url, prefix=PREFIX), args.keep / f"gunicorn-{size}.log")
    started = time.perf_counter()
    gun.start()
    boot = time.perf_counter() - started
    try:
        assert gun.proc is not None
        rss_booted = worker_rss(gun.proc.pid)
        assert server.proc is not None
        # CPU per request of the API worker and of Chroma: unlike latency, hardly changed by other jobs on the machine
        cpu0 = (cpu_seconds([gun.proc.pid]), cpu_seconds([server.proc.pid]))
        lat = measure_requests(gun.port, workload)
        cpu1 = (cpu_seconds([gun.proc.pid]), cpu_seconds([server.proc.pid]))
        rss = worker_rss(gun.proc.pid)
        served = lat["ask"]["n"] + lat["verify"]["n"] + lat["n_errors"]
        lat["cpu_ms_per_request"] = {
            "api": round((cpu1[0] - cpu0[0]) * 1000 / max(served, 1), 1),
            "chroma": round((cpu1[1] - cpu0[1]) * 1000 / max(served, 1), 1),
        }
    finally:
        gun.stop()
    return {
        "size_target_chunks": size,
        "code": code_version(),
        "counts_before_real_batch": before.to_dict(),
        "counts": counts.to_dict(),
        "ingest": {
            "articles": report.articles,
            "chunks": report.chunks,
            "statements": report.statements,
            "seconds": round(wall, 2),
            "cpu_seconds": round(cpu, 2),
            "articles_per_s": round(report.articles / wall, 3) if wall else None,
        },
        "api_boot_s": round(boot, 1),
        "api_rss_mb_booted": round(rss_booted / 2**20, 1),
        "api_rss_mb": round(rss / 2**20, 1),
        "disk_mb": round(disk_bytes(server.folder) / 2**20, 1),
        "load_average": load_average(),
        **lat,
    }


# ---- the run -----------------------------------------------------------------------------------------------------


def code_version() -> str:
    """Return the commit the measured code is at, with "+dirty" when the work tree has changes."""
    import subprocess

    def git(*argv: str) -> str:
        return subprocess.run(["git", *argv], cwd=REPO, capture_output=True, text=True, check=False).stdout.strip()

    return git("rev-parse", "--short", "HEAD") + (
        "+dirty" if git("status", "--porcelain", "--untracked-files=no") else ""
    )


def load_state(keep: Path) -> dict[str, Any]:
    """Return the fill cursor and the sizes measured so far."""
    path = keep / "state.json"
    if path.is_file():
        return dict(json.loads(path.read_text(encoding="utf-8")))
    return {"round": 0, "offset": 0, "measured": {}, "fill_seconds": 0.0, "fill_articles": 0}


def save_state(keep: Path, state: dict[str, Any]) -> None:
    """Write the state atomically (a kill mid-write must not lose the cursor)."""
    tmp = keep / "state.json.tmp"
    tmp.write_text(json.dumps(state, indent=1), encoding="utf-8")
    os.replace(tmp, keep / "state.json")


def summarise(measured: dict[str, Any]) -> list[tuple[str, ...]]:
    """Return one table row per measured size."""
    rows: list[tuple[str, ...]] = []
    for _, m in sorted(measured.items(), key=lambda kv: int(kv[0])):
        c = m["counts"]
        rows.append(
            (
                f"{c['chunks']:,}",
                f"{c['statements']:,}",
                f"{c['articles']:,}",
                f"{c['speakers']:,}",
                f"{m['ingest']['articles_per_s']:.2f}",
                f"{m['ask']['p50_ms']:.1f} / {m['ask']['p95_ms']:.1f}",
                f"{m['verify']['p50_ms']:.1f} / {m['verify']['p95_ms']:.1f}",
                "{api} + {chroma}".format(**m.get("cpu_ms_per_request", {"api": "?", "chroma": "?"})),
                f"{m['api_rss_mb']:.0f}",
                f"{m['disk_mb']:.0f}",
                f"{(m.get('load_average') or [0])[0]:.1f}",
            )
        )
    return rows


HEADER = ("chunks", "statements", "articles", "speakers", "ingest art/s", "/ask p50/p95 ms", "/verify p50/p95 ms",
          "CPU ms/req API+Chroma", "API RSS MB", "disk MB", "load 1m")  # fmt: skip


def print_rows(rows: Sequence[tuple[str, ...]]) -> None:
    """Print the scale table as Markdown."""
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(len(HEADER))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(HEADER, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) + " |")


def verdicts(measured: dict[str, Any]) -> dict[str, Any]:
    """Return the issue's scale targets checked against the smallest and largest sizes measured."""
    sizes = sorted(measured, key=int)
    if not sizes:
        return {}
    small, large = measured[sizes[0]], measured[sizes[-1]]
    growth = large["ask"]["p50_ms"] / small["ask"]["p50_ms"] if small["ask"]["p50_ms"] else float("nan")
    return {
        "largest_chunks": large["counts"]["chunks"],
        "ask_p95_ms_at_largest": large["ask"]["p95_ms"],
        "ask_p95_le_200ms": large["ask"]["p95_ms"] <= TARGET_ASK_P95_MS,
        "ask_p50_growth": round(growth, 2),
        "ask_p50_growth_lt_2x": growth < TARGET_P50_GROWTH,
        "reached_100k": large["counts"]["chunks"] >= 100_000,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--keep", type=Path, help="folder for the index, vectors and cursor (resumable); default: a temp dir"
    )
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)), help="chunk counts to measure at, comma-separated")
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--measure-only", action="store_true", help="measure the kept index as it is, no fill")
    ap.add_argument("--note", default="", help="with --measure-only: record the run apart under this label")
    ap.add_argument("--prepare", action="store_true", help="only extract the base articles' statements, then stop")
    ap.add_argument("--articles", type=int, default=0, help="use only the first N base articles (a smoke test)")
    ap.add_argument("--out", type=Path, default=RESULTS / "scale.json")
    args = ap.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    temp = None
    if args.keep is None:
        temp = Path(tempfile.mkdtemp(prefix="qb-scale-"))
        args.keep = temp
    args.keep.mkdir(parents=True, exist_ok=True)
    state = load_state(args.keep)
    if args.prepare:  # no server, no model: runs beside a fill that is still priming its vectors
        base = base_articles()
        base_statements(base[: args.articles] if args.articles else base, args.keep / "base_statements.json")
        return 0
    server = ChromaServer(args.keep / "chroma")
    server.start()
    print(f"chroma run on {server.url}, data in {server.folder}", flush=True)
    try:
        store = Store.open(url=server.url, prefix=PREFIX, timeout=120)
        model = SentenceTransformerEmbedder(threads=2)
        base = base_articles()
        groups = day_groups(base[: args.articles] if args.articles else base)
        options = IngestOptions()  # config/default.toml's chunking is the same 800/100
        real = Ingestor(store, model, options)
        composed = ComposedEmbedder(model, args.keep / "vectors.npy")
        statements = base_statements([a for g in groups for a in g], args.keep / "base_statements.json")
        book = SpeakerBook(args.keep / "speakers.json")
        if args.measure_only:
            size = store.counts().chunks
            got = measure(size, store, server, real, groups, book, args)
            if args.note:  # a variant (other code, other settings): kept apart from the size series and its verdicts
                state.setdefault("extra", {})[args.note] = {"note": args.note, "code": code_version(), **got}
            else:
                state["measured"][str(size)] = got
            save_state(args.keep, state)
        else:
            t0 = time.perf_counter()
            primed = composed.prime([a for g in groups for a in g])
            print(f"primed {primed} sentences in {time.perf_counter() - t0:.0f} s", flush=True)
            for size in sizes:
                if str(size) in state["measured"]:
                    continue
                rounds: dict[int, list[tuple[Article, list[Placed]]]] = {}
                unsaved_batches = 0
                while store.chunks.count() < size:
                    if state["round"] not in rounds:
                        rounds = {state["round"]: generate(groups, state["round"], args.seed)}
                    batch = rounds[state["round"]][state["offset"] : state["offset"] + FILL_BATCH]
                    if not batch:
                        state["round"], state["offset"] = state["round"] + 1, 0
                        continue
                    t1 = time.perf_counter()
                    fill_batch(store, composed, book, batch, statements)
                    state["fill_seconds"] += time.perf_counter() - t1
                    state["fill_articles"] += len(batch)
                    state["offset"] += len(batch)
                    if composed.unsaved > 2000:
                        composed.save()
                    unsaved_batches += 1
                    if unsaved_batches >= 8:
                        unsaved_batches = 0
                        # the cursor only moves with the book: a resumed fill rewrites (same ids) what came after
                        book.save()
                        save_state(args.keep, state)
                    n = store.chunks.count()
                    print(
                        f"  fill r{state['round']}+{state['offset']}: {n:,} chunks, "
                        f"{state['fill_articles'] / max(state['fill_seconds'], 1e-9):.1f} art/s, "
                        f"{composed.real_calls} real-embedded texts",
                        flush=True,
                    )
                composed.save()
                book.save()
                save_state(args.keep, state)
                print(f"writing {book.flush(store):,} speaker records", flush=True)
                print(f"measuring at {store.chunks.count():,} chunks ...", flush=True)
                try:
                    state["measured"][str(size)] = measure(size, store, server, real, groups, book, args)
                except Exception as exc:  # a failed measurement must not lose the fill: record it and go on
                    print(f"measurement at {size} failed: {exc!r}", flush=True)
                    state.setdefault("failed", {})[str(size)] = repr(exc)
                save_state(args.keep, state)
                print_rows(summarise(state["measured"]))
    finally:
        server.stop()
    result = {
        "benchmark": "scale",
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "keep": str(args.keep),
        "seed": args.seed,
        "fill": {
            "embedder": "composed from real sentence vectors (see bench_scale.py docstring)",
            "articles": state["fill_articles"],
            "seconds": round(state["fill_seconds"], 1),
        },
        "code": code_version(),
        "sizes": state["measured"],
        "variants": state.get("extra", {}),
        "verdicts": verdicts(state["measured"]),
    }
    write_json(args.out, result)
    print_rows(summarise(state["measured"]))
    print_table([(k, str(v), "") for k, v in result["verdicts"].items()], ("verdict", "value", ""))
    if temp is not None:
        shutil.rmtree(temp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
