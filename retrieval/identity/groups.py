"""Group questions ("what are Democrats saying"): which groups exist and whether a speaker belongs to one."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from retrieval.models import Speaker

_PARTY_TAG = re.compile(r"\b(?P<party>[DR])-[A-Z][A-Za-z.]*|\((?P<bare>[DR])\)")
_PARTIES = {"D": "democrats", "R": "republicans"}
_WORD = re.compile(r"[a-z][a-z-]*")


@lru_cache(maxsize=1)
def groups() -> dict[str, tuple[str, ...]]:
    """Return each group's member words from the packaged groups.txt (an empty tuple: everyone belongs)."""
    data = resources.files("retrieval.identity").joinpath("groups.txt").read_text(encoding="utf-8")
    out: dict[str, tuple[str, ...]] = {}
    for raw in data.splitlines():
        line = raw.split("#", 1)[0].strip()
        if "=" in line:
            name, words = line.split("=", 1)
            out[name.strip().lower()] = tuple(words.lower().split())
    return out


def group_key(asked: str) -> str | None:
    """Return the group a question names ("the Democrats" -> "democrats"), or None when it is not one."""
    key = asked.lower().removeprefix("the ").strip()
    return key if key in groups() else None


def is_group(asked: str) -> bool:
    """Return whether a question's subject is a known group."""
    return group_key(asked) is not None


def belongs(asked: str, speaker: Speaker | None, mention: str = "") -> bool:
    """Return whether a speaker (named in the article as `mention`) is a member of a group; unknown -> False."""
    key = group_key(asked)
    if key is None:
        return False
    words = groups()[key]
    if not words:
        return True
    known = [a for a in (speaker.affiliations if speaker else ()) if a in PARTY_NAMES.values()]
    if key in PARTY_NAMES and known:
        # the party the articles name beside the person settles it: "… weren't interested in Republican votes,"
        # Reid said' puts no Democrat among the Republicans
        return PARTY_NAMES[key] in known
    texts = [mention, *(speaker.aliases if speaker else ()), *(speaker.roles if speaker else ())]
    texts += list(speaker.affiliations if speaker else ())
    for text in texts:
        for m in _PARTY_TAG.finditer(text):
            if _PARTIES[m["party"] or m["bare"]] == key:
                return True
        found = _WORD.findall(text.lower())
        if any(w == x or (x.endswith("*") and w.startswith(x[:-1])) for w in found for x in words):
            return True
    return False


PARTY_NAMES = {"democrats": "Democratic Party", "republicans": "Republican Party"}
_PARTY_WORDS = {"democratic": "democrats", "democrat": "democrats", "republican": "republicans", "gop": "republicans"}


def party_named(words: list[str]) -> str | None:
    """Return the party a description's words name ("the Democratic nominee" -> "Democratic Party"), if exactly one."""
    found = {_PARTY_WORDS[w] for w in (x.lower().strip(".,’'") for x in words) if w in _PARTY_WORDS}
    return PARTY_NAMES[found.pop()] if len(found) == 1 else None


# words between a party adjective and a name that keep it the person's party ("Republican Sen. Lindsey Graham",
# "Democratic presidential candidate Bernie Sanders"); any other word ("Republican attacks on X") breaks the link
_BRIDGE = frozenset(
    ("presidential", "vice-presidential", "vice", "party", "rival", "hopeful", "primary", "front-runner",
     "frontrunner", "challenger", "incumbent", "state", "u.s", "house", "senate", "majority", "minority", "national",
     "committee")
)  # fmt: skip
_AFTER_TAG = re.compile(r"\s*\(\s*(?P<p>[DR])(?:-[^)]*)?\)|,\s+(?P<q>[DR])-[A-Z][A-Za-z.]*")
# "X, a Republican from Ohio", "X, the Democratic nominee"; never "X, a former Democrat"
_AFTER_NOUN = re.compile(
    r",\s+(?:a|the|an)\s+(?:(?!former\b|ex-)[\w.’'-]+\s+){0,2}?(?P<w>Democrat|Republican|Democratic|GOP)\b"
    r"(?P<rest>\s*[\w.’'-]*)"
)
_ENDS_APPOSITION = frozenset(("", ",", ".", ";", ":", ")", "from", "of", "in", "who", "and", "representing"))
_WORD_BREAKS = frozenset(("of", "to", "for", "with", "on", "against", "about"))  # "a Republican critic of X"


def parties_in(text: str, names: list[str], bridges: frozenset[str] = frozenset()) -> list[str]:
    """Return the party an article gives a person named by any of `names` ("Sen. X (D-Ohio)", "Republican Sen. X",
    "X, a Democrat"): ["Democratic Party"], ["Republican Party"], or [] when it tells none or both equally.

    `bridges` are more words allowed between a party adjective and the name (titles). Each place in the text votes
    once, whichever of the names it matched.
    """
    votes: dict[str, int] = {}
    allowed = (_BRIDGE | bridges) - _PARTY_WORDS.keys() - _WORD_BREAKS  # the lexicon calls "Democrat" a role too
    seen: set[int] = set()
    for name in sorted({n for n in names if n and n[:1].isupper()}, key=len, reverse=True):
        for m in re.finditer(rf"(?<![\w’'-]){re.escape(name)}(?![\w’'-])", text):
            if m.end() in seen:  # the surname inside a full name already counted
                continue
            seen.add(m.end())
            found = _party_after(text, m.end(), allowed)
            if found is None:
                words = text[max(0, m.start() - 80) : m.start()].split()
                k = len(words)
                while k > 0 and words[k - 1].lower().strip(",.") in allowed:
                    k -= 1
                if k > 0 and len(words) - k <= 4:
                    found = _PARTY_WORDS.get(words[k - 1].lower())
            if found:
                votes[found] = votes.get(found, 0) + 1
    if not votes:
        return []
    best = max(votes, key=lambda p: votes[p])
    return [PARTY_NAMES[best]] if list(votes.values()).count(votes[best]) == 1 else []


def _party_after(text: str, end: int, allowed: frozenset[str]) -> str | None:
    """Return the party a tag or an apposition right after a name gives ("(R-Utah)", ", a Democrat from Ohio,")."""
    tag = _AFTER_TAG.match(text, end)
    if tag is not None:
        return _PARTIES[tag["p"] or tag["q"]]
    noun = _AFTER_NOUN.match(text, end)
    if noun is None:
        return None
    # the party word ends the apposition or heads a title ("the Democratic nominee"); "a Republican target" is not
    rest = noun["rest"].strip().lower().strip(".,")
    if rest not in _ENDS_APPOSITION and rest not in allowed:
        return None
    return _PARTY_WORDS.get(noun["w"].lower())
