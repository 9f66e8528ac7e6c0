"""Speaker resolution in an article: pronouns, aliases ("Mr Putin" -> "Vladimir Putin"), roles, kinds."""

from __future__ import annotations

import bisect
import itertools
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache, partial

from retrieval.citing import END_MARKS, abbreviations, is_abbreviation, sentence_end
from retrieval.identity import entity_id, noun_kind
from retrieval.identity.groups import parties_in, party_named
from retrieval.identity.keys import DETERMINERS, PARTICLES, family_name, opens_with_particle, role_named
from retrieval.identity.roles import RANKS, affiliations
from retrieval.models import Speaker, SpeakerKind, Statement
from retrieval.quotes import epithets, gender
from retrieval.quotes.epithets import Description
from retrieval.quotes.labels import NOT_SPEAKERS, label_at
from retrieval.quotes.marks import Paragraph, find_quotes, headline_end, normalize_marks, split_paragraphs
from retrieval.quotes.mentions import TIME_WORDS
from retrieval.quotes.names import (
    GROUP_PRONOUNS,
    LOWER,
    PERSON_PRONOUNS,
    PRONOUNS,
    UPPER,
    analyse,
    full_names,
    org_shaped,
    person_names,
    surname,
)
from retrieval.quotes.spans import Attribution
from retrieval.wordlists import countries, female_honorifics, gendered_honorifics, honorifics, org_words, titles


@dataclass(frozen=True)
class Resolved:
    """The speaker an attribution resolves to."""

    name: str | None
    kind: SpeakerKind | None
    mention: tuple[int, int] | None
    scoped: bool = False  # a common-noun entity ("the report", "officials"): it belongs to its article only
    writer: bool = False  # the article's writer's own "I": no one the article quotes


# two capitalised words in a row, every such pair of a headline (overlapping)
_HEADLINE_PAIR = re.compile(
    rf"(?<![\w’'])(?=([{UPPER}][{LOWER}]+) ([{UPPER}][{UPPER}{LOWER}’'\-]*[{UPPER}{LOWER}])(?!\w))"
)


class NameIndex:
    """Full names seen in an article, for expanding "Putin" / "Mr Putin" to "Vladimir Putin"."""

    def __init__(self, text: str) -> None:
        """Collect multi-word person names from the article text (a headline's words are not names)."""
        self.text = text
        self.headline_end = headline_end(text)
        body = text[self.headline_end :]
        self.lower_words = set(re.findall(r"\b[a-z][a-z\-]+\b", text)) - PARTICLES
        names = [n for n in (self.clean(n) for n in full_names(body)) if len(n.split()) >= 2 and not self._phrase(n)]
        self.counts: Counter[str] = Counter(names)
        # the headline's names only complete surnames the body writes alone, after every name the body writes
        headlined = self._headline_names(text[: self.headline_end], body)
        self.counts.update(headlined)
        names += headlined
        self.first_seen: dict[str, int] = {}
        for i, n in enumerate(names):
            self.first_seen.setdefault(n, i)
        self.honorific_sex = gender.honorific_sexes(text, self.counts)
        self.mixed = {w.lower() for w in gender.mixed_surnames(text)}  # husband and wife: "Mr. Khan", "Mrs. Khan"
        self._sex: dict[str, int] = {}
        self._owners: dict[str, list[str]] | None = None
        self._quotations: list[tuple[int, int]] | None = None
        self._paragraphs: list[Paragraph] = []
        self._starts: list[int] = []
        self._interview = False

    def narrates(self, at: int) -> bool:
        """Return whether an "I" at `at` is the writer's: outside every quotation, in a paragraph no speaker label
        opens (an interview's "A: I think ..." is the interviewee's), not introduced by "... wrote:"."""
        return self.first_person(at) and self.introduced(at) is None

    def introduced(self, at: int) -> Paragraph | None:
        """Return the "... wrote:" paragraph that introduces the paragraph holding `at`, up to the next quotation
        mark back, or None (ask `first_person` first)."""
        i = bisect.bisect_right(self._starts, at) - 1
        for p in reversed(self._paragraphs[max(0, i - INTRODUCED_REACH) : max(0, i)]):
            before = self.text[p.start : p.end].rstrip()
            if before.endswith(":"):
                return p
            if any(mark in before for mark in '"“”'):
                break
        return None

    def _read_paragraphs(self) -> list[tuple[int, int]]:
        """Read the article's paragraphs, quotations and whether it is an interview, once (`first_person`, `asks`);
        return the quotations' spans."""
        if self._quotations is not None:
            return self._quotations
        self._paragraphs = split_paragraphs(self.text)
        self._starts = [p.start for p in self._paragraphs]
        self._quotations = [(q.open_mark, q.close_mark if q.close_mark is not None else q.end)
                            for q in find_quotes(self.text, self._paragraphs)]  # fmt: skip
        # an interview (several questions, each answered by the next paragraph) answers in the interviewee's "I",
        # quotation or not; a column's run of rhetorical questions is answered once
        asked = [self.text[p.start : p.end].rstrip().endswith("?") for p in self._paragraphs]
        answered = sum(q and not a for q, a in itertools.pairwise(asked))
        self._interview = answered >= INTERVIEW_QUESTIONS
        return self._quotations

    def asks(self, at: int) -> bool:
        """Return whether `at` lies in an interview's question: a paragraph labelled "Q:" or ending in "?"."""
        self._read_paragraphs()
        i = bisect.bisect_right(self._starts, at) - 1
        if i < 0:
            return False
        p = self._paragraphs[i]
        return (label_at(self.text, p.start) or "").upper() == "Q" or self.text[p.start : p.end].rstrip().endswith("?")

    def first_person(self, at: int) -> bool:
        """Return whether an "I" at `at` is outside every quotation, interview answer and labelled paragraph."""
        quotations = self._read_paragraphs()
        if self._interview or any(lo <= at < hi for lo, hi in quotations):
            return False
        i = bisect.bisect_right(self._starts, at) - 1
        if i < 0:
            return True
        label = label_at(self.text, self._paragraphs[i].start)
        # "A: I think ...", "PENCE: I ..." are the speaker's (an "Update: I ..." note is the writer's)
        return label is None or (label.lower() not in {"q", "a"} and label.lower() in NOT_SPEAKERS)

    def _headline_names(self, headline: str, body: str) -> list[str]:
        """Return the full names a title-case headline gives surnames its body writes alone: "Hillary Clinton Goes
        After …" names the body's "Clinton". The surname must be a word the body capitalises, never writes in lower
        case and gives no full name; the given name one no lower-case word of the article ("Will Clinton Win?"),
        and, past the headline's first words, one PolNeAR speakers bear: a headline's verbs and adjectives ("Panel
        Will Grant Flynn Immunity", "Chides Rich Trump Donors") are Census given names too."""
        owned = {family_name(n) for n in self.counts}
        out = []
        for m in _HEADLINE_PAIR.finditer(headline):
            first, last = m.groups()
            known = gender.given_names() if m.start() == 0 else gender.first_names()
            if (
                first in known
                and first.lower() not in self.lower_words
                and last.lower() not in self.lower_words
                and last not in owned
                and re.search(rf"(?<!\w){re.escape(last)}(?!\w)", body)
            ):
                out.append(f"{first} {last}")
        return out

    def add(self, name: str) -> None:
        """Record a name found as a speaker."""
        if len(name.split()) >= 2:
            self.counts[name] += 3

    def expand(self, name: str, honorific: str = "") -> str:
        """Return the full name a surname means here ("Mrs." wants a woman, "Mr." a man), or the name itself."""
        words = name.split()
        if len(words) >= 2 and not opens_with_particle(name):
            return self.tail(name)
        last = surname(name)
        best = [
            n
            for n in self.counts
            if surname(n) == last and len(n.split()) >= 2 and not opens_with_particle(n) and n != name
        ]
        if honorific:
            # "Mrs. Trump" is not Donald Trump: keep only full names the article's pronouns agree with
            want = -1 if honorific in female_honorifics() else 1
            agree = [n for n in best if self.gender(n) * want > 0]
            # where "Mr. Khan" and "Mrs. Khan" are two people, a full name whose sex nothing tells may be either's
            best = agree or ([] if last in self.mixed else [n for n in best if self.gender(n) * want >= 0])
        if not best and len(words) == 1:
            # "Chris Anderson went ... Chris said": a lone given name that opens exactly one full name seen here is
            # that person; so is "Mr. Lou" for "Lou Jiwei", whose family name comes first. A surname match above
            # wins, and two full names sharing the word stay unresolved
            best = [n for n in self.counts if n.split()[0] == name and len(n.split()) >= 2]
            if honorific:  # "Ms. Warren" is not Warren Buffett
                best = [n for n in best if self.gender(n) * (-1 if honorific in female_honorifics() else 1) >= 0]
            best = best if len(best) == 1 else []
        if not best:
            # "Mrs. Trump" and, beside a "Mrs. Khan", "Mr. Khan" keep their honorific: the bare surname is read as
            # the one person of the index who bears it
            mixed = honorific and last in self.mixed
            return f"{honorific.capitalize()}. {name}" if honorific in female_honorifics() or mixed else name
        return max(best, key=lambda n: (self.counts[n], -self.first_seen.get(n, 0)))

    def owners(self, surname_word: str) -> list[str]:
        """Return the full names of the article whose last word is `surname_word` ("Sanders" -> ["Bernie Sanders"])."""
        if self._owners is None:
            self._owners = {}
            for n in self.counts:
                words = n.split()
                if len(words) >= 2 and not opens_with_particle(n):
                    self._owners.setdefault(family_name(n), []).append(n)
        return self._owners.get(surname_word, [])

    def tail(self, name: str) -> str:
        """Return the full name inside a longer run ("N.C. Donald Trump", "Struggling Donald Trump")."""
        words = name.split()
        for k in range(1, len(words) - 1):
            rest = " ".join(words[k:])
            if rest in self.counts:
                return rest
        return name

    def _phrase(self, name: str) -> bool:
        """Return whether a capitalised run is a title-case phrase ("Hillary Just Insulted The"), not a name: two of
        its later words are written in lower case elsewhere in the article."""
        return sum(w.lower() in self.lower_words for w in name.split()[1:]) >= 2

    def clean(self, name: str) -> str:
        """Drop leading words that are not a name: "Meanwhile Trump", "N.C. Donald Trump", "Derelict Obama"."""
        words = re.sub(r"['’]s$", "", name).split()
        while len(words) > 1 and (
            "." in words[0].rstrip(".")  # a dateline's state ("N.C.")
            or words[0].lower() in self.lower_words  # written in lower case elsewhere: a common word
            or words[0].lower() in SENTENCE_OPENERS  # "Meanwhile Trump ...", "Why Obama's pick ..." opening a sentence
            or words[0].lower() in PARTY_GROUPS  # "Democrats Hillary Clinton, Bernie Sanders and ..."
        ):
            words = words[1:]
        return " ".join(words)

    def gender(self, name: str) -> int:
        """Return +2 / -2 when a name is surely a man's / a woman's, +1 / -1 when only pronouns hint it, or 0.

        Sure: the article's honorifics ("Mrs. McCaskill"), or the first-name prior (a prior few articles support
        yields to the article's pronouns: "Terry"). A hint: the pronoun opening the sentences after the name's
        mentions (summed; the next "he" may be someone else's).
        """
        if name not in self._sex:
            self._sex[name] = self._gender(name)
        return self._sex[name]

    def _gender(self, name: str) -> int:
        """Return `gender(name)`, computed."""
        if role_named(name):
            role = name.split()[-1]
            # a role's holder ("Victor Pinchuk representative"): the owner's given name tells nothing, the role may
            # hint ("YouTube spokeswoman")
            return -1 if role.endswith("woman") else (1 if role.endswith("man") else 0)
        if name in self.honorific_sex:
            return 2 * self.honorific_sex[name]
        sex, support = gender.prior(name)
        if sex and support >= gender.SURE_SUPPORT:
            return 2 * sex
        score = 0
        for m in re.finditer(re.escape(name), self.text):
            window = self.text[m.end() : m.end() + 300]
            other = _other_name().search(window)  # past the next named person the pronoun may be theirs
            mine = window[: other.start() if other else None]
            # "She said" first; "Her husband" only when no "he"/"she" opens a sentence there
            found = _SUBJECT_PRONOUN.search(mine) or _POSSESSIVE_OPENER.search(mine)
            if found:
                score += 1 if found.group(1).lower() in ("he", "his") else -1
        # a prior from one article is a hint ("Patricia" was a man's there); from more, sure unless the article's own
        # pronouns say otherwise ("Terry"); a Census name, nearly all of whose bearers are of one sex, unless they say
        # so twice (the pronoun being resolved is among them: "Dena Minning said … He said …" is not her)
        if sex and -score * sex < (2 if gender.from_census(name) else 1):
            return 2 * sex if support >= gender.MIN_SUPPORT else sex
        return max(-1, min(1, score))

    def agrees(self, name: str | None, pronoun: str) -> bool:
        """Return whether "he" / "she" may stand for a name: its sex is not surely the other (any other pronoun may)."""
        return name is None or gender.SEXED_PRONOUNS.get(pronoun, 0) * self.gender(name) > -2

    def told_agrees(self, name: str, pronoun: str) -> bool:
        """Return whether the article's honorifics or the first-name prior (even a weak one) tell that a name is of
        the sex "he" / "she" wants, and the article's pronouns do not say otherwise."""
        want = gender.SEXED_PRONOUNS.get(pronoun, 0)
        told = self.honorific_sex.get(name) or gender.prior(name)[0]
        return want * told > 0 and want * self.gender(name) > 0


