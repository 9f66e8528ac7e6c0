"""Mention finding: the words that name a cue's speaker in a dependency parse."""

from __future__ import annotations

from typing import TYPE_CHECKING

from retrieval.identity import noun_kind
from retrieval.quotes.gender import given_names
from retrieval.quotes.names import analyse
from retrieval.quotes.parsing import coarse
from retrieval.quotes.spans import Span
from retrieval.wordlists import titles

if TYPE_CHECKING:
    from collections.abc import Callable

    from spacy.tokens import Token

SUBJECT_DEPS = {"nsubj", "nsubjpass"}
# participles and clauses that borrow the subject of the verb they hang from ("…, saying that …")
BORROWING_DEPS = {"advcl", "xcomp", "conj", "pcomp", "acl", "prep"}
MAX_PREP_REACH = 6  # tokens between a preposition and the verb it hangs from, for borrowing that verb's subject
RELATIVE = {"who", "which", "that"}
NOT_SPEAKERS = RELATIVE | {"it", "this", "there"}
# dates and times are parsed as subjects or proper nouns ("on Tuesday"), never as speakers
TIME_WORDS = {
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "today",
    "yesterday",
    "tonight",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "morning",
    "evening",
    "afternoon",
    "night",
    "week",
    "weekend",
    "month",
    "year",
    "day",
}
NESTING_DEPS = {"ccomp", "xcomp"}
MENTION_DEPS = {"compound", "amod", "det", "poss", "case", "nmod", "nummod", "quantmod", "punct", "preconj"}


def subject_of(tok: Token) -> tuple[Token | None, Token | None]:
    """Return the subject of a cue verb and, for a relative pronoun subject, the noun it stands for."""
    prev = tok.doc[tok.i - 1] if tok.i > 0 else None
    if (
        tok.tag_ == "VBG"
        and tok.dep_ in {"xcomp", "advcl"}
        and prev is not None
        and prev.dep_ in {"pobj", "dobj"}
        and coarse(prev) == "PROPN"
        and not any(c.dep_ in SUBJECT_DEPS for c in tok.children)
    ):
        return prev, None  # 'footage of Hillary Clinton asking, “…”': the name before the participle asks
    if (
        tok.dep_ == "ROOT"
        and tok.tag_ in {"VBD", "VBZ", "VBP"}
        and prev is not None
        and coarse(prev) == "PROPN"
        and prev.dep_ in {"pobj", "compound", "appos"}
        and prev.head.i < prev.i
        and not any(c.dep_ in SUBJECT_DEPS | {"expl"} for c in tok.children)
        and _names_a_person(prev)
    ):
        # "In a meeting with the board Trump said …": the parser hung the subject on the opening phrase
        return prev, None
    cur = tok
    for _ in range(5):
        subj = next((c for c in cur.children if c.dep_ in SUBJECT_DEPS and c.lower_ not in TIME_WORDS), None)
        if subj is not None:
            if coarse(subj) in {"VERB", "AUX"} or (subj.dep_ == "nsubjpass" and subj.lower_ in {"it"}):
                return None, None  # a clausal or dummy subject names nobody
            if subj.lower_ in RELATIVE and cur.dep_ == "relcl":
                noun = cur.head
                described = any(c.dep_ == "det" for c in noun.children)  # "a Republican", "the lawyer"
                if noun.dep_ == "appos" and described and coarse(noun.head) == "PROPN":
                    noun = noun.head  # "Mr. Guerrero, a Republican who said …": the name the noun describes
                return subj, noun
            return subj, None
        if cur.dep_ in {"acl", "relcl"}:
            issuer = _issuer(cur.head)
            if issuer is not None:
                return issuer, None  # "Trump issued a statement Tuesday saying …": whoever issued it speaks
            # participles hung off a noun are often misparsed; the noun phrase before the cue is the speaker, unless
            # it is a date ("a statement Tuesday saying")
            left = left_subject(cur)
            return (None if left is not None and left.lower_ in TIME_WORDS else left), None
        # "began by saying …" borrows through "by"; a preposition far from its head is a misattached phrase
        far_prep = cur.dep_ == "prep" and cur.i > cur.head.i + MAX_PREP_REACH
        if cur.dep_ not in BORROWING_DEPS or cur.head is cur or far_prep:
            return None, None
        cur = cur.head
    return None, None


