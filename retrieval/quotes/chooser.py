"""The learned speaker chooser: which mention in a cue's sentence is the speaker, scored over the parse.

The rules pick one speaker mention per attribution (the cue's subject, the name after a dash, the outer reporter of
a nested cue...). When a sentence holds several people ('Though he said …, John said none were added'; 'X thinks
…, Y said'), they sometimes pick the wrong one. A logistic model over hashed parse features, trained on PolNeAR
train by `scripts/train_attribution.py`, scores every noun, name and pronoun of the cue's sentence outside the
content, the rules' pick among them; the pick is replaced only when another candidate outscores it by the margin
chosen at training time. Inference is numpy only: a dot product per candidate.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from retrieval.quotes.cues import cue_for, lemma_of
from retrieval.quotes.learned import PERSONAL, hashed, packaged
from retrieval.quotes.mentions import (
    MENTION_DEPS,
    NOT_SPEAKERS,
    SUBJECT_DEPS,
    TIME_WORDS,
    mention_span,
    quotation_open,
)
from retrieval.quotes.parsing import coarse
from retrieval.quotes.spans import Attribution, Span, overlap

if TYPE_CHECKING:
    from collections.abc import Sequence

    from spacy.tokens import Token

    from retrieval.quotes.direct import Parsed

MODEL_FILE = "speaker_model.npz"
NOMINAL = {"NOUN", "PROPN", "PRON"}
SOURCES = {"quote", "reported", "partial"}  # floating quotes inherit a speaker; labels name theirs
QUESTION_TAGS = {"WP", "WP$", "WDT"}  # "whom", "what", "which": relative and question words name nobody


@dataclass(frozen=True)
class Candidate:
    """One mention the chooser may give an attribution: its head token, span, and features."""

    head: Token
    span: Span
    feats: list[str]
    rules: bool  # the rules' own pick
    taken: bool = False  # another statement's speaker, whose content does not hold this cue


def candidates(text: str, parsed: list[Parsed], a: Attribution, others: Sequence[Attribution] = ()) -> list[Candidate]:
    """Return one attribution's speaker candidates with the rules' pick among them ([] when there is no choice)."""
    # Candidates are the noun-phrase heads of the cue's sentence outside every statement's words (an outer report
    # that holds this cue aside); the attribution qualifies when its mention is one of them. A candidate that speaks
    # another statement is `taken` unless that statement's words hold this cue (an outer reporter).
    mention = a.mention
    if a.cue is None or mention is None or a.inherit or a.source not in SOURCES:
        return []
    p = next((p for p in parsed if p.para.start <= a.cue[0] < p.para.end), None)
    if p is None or not p.doc.has_annotation("DEP"):
        return []
    base = p.para.start
    cue_words = p.doc.char_span(a.cue[0] - base, a.cue[1] - base, alignment_mode="expand")
    if cue_words is None or not len(cue_words):
        return []
    cue = cue_words.root  # "has found", "did not say": the verb, not the auxiliary the cue span opens with
    sent = cue.sent
    # statements beside this one (their words do not hold its cue): their speakers and words are theirs
    beside = [o for o in others if o is not a and not any(s <= a.cue[0] < e for s, e in o.fragments)]
    blocked = [*a.fragments, *a.quoted, a.cue, *(f for o in beside for f in (*o.fragments, *o.quoted))]
    heads: list[Token] = []
    spans: list[Span] = []
    for t in sent:
        if (
            coarse(t) not in NOMINAL
            or t.tag_ in QUESTION_TAGS
            or t.dep_ in MENTION_DEPS
            or t.lower_ in NOT_SPEAKERS | TIME_WORDS
            # 'on “Fox and Friends”': a title, not a speaker; counted from the paragraph's start, since a sentence
            # may open inside a quotation ('“He's right. There's …,” Flynn said on Fox News’s “Fox and Friends.”')
            or quotation_open(text[base : base + t.idx])
        ):
            continue
        span = mention_span(t, base)
        if any(overlap(span, b) for b in blocked) or text[span[0] - 1 : span[0]] == "(":
            continue  # "(D-Nev.)", "(R)": a tag, not a speaker
        heads.append(t)
        spans.append(span)
    # the rules' pick is the candidate whose head word their mention holds; a relative pronoun ("who") is none
    rules_at = [k for k, t in enumerate(heads) if mention[0] <= base + t.idx < mention[1]]
    if not rules_at:
        return []
    # the rules' mention may hold two heads ("the minister, Anna Berg"): the one whose span matches best is theirs
    pick = min(rules_at, key=lambda k: abs(spans[k][0] - mention[0]) + abs(spans[k][1] - mention[1]))
    # other heads inside the rules' mention name the same speaker ("his spokesman Lee Park"): not a choice
    keep = [k for k, t in enumerate(heads) if k == pick or not mention[0] <= base + t.idx < mention[1]]
    heads, spans, pick = [heads[k] for k in keep], [spans[k] for k in keep], keep.index(pick)
    if len(heads) < 2:
        return []  # nothing to choose between
    content_lo = min(s for s, _ in a.fragments)
    content_hi = max(e for _, e in a.fragments)
    rule_head = heads[pick]
    out = []
    for k, (t, span) in enumerate(zip(heads, spans, strict=True)):
        words = len(text[span[0] : span[1]].split())
        feats = features(t, cue, rule_head, base, content_lo, content_hi, a.confidence, heads, sent.root, words)
        taken = any(o.mention is not None and o.mention[0] <= base + t.idx < o.mention[1] for o in beside)
        out.append(Candidate(t, span, feats, k == pick, taken))
    return out


def _chain(cue: Token, head: Token) -> str:
    """Return the relations from the cue up to a candidate's head, when the head governs the cue ('ccomp>conj')."""
    deps: list[str] = []
    cur = cue
    for _ in range(4):
        if cur.i == head.i:  # spaCy makes a new Token object on every access: compare positions, never identity
            return ">".join(deps) or "self"
        if cur.head.i == cur.i:
            break
        deps.append(cur.dep_)
        cur = cur.head
    return "none"


