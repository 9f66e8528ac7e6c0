"""Statement extraction: combine quotations and reported speech into resolved `Statement`s."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator

from retrieval.models import Statement, StatementKind, content_id
from retrieval.quotes import learned
from retrieval.quotes.chooser import choose_speakers
from retrieval.quotes.cues import is_strong, may_attribute
from retrieval.quotes.direct import Parsed, attribute_quotes
from retrieval.quotes.labels import find_labelled
from retrieval.quotes.marks import Paragraph, find_quotes, normalize_marks, single_quoted, split_paragraphs
from retrieval.quotes.parsing import parse, tokenize
from retrieval.quotes.reported import find_reported
from retrieval.quotes.spans import Attribution, Span, contains, overlap
from retrieval.quotes.speakers import resolve, speaker_id

PARALLEL_FROM = 200  # articles


def extract_statements(text: str, article_id: str = "") -> list[Statement]:
    """Return every attributed statement in an article, with verbatim spans and resolved speakers."""
    return next(extract_many([(text, article_id)]))


def extract_many(
    articles: Iterable[tuple[str, str]], batch_size: int = 64, n_process: int | None = None
) -> Iterator[list[Statement]]:
    """Yield the statements of each (text, article_id), parsing all paragraphs in batches."""
    items = list(articles)
    for (original, article_id), (text, parsed) in zip(
        items, parsed_many([t for t, _ in items], batch_size, n_process), strict=True
    ):
        yield _statements(text, article_id, parsed, original)


def parsed_many(
    texts: list[str], batch_size: int = 64, n_process: int | None = None
) -> Iterator[tuple[str, list[Parsed]]]:
    """Yield each text with normalised quotation marks and its paragraphs, parsed where a statement may be."""
    if n_process is None:
        # worker start-up (a model load each) only pays off on a corpus, not on one article
        n_process = min(2, os.cpu_count() or 1) if len(texts) >= PARALLEL_FROM else 1
    # read typewriter '' quotation marks as double quotes; offsets stay those of the original text
    norms = [normalize_marks(text) for text in texts]
    layouts = [split_paragraphs(text) for text in norms]
    # a hard-wrapped paragraph spans lines: the parser reads its line breaks as spaces (same length, same offsets)
    chunks = [
        text[p.start : p.end].replace("\n", " ") for text, paras in zip(norms, layouts, strict=True) for p in paras
    ]
    # a paragraph with no quotation mark, cue word, closing colon or word the learned cue model ever took as a cue
    # cannot hold a statement: tokenize it only (parsing every paragraph cost ~5% more extraction time and left the
    # dev and held-out scores as they are)
    cue_model = learned.model()
    wanted = [may_attribute(c) or (cue_model is not None and cue_model.may_report(c)) for c in chunks]
    parses = parse((c for c, w in zip(chunks, wanted, strict=True) if w), batch_size=batch_size, n_process=n_process)
    docs = (next(parses) if w else tokenize(c) for c, w in zip(chunks, wanted, strict=True))
    for text, paras in zip(norms, layouts, strict=True):
        yield text, [Parsed(p, next(docs)) for p in paras]


def _statements(text: str, article_id: str, parsed: list[Parsed], original: str) -> list[Statement]:
    """Return the statements of one parsed article (`text` with normalised marks, spans into `original`)."""
    atts = attributions(text, parsed)
    choose_speakers(text, parsed, atts)
    return _resolved(text, article_id, atts, original)


def attributions(text: str, parsed: list[Parsed]) -> list[Attribution]:
    """Return the rules' attributions of one parsed article in text order, before any speaker is resolved."""
    quotes = find_quotes(text, [p.para for p in parsed])
    inside: list[Span] = [(q.open_mark, q.close_mark if q.close_mark is not None else q.end) for q in quotes]
    quoted_atts, used = attribute_quotes(text, quotes, parsed)
    reported: list[Attribution] = []
    for p in parsed:
        for tok_i, att in find_reported(p.doc, p.para.start, inside):
            if (p.para.index, tok_i) not in used:
                reported.append(att)
    labelled = find_labelled(text, [p.para for p in parsed])
    atts = _merge(text, quoted_atts, reported, [(q.start, q.end) for q in quotes])
    if labelled:
        # a labelled paragraph is its speaker's, whatever the finders made of its quotation marks
        atts = [a for a in atts if not any(overlap((a.start, a.end), (b.start, b.end)) for b in labelled)]
        atts += labelled
    atts.sort(key=lambda a: (a.start, -a.end))
    _past_dateline(text, atts, [p.para for p in parsed])
    return atts