# verbs whose subject puts out the document they take: "X issued a statement saying …" is X's statement
ISSUING = {"issue", "issued", "issues", "issuing", "release", "released", "releases", "releasing", "post", "posted",
           "posts", "posting", "send", "sent", "sends", "sending", "publish", "published", "publishes", "publishing",
           "tweet", "tweeted", "tweets", "tweeting", "put", "puts", "putting", "file", "filed", "files", "filing",
           "write", "wrote", "writes", "writing", "deliver", "delivered", "delivers", "delivering"}  # fmt: skip


def _issuer(noun: Token) -> Token | None:
    """Return the subject of the verb that puts out a document ("Trump" of "Trump issued a statement"), or None."""
    if noun.dep_ != "dobj" or noun.head.lower_ not in ISSUING or noun_kind(noun.lower_)[0] != "document":
        return None
    subj = next((c for c in noun.head.children if c.dep_ == "nsubj"), None)
    if subj is None or coarse(subj) not in {"PROPN", "NOUN", "PRON"} or subj.lower_ in NOT_SPEAKERS | RELATIVE:
        return None
    return subj


def outer_subject(tok: Token, is_cue: Callable[[Token], bool]) -> Token | None:
    """Return the subject of the cue a nested cue's clause reports ("Devine said he does not think …" -> Devine)."""
    cur = tok
    for _ in range(3):
        if cur.dep_ not in NESTING_DEPS or cur.head is cur:
            return None
        cur = cur.head
        if is_cue(cur):
            subj = next((c for c in cur.children if c.dep_ in SUBJECT_DEPS), None)
            if subj is not None and coarse(subj) in {"NOUN", "PROPN", "PRON"} and subj.lower_ not in RELATIVE:
                return subj
    return None


def _names_a_person(tok: Token) -> bool:
    """Return whether a name and the words the parser hung before it name one person: each capitalised word before
    the name is a title, an initial or a known first name ("former president Bill Clinton", "Maria Lopez"), never
    the opening phrase's ("the Washington Post Trump", "Tuesday Jones", "Paris Obama")."""
    lo, hi = mention_span(tok, 0)
    if analyse(tok.doc.text[lo:hi]).kind != "person":
        return False
    lead = tok.doc.text[lo : tok.idx].split()
    return all(
        not w[:1].isupper() or w.rstrip(".").lower() in titles() or len(w.rstrip(".")) == 1 or w in given_names()
        for w in lead
    )


def left_subject(tok: Token) -> Token | None:
    """Return the head noun written just before a cue, skipping one comma-delimited parenthetical."""
    doc = tok.doc
    i = tok.i - 1
    while i >= 0 and doc[i].dep_ in {"aux", "advmod", "neg", "auxpass"}:
        i -= 1
    if i >= 0 and doc[i].text == ",":
        j = i - 1
        while j >= max(0, i - 15) and doc[j].text != "," and not doc[j].is_sent_start:
            j -= 1
        if j < 0 or doc[j].text != ",":
            return None
        i = j - 1
    if i < 0 or coarse(doc[i]) not in {"NOUN", "PROPN", "PRON"}:
        return None
    return doc[i]


