"""Who a definite description stands for: "the Florida senator" after "Marco Rubio ended his bid" is Rubio."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from retrieval.citing import abbreviations
from retrieval.identity.groups import party_named
from retrieval.wordlists import us_states

# Offices a description and a title can both name; the words of a title that name each ("Sen. Marco Rubio").
OFFICES: dict[str, frozenset[str]] = {
    "senator": frozenset({"sen", "senator"}),
    "governor": frozenset({"gov", "governor"}),
    "president": frozenset({"president"}),
    "mayor": frozenset({"mayor"}),
    "congressman": frozenset({"rep", "representative", "congressman"}),
    "congresswoman": frozenset({"rep", "representative", "congresswoman"}),
    "secretary": frozenset({"secretary"}),
    "justice": frozenset({"justice"}),
    "judge": frozenset({"judge"}),
}
# The nouns that describe a public figure the article has just named ("the Democratic presidential candidate"). A
# description a title may also confirm: "Republican presidential candidate Donald Trump" is a candidate.
# Each must be a role noun of identity/nouns.txt, or no mention reaches it.
DESCRIBED = frozenset(
    ("senator", "governor", "president", "mayor", "congressman", "congresswoman", "candidate", "nominee",
     "businessman", "businesswoman", "billionaire", "mogul", "tycoon")
)  # fmt: skip
# Nouns that say who is meant with no other word; "the senator" is left to the title that names its holder and "the
# candidate" alone may be any of the race's candidates.
SELF_EVIDENT = frozenset(("businessman", "businesswoman", "billionaire", "mogul", "tycoon", "candidate", "nominee"))
# Lower-case words a description may carry and still mean one person already named; "the other candidate", "the
# next president" or "the new mayor" mean someone else.
MODIFIERS = frozenset(
    ("former", "presidential", "vice-presidential", "vice", "real", "estate", "junior", "senior", "freshman",
     "longtime", "veteran", "two-term", "first-term", "outgoing", "u.s", "gop", "party’s", "party's")
)  # fmt: skip
_MALE = frozenset(("businessman", "congressman"))
_FEMALE = frozenset(("businesswoman", "congresswoman"))
_TAG = re.compile(r"\s*\(\s*[DRI]\s*-\s*([A-Za-z. ]+?)\.?\s*\)|,\s+[DRI]-([A-Z][A-Za-z.]*)")
_STATE_AFTER = re.compile(r",?\s+of\s+((?:New |North |South |West |Rhode )?[A-Z][a-z]+)(?![\w-])(?!\s+[A-Z])")


@dataclass(frozen=True)
class Description:
    """What a definite description says of the person it stands for."""

    noun: str  # "senator"
    party: str | None  # "Democratic Party" for "the Democratic nominee"
    state: str | None  # "florida" for "the Florida senator"
    former: bool
    vice: bool

    @property
    def specific(self) -> bool:
        """Return whether the description names an office, a state or a party, which the article must confirm of
        the person ("Sen. Marco Rubio (R-Fla.)") before anyone is read as it."""
        return self.noun in OFFICES or bool(self.party) or bool(self.state and self.noun not in SELF_EVIDENT)

    @property
    def sex(self) -> int:
        """Return 1 for a man's noun ("businessman"), -1 for a woman's, 0 when it does not tell."""
        return 1 if self.noun in _MALE else -1 if self.noun in _FEMALE else 0


# Words that make a description someone else's: "the other billionaire", "a new mogul".
_ELSEWHERE = frozenset(
    ("other", "another", "new", "next", "same", "first", "second", "third", "last", "younger", "elder", "rival",
     "opposing", "competing", "fellow", "previous", "future", "eventual", "potential", "possible", "prospective",
     "likely")
)  # fmt: skip


def _describes(word: str) -> bool:
    """Return whether a word before a self-evident noun keeps it one already-named person ("the gambling tycoon",
    "the billionaire business mogul")."""
    return word.islower() and word.isalpha() and word not in _ELSEWHERE


@cache
def _state_names() -> frozenset[str]:
    """Return the US states' full names, lower case ("new york")."""
    return frozenset(us_states().values())


