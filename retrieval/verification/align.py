"""Place a claim's words in a statement's words: exactly (segments in order) or approximately (best window)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

Opcode = tuple[str, int, int, int, int]  # (tag, claim i1, claim i2, source j1, source j2)
_FLIP = {"delete": "insert", "insert": "delete"}


@dataclass(frozen=True)
class Alignment:
    """The statement window closest to a claim, with the word edits between them."""

    ratio: float  # 2 * equal words / (claim words + window words), ellipsis gaps not counted
    start: int  # window of source word indexes, end-exclusive
    end: int
    opcodes: tuple[Opcode, ...]  # source indexes are absolute (into the whole statement)
    matched: int


def find_in_order(
    segments: Sequence[Sequence[str]], words: Sequence[str], allowed: Sequence[bool] | None = None
) -> list[tuple[int, int]] | None:
    """Return where each segment occurs in `words`, in order and without overlap, or None.

    The leftmost placement of each segment leaves the most room for the next, so greedy search is complete.
    `allowed` restricts matches to flagged words (the quoted ones).
    """
    out: list[tuple[int, int]] = []
    at = 0
    for seg in segments:
        n = len(seg)
        first = seg[0]
        found = -1
        for i in range(at, len(words) - n + 1):
            if words[i] != first or list(words[i : i + n]) != list(seg):
                continue
            if allowed is None or all(allowed[i : i + n]):
                found = i
                break
        if found < 0:
            return None
        out.append((found, found + n))
        at = found + n
    return out


def align(
    claim: Sequence[str], words: Sequence[str], boundaries: Collection[int] = (), pad: int = 3
) -> Alignment | None:
    """Return the best-matching window of `words` for `claim`, or None when they share no word."""
    if not claim or not words:
        return None
    blocks = [b for b in SequenceMatcher(None, claim, words, autojunk=False).get_matching_blocks() if b.size]
    if not blocks:
        return None
    if boundaries:
        # An ellipsis may skip any stretch of the statement, so compare against all of it.
        windows = [(0, len(words))]
    else:
        # Anchor a claim-sized window on each shared run, longest runs first; a few anchors are enough.
        blocks.sort(key=lambda b: -b.size)
        windows = []
        for b in blocks[:6]:
            lo = max(0, b.b - b.a - pad)
            win = (lo, min(len(words), b.b - b.a + len(claim) + pad))
            if win not in windows:
                windows.append(win)
    best: Alignment | None = None
    for lo, hi in windows:
        cand = _score(claim, words, lo, hi, boundaries)
        if cand and (best is None or cand.ratio > best.ratio):
            best = cand
    return best


def _score(
    claim: Sequence[str], words: Sequence[str], lo: int, hi: int, boundaries: Collection[int]
) -> Alignment | None:
    # difflib calls claim-only words "delete"; ours says what the claim did to the source, so they are inserts.
    ops = [
        (_FLIP.get(tag, tag), i1, i2, j1, j2)
        for tag, i1, i2, j1, j2 in SequenceMatcher(None, claim, words[lo:hi], autojunk=False).get_opcodes()
    ]
    # Source words before the claim starts or after it ends are context, not edits.
    while ops and ops[0][0] == "delete":
        ops = ops[1:]
    while ops and ops[-1][0] == "delete":
        ops = ops[:-1]
    if not ops:
        return None
    shifted = tuple((tag, i1, i2, j1 + lo, j2 + lo) for tag, i1, i2, j1, j2 in ops)
    matched = sum(i2 - i1 for tag, i1, i2, _, _ in shifted if tag == "equal")
    if not matched:
        return None
    gap = sum(j2 - j1 for tag, i1, _, j1, j2 in shifted if tag == "delete" and i1 in boundaries)
    start, end = shifted[0][3], shifted[-1][4]
    ratio = 2 * matched / (len(claim) + (end - start - gap))
    return Alignment(round(ratio, 4), start, end, shifted, matched)
