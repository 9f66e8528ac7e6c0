"""Direct quotations: group quoted runs into statements and find the cue and speaker next to them.

Over 350 lines on purpose: the quotation-mark grammar (pairing, continuation, nesting, house styles) is one set of
rules that read each other's results; the word lists it uses are data files, the shared span helpers in spans.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from retrieval.quotes.cues import cue_for, is_strong
from retrieval.quotes.marks import MINOR_WORDS, Paragraph, Quote, scare_quote
from retrieval.quotes.mentions import (
    NOT_SPEAKERS,
    embedded_subject,
    mention_span,
    noun_after,
    outer_subject,
    subject_near,
    subject_of,
)
from retrieval.quotes.parsing import coarse
from retrieval.quotes.reported import NESTED_PRONOUNS, content_tokens, cue_lemma, is_cue
from retrieval.quotes.spans import (
    CUE_AND_SUBJECT,
    DASH_AND_NAME,
    FIXED_PHRASE,
    LOOSE_VERB,
    NO_CUE,
    Attribution,
    Span,
)

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

DASHES = {"―", "—", "–", "--"}
LINKS = {"and", "but", "after", "before", "while", "as"}  # words that open a clause of its own after a quotation
_DASH_AFTER = re.compile(r"[^\S\n]*(―|—|–|--)")
MAX_AFTER_TOKENS = 12  # '"…," Josh Earnest, the White House press secretary, said on Monday'
MAX_GAP_TOKENS = 6  # tokens allowed between a cue and the opening mark ('said on Monday that')
MAX_SPLIT_CHARS = 90  # '"A," she said in a statement, "B."'


@dataclass
class Parsed:
    """A paragraph with its parse."""

    para: Paragraph
    doc: Doc

    def tokens_between(self, start: int, end: int) -> list[Token]:
        """Return tokens whose start lies in [start, end) (absolute offsets)."""
        base = self.para.start
        return [t for t in self.doc if start <= base + t.idx < end]


def group_quotes(text: str, quotes: list[Quote]) -> list[list[Quote]]:
    """Chain multi-paragraph quotes and quotes split by an attribution into groups."""
    groups: list[list[Quote]] = []
    for q in quotes:
        if groups:
            last = groups[-1][-1]
            if last.continues and q.paragraph == last.paragraph + 1 and _first_in_paragraph(text, q):
                groups[-1].append(q)
                continue
            if _split_by_attribution(text, last, q):
                groups[-1].append(q)
                continue
        groups.append([q])
    return groups


def _first_in_paragraph(text: str, q: Quote) -> bool:
    """Return whether a quote opens its paragraph."""
    return q.open_mark == 0 or text[q.open_mark - 1] == "\n"


def _split_by_attribution(text: str, a: Quote, b: Quote) -> bool:
    """Return whether b continues a's sentence after an interposed '…,” she said, “…'."""
    if a.close_mark is None or a.paragraph != b.paragraph:
        return False
    between = text[a.close_mark + 1 : b.open_mark]
    if len(between) > MAX_SPLIT_CHARS or not between.rstrip().endswith((",", ":")):
        return False
    tail = text[a.start : a.end].rstrip()
    return tail.endswith(",") or (bool(tail) and tail[-1].isalnum())


def _cue_tokens(tokens: list[Token]) -> list[Token]:
    """Return the tokens in a window that are lexicon speech verbs."""
    out = []
    for t in tokens:
        if coarse(t) in {"VERB", "AUX"}:
            cue = cue_for(cue_lemma(t))
            if cue is not None and not cue.names_source and not cue.prep_only:
                out.append(t)
    return out


def _quoted(
    group: list[Quote], cue: Span, mention: Span, confidence: float, antecedent: Span | None = None
) -> Attribution:
    """Return the attribution of a quotation group to a speaker mention through a cue (all absolute offsets)."""
    spans = [(q.start, q.end) for q in group]
    return Attribution(
        fragments=spans,
        quoted=list(spans),
        cue=cue,
        mention=mention,
        antecedent=antecedent,
        source="quote",
        confidence=confidence,
    )


def _span(parsed: Parsed, first: Token, last: Token | None = None) -> Span:
    """Return the absolute character span of tokens first..last of a parsed paragraph."""
    last = last or first
    return parsed.para.start + first.idx, parsed.para.start + last.idx + len(last.text)


