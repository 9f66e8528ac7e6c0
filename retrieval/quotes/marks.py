"""Quotation-mark scanning: find the spans inside double quotation marks, paragraph by paragraph."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

OPENERS = "“„«"
CLOSERS = "”»"
TOGGLES = '"'
SINGLE_OPEN = "‘"
SINGLE_CLOSE = "’"

_PARAGRAPH = re.compile(r"[^\n]+")
_BLOCK = re.compile(r"[^\n]+(?:\n[^\n]*\S[^\n]*)*")  # lines joined by single line breaks, up to a blank line
WRAP_WIDTH = 100  # longest line of a hard-wrapped text (feeds wrap at 72-80)
SENTENCE_END = (".", "?", "!", ":", '"', "”", "’", "'", ")")
_MARK = re.compile(r"[\"“”„«»]")
_TWO_APOSTROPHES = re.compile(r"''")
MIN_SPOKEN_WORDS = 4  # shorter quotations inside a sentence are mostly scare quotes and titles
MINOR_WORDS = {"a", "an", "the", "of", "and", "in", "on", "for", "to", "with", "at", "by"}


@dataclass(frozen=True)
class Quote:
    """A run of words inside double quotation marks (offsets exclude the marks)."""

    start: int
    end: int
    open_mark: int  # offset of the opening mark
    close_mark: int | None  # offset of the closing mark; None when the paragraph ended first
    paragraph: int
    continues: bool = False  # the next paragraph reopens the same quotation


@dataclass(frozen=True)
class Paragraph:
    """One line of the article body with its offsets."""

    index: int
    start: int
    end: int


def split_paragraphs(text: str) -> list[Paragraph]:
    """Return the paragraphs of `text`: its non-blank lines, or its blank-line-separated blocks when hard-wrapped."""
    out: list[Paragraph] = []
    for m in (_BLOCK if hard_wrapped(text) else _PARAGRAPH).finditer(text):
        if m.group().strip():
            out.append(Paragraph(len(out), m.start(), m.end()))
    return out


def hard_wrapped(text: str) -> bool:
    """Return whether line breaks fall inside sentences (plain-text and e-mail feeds wrapped at a fixed width).

    Such a text has several lines, none longer than a terminal's width, and most lines that another line follows
    end mid-sentence. A news text with one paragraph per line ends nearly every line with its punctuation.
    """
    lines = [line.rstrip() for line in text.split("\n")]
    inner = [line for line, nxt in itertools.pairwise(lines) if line.strip() and nxt.strip()]
    if len(inner) < 3 or max(len(line) for line in lines) > WRAP_WIDTH:
        return False
    open_ended = sum(not line.endswith(SENTENCE_END) for line in inner)
    return open_ended >= 0.6 * len(inner)


def normalize_marks(text: str) -> str:
    """Rewrite '' and single-quote house style as double quotation marks, keeping every offset."""
    if "''" in text:

        def one(m: re.Match[str]) -> str:
            nxt = text[m.end() : m.end() + 1]
            return '" ' if nxt.isalnum() else ' "'

        text = _TWO_APOSTROPHES.sub(one, text)
    return _single_house_style(text)


# A single-quoted quotation: the opening mark starts the line or follows a space, a bracket, a dash or a colon and
# precedes a word; the closing mark follows the quotation's own punctuation ('..., ' / '...?') and precedes a space or
# the line's end. An apostrophe inside a word ("don't", "Putin’s") or after a plural ("voters' ") never matches.
_SINGLE_QUOTATION = re.compile(
    r"""(?: (?<=^) | (?<=[\s(\[—–:]) ) ['‘] (?=[A-Z0-9])   # opens a line or follows a space, bracket, dash, colon
        (?: [^'‘’\n] | (?<=\w)['’](?=\w) )*?              # any words, apostrophes inside a word included
        [,.?!] ['’] (?= \s | $ | [)\]—–] )                 # closes right after the quotation's own punctuation
    """,
    re.M | re.X,
)


def headline_end(text: str) -> int:
    """Return where a headline opening the text ends (0 when there is none): a short first paragraph, no quotes."""
    first, sep, rest = text.partition("\n\n")
    words = first.split()
    if (
        sep
        and 0 < len(words) <= 14
        and not re.search(r"[\"“”]", first)
        and not first.rstrip().endswith((":", ","))  # "John Smith said on Monday:" opens a quotation
        and not re.search(r"\b(?:said|wrote|told|added|asked|according)\b", first)  # a lead's tense, not a headline's
        and len(rest.split()) > len(words)
    ):
        return len(first)
    return 0


def _title_case(line: str) -> bool:
    """Return whether most longer words of a line are capitalised, as in a headline."""
    words = [w.strip("‘’'\"“”(),.:;!?–—-") for w in line.split()]
    words = [w for w in words if len(w) >= 4]
    return len(words) >= 3 and sum(w[:1].isupper() for w in words) >= 0.6 * len(words)


def _single_house_style(text: str) -> str:
    """Read 'quoted,' the minister said as a quotation on lines that use no double quotation marks at all."""
    if "'" not in text and "‘" not in text:
        return text
    chars = list(text)
    # a headline quotes in single marks by convention ('Obama Says Museum Will Tell of 'Suffering and Delight.'')
    for line in _PARAGRAPH.finditer(text, headline_end(text)):
        if _MARK.search(line.group()):
            continue  # double marks rule this line; single ones inside are nested quotes or apostrophes
        if _title_case(line.group()):
            continue  # a headline, wherever it stands ('Kasich: ‘We Are Going To Go All The Way …’')
        for m in _SINGLE_QUOTATION.finditer(text, line.start(), line.end()):
            if not (text[line.start() : m.start()] + text[m.end() : line.end()]).strip():
                continue  # a line that is only the quoted words is a subhead ('All Bets Are Off.'), not speech
            chars[m.start()] = chars[m.end() - 1] = '"'
    return "".join(chars)


def _is_opening(text: str, i: int, open_now: bool) -> bool:
    """Decide whether the mark at `i` opens a quotation."""
    ch = text[i]
    if ch in OPENERS:
        return True
    if ch in CLOSERS:
        # a closer glued to a following word at the start of a quote is a typo'd opener ("”What is")
        return not open_now and (i + 1 < len(text) and text[i + 1].isalnum()) and (i == 0 or not text[i - 1].isalnum())
    return not open_now


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink a span so it neither starts nor ends with whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def find_quotes(text: str, paragraphs: list[Paragraph] | None = None) -> list[Quote]:
    """Return every double-quoted span, closing an unclosed quote at the end of its paragraph."""
    paragraphs = paragraphs if paragraphs is not None else split_paragraphs(text)
    quotes: list[Quote] = []
    for para in paragraphs:
        open_at: int | None = None
        for m in _MARK.finditer(text, para.start, para.end):
            i = m.start()
            if open_at is None:
                if _is_opening(text, i, False):
                    open_at = i
                continue
            if text[i] in OPENERS:
                # a second opener: the first was never closed; restart here
                open_at = i
                continue
            s, e = _trim(text, open_at + 1, i)
            if e > s:
                quotes.append(Quote(s, e, open_at, i, para.index))
            open_at = None
        if open_at is not None:
            s, e = _trim(text, open_at + 1, para.end)
            if e > s:
                quotes.append(Quote(s, e, open_at, None, para.index))
    return _mark_continuations(text, quotes, paragraphs)


def _mark_continuations(text: str, quotes: list[Quote], paragraphs: list[Paragraph]) -> list[Quote]:
    """Flag unclosed quotes whose next paragraph starts with an opening mark (multi-paragraph quotes)."""
    starts = {p.index: p.start for p in paragraphs}
    out: list[Quote] = []
    for q in quotes:
        nxt = starts.get(q.paragraph + 1)
        if q.close_mark is None and nxt is not None and text[nxt] in OPENERS + TOGGLES:
            q = Quote(q.start, q.end, q.open_mark, None, q.paragraph, continues=True)
        out.append(q)
    return out


def single_quoted(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Return spans inside curly single quotes within [start, end) (nested or partial quotes)."""
    out: list[tuple[int, int]] = []
    i = start
    while True:
        i = text.find(SINGLE_OPEN, i, end)
        if i < 0:
            return out
        j = i + 1
        # a closing ’ followed by a letter is an apostrophe ("Putin’s"), not the end of the quote
        while True:
            j = text.find(SINGLE_CLOSE, j, end)
            if j < 0 or j + 1 >= len(text) or not text[j + 1].isalpha():
                break
            j += 1
        if j < 0:
            return out
        if j > i + 1:
            out.append((i + 1, j))
        i = j + 1


def scare_quote(text: str, quotes: list[Quote]) -> bool:
    """Return whether quoted words look like a scare quote, a nickname or a title ("Parks and Recreation")."""
    words = [w for q in quotes for w in text[q.start : q.end].split()]
    return len(words) < MIN_SPOKEN_WORDS or all(w[:1].isupper() or w in MINOR_WORDS for w in words)
