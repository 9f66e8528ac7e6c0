"""Question -> intent -> retrieval -> extractive answer with [n] citations; plain Python, no Flask."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.answer import Answer, Context
from bot.intents import Intent, detect
from bot.render import Renderer, excerpt
from bot.rollup import rollup
from retrieval.models import Passage, Speaker, Verdict
from retrieval.quotes.cues import lemma_of
from retrieval.search import Filters, Searcher, topic_words, word_share
from retrieval.speakers import Lookup, SpeakerIndex
from retrieval.verification import Verifier
from retrieval.verification.candidates import Candidate, Pool
from retrieval.verification.verify import PARAPHRASE_MIN

_RANK = {"verified": 0, "reported": 1, "misattributed": 2, "altered": 3, "paraphrase": 4, "not_found": 5}
TOPIC_MIN = 0.35  # dense similarity from which a statement is about a topic; below it, the answer says so
WHO_SAID_MIN = 0.5  # words of the claim found (0..1) + half the dense similarity, for a who-said answer
# statements one person of a shared name must have per statement of all the others to be read as the one meant
DOMINANT = 10
SHOWN_LIMIT = 200  # statement ids remembered in the context


@dataclass(frozen=True)
class AskParams:
    """One question with what came with it."""

    question: str
    top_k: int = 5
    filters: Filters = field(default_factory=Filters)
    context: Context | None = None


class Chat:
    """Answers who-said-what questions extractively; every sentence rests on a verbatim citation."""

    def __init__(self, searcher: Searcher, speakers: SpeakerIndex, verifier: Verifier) -> None:
        self.searcher = searcher
        self.store = searcher.store
        self.speakers = speakers
        self.verifier = verifier
        self.search = verifier.search  # one candidate search for who-said and /verify

    def ask(self, params: AskParams) -> Answer:
        """Answer one question."""
        intent = detect(params.question)
        ctx = Context(**(params.context or {}))
        if intent.name == "speaker_statements":
            return self._speaker_statements(intent, params, ctx)
        if intent.name == "who_said":
            return self._who_said(intent, params, ctx)
        if intent.name == "verify":
            return self._verify(intent, params, ctx)
        if intent.name == "when":
            return self._when(params, ctx)
        if intent.name == "group":
            return self._group(intent, params, ctx)
        return self._search(params, ctx)

    # ---- intents -----------------------------------------------------------------------------------------

    def _speaker(self, intent: Intent, ctx: Context) -> Lookup:
        if intent.pronoun and ctx.get("speaker"):
            known = self.store.get_speaker(str(ctx["speaker"]))
            return Lookup((known,), "context") if known else Lookup()
        return self.speakers.lookup(intent.speaker or "")

    def _unknown_speaker(self, intent: Intent, name: str, ctx: Context) -> Answer:
        near = self.speakers.suggest(name) if name.lower() not in {"he", "she", "they"} else []
        text = f"I found no statements by {name} in the indexed articles."
        if intent.pronoun and not ctx.get("speaker"):
            text = f"I don't know who “{name}” refers to; ask about someone by name."
        if near:
            text += " Closest known speakers: " + ", ".join(s.name for s in near) + "."
        return Answer(text, intent.name, context=_context(ctx, topic=intent.topic))

    def _dominant(self, found: Sequence[Speaker]) -> Speaker | None:
        """Return the one of several people a name fits whom the articles quote `DOMINANT` times as often as all the
        others together ("Trump": Donald, not Ivanka), else None (the question is asked back)."""
        counts = [self.speakers.statement_count(sp) for sp in found]
        best = max(range(len(found)), key=lambda i: counts[i])
        rest = sum(counts) - counts[best]
        return found[best] if found[best].kind == "person" and counts[best] >= DOMINANT * max(rest, 1) else None

    def _which_one(self, intent: Intent, name: str, found: Sequence[Speaker], ctx: Context) -> Answer:
        """Ask which entity a name or role means instead of guessing, listing each with its roles."""
        lines = [f'"{name}" fits {len(found)} speakers in the indexed articles; which one do you mean?']
        for sp in found[:10]:
            n = self.speakers.statement_count(sp)
            lines.append(f"- {describe(sp)} ({n} statement{'s' if n != 1 else ''})")
        out = _context(ctx, topic=intent.topic)
        out["candidates"] = [sp.id for sp in found[:10]]
        return Answer("\n".join(lines), intent.name, context=out)

    def _speaker_statements(self, intent: Intent, params: AskParams, ctx: Context) -> Answer:
        lookup = self._speaker(intent, ctx)
        others: list[Speaker] = []
        if len(lookup.found) > 1:
            main = self._dominant(lookup.found)
            if main is None:
                return self._which_one(intent, intent.speaker or "", lookup.found, ctx)
            others = [sp for sp in lookup.found if sp.id != main.id]
            lookup = Lookup((main,), lookup.via)
        speaker = lookup.one
        if speaker is None:
            return self._unknown_speaker(intent, intent.speaker or "", ctx)
        same = ctx.get("speaker") == speaker.id
        shown: list[str] = list(ctx.get("shown", [])) if same else []
        spokes = {sp.id: sp for sp in lookup.spokespeople}
        # the same person stored under their surname alone by articles that never gave a full name
        also = [*spokes, *(sp.id for sp in self.speakers.twins(speaker.id))]
        where = params.filters
        filters = Filters(where.article_id, where.since, where.until, speaker.id, tuple(also))
        topic = intent.topic or (ctx.get("topic") if intent.more and same else None)
        about = True
        if topic:
            found = self.searcher.on_topic(topic, params.top_k + len(shown), filters)
            about = any(p.score >= TOPIC_MIN or word_share(topic_words(topic), p.text) for p in found[:1])
        else:
            # Newest first (a stable sort keeps each article's statements in text order), so top_k keeps the latest.
            # Without a date or article filter the speaker records' newest-first lists answer with a bounded read.
            plain = not (filters.article_id or filters.since or filters.until)
            newest = self.store.latest_statements([speaker.id, *also], params.top_k + len(shown)) if plain else None
            wanted = params.top_k + len(shown)
            short = (
                newest is not None
                and len(newest) >= wanted
                and len({p.statement.id for p in newest if p.statement} - set(shown)) < params.top_k
            )
            # statements shown by a topic answer are not the newest: a short list is read in full instead
            found = newest if newest is not None and not short else self._all_newest_first(filters)
        fresh = [p for p in found if p.statement and p.statement.id not in shown][: params.top_k]
        if not fresh:
            if shown:
                text = f"I have nothing more from {speaker.name} beyond the statements already shown."
            else:
                about_it = f" about {topic}" if topic else ""
                text = f"I found no statements by {speaker.name}{about_it} in the indexed articles."
            return Answer(
                text,
                "speaker_statements",
                speaker=speaker.name,
                context=_context(ctx, speaker=speaker, topic=topic, shown=shown, last=[]),
            )
        renderer = Renderer(self.store)
        n = len(fresh)
        counted = f"{n} {'more ' if shown else ''}{_plural(n, 'statement')}"
        lead = f"{speaker.name}: {counted} found."
        if topic:
            lead = f"{speaker.name} on {topic}: {counted}, most relevant first."
            if not about:
                lead = f"None of {speaker.name}'s statements in the indexed articles is about {topic}. The closest:"
        if lookup.via in {"role", "stands for"}:
            lead = f'Reading "{intent.speaker}" as {describe(speaker)}. ' + lead
        elif others:
            rivals = ", ".join(sp.name for sp in others[:3]) + (" and others" if len(others) > 3 else "")
            lead = f'Reading "{intent.speaker}" as {speaker.name}, quoted far more often than {rivals}. ' + lead
        if spokes:
            lead += " Statements by its spokespeople are labelled."
        # a spokesperson's words are the organisation's answer, but never shown as if the organisation said them
        labels = {sid: _spokes_label(sp, speaker) for sid, sp in spokes.items()}
        render = renderer.ranked if topic else renderer.statements
        text, citations = render(lead, fresh, labels)
        ids = [p.statement.id for p in fresh if p.statement]
        return Answer(
            text,
            "speaker_statements",
            tuple(citations),
            speaker=speaker.name,
            context=_context(ctx, speaker=speaker, topic=topic, shown=shown + ids, last=ids),
        )

    def _all_newest_first(self, filters: Filters) -> list[Passage]:
        """Return every statement matching the filters, newest article first (text order within an article)."""
        found = self.store.get_statements(filters)
        return sorted(found, key=lambda p: p.source.published, reverse=True)

    def _who_said(self, intent: Intent, params: AskParams, ctx: Context) -> Answer:
        claim = intent.claim or ""
        words = topic_words(claim)
        verb = lemma_of(intent.topic or "")
        where = params.filters
        pool = Pool()
        self.search.dense(pool, claim or params.question, where=where, top_k=max(params.top_k, 10))

        hits: dict[str, float] = {}  # by statement id: each candidate is scored several times below

        def hit(c: Candidate) -> float:
            if c.st.id not in hits:
                # Rank on the statement's own words, mention and cue: fetching every candidate's article is too slow.
                found = word_share(words, " ".join(x for x in (c.st.text, c.st.mention or "", c.st.cue or "") if x))
                # the question's verb is the statement's cue ("who accused ..." -> "accused")
                bonus = 0.25 if verb and c.st.cue and lemma_of(c.st.cue.split()[-1]) == verb else 0.0
                hits[c.st.id] = found + bonus
            return hits[c.st.id]

        def score(c: Candidate) -> float:
            return hit(c) + 0.5 * (c.dense or 0.0)

        # When the nearest statements in meaning do not hold every word of the claim, look wider for the three
        # longest words, in the case the question wrote them (a name capitalised, other words lower case).
        if not any(hit(c) >= 1.0 for c in pool.values()):
            written = {w.lower(): w for w in re.findall(r"[\w’'-]+", claim)}
            longest = sorted(words, key=len, reverse=True)[:3]
            self.search.words(pool, claim or params.question, [written.get(w, w) for w in longest], where)
        # Meaning ranks first and shared words second: a paraphrased question shares only common words with the
        # statement it means (dev golden: paraphrase_who right speaker 0.667 -> 0.778 against hit + dense / 2).
        ranked = sorted(
            (
                c
                for c in pool.values()
                if c.st.speaker and (score(c) >= WHO_SAID_MIN or (c.dense or 0) >= PARAPHRASE_MIN)
            ),
            key=lambda c: 0.5 * hit(c) + (c.dense or 0.0),
            reverse=True,
        )[: min(params.top_k, 3)]
        if not ranked:
            return Answer(
                f"I found no statement in the indexed articles that says {claim}.",
                "who_said",
                context=_context(ctx, topic=claim),
            )
        top = ranked[0].st
        # "Obama" of an article that gave no full name is answered as the person it is read as
        speaker = self.speakers.joined(top.speaker_id or "") or self.store.get_speaker(top.speaker_id or "")
        name = speaker.name if speaker else top.speaker
        renderer = Renderer(self.store)
        text, citations = renderer.ranked(f"{name}, according to the sources.", [c.passage for c in ranked])
        ids = [c.st.id for c in ranked]
        return Answer(
            text,
            "who_said",
            tuple(citations),
            speaker=name,
            context=_context(ctx, speaker=speaker, topic=claim, shown=ids, last=ids),
        )

    def _verify(self, intent: Intent, params: AskParams, ctx: Context) -> Answer:
        speaker_name = intent.speaker
        if intent.pronoun and ctx.get("speaker"):
            known = self.store.get_speaker(str(ctx["speaker"]))
            speaker_name = known.name if known else speaker_name
        claim = intent.claim or ""
        verdict = self.verifier.verify_claim(claim, speaker_name)
        if verdict.similarity < 1.0 and not intent.quoted:
            # An unquoted claim often opens with the subject ("Putin deserves ..."): try the words after it, and
            # take the first the sources hold word for word when that says more (verified beats altered; a
            # misattribution already found keeps its diff against the full claim).
            words = claim.split()
            for drop in range(1, min(4, len(words) - 2)):
                shorter = self.verifier.verify_claim(" ".join(words[drop:]), speaker_name)
                if shorter.similarity >= 1.0 and _RANK[shorter.label] < _RANK[verdict.label]:
                    verdict = shorter
                    break
        text = Renderer(self.store).verdict(verdict, speaker_name)
        speaker = self.speakers.lookup(speaker_name).one if speaker_name else None
        ids = [c.statement_id for c in verdict.evidence if c.statement_id]
        return Answer(
            text,
            "verify",
            verdict.evidence,
            (verdict,),
            speaker=verdict.claimed_speaker,
            context=_context(ctx, speaker=speaker, topic=claim, shown=ids, last=ids),
        )

    def _group(self, intent: Intent, params: AskParams, ctx: Context) -> Answer:
        group, topic = intent.speaker or "people", intent.topic or ""
        renderer = Renderer(self.store)
        found = rollup(
            self.searcher, group, topic, max(params.top_k, 5), params.filters, renderer.article, self.speakers.joined
        )
        if not found.picks:
            none = f"I found no {group} quoted about {topic} in the indexed articles."
            if found.others:
                none += f" Other speakers are quoted on it ({found.others}); ask without the group to see them."
            return Answer(none, "group", context=_context(ctx, topic=topic))
        n = len(found.picks)
        who = f"{group[:1].upper()}{group[1:]}" if found.filtered else "Speakers"
        lead = f"{who} quoted about {topic}: {n} {_plural(n, 'speaker')}, each with their most relevant statement."
        picks = [(describe(p.speaker) if p.speaker and p.speaker.roles else p.name, p.passage) for p in found.picks]
        text, citations = renderer.rollup(lead, picks)
        ids = [p.passage.statement.id for p in found.picks if p.passage.statement]
        return Answer(text, "group", tuple(citations), context=_context(ctx, topic=topic, shown=ids, last=ids))

    def _when(self, params: AskParams, ctx: Context) -> Answer:
        last = [str(i) for i in ctx.get("last", [])]
        passages = self.store.statements_by_ids(last)
        if not passages:
            return Answer(
                "I can't tell which statement you mean; ask about a speaker first.", "when", context=_context(ctx)
            )
        text, citations = Renderer(self.store).dates(passages)
        return Answer(text, "when", tuple(citations), speaker=ctx.get("speaker_name"), context=_context(ctx))

    def _search(self, params: AskParams, ctx: Context) -> Answer:
        passages = self.searcher.passages(params.question, params.top_k, params.filters)
        if not passages:
            return Answer(
                "I found nothing in the indexed articles about that.",
                "search",
                context=_context(ctx, topic=params.question[:200]),
            )
        citations = [p.cite(n) for n, p in enumerate(passages, start=1)]
        lines = ["The most relevant passages:"]
        for c in citations:
            shown, cut = excerpt(c.text)
            # Only verbatim words go inside quotation marks; the ellipsis stays outside them.
            lines.append(f"- {c.title or c.article_id}: “{shown}”{' …' if cut else ''} [{c.n}]")
        return Answer("\n".join(lines), "search", tuple(citations), context=_context(ctx, topic=params.question[:200]))


def _plural(n: int, noun: str) -> str:
    return noun if n == 1 else noun + "s"


def _means(c: Candidate) -> bool:
    """Return whether a statement means a claim in other words (dense similarity alone)."""
    return (c.dense or 0.0) >= PARAPHRASE_MIN


def describe(sp: Speaker) -> str:
    """Return a speaker's name with their roles, for telling entities apart ("John Kirby, spokesman")."""
    if not sp.roles:
        return f"{sp.name} ({sp.kind})"
    # an entity named by its role ("Republican presidential nominee") is not described by that role again
    return ", ".join([sp.name, *[r for r in sp.roles if r.casefold() != sp.name.casefold()][:2]])