def _attribution(parsed: Parsed, cue: Token, group: list[Quote]) -> Attribution | None:
    """Build a quote attribution from a cue token, or None when it has no subject."""
    subj, antecedent = subject_of(cue)
    if subj is None:
        # 'the Kremlin said, "…"' parses oddly at times; fall back to the nearest name before the cue
        subj = subject_near([t for t in cue.sent if t.i < cue.i][::-1])
        if subj is None:
            return None
    elif subj.lower_ in NESTED_PRONOUNS:
        # 'Ditto said she expects the campaign “to …”': the outer speaker's account, as for reported speech
        subj = outer_subject(cue, is_cue) or subj
    base = parsed.para.start
    before = mention_span(antecedent, base) if antecedent is not None else None
    return _quoted(group, _span(parsed, cue), mention_span(subj, base), CUE_AND_SUBJECT, before)


def _after(parsed: Parsed, text: str, group: list[Quote]) -> tuple[Attribution, Token] | None:
    """Find '”, X said' / '”, said X' / '” ― X' right after a closing mark of the group."""
    for q in group:
        if q.paragraph == parsed.para.index:
            found = _after_one(parsed, text, q, group)
            if found is not None:
                return found
    return None


def _after_one(parsed: Parsed, text: str, last: Quote, group: list[Quote]) -> tuple[Attribution, Token] | None:
    """Find the attribution right after one quote's closing mark."""
    if last.close_mark is None:
        return None
    window: list[Token] = []
    for t in parsed.tokens_between(last.close_mark + 1, parsed.para.end):
        if t.text in {'"', "“", "”"} or len(window) >= MAX_AFTER_TOKENS:
            break
        window.append(t)
        if t.text in {".", "?", "!", ";"}:
            break
    dash = _DASH_AFTER.match(text, last.close_mark + 1)
    words = [t for t in window if t.text not in DASHES and not t.text.startswith(('"', "”"))]
    if dash is not None and words and words[0] in _cue_tokens(window):
        dash = None  # '"Hello"--said Mr. Cornwallaby': a dash then a speech verb; the verb is the cue below
    if window and dash is not None:
        # the tokenizer may glue the dash to the closing mark ('”―'): read the dash off the text
        name = subject_near(window[1:] if window[0].text in DASHES else window)
        if name is not None:
            return _quoted(group, dash.span(1), mention_span(name, parsed.para.start), DASH_AND_NAME), window[0]
    for cue in _cue_tokens(window):
        linked = any(t.dep_ in {"mark", "cc"} or t.lower_ in LINKS for t in window if t.i < cue.i)
        if cue.dep_ in {"advcl", "conj"} and not is_strong(cue.text) and linked:
            continue  # '“disgrace” after she attacked …': a clause of its own, not the quotation's attribution
        by_cue = _attribution(parsed, cue, group)
        if by_cue is not None and _fits_after(parsed, text, cue, by_cue, window, group, last):
            return by_cue, cue
    if text[last.start : last.end].rstrip()[-1:] in {",", "?", "!"} and window and window[-1].text == ".":
        # '“France will always be France,” an angry Hollande retaliated.': any verb with its subject after
        for verb in (t for t in window if coarse(t) == "VERB" and t.dep_ == "ROOT"):
            subj = next((c for c in verb.children if c.dep_ == "nsubj" and c.i in {w.i for w in window}), None)
            if subj is not None and coarse(subj) in {"NOUN", "PROPN", "PRON"}:
                loose = _attribution(parsed, verb, group)
                if loose is not None:
                    loose.confidence = LOOSE_VERB
                    return loose, verb
    return None


def _fits_after(
    parsed: Parsed, text: str, cue: Token, att: Attribution, window: list[Token], group: list[Quote], last: Quote
) -> bool:
    """Check a cue after a quotation really attributes it, repairing a speaker misparsed inside the quotation."""
    ended = text[last.start : last.end].rstrip().endswith(".")
    if ended and any(c.dep_ == "ccomp" and c.i > cue.i for c in cue.children):
        return False  # '"…." Reid said both …': a new sentence with its own content
    if ended and not is_strong(cue.text) and window and cue.i - window[0].i > 3:
        return False  # '“….” Trump was similarly defensive when forced to defend …': a new sentence, not a tag
    if att.mention is not None and att.mention[0] > parsed.para.start + cue.idx:
        # a subject after the cue while a name stands between the quotation and the cue is a misparse
        # ('“…,” Flynn, a top surrogate, said on Fox News’s “Fox and Friends.”'): the name before the cue speaks
        before = [t for t in window if t.i < cue.i]
        name = subject_near(before)
        if name is not None:
            att.mention, att.antecedent = mention_span(name, parsed.para.start), None
        return True
    if att.mention is None or last.close_mark is None or att.mention[0] >= last.close_mark:
        return True
    if att.mention[0] < group[0].open_mark:
        return False  # the quotation sits inside the cue's own sentence: the cue before it reads it
    # '"Anybody who …," said Louise Sunshine' / '"One guy came in and said …," said the woman'
    name = subject_near([t for t in window if t.i != cue.i]) or noun_after([t for t in window if t.i > cue.i])
    if name is None:
        return False
    att.mention, att.antecedent = mention_span(name, parsed.para.start), None
    return True


