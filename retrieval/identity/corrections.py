"""Editorial corrections of speaker identity: merge, split an alias off, rename, add a role.

A correction is stored (in the store's corrections collection) and applied twice: at once to what the index holds,
and to every article ingested later, so a re-ingest cannot undo it.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from retrieval.identity.keys import current_id, entity_id, fold
from retrieval.identity.roles import affiliations
from retrieval.models import Speaker, Statement, content_id, slugify

Op = Literal["merge", "split", "rename", "role"]


@dataclass(frozen=True)
class Correction:
    """One editorial fix; `speaker_id` is the entity it changes."""

    op: Op
    speaker_id: str
    target: str = ""  # merge: the entity that absorbs speaker_id
    alias: str = ""  # split: the mention (as written, or its name) that is someone else
    name: str = ""  # split: the new entity's name; rename: the new display name
    role: str = ""  # role: the role to add
    at: float = 0.0  # when it was made: corrections apply in this order

    @property
    def id(self) -> str:
        """Return a stable id, so posting the same correction twice stores it once."""
        return content_id(self.op, self.speaker_id, self.target, self.alias, self.name, self.role)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict with the id."""
        return {"id": self.id, **asdict(self)}

    def to_json(self) -> str:
        """Return the stored form."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Correction:
        """Read the stored form."""
        return cls(**json.loads(text))

    def rekeyed(self, organisations: set[str]) -> Correction:
        """Return this correction with its person ids as this version keys them ("josh-earnest", stored by an older
        one, is "joshua-earnest"): a correction outlives a re-keying. `organisations`: ids held by non-persons,
        which only look like a person's ("bob-jones-university") and stay."""

        def new(sid: str) -> str:
            return sid if not sid or sid in organisations else current_id(sid)

        return replace(self, speaker_id=new(self.speaker_id), target=new(self.target))

    def stale_ids(self) -> list[str]:
        """Return the ids of this correction that an older version keyed differently."""
        return [sid for sid in (self.speaker_id, self.target) if sid and current_id(sid) != sid]

    @classmethod
    def new(cls, op: Op, speaker_id: str, **fields: str) -> Correction:
        """Return a correction stamped now."""
        return cls(op, speaker_id, at=time.time(), **fields)


def split_id(c: Correction) -> str:
    """Return the id of the entity a split creates: the person's key, or, when that is the entity split from ("Ben
    Smith" off benjamin-smith, which short and formal given names share), the name as written."""
    keyed = entity_id(c.name or c.alias, "person")
    return keyed if keyed != c.speaker_id else slugify(re.sub(r"['’]s\b", "", c.name or c.alias))


def _mentions(st: Statement, alias: str) -> bool:
    """Return whether a statement's mention is the alias being split off."""
    key = fold(alias)
    return bool(key) and key in {fold(st.mention or ""), fold(st.speaker or "")}


def apply(
    corrections: Sequence[Correction], statements: Sequence[Statement], speakers: Sequence[Speaker]
) -> tuple[list[Statement], list[Speaker]]:
    """Return an article's statements and speakers with every correction applied, in the order they were made."""
    sts = list(statements)
    by_id: dict[str, Speaker] = {sp.id: sp for sp in speakers}
    for c in sorted(corrections, key=lambda c: c.at):
        if c.op == "merge":
            sts = [replace(s, speaker_id=c.target) if s.speaker_id == c.speaker_id else s for s in sts]
            old = by_id.pop(c.speaker_id, None)
            if old is not None:
                into = by_id.get(c.target) or replace(old, id=c.target, aliases=())
                by_id[c.target] = replace(
                    into,
                    aliases=tuple(dict.fromkeys((*into.aliases, old.name, *old.aliases))),
                    roles=tuple(dict.fromkeys((*into.roles, *old.roles))),
                    affiliations=tuple(dict.fromkeys((*into.affiliations, *old.affiliations))),
                )
        elif c.op == "split":
            new = split_id(c)
            moved = [s for s in sts if s.speaker_id == c.speaker_id and _mentions(s, c.alias)]
            if moved:
                name = c.name or c.alias
                sts = [replace(s, speaker_id=new, speaker=name) if s in moved else s for s in sts]
                by_id.setdefault(new, Speaker(new, name, (c.alias,), kind="person"))
                old = by_id.get(c.speaker_id)
                if old is not None:
                    by_id[c.speaker_id] = replace(old, aliases=tuple(a for a in old.aliases if a != c.alias))
        elif c.op == "rename" and c.speaker_id in by_id:
            old = by_id[c.speaker_id]
            by_id[c.speaker_id] = replace(old, name=c.name, aliases=tuple(dict.fromkeys((*old.aliases, old.name))))
            sts = [replace(s, speaker=c.name) if s.speaker_id == c.speaker_id else s for s in sts]
        elif c.op == "role" and c.speaker_id in by_id:
            old = by_id[c.speaker_id]
            by_id[c.speaker_id] = replace(
                old,
                roles=tuple(dict.fromkeys((*old.roles, c.role))),
                affiliations=tuple(dict.fromkeys((*old.affiliations, *affiliations(c.role)))),
            )
    names = {sid: sp.name for sid, sp in by_id.items()}
    sts = [replace(s, speaker=names.get(s.speaker_id or "", s.speaker)) for s in sts]
    return sts, list(by_id.values())