INTERVIEW_QUESTIONS = 3  # paragraphs ending in a question mark that make an article an interview
INTRODUCED_REACH = 5  # paragraphs a "... wrote:" introduces at most
# a dateline: a town, its state or date, a wire's name ("SELMA, N.C. —", "PHILADELPHIA, July 25 (UPI) —")
_DATELINE = re.compile(
    r"(?:,\s*[A-Z][\w.]*\.?(?:\s[A-Z\d][\w.]*\.?)?)?(?:\s*\([A-Z][\w .]{0,20}\))?"
    r"\s*[—–-]{1,2}\s*((?:[A-Z][\w'’\-]+\.?\s?){1,4})"
)


@lru_cache(maxsize=1)
def _other_name() -> re.Pattern[str]:
    """Return a pattern for the next named person in a text: a full name or an honorific and a name."""
    titled = "|".join(sorted(w.capitalize() for w in honorifics()))
    return re.compile(rf"\b[A-Z][a-z]+ [A-Z][a-z]+|\b(?:{titled})\.? [A-Z]")


def resolve(text: str, atts: list[Attribution]) -> list[Resolved]:
    """Resolve every attribution's speaker, in article order; a headline yields no speaker."""
    index = NameIndex(text)
    for a in atts:
        if a.mention and a.mention[0] >= index.headline_end:  # a headline's names do not define anyone
            parts = analyse(from_capitals(text[a.mention[0] : a.mention[1]], text))
            if parts.kind == "person" and parts.proper:
                index.add(parts.name)
    out: list[Resolved] = []
    for a in atts:
        out.append(_resolve_one(text, a, out, index))
    return out


