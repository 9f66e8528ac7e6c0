"""Group questions ("what are Democrats saying about X?"): the speakers quoted on a topic, each with their best line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from retrieval.identity.groups import belongs, group_key, groups
from retrieval.models import Article, Passage, Speaker, Statement
from retrieval.search import Filters, Searcher

POOL = 100  # statements nearest the topic that the roll-up picks speakers from
RELEVANT_MIN = 0.25  # dense similarity below which a statement is not about the topic
INTRO_REACH = 40  # characters around a mention read for party tags and titles ("Democratic Sen. X, D-Ohio,")


@dataclass(frozen=True)
class Pick:
    """One speaker of the roll-up and their statement most relevant to the topic."""

    speaker: Speaker | None
    name: str
    passage: Passage


@dataclass(frozen=True)
class Rollup:
    """The speakers of a group quoted on a topic, most relevant first; `filtered` says whether the group was told."""

    picks: tuple[Pick, ...]
    filtered: bool
    others: int  # speakers quoted on the topic who are not (known to be) in the group


def introduction(st: Statement, article_of: Callable[[str], Article | None]) -> str:
    """Return how the article introduces a statement's speaker: the mention with the words around it.

    Party tags and appositions sit beside the name, not in it: "Sen. Amy Brooks, D-Ohio, said" or "Lisa Wong, an
    economist at the institute, said".
    """
    if st.mention_start is None or st.mention_end is None:
        return st.mention or ""
    article = article_of(st.article_id)
    if article is None:
        return st.mention or ""
    text = article.text
    after = st.mention_end + INTRO_REACH
    if st.cue_start is not None and st.mention_end <= st.cue_start:
        after = min(st.cue_start, st.mention_end + 2 * INTRO_REACH)
    before = text[max(0, st.mention_start - INTRO_REACH) : st.mention_start].rsplit("\n", 1)[-1]
    return before + text[st.mention_start : after].split("\n", 1)[0]


def rollup(
    searcher: Searcher,
    group: str,
    topic: str,
    top_k: int,
    filters: Filters,
    article_of: Callable[[str], Article | None],
    joined: Callable[[str], Speaker | None] = lambda _: None,
) -> Rollup:
    """Return up to `top_k` speakers of `group` quoted on `topic`, each with their most relevant statement.

    `article_of` reads an article (the answer's Renderer, so an article read to place a speaker is read once);
    `joined` gives the person a surname-only entity is read as ("Obama" -> Barack Obama), so they are listed once.
    """
    key = group_key(group) or ""
    filtered = bool(groups().get(key))
    # most relevant first: meaning and the topic's own words, so each speaker's first statement is their best
    found = [p for p in searcher.on_topic(topic, POOL, filters) if p.score >= RELEVANT_MIN]
    best: dict[str, Passage] = {}
    for p in found:
        st = p.statement
        if st and st.speaker_id and st.speaker:
            main = joined(st.speaker_id)
            best.setdefault(main.id if main else st.speaker_id, p)
    picks: list[Pick] = []
    others = 0
    for speaker_id, p in best.items():
        if len(picks) >= top_k:
            break
        st = p.statement
        assert st is not None and st.speaker is not None
        main = joined(st.speaker_id or "")
        sp = searcher.store.get_speaker(speaker_id) if filtered or main else None
        if filtered and not belongs(group, sp, introduction(st, article_of)):
            others += 1
            continue
        picks.append(Pick(sp, main.name if main else st.speaker, p))
    return Rollup(tuple(picks), filtered, others)
