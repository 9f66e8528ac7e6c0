"""Speaker resolution in an article: pronouns, aliases ("Mr Putin" -> "Vladimir Putin"), roles, kinds."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from retrieval.models import Speaker, SpeakerKind, Statement, slugify
from retrieval.quotes.names import (
    GROUP_PRONOUNS,
    PERSON_PRONOUNS,
    PRONOUNS,
    analyse,
    full_names,
    surname,
)
from retrieval.quotes.spans import Attribution


@dataclass(frozen=True)
class Resolved:
    """The speaker an attribution resolves to."""

    name: str | None
    kind: SpeakerKind | None
    mention: tuple[int, int] | None


class NameIndex:
    """Full names seen in an article, for expanding "Putin" / "Mr Putin" to "Vladimir Putin"."""

    def __init__(self, text: str) -> None:
        """Collect multi-word person names from the article text."""
        self.counts: Counter[str] = Counter(full_names(text))
        self.first_seen: dict[str, int] = {}
        for i, n in enumerate(full_names(text)):
            self.first_seen.setdefault(n, i)

    def add(self, name: str) -> None:
        """Record a name found as a speaker."""
        if len(name.split()) >= 2:
            self.counts[name] += 3

    def expand(self, name: str) -> str:
        """Return the most frequent full name ending with the same surname, or the name itself."""
        if len(name.split()) >= 2:
            return name
        last = surname(name)
        best = [n for n in self.counts if surname(n) == last and len(n.split()) >= 2]
        if not best:
            return name
        return max(best, key=lambda n: (self.counts[n], -self.first_seen.get(n, 0)))


def resolve(text: str, atts: list[Attribution]) -> list[Resolved]:
    """Resolve every attribution's speaker, in article order."""
    index = NameIndex(text)
    for a in atts:
        if a.mention:
            parts = analyse(text[a.mention[0] : a.mention[1]])
            if parts.kind == "person" and parts.proper:
                index.add(parts.name)
    out: list[Resolved] = []
    for a in atts:
        out.append(_resolve_one(text, a, out, index))
    return out


def _resolve_one(text: str, a: Attribution, done: list[Resolved], index: NameIndex) -> Resolved:
    """Resolve one attribution given the speakers resolved before it."""
    if a.inherit or a.mention is None:
        prev = next((r for r in reversed(done) if r.name), None)
        return prev if (a.inherit and prev is not None) else Resolved(None, None, None)
    mention = text[a.mention[0] : a.mention[1]]
    low = mention.strip().lower()
    if low in PRONOUNS:
        if a.antecedent is not None:
            name, kind = _name_of(text[a.antecedent[0] : a.antecedent[1]], index)
            return Resolved(name, kind, a.mention)
        wanted: set[SpeakerKind] = (
            {"person"}
            if low in PERSON_PRONOUNS
            else ({"group", "organisation"} if low in GROUP_PRONOUNS else {"organisation"})
        )
        prev = next((r for r in reversed(done) if r.name and r.kind in wanted), None)
        if prev is None and low in PERSON_PRONOUNS:
            named = _last_person_named(text, a.mention[0], index)
            return Resolved(named, "person" if named else None, a.mention)
        return Resolved(prev.name if prev else None, prev.kind if prev else None, a.mention)
    name, kind = _name_of(mention, index)
    return Resolved(name, kind, a.mention)


def _name_of(mention: str, index: NameIndex) -> tuple[str, SpeakerKind]:
    """Return the canonical name and kind for a non-pronoun mention."""
    parts = analyse(mention)
    if parts.kind == "person" and parts.proper:
        return index.expand(parts.name), "person"
    return parts.name, parts.kind


def _last_person_named(text: str, before: int, index: NameIndex) -> str | None:
    """Return the last full person name written before an offset."""
    names = full_names(text[max(0, before - 1500) : before])
    return index.expand(names[-1]) if names else None


def article_speakers(statements: list[Statement]) -> list[Speaker]:
    """Return the speakers of one article's statements with their aliases, roles and kind."""
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
            alias = (
                parts.name
                if parts.role.lower() not in {"mr", "mrs", "ms", "dr", "mr.", "mrs.", "ms."}
                else (f"{parts.role} {parts.name}")
            )
            for a in (alias, parts.name):
                if a and a not in aliases[sid]:
                    aliases[sid].append(a)
            honorific = parts.role.lower().rstrip(".") in {"mr", "mrs", "ms", "dr"}
            if parts.role and not honorific and parts.role not in roles[sid]:
                roles[sid].append(parts.role)
    return [
        Speaker(
            id=sid,
            name=names[sid],
            aliases=tuple(aliases[sid]),
            roles=tuple(roles[sid]),
            kind=kinds[sid],
            statement_count=counts[sid],
        )
        for sid in order
    ]


def speaker_id(name: str | None) -> str | None:
    """Return the corpus-wide slug for a canonical name."""
    return slugify(name) if name else None
