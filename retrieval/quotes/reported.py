"""Reported speech: cue verbs with a clausal or nominal complement in a dependency parse."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from retrieval.quotes import learned
from retrieval.quotes.cues import Cue, cue_for, lemma_of
from retrieval.quotes.marks import single_quoted
from retrieval.quotes.mentions import mention_span, outer_subject, subject_of
from retrieval.quotes.parsing import coarse
from retrieval.quotes.spans import ACCORDING_TO, LEARNED_CUE, SPEECH_VERB, WEAK_CUE, Attribution, Span, overlap

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

CLAUSE_DEPS = learned.CLAUSE_DEPS
OBJECT_DEPS = {"dobj", "oprd", "attr", "acomp", "npadvmod"}
EDGE_PUNCT = set(",.;:!?—–-()[]") | {"--"}
MIN_OBJECT_TOKENS = 3
NESTED_PRONOUNS = {"he", "she", "they", "we", "i", "it"}
# verbs whose object is the one spoken to: "when asked whether …", "Told that …" name the hearer, never the speaker
HEARER_VERBS = {"ask", "tell", "question", "press", "inform"}
LEADING_SKIP = {"that", "as", ",", ":", "—", "–", "-"}


def cue_lemma(tok: Token) -> str:
    """Return the lemma the lexicon is keyed by, read off the word by the lexicon's form table (no spaCy lemmas)."""
    return lemma_of(tok.text)


def _trim(doc: Doc, i: int, j: int) -> tuple[int, int]:
    """Shrink a token range [i, j] to drop leading complementisers and edge punctuation."""
    while i <= j and (doc[i].lower_ in LEADING_SKIP or doc[i].text in EDGE_PUNCT):
        i += 1
    while j >= i and doc[j].text in EDGE_PUNCT:
        j -= 1
    return i, j


def _char_span(doc: Doc, i: int, j: int, base: int) -> Span:
    """Return absolute character offsets of tokens i..j inclusive."""
    return base + doc[i].idx, base + doc[j].idx + len(doc[j].text)


def _prep_content(tok: Token, cue: Cue) -> tuple[int, int] | None:
    """Return the object of a content preposition after the cue ("called for a recount", "railed against X")."""
    for prep in tok.children:
        if prep.dep_ in {"prep", "prt"} and prep.lower_ in cue.preps and prep.i > tok.i:
            objs = [c for c in prep.children if c.dep_ in {"pobj", "pcomp"}]
            if objs:
                return min(o.left_edge.i for o in objs), max(o.right_edge.i for o in objs)
    return None


def content_tokens(tok: Token, cue: Cue) -> tuple[int, int] | None:
    """Return the token range of the content a cue verb introduces, if it has one."""
    if cue.prep_only:
        return _prep_content(tok, cue)
    kids = [c for c in tok.children if c.dep_ in CLAUSE_DEPS and coarse(c) in {"VERB", "AUX"}]
    # "The probe set off a row on Friday: Republicans said …": a clause before a colon is not what the cue says
    kids = [k for k in kids if k.i > tok.i or not any(t.text in {":", ";"} for t in tok.doc[k.i : tok.i])]
    if not kids and cue.strong:
        # "said after the convention he would not accept …": a finite clause with its own subject and no "when" or
        # "because" the parser took for an adverbial is what was said
        kids = [
            c
            for c in tok.children
            if c.dep_ == "advcl"
            and c.i > tok.i
            and coarse(c) in {"VERB", "AUX"}
            and any(g.dep_ == "nsubj" for g in c.children)
            and any(g.dep_ == "aux" for g in c.children)
            and not any(g.dep_ == "mark" for g in c.children)
        ]
    if not kids and cue.infinitive:
        kids = [c for c in tok.children if c.dep_ == "xcomp" and coarse(c) == "VERB" and c.i > tok.i]
    if not kids and cue.takes_object:
        # "labelled it as ludicrous": what follows "as" is the content; else the object(s) are
        for prep in (c for c in tok.children if c.dep_ == "prep" and c.lower_ == "as" and c.i > tok.i):
            kids.extend(prep.children)
        if not kids:
            kids = [c for c in tok.children if c.dep_ in OBJECT_DEPS and c.i > tok.i]
            # a bare object ("denies responsibility", "blamed Ukraine") is an action, not a statement
            if kids and max(k.right_edge.i for k in kids) - min(k.left_edge.i for k in kids) < MIN_OBJECT_TOKENS - 1:
                return _prep_content(tok, cue)  # but "accused her of lying" reports the lying
    if not kids:
        return _prep_content(tok, cue) if cue.preps else None
    lo = min(k.left_edge.i for k in kids)
    hi = max(k.right_edge.i for k in kids)
    hi = min([hi, *(_cut_before(k, c) for k in kids for c in _coordinated_cues(tok, k))])
    # a semicolon ends what was said ("… was not intentional; they only learned on Friday …" is the story's), unless
    # it is inside quoted words ('the rules were "unfair; unjust," must go')
    doc = tok.doc
    ends = [t.i for t in doc[lo : hi + 1] if t.text == ";" and not _quoted(doc, t.i)]
    hi = next((i - 1 for i in ends if i > tok.i), hi)
    lo = max([lo, *(i + 1 for i in ends if i < tok.i)])
    # a content that swallows the cue is a parse error ("said" inside its own complement)
    if lo <= tok.i <= hi:
        if kids[0].i > tok.i:
            lo = tok.i + 1
        else:
            hi = tok.i - 1
    return (lo, hi) if hi >= lo else None


