"""Turn retrieved statements and verdicts into answer text whose every line ends in verbatim [n] citations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

from retrieval.citing import statement_span
from retrieval.models import Article, Citation, Passage, Verdict
from retrieval.quotes.cues import IRREGULAR, cue_for, lemma_of
from retrieval.store import Store

_PAST = frozenset(form for form, lemma in IRREGULAR.items() if form != lemma and not form.endswith("s"))


def excerpt(text: str, limit: int = 300) -> tuple[str, bool]:
    """Return a verbatim prefix of `text` of about `limit` characters ending at a word, and whether it was cut."""
    text = text.strip()
    if len(text) <= limit:
        return text, False
    return text[:limit].rsplit(" ", 1)[0].rstrip(), True


def pretty_date(published: str) -> str:
    """Return "6 May 2023" for "2023-05-06" (or the input when it is not a date)."""
    try:
        d = dt.date.fromisoformat(published)
    except ValueError:
        return published
    return f"{d.day} {d.strftime('%B %Y')}"


def intro_verb(cue: str | None) -> str:
    """Return the verb that introduces a quotation in the answer: the source's own if it reads well, else "said".

    "Kellyanne Conway told:" wants an object and "Michael Moore say:" a tense: only a past-tense speech verb
    that stands alone ("added", "wrote", "warned") is kept.
    """
    word = (cue or "").split()[-1:] or [""]
    low = word[0].lower()
    entry = cue_for(lemma_of(low))
    if entry is None or not entry.strong or entry.infinitive or entry.takes_object:
        return "said"
    return low if (low.endswith("ed") or low in _PAST) and low != entry.lemma else "said"


class Renderer:
    """Builds answer text for one request; fetches each cited article once and cites each span once."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._articles: dict[str, Article | None] = {}
        self._roles: dict[str, str | None] = {}
        self.citations: list[Citation] = []

    def article(self, article_id: str) -> Article | None:
        """Return an article, fetched at most once per request."""
        if article_id not in self._articles:
            self._articles[article_id] = self.store.get_article(article_id)
        return self._articles[article_id]

    def citation(self, n: int, p: Passage) -> Citation:
        """Cite a statement with its whole sentence (mention and cue included), verbatim from the article."""
        st, art = p.statement, self.article(p.source.article_id)
        if st is None or art is None:
            return p.cite(n)
        lo, hi = statement_span(art.text, st.start, st.end, st.mention_start, st.mention_end, st.cue_start, st.cue_end)
        return replace(p.cite(n), start=lo, end=hi, text=art.text[lo:hi], speaker_role=self.role(st.speaker_id))

    def cite(self, p: Passage) -> Citation:
        """Return the answer's citation of a passage, numbered on first use; a span cited before keeps its number."""
        cit = self.citation(len(self.citations) + 1, p)
        for known in self.citations:
            if (known.article_id, known.start, known.end) == (cit.article_id, cit.start, cit.end):
                return known
        self.citations.append(cit)
        return cit

    def role(self, speaker_id: str | None) -> str | None:
        """Return a speaker's first role, fetched at most once per request."""
        if not speaker_id:
            return None
        if speaker_id not in self._roles:
            sp = self.store.get_speaker(speaker_id)
            self._roles[speaker_id] = sp.roles[0] if sp and sp.roles else None
        return self._roles[speaker_id]

    def statements(
        self, lead: str, passages: Sequence[Passage], labels: dict[str, str] | None = None
    ) -> tuple[str, list[Citation]]:
        """Render statements grouped by article, newest first; direct words in quotes, reported speech as reported.

        `labels` maps a speaker id to a prefix naming who spoke ("Josh Earnest, White House press secretary").
        """
        groups: dict[str, list[Passage]] = {}
        for p in passages:
            groups.setdefault(p.source.article_id, []).append(p)
        ordered = sorted(groups.values(), key=lambda g: g[0].source.published, reverse=True)
        lines: list[str] = [lead]
        for group in ordered:
            lines.append(self._header(group[0]))
            lines += self._lines(sorted(group, key=lambda q: q.start), labels)
        return "\n".join(lines), self.citations

    def ranked(
        self, lead: str, passages: Sequence[Passage], labels: dict[str, str] | None = None
    ) -> tuple[str, list[Citation]]:
        """Render statements most relevant first, each naming the article it comes from."""
        lines = [lead]
        for p in passages:
            for line in self._lines([p], labels):
                lines.append(f"{line} ({self._source(p)})")
        return "\n".join(lines), self.citations

    def _lines(self, passages: Sequence[Passage], labels: dict[str, str] | None) -> list[str]:
        lines: list[str] = []
        shown: set[int] = set()
        for p in passages:
            cit = self.cite(p)
            if cit.n in shown:
                continue  # two statements of one sentence: the sentence is shown once
            shown.add(cit.n)
            label = (labels or {}).get(p.statement.speaker_id or "") if p.statement else None
            lines.append(f"- {f'{label}: ' if label else ''}{self._line(p, cit)} [{cit.n}]")
        return lines

    def _source(self, p: Passage) -> str:
        title = f"“{p.source.title}”" if p.source.title else f"article {p.source.article_id}"
        meta = ", ".join(x for x in (p.source.source, pretty_date(p.source.published)) if x)
        return f"{title}{f', {meta}' if meta else ''}"

    def _header(self, p: Passage) -> str:
        meta = ", ".join(x for x in (p.source.source, pretty_date(p.source.published)) if x)
        title = f"“{p.source.title}”" if p.source.title else f"article {p.source.article_id}"
        return f"In {title}{f' ({meta})' if meta else ''}:"

    def _line(self, p: Passage, cit: Citation) -> str:
        st = p.statement
        art = self.article(p.source.article_id)
        if st is None or art is None:
            return cit.text
        if st.kind == "direct" and st.quoted:
            words = " … ".join(art.text[s:e] for s, e in st.quoted)
            return f"{st.speaker or 'Someone'} {intro_verb(st.cue)}: “{words}”"
        # Reported and mixed speech is shown as the source reports it, never turned into a direct quote.
        return f"Reported: {cit.text.strip()}"

    def rollup(self, lead: str, picks: Sequence[tuple[str, Passage]]) -> tuple[str, list[Citation]]:
        """Render one line per speaker: who they are, then their most relevant statement."""
        lines = [lead]
        for who, p in picks:
            cit = self.cite(p)
            lines.append(f"- {who}: {self._line(p, cit)} [{cit.n}]")
        return "\n".join(lines), self.citations

    def verdict(self, v: Verdict, claimed: str | None) -> str:
        """Return the sentence that states a verdict, with its evidence markers."""
        marks = "".join(f"[{c.n}]" for c in v.evidence)
        who = v.claimed_speaker or claimed or "anyone"
        actual = v.actual_speaker or "someone else"
        if v.label == "verified":
            return f"Verified: the sources quote {who} saying these words {marks}.".replace("  ", " ")
        if v.label == "altered":
            notes = f" ({'; '.join(v.notes)})" if v.notes else ""
            return f"Altered: {who} said something close, but the words differ{notes}. See the source {marks}."
        if v.label == "misattributed":
            changed = any(d.op != "equal" for d in v.diff)
            also = " The words also differ from what was said; the diff shows how." if changed else ""
            meaning = v.similarity < 1.0 and not v.diff
            said = "said something with this meaning" if meaning else "said this"
            return f"Misattributed: {actual} {said}, not {who} {marks}.{also}"
        if v.label == "paraphrase":
            return f"Paraphrase: not in these words, but {actual} said this in other words {marks}."
        if v.label == "reported":
            return (
                f"Reported, not quoted: the sources report {who} saying this in indirect speech, "
                f"not in these exact words {marks}."
            )
        closest = f" The closest statements are cited {marks}." if marks else ""
        return f"Not found: I found no statement by {who} with these words in the indexed articles.{closest}"

    def dates(self, passages: Sequence[Passage]) -> tuple[str, list[Citation]]:
        """Say when the articles reporting the given statements were published (the sources rarely date a remark)."""
        by_article: dict[str, list[Citation]] = {}
        first: dict[str, Passage] = {}
        for p in passages:
            by_article.setdefault(p.source.article_id, []).append(self.cite(p))
            first.setdefault(p.source.article_id, p)
        whos = {p.statement.speaker for p in passages if p.statement and p.statement.speaker}
        who = next(iter(whos)) if len(whos) == 1 else "The speakers"
        parts = []
        for article_id, cites in by_article.items():
            p = first[article_id]
            when = pretty_date(p.source.published) or "an undated day"
            outlet = f" by {p.source.source}" if p.source.source else ""
            marks = "".join(f"[{n}]" for n in dict.fromkeys(c.n for c in cites))
            parts.append(f"published {when}{outlet} {marks}")
        text = (
            f"{who} was reported saying it in articles "
            if len(parts) > 1
            else f"{who} was reported saying it in an article "
        )
        text += "; ".join(parts) + ". That is the publication date; the articles do not date the remark itself."
        return text, self.citations
