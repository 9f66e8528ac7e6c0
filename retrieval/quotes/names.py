"""Name analysis: split a speaker mention into role and name; tell persons, organisations and groups apart."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from retrieval.citing import abbreviations
from retrieval.identity.keys import PARTICLES, SUFFIXES, family_name
from retrieval.identity.lexicon import lexicon
from retrieval.models import SpeakerKind
from retrieval.quotes.gender import given_names
from retrieval.wordlists import countries, org_words, titles

PRONOUNS = {"he", "she", "i", "we", "they", "it", "who", "which", "that", "you", "him", "her", "them", "us_"}
PERSON_PRONOUNS = {"he", "she", "i", "him", "her", "who"}
GROUP_PRONOUNS = {"they", "we", "them"}
DETERMINERS = {"the", "a", "an", "this", "that", "these", "those", "other", "some", "many", "several", "both"}
_WORD = re.compile(r"[\w.'’\-]+")


@dataclass(frozen=True)
class MentionParts:
    """A mention split into role words and the name proper, with its kind."""

    name: str  # canonical-looking name ("John Kirby", "United States", "US officials")
    role: str  # words before the name ("spokesman", "Ukrainian President")
    kind: SpeakerKind
    proper: bool  # the name is a proper name (capitalised), so aliases can be matched


def _core(word: str) -> str:
    """Return a word lower-cased without trailing dots or possessive."""
    return re.sub(r"(['’]s)$", "", word).strip(".").lower()


_ARTICLE_PREFIX = "(?:al-|el-)?"  # an Arabic surname's article: "Bashar al-Assad", "Muammar el-Qaddafi"
_ARTICLED = re.compile(r"(?:al|el)-[A-Z]")


def is_capitalised(word: str) -> bool:
    """Return whether a word starts with an upper-case letter, after an Arabic article ("al-Assad")."""
    return word[:1].isupper() or bool(_ARTICLED.match(word))


_PARTY_TAG = re.compile(r"\([^)]*\)|\b[RDI]-[A-Z][A-Za-z.]*")  # "(D-Newport News)" whole, then "R-Wis."


def analyse(mention: str) -> MentionParts:
    """Split a speaker mention into role and name and guess its kind."""
    mention = _PARTY_TAG.sub(" ", mention)  # "Sen. David Perdue (R-Ga.)", "Paul Ryan, R-Wis.,"
    # a possessive at the end names the owner of what spoke ("Donald Trump’s" from "Donald Trump’s campaign")
    mention = re.sub(r"(?<=[^\W\d_])['’]s\s*$", "", mention.rstrip())  # "José Martí’s" too
    parts = [p for p in (x.strip() for x in mention.split(",")) if _WORD.search(p)]
    if len(parts) > 1:
        # an apposition: "Kerr Putney, the police chief" / "the minister, Joan Calloway": the proper name wins
        analysed = [_analyse(p) for p in parts]
        named = [a for a in analysed if a.kind == "person" and a.proper]
        if named:
            best = max(named, key=lambda a: len(a.name.split()) >= 2)
            others = [" ".join(_WORD.findall(p)) for p, a in zip(parts, analysed, strict=True) if a is not best]
            role = " ".join(x for x in [best.role, *others] if x)
            return MentionParts(best.name, _strip_determiners(role), "person", True)
        return analysed[0]
    return _analyse(mention)


_MODIFIER = re.compile(r"[\w.]-(?:born|based|bred|raised|educated|trained|backed|led|owned|run|funded|area)$", re.I)


def _is_role(word: str) -> bool:
    """Return whether a word is a role noun of the identity lexicon ("economist", "spokesman")."""
    return lexicon().get(word.lower()) == "role"


def _strip_determiners(text: str) -> str:
    """Drop leading determiners from a role phrase."""
    words = text.split()
    while words and words[0].lower() in DETERMINERS:
        words = words[1:]
    return " ".join(words)


_CONNECTORS = {"and", "for", "on", "the"}


def _org_word(word: str) -> bool:
    """Return whether a word marks an organisation's name ("Bureau", "Commission"); "Banks" is a surname."""
    return _core(word) in org_words()


def _titled(run: list[str], i: int) -> bool:
    """Return whether a word of a capitalised run is a title word; "of" only after one ("Secretary of State")."""
    if _core(run[i]) != "of":
        return _core(run[i]) in titles()
    return i > 0 and _core(run[i - 1]) in titles()