# "MIAMI (AP) — ", "KYIV, March 3 (Reuters) - ", "SELMA, N.C. — ": a wire story's place, date and agency
_DATELINE_LEAD = re.compile(
    r"[A-Z]{3,}(?:[ .'’\-]+[A-Z]+)*(?:,\s*[A-Z][\w.]*\.?(?:\s[A-Z\d][\w.]*\.?)?)?(?:\s*\([A-Z][\w .]{0,20}\))?"
    r"\s*[—–-]{1,2}\s+(?=[A-Z\"“‘'])"  # a place of three capitals or more, and a sentence after the dash
)
BODY_WORDS = 12  # the first paragraph this long opens the story; a dateline opens only it


def _past_dateline(text: str, atts: list[Attribution], paragraphs: list[Paragraph]) -> None:
    """Start a statement that opens the story after its dateline: the reported words are "Hurricane Lena slammed
    into …", not "MIAMI (AP) — Hurricane Lena …"."""
    first = next((p.start for p in paragraphs if len(text[p.start : p.end].split()) > BODY_WORDS), None)
    m = _DATELINE_LEAD.match(text, first) if first is not None else None
    if m is None:
        return
    for a in atts:
        lo, hi = a.fragments[0]
        if lo == first and m.end() < hi:
            a.fragments[0] = (m.end(), hi)


def _resolved(text: str, article_id: str, atts: list[Attribution], original: str) -> list[Statement]:
    """Return the statements of attributions, their speakers resolved in article order."""
    resolved = resolve(text, atts)
    out: list[Statement] = []
    for a, r in zip(atts, resolved, strict=True):
        start, end = a.start, a.end
        # a quotation may run past the content by its own full stop ('… schools.”'): cite only inside the content
        quoted = tuple(sorted({(max(q0, start), min(q1, end)) for q0, q1 in a.quoted if min(q1, end) > max(q0, start)}))
        mention = r.mention
        out.append(
            Statement(
                id=content_id(article_id, str(start), str(end)),
                article_id=article_id,
                kind=_kind(text, a),
                start=start,
                end=end,
                text=original[start:end],
                fragments=tuple(a.fragments),
                quoted=quoted,
                speaker=r.name,
                speaker_id=speaker_id(r.name, r.kind, article_id if r.scoped else None),
                speaker_kind=r.kind,
                mention=original[mention[0] : mention[1]] if mention else None,
                mention_start=mention[0] if mention else None,
                mention_end=mention[1] if mention else None,
                cue=original[a.cue[0] : a.cue[1]] if a.cue else None,
                cue_start=a.cue[0] if a.cue else None,
                cue_end=a.cue[1] if a.cue else None,
                confidence=a.confidence,
            )
        )
    return out


def _merge(text: str, quoted: list[Attribution], reported: list[Attribution], quotes: list[Span]) -> list[Attribution]:
    """Fold quotations inside reported content into it (mixed) and drop reported duplicates of quotations."""
    keep: list[Attribution] = []
    absorbed: dict[Span, Attribution] = {}  # quotation span -> the report that holds it
    _cut_coordinated(text, reported)
    reported = _drop_nested(reported)
    for r in reported:
        _close_open_marks(text, r)
        span = (r.start, r.end)
        if any(q.cue is not None and overlap(span, (q.start, q.end)) * 2 > (span[1] - span[0]) for q in quoted):
            continue  # a clause parsed inside a quotation the quotation finder already attributed
        parts = [q for q in quotes if contains(span, q) or _ends_inside(text, span, q)]
        parts += [s for s in single_quoted(text, span[0], span[1]) if not any(contains(q, s) for q in parts)]
        r.quoted = parts
        absorbed.update((p, r) for p in parts)
        keep.append(r)
    for q in quoted:
        # a quotation that sits inside someone's reported speech is part of it, not a new statement
        holders = [absorbed.get(f) for f in q.fragments]
        if all(holders) and (q.source == "floating" or len(q.fragments) == 1):
            holder = holders[0]
            # but a quotation with its own speech verb inside the report ('… and, pressed, she replied, "…"')
            # stands alone; a weaker cue ("criticised Democrats for focusing on “…”") is part of the report
            if q.cue is None or holder is None or not contains((holder.start, holder.end), q.cue):
                continue
            if not is_strong(text[q.cue[0] : q.cue[1]]):
                continue
        if q.cue is None and any(overlap((r.start, r.end), (q.start, q.end)) for r in keep):
            continue  # a cue-less quotation inside a report ("X, he said, can ''rock like Jimi''") is the report's
        if q.source == "partial" and any(contains((r.start, r.end), (q.start, q.end)) for r in keep):
            continue  # "condemned what he called a “brazen breach” of …": the condemnation holds the quote
        keep.append(q)
    return _absorb_into_partials(text, keep, quotes)