def _before(parsed: Parsed, text: str, group: list[Quote]) -> tuple[Attribution, Token] | None:
    """Find 'X said: “' / 'X told reporters, “' just before the opening mark."""
    first = group[0]
    window = parsed.tokens_between(parsed.para.start, first.open_mark)
    if not window:
        return None
    sent_start = window[-1].sent.start
    window = [t for t in window if t.i >= sent_start]
    # stop at an earlier quotation: its cue belongs to it
    for k in range(len(window) - 1, -1, -1):
        if window[k].text in {'"', "“", "”"}:
            window = window[k + 1 :]
            break
    colon = bool(window) and window[-1].text in {":", ","}
    # '"We are ready," said Smith. "We have been …"': a full stop before the mark ends the cue's sentence; the
    # quotation opens the next one and continues the speaker's words instead of being the cue's content
    ended = bool(window) and window[-1].text in {".", "!", "?"}
    cues = [] if ended else _cue_tokens(window)
    for cue in reversed(cues):
        gap = window[-1].i - cue.i
        if gap <= MAX_GAP_TOKENS or (colon and window[-1].text == ":"):
            att = _attribution(parsed, cue, group)
            if att is None or (att.mention is not None and att.mention[0] < parsed.para.start + window[0].idx):
                # the subject was misparsed inside an earlier quotation ('“…,” Kilfoyle said. “…'): name it anew
                name = subject_near([t for t in window if t.i < cue.i])
                if att is None or name is None:
                    continue
                att.mention, att.antecedent = mention_span(name, parsed.para.start), None
            lead = [t for t in window if t.i > cue.i and not t.is_punct and t.lower_ != "that"]
            if lead and not colon:
                # 'labelled the plan “reckless”': the quotation is only part of what is reported
                start_tok = _content_start(cue, lead)
                base = parsed.para.start
                last = group[-1]
                # the content closes with the quotation's closing mark, so it reads as written
                end = last.close_mark + 1 if last.close_mark is not None else last.end
                # and runs on to the end of the reported clause: 'said it was “a mistake” to use private email'
                end = max(end, _clause_end(parsed, cue, end))
                rest = att.fragments[1:]
                if rest and end > rest[0][0]:
                    # the clause runs over the later quotations of the group: one fragment holds them all
                    att.fragments = [(base + start_tok.idx, max(end, rest[-1][1]))]
                else:
                    att.fragments = [(base + start_tok.idx, end), *rest]
                att.source = "partial"
            return att, cue
    return _according_before(parsed, window, group) or _inverted_before(parsed, window, group)


def _clause_end(parsed: Parsed, cue: Token, end: int) -> int:
    """Return where the cue's reported clause ends, if it runs past `end` (absolute offset) in the same sentence."""
    lexeme = cue_for(cue_lemma(cue))
    rng = content_tokens(cue, lexeme) if lexeme is not None else None
    if rng is None:
        return end
    doc, hi = parsed.doc, rng[1]
    while hi > rng[0] and (doc[hi].is_punct or doc[hi].text in {'"', "“", "”"}):
        hi -= 1
    if doc[hi].sent != cue.sent:
        return end
    stop = parsed.para.start + doc[hi].idx + len(doc[hi].text)
    if stop <= end:
        return end
    text, base = doc.text, parsed.para.start
    run_on = text[end - base : stop - base]
    if run_on.count('"') % 2 or run_on.count("“") > run_on.count("”"):
        # the parse ends the clause inside a later quotation ('a "bully" and a "narcissist … seen."'): close it
        close = min((i for i in (text.find('"', stop - base), text.find("”", stop - base)) if i >= 0), default=-1)
        if close < 0:
            return end
        stop = base + close + 1
    return stop