def _analyse(mention: str) -> MentionParts:
    """Split one comma-free mention into role and name and guess its kind."""
    words = _WORD.findall(mention)
    while words and words[0].lower() in DETERMINERS:
        words = words[1:]
    text = " ".join(words)
    if not words:
        return MentionParts(mention.strip(), "", "person", False)
    low = text.lower()
    if low in countries():
        return MentionParts(countries()[low], "", "organisation", True)
    head = words[-1]
    if not is_capitalised(head):
        kind: SpeakerKind = "group" if head.lower().endswith("s") and not head.endswith("ss") else "person"
        if _core(head) in org_words():
            kind = "organisation"
        return MentionParts(text, "", kind, False)
    # the trailing run of capitalised words is the name; lower-case words before it are the role
    k = len(words)
    while k > 0 and (
        is_capitalised(words[k - 1])
        or words[k - 1] == "of"
        or words[k - 1] in PARTICLES
        or (words[k - 1] == "the" and k >= 2 and words[k - 2] == "of")  # "Council of the Great City Schools"
    ):
        k -= 1
    while k < len(words) and words[k] in ("of", "the"):
        k += 1  # "the head of the Office of Management": the name opens with a capital
    # an organisation's name may hold a connector ("Securities and Exchange Commission", "Centers for Disease
    # Control and Prevention", "Council on Foreign Relations"); a person's never does ("Trump and Pence")
    j = k
    while j >= 2 and words[j - 1].lower() in _CONNECTORS:
        i = j - 1
        while i > 0 and words[i - 1].lower() in _CONNECTORS:
            i -= 1
        if i == 0 or not is_capitalised(words[i - 1]):
            break
        while i > 0 and (is_capitalised(words[i - 1]) or words[i - 1].lower() == "of"):
            i -= 1
        j = i
    # the organisation word opens the name ("Office of Management and Budget"), or is in it with no "of" in what
    # comes before ("Securities and Exchange Commission"); "Representatives of Trump and the White House" are two,
    # and so are "MSNBC’s Alex Seitz-Wald and Reuters’ Luciana Lopez"
    opens = j < k and _org_word(words[j])
    ends = j < k and any(_org_word(w) for w in words[j:]) and "of" not in {w.lower() for w in words[j:k]}
    if (opens or ends) and not any(w.endswith(("’s", "'s", "’")) for w in words[j:]):
        k = j
    run = words[k:]
    role_words = words[:k]
    # "South Korean-born Monte Haines", "Texas-based Dana Whitfield": a capitalised modifier is no part of a full
    # name ("a Los Angeles-area Sanders volunteer" names no one)
    modified = max((i for i, w in enumerate(run[:-2]) if _MODIFIER.search(w)), default=-1)
    role_words, run = role_words + run[: modified + 1], run[modified + 1 :]
    # "Representative Peter T. King of New York", "Nevins of Showtime": the place or employer after a person's name
    # is not the person; "Secretary of State X", "Bank of America" and "Department of X" keep their "of"
    at = next((i for i, w in enumerate(run) if w.lower() == "of"), 0)
    before = [w for w in run[:at] if is_capitalised(w) and _core(w) not in titles() and not _is_role(w)]
    after = run[at + 1 :]  # a place or an employer ("New York", "Bank of America"), not "Canterbury Justin Welby"
    named = len(before) >= 2 or (len(before) == 1 and (len(after) <= 2 or any(_org_word(w) for w in after)))
    named = named and _core(run[at - 1]) not in titles()  # "Missouri Secretary of State X": a title's own "of"
    if named and not any(_org_word(w) and _core(w) not in titles() for w in run[:at]):
        run = run[:at]
    # titles before a person's name ("Secretary of State John Kerry", "House Speaker Paul Ryan") are a role
    # so is a capitalised role noun opening a sentence ("Economist Ravi Patel warned"); "of" alone is none
    titled = max((i for i, w in enumerate(run[:-1]) if _titled(run, i) or _is_role(w)), default=-1)
    rest = run[titled + 1 :]
    personal = not any(_org_word(w) for w in rest) and not rest[0].endswith(("’s", "'s"))
    if titled >= 0 and len(rest) >= 2 and personal:
        return MentionParts(" ".join(rest), " ".join(role_words + run[: titled + 1]), "person", True)
    owned = _owned_person(run)
    if owned is not None:
        return replace(owned, role=" ".join([*role_words, owned.role]))
    if any(_org_word(w) for w in run) or any(w.endswith(("’s", "'s")) for w in run[:-1]):
        return MentionParts(" ".join(run).replace("’", "'"), " ".join(role_words), "organisation", True)
    plural_party = head[:-1].lower() in {"republican", "democrat", "american", "conservative", "liberal", "russian"}
    if len(run) == 1 and head.endswith("s") and plural_party:
        return MentionParts(head, " ".join(role_words), "group", True)
    # move leading titles and capitalised modifiers before the last title into the role
    last_title = -1
    for i, w in enumerate(run[:-1]):
        if _core(w) in titles():
            last_title = i
    role_words += run[: last_title + 1]
    run = run[last_title + 1 :]
    name = " ".join(run)
    if name.lower() in countries():
        return MentionParts(countries()[name.lower()], " ".join(role_words), "organisation", True)
    return MentionParts(name, " ".join(role_words), "person", True)