def _resolve_one(text: str, a: Attribution, done: list[Resolved], index: NameIndex) -> Resolved:
    """Resolve one attribution given the speakers resolved before it."""
    if a.inherit or a.mention is None:
        # a floating quotation after the writer's "I" is the writer's too, not whoever was quoted before it
        prev = next((r for r in reversed(done) if r.name or r.writer), None)
        return prev if (a.inherit and prev is not None) else Resolved(None, None, None)
    mention = text[a.mention[0] : a.mention[1]]
    if a.mention[0] < index.headline_end:
        # a headline speaks through a person the story names in full ("Chris Christie Calls ..."); anything else
        # there is a fragment ("Understated Perez raises political profile", "Retired General Reveals ...")
        found = _name_of(text, mention, a.mention[0], index)
        if found.kind == "person" and not found.scoped and found.name in index.counts:
            return Resolved(found.name, "person", a.mention)
        return Resolved(None, None, a.mention)
    low = mention.strip().lower()
    if low == "i" and index.first_person(a.mention[0]):
        intro = index.introduced(a.mention[0])
        if intro is None:
            # the article's writer (a column, a memoir, a letter), never the last person quoted before the "I"
            return Resolved(None, None, a.mention, writer=True)
        return _introduced(text, intro, a, done, index)
    if low in PRONOUNS:
        if a.antecedent is not None:
            found = _name_of(text, text[a.antecedent[0] : a.antecedent[1]], a.antecedent[0], index)
            return Resolved(found.name, found.kind, a.mention, found.scoped)
        wanted: set[SpeakerKind] = (
            {"person"}
            if low in PERSON_PRONOUNS
            else ({"group", "organisation"} if low in GROUP_PRONOUNS else {"organisation"})
        )
        prev = next((r for r in reversed(done) if r.name and r.kind in wanted), None)
        topic = _topic(text, a, index, done, low) if low in gender.SEXED_PRONOUNS else None
        if topic is not None:
            # "Rubio disagreed. “…,” he said": the person the sentence before is about, not the last one quoted
            return replace(topic, mention=a.mention)
        if low in PERSON_PRONOUNS and (prev is None or not index.agrees(prev.name, low)):
            # "she" after a man's quote is the last woman named or speaking before it, not him
            person = _last_person(text, a, index, low, done)
            if person is not None:
                return replace(person, mention=a.mention)
            # nobody it can mean: no speaker rather than one the pronoun surely is not
            return Resolved(None, None, a.mention)
        if prev is None:
            return Resolved(None, None, a.mention)
        return Resolved(prev.name, prev.kind, a.mention, prev.scoped)
    found = _name_of(text, mention, a.mention[0], index)
    role = (found.name or "").split()[-1:]  # a scoped role's own word ("spokesman")
    if found.scoped and found.kind == "person" and role_named(found.name or "") and a.cue and a.cue[0] > a.mention[1]:
        # "A spokesman for YouTube said": whose role it is follows the mention, up to the cue
        owner = _role_owner(text[a.mention[1] : a.cue[0]], index)
        if owner:
            return Resolved(f"{owner} {role[0]}", "person", a.mention)
    possessive = mention.split()[0].lower() if mention.split() else ""
    owned = found.kind in ("organisation", "person") and possessive in OWNER_PRONOUNS
    if found.scoped and owned and role_named(found.name or ""):
        # "his campaign" is the campaign of the man "his" stands for, named as "the Trump campaign" is; "his chief
        # aide" is "Bernie Sanders’s aide"
        person = _last_person(text, a, index, OWNER_PRONOUNS[possessive], done)
        if person is not None and person.name:
            if found.kind == "organisation":
                return Resolved(f"{family_name(person.name)} {role[0]}", "organisation", a.mention)
            return Resolved(f"{person.name}’s {role[0]}", "person", a.mention)
    described = epithets.describe(mention) if found.scoped and found.kind == "person" else None
    if described is not None:
        # "the Florida senator" after "Marco Rubio ended his bid": news names a figure, then describes them
        named = _epithet(text, a, index, done, described)
        if named:
            return Resolved(named, "person", a.mention)
    earlier = _same_again(mention, found, a.mention[0], done, index) if found.scoped else None
    if earlier is not None:
        return replace(earlier, mention=a.mention)
    return Resolved(found.name, found.kind, a.mention, found.scoped)


GENERIC_ORGS = {"company", "firm", "corporation", "group", "organization", "organisation"}
COMPANIES = {"company", "firm", "corporation"}
# words of an organisation's name that say it is no company: "the company" after the Communications Workers of
# America quoted last is the employer it bargains with, not the union
NOT_COMPANIES = {"workers", "union", "association", "federation", "foundation", "institute", "university", "council",
                 "committee", "department", "agency", "party", "commission", "center", "centre", "society", "league",
                 "coalition", "campaign", "administration", "ministry", "office", "court", "police", "house",
                 "pentagon", "kremlin", "government", "congress", "senate", "parliament", "army", "navy",
                 "bureau", "service", "board", "authority", "assembly", "state", "city", "county"}  # fmt: skip
SAME_AGAIN_REACH = 1000  # characters back to the speaker a bare "the spokesperson" or "the company" goes on quoting


def _same_again(mention: str, found: Resolved, at: int, done: list[Resolved], index: NameIndex) -> Resolved | None:
    """Return the speaker a bare definite noun goes on quoting: "the spokesperson" after "A Google spokesperson
    said" is that spokesperson, "the company" after "Acme Corp. said" is Acme Corp. Only the last speaker before it
    counts, and only when the noun fits: a role the speaker is named by (no rank changing it), or a generic word for
    an organisation ("the company" never a government body, a union or an acronym)."""
    words = mention.lower().split()
    if len(words) != 2 or words[0] != "the" or not found.name:
        return None
    prev = next((r for r in reversed(done) if r.name and r.mention), None)
    if prev is None or prev.mention is None or at - prev.mention[1] > SAME_AGAIN_REACH:
        return None
    name = prev.name or ""
    if found.kind == "person" and prev.kind == "person" and role_named(name) and name.endswith(" " + words[1]):
        # the article's own "Google spokesperson"; an "acting director" is not "the director"
        return None if RANKS & {w.lower() for w in name.split()} else prev
    if found.kind != "organisation" or words[1] not in GENERIC_ORGS or prev.scoped or not name[:1].isupper():
        return None
    if words[1] in COMPANIES and (NOT_COMPANIES & {w.lower() for w in name.split()} or name.isupper()):
        return None  # "the company" after the Pentagon, the FBI or a union is someone else
    return prev if prev.kind == "organisation" else None


OWNER_PRONOUNS = {"his": "he", "her": "she"}


_FOR_OWNER = re.compile(r"\s+for\s+(?:the\s+)?([^,;:()]+?)[\s,]*$")
MAX_OWNER_WORDS = 6
OWNER_JOINERS = {"of", "and", "for", "on", "de", "la", "van", "von"}  # lower-case words inside one name


def _introduced(text: str, intro: Paragraph, a: Attribution, done: list[Resolved], index: NameIndex) -> Resolved:
    """Return who the "I" after "Alan Marsh wrote to supporters:" is: the one person named there, else no one."""
    named = [r for r in done if r.name and r.kind == "person" and r.mention and intro.start <= r.mention[0] < intro.end]
    if named:
        return replace(named[-1], mention=a.mention)
    lead = text[intro.start : intro.end]
    people = {index.expand(index.clean(n)) for _, n in person_names(lead)}
    # "Wallnau wrote:": a surname alone names the one full name of the article ending in it
    people |= {o[0] for m in _CAPITALISED.finditer(lead) if len(o := index.owners(m.group())) == 1}
    return Resolved(people.pop(), "person", a.mention) if len(people) == 1 else Resolved(None, None, a.mention)


def _role_owner(between: str, index: NameIndex) -> str | None:
    """Return the person or organisation a role is held for ("for Sen. Bernie Sanders", "for the Jupiter Police
    Department"), from the words between a role mention and its cue; None when they name no one proper."""
    m = _FOR_OWNER.match(between)
    words = m.group(1).split() if m else []
    if m is None or not words or len(words) > MAX_OWNER_WORDS:
        return None
    # a name, whole: "for YouTube on Monday", "for X in London" or "for Trump and Pence" name no one owner
    if any(w.lower() in TIME_WORDS or (w[:1].islower() and w not in OWNER_JOINERS) for w in words):
        return None
    parts = analyse(m.group(1))
    if not parts.proper or not parts.name[:1].isupper() or parts.name.split()[-1] != words[-1].rstrip(".,"):
        return None
    if parts.kind == "person" and "and" in words:
        return None
    if parts.kind == "person":
        full = index.expand(index.clean(parts.name))
        # "Carly Fiorina’s spokeswoman" speaks for no organisation; "YouTube" or "Platte River" (no given name) is one
        return f"{full}’s" if len(full.split()) >= 2 and full.split()[0] in gender.census_sexes() else full
    return parts.name if parts.kind == "organisation" else None


SENTENCE_OPENERS = {"meanwhile", "however", "still", "also", "later", "earlier", "then", "now", "instead", "yet",
                    "indeed", "moreover", "finally", "again", "even", "only", "so", "but", "and", "or", "as", "when",
                    "while", "after", "before", "since", "though", "although", "because", "if", "unless", "until",
                    "whether", "like", "unlike", "with", "without", "for", "from", "in", "on", "at", "by", "said",
                    "says", "asked", "told", "adding", "according", "why", "how", "what", "where", "who", "neither",
                    "nor", "either", "both", "despite", "during", "is", "are", "was", "does", "did", "can"}  # fmt: skip
