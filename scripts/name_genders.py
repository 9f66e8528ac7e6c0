"""The names stage of scripts/train_attribution.py: the first-name prior of retrieval/quotes/gender.py.

Each training article votes once for each full name it tells the sex of: by its honorifics ("Mrs. McCaskill" with one
Claire McCaskill named), or by its gold attributions, where a named speaker's attribution followed within a few
sentences by a "he" / "she" attribution gives that pronoun (the news convention a pronoun speaker continues). Votes
are summed by first name; a first name is kept when at least MIN_SHARE of its votes agree. Only the first name is
kept, so no person's name and no article text is written.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path

from retrieval.quotes import gender
from retrieval.quotes.names import PRONOUNS
from retrieval.quotes.speakers import NameIndex
from retrieval.wordlists import titles

MIN_SHARE = 0.8  # of a first name's votes that must agree ("Terry", "Lee" are both)
# Words that open a place's name, not a person's: "South Carolina ... he said" is a governor's state, and two such
# articles made "South" a man's name. US states that are also given names (Virginia, Georgia) are not listed.
PLACE_WORDS = frozenset(
    """north south east west northern southern eastern western new san santa los las fort saint st port lake mount
    united great el alabama alaska arizona arkansas california colorado connecticut delaware florida hawaii idaho
    illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota mississippi
    missouri montana nebraska nevada ohio oklahoma oregon pennsylvania rhode tennessee texas utah vermont washington
    wisconsin wyoming""".split()  # noqa: SIM905
)
CHAIN_CHARS = 400  # a pronoun attribution this close after a named one continues it


def article_votes(article: dict) -> dict[str, int]:
    """Return +1 / -1 for each full name whose sex one article tells (by honorifics or a pronoun that follows it)."""
    text = article["text"]
    names = sorted(NameIndex(text).counts)  # full names, words the article also writes in lower case dropped
    told: dict[str, Counter[int]] = defaultdict(Counter)
    for name, sex in gender.honorific_sexes(text, names).items():
        told[name][sex] += 2
    last: tuple[str, int] | None = None
    # an attribution without the offsets this needs (a hand-made corpus) tells nothing
    gold = [q for q in article.get("quotes", []) if q.get("speaker") and {"speaker_start", "speaker_end"} <= q.keys()]
    for q in sorted(gold, key=lambda q: q.get("quote_start", q["speaker_start"])):
        mention = q["speaker"].strip()
        sex = gender.SEXED_PRONOUNS.get(mention.lower(), 0)
        if sex:
            if last is not None and q["speaker_start"] - last[1] < CHAIN_CHARS:
                told[last[0]][sex] += 1
            continue
        if mention.lower() in PRONOUNS:
            last = None
            continue
        words = set(re.findall(r"[\w'’\-]+", mention))
        owners = {n for n in names if n.split()[-1] in words}  # the full name the mention's surname belongs to
        last = (owners.pop(), q["speaker_end"]) if len(owners) == 1 else None
    return {name: (1 if c[1] > c[-1] else -1) for name, c in told.items() if c[1] != c[-1]}


def build(train: list[dict]) -> list[tuple[str, int, int]]:
    """Return (first name, +1 / -1, supporting articles) for every first name the articles agree on."""
    votes: dict[str, Counter[int]] = defaultdict(Counter)
    lower = {w for a in train for w in re.findall(r"\b[a-z]+\b", a["text"])}
    for article in train:
        for name, sex in article_votes(article).items():
            first = name.split()[0]
            if (
                gender.FIRST_NAME.fullmatch(first)
                and first.lower() not in titles()  # "Assemblywoman Ann Lee"
                and first.lower() not in PLACE_WORDS
                and not first.lower().startswith("assembly")
            ):
                votes[first][sex] += 1
    rows = []
    for first, c in votes.items():
        sex = 1 if c[1] > c[-1] else -1
        # one article's word for a capitalised "Why", "Staff", "Right" opening a name-like run is no first name
        if c[sex] >= MIN_SHARE * (c[1] + c[-1]) and (c[sex] > 1 or first.lower() not in lower):
            rows.append((first, sex, c[sex]))
    return sorted(rows, key=lambda r: (-r[2], r[0]))


def write(rows: list[tuple[str, int, int]], out: Path) -> None:
    """Write the prior as TSV (atomically: a reader never sees half a file)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    head = "# first name\tsex (+1 he, -1 she)\tarticles; built by scripts/train_attribution.py --stage names\n"
    tmp.write_text(head + "".join(f"{f}\t{s}\t{n}\n" for f, s, n in rows), encoding="utf-8")
    tmp.replace(out)


def train(articles: list[dict], out: Path) -> int:
    """Build and write the first-name prior; return an exit code."""
    rows = build(articles)
    if not rows:
        print("no first name is told by the training articles; nothing written")
        return 2
    write(rows, out)
    women = sum(s < 0 for _, s, _ in rows)
    print(f"wrote {out}: {len(rows)} first names ({women} women's), {sum(n for *_, n in rows)} article votes")
    return 0