def _kind(t: Token) -> str:
    """Return a mention's kind: a personal pronoun by its word, else its coarse tag."""
    return "pron:" + t.lower_ if t.lower_ in PERSONAL else coarse(t)


def _path(t: Token, cue: Token) -> str:
    """Return how a candidate hangs from the cue: its child, its head's child, an ancestor's child, or unrelated."""
    if t.head.i == cue.i:
        return "child"
    if cue.head.i == t.head.i and t.head.i != t.i:
        return "sibling"
    if t.head.is_ancestor(cue):
        return "above"
    if cue.is_ancestor(t):
        return "below"
    return "apart"


def features(
    t: Token,
    cue: Token,
    rule: Token,
    base: int,
    content_lo: int,
    content_hi: int,
    confidence: float,
    heads: list[Token],
    root: Token,
    words: int,
) -> list[str]:
    """Return the feature strings of one candidate mention against the cue, the content and the rules' pick."""
    kind = _kind(t)
    side = "L" if t.i < cue.i else "R"
    at = base + t.idx
    place = "before" if at < content_lo else ("after" if at >= content_hi else "within")
    path = _path(t, cue)
    head_lemma = lemma_of(t.head.text)
    head_cue = "cue" if cue_for(head_lemma) is not None else "-"
    between = sum(1 for h in heads if min(t.i, cue.i) < h.i < max(t.i, cue.i) and h.dep_ in SUBJECT_DEPS)
    dist = min(abs(t.i - cue.i), 12) // 2
    is_rule = "R" if t.i == rule.i else "O"
    conf = f"{confidence:.2f}"
    rel = "same" if t.i == rule.i else ("left" if t.i < rule.i else "right")
    feats = [
        "bias",
        "rule=" + is_rule,
        "rule|conf=" + is_rule + "|" + conf,
        "d=" + t.dep_,
        "k=" + kind,
        "t=" + t.tag_,
        "side=" + side,
        "place=" + place,
        "path=" + path,
        "hc=" + head_cue,
        "dist=" + str(dist),
        "between=" + str(min(between, 3)),
        "rel=" + rel,
        "rd=" + rule.dep_,
        "rk=" + _kind(rule),
        "rpath=" + _path(rule, cue),
        "d|path=" + t.dep_ + "|" + path,
        "d|side=" + t.dep_ + "|" + side,
        "d|hc=" + t.dep_ + "|" + head_cue,
        "k|d=" + kind + "|" + t.dep_,
        "path|place=" + path + "|" + place,
        "rule|d=" + is_rule + "|" + t.dep_,
        "rule|path=" + is_rule + "|" + path,
        "rel|d|rd=" + rel + "|" + t.dep_ + "|" + rule.dep_,
        "rel|k|rk=" + rel + "|" + kind + "|" + _kind(rule),
        "rel|path|rpath=" + rel + "|" + path + "|" + _path(rule, cue),
        "cue=" + lemma_of(cue.text),
        "cue|d|path=" + lemma_of(cue.text) + "|" + t.dep_ + "|" + path,
        "hl|d=" + head_lemma + "|" + t.dep_,
        "conf|d|path=" + conf + "|" + t.dep_ + "|" + path,
    ]
    commas = sum(1 for x in t.doc[min(t.i, cue.i) : max(t.i, cue.i)] if x.text == ",")
    subject_of_cue = t.dep_ in SUBJECT_DEPS and t.head.i != cue.i and cue_for(head_lemma) is not None
    root_subject = t.dep_ in SUBJECT_DEPS and t.head.i == root.i
    chain = _chain(cue, t.head)
    rule_gap = cue.i - rule.i
    adjacent = "adj" if rule_gap == 1 else ("near" if 0 < rule_gap <= 3 else "far")
    feats += [
        "radj=" + adjacent,
        "radj|rel=" + adjacent + "|" + rel,
        "radj|rel|path=" + adjacent + "|" + rel + "|" + path,
        "chain=" + chain,
        "chain|d|rel=" + chain + "|" + t.dep_ + "|" + rel,
        "words=" + str(min(words, 5)),
        "commas=" + str(min(commas, 3)),
        "othercue=" + str(subject_of_cue),
        "rootsubj=" + str(root_subject),
        "hl|path=" + head_lemma + "|" + path,
        "k|path|side=" + kind + "|" + path + "|" + side,
        "othercue|rel=" + str(subject_of_cue) + "|" + rel,
        "rootsubj|rel|path=" + str(root_subject) + "|" + rel + "|" + path,
    ]
    if t.dep_ == "poss" or any(c.dep_ == "case" for c in t.children):
        feats.append("possessive")
    if t.dep_ == "pobj":
        feats.append("prep=" + t.head.lower_)
    return feats