def _quoted(doc: Doc, i: int) -> bool:
    """Return whether token `i` lies inside quotation marks opened earlier in its sentence."""
    before = [t.text for t in doc[doc[i].sent.start : i]]
    straight = sum(t.count('"') for t in before) + sum(1 for t in before if t == "''")
    return before.count("“") > before.count("”") or straight % 2 == 1


def _coordinated_cues(cue: Token, content: Token) -> list[Token]:
    """Return cue verbs the parser hung on the content that are the cue's own conjuncts ('said A and warned B').

    Such a verb shares the cue's tense and has no subject, while the content verb's form differs ("would order").
    """
    return [
        c
        for c in content.children
        if c.dep_ == "conj"
        and c.tag_ == cue.tag_ != content.tag_
        and is_cue(c)
        and not any(g.dep_ in {"nsubj", "nsubjpass"} for g in c.children)
    ]


def _cut_before(content: Token, conj: Token) -> int:
    """Return the last token index of a content that ends before a coordinated cue and its 'and'."""
    cc = [g for g in content.children if g.dep_ == "cc" and g.i < conj.i]
    return (cc[-1].i if cc else conj.i) - 1


def _according_to(doc: Doc, tok: Token, base: int) -> Attribution | None:
    """Read "according to X" as: the rest of the sentence is X's content."""
    nxt = doc[tok.i + 1] if tok.i + 1 < len(doc) else None
    if nxt is None or nxt.lower_ != "to":
        return None
    objs = [c for c in nxt.children if c.dep_ == "pobj"]
    if not objs:
        return None
    sent = tok.sent
    phrase_lo, phrase_hi = tok.i, max(tok.right_edge.i, objs[0].right_edge.i)
    before = _trim(doc, sent.start, phrase_lo - 1)
    after = _trim(doc, phrase_hi + 1, sent.end - 1)
    frags = [r for r in (before, after) if r[1] - r[0] >= 2]
    if not frags:
        return None
    return Attribution(
        fragments=[_char_span(doc, i, j, base) for i, j in frags],
        cue=_char_span(doc, tok.i, nxt.i, base),
        mention=mention_span(objs[0], base),
        confidence=ACCORDING_TO,
    )