def describe(mention: str) -> Description | None:
    """Return what a definite description of a named public figure says ("the former Florida senator"), or None
    for any other mention ("the senator", "the other candidate", "a businessman")."""
    raw = [w.strip(",.;:") for w in mention.split()]
    if len(raw) < 2 or raw[0].lower() != "the":
        return None
    noun, mods = raw[-1].lower(), raw[1:-1]
    if noun not in DESCRIBED or (not mods and noun not in SELF_EVIDENT):
        return None
    state = None
    states = _state_names()
    i = 0
    while i < len(mods):
        word, pair = mods[i].lower(), " ".join(mods[i : i + 2]).lower()
        if pair in states and mods[i][:1].isupper():
            state, i = pair, i + 2
            continue
        if word in states and mods[i][:1].isupper():
            state = word
        elif not (party_named([word]) or word in MODIFIERS or (noun in SELF_EVIDENT and _describes(mods[i]))):
            return None  # "the Clinton-era senator", "the other candidate"
        i += 1
    low = [w.lower() for w in mods]
    vice = any(w.startswith("vice") for w in low)
    return Description(noun, party_named(mods), state, "former" in low, vice)


def _titles_before(text: str, start: int) -> list[str]:
    """Return the title words right before a name at `start`, lower case without periods ("florida", "sen"); a word
    ending a sentence ("... with President Obama. Marco Rubio") is none of them."""
    words: list[str] = []
    for w in reversed(re.split(r"[,;:!?\n(\"“”]", text[max(0, start - 80) : start])[-1].split()):
        bare = w.lower().strip(".")
        if len(words) == 5 or not (w[:1].isupper() or bare in MODIFIERS):
            break
        if w.endswith(".") and bare not in abbreviations():
            break
        words.insert(0, bare)
    return words


def _states_after(text: str, end: int) -> list[str]:
    """Return the states a tag or "of" right after a name gives ("(R-Fla.)", ", R-Fla.", "of Ohio"); never a place
    that only starts like one ("of La Jolla", "of New York University")."""
    found = []
    tag = _TAG.match(text, end)
    if tag:
        found.append(us_states().get((tag.group(1) or tag.group(2)).lower().replace(".", "").strip(), ""))
    of = _STATE_AFTER.match(text, end)
    if of and of.group(1).lower() in _state_names():
        found.append(of.group(1).lower())
    return [f for f in found if f]


@lru_cache(maxsize=1024)  # keyed by the article's text: a few articles' worth, never the whole corpus
def _facts(text: str, form: str) -> tuple[tuple[int, int, tuple[str, ...], tuple[str, ...]], ...]:
    """Return, for each place the article writes a name form, its span, the title words before it and the states
    after it (computed once per article and form: descriptions ask about the same people again and again)."""
    return tuple(
        (m.start(), m.end(), tuple(_titles_before(text, m.start())), tuple(_states_after(text, m.end())))
        for m in re.finditer(rf"(?<![\w’'-]){re.escape(form)}(?![\w’'-])", text)
    )


def _occurrences(text: str, forms: Sequence[str], skip: tuple[int, int]) -> list[tuple[list[str], list[str]]]:
    """Return (title words, states after) for each place the article writes one of a person's name forms, outside
    the span `skip` (the description itself: "Mika Brzezinski, the Democratic candidate said" says nothing of her)."""
    return [
        (list(title), list(after))
        for form in dict.fromkeys(forms)
        for start, end, title, after in _facts(text, form)
        if end <= skip[0] or start >= skip[1]
    ]