def _inverted_before(parsed: Parsed, window: list[Token], group: list[Quote]) -> tuple[Attribution, Token] | None:
    """Find 'Said Ellis: “…”', which the parser reads as a noun phrase."""
    if len(window) < 3 or window[-1].text not in {":", ","} or not window[0].text.istitle():
        return None
    if not is_strong(window[0].text):
        return None
    name = subject_near(window[1:-1])
    if name is None:
        return None
    start, end = mention_span(name, parsed.para.start)
    # the parser hangs "Said" off the name as a compound: the mention starts after it
    mention = (max(start, _span(parsed, window[1])[0]), end)
    return _quoted(group, _span(parsed, window[0]), mention, FIXED_PHRASE), window[0]


def _according_before(parsed: Parsed, window: list[Token], group: list[Quote]) -> tuple[Attribution, Token] | None:
    """Find 'According to X, “…”': the quotation is X's."""
    for k, tok in enumerate(window[:-1]):
        if tok.lower_ == "according" and window[k + 1].lower_ == "to":
            obj = next((c for c in window[k + 1].children if c.dep_ == "pobj"), None)
            if obj is None or obj.lower_ in NOT_SPEAKERS:
                return None
            if any(not t.is_punct for t in window if t.i > obj.right_edge.i):
                return None  # 'according to X, the plan is “reckless”': the reported clause holds the quote
            mention = mention_span(obj, parsed.para.start)
            return _quoted(group, _span(parsed, tok, window[k + 1]), mention, FIXED_PHRASE), tok
    return None


def _content_start(cue: Token, lead: list[Token]) -> Token:
    """Return the first token of the content a partial quotation sits in (after objects like 'reporters')."""
    if cue_lemma(cue) == "tell":
        rest = [t for t in lead if not (t.dep_ in {"dobj", "dative"} and t.head.i == cue.i)]
        rest = [t for t in rest if not (t.head.dep_ in {"dobj", "dative"} and t.head.head.i == cue.i)]
        if rest:
            return rest[0]
    return lead[0]


def _previous_colon(parsed: Parsed | None, group: list[Quote]) -> tuple[Attribution, Token] | None:
    """Find 'X has published a video, stating:' ending the previous paragraph."""
    if parsed is None or not parsed.doc or parsed.doc[-1].text != ":":
        return None
    last_sent = parsed.doc[-1].sent
    for cue in reversed(_cue_tokens(list(last_sent))):
        att = _attribution(parsed, cue, group)
        if att is not None:
            return att, cue
    return None


def attribute_quotes(
    text: str, quotes: list[Quote], parsed: list[Parsed]
) -> tuple[list[Attribution], set[tuple[int, int]]]:
    """Return an attribution per quote group and the (paragraph, token) cues they used."""
    out: list[Attribution] = []
    used: set[tuple[int, int]] = set()
    for group in group_quotes(text, quotes):
        para_i = group[0].paragraph
        here = parsed[para_i]
        if _titled(text, group):
            continue
        found = _after(parsed[group[-1].paragraph], text, group) or _before(here, text, group)
        if found is None and len({q.paragraph for q in group}) > 1:
            found = _after(here, text, group)
        if found is None and _first_in_paragraph(text, group[0]):
            found = _previous_colon(parsed[para_i - 1] if para_i > 0 else None, group)
        if found is not None:
            att, cue = found
            used.add((_para_of(parsed, cue), cue.i))
            out.append(att)
            continue
        embedded = _embedded(here, text, group)
        if embedded is not None:
            out.append(embedded)
        elif _is_floating(text, group, out) and (
            _first_in_paragraph(text, group[0]) or _own_sentence(text, group) or not scare_quote(text, group)
        ):
            out.append(
                Attribution(
                    fragments=[(q.start, q.end) for q in group],
                    quoted=[(q.start, q.end) for q in group],
                    source="floating",
                    inherit=True,
                    confidence=NO_CUE,
                )
            )
    return out, used


def _para_of(parsed: list[Parsed], tok: Token) -> int:
    """Return the paragraph index whose doc holds a token."""
    for p in parsed:
        if p.doc is tok.doc:
            return p.para.index
    return -1


TITLE_LEADS = ("on", "’s", "'s", "of", "in", "at", "titled", "called", "named", "dubbed", "film", "book", "show")


