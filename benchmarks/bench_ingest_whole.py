"""Whole-run ingest throughput: quotebot's pipeline against a plain LangChain ingest of the same articles, A B B A.

`bench_ingest_ask.py --langchain-ingest` alternates the two group by group (16 articles), which keeps the load
alike for both but hands quotebot one group per call, so its look-ahead (the next group parsed while this one is
embedded) never runs. This one times each side over the whole set in one call, in the order quotebot, LangChain,
LangChain, quotebot (each on a fresh temporary index, models loaded and warmed before the clock: LangChain's encoder;
quotebot's encoder and its parser, in-process and in the extraction worker), and reports the mean
of the two runs of each: articles/s, the ratio, and the CPU ratio (quotebot's with its extraction worker).

    PYTHONPATH=. python benchmarks/bench_ingest_whole.py --limit 200
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_ingest_ask import LangChainIngest
from harness import CORPUS, RESULTS, cpu_seconds, load_articles, load_average, require_corpus, write_json

from bot.services import build_services
from bot.settings import load_settings
from retrieval.models import Article
from retrieval.quotes import extract_many
from retrieval.quotes.process import EXTRACTION


def quotebot_run(articles: list[Article]) -> dict[str, Any]:
    """Ingest the articles in one call into a fresh index; return wall and CPU seconds and the counts."""
    services = build_services(load_settings({"store": {"path": tempfile.mkdtemp(prefix="whole-qb-")}}))
    services.embedder.embed_documents(["warm-up sentence number one.", "a second warm-up sentence."])
    # Its parser is a model too: loaded (here and in the extraction worker) before the clock, like the encoder.
    warm = [("A warm-up sentence, she said.", "warm-up")]
    next(extract_many(warm, n_process=1))
    EXTRACTION.extract(warm)
    t0, c0 = time.perf_counter(), cpu_seconds()
    report = services.ingestor.ingest_articles(articles)
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0  # with the extraction worker's CPU
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "articles": report.articles,
        "chunks": report.chunks,
        "statements": report.statements,
    }


def langchain_run(articles: list[Article]) -> dict[str, Any]:
    """Ingest the articles in one call with the plain LangChain pipeline; return its timings and counts."""
    lc = LangChainIngest(Path(tempfile.mkdtemp(prefix="whole-lc-")))
    lc.ingest(articles)
    return lc.to_dict()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--limit", type=int, default=200, help="first N articles of polnear_train.jsonl")
    ap.add_argument("--out", type=Path, default=RESULTS / "ingest_whole.json")
    args = ap.parse_args(argv)
    articles = load_articles(require_corpus(CORPUS), args.limit)
    runs: dict[str, list[dict[str, Any]]] = {"quotebot": [], "langchain": []}
    start_load = load_average()
    for side in ("quotebot", "langchain", "langchain", "quotebot"):
        run = quotebot_run(articles) if side == "quotebot" else langchain_run(articles)
        runs[side].append(run)
        print(
            f"{side:9} {run['wall_s']:6.1f} s wall, {run['cpu_s']:6.1f} s CPU, {run['articles']} articles", flush=True
        )
    mean = {k: {m: sum(r[m] for r in v) / len(v) for m in ("wall_s", "cpu_s")} for k, v in runs.items()}
    result = {
        "articles": len(articles),
        "quotebot_articles_per_s": len(articles) / mean["quotebot"]["wall_s"],
        "langchain_articles_per_s": len(articles) / mean["langchain"]["wall_s"],
        "ratio": mean["langchain"]["wall_s"] / mean["quotebot"]["wall_s"],
        "cpu_ratio": mean["langchain"]["cpu_s"] / mean["quotebot"]["cpu_s"],
        "runs": runs,
        "load_average": {"start": start_load, "end": load_average()},
    }
    print(
        f"quotebot {result['quotebot_articles_per_s']:.2f} vs LangChain {result['langchain_articles_per_s']:.2f} "
        f"articles/s: {result['ratio']:.2f}x (CPU {result['cpu_ratio']:.2f}x; target >= 1.0)"
    )
    write_json(args.out, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
