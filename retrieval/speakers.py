"""The corpus-wide speaker index: read what people type ("kirby", "the FBI director", "the White House") as speakers."""

from __future__ import annotations

import difflib
import re
import threading
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from retrieval.errors import StoreUnavailableError
from retrieval.identity.corrections import apply as apply_corrections
from retrieval.identity.groups import PARTY_NAMES
from retrieval.identity.keys import DETERMINERS, SUFFIXES, family_name, fold, person_key, role_named
from retrieval.identity.lexicon import metonyms
from retrieval.identity.roles import RANKS
from retrieval.models import Speaker, Statement, slugify
from retrieval.quotes.gender import first_names, given_names
from retrieval.quotes.speakers import SENTENCE_OPENERS
from retrieval.store import Store

_CACHE_SECONDS = 10.0
FUZZY_CUTOFF = 0.85  # near spellings of a typed name ("Kirbey"); never used to merge entities ("Lauer" != "Laura")


ABBREVIATIONS = {"sen": "senator", "rep": "representative", "gov": "governor", "gen": "general", "pres": "president",
                 "sec": "secretary", "atty": "attorney", "lt": "lieutenant", "col": "colonel", "adm": "admiral",
                 "spokeswoman": "spokesperson", "spokesman": "spokesperson"}  # fmt: skip


def role_key(text: str) -> str:
    """Return a role or organisation phrase as comparable words (determiners, possessives, abbreviations read)."""
    text = unicodedata.normalize("NFKD", text.replace("’", "'")).encode("ascii", "ignore").decode("ascii").lower()
    text = re.sub(r"['’]s\b", "", text)
    words = re.findall(r"[a-z0-9]+", text)
    return " ".join(ABBREVIATIONS.get(w, w) for w in words if w not in DETERMINERS)


@dataclass(frozen=True)
class Lookup:
    """What a typed speaker means: one entity, several to choose from, or nothing; with spokespeople of an org."""

    found: tuple[Speaker, ...] = ()
    via: str = ""  # "name", "role", "stands for" (a metonym: "the Kremlin"), "near"
    spokespeople: tuple[Speaker, ...] = ()  # people speaking for the organisation found
    same: tuple[Speaker, ...] = ()  # the person found, as articles naming them by surname alone stored them

    def ids(self) -> tuple[str, ...]:
        """Return the ids of every entity found, with their surname-only twins."""
        return tuple(dict.fromkeys([*(sp.id for sp in self.found), *(sp.id for sp in self.same)]))

    @property
    def one(self) -> Speaker | None:
        """Return the single entity meant, or None when none or several fit."""
        return self.found[0] if len(self.found) == 1 else None


def _strip_determiner(text: str) -> str:
    words = text.split()
    return " ".join(words[1:] if len(words) > 1 and words[0].lower() in DETERMINERS else words)


def _fuzzy(key: str, by_length: dict[int, list[str]], n: int, cutoff: float) -> list[str]:
    """Return difflib's close matches of `key`, comparing only keys whose length lets them reach `cutoff`."""
    # ratio = 2*matches/(len(a)+len(b)) <= 2*min/(sum): keys outside these lengths can never reach the cutoff
    size = len(key)
    low, high = int(size * cutoff / (2 - cutoff)), int(size * (2 - cutoff) / cutoff) + 1
    pool = [k for length in range(low, high + 1) for k in by_length.get(length, ())]
    return difflib.get_close_matches(key, pool, n=n, cutoff=cutoff)