INDEFINITE = {"a", "an", "another", "one"}  # "a spokesman" is nobody the article named with that role
PARTY_GROUPS = {"democrats", "republicans", "libertarians", "greens", "tories", "socialists"}
_ABBREVIATED = {"senator": "Sen", "governor": "Gov", "representative": "Rep", "congressman": "Rep", "general": "Gen"}
_NAME = r"((?:[A-Z][\w'’\-]+\.?\s+){0,2}[A-Z][\w'’\-]+)"
# a role's holder: initials and particles too ("Joseph R. Biden", "Bill de Blasio")
_HOLDER = rf"((?<![\w'’\-])(?:(?:[A-Z]\.|[A-Z][\w'’\-]*|{'|'.join(sorted(PARTICLES))})\s+){{0,3}}[A-Z][\w'’\-]+)"


_CAPITALS = re.compile(r"[A-Z][A-Z'’\-]+(?:[ \t]+[A-Z][A-Z.'’\-]*)*")


@lru_cache(maxsize=4)
def _surnames(text: str) -> frozenset[str]:
    """Return the surnames of an article's full names, read once per article (a transcript has many labels)."""
    return frozenset(family_name(n) for n in full_names(text) if len(n.split()) >= 2)


def from_capitals(mention: str, text: str) -> str:
    """Return a name written in capitals (a transcript's "JAKE TAPPER:", "PENCE:") as the article writes it elsewhere
    in title case ("Jake Tapper"; one word only as the surname of a full name there: "Pence" of "Mike Pence"), else,
    when it opens with a given name, in title case ("JOEL BENENSON" -> "Joel Benenson"). An acronym ("CNN", "NATO"
    beside "Nato members") and a word the article writes in lower case ("ROSE" beside "prices rose") stay as they are
    unless a full name ends in them."""
    if not _CAPITALS.fullmatch(mention):
        return mention
    words = mention.split()
    if len(words) == 1:
        return next((n for n in _surnames(text) if n.upper() == mention), mention)
    for m in re.finditer(rf"(?<![\w'’\-]){re.escape(mention)}(?![\w'’\-])", text, re.IGNORECASE):
        if all(w[:1].isupper() and not w.isupper() for w in m.group().split()):
            return m.group()
    if words[0].capitalize() in gender.given_names():
        return " ".join(w.capitalize() for w in words)
    return mention


def _name_of(text: str, mention: str, at: int, index: NameIndex) -> Resolved:
    """Return the entity a non-pronoun mention names: a person, organisation, group, document, or none."""
    end = at + len(mention)
    mention = re.split(r"\s[—–-]{1,2}\s", mention)[-1]  # "SELMA, N.C. — Donald Trump": a dateline is no name
    after = _DATELINE.match(text, at + len(mention)) if mention.isupper() else None
    if after:
        mention = after.group(1).strip()  # the parser took the dateline's town for the subject
    if re.fullmatch(r"[A-HJ-Z]\.?", mention.strip()):
        return Resolved(None, None, None)  # an interview's "Q:" or "A:", an initial: no one's name
    parts = analyse(from_capitals(mention, text))
    if parts.role.endswith(" of") or parts.role.endswith(" of the"):
        # "Representative Charles B. Rangel of New York": the place is not the person
        holder = analyse(re.sub(r"\s+of(?: the)?$", "", parts.role))
        if holder.kind == "person" and holder.proper and len(holder.name.split()) >= 2:
            parts = holder
    if parts.proper and parts.name.lower() in PARTY_GROUPS:
        return Resolved(parts.name, "group", None)  # "Democrats" is one group everywhere, "officials" is not
    name = index.clean(parts.name) if parts.proper and parts.kind == "person" else parts.name
    words = name.split()
    if not words:
        return Resolved(None, None, None)
    head = words[-1]
    if len(words) == 1 and parts.proper and parts.kind == "organisation":
        full = _org_in_full(text, head, at)  # "the Times" after "The New York Times"
        if full:
            return Resolved(full, "organisation", None)
    if parts.proper and not (len(words) == 1 and noun_kind(head)[0] is not None):
        if parts.kind == "person":
            # only an honorific that tells the sex narrows a surname ("Mrs. Trump"); "Dr." does not
            sex = next((w for w in (x.strip(".").lower() for x in parts.role.split()) if w in honorifics()), "")
            full = index.expand(index.tail(name), sex if sex in gendered_honorifics() else "")
            org = _org_opened_by(text, full, index) if len(full.split()) == 1 and not parts.role else None
            if not org and len(full.split()) == 1 and _org_shaped_here(text, full, end, index):
                return Resolved(full, "organisation", None)  # "the RNC", "BuzzFeed"; "TAPPER:" is Jake Tapper
            if re.fullmatch(r"(?:al|el)-\w+", full):
                return Resolved(full, "organisation", None)  # "al-Qaeda", "al-Shabaab": no one's surname here
            if not org and _plural_of_a_word(text, mention, full, index):
                return Resolved(full, "group", None)  # "the Clintons", "Germans": a family or a people
            return Resolved(org, "organisation", None) if org else Resolved(full, "person", None)
        return Resolved(parts.name, parts.kind, None)
    # a common noun ("the senator", "officials", "the report", "Lawmakers" opening a sentence)
    kind, plural = noun_kind(head)
    if kind is None or kind == "none":
        return Resolved(None, None, None)  # "Tuesday", "softer language", "someone": not a speaker
    if kind == "role" and not plural:
        definite = mention.split()[0].lower() not in INDEFINITE
        named = (
            (_apposed(text, end, index) or _holder(text, head.lower(), at, index, mention.split()))
            if definite
            else None
        )
        if named:
            return Resolved(named, "person", None)
        return Resolved(parts.name, "person", None, True)
    if kind == "org":
        # "the Trump campaign" names its own organisation; only a bare "the campaign" is the last one named
        named = _org_name(words[:-1], head, index) or _named_org(text, head.lower(), at, index)
        if named:
            return Resolved(named, "organisation", None)
        return Resolved(parts.name, "organisation", None, True)
    if kind == "document":
        issuer = _issuer_after(text, end)
        if issuer is not None:
            return issuer
        return Resolved(_undated(parts.name), "document", None, True)
    return Resolved(parts.name, "group", None, True)


# "U.S.", "Sen. Amy Brooks", "Treasury", "Department’s"; a sentence's final dot ends it
_ISSUER_WORD = r"(?:(?:[A-Z]\.)+|[A-Z][a-z]{1,3}\.(?=\s+[A-Z])|[A-Z][\w'’\-]*)"
_ISSUED_BY = re.compile(
    rf"\s+(?:from|by|of)\s+(the\s+)?((?>{_ISSUER_WORD}(?:\s+(?:of\s+(?:the\s+)?)?{_ISSUER_WORD}){{0,6}}))"
    r"(?=\s+([a-z][\w\-]*)|[\s,.;:!?]|$)"
)


def _issuer_after(text: str, end: int) -> Resolved | None:
    """Return who issued a document the mention names just after it: "A report from the Treasury showed" is the
    Treasury's, "a statement by Sen. Amy Brooks said" hers; a date ("a report from last May") issues nothing."""
    m = _ISSUED_BY.match(text, end)
    if m is None or (m.group(3) and noun_kind(m.group(3))[0] is not None):
        return None  # "the study by Harvard University researchers": the researchers, whose the rules decide
    if re.search(r"['’]s?$", m.group(2)):
        return None  # "a report from the State Department's inspector general": the owner's someone wrote it
    parts = analyse(m.group(2))
    if not parts.proper or parts.kind not in ("organisation", "person") or parts.name.lower() in TIME_WORDS:
        return None
    if parts.kind == "person" and len(parts.name.split()) < 2:
        if not m.group(1):
            return None  # "a letter from Smith": left to the surname rules, not guessed here
        return Resolved(parts.name, "organisation", None)  # "the Treasury": no person is "the" anyone
    if parts.kind == "person" and not parts.role and parts.name.split()[0] not in gender.given_names():
        return None  # "a report from Capitol Hill", "from Wall Street": a place, not a person
    return Resolved(parts.name, parts.kind, None)


