"""Split an article into sentence-aware chunks whose offsets index exactly into its text."""

from __future__ import annotations

import functools
import logging

from langchain_text_splitters import RecursiveCharacterTextSplitter

from retrieval.models import Article, Chunk, content_id

logger = logging.getLogger(__name__)

# Regexes, coarsest first. The sentence rule also splits after closing quotes ("... walls.” He"), which the
# plain ". " separator would miss in news text; keep_separator="end" leaves each mark on its own sentence.
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
        raise ValueError(f"chunk_overlap must be in [0, chunk_size), got {chunk_overlap} for size {chunk_size}")
    text = article.text
    pieces = _splitter(chunk_size, chunk_overlap).split_text(text)
    starts = _place(text, pieces, chunk_overlap) if pieces else []
    chunks: list[Chunk] = []
    last = (-1, -1)
    for piece, start in zip(pieces, starts):
        begin = start + len(piece) - len(piece.lstrip())
        end = start + len(piece.rstrip())
        if begin >= end or (last[0] <= begin and end <= last[1]):
            continue  # whitespace only, or nothing new beyond whitespace: the previous chunk already has it
        last = (begin, end)
        body = text[begin:end]
        chunk_id = content_id(article.id, str(begin), str(end), body)
        chunks.append(Chunk(id=chunk_id, article_id=article.id, index=len(chunks), start=begin, end=end, text=body))
    return chunks


@functools.lru_cache(maxsize=16)
def _splitter(chunk_size: int, chunk_overlap: int) -> RecursiveCharacterTextSplitter:
    # strip_whitespace=False: unstripped pieces tile the text exactly, so their offsets can be recovered
    # without guessing; we strip them ourselves with exact arithmetic. We do not use add_start_index: it
    # re-finds each chunk with text.find(), which lands on an earlier copy when a passage repeats.
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
    # each next piece starts inside the last `overlap` characters of the previous one (or right at its end) and
    # reaches past it. Repeated text can make a piece fit several places, so we track every start that is
    # consistent so far (nearly always exactly one) and walk back from one that ends the text.
    layers: list[dict[int, int]] = [{0: -1}] if text.startswith(pieces[0]) else [{}]
    for previous, piece in zip(pieces, pieces[1:]):
        reachable: dict[int, int] = {}
        for start in layers[-1]:
            end = start + len(previous)
            lowest = max(start + 1, end - overlap, end - len(piece) + 1)
            found = text.find(piece, lowest, end + len(piece))
            while found != -1:
                reachable.setdefault(found, start)
                found = text.find(piece, found + 1, end + len(piece))
        layers.append(reachable)
    finals = [s for s in layers[-1] if s + len(pieces[-1]) == len(text)]
    if not finals:
        logger.warning("splitter pieces do not tile the text; falling back to a plain search")
        return _search(text, pieces)
    starts = [finals[0]]
    for layer in reversed(layers[1:]):
        starts.append(layer[starts[-1]])
    return starts[::-1]


def _search(text: str, pieces: list[str]) -> list[int]:
    """Return each piece's first occurrence at or after the previous one's start (exact, maybe not covering)."""
    starts: list[int] = []
    cursor = 0
    for piece in pieces:
        found = text.find(piece, cursor)
        if found == -1:
            found = text.find(piece)  # cannot happen for a substring; keeps the span exact regardless
        starts.append(found)
        cursor = found + 1
    return starts
