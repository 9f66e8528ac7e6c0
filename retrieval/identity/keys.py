"""Entity ids derived from names alone, so the same name gives the same entity whatever was ingested before."""

from __future__ import annotations

import re
import unicodedata

from retrieval.identity.lexicon import lexicon
from retrieval.models import content_id, slugify
from retrieval.wordlists import name_prefixes, nicknames

DETERMINERS = {"the", "a", "an", "this", "that", "its", "his", "her", "their"}

SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}
PARTICLES = {"de", "van", "von", "al", "bin", "da", "di", "del", "la", "le", "du", "der"}


def opens_with_particle(name: str) -> bool:
    """Return whether a name opens with a surname's particle ("de Blasio", "Van Hollen"), so it is a surname alone.

    A capitalised "Al" before a name is the given name of Al Gore and Al Sharpton, not the Arabic article.
    """
    words = name.split()
    if not words or words[0].lower() not in PARTICLES:
        return False
    # "Al J. Pettway", "Al Gore Jr.": initials and a suffix do not count; "Al Said Hamdan" opens a surname
    core = [w for w in words if not _INITIAL.match(w) and w.strip(".,").lower() not in SUFFIXES]
    return not (words[0] == "Al" and len(core) == 2 and core[1].lower() not in PARTICLES)


_INITIAL = re.compile(r"^[A-Za-z]\.?$|^[A-Za-z]\.[A-Za-z]\.?$")  # lower case too: a lookup keys a folded name


def person_key(name: str) -> str:
    """Return the words that identify a person: first and last name, with "Jr."/"Sr." kept ("Donald Trump Jr").

    Middle initials and names are not identity: "Donald J. Trump", "Hillary Rodham Clinton" and "James B. Comey"
    are written both ways in the same paper. Nor is a short given name: "Ben Rhodes" is "Benjamin Rhodes"
    (data/nicknames.txt). (George H.W. and George W. Bush meet here; a correction splits them.)
    """
    words = [w.strip(",") for w in name.replace("’", "'").split()]
    suffix = [w.rstrip(".") for w in words[1:] if w.strip(".").lower() in SUFFIXES]
    core = [w for w in words if w.strip(".").lower() not in SUFFIXES]
    last = 1
    while last < len(core) - 1 and core[-last - 1].lower() in PARTICLES:
        last += 1  # "Bill de Blasio": the particle belongs to the surname
    if len(core) - last >= 2:
        first = next((w for w in core[:-last] if not _INITIAL.match(w)), core[0])
        core = [first, *core[-last:]]
    if len(core) > last:
        core[0] = nicknames().get(core[0].lower(), core[0])
    return " ".join(core + suffix)


def current_id(speaker_id: str) -> str:
    """Return an entity id as this version keys it: a person's id stored before short given names were read as
    formal ones ("josh-earnest", PIPELINE_VERSION 7) is "joshua-earnest" now; any other id is returned unchanged."""
    parts = speaker_id.split("-")
    if "--" in speaker_id or not 2 <= len(parts) <= 4 or parts[0] not in nicknames():
        return speaker_id
    if lexicon().get(parts[-1]) is not None:
        return speaker_id  # a role named by its owner ("ben-carlow-spokesman", PIPELINE_VERSION 9) keeps every word
    return "-".join([nicknames()[parts[0]].lower(), *parts[1:]])


def family_name(name: str) -> str:
    """Return a person's surname as written, past a generational suffix ("Harry Hurt III" -> "Hurt")."""
    words = [w.strip(",") for w in name.split()]
    while len(words) > 1 and words[-1].strip(".").lower() in SUFFIXES:
        words.pop()
    return words[-1] if words else ""


def role_named(name: str) -> bool:
    """Return whether a person entity is a role named by its owner ("White House spokesman", "Bernie Sanders’s
    aide"): its last word is lower case, as a person's name's never is. Its last word is the role, no surname."""
    words = name.split()
    return bool(words) and words[-1].islower()


def entity_id(name: str, kind: str | None, scope: str | None = None) -> str:
    """Return the corpus-wide id of an entity; `scope` (an article id) keeps common-noun entities to their article."""
    # "Clinton’s campaign" and "Clinton campaign" are one organisation
    plain = re.sub(r"['’]s\b", "", name)
    personal = kind == "person" and scope is None and not role_named(plain)
    base = slugify(person_key(plain) if personal else plain)
    return f"{base}--{scope_key(scope)}" if scope else base


def scope_key(article_id: str) -> str:
    """Return the short key of an article that its common-noun entities carry ("officials--3f2a9c0d1e7b").

    A digest of the whole id: ids a feed gives often share a prefix ("wire-2026-03-01-…"), and "the senator" of one
    article is not the senator of the next.
    """
    return content_id("scope", article_id, size=12)


def name_rank(name: str) -> tuple[int, int, str]:
    """Return a sort key choosing an entity's display name deterministically: fewest words, shortest, then text."""
    return (len(name.split()), len(name), name)


def fold(name: str) -> str:
    """Return a comparison key: ascii, lowercase, possessive, leading determiners and titles dropped."""
    # a curly apostrophe is not ascii: make it straight first, or "Putin’s" folds to "putins", not "putin"
    text = unicodedata.normalize("NFKD", name.replace("’", "'")).encode("ascii", "ignore").decode("ascii").lower()
    text = re.sub(r"['’]s\b", "", text)
    words = re.findall(r"[a-z0-9]+", text)
    while words and words[0] in DETERMINERS:
        words = words[1:]  # "the White House" is the White House
    words = [w for w in words if w not in name_prefixes()]
    return " ".join(words)
