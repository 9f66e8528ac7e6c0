"""The common nouns that can name a speaker (nouns.txt beside this module), loaded once."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Literal

NounKind = Literal["role", "group", "document", "org", "none"]
_PRECEDENCE: tuple[NounKind, ...] = ("role", "group", "org", "document", "none")  # later wins a word in two lists


@lru_cache(maxsize=1)
def lexicon() -> dict[str, NounKind]:
    """Return word -> kind from nouns.txt."""
    text = resources.files("retrieval.identity").joinpath("nouns.txt").read_text(encoding="utf-8")
    found: dict[NounKind, set[str]] = {k: set() for k in _PRECEDENCE}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        kind, _, words = line.partition(":")
        if kind.strip() not in found:
            raise ValueError(f"nouns.txt: unknown kind {kind.strip()!r} in line {raw!r}")
        found[kind.strip()].update(w.lower() for w in words.split())  # type: ignore[index]
    out: dict[str, NounKind] = {}
    for kind in _PRECEDENCE:
        for word in found[kind]:
            out[word] = kind
    return out


def singular(word: str) -> str:
    """Return a plural noun's singular form, roughly ("aides" -> "aide", "spokesmen" -> "spokesman")."""
    w = word.lower()
    if w.endswith("men"):
        return w[:-3] + "man"
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("ses", "xes", "ches", "shes")):
        return w[:-2]
    if w.endswith("s") and not w.endswith("ss"):
        return w[:-1]
    return w


def noun_kind(word: str) -> tuple[NounKind | None, bool]:
    """Return the kind a common noun names a speaker as, and whether it was plural; (None, False) when unknown."""
    w = word.lower().strip(".,;:'’")
    lex = lexicon()
    if w in lex:
        return lex[w], lex[w] == "group"
    one = singular(w)
    if one != w and one in lex:
        kind = lex[one]
        # "officers", "aides": many people holding a role are a group
        return ("group" if kind == "role" else kind), True
    return None, False


@lru_cache(maxsize=1)
def metonyms() -> dict[str, tuple[str, ...]]:
    """Return typed place name -> the entity names it stands for, from metonyms.txt."""
    text = resources.files("retrieval.identity").joinpath("metonyms.txt").read_text(encoding="utf-8")
    out: dict[str, tuple[str, ...]] = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            key, _, names = line.partition(":")
            out[key.strip().lower()] = tuple(n.strip() for n in names.split("|") if n.strip())
    return out
