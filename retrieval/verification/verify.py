"""Check a claimed quote against the stored statements: verified, altered, misattributed, reported or not_found.

Over 350 lines on purpose: one decision procedure whose steps (exact, frankenquote, alignment, meaning, not found)
are read in the order they decide, with the evidence each cites; candidates, alignment and diffs live apart.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from retrieval.citing import statement_span
from retrieval.embedding import Embedder
from retrieval.models import Article, Citation, DiffOp, Passage, Verdict, VerdictLabel
from retrieval.quotes.names import analyse
from retrieval.speakers import SpeakerIndex, fold
from retrieval.store import Store
from retrieval.verification.align import Alignment, align, find_in_order
from retrieval.verification.candidates import Candidate, CandidateSearch, Pool
from retrieval.verification.diff import describe, word_diff
from retrieval.verification.normalise import Claim, negated, parse_claim, phrase_probes

# A claim this close to a statement (2 * shared words / all words) is that statement with edits, not a new one:
# one changed word in a six-word quote scores 0.83, a shuffled or invented sentence far less.
ALTERED_MIN = 0.7
# Someone else's words must be this much closer than the claimed speaker's own close words to call it misattributed.
MISATTRIBUTED_MARGIN = 0.15
# Cosine similarity (claim vs statement) from which a statement means the claim in other words; calibrated on
# hand-written dev claims (benchmarks/bench_paraphrase.py: the lowest threshold with precision >= 0.95 there, 0.63,
# plus 0.05). Someone else's statement must be closer still before the claim is called misattributed on meaning.
PARAPHRASE_MIN = 0.68
PARAPHRASE_OTHER_MIN = 0.85
SCRAMBLED_SHARE = 0.6  # a claim sharing this much of its vocabulary with a statement is not in other words
MAX_PROBES = 3  # exact-phrase store queries per claim (each scans the full-text index)
ALIGN_LIMIT = 12  # candidates aligned word by word, picked by shared words
MAX_EVIDENCE = 5


@dataclass(frozen=True)
class _Exact:
    cand: Candidate
    quoted: bool  # all claimed words inside the speaker's quoted words
    spans: list[tuple[int, int]]  # token ranges of each claim segment


class Verifier:
    """Turns a claimed quote (and optional speaker) into a Verdict with verbatim evidence."""

    def __init__(self, store: Store, embedder: Embedder, speakers: SpeakerIndex) -> None:
        self.store = store
        self.embedder = embedder
        self.speakers = speakers
        self.search = CandidateSearch(store, embedder)

    def verify_claim(self, quote: str, speaker: str | None = None) -> Verdict:
        """Return the verdict on whether `speaker` (or anyone) said `quote`."""
        claim = parse_claim(quote)
        named = bool(speaker and speaker.strip())
        claimed, ids = self.resolve(speaker) if named else (None, frozenset[str]())
        if not claim.segments:
            return Verdict("not_found", quote.strip(), claimed, notes=("the claim holds no words",))
        return _Judgement(self, claim, claimed, ids, named).run()

    def resolve(self, speaker: str | None) -> tuple[str | None, frozenset[str]]:
        """Return the claimed speaker's display name and every speaker id the name may mean.

        "Clinton" may mean Hillary or Bill: both count as the claimed speaker, so either one's words verify it.
        """
        name = (speaker or "").strip()
        display: str | None = None
        ids: set[str] = set()
        # Every shorter form of the typed name means the same person: a corpus may know them under any of them.
        for key in name_variants(name):
            lookup = self.speakers.lookup(key)
            ids.update(lookup.ids())
            best = lookup.one if display is None else None
            display = best.name if best else display
        return display or name, frozenset(ids)

    def candidates(self, claim: Claim, ids: frozenset[str], *, dense: bool) -> Pool:
        """Return statements that may hold the claim: phrase hits, the claimed speaker's, and dense neighbours."""
        found = Pool()
        segments = [[t.norm for t in seg] for seg in claim.segments]
        text = claim_text(claim)
        if self.search.phrases(found, text, phrase_probes(claim)[:MAX_PROBES], segments):
            return found
        self.search.speaker(found, text, ids)
        if dense:
            self.add_dense(found, claim, ids)
        return found

    def add_dense(self, found: Pool, claim: Claim, ids: frozenset[str]) -> None:
        """Add the statements nearest the claim in meaning, overall and by the claimed speaker."""
        self.search.dense(found, claim_text(claim), ids=ids)