def _undated(name: str) -> str:
    """Return a document's name without a date that owns it: "Monday's report" is a report, not Monday's."""
    words = name.split()
    if len(words) < 2 or re.sub(r"['’]s?$", "", words[0]).lower() not in TIME_WORDS:
        return name
    rest = words[1:]
    while len(rest) > 1 and rest[0].strip(",").isdigit():
        rest = rest[1:]  # "November 23 lawsuit"
    # "Morning Consult poll" is a pollster's name, not a morning's poll
    return " ".join(rest) if words[0].endswith(("'s", "’s")) or rest[0][:1].islower() else name


def _last_person(text: str, a: Attribution, index: NameIndex, pronoun: str, done: list[Resolved]) -> Resolved | None:
    """Return the last person named or speaking by name before a pronoun's mention whom it may stand for.

    One whose sex the honorifics or the first-name prior tell to agree wins over a later one whose sex nothing tells;
    one hinted to be of the other sex is never taken.
    """
    found = _people_before(text, a, index, done)
    if pronoun == "i":
        # an interview answer's "I" is the interviewee, never someone the question names ("Q: Trump voters are ...")
        found = [(at, r) for at, r in found if not index.asks(at)]
    people = [r for _, r in found]
    pool = [r for r in people if index.told_agrees(r.name or "", pronoun)]
    # then one whose sex nothing tells; a name the article's pronouns hint is of the other sex is nobody's answer
    pool = pool or [r for r in people if gender.SEXED_PRONOUNS.get(pronoun, 0) * index.gender(r.name or "") >= 0]
    return pool[-1] if pool else None


def _people_before(
    text: str, a: Attribution, index: NameIndex, done: list[Resolved], reach: int = 1500
) -> list[tuple[int, Resolved]]:
    """Return the people named or speaking by name in the `reach` characters before a mention, in text order.

    Names inside quotation marks or inside the mention's own statement are nobody it can mean. A speaker found among
    `done` keeps its kind and scope.
    """
    assert a.mention is not None
    before = a.mention[0]
    start = max(0, before - reach)
    window = _QUOTATION.sub(lambda m: " " * len(m.group()), text[start:before])
    for lo, hi in (*a.fragments, *a.quoted):  # the mention's own words
        lo, hi = max(lo, start), min(hi, before)
        if lo < hi:
            window = window[: lo - start] + " " * (hi - lo) + window[hi - start :]
    found: list[tuple[int, Resolved]] = [
        (start + at, Resolved(index.expand(index.clean(name)), "person", None)) for at, name in person_names(window)
    ]
    # a surname alone ("Sanders unloaded on the Post") names the one full name of the article's body that ends in it
    found += [
        (start + m.start(), Resolved(owners[0], "person", None))
        for m in _CAPITALISED.finditer(window)
        if start + m.start() >= index.headline_end
        and m.group().lower() not in index.lower_words
        and len(owners := index.owners(m.group())) == 1
    ]
    # a surname after a person's title ("President Obama" in an article that never writes his given name)
    no_name = titles() | org_words()  # "Justice Department", "Secretary General"
    titled = [
        (start + m.start(), Resolved(index.expand(m.group(2), _sexed(m.group(1))), "person", None))
        for m in _titled_surname().finditer(window)
        if start + m.start() >= index.headline_end
        and m.group(2).lower() not in index.lower_words
        and m.group(2).lower() not in no_name
    ]
    found += titled
    titled_ids = {id(r) for _, r in titled}
    found += [
        (r.mention[0], r)
        for r in done
        if r.kind == "person" and r.name and r.mention and start <= r.mention[0] < before
        and not window[r.mention[0] - start].isspace()  # not inside a quotation or the mention's own words
        and text[r.mention[0] : r.mention[1]].strip().lower() not in PRONOUNS  # a named speaker, not a resolved "he"
    ]  # fmt: skip
    spoke = {r.name for r in done}
    return [
        (at, r)
        for at, r in sorted(found, key=lambda x: x[0])
        if r.name
        and (len(r.name.split()) >= 2 or r.name in spoke or id(r) in titled_ids)
        and not TIME_WORDS.intersection(r.name.lower().split())  # "Last Monday" is no one
    ]


TOPIC_SENTENCES = 2  # "he" looks back over its own sentence and the one before it
MAX_LEAD_WORDS = 8  # "At the news conference Tuesday, Manafort ...": an opening phrase before the subject


def _topic(text: str, a: Attribution, index: NameIndex, done: list[Resolved], pronoun: str) -> Resolved | None:
    """Return the person a "he" or "she" continues: who the nearest sentence before it that names anyone is about.

    That is the last person who speaks in the sentence, else the person named at its (or a clause's) start, after
    titles ("Republican Gov. Mary Fallin") or a short opening phrase ("In her speech, Rhimes declared"); names inside
    quotation marks or the pronoun's own statement do not count. None when that person is not told to be of the
    pronoun's sex (the pronoun then goes on meaning the last person quoted).
    """
    assert a.mention is not None
    people = [(at, r) for at, r in _people_before(text, a, index, done, reach=800) if at >= index.headline_end]
    sign = gender.SEXED_PRONOUNS.get(pronoun, 0)
    for lo, hi in _sentences_before(text, a.mention[0], TOPIC_SENTENCES):
        here = [(at, r) for at, r in people if lo <= at < hi]
        if not here:
            continue
        # the last who speaks in that sentence ("Even McCain ... is in trouble, Tester said") is what it is about
        speaking = [r for r in done if r.mention and lo <= r.mention[0] < hi and r.kind == "person" and r.name]
        leading = [
            (r, _titled(text[at:surname]))
            for at, r in here
            if (surname := _surname_at(text, r, at)) is not None
            and _leads(_QUOTATION.sub("", text[lo:surname]))
            and (_is_name(r, index, done) or _titled(text[at:surname]))
            # "another tough guy, Mr. Putin, Mr. Trump was pressed": an apposition; "Lyle’s son": someone else
            and not _NAME_FOLLOWS.match(text, surname + len(family_name(r.name or "")))
        ]
        # the sex must be told to agree: a speaker's by anything the article says, a name's by its title or given
        # name alone, never by the pronouns after it ("Sandy Hook" is no "he", "ProPublica" no one's); a name after
        # a person's title ("President Obama") is a person's, so the article's pronouns may tell its sex
        if speaking and sign * index.gender(speaking[-1].name or "") > 0:
            return speaking[-1]
        if not speaking and leading:
            person, titled = leading[0]
            sex = _given_sex(person.name or "", index) or (index.gender(person.name or "") if titled else 0)
            if sign * sex > 0:
                return person
        return None
    return None


def _surname_at(text: str, r: Resolved, at: int) -> int | None:
    """Return where a person's surname is written in the run found at `at` ("If Gregory Lyle" opens with "If")."""
    found = text.find(family_name(r.name or ""), at, at + 80)
    return found if found >= 0 else None


@lru_cache(maxsize=1)
def _titled_surname() -> re.Pattern[str]:
    """Return the pattern of one capitalised word after a person's title ("President Obama", "Sen. Lyle", "Mrs.
    Clinton"), not the first word of a longer name or a possessive."""
    forms = [t.capitalize() + (r"\.?" if t in abbreviations() else "") for t in PERSON_TITLES]
    words = "|".join(sorted(forms, key=len, reverse=True))
    # a sentence may end after the name ("signed by President Okafor."); an abbreviation's dot ("U.S.") may not
    return re.compile(rf"\b({words})[ \t]+([A-Z][a-z][\w-]*)(?![\w’'-])(?!\.\w)(?![ \t]+[A-Z])")


# titles written right before a person's surname; not the title words of institutions ("General Motors", "National
# Guard", "White House") nor of roles that precede a given name ("Prince William")
PERSON_TITLES = frozenset(
    """president sen senator rep representative gov governor mayor judge justice secretary gen adm admiral capt col lt
    dr prof professor rev reverend rabbi imam ambassador chancellor minister commissioner sheriff speaker congressman
    congresswoman chairman chairwoman pope ayatollah cardinal archbishop mr mrs ms miss""".split()  # noqa: SIM905
)


def _sexed(title: str) -> str:
    """Return an honorific that tells a sex ("mrs" of "Mrs."), else "": `NameIndex.expand` narrows by it."""
    word = title.strip(".").lower()
    return word if word in gendered_honorifics() else ""


def _titled(run: str) -> bool:
    """Return whether a capitalised run holds a person's title before the name ("President Obama", "Sen. Lyle")."""
    return any(w.strip(".,").lower() in PERSON_TITLES for w in run.split())


