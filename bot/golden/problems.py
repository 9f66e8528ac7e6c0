"""What is wrong with an /ask answer or a verdict, said so a reader can fix it (golden checks and assertions)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from difflib import SequenceMatcher
from typing import Any, Protocol

from retrieval.wordlists import honorifics

_SINGLE = str.maketrans({c: "'" for c in "‘’‚‛′`"})
_DOUBLE = str.maketrans({c: '"' for c in "“”„‟″«»"})
_DASHES = str.maketrans({c: "-" for c in "‐‑‒–—―−"})
_WORD = re.compile(r"\S+")
_NAME_TOKEN = re.compile(r"[\w']+")
# Innermost pairs only: chunk excerpts may contain the article's own (possibly unbalanced) quotation marks.
_QUOTED = (re.compile(r"“([^“”]+)”"), re.compile(r"«([^«»]+)»"), re.compile(r'"([^"\n]+)"'))
_MARKER = re.compile(r"\[\d+\]")
_SHOW = 240


class ArticleFetcher(Protocol):
    """Anything that returns an article dict by id (QuotebotClient does)."""

    def article(self, article_id: str) -> Mapping[str, Any]: ...


Articles = Mapping[str, Any] | Iterable[Any] | ArticleFetcher


def normalize(text: str) -> str:
    """Fold quote marks, dashes, ellipses, whitespace and case: the comparison a reader would make."""
    text = text.translate(_SINGLE).translate(_DOUBLE).translate(_DASHES).replace("…", "...")
    return " ".join(text.split()).casefold()


def speaker_matches(expected: str, actual: str | None) -> bool:
    """Return whether `actual` names `expected` ("Kirby" matches "John Kirby"; "Putin" not "Putin's Office")."""
    if not actual:
        return False
    want, got = _name_tokens(expected), _name_tokens(actual)
    return bool(want) and bool(got) and (want <= got or got <= want)


def as_dict(obj: Any) -> dict[str, Any]:
    """Return the JSON shape of an answer or verdict given as a dict or a retrieval dataclass."""
    if isinstance(obj, Mapping):
        return dict(obj)
    to_dict = getattr(obj, "to_dict", None)
    if callable(to_dict):
        data: dict[str, Any] = to_dict()
        return data
    raise TypeError(f"expected an /ask or /verify JSON dict, got {type(obj).__name__}")


def all_citations(answer: Any) -> list[dict[str, Any]]:
    """Return the answer's citations and its verdicts' evidence, each span once."""
    data = as_dict(answer)
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    pools = [data.get("citations") or []] + [v.get("evidence") or [] for v in data.get("verdicts") or []]
    if "evidence" in data and "citations" not in data:  # a bare verdict
        pools.append(data.get("evidence") or [])
    for pool in pools:
        for c in pool:
            found.setdefault((c.get("article_id"), c.get("start"), c.get("end"), c.get("text")), dict(c))
    return list(found.values())


def article_texts(answer: Any, articles: Articles | None = None) -> Callable[[str], str]:
    """Return a lookup id -> article text from `articles` (dict, list, client) or the answer's own client."""
    if articles is None:
        articles = getattr(answer, "client", None)
        if articles is None:
            raise ValueError(
                "cannot fetch the cited articles: pass articles= (a client, {id: text} or a list of articles) "
                "or get the answer from the `ask` fixture"
            )
    if hasattr(articles, "article"):
        fetcher: ArticleFetcher = articles  # type: ignore[assignment]
        return lambda aid: str(fetcher.article(aid)["text"])
    table: dict[str, Any] = {}
    if isinstance(articles, Mapping):
        table = dict(articles)
    else:
        art: Any  # article dicts or retrieval.models.Article
        for art in articles:
            table[art["id"] if isinstance(art, Mapping) else art.id] = art

    def lookup(aid: str) -> str:
        if aid not in table:
            raise LookupError(f"article {aid!r} is not among the {len(table)} articles given")
        art = table[aid]
        if isinstance(art, str):
            return art
        return str(art["text"] if isinstance(art, Mapping) else art.text)

    return lookup


def verbatim_problems(citations: Iterable[Mapping[str, Any]], text_of: Callable[[str], str]) -> list[str]:
    """Return one explanation per citation whose text is not article.text[start:end]."""
    problems: list[str] = []
    for c in citations:
        n, aid = c.get("n", "?"), str(c.get("article_id"))
        try:
            text = text_of(aid)
        except Exception as exc:  # a missing article is a finding to report, whatever the fetcher raised
            problems.append(f"[{n}] article {aid}: cannot get the article to check the citation: {exc}")
            continue
        start, end, cited = c.get("start"), c.get("end"), c.get("text")
        if not (isinstance(start, int) and isinstance(end, int) and isinstance(cited, str)):
            problems.append(f"[{n}] article {aid}: start, end and text must be int, int, str; got {start!r}, {end!r}")
            continue
        if text[start:end] != cited:
            problems.append("\n".join(explain_mismatch(c, text)))
    return problems