@dataclass(frozen=True)
class SpeakerModel:
    """Logistic weights over hashed candidate features and the margin by which a candidate must beat the rules."""

    weights: np.ndarray
    bias: float
    margin: float

    def score(self, feats: list[str]) -> float:
        """Return a candidate's logit."""
        # each feature counts once, as in training (two strings may hash to one index)
        return float(self.weights[np.unique(hashed(feats))].sum(dtype=np.float32)) + self.bias

    def choose(self, cands: list[Candidate]) -> Candidate | None:
        """Return the candidate to replace the rules' pick with, or None to keep it."""
        if not any(c.rules for c in cands):
            return None
        best, lead = self.best([(c.feats, c.rules, c.taken) for c in cands])
        return None if cands[best].rules or lead < self.margin else cands[best]

    def best(self, cands: list[tuple[list[str], bool, bool]]) -> tuple[int, float]:
        """Return the index of the best (features, rules' pick, taken) candidate and its lead over the rules' pick."""
        # another statement's own speaker is not this one's, unless this one lies inside what that speaker said
        scores = [-np.inf if taken and not rules else self.score(feats) for feats, rules, taken in cands]
        best = int(np.argmax(scores))
        pick = next(k for k, (_, rules, _) in enumerate(cands) if rules)
        return (pick, 0.0) if best == pick else (best, scores[best] - scores[pick])


def choose_speakers(text: str, parsed: list[Parsed], atts: list[Attribution]) -> None:
    """Give each attribution the mention the shipped chooser prefers to the rules' (in place; no model: no change)."""
    chooser = model()
    if chooser is None:
        return
    # every pick is made against the rules' mentions (as in training) before any is replaced
    picks = [chooser.choose(candidates(text, parsed, a, atts)) for a in atts]
    for a, pick in zip(atts, picks, strict=True):
        if pick is not None:
            a.mention = pick.span
            a.antecedent = None  # the antecedent belonged to the replaced relative pronoun


@lru_cache(maxsize=1)
def model() -> SpeakerModel | None:
    """Return the shipped speaker chooser, or None when the package has none (the rules' picks stand)."""
    data = packaged(MODEL_FILE)
    return None if data is None else SpeakerModel(data["weights"], float(data["bias"]), float(data["margin"]))