def _given_sex(name: str, index: NameIndex) -> int:
    """Return the sex a person's title or given name tells (1 a man, -1 a woman, 0 neither)."""
    return index.honorific_sex.get(name) or gender.prior(name)[0]


def _is_name(r: Resolved, index: NameIndex, done: list[Resolved]) -> bool:
    """Return whether a capitalised run is surely a person's name: a speaker's, or opened by a given name ("Texas
    Sen", "During Mr" and "San Diego" are not)."""
    words = (r.name or "").split()
    if any(d.name == r.name for d in done):
        return True
    return len(words) >= 2 and words[0] in gender.given_names() and words[-1].lower() not in titles()


def _leads(prefix: str) -> bool:
    """Return whether a name after these words is its clause's subject: nothing but titles before it, or an opening
    phrase closed by a comma ("Asked about Trump, Cruz said")."""
    clause = prefix.split(";")[-1]
    head, comma, tail = clause.rpartition(",")
    words = tail.split()
    if not all(w[:1].isupper() or w.lower().strip(".") in _TITLE_MODIFIERS for w in words):
        return False
    if any(w.lower() in SUBORDINATORS for w in words):
        return False  # "If Trump doesn't win the nomination, he said ...": a clause about him, not his
    if not comma:
        return True
    opening = head.split()
    return 0 < len(opening) <= MAX_LEAD_WORDS and "," not in head and not _SUBJECT_PRONOUN_WORD.search(head)


# after a surname: another name ("Mr. Putin, Mr. Trump", "Rubio, Cruz and Kasich"), never a party tag or a role
# ("Lyle, R-Texas,", "Lyle, Trump’s campaign manager,"); or a possessive ("Lyle’s son")
_NAME_FOLLOWS = re.compile(r"[’']s\b|,\s+(?![DRI]-)(?![A-Z][\w.-]*[’']s\b)[A-Z]")
# words that make a name after them part of a clause or phrase about the person ("If Lyle wins", "For Chait,")
SUBORDINATORS = {"if", "when", "whenever", "although", "though", "while", "because", "since", "after", "before",
                 "unless", "as", "once", "until", "whether", "where", "for", "to", "from", "of", "by", "with", "about",
                 "like", "unlike", "against", "than", "during", "according", "on", "in", "at"}  # fmt: skip
_SUBJECT_PRONOUN_WORD = re.compile(r"\b(?:he|she|they|i|we)\b", re.I)


SENTENCES_REACH = 1500  # characters looked back over for the sentences before a mention
EPITHET_SENTENCES = 3  # a description stands for someone named in its own sentence or the two before it


def _epithet(text: str, a: Attribution, index: NameIndex, done: list[Resolved], d: Description) -> str | None:
    """Return the person named just before a description that stands for them ("the Florida senator"), else None."""
    assert a.mention is not None
    # a headline's capitalised words are no one a story's description looks back to ("New Polls Show Double-Digit")
    # and a role already read for an earlier mention ("the Ohio senator") is no name either
    found = _people_before(text, a, index, done, reach=800)
    people = [(at, r) for at, r in found if at >= index.headline_end and not r.scoped]
    sentences = [
        [
            (r.name or "", epithets.no_pronoun_before(_QUOTATION.sub("", text[lo:at])))
            for at, r in people
            if lo <= at < hi
        ]
        for lo, hi in _sentences_before(text, a.mention[0])
    ]

    lo, hi = a.mention

    def fits(name: str) -> int | None:
        forms = _name_forms(name, index)  # the surname too, unless a relative bears it ("George W." and "Jeb Bush")

        def parties() -> list[str]:
            # the description says nothing of the name before it ("Mika Brzezinski, the Democratic candidate said")
            return parties_in(text[:lo] + " " * (hi - lo) + text[hi:], forms, party_bridges())

        return epithets.fit(text, forms, d, parties, index.gender(name), (lo, hi))

    return epithets.choose(sentences, fits, d.specific)


def _sentences_before(text: str, at: int, count: int = EPITHET_SENTENCES) -> list[tuple[int, int]]:
    """Return the spans of the sentence holding `at` (up to `at`) and of the sentences before it, nearest first, no
    further back than the paragraph before."""
    para = text.rfind("\n", 0, at)
    k = para
    while k > 0 and text[k - 1] in "\n \t":
        k -= 1
    floor = text.rfind("\n", 0, k) + 1 if para >= 0 else 0
    floor = max(floor, at - SENTENCES_REACH)  # an article in one paragraph: never scan it all for each mention
    bounds = {floor}
    for i in range(floor, at):
        if text[i] == "\n":
            bounds.add(i + 1)
        elif text[i] in END_MARKS and (stop := sentence_end(text, i)) is not None and stop < at:
            bounds.add(stop)
    ordered = sorted(bounds)
    spans = [(lo, hi) for lo, hi in zip(ordered, [*ordered[1:], at], strict=True) if text[lo:hi].strip()]
    return spans[::-1][:count]


# "he"/"she" opening a sentence or a speech tag ('…,” she said'), not inside a clause about someone ("because he")
_SUBJECT_PRONOUN = re.compile(r"(?:[.!?]['\"”’]?\s+|[,!?]['\"”’]\s+)(he|she)\b", re.I)
# "Mr. Obama called Naghmeh Abedini. Her husband, Saeed, was free": a weaker hint, read when no "he"/"she" is there
_POSSESSIVE_OPENER = re.compile(r"[.!?]['\"”’]?\s+(His|Her)\b")
_CAPITALISED = re.compile(r"(?<![\w.’'-])[A-Z][a-z][\w’'-]*(?![\w’'-])")
# A name inside someone's words is not who speaks after them. A quotation may run over paragraphs that each reopen it,
# or close with the other kind of mark within its paragraph (“…" as some feeds write it); an unclosed “ masks nothing.
# No two branches match the same text, so a long run of unclosed paragraphs costs linear time.
_QUOTATION = re.compile(r"“[^“”\n]*(?:\n\s*“[^“”\n]*)*”|“[^“”\"\n]*\"|\"[^\"“”\n]*[\"”]")


_APPOSED = re.compile(rf",\s+{_HOLDER}(?=\s*,)")
# what opens a role phrase that a name in apposition closes: "The company's chief executive, Laura Chen,"
_OWNER = r"\b(?:[Tt]he|[Ii]ts|[Hh]is|[Hh]er|[Tt]heir|[A-Z][\w.\-]*['’]s?)\s+"
_CLOSED = r"(?=\s*[,;:)]|\.(?!\w)|\s*$)"  # the apposition ends: a comma, or the sentence's end


def _cut_at_title(text: str, end: int) -> bool:
    """Return whether a name matched up to `end` stops at a title's period ("Mr" of "Mr. Obama", "Indiana Gov")."""
    return text.startswith(".", end) and is_abbreviation(text[:end].split()[-1])


def _apposed(text: str, end: int, index: NameIndex) -> str | None:
    """Return the person a role mention is in apposition with ("The Chancellor, Rachel Reeves, has defended")."""
    m = _APPOSED.match(text, end)
    parts = analyse(m.group(1)) if m and not _cut_at_title(text, m.end(1)) else None
    if parts is None or parts.kind != "person" or not parts.proper or len(parts.name.split()) < 2:
        return None
    name = index.expand(parts.name)
    # "The president, Vice President Kamala Harris, and ..." lists someone else
    described = text[max(0, end - 60) : end].split()[-4:]
    return name if _fits(described, parts.role.split(), partial(parties_in, text, [name], party_bridges())) else None