def mention_span(tok: Token, base: int) -> Span:
    """Return the character span naming the speaker: the head noun and its left modifiers."""
    lo = tok.i
    for left in reversed(list(tok.lefts)):
        if left.dep_ not in MENTION_DEPS or (left.is_punct and left.text not in {"-", "."}):
            break  # a dash or comma to the left ends the name ("… made public ― Trump boasted")
        lo = min(lo, left.left_edge.i)
    doc = tok.doc
    # a hyphenated name is one word, however the parse split it ("Díaz-Ortega said")
    while lo >= 2 and doc[lo - 1].text == "-" and not doc[lo - 1].whitespace_ and not doc[lo - 2].whitespace_:
        if not doc[lo - 2].text[:1].isupper():
            break
        lo -= 2
    hi = tok.i
    # keep "of State" in "Secretary of State John Kerry" style heads but not relative clauses or appositions
    for right in tok.rights:
        if right.is_punct:
            continue
        if right.dep_ == "prep" and right.lower_ == "of" and right.i == hi + 1:
            hi = right.right_edge.i
        elif (
            right.dep_ == "appos" and coarse(right) == "PROPN" and coarse(tok) == "NOUN" and right.left_edge.i <= hi + 2
        ):
            hi = right.i  # "the minister, Anna Berg, said": the apposition carries the name
        else:
            break
    while lo < tok.i and doc[lo].is_punct:
        lo += 1
    while hi > tok.i and doc[hi].is_punct:
        hi -= 1
    return base + doc[lo].idx, base + doc[hi].idx + len(doc[hi].text)


def subject_near(tokens: list[Token]) -> Token | None:
    """Return a likely speaker among tokens with no cue: a proper noun or pronoun head."""
    for t in tokens:
        if coarse(t) == "PROPN" and t.dep_ not in {"compound"} and t.lower_ not in TIME_WORDS:
            # "Obama's former campaign strategist said": the possessor is not the speaker, the possessed noun is
            return t.head if t.dep_ == "poss" and coarse(t.head) == "NOUN" else t
    for t in tokens:
        if coarse(t) == "PRON" and t.lower_ in {"he", "she", "they", "i", "we"}:
            return t
    return None


def embedded_subject(before: list[Token]) -> Token | None:
    """Return the subject of the sentence a cue-less quotation sits in, written before it ('X ticked off … “…”')."""
    if not before:
        return None
    sent = before[-1].sent
    if sum(1 for t in before if t.i >= sent.start and not t.is_punct) < 2:
        return None
    root, end = sent.root, before[-1].i
    cands = [c for c in root.children if c.dep_ in SUBJECT_DEPS and c.i <= end]
    if cands and cands[0].dep_ == "nsubjpass":  # "Rubio was asked by the moderator whether …"
        cands = [g for c in root.children if c.dep_ == "agent" for g in c.children if g.dep_ == "pobj"] or cands
    # the main verb may sit inside the quotation ('X apologized: “I should have …”'): take the first subject
    cands = cands or [t for t in sent if t.dep_ == "nsubj" and t.i <= end][:1]
    for subj in cands:
        if coarse(subj) in {"NOUN", "PROPN", "PRON"} and subj.lower_ not in NOT_SPEAKERS | TIME_WORDS:
            return None if inside_quotation(subj) else subj
    return None


def inside_quotation(tok: Token) -> bool:
    """Return whether a token sits inside a quotation opened earlier in its paragraph ('on “Fox and Friends”').

    Counted from the paragraph's start, not the sentence's: a sentence may open inside a quotation ('“He's right.
    There's …,” Flynn said on Fox News’s “Fox and Friends.”').
    """
    return quotation_open(tok.doc.text[: tok.idx])


def quotation_open(before: str) -> bool:
    """Return whether a run of text leaves a quotation open (more opening marks than closing ones)."""
    return before.count("“") > before.count("”") or before.count('"') % 2 == 1


def noun_after(tokens: list[Token]) -> Token | None:
    """Return the head of the first noun phrase in a run of tokens ('said the woman, who …' -> woman)."""
    head = None
    for t in tokens:
        if coarse(t) in {"NOUN", "PROPN"}:
            head = t
        elif head is not None or t.is_punct:
            break
    return head