class _Judgement:
    """One claim being judged: the candidates, the decision and the evidence."""

    def __init__(self, verifier: Verifier, claim: Claim, claimed: str | None, ids: frozenset[str], named: bool) -> None:
        self.v = verifier
        self.claim = claim
        self.claimed = claimed
        self.ids = ids
        self.named = named
        self.segments = [[t.norm for t in seg] for seg in claim.segments]
        self.claimed_words = set(fold(claimed or "").split())
        self.articles: dict[str, Article | None] = {}

    def mine(self, c: Candidate) -> bool:
        """Return whether a statement is by the claimed speaker (anyone's, when no speaker is claimed)."""
        if not self.named:
            return True
        if self.ids:
            return c.st.speaker_id in self.ids
        # A description the index does not know ("one Democratic source on the panel") still names the speaker
        # whose whole name it contains ("one Democratic source").
        said_by = set(fold(c.st.speaker or "").split())
        return bool(said_by) and said_by <= self.claimed_words

    def run(self) -> Verdict:
        """Decide the label and gather the evidence, widening to neighbours in meaning when words do not settle it."""
        found = self.v.candidates(self.claim, self.ids, dense=False)
        verdict = self.decide(list(found.values()), final=False)
        if verdict:
            return verdict
        # No verbatim hit and nothing close among phrase hits and the speaker's statements: add the neighbours in
        # meaning, overall and the claimed speaker's (the claim's vector is cached from the phrase search), then
        # decide for good.
        self.v.add_dense(found, self.claim, self.ids)
        verdict = self.decide(list(found.values()), final=True)
        assert verdict is not None
        return verdict

    def decide(self, cands: list[Candidate], *, final: bool) -> Verdict | None:
        """Return the verdict these candidates support; before the final round, only a confident one."""
        exact = self.exact(cands)
        verdict = self.from_exact(exact) if exact else None
        verdict = verdict or self.frankenquote(cands)
        if verdict or not final:
            return verdict or self.from_alignment(cands, altered_only=True)
        return self.from_alignment(cands)

    def exact(self, cands: Any) -> list[_Exact]:
        """Return every candidate holding the claim verbatim, quoted matches marked."""
        out = []
        for c in cands:
            spans = find_in_order(self.segments, c.words, c.quoted) if any(c.quoted) else None
            if spans:
                out.append(_Exact(c, True, spans))
                continue
            spans = find_in_order(self.segments, c.words)
            if spans:
                out.append(_Exact(c, False, spans))
        # Quoted before reported, attributed before anonymous, then corpus order for stable evidence.
        return sorted(out, key=lambda e: (not e.quoted, e.cand.st.speaker is None, _order(e.cand)))

    def from_exact(self, exact: list[_Exact]) -> Verdict | None:
        """Return verified, reported or misattributed for verbatim hits (None: only unattributed ones)."""
        mine = [e for e in exact if self.mine(e.cand)]
        if mine and mine[0].quoted:
            hits = [e for e in mine if e.quoted]
            return self.verdict("verified", hits, actual=hits[0].cand.st.speaker or self.claimed)
        if mine:
            return self.verdict("reported", mine, actual=mine[0].cand.st.speaker or self.claimed)
        others = [e for e in exact if e.cand.st.speaker]
        if not others:
            return self.verdict(
                "not_found", exact, actual=None, notes=("the words appear in the sources, but no speaker is named",)
            )
        pool = [e for e in others if e.quoted] or others
        who = Counter(e.cand.st.speaker for e in pool).most_common(1)[0][0]
        hits = [e for e in pool if e.cand.st.speaker == who] + [e for e in pool if e.cand.st.speaker != who]
        return self.verdict("misattributed", hits, actual=who)

    def verdict(
        self, label: VerdictLabel, hits: list[_Exact], *, actual: str | None, notes: tuple[str, ...] = ()
    ) -> Verdict:
        """Return a verdict citing verbatim hits, with the (trivial) diff against the first."""
        cites = [self.cite_exact(e) for e in hits[:MAX_EVIDENCE]]
        first = hits[0]
        return Verdict(
            label=label,
            claim=self.claim.text,
            claimed_speaker=self.claimed,
            evidence=_number(cites),
            actual_speaker=actual,
            diff=_exact_diff(first, self.claim),
            notes=notes,
            similarity=1.0,
        )

    def cite_exact(self, e: _Exact) -> Citation | None:
        """Cite the matched words, or for reported speech the whole sentence that reports it."""
        c = e.cand
        start, end = c.tokens[e.spans[0][0]].start, c.tokens[e.spans[-1][1] - 1].end
        if not e.quoted:
            st = c.st
            article = self.article(st.article_id)
            if article is not None:
                start, end = statement_span(
                    article.text, start, end, st.mention_start, st.mention_end, st.cue_start, st.cue_end
                )
        return self.cite(c, start, end, 1.0)

    def frankenquote(self, cands: list[Candidate]) -> Verdict | None:
        """Return altered when each ellipsis segment is real but they do not come in order from one statement."""
        if len(self.segments) < 2:
            return None
        placed: list[tuple[Candidate, tuple[int, int]]] = []
        for seg in self.segments:
            hits = [(c, spans[0]) for c in cands if (spans := find_in_order([seg], c.words))]
            if not hits:
                return None
            hits.sort(key=lambda h: (not self.mine(h[0]), not h[0].quoted[h[1][0]], _order(h[0])))
            placed.append(hits[0])
        same = len({c.st.id for c, _ in placed}) == 1
        note = "segments appear out of order" if same else "segments joined from different statements"
        cites = [self.cite(c, c.tokens[i].start, c.tokens[j - 1].end, 1.0) for c, (i, j) in placed]
        best = self.best_alignment(cands, mine_only=False)
        diff = word_diff(self.claim.tokens, best[0].tokens, best[1].opcodes) if best else ()
        speakers = [c.st.speaker for c, _ in placed if c.st.speaker]
        return Verdict(
            label="altered",
            claim=self.claim.text,
            claimed_speaker=self.claimed,
            evidence=_number(cites),
            actual_speaker=speakers[0] if len(set(speakers)) == 1 else None,
            diff=diff,
            notes=(note,),
            similarity=best[1].ratio if best else 0.0,
        )

    def best_alignment(self, cands: list[Candidate], *, mine_only: bool) -> tuple[Candidate, Alignment] | None:
        """Return the candidate whose best window is closest to the claim, with that window."""
        ranked = self.aligned(cands, mine_only=mine_only)
        return ranked[0] if ranked else None

    def aligned(self, cands: list[Candidate], *, mine_only: bool) -> list[tuple[Candidate, Alignment]]:
        """Return candidates aligned with the claim, closest first (only those sharing most words are tried)."""
        words = [t.norm for t in self.claim.tokens]
        bag = set(words)
        pool = [c for c in cands if self.mine(c)] if mine_only else cands
        pool = sorted(pool, key=lambda c: (-len(bag.intersection(c.words)), -(c.dense or 0.0)))[:ALIGN_LIMIT]
        out = [(c, al) for c in pool if (al := align(words, c.words, self.claim.boundaries))]
        return sorted(out, key=lambda x: (-x[1].ratio, -(x[0].dense or 0.0), _order(x[0])))

    def from_alignment(self, cands: list[Candidate], *, altered_only: bool = False) -> Verdict | None:
        """Return altered or misattributed when a statement is close in words, else paraphrase or not_found.

        Wrong speaker beats changed words: when the closest words belong to someone else and the claimed speaker
        said nothing as close, the verdict is misattributed (with the diff against the real speaker's words).
        """
        own = self.aligned(cands, mine_only=True) if self.named else []
        everyone = self.aligned(cands, mine_only=False)
        own_best = own[0] if own and own[0][1].ratio >= ALTERED_MIN else None
        other = next((x for x in everyone if not self.mine(x[0]) and x[0].st.speaker), None) if self.named else None
        other_best = other if other and other[1].ratio >= ALTERED_MIN else None
        # Someone else's close words settle it only once the claimed speaker's nearest statements are in too.
        beaten = own_best is None or (other_best and other_best[1].ratio >= own_best[1].ratio + MISATTRIBUTED_MARGIN)
        if other_best and beaten and not altered_only:
            return self.close("misattributed", *other_best)
        if own_best is not None:
            return self.close("altered", *own_best)
        # close words nobody is named for (or anyone's, when no speaker is claimed): changed words, not a speaker
        unnamed = everyone if not self.named else [x for x in everyone if not x[0].st.speaker]
        if unnamed and unnamed[0][1].ratio >= ALTERED_MIN and not (altered_only and self.named):
            return self.close("altered", *unnamed[0])
        if altered_only:
            return None
        return self.paraphrase(cands) or self.not_found(own, everyone)

    def close(self, label: VerdictLabel, c: Candidate, al: Alignment) -> Verdict:
        """Return altered (the claimed speaker's words, changed) or misattributed (someone else's) with the diff."""
        notes = describe(self.claim.tokens, c.tokens, al.opcodes, self.claim.boundaries)
        if label == "misattributed":
            notes = (f"the sources attribute these words to {c.st.speaker}", *notes)
        cite = self.cite(c, c.tokens[al.start].start, c.tokens[al.end - 1].end, al.ratio)
        return Verdict(
            label=label,
            claim=self.claim.text,
            claimed_speaker=self.claimed,
            evidence=_number([cite]),
            actual_speaker=c.st.speaker,
            diff=word_diff(self.claim.tokens, c.tokens, al.opcodes),
            notes=notes,
            similarity=al.ratio,
        )

    def paraphrase(self, cands: list[Candidate]) -> Verdict | None:
        """Return paraphrase when a statement means the claim in other words (misattributed if someone else's)."""
        dense = sorted((c for c in cands if c.dense is not None and c.st.speaker), key=lambda c: -(c.dense or 0.0))
        own = next((c for c in dense if self.mine(c)), None)
        if own is not None and (own.dense or 0.0) >= PARAPHRASE_MIN and self.means(own):
            return self.meaning("paraphrase", own)
        other = next((c for c in dense if not self.mine(c)), None) if self.named else None
        if other is not None and (other.dense or 0.0) >= PARAPHRASE_OTHER_MIN and self.means(other):
            return self.meaning("misattributed", other)
        return None

    def means(self, c: Candidate) -> bool:
        """Return whether a statement close in meaning says the claim in other words, with the same polarity."""
        return self.other_words(c) and self.same_polarity(c)

    def other_words(self, c: Candidate) -> bool:
        """Return whether the claim is in other words than a statement, not its own words out of order.

        Embeddings barely see word order: a claim that reuses most of a statement's words without aligning to
        them is scrambled or rewritten, never a paraphrase.
        """
        words = {t.norm for t in self.claim.tokens}
        return len(words.intersection(c.words)) < SCRAMBLED_SHARE * len(words)

    def same_polarity(self, c: Candidate) -> bool:
        """Return whether the claim and a statement are both negated or both not (embeddings miss a "not")."""
        return negated([t.norm for t in self.claim.tokens]) == negated(c.words)

    def meaning(self, label: VerdictLabel, c: Candidate) -> Verdict:
        """Return a verdict resting on a statement that means the claim: cite its whole sentence."""
        st = c.st
        article = self.article(st.article_id)
        start, end = st.start, st.end
        if article is not None:
            start, end = statement_span(article.text, st.start, st.end, st.mention_start, st.mention_end)
        words = [t.norm for t in self.claim.tokens]
        al = align(words, c.words, self.claim.boundaries)
        note = "not in these words: the source says this in other words"
        if label == "misattributed":
            note = f"not in these words, and the sources attribute this meaning to {st.speaker}"
        return Verdict(
            label=label,
            claim=self.claim.text,
            claimed_speaker=self.claimed,
            evidence=_number([self.cite(c, start, end, round(c.dense or 0.0, 4))]),
            actual_speaker=st.speaker,
            diff=word_diff(self.claim.tokens, c.tokens, al.opcodes) if al else (),
            notes=(note,),
            similarity=round(c.dense or 0.0, 4),
        )

    def not_found(self, own: list[tuple[Candidate, Alignment]], everyone: list[tuple[Candidate, Alignment]]) -> Verdict:
        """Return not_found citing the closest statements: the claimed speaker's first, then anyone's."""

        # ranked by words and meaning together
        def closeness(x: tuple[Candidate, Alignment]) -> float:
            return (x[1].ratio + (x[0].dense or 0.0)) / 2

        picks: dict[str, tuple[Candidate, Alignment]] = {}
        for group, n in ((own, 2), (everyone, MAX_EVIDENCE)):
            for item in sorted(group, key=closeness, reverse=True)[:n]:
                if len(picks) < MAX_EVIDENCE:
                    picks.setdefault(item[0].st.id, item)
        cites = [self.cite(c, c.st.start, c.st.end, round(closeness((c, al)), 4)) for c, al in picks.values()]
        top = own[0] if own else (everyone[0] if everyone else None)
        return Verdict(
            label="not_found",
            claim=self.claim.text,
            claimed_speaker=self.claimed,
            evidence=_number(cites),
            diff=word_diff(self.claim.tokens, top[0].tokens, top[1].opcodes) if top else (),
            notes=("no statement in the sources holds these words",),
            similarity=top[1].ratio if top else 0.0,
        )

    def article(self, article_id: str) -> Article | None:
        """Return an article, read once per claim."""
        if article_id not in self.articles:
            self.articles[article_id] = self.v.store.get_article(article_id)
        return self.articles[article_id]

    def cite(self, c: Candidate, start: int, end: int, score: float) -> Citation | None:
        """Cite article.text[start:end] with the statement's metadata; None if the article is gone."""
        article = self.article(c.st.article_id)
        if article is None or not 0 <= start < end <= len(article.text):
            return None
        # The article text is the authority: citing its slice keeps every citation verbatim by construction.
        passage = Passage(c.passage.source, start, end, article.text[start:end], score, c.st)
        return passage.cite(0)