class SpeakerIndex:
    """Looks speakers up by name, alias, role, organisation or a near spelling; cached briefly from the store.

    The cache is loaded from the store on the first lookup and after `invalidate()` (so a process reads its own
    ingests at once). Otherwise a lookup never waits for the store: every `_CACHE_SECONDS` one lookup starts a
    background check (a count; a full reload when it changed, or every `6 * _CACHE_SECONDS` for edits that keep the
    count) and lookups keep answering from the previous index until the new one is built. Name, role and affiliation
    lookups are dictionary reads; a near spelling compares only the keys whose length can match.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._speakers: list[Speaker] = []
        self._keys: dict[str, list[Speaker]] = {}
        self._by_length: dict[int, list[str]] = {}
        self._roles: dict[str, list[tuple[Speaker, tuple[str, ...], bool]]] = {}
        self._members: dict[str, list[Speaker]] = {}
        self._rank: dict[str, int] = {}
        self._twins: dict[str, list[Speaker]] = {}
        self._twin_of: dict[str, Speaker] = {}
        self._loaded_at = -1e9
        self._checked_at = -1e9
        self._count = -1
        self._stale = True
        self._refreshing = False
        self._guard = threading.Lock()

    def all(self) -> list[Speaker]:
        """Return every speaker, most statements first."""
        self._refresh()
        return self._speakers

    def resolve(self, name: str) -> Speaker | None:
        """Return the speaker a typed name means, or None when it is unknown or ambiguous."""
        return self.lookup(name).one

    def candidates(self, name: str) -> list[Speaker]:
        """Return speakers a name, role or organisation could mean, best first."""
        return list(self.lookup(name).found)

    def lookup(self, typed: str) -> Lookup:
        """Read a typed speaker: a name or alias, else a role ("the FBI director"), else a near spelling."""
        self._refresh()
        key = fold(typed)
        if not role_key(typed):
            return Lookup()
        exact = self._keys.get(key, []) if key else []  # "the senator" folds to nothing: a title, read as a role
        if not exact and key:
            # "Bill Clinton" typed, only "William J. Clinton" written: the entity id keys the formal given name
            exact = self._keys.get(fold(person_key(key)), [])
        if exact:
            found = self._joined(exact)
            spokes = self.spokespeople(found[0]) if len(found) == 1 and found[0].kind == "organisation" else ()
            return Lookup(found, "name", spokes, self._same(found))
        by_role = self._joined(self._by_role(role_key(typed)))
        if by_role:
            return Lookup(by_role, "role", (), self._same(by_role))
        speaking_for = self._affiliated(role_key(typed))
        if speaking_for:
            # an organisation that is never a speaker itself, answered through the people who speak for it
            org = Speaker(slugify(typed), _strip_determiner(typed), kind="organisation")
            return Lookup((org,), "organisation", tuple(speaking_for))
        for stands_for in metonyms().get(key, ()):
            meant = self._keys.get(fold(stands_for), [])
            if len(meant) == 1:
                # "the Kremlin" said nothing by that name: answer from the entity it stands for, and say so
                spokes = self.spokespeople(meant[0]) if meant[0].kind == "organisation" else ()
                return Lookup((meant[0],), "stands for", spokes)
        # near spellings of what was typed ("Kirbey"); several fits are asked back, never chosen between
        fuzzy = _fuzzy(key, self._by_length, 3, FUZZY_CUTOFF)
        near = self._joined([sp for match in fuzzy for sp in self._keys[match]])
        return Lookup(near, "near", (), self._same(near))

    def _joined(self, found: Sequence[Speaker]) -> tuple[Speaker, ...]:
        """Return entities once each, a surname-only one as the person it is read as ("Obama" and Barack Obama are
        one person), in the order found."""
        twin_of = self._twin_of
        return tuple({(m := twin_of.get(sp.id, sp)).id: m for sp in found}.values())

    def _same(self, found: Sequence[Speaker]) -> tuple[Speaker, ...]:
        """Return the surname-only twins of the entities found."""
        twins = self._twins
        return tuple(t for sp in found for t in twins.get(sp.id, ()))

    def twins(self, speaker_id: str) -> tuple[Speaker, ...]:
        """Return the surname-only entities that are this person (statements of articles that never gave a full
        name)."""
        self._refresh()
        return tuple(self._twins.get(speaker_id, ()))

    def statement_count(self, sp: Speaker) -> int:
        """Return how many statements a speaker has, with those of their surname-only twins."""
        return sp.statement_count + sum(t.statement_count for t in self.twins(sp.id))

    def joined(self, speaker_id: str) -> Speaker | None:
        """Return the person a surname-only entity is read as, or None when it is no one's twin."""
        self._refresh()
        return self._twin_of.get(speaker_id)

    def spokespeople(self, org: Speaker) -> tuple[Speaker, ...]:
        """Return the people whose roles say they speak or work for an organisation."""
        members = self._members
        found = {sp.id: sp for n in (org.name, *org.aliases) for sp in members.get(role_key(n), ())}
        return tuple(sorted(found.values(), key=lambda sp: self._rank.get(sp.id, 0)))

    def _affiliated(self, wanted: str) -> list[Speaker]:
        """Return the people whose affiliations name an organisation exactly."""
        return list(self._members.get(wanted, ()))

    def _by_role(self, wanted: str) -> list[Speaker]:
        """Return people whose role holds every word of a role phrase, ending with its head noun."""
        words = wanted.split()
        if not words:
            return []
        exact: list[Speaker] = []
        loose: list[Speaker] = []
        unnamed: list[Speaker] = []
        seen: set[str] = set()
        # only the roles ending in the phrase's head noun, in index order (each speaker judged by its first such role)
        for sp, got, scoped in self._roles.get(words[-1], ()):
            if (set(got) & _OTHER_ROLE) - set(words):
                continue  # "the chancellor" is not the shadow chancellor, "the president" no former or vice one
            if sp.id not in seen and set(words) <= set(got):
                seen.add(sp.id)
                (unnamed if scoped else exact if list(got) == words else loose).append(sp)
        return exact + loose + unnamed

    def suggest(self, name: str, n: int = 3) -> list[Speaker]:
        """Return up to `n` known speakers whose names look most like `name`."""
        self._refresh()
        key = fold(name)
        matches = _fuzzy(key, self._by_length, n * 3, 0.5)
        out: dict[str, Speaker] = {}
        for match in matches:
            for sp in self._keys[match]:
                out.setdefault(sp.id, sp)
        return list(out.values())[:n]

    def canonicalize(
        self, statements: Sequence[Statement], speakers: Sequence[Speaker]
    ) -> tuple[list[Statement], list[Speaker]]:
        """Return an article's statements and speakers with the newsroom's stored corrections applied.

        Nothing else from the index is used: merging a bare "Kirby" into whichever "John Kirby" the index held
        already made the result depend on ingest order, so a surname resolves only through its own article when
        stored. Lookups join it to the one John Kirby of the whole index when read (`twins`).
        """
        # Read on every call (one small query): a correction made by another worker must apply to this ingest too,
        # and a per-process cache would miss it until this process ingested something.
        return apply_corrections(self.store.list_corrections(), statements, speakers)

    def invalidate(self) -> None:
        """Forget the cache so the next lookup reads the store."""
        self._stale = True

    def _refresh(self) -> None:
        """Load the index if it was never loaded or was invalidated; else start a background check when due."""
        if self._stale:
            with self._guard:
                if self._stale:
                    self._stale = False
                    self._reload()
            return
        now = time.monotonic()
        if now - self._checked_at < _CACHE_SECONDS:
            return
        with self._guard:
            if self._refreshing:
                return
            self._refreshing, self._checked_at = True, now
        threading.Thread(target=self._check, name="speaker-index-refresh", daemon=True).start()

    def _check(self) -> None:
        """Reload when the store's speaker count changed or the index is old (runs beside the requests)."""
        try:
            count = self.store.counts().speakers
            if count != self._count or time.monotonic() - self._loaded_at >= 6 * _CACHE_SECONDS:
                self._reload()
        except StoreUnavailableError:
            pass  # an unreachable store keeps the previous index; the next check retries
        finally:
            self._refreshing = False

    def _reload(self) -> None:
        """Read every speaker and build the lookup tables, then swap them in at once."""
        started = time.monotonic()
        count = self.store.counts().speakers
        speakers = self.store.list_speakers()
        keys: dict[str, list[Speaker]] = {}
        roles: dict[str, list[tuple[Speaker, tuple[str, ...], bool]]] = {}
        members: dict[str, list[Speaker]] = {}
        for sp in speakers:
            scoped = "--" in sp.id
            for role in (*sp.roles, *((sp.name,) if scoped else ())):
                got = tuple(role_key(role).split())
                if got:
                    roles.setdefault(got[-1], []).append((sp, got, scoped))
            if sp.kind == "person":
                # a party member does not speak for the party: "what did the Republican Party say?" is not every
                # Republican's words
                for aff in dict.fromkeys(role_key(a) for a in sp.affiliations if a not in PARTY_NAMES.values()):
                    members.setdefault(aff, []).append(sp)
            if scoped:
                continue  # an article's own common-noun entity ("officials" there): found by role, not by name
            full = {sp.name, *sp.aliases, sp.id.replace("-", " ")}
            words = fold(sp.name).split()
            for n in full:
                k = fold(n)
                if k and sp not in keys.setdefault(k, []):
                    keys[k].append(sp)
            if sp.kind == "person" and len(words) > 1 and not role_named(sp.name):
                for last in dict.fromkeys((fold(family_name(sp.name)), surname_key(sp.name))):
                    if last and sp not in keys.setdefault(last, []):
                        keys[last].append(sp)  # the surname alone, "al-Assad" and "Assad"
        for group in keys.values():
            group.sort(key=lambda s: -s.statement_count)
        twins = surname_twins(speakers)
        by_length: dict[int, list[str]] = {}
        for k in keys:
            by_length.setdefault(len(k), []).append(k)
        rank = {sp.id: i for i, sp in enumerate(speakers)}
        # one assignment per table, tables first: a lookup running meanwhile sees the old or the new entries
        by_id = {sp.id: sp for sp in speakers}
        # twins first: a lookup that reads the new keys already folds the new surname-only entities
        self._twins, self._twin_of = twins, {t.id: by_id[main] for main, ts in twins.items() for t in ts}
        self._keys, self._by_length, self._roles, self._members, self._rank = keys, by_length, roles, members, rank
        self._speakers, self._count, self._loaded_at = speakers, count, started