def find_reported(doc: Doc, base: int, quoted: list[Span]) -> list[tuple[int, Attribution]]:
    """Return (cue token index, attribution) for each reported-speech cue in a parsed paragraph."""
    out: list[tuple[int, Attribution]] = []
    cue_model = learned.model()
    # the article's quotations that touch this paragraph: the checks below run per token
    quoted = [(s, e) for s, e in quoted if e > base and s < base + len(doc.text)]
    for tok in doc:
        pos = base + tok.idx
        if any(s <= pos < e for s, e in quoted):
            continue  # a cue inside someone's quoted words is theirs, not the article's
        if tok.lower_ == "according":
            att = _according_to(doc, tok, base)
            if att:
                out.append((tok.i, att))
            continue
        cand = candidate(tok, learned_cues=cue_model is not None)
        if cand is None:
            continue
        if cand.cue is None and not _learned_keeps(cue_model, cand, base, quoted):
            continue
        out.append((tok.i, _attribution(doc, cand, base)))
    return out


def _learned_keeps(cue_model: learned.CueModel | None, cand: Candidate, base: int, quoted: list[Span]) -> bool:
    """Return whether the model takes a learned cue's report."""
    return cue_model is not None and not holds_quoted(cand, base, quoted) and cue_model.accepts(cand.feats)


def holds_quoted(cand: Candidate, base: int, quoted: list[Span]) -> bool:
    """Return whether a candidate's content holds quoted words (a quotation, or curly single marks): those are the
    quotation finder's, never taken in under a guessed cue (training leaves such candidates out too)."""
    doc = cand.tok.doc
    lo, hi = doc[cand.content[0][0]].idx, doc[cand.content[-1][1]].idx + len(doc[cand.content[-1][1]].text)
    return any(overlap((base + lo, base + hi), q) for q in quoted) or bool(single_quoted(doc.text, lo, hi))


def _attribution(doc: Doc, cand: Candidate, base: int) -> Attribution:
    """Return the attribution a candidate cue makes."""
    subj, antecedent, borrowed = cand.speaker
    confidence = LEARNED_CUE if cand.cue is None else SPEECH_VERB if cand.cue.strong else WEAK_CUE
    return Attribution(
        fragments=[_char_span(doc, i, j, base) for i, j in cand.content],
        cue=_cue_span(doc, cand.tok, base),
        mention=mention_span(subj, base),
        antecedent=mention_span(antecedent, base) if antecedent is not None else None,
        confidence=confidence,
        borrowed=borrowed,
    )


def candidate(tok: Token, learned_cues: bool = True) -> Candidate | None:
    """Return the report a word would make as a cue: a lexicon verb by the rules, any other word for the model."""
    cue = cue_for(cue_lemma(tok)) if coarse(tok) in {"VERB", "AUX"} else None
    if cue is None:
        return learned_candidate(tok) if learned_cues else None
    if cue.names_source:
        return None
    rng = content_tokens(tok, cue)
    frags = _interpolated(tok.doc, tok) if rng is None and cue.strong else None
    if rng is None and not frags:
        # the rules read no content ("denied responsibility"): the model judges what the word governs
        return learned_candidate(tok, lexicon=cue) if learned_cues else None
    if frags is None:
        assert rng is not None
        i, j = _trim(tok.doc, *rng)
        if j < i:
            return None
        frags = [(i, j)]
    speaker = _speaker(tok)
    if speaker is None:
        return None
    return Candidate(tok, frags, speaker, [], cue)


def learned_candidate(tok: Token, lexicon: Cue | None = None) -> Candidate | None:
    """Return what a word would attribute if the learned model took it as a cue (`lexicon`: the entry of a lexicon
    cue whose rules found no content)."""
    if coarse(tok) not in learned.CANDIDATE_POS or tok.is_punct:
        return None
    comp = learned.content_of(tok)
    if comp is None:
        return None
    i, j = _trim(tok.doc, comp.lo, comp.hi)
    while j >= i and tok.doc[j].lower_ in learned.TRAILING:
        j -= 1  # 'signaled that the plan would fail and warned …': the "and" belongs to the next report
    if j < i:
        return None
    if coarse(tok) == "NOUN":
        # "Trump's claim that …": a noun's speaker is its possessor
        owner = next((c for c in tok.children if c.dep_ == "poss" and coarse(c) in {"PROPN", "PRON", "NOUN"}), None)
        speaker: tuple[Token, Token | None, bool] | None = (owner, None, False) if owner is not None else None
    else:
        speaker = _speaker(tok)
    if speaker is None:
        return None
    feats = learned.features(tok, comp, speaker[0])
    if lexicon is not None:
        feats += ["lex=" + ("strong" if lexicon.strong else "weak"), "lex|k=" + comp.kind]
    return Candidate(tok, [(i, j)], speaker, feats)