def _holder(text: str, role: str, at: int, index: NameIndex, described: list[str]) -> str | None:
    """Return the person the article names with a role word before `at` ("Sen. Jeff Merkley" for "the senator").

    `described` are the words of the mention ("the Democratic presidential nominee"): a holder whose title or party
    contradicts them is someone else (the Republican nominee, the vice-presidential one, a sitting president for
    "the former president").
    """
    state = epithets.state_named(described)
    titles = [re.escape(role)] + ([re.escape(_ABBREVIATED[role]) + r"\."] if role in _ABBREVIATED else [])
    before = text[:at]
    found: list[tuple[int, str, list[str]]] = []
    for m in re.finditer(rf"\b(?i:{'|'.join(titles)})\s+{_HOLDER}", before):
        found.append((m.start(), m.group(1), [*_title_words(before[max(0, m.start() - 60) : m.start()]), m.group()]))
    for m in re.finditer(rf"{_HOLDER},\s+(?:the\s+|a\s+)?((?:[\w'’\-]+\s+){{0,4}}){re.escape(role)}\b", before):
        if len(m.group(1).split()) >= 2:  # "in Chelsea, the mayor said": a place before a new clause is no holder
            found.append((m.start(), m.group(1), m.group(2).split()))
    # the role first, the name in apposition: "The company's chief executive, Laura Chen, said"
    for m in re.finditer(rf"{_OWNER}((?:[\w'’\-]+\s+){{0,3}})(?i:{re.escape(role)}),\s+{_HOLDER}{_CLOSED}", before):
        if not _cut_at_title(before, m.end(2)):
            found.append((m.start(), m.group(2), [*m.group(1).split(), role]))
    for _, raw, title in sorted(found, reverse=True):
        parts = analyse(raw)
        if parts.kind != "person" or not parts.proper:
            continue
        name = index.expand(parts.name)
        title = [*title, *parts.role.split()]  # "The president, Vice President Kamala Harris,": her own title
        if not _fits(described, title, partial(parties_in, text, [name], party_bridges())):
            continue
        if state and (given := epithets.states_of(text, _name_forms(name, index))) and state not in given:
            continue  # "Sen. Dale Pruitt (R-Ohio)" is not "the Vermont senator"
        return name
    return None


_TITLE_MODIFIERS = {"former", "vice", "then", "presidential", "vice-presidential", *RANKS}


def _title_words(lead: str) -> list[str]:
    """Return the words right before a title that belong to it ("Democratic vice-presidential" before "nominee"),
    never words of another phrase ("A former aide to" before "Sen. X", the previous sentence)."""
    words: list[str] = []
    for w in reversed(re.split(r"[.,;:!?\n(]\s", lead)[-1].split()):
        if len(words) == 4 or not (w[:1].isupper() or w.lower() in _TITLE_MODIFIERS):
            break
        words.insert(0, w)
    return words


def _fits(described: list[str], title: list[str], party: Callable[[], list[str]]) -> bool:
    """Return whether a role description can mean the holder of a title; `party` reads the party the article gives
    the holder (only asked when the description names one, and it outranks the title's words)."""
    want = [w.lower().strip(".,") for w in described]
    have = [w.lower().strip(".,") for w in title]
    wanted_party = party_named(want)
    if wanted_party:
        told = party()
        if wanted_party != (told[0] if told else party_named(have) or wanted_party):
            return False
    if any(w.startswith("vice") for w in want) != any(w.startswith("vice") for w in have):
        return False
    if any((q in want) != (q in have) for q in RANKS):
        return False  # the shadow chancellor is not "the chancellor", nor a deputy director "the director"
    return "former" not in want or "former" in have


def _org_shaped_here(text: str, word: str, end: int, index: NameIndex) -> bool:
    """Return whether one word is an organisation's by its shape (`names.org_shaped`) and the article writes it as no
    one's name: a word in capitals the article also writes in title case ("TRUMP" beside "Mr. Trump") or a speaker's
    label in a transcript ("HOLT: Good evening") is a person's."""
    if not org_shaped(word):
        return False
    if word.isupper() and (text.startswith(":", end) or index.owners(word.capitalize())):
        return False
    return not (word.isupper() and re.search(rf"\b{re.escape(word.capitalize())}\b", text))


def _plural_of_a_word(text: str, mention: str, word: str, index: NameIndex) -> bool:
    """Return whether one capitalised word is a family or a people, not a person: "the Clintons" where the article
    names a Clinton in full, or a people's name ("Germans", "Hispanics") whose singular the article writes as a word
    of its own ("the German chancellor"). A surname ("Sanders", "Williams", "Matthews") is neither."""
    if not re.fullmatch(r"[A-Z][a-z]+[a-rt-z]s", word) or index.owners(word):
        return False
    one = word[:-1]
    if re.match(r"the\s", mention, re.IGNORECASE) and index.owners(one):
        return True  # "the Clintons", "the Khans"
    if not re.search(r"(?:an|ese|ish|i|ic)$", one) or one in gender.given_names():
        return False
    # a people's singular is an adjective before a common noun ("German chancellor", "Hispanic voters")
    return re.search(rf"\b{one}\s+[a-z]", text) is not None


def _org_opened_by(text: str, word: str, index: NameIndex) -> str | None:
    """Return the one organisation the article names starting with `word` ("Peabody Energy" for "Peabody"), unless
    the article writes the word as a person's ("Mr. Trump", "Donald Trump": "Trump" is no "Trump Organization")."""
    if not re.fullmatch(r"[A-Z][a-z][\w'’\-]*", word) or party_named([word]):
        return None  # an acronym ("U.N.") is an organisation already; "the Republican" is a person of a party
    if index.owners(word) or any(m.group(1) == word for m in _honorific_names().finditer(text)):
        return None
    found = set()
    for m in re.finditer(rf"\b{re.escape(word)}((?:[ \t]+[A-Z][\w'’&\-]*){{1,3}})", text):
        parts = analyse(word + m.group(1))
        if parts.kind == "organisation" and parts.proper and parts.name.startswith(word):
            found.add(parts.name)
    return found.pop() if len(found) == 1 else None


@lru_cache(maxsize=1)
def _honorific_names() -> re.Pattern[str]:
    """Return the pattern of a word written after an honorific ("Mr. Trump"): a person's name."""
    return re.compile(rf"\b(?i:{'|'.join(sorted(honorifics()))})\.?\s+([^\W\d_a-zß-ÿ][\w'’\-]*)")


INSTITUTIONS = {"house", "senate", "congress", "parliament"}  # "the House" is not the White House


def _org_in_full(text: str, word: str, at: int) -> str | None:
    """Return the one organisation the article names in full before `at` that a one-word short form stands for:
    "Times" for "The New York Times", "Department" for "State Department"; None when it names none or several
    ("Post" beside the Washington Post and the New York Post), or only later (a later "Supreme Court" is not the
    "Court" an appeals court was)."""
    if word.lower() in INSTITUTIONS or word.isupper() or word.lower() in countries():
        return None  # "CNN" and "China" are already whole
    found = set()
    # a name's words, never "The" inside it ("On Sunday The Times" is the Times, not a longer name); the body's only,
    # as a title-case headline runs words together ("Emails Reveal Hillary Aide And CNN")
    body = text[headline_end(text) : at]
    for m in re.finditer(rf"(?<![\w.])((?:(?!The\b)[A-Z][\w&'’\-]*\s+(?:of\s+)?){{1,4}}){re.escape(word)}\b", body):
        parts = analyse(m.group())
        words = parts.name.split()
        if (
            parts.kind == "organisation"
            and len(words) >= 2
            and words[-1] == word
            and words[0].lower() not in SENTENCE_OPENERS  # "As Politico reported"
            and words[0].lower() not in titles()  # "Secretary of State" is no organisation "State" stands for
            and not any(re.search(r"['’]s?$", w) for w in words)  # "University of Virginia’s Center"
        ):
            found.add(parts.name)
    return found.pop() if len(found) == 1 else None


def _named_org(text: str, noun: str, at: int, index: NameIndex) -> str | None:
    """Return the last named organisation ending with a noun before `at` ("Trump campaign" for "the campaign")."""
    found = list(re.finditer(rf"\b((?:[A-Z][\w'’\-.]+\s+){{1,3}})(?i:{re.escape(noun)})\b", text[:at]))
    return next((name for m in reversed(found) if (name := _org_name(m.group(1).split(), noun, index))), None)


