"""Turn retrieved statements and verdicts into answer text whose every line ends in verbatim [n] citations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

from retrieval.models import Article, Citation, Passage, Statement, Verdict
from retrieval.store import Store

SENTENCE_END = ".!?"
CLOSERS = "\"'”’)]"
MAX_WIDEN = 400  # characters a citation may grow by to take in its whole sentence


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


def sentence_span(text: str, lo: int, hi: int) -> tuple[int, int]:
    """Widen [lo, hi) to whole sentences within its paragraph, unless that adds more than MAX_WIDEN."""
    start = lo
    while start > 0 and text[start - 1] != "\n":
        if text[start - 1] in " \t" and start >= 2 and text[start - 2] in SENTENCE_END + CLOSERS:
            before = text[start - 2]
            if before in SENTENCE_END or (start >= 3 and text[start - 3] in SENTENCE_END):
                break
        start -= 1
    end = hi
    while end < len(text) and text[end] != "\n":
        if text[end] in SENTENCE_END:
            end += 1
            while end < len(text) and text[end] in CLOSERS:
                end += 1
            break
        end += 1
    while start < lo and text[start].isspace():
        start += 1
    if lo - start + end - hi > MAX_WIDEN:
        return lo, hi
    return start, end


class Renderer:
    """Builds answer text for one request; fetches each cited article once."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._articles: dict[str, Article | None] = {}
        self._roles: dict[str, str | None] = {}

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
        points = [st.start, st.end] + [
            x for x in (st.mention_start, st.mention_end, st.cue_start, st.cue_end) if x is not None
        ]
        lo, hi = sentence_span(art.text, min(points), max(points))
        return replace(p.cite(n), start=lo, end=hi, text=art.text[lo:hi], speaker_role=self.role(st.speaker_id))

    def role(self, speaker_id: str | None) -> str | None:
        """Return a speaker's first role, fetched at most once per request."""
        if not speaker_id:
            return None
        if speaker_id not in self._roles:
            sp = self.store.get_speaker(speaker_id)
            self._roles[speaker_id] = sp.roles[0] if sp and sp.roles else None
        return self._roles[speaker_id]

    def context_text(self, p: Passage) -> str:
        """Return the sentence a statement sits in (for ranking)."""
        return self.citation(0, p).text

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
        citations: list[Citation] = []
        for group in ordered:
            lines.append(self._header(group[0]))
            for p in sorted(group, key=lambda q: q.start):
                cit = self.citation(len(citations) + 1, p)
                citations.append(cit)
                label = (labels or {}).get(p.statement.speaker_id or "") if p.statement else None
                lines.append(f"- {f'{label}: ' if label else ''}{self._line(p, cit)} [{cit.n}]")
        return "\n".join(lines), citations

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
            return f"{st.speaker or 'Someone'} {st.cue or 'said'}: “{words}”"
        # Reported and mixed speech is shown as the source reports it, never turned into a direct quote.
        return f"Reported: {cit.text.strip()}"

    def verdict(self, v: Verdict, claimed: str | None) -> str:
        """Return the sentence that states a verdict, with its evidence markers."""
        marks = "".join(f"[{c.n}]" for c in v.evidence)
        who = v.claimed_speaker or claimed or "anyone"
        if v.label == "verified":
            return f"Verified: the sources quote {who} saying these words {marks}.".replace("  ", " ")
        if v.label == "altered":
            notes = f" ({'; '.join(v.notes)})" if v.notes else ""
            return f"Altered: {who} said something close, but the words differ{notes}. See the source {marks}."
        if v.label == "misattributed":
            return (
                f"Misattributed: the sources attribute these words to {v.actual_speaker or 'someone else'}, "
                f"not to {who} {marks}."
            )
        if v.label == "reported":
            return (
                f"Reported, not quoted: the sources report {who} saying this in indirect speech, "
                f"not in these exact words {marks}."
            )
        closest = f" The closest statements are cited {marks}." if marks else ""
        return f"Not found: I found no statement by {who} with these words in the indexed articles.{closest}"

    def dates(self, passages: Sequence[Passage]) -> tuple[str, list[Citation]]:
        """Say when (by publication date) the given statements were reported."""
        lines: list[str] = []
        citations: list[Citation] = []
        for p in passages:
            cit = self.citation(len(citations) + 1, p)
            citations.append(cit)
            st: Statement | None = p.statement
            who = st.speaker if st and st.speaker else "The speaker"
            when = pretty_date(p.source.published) or "an undated article"
            outlet = f" by {p.source.source}" if p.source.source else ""
            lines.append(f"{who} was reported saying it in an article published {when}{outlet} [{cit.n}].")
        return " ".join(lines), citations