def _spokes_label(sp: Speaker, org: Speaker) -> str:
    """Return how a spokesperson's lines are labelled: "Dmitry Peskov, Kremlin spokesman"; a role-named entity
    ("Google spokesperson") is its own label."""
    role = _role_for(sp, org)
    return sp.name if role.casefold() == sp.name.casefold() else f"{sp.name}, {role}"


def _role_for(sp: Speaker, org: Speaker) -> str:
    """Return the role that ties a spokesperson to an organisation ("White House press secretary")."""
    key = org.name.lower()
    return next((r for r in sp.roles if key in r.lower()), sp.roles[0] if sp.roles else f"for {org.name}")


def _context(
    ctx: Context,
    *,
    speaker: Speaker | None = None,
    topic: str | None = None,
    shown: Sequence[str] | None = None,
    last: Sequence[str] | None = None,
) -> Context:
    """Return the context the client sends back with its next question (the API keeps no state)."""
    out = Context(**ctx)
    if speaker is not None:
        out["speaker"], out["speaker_name"] = speaker.id, speaker.name
    if topic is not None:
        out["topic"] = topic
    if shown is not None:
        out["shown"] = list(shown)[-SHOWN_LIMIT:]
    if last is not None:
        out["last"] = list(last)
    return out


__all__ = ["AskParams", "Chat", "Verdict"]