def _org_name(modifiers: list[str], noun: str, index: NameIndex) -> str | None:
    """Return the name of the organisation that capitalised modifiers give a noun, its owner read as a surname.

    "Donald Trump’s campaign", "the Trump campaign" and "Trump’s presidential campaign" are one "Trump campaign"; a
    sentence's opening word ("After campaign stops ...") owns nothing.
    """
    words = [w for w in modifiers if w.lower() not in DETERMINERS]
    if any(w.lower() in {"of", "for", "and", "to"} for w in words):
        return None  # "Leaders of the organization": the noun is not the head
    adjectives = []
    while words and not words[-1][:1].isupper():
        adjectives.append(words.pop())  # the noun's own: "John Kasich’s presidential campaign"
    if any(re.search(r"['’]s?$", w) for w in adjectives):
        return None  # "the Democratic nominee’s campaign" belongs to a person the modifiers do not name
    words = [re.sub(r"['’]s$|(?<=s)['’]$", "", w) for w in words]  # "Clinton’s", "Sanders’"
    ends = [  # "… Symposium. Clinton campaign": the sentence before is not the owner ("Sen." is no sentence end)
        i for i, w in enumerate(words) if re.search(r"[a-z]{2}\.$", w) and w[:-1].lower() not in titles()
    ]
    words = words[ends[-1] + 1 :] if ends else words
    while words and (words[0].lower() in SENTENCE_OPENERS or words[0].lower() in TIME_WORDS):
        words = words[1:]
    if not words or not all(w[:1].isupper() or w in PARTICLES for w in words):
        return None
    # a person's organisation goes by their surname; "Saudi" or "United States" is nobody's. Only a person's title
    # ("Sen.", "Mrs.") starts the owner: "White House" and "State Department" are titles' words, not titles
    titled = [i for i, w in enumerate(words[:-1]) if w.endswith(".") and w[:-1].lower() in titles() | honorifics()]
    words = words[titled[-1] + 1 :] if titled else words  # "New Hampshire Sen. Kelly Ayotte’s campaign"
    named = bool(titled) or (len(words) >= 2 and words[-2] in gender.given_names())
    if named or any(n.split()[0] in gender.given_names() for n in index.owners(words[-1])):
        return f"{words[-1]} {noun.lower()}"
    # anyone else's keeps its own words: "White House press office", "Republican presidential campaign"
    return " ".join([*words, *reversed(adjectives), noun.lower()])


_BY = re.compile(r"^\s*by\s+", re.I)


def writer(byline: str) -> str | None:
    """Return the one person a byline names ("By Jane Doe", "Jane Doe, Associated Press"), else None (several
    writers, an agency, a desk, a staff credit)."""
    text = _BY.sub("", byline).strip()
    if not text or re.search(r"\b(?:and|with)\b|&|;|/|\||·|\n", text, re.I):
        return None
    names = []
    for part in (p.strip() for p in text.split(",")):
        parts = analyse(part.title() if part.isupper() else part)  # "BY JOHN SMITH"
        words = parts.name.split()
        if parts.kind == "person" and parts.proper and len(words) >= 2 and words[0] in gender.given_names():
            names.append(parts.name)
    return names[0] if len(names) == 1 and text.split(",")[0].strip() in (names[0], names[0].upper()) else None


def by_writer(statements: list[Statement], byline: str, text: str) -> list[Statement]:
    """Return the statements with the writer's own "I" (which resolution leaves without a speaker) given to the one
    person the byline names: a column's "I think" is its author's. An "I" left without a speaker for any other
    reason (an interview's answers before anyone is named) stays so."""
    name = writer(byline) if byline else None
    mine = [s for s in statements if s.speaker is None and (s.mention or "").strip().lower() == "i"]
    if name is None or not mine:
        return statements
    index = NameIndex(normalize_marks(text))
    writers = {s.id for s in mine if s.mention_start is not None and index.narrates(s.mention_start)}
    sid = speaker_id(name, "person")
    return [
        replace(s, speaker=name, speaker_id=sid, speaker_kind="person") if s.id in writers else s for s in statements
    ]


def _role_mention(mention: str) -> str:
    """Return the role a mention names a person by and nothing else ("Chancellor" of "The Chancellor", "Florida
    senator" of "the Florida senator"), or "" for a name or a pronoun."""
    words = mention.replace(",", " ").split()
    while words and words[0].lower() in DETERMINERS:
        words = words[1:]
    if not words or len(words) > 4 or noun_kind(words[-1].lower())[0] != "role":
        return ""
    return " ".join(words)


def _told(role: str, roles: list[str]) -> bool:
    """Return whether a role says nothing the known ones do not: "executive" after "company's chief executive"."""
    words = role.lower().split()
    return any(r.lower().split()[-len(words) :] == words for r in roles)


def article_speakers(statements: list[Statement], text: str = "") -> list[Speaker]:
    """Return the speakers of one article's statements with their aliases, roles, kind and affiliations.

    With the article's `text`, a person's party is read from any mention of their name ("Sen. X (D-Ohio)",
    "Republican Sen. X", "X, a Democrat"), so a group question finds them where their own statements do not say it.
    """
    order: list[str] = []
    names: dict[str, str] = {}
    kinds: dict[str, SpeakerKind] = {}
    aliases: dict[str, list[str]] = {}
    roles: dict[str, list[str]] = {}
    counts: Counter[str] = Counter()
    for st in statements:
        if not st.speaker or not st.speaker_id:
            continue
        sid = st.speaker_id
        if sid not in names:
            order.append(sid)
            names[sid] = st.speaker
            kinds[sid] = st.speaker_kind or "person"
            aliases[sid] = [st.speaker]
            roles[sid] = []
        counts[sid] += 1
        if st.mention and st.mention.strip().lower() not in PRONOUNS:
            parts = analyse(st.mention)
            alias = parts.name if parts.role.lower().rstrip(".") not in honorifics() else (f"{parts.role} {parts.name}")
            own = set(names[sid].lower().replace("’", "'").split())
            for a in (alias, parts.name):
                # a mention is an alias only if its name is part of the speaker's: "Mr. Putin" for Vladimir Putin,
                # never "Trump campaign" for a Clinton campaign that a pronoun or an inherited report led to
                words = set(_drop_honorific(a.lower().replace("’", "'")).split())
                # (a role's own word is no alias: "spokesman" of the YouTube spokesman names every spokesman)
                if a and a not in aliases[sid] and words and words <= own and not a.islower():
                    aliases[sid].append(a)
            honorific = parts.role.lower().rstrip(".") in honorifics()
            if parts.role and not honorific and parts.role not in roles[sid]:
                roles[sid].append(parts.role)
            titled = _role_mention(st.mention)
            if titled and kinds[sid] == "person" and not role_named(names[sid]) and not _told(titled, roles[sid]):
                roles[sid].append(titled)  # "The Chancellor, Rachel Reeves, said", "the senator" read as its holder
    for sid in order:
        owned = "’s " in names[sid] or "'s " in names[sid]  # a person's aide speaks for no organisation
        if kinds[sid] == "person" and role_named(names[sid]) and not owned and names[sid] not in roles[sid]:
            # "YouTube spokesman" is its own role: it speaks for YouTube ("what did YouTube say?")
            roles[sid].append(names[sid])
    index = NameIndex(text) if text else None
    parties = {
        sid: parties_in(text, _name_forms(names[sid], index), party_bridges())
        if text and kinds[sid] == "person"
        else []
        for sid in order
    }
    return [
        Speaker(
            id=sid,
            name=names[sid],
            aliases=tuple(aliases[sid]),
            roles=tuple(roles[sid]),
            kind=kinds[sid],
            statement_count=counts[sid],
            affiliations=tuple(dict.fromkeys([a for r in roles[sid] for a in affiliations(r)] + parties[sid])),
        )
        for sid in order
    ]


def _name_forms(name: str, index: NameIndex | None) -> list[str]:
    """Return the forms a person is named by in running text: the full name, and the surname (past a suffix: "Harris"
    for "Harry B. Harris Jr.") when no other full name in the article shares it (Melania and Donald Trump do)."""
    last = family_name(name) if len(name.split()) >= 2 else ""
    if not last or index is None or len(index.owners(last)) > 1:
        return [name]
    return [name, last]


@lru_cache(maxsize=1)
def party_bridges() -> frozenset[str]:
    """Return the title words that may stand between a party adjective and a name ("Republican Sen. X"); a role noun
    such as "critic" or "ally" may not ("a Republican critic of X")."""
    return frozenset(w.strip(".") for w in titles())


def _drop_honorific(name: str) -> str:
    """Return a lower-cased name without a leading honorific ("mr. putin" -> "putin")."""
    m = re.match(r"([a-z]+)\.?\s+", name)
    return name[m.end() :] if m and m.group(1) in honorifics() else name


def speaker_id(name: str | None, kind: str | None = "person", scope: str | None = None) -> str | None:
    """Return the corpus-wide id for a canonical name (`scope`: the article a common-noun entity belongs to)."""
    return entity_id(name, kind, scope) if name else None