def states_of(text: str, forms: Sequence[str], skip: tuple[int, int] = (0, 0)) -> set[str]:
    """Return the US states the article gives a person, written as any of `forms` ("Florida Sen. Marco Rubio",
    "Rubio (R-Fla.)", "Marco Rubio of Florida"); empty when it gives none."""
    states: set[str] = set()
    for title, after in _occurrences(text, forms, skip):
        states.update(w for w in [*title, *map(" ".join, itertools.pairwise(title))] if w in _state_names())
        states.update(after)
    return states


def state_named(words: Sequence[str]) -> str | None:
    """Return the US state a description's capitalised words name ("the New Jersey governor" -> "new jersey")."""
    d = describe(" ".join(["the", *words[1:]])) if words and words[0].lower() == "the" else None
    return d.state if d else None


def fit(
    text: str, forms: Sequence[str], d: Description, party: Callable[[], list[str]], sex: int, skip: tuple[int, int]
) -> int | None:
    """Return how much the article says that a person (written as any of `forms`: the full name, and the surname
    when no one else bears it) is what `d` describes: None when something it says of them contradicts the
    description (another office, state or party, a sitting "President" for "the former president"), else the number
    of facts that agree (office, state, party). `skip` is the description's own span."""
    if d.sex and d.sex * sex < 0:
        return None
    titles = [title for title, _ in _occurrences(text, forms, skip)]
    states = states_of(text, forms, skip)
    held = {office for title in titles for office, words in OFFICES.items() if words.intersection(title)}
    score = 0
    if d.noun in OFFICES and held:
        if d.noun not in held:
            return None  # "Gov. Chris Christie" is not "the New Jersey senator"
        same = [t for t in titles if OFFICES[d.noun].intersection(t)]
        if d.former and not any("former" in t for t in same):
            return None  # "President Obama" is not "the former president"
        if d.vice != any(any(w.startswith("vice") for w in t) for t in same):
            return None
        score += 1
    elif d.noun not in OFFICES and any(d.noun in t for t in titles):
        score += 1  # "Republican presidential candidate Donald Trump"
    if d.state and states:
        if d.state not in states:
            return None
        score += 1
    if d.party:
        told = party()
        if told and told[0] != d.party:
            return None
        score += bool(told)
    return score


_SOMEONE_ELSE = re.compile(r"\b(?:he|she)\b", re.I)


def no_pronoun_before(sentence: str) -> bool:
    """Return whether the part of a sentence before a name has no "he" or "she": "he did say he found Trump
    charming" is about someone else, whom a later "the gambling tycoon" describes."""
    return _SOMEONE_ELSE.search(sentence) is None


def choose(
    sentences: Sequence[Sequence[tuple[str, bool]]], fits: Callable[[str], int | None], needs_support: bool
) -> str | None:
    """Return the one person a description stands for, from the people named in the sentences before it (nearest
    sentence first, each as (name, no "he" or "she" before it) in the order it names them).

    The person whom the article says most of what the description says wins (none when two in one sentence tie).
    When it says nothing of anyone and the description is only a noun any of them may be ("the businessman"), the
    answer is the only one that fits in the nearest sentence naming anyone who fits, and only when no "he" or "she"
    comes before that name in it.
    """
    scored: list[tuple[int, int, str, bool]] = []
    for rank, names in enumerate(sentences):
        for name, first in {n: f for n, f in reversed(names)}.items():
            score = fits(name)
            if score is not None:
                scored.append((rank, score, name, first))
    if not scored:
        return None
    best = max(s for _, s, _, _ in scored)
    if best > 0:
        top = [(rank, name) for rank, s, name, _ in scored if s == best]
        nearest_top = {name for rank, name in top if rank == min(r for r, _ in top)}
        return nearest_top.pop() if len(nearest_top) == 1 else None  # two Ohio senators: it may be either
    if needs_support:
        return None  # nothing the article says makes anyone "the Florida senator"
    nearest = [(name, first) for r, _, name, first in scored if r == scored[0][0]]
    return nearest[0][0] if len(nearest) == 1 and nearest[0][1] else None