@dataclass(frozen=True)
class Candidate:
    """A word as a cue: its trimmed content ranges, speaker, its lexicon entry, or (learned) the model's features."""

    tok: Token
    content: list[tuple[int, int]]
    speaker: tuple[Token, Token | None, bool]
    feats: list[str]
    cue: Cue | None = None


def _speaker(tok: Token) -> tuple[Token, Token | None, bool] | None:
    """Return a cue's speaker token, the noun a relative subject stands for, and whether it is the outer reporter's."""
    own = {c.dep_ for c in tok.children}
    if tok.tag_ == "VBN" and cue_lemma(tok) in HEARER_VERBS and not own & {"agent", "nsubj", "nsubjpass"}:
        # "Christie said, when asked whether he would …": the question is an unnamed asker's, not Christie's
        return None
    subj, antecedent = subject_of(tok)
    borrowed = False
    if tok.dep_ == "conj" and tok.head.dep_ == "ccomp" and tok in _coordinated_cues(tok.head.head, tok.head):
        # 'Trump said he would order a review and warned against hackers': Trump warned
        subj, antecedent = subject_of(tok.head.head)
    if subj is None:
        return None
    if subj.dep_ == "nsubjpass" and subj.head.i == tok.i:
        # "X was asked whether …" / "X was told that …": the subject heard it; the agent, if any, said it
        agent = [g for c in tok.children if c.dep_ == "agent" for g in c.children if g.dep_ == "pobj"]
        if not agent:
            return None
        subj, antecedent = agent[0], None
    if subj.lower_ in NESTED_PRONOUNS:
        # PolNeAR-style nesting: "X said he thinks Y" reports X's account of what he thinks
        subj = outer_subject(tok, is_cue) or subj
    elif coarse(subj) == "NOUN":
        # "Bamberg said the videos do not show …": a thing inside someone's report is not its speaker
        outer = outer_subject(tok, is_cue)
        if outer is not None:
            subj, antecedent, borrowed = outer, None, True
    return subj, antecedent, borrowed


def _interpolated(doc: Doc, tok: Token) -> list[tuple[int, int]] | None:
    """Read "Climate change, Mr. Obama said, is the greatest threat" as the sentence around the cue's clause."""
    if tok.dep_ != "parataxis" or tok.head.dep_ != "ROOT":
        return None
    lo, hi = tok.left_edge.i, tok.right_edge.i
    while lo < tok.i and doc[lo].is_punct:
        lo += 1
    while hi > tok.i and doc[hi].is_punct:
        hi -= 1
    if lo == 0 or doc[lo - 1].text != "," or hi + 1 >= len(doc) or doc[hi + 1].text != ",":
        return None
    sent = tok.sent
    before = _trim(doc, sent.start, lo - 2)
    after = _trim(doc, hi + 2, sent.end - 1)
    if before[1] - before[0] < 1 or after[1] - after[0] < 1:
        return None
    return [before, after]


def is_cue(tok: Token) -> bool:
    """Return whether a token is a lexicon cue verb."""
    cue = cue_for(cue_lemma(tok))
    return coarse(tok) in {"VERB", "AUX"} and cue is not None and not cue.names_source


def _cue_span(doc: Doc, tok: Token, base: int) -> Span:
    """Return the cue span, widened over a particle or auxiliary chain ("has said", "pointed out")."""
    lo = hi = tok.i
    for c in tok.children:
        if c.dep_ in {"aux", "auxpass", "neg"} and c.i == lo - 1:
            lo = c.i
        if c.dep_ == "prt" and c.i == hi + 1:
            hi = c.i
    return _char_span(doc, lo, hi, base)