def _number(cites: Sequence[Citation | None]) -> tuple[Citation, ...]:
    """Return the citations that exist, numbered 1.. and without duplicate spans."""
    out: list[Citation] = []
    seen: set[tuple[str, int, int]] = set()
    for c in cites:
        if c is None or (c.article_id, c.start, c.end) in seen:
            continue
        seen.add((c.article_id, c.start, c.end))
        out.append(Citation(**{**c.to_dict(), "n": len(out) + 1}))
    return tuple(out)


def _exact_diff(e: _Exact, claim: Claim) -> tuple[DiffOp, ...]:
    """Return the diff of a verbatim hit: equal segments, with the words an ellipsis skipped as deletions."""
    ops: list[DiffOp] = []
    for k, (i, j) in enumerate(e.spans):
        if k:
            gap = e.cand.tokens[e.spans[k - 1][1] : i]
            if gap:
                ops.append(DiffOp("delete", " ".join(t.raw for t in gap), ""))
        source = " ".join(t.raw for t in e.cand.tokens[i:j])
        ops.append(DiffOp("equal", source, " ".join(t.raw for t in claim.segments[k])))
    return tuple(ops)


def name_variants(name: str) -> list[str]:
    """Return the typed name, then shorter forms of it that may be a known alias."""
    # Cut the description after a comma or parenthesis ("Daryl Kimball, executive director of ..."), an article or
    # a lowercase role before the name ("The piece", "spokesman John Kirby"), and keep the last capitalised run
    # ("IMF chief economist Maury Obstfeld").
    out = [name]
    # the extractor's own reading of a mention: titles, party tags and appositions off
    # ("Senate Majority Leader Mitch McConnell, R-Ky." -> "Mitch McConnell")
    parts = analyse(name)
    if parts.proper:
        out.append(parts.name)
    head = re.split(r"[,(]", name, maxsplit=1)[0].strip()
    words = head.split()
    while len(words) > 1 and (words[0][:1].islower() or words[0].lower() in ("the", "a", "an")):
        words = words[1:]
    out += [head, " ".join(words)]
    runs: list[list[str]] = [[]]
    for word in words:
        if word[:1].isupper():
            runs[-1].append(word)
        elif runs[-1]:
            runs.append([])
    # A one-word run is too often a place or an outlet ("The Indiana governor"); a possessive names an owner, not
    # the speaker ("Obama's former campaign strategist").
    last = [r for r in runs if r]
    if last and len(last[-1]) > 1 and not re.search(r"['’]s$", last[-1][-1]):
        out.append(" ".join(last[-1]))
    return [v for v in dict.fromkeys(out) if v]


def _order(c: Candidate) -> tuple[str, str, int]:
    return (c.passage.source.published, c.st.article_id, c.st.start)


def claim_text(claim: Claim) -> str:
    """Return the words of a claim as one query text."""
    return " ".join(t.raw for t in claim.tokens)
