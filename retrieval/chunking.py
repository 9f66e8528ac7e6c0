"""Split an article into sentence-aware chunks whose offsets index exactly into its text."""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from retrieval.models import Article, Chunk, content_id

if TYPE_CHECKING:  # imported where it is used: opening the index to answer a question splits nothing
    from langchain_text_splitters import RecursiveCharacterTextSplitter

logger = logging.getLogger(__name__)

# Regexes, coarsest first. The sentence rule also splits after closing quotes ("... walls.” He"), which the
# plain ". " separator would miss in news text; keep_separator="end" keeps each mark with its sentence.
SEPARATORS = (
    r"\n\n",
    r"\n",
    r"(?<=[.?!…])[”’\"')\]]*\s+",
    r"[;:]\s+",
    r",\s+",
    r"\s+",
    "",
)


def split(article: Article, *, chunk_size: int = 800, chunk_overlap: int = 100) -> list[Chunk]:
    """Split `article.text` into chunks with `chunk.text == article.text[chunk.start:chunk.end]`."""
    if chunk_size <= 0:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
    if not 0 <= chunk_overlap < chunk_size:
        raise ValueError(f"chunk_overlap must be in [0, {chunk_size}), got {chunk_overlap}")
    text = article.text
    pieces = _splitter(chunk_size, chunk_overlap).split_text(text)
    starts = _place(text, pieces, chunk_overlap) if pieces else []
    chunks: list[Chunk] = []
    last = (-1, -1)
    for piece, start in zip(pieces, starts, strict=True):
        begin = start + len(piece) - len(piece.lstrip())
        end = start + len(piece.rstrip())
        if begin >= end or (last[0] <= begin and end <= last[1]):
            continue  # whitespace only, or nothing new beyond whitespace: the previous chunk already has it
        last = (begin, end)
        body = text[begin:end]
        chunk_id = content_id(article.id, str(begin), str(end), body)
        chunks.append(Chunk(chunk_id, article.id, index=len(chunks), start=begin, end=end, text=body))
    return chunks


@functools.lru_cache(maxsize=16)
def _splitter(chunk_size: int, chunk_overlap: int) -> RecursiveCharacterTextSplitter:
    # strip_whitespace=False: unstripped pieces tile the text exactly, so their offsets can be recovered
    # without guessing; we strip them ourselves with exact arithmetic. We do not use add_start_index: it
    # re-finds each chunk with text.find(), which lands on an earlier copy when a passage repeats.
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(
        separators=list(SEPARATORS),
        keep_separator="end",
        is_separator_regex=True,
        chunk_size=chunk_size,
        chunk_overlap=chunk_overlap,
        strip_whitespace=False,
    )


def _place(text: str, pieces: list[str], overlap: int) -> list[int]:
    """Return the start offset of each piece in `text`, consistent with how the splitter builds them."""
    # The splitter's pieces are contiguous slices in order: the first starts at 0, the last ends the text, and
    # each next piece starts within the last `overlap` characters of the previous one (or right at its end)
    # and reaches past it. Repeated text can make a piece fit several places, so this is a depth-first search,
    # earliest place first (the splitter keeps the longest overlap it can), remembering dead ends. On real
    # text the first candidate always fits and this costs one str.find per piece.
    if not text.startswith(pieces[0]):
        return _search(text, pieces)
    if len(pieces) == 1:
        return [0] if len(pieces[0]) == len(text) else _search(text, pieces)
    starts = [0]
    stack = [_candidates(text, 0, pieces[0], pieces[1], overlap)]  # stack[i]: places left for piece i + 1
    dead: set[tuple[int, int]] = set()
    while stack:
        index = len(starts)
        start = next((s for s in stack[-1] if (index, s) not in dead), None)
        if start is None:  # no place left for this piece: the previous one is misplaced
            stack.pop()
            dead.add((index - 1, starts.pop()))
            continue
        starts.append(start)
        if index + 1 < len(pieces):
            stack.append(_candidates(text, start, pieces[index], pieces[index + 1], overlap))
        elif start + len(pieces[index]) == len(text):
            return starts
        else:
            dead.add((index, starts.pop()))
    logger.warning("splitter pieces do not tile the text; falling back to a plain search")
    return _search(text, pieces)


def _candidates(text: str, start: int, piece: str, following: str, overlap: int) -> Iterator[int]:
    """Yield, earliest first, where `following` may begin given that `piece` begins at `start`."""
    end = start + len(piece)
    limit = end + len(following)  # so that it begins at or before `end`: nothing is skipped
    found = text.find(following, max(start + 1, end - overlap, end - len(following) + 1), limit)
    while found != -1:
        yield found
        found = text.find(following, found + 1, limit)


def _search(text: str, pieces: list[str]) -> list[int]:
    """Return where each piece first occurs after the previous one begins (exact, maybe leaving gaps)."""
    starts: list[int] = []
    cursor = 0
    for piece in pieces:
        found = text.find(piece, cursor)
        if found == -1:
            found = text.find(piece)  # cannot happen for a substring; keeps the span exact regardless
        starts.append(found)
        cursor = found + 1
    return starts
