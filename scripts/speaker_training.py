"""The speaker chooser's training stage (retrieval/quotes/chooser.py), run by scripts/train_attribution.py."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from retrieval.quotes import chooser, learned
from retrieval.quotes.evaluate import alnum_positions
from retrieval.quotes.extract import attributions, parsed_many

C_GRID = (0.1, 0.3, 1.0)
MARGINS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0)
MIN_FIXES_PER_BREAK = 3
FOLDS = 5
# one attribution: its article and each candidate's features, whether it overlaps the gold speaker, the rules' pick,
# whether it is another statement's speaker
Group = tuple[str, list[tuple[list[str], int, bool, bool]]]


def groups(articles: list[dict]) -> list[Group]:
    """Return the chooser's training groups: every attribution the extractor makes whose content matches a gold one
    (half of it inside, on letters and digits), with its candidates labelled by the gold speaker mention."""
    out: list[Group] = []
    texts = [a["text"] for a in articles]
    for article, (text, parsed) in zip(articles, parsed_many(texts), strict=True):
        raw = article["text"]
        gold = []
        for g in article["quotes"]:
            spans = g.get("quote_spans") or [[g["quote_start"], g["quote_end"]]]
            speaker = g.get("speaker_spans") or (
                [[g["speaker_start"], g["speaker_end"]]] if g.get("speaker_start") is not None else []
            )
            content = set().union(*(alnum_positions(raw, s, e) for s, e in spans))
            who = set().union(*(alnum_positions(raw, s, e) for s, e in speaker)) if speaker else set()
            gold.append((content, who))
        atts = attributions(text, parsed)
        for a in atts:
            cands = chooser.candidates(text, parsed, a, atts)
            if len(cands) < 2:
                continue
            pred = set().union(*(alnum_positions(raw, s, e) for s, e in a.fragments))
            best = max(gold, key=lambda g: len(pred & g[0]), default=None)
            if best is None or not pred or len(pred & best[0]) * 2 < len(pred):
                continue
            labelled = [(c.feats, int(bool(alnum_positions(raw, *c.span) & best[1])), c.rules, c.taken) for c in cands]
            out.append((article["doc_id"], labelled))
    return out


def _pairs(gs: list[Group]) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Return one row per (candidate, rules' pick) pair that disagree on the gold speaker: the candidate's features
    minus the pick's, labelled 1 when the candidate is the right one. The model learns the score difference that
    decides an overruling."""
    indptr = [0]
    indices: list[np.ndarray] = []
    values: list[np.ndarray] = []
    labels: list[int] = []
    for _, cands in gs:
        rules = next(k for k, (_, _, r, _) in enumerate(cands) if r)
        mine = np.unique(learned.hashed(cands[rules][0]))
        for k, (feats, label, _, _) in enumerate(cands):
            if k == rules or label == cands[rules][1]:
                continue
            theirs = np.unique(learned.hashed(feats))
            keys = np.setxor1d(theirs, mine)  # shared features cancel
            diff = np.where(np.isin(keys, theirs), 1.0, -1.0).astype(np.float32)
            # each pair both ways round, so the model is antisymmetric and both classes exist
            for sign in (1.0, -1.0):
                indices.append(keys)
                values.append(sign * diff)
                indptr.append(indptr[-1] + len(keys))
                labels.append(label if sign > 0 else 1 - label)
    flat = np.concatenate(indices) if indices else np.zeros(0, dtype=np.int64)
    data = np.concatenate(values) if values else np.zeros(0, dtype=np.float32)
    x = sparse.csr_matrix((data, flat, indptr), shape=(len(labels), learned.DIM))
    return x, np.array(labels, dtype=np.int8)


def _fit(gs: list[Group], c: float, seed: int) -> LogisticRegression:
    """Fit the pairwise model (no intercept: it cancels in a difference; liblinear is deterministic for a seed)."""
    x, y = _pairs(gs)
    return LogisticRegression(C=c, solver="liblinear", fit_intercept=False, random_state=seed, max_iter=1000).fit(x, y)


def _changes(gs: list[Group], clf: LogisticRegression) -> dict[float, tuple[int, int]]:
    """Return, per margin, how many of the model's overrulings of the rules fix a speaker and how many break one."""
    model = chooser.SpeakerModel(clf.coef_[0].astype(np.float32), 0.0, 0.0)
    out = {m: (0, 0) for m in MARGINS}
    for _, cands in gs:
        best, lead = model.best([(f, r, taken) for f, _, r, taken in cands])
        rules = next(k for k, (_, _, r, _) in enumerate(cands) if r)
        if best == rules or cands[best][1] == cands[rules][1]:
            continue
        for m in MARGINS:
            if lead >= m:
                fixes, breaks = out[m]
                out[m] = (fixes + cands[best][1], breaks + cands[rules][1])
    return out


def train(articles: list[dict], out: Path, seed: int) -> int:
    """Choose C and the margin out of fold, refit on every group, write the chooser; return an exit code."""
    gs = groups(articles)
    if not gs:
        print("no speaker chooser written: no attribution with two candidates matches a gold one")
        return 2
    rules_right = sum(lab for _, cands in gs for _, lab, r, _ in cands if r)
    print(f"speaker chooser: {len(gs)} attributions with 2+ candidates, the rules right in {rules_right}")
    docs = sorted({d for d, _ in gs})
    random.Random(seed).shuffle(docs)
    fold = {d: k % FOLDS for k, d in enumerate(docs)}
    best: tuple[int, int, float, float] | None = None  # gain, -breaks, C, margin
    for c in C_GRID:
        totals = {m: [0, 0] for m in MARGINS}
        for f in range(FOLDS):
            clf = _fit([g for g in gs if fold[g[0]] != f], c, seed)
            for m, (fixes, breaks) in _changes([g for g in gs if fold[g[0]] == f], clf).items():
                totals[m][0] += fixes
                totals[m][1] += breaks
        for m in MARGINS:
            fixes, breaks = totals[m]
            print(f"  C={c}, margin {m}: out of fold, overruling the rules fixes {fixes} speakers and breaks {breaks}")
            # a speaker the rules had right and the model breaks costs more than a wrong one left: demand 3 fixes each;
            # of two choices with the same gain, the one that overrules the rules less often (breaks fewer) wins
            if fixes >= MIN_FIXES_PER_BREAK * breaks and (best is None or (fixes - breaks, -breaks) > best[:2]):
                best = (fixes - breaks, -breaks, c, m)
    if best is None or best[0] <= 0:
        print("no speaker chooser written: out of fold it never beats the rules by enough")
        return 2
    gain, _, c, margin = best
    print(f"chosen: C={c}, margin {margin}, {gain} more gold speakers out of fold than the rules' {rules_right}")
    clf = _fit(gs, c, seed)
    saved = {
        "weights": clf.coef_[0].astype(np.float16),
        "bias": np.float32(0.0),
        "margin": np.float32(margin),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **saved)  # type: ignore[arg-type]
    tmp.replace(out)
    print(f"C={c}, margin {margin}: wrote {out} ({out.stat().st_size / 1e6:.2f} MB)")
    return 0
