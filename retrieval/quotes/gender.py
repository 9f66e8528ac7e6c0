"""A person's sex as an article shows it, so that "he" and "she" find their person: honorifics, then first names.

This module holds the evidence `speakers.NameIndex.gender` weighs, strongest first:
- the article's own honorifics: "Mrs. McCaskill" makes the one Claire McCaskill it names a woman;
- the first-name prior: first names with the pronoun their bearers took in PolNeAR train (a named speaker followed by a
  "he"/"she" attribution) or their honorifics, built by `scripts/train_attribution.py --stage names`;
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
_HONORIFIC = re.compile(r"\b(Mr|Mrs|Ms|Miss)\.?\s+([A-Z][\w'’\-]+)")
MIN_SUPPORT = 2  # articles behind a first-name prior for it to count as sure at all
SURE_SUPPORT = 5  # articles behind a first-name prior that the article's own pronouns cannot overturn
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
def given_names() -> frozenset[str]:
    """Return every word known to be a given name: the US Census 1990 lists (data/census_first_names.txt, built by
    scripts/census_names.py) and the first-name prior's names. It tells a name from a title; it tells no sex."""
    ref = resources.files("retrieval.quotes").joinpath("data", CENSUS_FILE)
    census = ref.read_text(encoding="utf-8").splitlines() if ref.is_file() else []
    return frozenset(n for n in census if n and not n.startswith("#")) | frozenset(first_names())


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
    return {name: (1 if c[1] > c[-1] else -1) for name, c in votes.items() if c[1] != c[-1]}


def prior(name: str) -> tuple[int, int]:
    """Return the first-name prior of a full name and its support: (+1 / -1 / 0, articles that told it)."""
    words = name.split()
    if len(words) < 2 or not FIRST_NAME.fullmatch(words[0]):
        return 0, 0
    return first_names().get(words[0], (0, 0))
