"""The learned cue model: which words outside the cue lexicon introduce an attribution, scored over the parse.

The lexicon (cues.txt) holds the speech verbs; news also attributes through beliefs, wishes and stances ("wants",
"sees", "opposed", "is expected to"), far too many to list. A logistic model over hashed parse features, trained on
PolNeAR train by `scripts/train_attribution.py`, scores each word that is not a lexicon cue (or is one whose rules
read no content) but has a subject and a complement; the content is that complement (`content_of`), the speaker the
subject found by the lexicon's speaker rules (`reported.candidate`). Inference is numpy only: a dot product per
candidate word.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np

from retrieval.quotes.cues import lemma_of
from retrieval.quotes.parsing import coarse

if TYPE_CHECKING:
    from spacy.tokens import Token

MODEL_FILE = "cue_model.npz"
DIM = 1 << 18  # hashed feature space; 2^18 float16 weights are 512 KiB
CLAUSE_DEPS = {"ccomp", "parataxis"}  # reported.py reads clauses by the same relations
COMPLEMENT_OBJECT_DEPS = {"dobj", "attr", "oprd"}  # narrower than the rules': a model feature names the kind
CANDIDATE_POS = {"VERB", "AUX", "NOUN"}
PERSONAL = {"he", "she", "they", "i", "we", "you"}
_WORD = re.compile(r"[a-z]+")
TRAILING = {"and", "but", "or", ",", ";", "—", "–", "--"}  # a coordinator the parser hung on the complement's end


@dataclass(frozen=True)
class Complement:
    """The token range a candidate cue introduces, and how it hangs from the cue."""

    lo: int
    hi: int
    kind: str  # clause | that | xcomp | as | obj | prep:<word>


def content_of(tok: Token) -> Complement | None:
    """Return the complement a word would report if it were a cue: clause, infinitive, 'as' phrase, object, or
    prepositional object, in that order (nouns: a 'that' clause only)."""
    kids = [c for c in tok.children if c.dep_ in CLAUSE_DEPS and coarse(c) in {"VERB", "AUX"} and c.i > tok.i]
    kind = "clause"
    if coarse(tok) == "NOUN":
        # "the claim that …": only a that-clause makes a noun a cue
        kids = [c for c in kids + [c for c in tok.children if c.dep_ == "acl" and c.i > tok.i] if _has_that(c)]
        kind = "that"
    elif not kids:
        kids, kind = [c for c in tok.children if c.dep_ == "xcomp" and coarse(c) == "VERB" and c.i > tok.i], "xcomp"
        if not kids:
            as_preps = [c for c in tok.children if c.dep_ == "prep" and c.lower_ == "as" and c.i > tok.i]
            kids = [g for c in as_preps for g in c.children]
            kind = "as"
        if not kids:
            kids, kind = [c for c in tok.children if c.dep_ in COMPLEMENT_OBJECT_DEPS and c.i > tok.i], "obj"
        if not kids:
            prep = next((c for c in tok.children if c.dep_ == "prep" and c.i > tok.i), None)
            if prep is not None:
                kids, kind = [o for o in prep.children if o.dep_ in {"pobj", "pcomp"}], "prep:" + prep.lower_
    if not kids:
        return None
    lo = min(k.left_edge.i for k in kids)
    hi = max(k.right_edge.i for k in kids)
    if lo <= tok.i <= hi:
        return None
    return Complement(lo, hi, kind)


def _has_that(clause: Token) -> bool:
    """Return whether a clause opens with the complementiser 'that'."""
    return any(g.dep_ == "mark" and g.lower_ == "that" for g in clause.children)


def features(tok: Token, comp: Complement, subj: Token | None) -> list[str]:
    """Return the feature strings of one candidate cue: the word, its syntax, its complement and its subject."""
    doc = tok.doc
    word = tok.lower_
    lemma = lemma_of(tok.text)
    tag = tok.tag_
    size = comp.hi - comp.lo + 1
    first = doc[comp.lo].lower_
    prev = doc[tok.i - 1].lower_ if tok.i > 0 else "<s>"
    nxt = doc[tok.i + 1].lower_ if tok.i + 1 < len(doc) else "</s>"
    if subj is None:
        subject = "none"
    elif subj.lower_ in PERSONAL:
        subject = "pron:" + subj.lower_
    else:
        subject = coarse(subj)
    neg = any(c.dep_ == "neg" for c in tok.children)
    aux = next((c.lower_ for c in tok.children if c.dep_ in {"aux", "auxpass"}), "-")
    feats = [
        "bias",
        "w=" + word,
        "l=" + lemma,
        "t=" + tag,
        "d=" + tok.dep_,
        "hd=" + tok.head.dep_,
        "ht=" + tok.head.tag_,
        "k=" + comp.kind,
        "f=" + first,
        "p=" + prev,
        "n=" + nxt,
        "s=" + subject,
        "neg=" + str(neg),
        "aux=" + aux,
        "len=" + str(min(size, 30) // 5),
        "l|k=" + lemma + "|" + comp.kind,
        "l|t=" + lemma + "|" + tag,
        "l|f=" + lemma + "|" + first,
        "l|s=" + lemma + "|" + subject,
        "l|n=" + lemma + "|" + nxt,
        "k|s=" + comp.kind + "|" + subject,
        "k|f=" + comp.kind + "|" + first,
        "t|d=" + tag + "|" + tok.dep_,
    ]
    # the word's letters: rare cue words share stems and endings with common ones ("lambasted", "blasted")
    padded = f"<{lemma}>"
    feats += ["g3=" + padded[k : k + 3] for k in range(len(padded) - 2)]
    feats += ["g4=" + padded[k : k + 4] for k in range(len(padded) - 3)]
    if subj is not None:
        feats += ["sd=" + subj.dep_, "sdist=" + str(min(abs(tok.i - subj.i), 6)), "s|k=" + subject + "|" + comp.kind]
    head_verb = doc[comp.lo : comp.hi + 1].root
    feats += ["cr=" + head_verb.tag_, "l|cr=" + lemma + "|" + head_verb.tag_]
    return feats


def hashed(feats: list[str]) -> np.ndarray:
    """Return the feature indices (CRC-32, stable across processes and platforms)."""
    return np.fromiter(map(_index, feats), dtype=np.int64, count=len(feats))


@lru_cache(maxsize=1 << 16)
def _index(feat: str) -> int:
    """Return one feature's index (most features repeat across candidates: "t=VBD", "k=clause")."""
    return zlib.crc32(feat.encode()) % DIM


