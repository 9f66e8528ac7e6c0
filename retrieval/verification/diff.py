"""Word-level diffs between a claim and a source, and the notes a reader needs (negations, numbers, names)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import cache

from retrieval.models import DiffOp
from retrieval.verification.align import Opcode
from retrieval.verification.normalise import Token
from retrieval.wordlists import name_prefixes

_NEGATIONS = (
    "not no never nor neither none nobody nothing nowhere cannot can't won't don't doesn't didn't isn't aren't "
    "wasn't weren't hasn't haven't hadn't shouldn't wouldn't couldn't mustn't needn't ain't"
)
_NUMBERS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million "
    "billion trillion dozen dozens hundreds thousands millions billions half first second third fourth fifth "
    "percent per cent"
)
# Capitalised words that are not names, for the name-swap test (sentence starts are capitalised too); the titles
# and honorifics before a name ("Mr.", "President") come from the shared list
_FUNCTION_WORDS = (
    "a an the this that these those he she it they we i you his her its their our my your and but or so if "
    "when while as at in on of for to by with from"
)
NEGATIONS = frozenset(_NEGATIONS.split())
NUMBER_WORDS = frozenset(_NUMBERS.split())


@cache
def _not_names() -> frozenset[str]:
    """Return the words that are not names though capitalised: function words, titles and honorifics."""
    return frozenset(_FUNCTION_WORDS.split()) | name_prefixes()


def word_diff(claim: Sequence[Token], source: Sequence[Token], opcodes: Sequence[Opcode]) -> tuple[DiffOp, ...]:
    """Return the opcodes as DiffOps with the words as written on each side."""
    out = []
    for tag, i1, i2, j1, j2 in opcodes:
        op = tag if tag in ("equal", "insert", "delete", "replace") else "replace"
        out.append(DiffOp(op, _words(source[j1:j2]), _words(claim[i1:i2])))  # type: ignore[arg-type]
    return tuple(out)


def describe(
    claim: Sequence[Token], source: Sequence[Token], opcodes: Sequence[Opcode], gaps: Collection[int] = ()
) -> tuple[str, ...]:
    """Return notes for the edits: negation added/removed, number changed, name swapped, words changed.

    `gaps` are claim word indexes where an ellipsis stood: source words skipped there are not edits.
    """
    notes: list[str] = []
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal" or (tag == "delete" and i1 in gaps):
            continue
        src, clm = source[j1:j2], claim[i1:i2]
        notes.extend(_notes(src, clm))
    return tuple(dict.fromkeys(notes))


def is_negation(tok: Token) -> bool:
    """Return whether a word negates ("not", "never", "didn't")."""
    return tok.norm in NEGATIONS or tok.norm.endswith("n't")


def is_number(tok: Token) -> bool:
    """Return whether a word is a number, in digits or in words."""
    return any(c.isdigit() for c in tok.norm) or tok.norm in NUMBER_WORDS


def is_name(tok: Token) -> bool:
    """Return whether a word looks like part of a name: capitalised and not a function word."""
    return tok.raw[:1].isupper() and tok.norm not in _not_names() and not is_number(tok)


def _notes(src: Sequence[Token], clm: Sequence[Token]) -> list[str]:
    out: list[str] = []
    neg_src = [t for t in src if is_negation(t)]
    neg_clm = [t for t in clm if is_negation(t)]
    if neg_clm and not neg_src:
        out.append(f"negation added: {_words(neg_clm)}")
    elif neg_src and not neg_clm:
        out.append(f"negation removed: {_words(neg_src)}")
    num_src = [t for t in src if is_number(t)]
    num_clm = [t for t in clm if is_number(t)]
    if num_src and num_clm:
        out.append(f"number changed: {_words(num_src)} -> {_words(num_clm)}")
    elif num_src or num_clm:
        out.append(f"number {'removed' if num_src else 'added'}: {_words(num_src or num_clm)}")
    if src and clm and all(is_name(t) for t in src) and all(is_name(t) for t in clm):
        out.append(f"name swapped: {_words(src)} -> {_words(clm)}")
    if not out:
        if src and clm:
            out.append(f"words changed: {_words(src)} -> {_words(clm)}")
        elif clm:
            out.append(f"words added: {_words(clm)}")
        else:
            out.append(f"words removed: {_words(src)}")
    return out


def _words(tokens: Sequence[Token]) -> str:
    return " ".join(t.raw for t in tokens)
