"""The two embedding backends side by side: one-query latency, batch throughput and agreement, interleaved.

Encodes the first N dev sentences (read from <repo>/../shared/eval/polnear_dev.jsonl) and M of them as single
queries with `embedding.backend = "torch"` and `"onnx"`, alternating which goes first round by round so that load
from other processes hits both alike. Prints a table; writes benchmarks/results/encoder.json.

    python benchmarks/bench_encoder.py                    # 1,000 sentences, 200 queries, 3 rounds
    python benchmarks/bench_encoder.py --sentences 300 --queries 50 --rounds 1
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path
from typing import Any

from harness import RESULTS, SHARED, latency_summary, load_average, print_table, require_corpus, write_json


def dev_sentences(n: int) -> list[str]:
    """Return the first n sentences of 20+ characters of the dev articles."""
    out: list[str] = []
    with require_corpus(SHARED / "polnear_dev.jsonl").open() as fh:
        for line in fh:
            text = json.loads(line)["text"]
            out += [s.strip() for s in re.split(r"(?<=[.!?”])\s+", text) if len(s.strip()) >= 20]
            if len(out) >= n:
                break
    return out[:n]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sentences", type=int, default=1000, help="sentences encoded in batches (default 1000)")
    ap.add_argument("--queries", type=int, default=200, help="sentences encoded one at a time (default 200)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds; the best batch time is kept")
    ap.add_argument("--out", type=Path, default=RESULTS / "encoder.json", help="JSON results file")
    args = ap.parse_args(argv)
    from retrieval.embedding import make_embedder

    sentences = dev_sentences(args.sentences)
    queries = sentences[: args.queries]
    load_s: dict[str, float] = {}
    backends: dict[str, Any] = {}
    for name in ("torch", "onnx"):
        t0 = time.perf_counter()
        backends[name] = make_embedder(name)
        backends[name].embed_documents(sentences[:8])
        load_s[name] = time.perf_counter() - t0
    batch: dict[str, list[float]] = {n: [] for n in backends}
    single: dict[str, list[float]] = {n: [] for n in backends}
    vectors: dict[str, Any] = {}
    for r in range(args.rounds):
        order = list(backends) if r % 2 == 0 else list(reversed(backends))
        for name in order:
            t0 = time.perf_counter()
            vectors[name] = backends[name].embed_documents(sentences)
            batch[name].append(time.perf_counter() - t0)
        for q in queries:  # one query each, alternating, so a burst of load hits both
            for name in order:
                t0 = time.perf_counter()
                backends[name].embed_query(q)
                single[name].append(time.perf_counter() - t0)
    cosine = (vectors["onnx"] * vectors["torch"]).sum(axis=1)
    res: dict[str, Any] = {
        "benchmark": "encoder",
        "sentences": len(sentences),
        "queries": len(queries),
        "rounds": args.rounds,
        "load_s": load_s,
        "batch_best_s": {n: min(v) for n, v in batch.items()},
        "query": {n: latency_summary(v) for n, v in single.items()},
        "cosine_onnx_vs_torch": {"min": float(cosine.min()), "mean": float(cosine.mean())},
        "load_average": load_average(),
    }
    rows = [
        (
            f"{n}: {len(sentences)} sentences (best of {args.rounds})",
            f"{res['batch_best_s'][n]:.2f} s = {len(sentences) / res['batch_best_s'][n]:.0f}/s",
            f"load {load_s[n]:.1f} s",
        )
        for n in backends
    ]
    rows += [
        (f"{n}: one query p50 / p95", f"{res['query'][n]['p50_ms']:.1f} / {res['query'][n]['p95_ms']:.1f} ms", "")
        for n in backends
    ]
    t, o = res["batch_best_s"], res["query"]
    rows.append(
        (
            "onnx speed-up: batch / query p50",
            f"{t['torch'] / t['onnx']:.2f}x / {o['torch']['p50_ms'] / o['onnx']['p50_ms']:.2f}x",
            "",
        )
    )
    rows.append(("cosine onnx vs torch: min / mean", f"{cosine.min():.5f} / {cosine.mean():.5f}", ">= 0.99"))
    rows.append(("machine load (1-min avg)", f"{res['load_average'][0]:.1f}", ""))
    print_table(rows)
    print(f"results written to {write_json(args.out, res)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