# An acronym ("RNC", "F.A.A."), a word with a capital inside it that no surname prefix explains ("BuzzFeed",
# "WikiLeaks", not "McCain", "DeSantis" or "O'Brien"), or a web address ("Factcheck.org").
_ACRONYM = re.compile(r"(?:[A-Z]\.){2,}|[A-Z]{2,6}")
_INNER_CAPITAL = re.compile(r"[a-z][A-Z]|[A-Z]{2}[a-z]")
_SURNAME_PREFIX = re.compile(r"(?:Mc|Mac|O['’]|De|Des|Di|Da|Du|El|Fitz|La|Le|Van|Vande|Vander|Von|St|Ter|Ten)[A-Z]")
_ADDRESS = re.compile(r"[\w\-]+\.(?:com|org|net|gov|edu)", re.IGNORECASE)


def org_shaped(word: str) -> bool:
    """Return whether one capitalised word is written as an organisation's name is, never as a person's."""
    if _ACRONYM.fullmatch(word) or _ADDRESS.fullmatch(word):
        return True
    return bool(_INNER_CAPITAL.search(word)) and not _SURNAME_PREFIX.match(word) and "-" not in word


AGENT_ENDINGS = ("er", "or", "ist", "ian", "ant", "ent", "man", "woman", "ar")  # Recorder, Assessor, Registrar


def _owned_person(run: list[str]) -> MentionParts | None:
    """Return the person named after an owner or employer ("MSNBC’s Chris Matthews", "Fox News Sean Hannity",
    "Justice Department Inspector General Michael Horowitz"), with the owner in the role; None if no person follows."""
    owner = ("’s", "'s", "’", "'")  # "MSNBC’s", "Reuters’", "Reuters'"
    cut = max((i + 1 for i, w in enumerate(run[:-2]) if w.endswith(owner) or _org_word(w)), default=0)
    if cut == 0:
        return None
    rest = _analyse(" ".join(run[cut:]))
    words = rest.name.split()
    # a known first name or a title must open what follows: "Goldman Sachs Group" is no one
    titled = any(_core(w) != "of" and (_core(w) in titles() or _is_role(w)) for w in rest.role.split())
    if rest.kind != "person" or len(words) < 2:
        return None
    if not (titled or words[0] in given_names()):
        # an office the title words miss ("Maricopa County Recorder Helen Purcell"): an agent noun, then a given
        # name that leaves a name's length after it, opens the person ("Bank of America Merrill Lynch" is no one)
        opens = next((i for i, w in enumerate(words[1:-1], 1) if w in given_names() and _core_words(words[i:]) <= 3), 0)
        if not opens or not all(w.lower().endswith(AGENT_ENDINGS) for w in words[:opens]):
            return None
        role = " ".join([*run[:cut], rest.role, *words[:opens]])
        return MentionParts(" ".join(words[opens:]), " ".join(role.split()), "person", True)
    return MentionParts(rest.name, " ".join([*run[:cut], rest.role]).strip(), "person", True)


def surname(name: str) -> str:
    """Return the surname of a name, lower-cased, past an Arabic article ("Harry B. Harris Jr." -> "harris", "Bashar
    al-Assad" -> "assad")."""
    return re.sub(r"^(?:al|el)-", "", _core(family_name(name)))


