"""A person's sex as an article shows it, so that "he" and "she" find their person: honorifics, then first names.

This module holds the evidence `speakers.NameIndex.gender` weighs, strongest first:
- the article's own honorifics: "Mrs. McCaskill" makes the one Claire McCaskill it names a woman;
- the first-name prior: first names with the pronoun their bearers took in PolNeAR train (a named speaker followed by a
  "he"/"she" attribution) or their honorifics, built by `scripts/train_attribution.py --stage names`; for a first
  name train never told, the US Census 1990 lists (a name nearly all of whose bearers are of one sex);
- (in `NameIndex.gender`) the pronoun that opens the sentences after the name's mentions, a hint only.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

from retrieval.identity.keys import family_name

FIRST_NAMES_FILE = "first_names.tsv"
CENSUS_FILE = "census_first_names.txt"
SEXED_HONORIFICS = {"mr": 1, "mrs": -1, "ms": -1, "miss": -1}
SEXED_PRONOUNS = {"he": 1, "she": -1}
_HONORIFIC = re.compile(r"\b(Mr|Mrs|Ms|Miss)\.?\s+([^\W\d_a-zß-ÿ][\w'’\-]+)")  # "Mrs. Álvarez" too
MIN_SUPPORT = 2  # articles behind a first-name prior for it to count as sure at all
SURE_SUPPORT = 5  # articles behind a first-name prior that the article's own pronouns cannot overturn
CENSUS_SUPPORT = MIN_SUPPORT  # a Census sex is sure until two of the article's pronouns say otherwise
FIRST_NAME = re.compile(r"[A-Z][a-z]+")  # "Hillary", not "J." or "McCain"


@lru_cache(maxsize=1)
def first_names() -> dict[str, tuple[int, int]]:
    """Return the packaged first-name prior: name -> (+1 a man's / -1 a woman's, articles that told it)."""
    ref = resources.files("retrieval.quotes").joinpath("data", FIRST_NAMES_FILE)
    if not ref.is_file():
        return {}
    out: dict[str, tuple[int, int]] = {}
    for line in ref.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, sex, votes = line.split("\t")
            out[name] = (int(sex), int(votes))
    return out


@lru_cache(maxsize=1)
def census_sexes() -> dict[str, int]:
    """Return the US Census 1990 given names (data/census_first_names.txt, built by scripts/census_names.py), each
    with +1 / -1 when nearly all its bearers are men / women, else 0."""
    ref = resources.files("retrieval.quotes").joinpath("data", CENSUS_FILE)
    lines = ref.read_text(encoding="utf-8").splitlines() if ref.is_file() else []
    return {name: int(sex) for name, sex in (line.split("\t") for line in lines if line and not line.startswith("#"))}


@lru_cache(maxsize=1)
def given_names() -> frozenset[str]:
    """Return every word known to be a given name: the Census lists and the first-name prior's names."""
    return frozenset(census_sexes()) | frozenset(first_names())


def honorific_sexes(text: str, names: Iterable[str]) -> dict[str, int]:
    """Return +1 / -1 for each full name whose surname the article writes with "Mr." / "Mrs.", "Ms.", "Miss".

    A surname two full names share ("Donald Trump", "Melania Trump") tells nothing: its honorifics may be either's.
    """
    by_surname: dict[str, list[str]] = defaultdict(list)
    for name in names:
        if len(name.split()) >= 2:
            by_surname[family_name(name)].append(name)  # "Mr. Biden" is "Joseph R. Biden Jr."
    votes: dict[str, Counter[int]] = defaultdict(Counter)
    for m in _HONORIFIC.finditer(text):
        owners = by_surname.get(re.sub(r"['’]s$", "", m.group(2)), [])  # "Mrs. Clinton’s"
        if len(owners) == 1:
            votes[owners[0]][SEXED_HONORIFICS[m.group(1).lower()]] += 1
    # a surname written with "Mr." and with "Mrs." is two people's: the one named in full may be either
    return {name: (1 if c[1] else -1) for name, c in votes.items() if bool(c[1]) != bool(c[-1])}


def mixed_surnames(text: str) -> set[str]:
    """Return the surnames an article writes with a man's honorific and with a woman's ("Mr. Khan", "Mrs. Khan")."""
    sexes: dict[str, set[int]] = defaultdict(set)
    for m in _HONORIFIC.finditer(text):
        sexes[re.sub(r"['’]s$", "", m.group(2))].add(SEXED_HONORIFICS[m.group(1).lower()])
    return {word for word, told in sexes.items() if len(told) == 2}


def from_census(name: str) -> bool:
    """Return whether a full name's sex comes from the Census lists: `prior` tells one, and train never did."""
    words = name.split()
    return bool(words) and words[0] not in first_names() and prior(name)[0] != 0


def prior(name: str) -> tuple[int, int]:
    """Return the first-name prior of a full name and its support: (+1 / -1 / 0, articles that told it).

    A first name PolNeAR train never told falls back on the Census lists, as sure as a prior two articles support;
    `NameIndex.gender` lets only two of the article's own pronouns overturn it (`from_census`).
    """
    words = name.split()
    if len(words) < 2 or not FIRST_NAME.fullmatch(words[0]):
        return 0, 0
    told = first_names().get(words[0])
    if told is not None:
        return told
    sex = census_sexes().get(words[0], 0)
    return (sex, CENSUS_SUPPORT) if sex else (0, 0)