_OTHER_ROLE = RANKS | {"former", "vice"}


def surname_twins(speakers: Sequence[Speaker]) -> dict[str, list[Speaker]]:
    """Return, by person id, the one-word person entities that are that person under their surname alone.

    An article that writes only "President Obama" stores an "Obama"; identity stays per article (the same corpus
    gives the same entities in any ingest order), so the two are joined when read: the surname is that of exactly
    one person with a full name, or of exactly one who shares a role with the surname-only entity ("President"
    Obama, not the first lady). The same person written with a suffix joins too (`suffix_twins`).
    """
    given, first = given_names(), first_names()
    out = suffix_twins(speakers)
    full: dict[str, list[Speaker]] = {}
    for sp in speakers:
        words = sp.name.split()
        # a person's full name opens with a given name ("New Hampshire Democrat" is no one's)
        named = len(words) > 1 and words[0] in given and not role_named(sp.name)
        if sp.kind == "person" and "--" not in sp.id and named:
            full.setdefault(surname_key(sp.name), []).append(sp)
    for main, ts in misspelt_twins(full).items():
        out.setdefault(main, []).extend(ts)
    # "Biden" is Joe Biden's: his suffixed or misspelt name is no second owner of the surname
    joined = {t.id for ts in out.values() for t in ts}
    full = {k: [sp for sp in v if sp.id not in joined] for k, v in full.items()}
    for sp in speakers:
        words = sp.name.split()
        if sp.kind != "person" or "--" in sp.id or role_named(sp.name):
            continue
        # a surname alone: one word, or a compound surname ("Wasserman Schultz") that opens with no given name
        if not (len(words) == 1 or (words[0] not in given and words[0].lower() not in SENTENCE_OPENERS)):
            continue
        if sp.name.capitalize() in first or sp.name.lower() in SENTENCE_OPENERS:
            continue  # "John" alone (a speaker's first name in PolNeAR) is no surname, "From" a misread sentence
        owners = [
            o for o in full.get(surname_key(sp.name), []) if _unsuffixed(o.name).endswith(" " + _unarticled(sp.name))
        ]
        if len(owners) > 1:
            roles = {role_key(r) for r in sp.roles} - {""}
            owners = [o for o in owners if roles & {role_key(r) for r in o.roles}]
        if len(owners) == 1:
            out.setdefault(owners[0].id, []).append(sp)
    return out


