"""Intermediate attribution records shared by the quote and reported-speech finders."""

from __future__ import annotations

from dataclasses import dataclass, field

Span = tuple[int, int]


@dataclass
class Attribution:
    """A content span with its cue and speaker mention, before speaker resolution."""

    fragments: list[Span]
    quoted: list[Span] = field(default_factory=list)
    cue: Span | None = None
    mention: Span | None = None
    antecedent: Span | None = None  # the noun a relative "who"/"which" stands for
    source: str = "reported"  # reported | quote | floating
    confidence: float = 0.8
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
