"""Entity ids derived from names alone, so the same name gives the same entity whatever was ingested before."""

from __future__ import annotations

import re

from retrieval.models import slugify

SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}
_INITIAL = re.compile(r"^[A-Z]\.?$|^[A-Z]\.[A-Z]\.?$")


def person_key(name: str) -> str:
    """Return the words that identify a person: middle initials dropped, "Jr."/"Sr." kept ("donald trump jr")."""
    words = name.replace("’", "'").split()
    if len(words) >= 3:
        # "Donald J. Trump", "George H.W. Bush": an initial between the first and the last name is not identity
        words = [words[0], *(w for w in words[1:-1] if not _INITIAL.match(w)), words[-1]]
    return " ".join(w.strip(",").rstrip(".") if w.strip(".").lower() in SUFFIXES else w for w in words)


def entity_id(name: str, kind: str | None, scope: str | None = None) -> str:
    """Return the corpus-wide id of an entity; `scope` (an article id) keeps common-noun entities to their article."""
    # "Clinton’s campaign" and "Clinton campaign" are one organisation
    plain = re.sub(r"['’]s\b", "", name)
    base = slugify(person_key(plain) if kind == "person" and scope is None else plain)
    return f"{base}--{scope[:8]}" if scope else base


def name_rank(name: str) -> tuple[int, int, str]:
    """Return a sort key choosing an entity's display name deterministically: fewest words, shortest, then text."""
    return (len(name.split()), len(name), name)