_ARTICLE = re.compile(r"^(?:al|el) ")


def surname_key(name: str) -> str:
    """Return a name's surname folded, past an Arabic article: "Bashar al-Assad" and "Assad" share "assad"."""
    return _ARTICLE.sub("", fold(family_name(name)))


def _unarticled(name: str) -> str:
    """Return a name folded without an opening Arabic article ("al-Assad" -> "assad")."""
    return _ARTICLE.sub("", fold(name))


def _unsuffixed(name: str) -> str:
    """Return a name folded without its generational suffix ("walter p dunmore" of "Walter P. Dunmore Jr.")."""
    return fold(" ".join(w for w in name.split() if w.strip(".,").lower() not in SUFFIXES))


def suffix_twins(speakers: Sequence[Speaker]) -> dict[str, list[Speaker]]:
    """Return, by person id, the entities that are that person written with a generational suffix.

    "Joseph R. Biden Jr." (one paper's style) and "Joe Biden" are one vice president: the suffixed entity joins the
    one without when the two share a role. A son shares none with his father ("Donald Trump Jr." stays his own).
    """
    by_id = {sp.id: sp for sp in speakers if sp.kind == "person" and "--" not in sp.id}
    out: dict[str, list[Speaker]] = {}
    for sp in by_id.values():
        words = sp.name.split()
        if len(words) < 3 or words[-1].strip(".").lower() not in SUFFIXES:
            continue
        base = by_id.get(sp.id.rsplit("-", 1)[0])
        if base is None or role_named(base.name):
            continue
        if _share_role(sp, base):
            out.setdefault(base.id, []).append(sp)
    return out