def explain_mismatch(citation: Mapping[str, Any], article_text: str) -> list[str]:
    """Say how a citation differs from the article: moved offsets, the first differing word, or both."""
    n, aid = citation.get("n", "?"), citation.get("article_id")
    start, end, cited = int(citation["start"]), int(citation["end"]), str(citation["text"])
    window = article_text[start:end]
    lines = [f"[{n}] article {aid}: citation text != article.text[{start}:{end}]"]
    if not 0 <= start <= end <= len(article_text):
        lines.append(f"  offsets out of range: the article has {len(article_text)} characters")
    where = _occurrences(article_text, cited)
    if where:
        pos = min(where, key=lambda p: abs(p - start))
        lines.append(
            f"  offsets shifted by {start - pos:+d}: the cited text is at [{pos}:{pos + len(cited)}]"
            + (f" (it occurs {len(where)} times; nearest shown)" if len(where) > 1 else "")
        )
    else:
        lines.append("  the cited text occurs nowhere in the article")
    lines.append(f"  cited : {_show(cited)}")
    lines.append(f"  source: {_show(window)}  (article.text[{start}:{end}])")
    if not where:
        span = _closest_span(cited, article_text)
        if (
            span
            and span != (start, end)
            and _similarity(cited, article_text[slice(*span)]) > _similarity(cited, window)
        ):
            window = article_text[slice(*span)]
            lines.append(f"  closest passage [{span[0]}:{span[1]}]: {_show(window)}")
        lines.append("  " + first_difference(cited, window))
    return lines


def first_difference(cited: str, source: str, *, names: tuple[str, str] = ("the citation", "the source")) -> str:
    """Describe the first word where `cited` departs from `source` (or the first character if words agree)."""
    this, that = names
    cw, sw = _words(cited), _words(source)
    matcher = SequenceMatcher(None, cw, sw, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        c, s = _clip_words(cw[i1:i2]), _clip_words(sw[j1:j2])
        if tag == "replace":
            return f"first difference at word {i1 + 1}: {this} has {c!r} where {that} has {s!r}"
        if tag == "delete":
            return f"first difference at word {i1 + 1}: {this} adds {c!r}, which {that} does not have"
        if tag == "insert":
            return f"first difference at word {i1 + 1}: {this} leaves out {s!r}"
    i = next((k for k, (a, b) in enumerate(zip(cited, source, strict=False)) if a != b), min(len(cited), len(source)))
    return f"same words, different characters at {i}: {this} {cited[i : i + 12]!r}, {that} {source[i : i + 12]!r}"


def cite_mismatches(
    citation: Mapping[str, Any], *, speaker: str | None, contains: str | None, article_id: str | None
) -> list[str]:
    """Return why one citation does not match the wanted speaker, words and article (empty: it matches)."""
    why: list[str] = []
    if contains is not None and normalize(contains) not in normalize(str(citation.get("text", ""))):
        why.append(f"does not contain {contains!r}")
    if speaker is not None and not speaker_matches(speaker, citation.get("speaker")):
        why.append(f"speaker is {citation.get('speaker')!r}, not {speaker!r}")
    if article_id is not None and citation.get("article_id") != article_id:
        why.append(f"article is {citation.get('article_id')!r}, not {article_id!r}")
    return why


def verdict_problems(verdict: Any, label: str, speaker: str | None = None) -> list[str]:
    """Return why a verdict (or an answer's first verdict) lacks `label` or `speaker` (empty: it has them)."""
    data = as_dict(verdict)
    if "verdicts" in data:
        verdicts = data.get("verdicts") or []
        if not verdicts:
            return [f"the answer has no verdict (intent {data.get('intent')!r}); expected {label!r}"]
        data = dict(verdicts[0])
    problems = []
    got = data.get("label")
    if got != label:
        problems.append(f"verdict is {got!r}, expected {label!r}")
    if speaker is not None:
        actual = data.get("actual_speaker")
        evidence = data.get("evidence") or []
        if actual is None and evidence:
            actual = evidence[0].get("speaker")  # no explicit attribution: the best evidence's speaker
        if not speaker_matches(speaker, actual):
            problems.append(f"the words are attributed to {actual!r}, expected {speaker!r}")
    if problems:
        problems.append(_describe_verdict(data))
    return problems


def quoted_strings(text: str) -> list[str]:
    """Return the strings inside quotation marks (“...”, «...», "...") in an answer's text."""
    found = []
    for pattern in _QUOTED:
        for m in pattern.finditer(text):
            inner = m.group(1).strip()
            # A "quote" spanning a [n] marker is answer scaffolding between two unrelated marks, not a quote.
            if any(ch.isalnum() for ch in inner) and not _MARKER.search(inner):
                found.append(inner)
    return found


def uncited_quote_problems(answer: Any) -> list[str]:
    """Return one explanation per quoted string of the answer text that no citation contains."""
    data = as_dict(answer)
    cites = all_citations(data)
    texts = [normalize(str(c.get("text", ""))) for c in cites]
    # Answers name the cited article by its title in quotation marks (typographic convention, not a quote).
    titles = {normalize(str(c.get("title") or "")) for c in cites} - {""}
    problems = []
    for quote in quoted_strings(str(data.get("answer", ""))):
        q = normalize(quote)
        if any(_in_order(q, t) for t in texts) or any(_is_title(q, t) for t in titles):
            continue
        line = f"quoted {_show(quote)} appears in no citation"
        best = max(cites, key=lambda c: _similarity(quote, str(c.get("text", ""))), default=None)
        if best is not None:
            btext = str(best.get("text", ""))
            span = _closest_span(quote, btext)
            window = btext[slice(*span)] if span else btext
            diff = first_difference(quote, window, names=("the quote", "the citation"))
            line += f"\n  closest: [{best.get('n', '?')}] {_show(window)}\n  {diff}"
        else:
            line += " (the answer has no citations)"
        problems.append(line)
    return problems


def _name_tokens(name: str) -> frozenset[str]:
    return frozenset(t for t in _NAME_TOKEN.findall(normalize(name)) if t not in honorifics())


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _clip_words(words: list[str], limit: int = 8) -> str:
    return " ".join(words[:limit]) + (" …" if len(words) > limit else "")


def _show(text: str) -> str:
    if len(text) > _SHOW:
        half = _SHOW // 2
        text = f"{text[:half]} … {text[-half:]}"
    return repr(text)


def _occurrences(text: str, needle: str) -> list[int]:
    if not needle:
        return []
    out: list[int] = []
    i = text.find(needle)
    while i != -1 and len(out) < 50:
        out.append(i)
        i = text.find(needle, i + 1)
    return out


def _closest_span(needle: str, text: str) -> tuple[int, int] | None:
    """Return the char span of `text` aligned with `needle` by their longest run of shared words."""
    nw = [m for m in _WORD.finditer(needle)]
    tw = [m for m in _WORD.finditer(text)]
    if not nw or not tw:
        return None
    matcher = SequenceMatcher(None, [normalize(m.group()) for m in nw], [normalize(m.group()) for m in tw], False)
    a, b, size = matcher.find_longest_match(0, len(nw), 0, len(tw))
    if size == 0:
        return None
    first = max(0, b - a)
    last = min(len(tw), first + len(nw)) - 1
    return tw[first].start(), tw[last].end()


def _similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, normalize(a).split(), normalize(b).split(), autojunk=False).ratio()


