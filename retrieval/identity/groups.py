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
