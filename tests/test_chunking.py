"""Chunking: sentence-aware chunks whose offsets always index exactly into the article text."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.chunking import split
from retrieval.loaders import load_file
from retrieval.models import Article, Chunk

SEED = Path(__file__).resolve().parents[1] / "seeds" / "000_1d849841864068f5.txt"


def assert_chunks_tile(text: str, chunks: list[Chunk], chunk_size: int) -> None:
    """Assert the invariant, the order and that every non-whitespace character is in some chunk."""
    covered = [False] * len(text)
    for i, chunk in enumerate(chunks):
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.index == i
        assert chunk.text and chunk.text == chunk.text.strip()
        assert len(chunk.text) <= chunk_size
        covered[chunk.start : chunk.end] = [True] * (chunk.end - chunk.start)
    for before, after in itertools.pairwise(chunks):
        assert before.start <= after.start and before.end < after.end
    assert all(covered[i] or ch.isspace() for i, ch in enumerate(text))
    assert len({c.id for c in chunks}) == len(chunks)


def test_seed_chunks_are_exact_slices_that_cover_the_text() -> None:
    [article] = load_file(SEED)
    chunks = split(article, chunk_size=300, chunk_overlap=60)
    assert len(chunks) > 3
    assert_chunks_tile(article.text, chunks, 300)
    assert chunks[0].text.startswith("The US has denied")
    assert {c.article_id for c in chunks} == {article.id}


def test_seed_fits_one_chunk_per_default_paragraph_group() -> None:
    [article] = load_file(SEED)
    chunks = split(article)
    assert_chunks_tile(article.text, chunks, 800)
    assert all(c.text.endswith((".", "”.", ":")) for c in chunks)  # cut at paragraph or sentence ends


def test_chunks_end_at_sentence_ends_including_closing_quotes() -> None:
    sentences = [
        f"Sentence number {i} says “quoted words {i}.”" if i % 3 == 0 else f"Plain sentence {i} ends here."
        for i in range(40)
    ]
    article = Article(id="s", text=" ".join(sentences))
    chunks = split(article, chunk_size=200, chunk_overlap=0)
    assert_chunks_tile(article.text, chunks, 200)
    assert all(re.search(r"[.”]$", c.text) for c in chunks)
    assert all(c.text.startswith(("Sentence", "Plain")) for c in chunks)


def test_consecutive_chunks_overlap_by_whole_sentences() -> None:
    article = Article(id="o", text=" ".join(f"This is sentence {i}." for i in range(60)))
    chunks = split(article, chunk_size=120, chunk_overlap=50)
    assert_chunks_tile(article.text, chunks, 120)
    assert all(after.start < before.end for before, after in itertools.pairwise(chunks))
    assert all(c.text.startswith("This is") for c in chunks)


def test_chunk_ids_are_stable_and_depend_on_the_article() -> None:
    text = "One. Two. Three. " * 50
    first = split(Article(id="a", text=text), chunk_size=100, chunk_overlap=20)
    again = split(Article(id="a", text=text), chunk_size=100, chunk_overlap=20)
    other = split(Article(id="b", text=text), chunk_size=100, chunk_overlap=20)
    assert [c.id for c in first] == [c.id for c in again]
    assert not {c.id for c in first} & {c.id for c in other}


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t \n"])
def test_blank_text_gives_no_chunks(text: str) -> None:
    assert split(Article(id="e", text=text)) == []


@pytest.mark.parametrize(("size", "overlap"), [(0, 0), (-5, 0), (100, 100), (100, 150), (100, -1)])
def test_bad_sizes_raise_value_error_at_once(size: int, overlap: int) -> None:
    with pytest.raises(ValueError, match="chunk_"):
        split(Article(id="x", text="text"), chunk_size=size, chunk_overlap=overlap)


@pytest.mark.parametrize(
    "text",
    ["a" * 5_000, "ab " * 2_000, "Yes. " * 1_000, "x\n\n" * 1_000, "“Quote.” " * 600, "é" * 3_000],
    ids=["one-letter", "short-words", "one-sentence", "paragraphs", "quotes", "combining"],
)
def test_repetitive_text_still_tiles(text: str) -> None:
    # A repeated passage fits many places; a plain text.find() would pin chunks to the first copy.
    chunks = split(Article(id="r", text=text), chunk_size=97, chunk_overlap=31)
    assert_chunks_tile(text, chunks, 97)
    assert chunks[-1].end == len(text.rstrip())


_PIECES = st.sampled_from(
    [
        "word",
        "Kirby",
        "said",
        "“",
        "”",
        "‘",
        "’",
        '"',
        "'",
        ". ",
        "? ",
        "! ",
        ", ",
        "; ",
        ": ",
        " ",
        "  ",
        "\n",
        "\n\n",
        "\n\n\n",
        "\t",
        "😀",
        "👍🏽",
        "e\u0301",
        "n\u0303",
        "ß",
        "İ",
        "\u00a0",
        "\u2028",
        "…",
        "—",
    ]
)
_LONG_WORDS = st.text(alphabet="abcxyz", min_size=20, max_size=300)
_TEXTS = st.lists(st.one_of(_PIECES, _PIECES, _LONG_WORDS, st.text(max_size=8)), max_size=150).map("".join)


@st.composite
def _sizes(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(min_value=1, max_value=300))
    return size, draw(st.integers(min_value=0, max_value=size - 1))


@settings(deadline=None, max_examples=200)
@given(text=_TEXTS, sizes=_sizes())
def test_any_text_chunks_are_exact_ordered_and_complete(text: str, sizes: tuple[int, int]) -> None:
    size, overlap = sizes
    chunks = split(Article(id="h", text=text), chunk_size=size, chunk_overlap=overlap)
    assert_chunks_tile(text, chunks, size)