def _in_order(quote: str, text: str) -> bool:
    """Return whether the normalised quote is in `text`; an ellipsis may join segments that appear in order."""
    pos = 0
    for seg in (s.strip(" ,;:") for s in quote.split("...")):
        if not seg:
            continue
        found = text.find(seg, pos)
        if found == -1:
            return False
        pos = found + len(seg)
    return True


def _is_title(quote: str, title: str) -> bool:
    """Return whether a normalised quote is the title, or the title cut short with an ellipsis."""
    if quote.endswith("..."):
        return title.startswith(quote[:-3].rstrip())
    return quote == title


def describe_citation(c: Mapping[str, Any]) -> str:
    """Return one line naming a citation: number, speaker, article, offsets and (shortened) text."""
    return (
        f"[{c.get('n', '?')}] speaker {c.get('speaker')!r}, article {c.get('article_id')} "
        f"[{c.get('start')}:{c.get('end')}]: {_show(str(c.get('text', '')))}"
    )


def _describe_verdict(v: Mapping[str, Any]) -> str:
    lines = [
        f"  claim: {v.get('claim')!r} (claimed speaker {v.get('claimed_speaker')!r}); "
        f"label {v.get('label')!r}, actual speaker {v.get('actual_speaker')!r}"
    ]
    changes = [d for d in v.get("diff") or [] if d.get("op") != "equal"]
    if changes:
        lines.append("  diff: " + "; ".join(f"{d['op']} {d.get('source')!r} -> {d.get('claim')!r}" for d in changes))
    if v.get("notes"):
        lines.append("  notes: " + "; ".join(map(str, v["notes"])))
    for c in (v.get("evidence") or [])[:3]:
        lines.append("  evidence " + describe_citation(c))
    return "\n".join(lines)


def answer_text(answer: Any) -> str:
    """Return the answer's text, shortened and quoted, for a failure message."""
    return _show(str(as_dict(answer).get("answer", "")))
