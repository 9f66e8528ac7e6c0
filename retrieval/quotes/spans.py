"""Intermediate attribution records shared by the quote and reported-speech finders."""

from __future__ import annotations

from dataclasses import dataclass, field

Span = tuple[int, int]

# How far an attribution is trusted, by the evidence that found it; each statement reports it as `confidence`.
CUE_AND_SUBJECT = 0.95  # a cue verb and its parsed subject next to the quotation: 'X said, "…"'
DASH_AND_NAME = 0.9  # a name after a dash: '"…" — John Kerry'
FIXED_PHRASE = 0.85  # a set construction: 'Said X: "…"', 'According to X, "…"', '…, as X put it'
SPEECH_VERB = 0.8  # reported speech with a speech verb proper: 'X said the plan …'
LOOSE_VERB = 0.7  # any verb with its subject after a quotation: '"…," an angry Hollande retaliated.'
ACCORDING_TO = 0.7  # reported speech through 'according to X'
SPEAKER_LABEL = 0.7  # a transcript or headline label: 'PENCE: Well, look …'
WEAK_CUE = 0.6  # reported speech with a cue that is no speech verb: 'X believes the plan …'
LEARNED_CUE = 0.55  # reported speech through a word the learned cue model took as a cue: 'X wants the plan …'
NO_CUE = 0.6  # a quotation with no cue of its own: floating, or inside a sentence about its speaker


@dataclass
class Attribution:
    """A content span with its cue and speaker mention, before speaker resolution."""

    fragments: list[Span]
    quoted: list[Span] = field(default_factory=list)
    cue: Span | None = None
    mention: Span | None = None
    antecedent: Span | None = None  # the noun a relative "who"/"which" stands for
    source: str = "reported"  # reported | quote | partial (a quotation inside reported speech) | floating | label
    confidence: float = SPEECH_VERB
    inherit: bool = False  # take the speaker of the previous statement (floating quote)
    borrowed: bool = False  # the speaker is the outer reporter's ("X said the videos show …")

    @property
    def start(self) -> int:
        """Return the first content offset."""
        return self.fragments[0][0]

    @property
    def end(self) -> int:
        """Return the end of the last content fragment."""
        return self.fragments[-1][1]


def overlap(a: Span, b: Span) -> int:
    """Return the number of characters two spans share."""
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def contains(outer: Span, inner: Span) -> bool:
    """Return whether `inner` lies within `outer`."""
    return outer[0] <= inner[0] and inner[1] <= outer[1]