def misspelt_twins(full: dict[str, list[Speaker]]) -> dict[str, list[Speaker]]:
    """Return, by person id, the people of the same surname whose given name is theirs misspelt by one letter.

    `full` holds the people whose name opens with a given name, by surname. "Hilary Clinton" (6 statements) is
    Hillary Clinton (598): both given names have five letters or more, and the main spelling is quoted ten times as
    often or the two share a role, so two real people ("Brian" and "Bryan Smith") are not joined on a typo's evidence
    alone. The best-quoted spellings are read first, and one joined to another is nobody's main spelling in turn.
    """
    out: dict[str, list[Speaker]] = {}
    joined: set[str] = set()
    for people in full.values():
        for sp in sorted(people, key=lambda p: p.statement_count, reverse=True):
            mine = sp.name.split()[0]
            mains = [
                o
                for o in people
                if o.statement_count > sp.statement_count
                and o.id not in joined
                and (o.statement_count >= MISSPELT_RATIO * max(1, sp.statement_count) or _share_role(o, sp))
                and min(len(mine), len(o.name.split()[0])) >= 5
                and _one_edit(mine.lower(), o.name.split()[0].lower())
            ]
            if len(mains) == 1:
                out.setdefault(mains[0].id, []).append(sp)
                joined.add(sp.id)
    return out


MISSPELT_RATIO = 10


def _share_role(a: Speaker, b: Speaker) -> bool:
    """Return whether two speakers share a role ("Vice President")."""
    return bool(({role_key(r) for r in a.roles} - {""}) & {role_key(r) for r in b.roles})


def _one_edit(a: str, b: str) -> bool:
    """Return whether two different words are one letter inserted, dropped or changed apart."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = sorted((a, b), key=len)
    i = next((k for k, (x, y) in enumerate(zip(short, long, strict=False)) if x != y), len(short))
    return short[i:] == long[i + 1 :]