def _absorb_into_partials(text: str, atts: list[Attribution], quotes: list[Span]) -> list[Attribution]:
    """Give a partial quotation's content every quotation inside it, and drop their own cue-less statements.

    'called Trump a "liar" who is "amoral," a "bully" and a "narcissist …"' is one statement with four quoted parts.
    """
    partials = [a for a in atts if a.source == "partial"]
    if not partials:
        return atts
    out = []
    for a in atts:
        holder = next(
            (
                p
                for p in partials
                if p is not a and len(a.fragments) == 1 and contains((p.start, p.end), (a.start, a.end))
            ),
            None,
        )
        if (
            holder is not None
            and a.source in {"quote", "floating"}
            and (a.cue is None or not is_strong(text[a.cue[0] : a.cue[1]]))
        ):
            continue
        out.append(a)
    for p in partials:
        inside = [q for q in quotes if contains((p.start, p.end), q) or _ends_inside(text, (p.start, p.end), q)]
        p.quoted = sorted(set(p.quoted) | set(inside))
    return out


def _ends_inside(text: str, span: Span, quote: Span) -> bool:
    """Return whether a quotation starts in a content and runs past its end by punctuation only ('… schools.”')."""
    return span[0] <= quote[0] < span[1] < quote[1] and not any(ch.isalnum() for ch in text[span[1] : quote[1]])


def _drop_nested(reported: list[Attribution]) -> list[Attribution]:
    """Drop a report inside another's content ("X said the videos show …"): the outer speaker owns it."""
    out = []
    for r in reported:
        outer = any(
            o is not r
            and o.cue is not None
            and r.cue is not None
            and not contains((o.start, o.end), o.cue)
            and contains((o.start, o.end), r.cue)
            # "X said he thinks Y" keeps both, each X's (see reported.NESTED_PRONOUNS)
            and (r.mention != o.mention or r.borrowed)
            for o in reported
        )
        if not outer:
            out.append(r)
    return out


def _close_open_marks(text: str, a: Attribution) -> None:
    """Extend a content over the closing mark of a quotation it opened ("for ‘crimes of aggression’")."""
    s, e = a.fragments[-1]
    chunk = text[s:e]
    while e < len(text) and text[e] in ".,!?;" and text[e + 1 : e + 2] in {"”", '"', "’"}:
        e += 1  # a sentence's full stop sits inside the closing mark in American style: '… schools.”'
    for opener, closer in (("‘", "’"), ("“", "”")):
        if chunk.count(opener) > chunk.count(closer) - chunk.count(closer + "s") and text[e : e + 1] == closer:
            a.fragments[-1] = (s, e + 1)
            return
        if chunk.count('"') % 2 == 1 and text[e : e + 1] == '"':
            a.fragments[-1] = (s, e + 1)
            return


def _cut_coordinated(text: str, reported: list[Attribution]) -> None:
    """End a content before a coordinated attribution it swallowed ("X suggesting A and Y saying B")."""
    for a in reported:
        for b in reported:
            if b is a or b.mention is None or b.cue is None or len(a.fragments) != 1:
                continue
            if a.start < b.mention[0] and b.cue[1] <= a.end and b.end <= a.end and a.cue and a.cue[1] <= a.start:
                end = b.mention[0]
                head = text[a.start : end].rstrip()
                for tail in (" and", " but", ",", ";"):
                    head = head.removesuffix(tail).rstrip()
                if len(head) >= 15:
                    a.fragments = [(a.start, a.start + len(head))]


def _kind(text: str, a: Attribution) -> StatementKind:
    """Classify a statement by how much of it lies inside quotation marks."""
    if a.source in {"quote", "floating"}:
        return "direct"
    if a.source == "label" and a.mention is not None:
        # a transcript's "PENCE:" line is the speaker's own words; a headline's "Caddell:" is the desk's summary
        return "direct" if text[a.mention[0] : a.mention[1]].isupper() else "indirect"
    if not a.quoted:
        return "indirect"
    letters = sum(ch.isalnum() for s, e in a.fragments for ch in text[s:e])
    inside = sum(ch.isalnum() for s, e in a.quoted for ch in text[s:e])
    return "partial" if letters and inside >= 0.9 * letters else "mixed"
