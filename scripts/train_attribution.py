"""Train the first-name prior (retrieval/quotes/gender.py), the learned cue model (retrieval/quotes/learned.py) and the
speaker chooser (retrieval/quotes/chooser.py) on PolNeAR train; deterministic from --seed.

    python scripts/train_attribution.py [--train ../shared/eval/polnear_train.jsonl] [--out PATH] [--stage STAGE]

Every tenth train article (by sorted doc_id, `evaluate.heldout_ids`) is left out, so the held-out slice measures
overfitting; dev is never read. The first-name prior is counted first (scripts/name_genders.py, seconds). A logistic
model over the words outside the cue lexicon is trained on the rest;
five-fold out-of-fold scores choose its regularisation and the threshold at which 7 in 10 added reports are right
(content and speaker); it is then refit on all of them and written, with its threshold, to
retrieval/quotes/data/cue_model.npz.

The speaker chooser is trained next, on the attributions the extractor then makes (with the packaged cue model, so
train the cues into the package first): five folds choose its regularisation and the margin by which a candidate
must outscore the rules' pick; it is written to speaker_model.npz beside the cue model.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import name_genders  # noqa: E402
import speaker_training  # noqa: E402

from retrieval.quotes import chooser, gender, learned  # noqa: E402
from retrieval.quotes.evaluate import alnum_positions, heldout_ids  # noqa: E402
from retrieval.quotes.marks import find_quotes, normalize_marks, split_paragraphs  # noqa: E402
from retrieval.quotes.mentions import mention_span  # noqa: E402
from retrieval.quotes.parsing import parse  # noqa: E402
from retrieval.quotes.reported import candidate, holds_quoted  # noqa: E402

DEFAULT_TRAIN = ROOT.parent / "shared" / "eval" / "polnear_train.jsonl"
DEFAULT_OUT = ROOT / "retrieval" / "quotes" / "data" / learned.MODEL_FILE
MIN_PRECISION = 0.7  # out-of-fold, joint (content and speaker): an added statement is right 7 times in 10
C_GRID = (0.1, 0.3, 1.0)
FOLDS = 5


Rows = tuple[list[list[str]], list[int]]


def examples(article: dict) -> Rows:
    """Return the features and labels of every learned-cue candidate in one article: a word outside the lexicon, or a
    lexicon verb whose rules read no content; reports that hold a quotation are left out (the model never takes one).

    A candidate is positive when a gold attribution's cue holds the word, its content matches that gold content
    (half of each inside the other, on letters and digits) and its subject overlaps the gold speaker mention.
    """
    raw = article["text"]
    text = normalize_marks(raw)
    paras = split_paragraphs(text)
    docs = parse([text[p.start : p.end].replace("\n", " ") for p in paras])
    inside = [(q.open_mark, q.close_mark if q.close_mark is not None else q.end) for q in find_quotes(text, paras)]
    gold = []
    for g in article["quotes"]:
        if g.get("cue_start") is None:
            continue
        spans = g.get("quote_spans") or [[g["quote_start"], g["quote_end"]]]
        content = set().union(*(alnum_positions(raw, s, e) for s, e in spans))
        gold.append((g, content))
    feats: list[list[str]] = []
    labels: list[int] = []
    for para, doc in zip(paras, docs, strict=True):
        for tok in doc:
            pos = para.start + tok.idx
            if any(s <= pos < e for s, e in inside):
                continue
            if tok.lower_ == "according":
                continue  # find_reported reads "according to X" itself
            cand = candidate(tok)
            if cand is None or cand.cue is not None:
                continue  # a lexicon cue with content is the rules' report, not the model's
            if holds_quoted(cand, para.start, inside):
                continue  # inference never takes these in
            frags = [(para.start + doc[i].idx, para.start + doc[j].idx + len(doc[j].text)) for i, j in cand.content]
            pred = set().union(*(alnum_positions(raw, s, e) for s, e in frags))
            ms, me = mention_span(cand.speaker[0], para.start)
            label = 0
            for g, content in gold:
                if not (g["cue_start"] <= pos < g["cue_end"]):
                    continue
                both = len(pred & content)
                speaker_ok = g.get("speaker_start") is not None and ms < g["speaker_end"] and me > g["speaker_start"]
                if pred and both * 2 >= len(pred) and both * 2 >= len(content) and speaker_ok:
                    label = 1
            feats.append(cand.feats)
            labels.append(label)
    return feats, labels


def _word(feats: list[str]) -> str:
    """Return the candidate word (its `w=` feature)."""
    return next(f[2:] for f in feats if f.startswith("w="))


def matrix(rows: list[list[str]]) -> sparse.csr_matrix:
    """Return the binary hashed-feature matrix of candidate rows."""
    indptr = [0]
    indices: list[np.ndarray] = []
    for feats in rows:
        idx = np.unique(learned.hashed(feats))
        indices.append(idx)
        indptr.append(indptr[-1] + len(idx))
    flat = np.concatenate(indices) if indices else np.zeros(0, dtype=np.int64)
    return sparse.csr_matrix((np.ones(len(flat), dtype=np.float32), flat, indptr), shape=(len(rows), learned.DIM))


def fit(x: sparse.csr_matrix, y: np.ndarray, c: float, seed: int) -> LogisticRegression:
    """Fit the logistic model (liblinear: deterministic for a fixed seed)."""
    clf = LogisticRegression(C=c, solver="liblinear", random_state=seed, max_iter=1000)
    clf.fit(x, y)
    return clf


def threshold_for(scores: np.ndarray, y: np.ndarray, min_precision: float) -> tuple[float, float, int, int]:
    """Return the lowest threshold whose precision reaches min_precision, with its precision, hits and positives."""
    order = np.argsort(-scores)
    hits = np.cumsum(y[order])
    called = np.arange(1, len(order) + 1)
    precision = hits / called
    ok = np.nonzero(precision >= min_precision)[0]
    if not len(ok):
        raise ValueError(f"no threshold reaches precision {min_precision}: the candidates cannot support the model")
    # the deepest cut that still holds the precision; inference accepts scores >= the threshold, so candidates tied
    # with the cut's score are taken too (rare with continuous scores)
    k = int(ok.max())
    return float(scores[order][k]), float(precision[k]), int(hits[k]), int(y.sum())


def out_of_fold(parts: list[tuple[sparse.csr_matrix, np.ndarray]], c: float, seed: int) -> np.ndarray:
    """Return each candidate's score from the model fitted on the other folds."""
    return np.concatenate(
        [
            fit(
                sparse.vstack([x for g, (x, _) in enumerate(parts) if g != f]).tocsr(),
                np.concatenate([y for g, (_, y) in enumerate(parts) if g != f]),
                c,
                seed,
            ).predict_proba(parts[f][0])[:, 1]
            for f in range(len(parts))
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Build the first-name prior, train the cue model, then the speaker chooser (or one, by --stage); return a code."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", type=Path, default=DEFAULT_TRAIN, help="PolNeAR train JSONL (default: %(default)s)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="cue model file to write (default: %(default)s)")
    ap.add_argument("--seed", type=int, default=0, help="seed for the folds and the solver")
    ap.add_argument(
        "--min-precision", type=float, default=MIN_PRECISION, help="out-of-fold precision of an added report"
    )
    ap.add_argument(
        "--speakers-out",
        type=Path,
        default=None,
        help=f"speaker chooser file to write (default: {chooser.MODEL_FILE} beside --out)",
    )
    ap.add_argument(
        "--names-out",
        type=Path,
        default=None,
        help=f"first-name prior to write (default: {gender.FIRST_NAMES_FILE} beside --out)",
    )
    ap.add_argument(
        "--stage",
        choices=("all", "names", "cues", "speakers"),
        default="all",
        help="what to train (default: %(default)s)",
    )
    args = ap.parse_args(argv)
    if not args.train.exists():
        print(f"no training data at {args.train}; pass --train", file=sys.stderr)
        return 2
    articles = []
    for lineno, line in enumerate(args.train.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            row = None
        if not isinstance(row, dict) or not isinstance(row.get("text"), str) or "doc_id" not in row:
            print(
                f"{args.train}: line {lineno} is not a PolNeAR article ({{doc_id, text, quotes}}); nothing written",
                file=sys.stderr,
            )
            return 2
        articles.append(row)
    held = heldout_ids([a["doc_id"] for a in articles])
    train = sorted((a for a in articles if a["doc_id"] not in held), key=lambda a: a["doc_id"])
    print(f"{len(articles)} articles: {len(held)} held out, {len(train)} train in {FOLDS} folds")
    if args.stage in {"all", "names"}:
        code = name_genders.train(train, args.names_out or args.out.with_name(gender.FIRST_NAMES_FILE))
        gender.first_names.cache_clear()
        if code or args.stage == "names":
            return code
    if args.stage in {"all", "cues"}:
        code = train_cues(list(train), args)
        if code or args.stage == "cues":
            return code
        learned.model.cache_clear()  # the speaker stage reads the attributions the packaged cue model makes
    if args.out.resolve() != DEFAULT_OUT.resolve():
        print(f"note: the speaker stage reads the attributions of the packaged cue model ({DEFAULT_OUT}), not --out")
    out = args.speakers_out or args.out.with_name(chooser.MODEL_FILE)
    code = speaker_training.train(train, out, args.seed)
    chooser.model.cache_clear()
    return code


def train_cues(train: list[dict], args: argparse.Namespace) -> int:
    """Train and write the cue model; return an exit code."""
    random.Random(args.seed).shuffle(train)  # folds by a seeded shuffle of the sorted ids
    t0 = time.perf_counter()
    rows: dict[str, Rows] = {}
    for n, a in enumerate(train, 1):
        rows[a["doc_id"]] = examples(a)
        if n % 100 == 0:
            print(f"  candidates: {n}/{len(train)} articles, {time.perf_counter() - t0:.0f}s", flush=True)
    folds = [sorted(a["doc_id"] for k, a in enumerate(train) if k % FOLDS == f) for f in range(FOLDS)]
    parts = [
        (
            matrix([f for i in ids for f in rows[i][0]]),
            np.array([lab for i in ids for lab in rows[i][1]], dtype=np.int8),
        )
        for ids in folds
    ]
    y_all = np.concatenate([y for _, y in parts])
    print(f"{len(y_all)} candidates ({int(y_all.sum())} right) in {FOLDS} folds")
    best = None
    for c in C_GRID:
        # out-of-fold scores over every training article: the threshold rests on ~2,400 positives
        try:
            thr, prec, hits, pos = threshold_for(out_of_fold(parts, c, args.seed), y_all, args.min_precision)
        except ValueError as exc:
            print(f"  C={c}: {exc}")
            continue
        print(f"  C={c}: threshold {thr:.3f}, precision {prec:.3f}, recall {hits}/{pos}")
        if best is None or hits > best[2]:
            best = (c, thr, hits)
    if best is None:
        print(f"no model written: no C reaches out-of-fold precision {args.min_precision}", file=sys.stderr)
        return 2
    c, thr, _ = best
    clf = fit(sparse.vstack([x for x, _ in parts]).tocsr(), y_all, c, args.seed)
    weights = clf.coef_[0].astype(np.float16)
    model = learned.CueModel(weights, float(clf.intercept_[0]), thr)
    # the words the shipped model takes as a cue somewhere in its training text: only paragraphs holding one (or a
    # lexicon cue) are parsed at ingest
    triggers = sorted(
        {_word(f) for i in rows for f in rows[i][0] if model.accepts(f)},
    )
    saved = {
        "weights": weights,
        "bias": np.float32(clf.intercept_[0]),
        "threshold": np.float32(thr),
        "triggers": np.array(triggers, dtype=np.str_),
    }
    print(f"{len(triggers)} trigger words")
    print(f"C={c}, threshold {thr:.3f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **saved)  # type: ignore[arg-type]
    tmp.replace(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB) in {time.perf_counter() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
