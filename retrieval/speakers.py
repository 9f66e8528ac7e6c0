"""The corpus-wide speaker index: resolve names people type ("kirby", "Kirbey", "Putin's office") to speakers."""

from __future__ import annotations

import difflib
import re
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import replace

from retrieval.models import Speaker, Statement
from retrieval.store import Store

TITLES = {"mr", "mrs", "ms", "dr", "sen", "senator", "rep", "gov", "president", "prime", "minister", "secretary"}
_CACHE_SECONDS = 10.0


def fold(name: str) -> str:
    """Return a comparison key: ascii, lowercase, possessive and titles dropped, single spaces."""
    # a curly apostrophe is not ascii: make it straight first, or "Putin’s" folds to "putins", not "putin"
    text = unicodedata.normalize("NFKD", name.replace("’", "'")).encode("ascii", "ignore").decode("ascii").lower()
    text = re.sub(r"['’]s\b", "", text)
    words = [w for w in re.findall(r"[a-z0-9]+", text) if w not in TITLES]
    return " ".join(words)


class SpeakerIndex:
    """Looks speakers up by name, alias, surname or a near spelling; cached briefly, refreshed from the store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._speakers: list[Speaker] = []
        self._keys: dict[str, list[Speaker]] = {}
        self._loaded_at = -1e9
        self._count = -1

    def all(self) -> list[Speaker]:
        """Return every speaker, most statements first."""
        self._refresh()
        return self._speakers

    def resolve(self, name: str) -> Speaker | None:
        """Return the speaker a typed name means, or None when it is unknown or ambiguous."""
        found = self.candidates(name)
        return found[0] if len(found) == 1 or (found and self._dominates(found)) else None

    def candidates(self, name: str) -> list[Speaker]:
        """Return speakers a name could mean, best first: exact alias, surname, then near spellings."""
        self._refresh()
        key = fold(name)
        if not key:
            return []
        exact = self._keys.get(key, [])
        if exact:
            return exact
        fuzzy = difflib.get_close_matches(key, list(self._keys), n=3, cutoff=0.8)
        seen: dict[str, Speaker] = {}
        for match in fuzzy:
            for sp in self._keys[match]:
                seen.setdefault(sp.id, sp)
        return list(seen.values())

    def suggest(self, name: str, n: int = 3) -> list[Speaker]:
        """Return up to `n` known speakers whose names look most like `name`."""
        self._refresh()
        key = fold(name)
        matches = difflib.get_close_matches(key, list(self._keys), n=n * 3, cutoff=0.5)
        out: dict[str, Speaker] = {}
        for match in matches:
            for sp in self._keys[match]:
                out.setdefault(sp.id, sp)
        return list(out.values())[:n]

    def canonicalize(
        self, statements: Sequence[Statement], speakers: Sequence[Speaker]
    ) -> tuple[list[Statement], list[Speaker]]:
        """Map an article's speakers onto corpus speakers ("Kirby" alone -> the known "John Kirby")."""
        mapping: dict[str, Speaker] = {}
        for sp in speakers:
            target = sp
            if sp.kind == "person" and len(fold(sp.name).split()) == 1:
                known = [k for k in self.candidates(sp.name) if k.kind == "person" and k.id != sp.id]
                if len(known) == 1:
                    target = replace(
                        known[0],
                        aliases=tuple(sorted({*known[0].aliases, *sp.aliases, sp.name})),
                        roles=tuple(sorted({*known[0].roles, *sp.roles})),
                    )
            mapping[sp.id] = target
        out = [
            replace(st, speaker=mapping[st.speaker_id].name, speaker_id=mapping[st.speaker_id].id)
            if st.speaker_id in mapping
            else st
            for st in statements
        ]
        merged: dict[str, Speaker] = {}
        for sp in mapping.values():
            if sp.id in merged:
                old = merged[sp.id]
                sp = replace(
                    old,
                    aliases=tuple(sorted({*old.aliases, *sp.aliases})),
                    roles=tuple(sorted({*old.roles, *sp.roles})),
                )
            merged[sp.id] = sp
        return out, list(merged.values())

    def invalidate(self) -> None:
        """Forget the cache so the next lookup reads the store."""
        self._loaded_at = -1e9

    def _dominates(self, found: list[Speaker]) -> bool:
        # Several people share a surname: pick the one with clearly more statements, else call it ambiguous.
        return len(found) > 1 and found[0].statement_count >= 3 * max(1, found[1].statement_count)

    def _refresh(self) -> None:
        now = time.monotonic()
        if now - self._loaded_at < _CACHE_SECONDS:
            return
        count = self.store.counts().speakers
        if count == self._count and now - self._loaded_at < 6 * _CACHE_SECONDS:
            self._loaded_at = now
            return
        speakers = self.store.list_speakers()
        keys: dict[str, list[Speaker]] = {}
        for sp in speakers:
            names = {sp.name, *sp.aliases, sp.id.replace("-", " ")}
            words = fold(sp.name).split()
            if sp.kind == "person" and len(words) > 1:
                names.add(words[-1])  # the surname alone
            for n in names:
                k = fold(n)
                if k and sp not in keys.setdefault(k, []):
                    keys[k].append(sp)
        for group in keys.values():
            group.sort(key=lambda s: -s.statement_count)
        self._speakers, self._keys, self._count, self._loaded_at = speakers, keys, count, now