def _titled(text: str, group: list[Quote]) -> bool:
    """Return whether one quoted run names a programme, book or slogan ('on CNN's “State of the Union”')."""
    if len(group) != 1:
        return False
    words = text[group[0].start : group[0].end].split()
    if not words or len(words) > 6 or not all(w[:1].isupper() or w in MINOR_WORDS for w in words):
        return False
    lead = text[max(0, group[0].open_mark - 12) : group[0].open_mark].rstrip().lower()
    return lead.endswith(TITLE_LEADS)


def _own_sentence(text: str, group: list[Quote]) -> bool:
    """Return whether a quotation is a whole sentence of its own ('… said at a briefing. “Stay inside.”'): however
    short, that is speech, not a scare quote."""
    before = text[: group[0].open_mark].rstrip()
    inner = text[group[0].start : group[-1].end].strip()
    return bool(before) and before[-1] in ".!?" and inner[:1].isupper() and inner[-1:] in (".", "!", "?")


def _is_floating(text: str, group: list[Quote], previous: list[Attribution]) -> bool:
    """Return whether a quote with no cue continues the previous quotation's speaker."""
    if not previous:
        return False
    gap = text[previous[-1].end : group[0].open_mark]
    # the previous quotation ended in this or the preceding paragraph, with no other text paragraph between
    return gap.count("\n") <= 2 and len(gap) < 400 and previous[-1].source in {"quote", "floating"}


def _put_it(parsed: Parsed, first: Quote) -> tuple[Token, Token] | None:
    """Return (X, put) in 'as X put it', anywhere in the quotation's sentence."""
    here = (
        parsed.tokens_between(first.open_mark, first.open_mark + 1)
        or parsed.tokens_between(parsed.para.start, first.open_mark)[-1:]
    )
    if not here:
        return None
    for tok in here[0].sent:
        if tok.lower_ == "put" and any(c.dep_ == "dobj" and c.lower_ == "it" for c in tok.children):
            subj = next((c for c in tok.children if c.dep_ == "nsubj"), None)
            if subj is not None and coarse(subj) in {"NOUN", "PROPN"}:
                return subj, tok
    return None


def _embedded(parsed: Parsed, text: str, group: list[Quote]) -> Attribution | None:
    """Read a quotation inside a sentence with no cue ('X ticked off … “crumbling infrastructure”') as its subject's."""
    first = group[0]
    if scare_quote(text, group) and not _own_sentence(text, group):
        return None  # a short sentence of its own ('Jones disagreed. “Nonsense.”') may still be its subject's
    base = parsed.para.start
    put = _put_it(parsed, first)
    if put is not None:
        speaker, verb = put
        return _quoted(group, _span(parsed, verb), mention_span(speaker, base), FIXED_PHRASE)
    lead = text[base : first.open_mark]
    named = _DASH_INTRO.search(lead)
    if named and not (len(named.group(1).split()) >= 2 or _heading(lead[: named.start()].split(".")[-1])):
        named = None  # "three priorities - Housing: “…”", "questions from the panel - Q: “…”": no one's name
    if named:
        # "RED STATES OUTNUMBER BLUE STATES - Jeffrey M. Jones: “…”": a digest's heading, then whose words follow
        mention: Span = (base + named.start(1), base + named.end(1))
    else:
        subj = embedded_subject(parsed.tokens_between(parsed.para.start, first.open_mark))
        if subj is None or _heading(text[_sentence_start(parsed, subj) : first.open_mark]):
            return None  # "UN: PEACEKEEPERS PAYING 13-YEAR-OLDS FOR SEX “…”": a heading's words are nobody
        mention = mention_span(subj, base)
    return Attribution(
        fragments=[(q.start, q.end) for q in group],
        quoted=[(q.start, q.end) for q in group],
        mention=mention,
        source="floating",
        confidence=NO_CUE,
    )


# a dash, then one name (or two joined by "and") and a colon right before the quotation
_NAME_RUN = r"[A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|de|van|von))*"
_DASH_INTRO = re.compile(rf"\s[-–—]{{1,2}}\s+({_NAME_RUN}(?:\s+and\s+{_NAME_RUN})?):\s*$")


def _sentence_start(parsed: Parsed, tok: Token) -> int:
    """Return the absolute offset of the sentence holding a token."""
    return parsed.para.start + tok.sent[0].idx


def _heading(lead: str) -> bool:
    """Return whether the words before a quotation are a heading in capitals, not a sentence naming its speaker."""
    words = [w for w in re.findall(r"[^\W\d_][\w’'-]*", lead) if len(w) > 1]
    return len(words) >= 3 and sum(w.isupper() for w in words) >= 0.6 * len(words)
