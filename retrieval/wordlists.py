"""Word lists kept as package data in retrieval/data/: titles and honorifics, organisation words, countries, US
states."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def entries(name: str) -> tuple[tuple[str, ...], ...]:
    """Return the words of each non-blank line of retrieval/data/<name>.txt, comments (`#`) cut (read once)."""
    data = resources.files("retrieval").joinpath(f"data/{name}.txt").read_text(encoding="utf-8")
    return tuple(words for raw in data.splitlines() if (words := tuple(raw.split("#", 1)[0].split())))


@cache
def words(name: str) -> frozenset[str]:
    """Return the first word of each line of a word list, lower-cased."""
    return frozenset(line[0].lower() for line in entries(name))


@cache
def table(name: str) -> dict[str, str]:
    """Return a `key = value` list as a dict (keys lower-cased; several words allowed on either side)."""
    out: dict[str, str] = {}
    for line in entries(name):
        key, _, value = " ".join(line).partition(" = ")
        out[key.strip().lower()] = value.strip()
    return out


@cache
def _titles(kind: str = "", sex: str = "") -> frozenset[str]:
    """Return the words of titles.txt of one kind (all kinds when empty) and, for honorifics, one sex."""
    return frozenset(w for w, k, *rest in entries("titles") if (not kind or k == kind) and (not sex or sex in rest))


def titles() -> frozenset[str]:
    """Return every word of a title phrase before a name: honorifics, offices and other role words."""
    return _titles()


def honorifics() -> frozenset[str]:
    """Return the forms of address ("mr", "mrs", "dr"): part of how a name is written, never a role."""
    return _titles("honorific")


def female_honorifics() -> frozenset[str]:
    """Return the honorifics that name a woman ("mrs", "ms", "miss")."""
    return _titles("honorific", "f")


def gendered_honorifics() -> frozenset[str]:
    """Return the honorifics that tell a person's sex ("dr" does not)."""
    return _titles("honorific", "f") | _titles("honorific", "m")


def name_prefixes() -> frozenset[str]:
    """Return the honorifics and offices a speaker lookup drops from a typed name ("Sen. Warren" is Warren)."""
    return honorifics() | _titles("office")


def org_words() -> frozenset[str]:
    """Return the words that make a name an organisation's ("Justice Department", "New York Times")."""
    return words("org_words")


def countries() -> dict[str, str]:
    """Return the country each place name stands for, keyed lower case ("moscow" -> "Russia")."""
    return table("countries")


def nicknames() -> dict[str, str]:
    """Return the formal given name each short form stands for, keyed lower case ("ben" -> "Benjamin")."""
    return table("nicknames")


@cache
def us_states() -> dict[str, str]:
    """Return the US state each name or abbreviation stands for, keyed lower case without periods ("fla", "new
    york" -> "florida", "new york")."""
    out: dict[str, str] = {}
    for name, *short in entries("us_states"):
        state = name.replace("-", " ")
        for key in (state, *short):
            out[key] = state
    return out