@dataclass(frozen=True)
class CueModel:
    """Logistic weights over hashed features, the decision threshold chosen at training time, and the trigger words:
    every word the model took as a cue in its training text."""

    weights: np.ndarray
    bias: float
    threshold: float
    triggers: frozenset[str] = frozenset()

    def may_report(self, paragraph: str) -> bool:
        """Return whether a paragraph holds a trigger word, i.e. is worth parsing for the model."""
        return any(w in self.triggers for w in _WORD.findall(paragraph.lower()))

    def probability(self, feats: list[str]) -> float:
        """Return the probability that a candidate's report is an attribution with the right speaker."""
        z = float(self.weights[hashed(feats)].sum(dtype=np.float32)) + self.bias
        return 1.0 / (1.0 + float(np.exp(-z)))

    def accepts(self, feats: list[str]) -> bool:
        """Return whether a candidate clears the threshold."""
        return self.probability(feats) >= self.threshold


@lru_cache(maxsize=1)
def model() -> CueModel | None:
    """Return the shipped cue model, or None when the package has none (extraction is then rules only)."""
    data = packaged(MODEL_FILE)
    if data is None:
        return None
    return CueModel(
        data["weights"], float(data["bias"]), float(data["threshold"]), frozenset(data["triggers"].tolist())
    )


def packaged(name: str) -> dict[str, np.ndarray] | None:
    """Return the arrays of a model file shipped in retrieval/quotes/data, or None when the package has none."""
    ref = resources.files("retrieval.quotes").joinpath("data", name)
    if not ref.is_file():
        return None
    with resources.as_file(ref) as path, np.load(path) as data:
        return {key: data[key] for key in data.files}