SENTENCE_VERBS = {"said", "says", "added", "asked", "told", "wrote", "according", "when", "while", "but", "and"}
# a middle initial may stand before any later word: "FBI Director James B. Comey", "Vice President Joseph R. Biden Jr.";
# the whole capitalised run is read at once, long titles included ("Senate Minority Leader Harry M. Reid"), so a
# name is never cut from its title by where a match happened to stop
# letters past ASCII ("Zoë Lofgren", "José Díaz-Balart"); a given name with a capital inside is more often a brand's
# ("BlueGreen Alliance", "YouGov") than a person's ("LeBron James"), so it opens none
UPPER = "A-ZÀ-ÖØ-ÞĀĂĄĆĈĊČĎĐĒĔĖĘĚĜĞĠĢĤĦĨĪĬĮİĴĶĹĻĽĿŁŃŅŇŊŌŎŐŒŔŖŘŚŜŞŠŢŤŦŨŪŬŮŰŲŴŶŸŹŻŽ"
LOWER = "a-zß-öø-ÿāăąćĉċčďđēĕėęěĝğġģĥħĩīĭįıĵķĺļľŀłńņňŋōŏőœŕŗřśŝşšţťŧũūŭůűųŵŷźżž"
_PARTICLE_RUN = rf"(?:(?:{'|'.join(sorted(PARTICLES))})[ \t]+){{0,2}}"  # "Ursula von der Leyen", "Lula da Silva"
_NAME_WORD = rf"{_ARTICLE_PREFIX}[{UPPER}][{UPPER}{LOWER}’'\-]*[{UPPER}{LOWER}]"
_FULL_NAME = re.compile(
    rf"(?<![\w’'])[{UPPER}][{LOWER}]+(?:[ \t]+{_PARTICLE_RUN}(?:[A-Z]\.[ \t]+)?{_NAME_WORD})+(?!\w)"
)
_INITIAL = re.compile(r"[A-Z]\.(?:[A-Z]\.)?$")
PLACE_HEADS = {"lake", "mount", "fort", "port", "cape", "gulf"}  # "Lake Erie", "Fort Hood": a place, not a person
MAX_NAME_WORDS = 4  # words of a person's name past initials, particles and suffixes ("Jorge Antonio Villasenor Llamas")


def full_names(text: str) -> list[str]:
    """Return capitalised multi-word names in a text, with leading titles stripped."""
    return [name for _, name in person_names(text)]


def person_names(text: str) -> Iterator[tuple[int, str]]:
    """Yield (offset, name) for each capitalised multi-word person name in a text, its titles stripped."""
    for m in _FULL_NAME.finditer(text):
        words = m.group().split()
        if words[0].lower() in SENTENCE_VERBS:
            words = words[1:]  # "Said Ellis: …" opens with the verb
        parts = analyse(" ".join(words))
        name = _shortest(parts.name) if parts.kind == "person" else ""
        if name.endswith((" Jr", " Sr")) and text.startswith(".", m.end()):
            name += "."  # the pattern's word boundary stops before the abbreviation's dot
        elif text.startswith(".", m.end()) and words[-1].lower() in titles() & abbreviations():
            continue  # "Texas Sen. Ted Cruz", "During Mr. Clinton's": the run stops at an abbreviated title
        if len(name.split()) >= 2 and not name.endswith(("’s", "'s")) and name.split()[0].lower() not in PLACE_HEADS:
            if _placed_by_particle(name):
                continue  # "Rio de Janeiro", "Marina del Rey", "Tour de France"
            yield m.start(), name


# first words of places and events that a particle continues ("Rio de Janeiro", "Costa del Sol", "Cinco de Mayo")
PARTICLE_PLACES = {"rio", "costa", "marina", "place", "tour", "cinco", "casa", "puerto", "porto", "san", "santa",
                   "los", "las", "playa", "isla", "sierra", "villa", "plaza", "mar", "port", "saint"}  # fmt: skip
ROMANCE_PARTICLES = {"de", "da", "del", "la", "le", "du", "di"}  # the ones places share; "bin" and "von" name people


def _placed_by_particle(name: str) -> bool:
    """Return whether a name holding a lower-case particle is a place's or an event's: it opens with a place word,
    or with no given name ("Correio de Manha"); "Ursula von der Leyen" and "Bill de Blasio" are people."""
    words = name.split()
    if not any(w in ROMANCE_PARTICLES for w in words[1:-1]):
        return False
    return words[0].lower() in PARTICLE_PLACES or words[0] not in given_names()


def _shortest(name: str) -> str:
    """Return a person's name from a run whose title the role words missed: "United Auto Workers Secretary-Treasurer
    Gary Casteel" is Gary Casteel (the last given name opens it), else its last two words."""
    words = name.split()
    if _core_words(words) <= MAX_NAME_WORDS:
        return name
    known = given_names()
    # the given name must leave a name's length after it: "North Dakota RNC Committeeman Curly Haugland" is not
    # opened by "Dakota"
    opens = max((i for i, w in enumerate(words[:-1]) if w in known and _core_words(words[i:]) <= 3), default=-1)
    return " ".join(words[opens:]) if opens > 0 else " ".join(words[-2:])


def _core_words(words: list[str]) -> int:
    """Return how many words of a name are neither initials, suffixes nor particles."""
    return sum(1 for w in words if not _INITIAL.match(w) and _core(w) not in SUFFIXES and w.lower() not in PARTICLES)
