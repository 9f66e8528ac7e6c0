"""Turn article files (.txt, .md, .html, .json, .jsonl) or uploaded bytes into `Article`s, all or nothing."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import frontmatter
import yaml

from retrieval.citing import is_abbreviation
from retrieval.errors import LoadError
from retrieval.fields import (
    ARTICLE_ID_RULE,
    RepeatedIdError,
    check_no_nul,
    drop_repeats,
    is_article_id,
    parse_published,
)
from retrieval.models import Article, content_id

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl")
DEFAULT_MAX_BYTES = 5_000_000
_TOO_BIG = (
    "file is too large: {:,} bytes, over the limit of {:,} bytes set by ingest.max_file_bytes "
    "(raise it in the config file or with QUOTEBOT_INGEST__MAX_FILE_BYTES)"
)

# The seed's header line: " date 2023-05-06 By David Laycork • 06 May 2023 • 9:39".
_TXT_HEADER = re.compile(r"date\s+(?P<date>\S+)(?:\s+by\s+(?P<byline>[^•]*?))?\s*(?:•(?P<rest>.*))?", re.I)
# A one-line image caption that ends in a credit, like the seed's second paragraph.
_CAPTION = re.compile(r"[^\n]{0,400}?\bCredit:[ \t]*[^\n]{1,120}")
_MD_HEADING = re.compile(r"#[ \t]+(?P<title>[^\n]+?)[ \t#]*(?:\n|$)")
_SENTENCE_END = re.compile(r"[.?!…][”’\"')\]]*(?=\s|$)")
_TITLE_MAX = 100
# Record keys that have aliases (PolNeAR-style dumps say doc_id, publisher, publication_date).
_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "doc_id"),
    "source": ("source", "publisher"),
    "published": ("published", "date", "publication_date"),
    "byline": ("byline", "author", "authors"),
}


def article_id_for(text: str, url: str = "") -> str:
    """Return the stable id of an article: a hash of its url if it has one, else of its text."""
    return content_id(url.strip() or text)


def iter_files(paths: Iterable[str | Path], *, on_error: Callable[[LoadError], None] | None = None) -> list[Path]:
    """List the supported files among `paths`, folders walked in sorted order; `on_error` takes bad paths."""
    # A missing path or a named unsupported file raises, unless on_error collects it: then the rest still land.
    found: dict[Path, None] = {}  # an ordered set: a file named twice is loaded once
    for raw in paths:
        path = Path(raw)
        try:
            if path.is_dir():
                for child in sorted(path.rglob("*")):
                    hidden = any(part.startswith(".") for part in child.relative_to(path).parts)
                    if child.is_file() and not hidden and child.suffix.lower() in SUPPORTED_SUFFIXES:
                        found.setdefault(child, None)
            elif path.is_file():
                _suffix(path)  # named explicitly, so skipping it silently would hide a mistake
                found.setdefault(path, None)
            else:
                raise LoadError(path, "no such file or directory")
        except LoadError as exc:
            if on_error is None:
                raise
            on_error(exc)
    return list(found)


def load_file(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Article]:
    """Load every article of one file, or raise LoadError and return none of them."""
    path = Path(path)
    _suffix(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:  # refuse before reading a huge file into memory
            raise LoadError(path, _TOO_BIG.format(size, max_bytes))
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(path, f"cannot read the file: {exc.strerror or exc}") from exc
    return load_bytes(data, str(path), max_bytes=max_bytes)


def load_bytes(data: bytes, name: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Article]:
    """Load every article of uploaded bytes; `name` picks the format by its suffix and names errors."""
    parse = _PARSERS[_suffix(name)]
    if len(data) > max_bytes:
        raise LoadError(name, _TOO_BIG.format(len(data), max_bytes))
    return parse(_decode(data, name), name)


def _suffix(name: str | Path) -> str:
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        shown = repr(suffix) if suffix else "(no suffix)"
        raise LoadError(name, f"unsupported file type {shown}; use one of {', '.join(SUPPORTED_SUFFIXES)}")
    return suffix


def _decode(data: bytes, name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise LoadError(name, "UTF-16 text is not supported; save the file as UTF-8")
    if (nul := data.find(b"\x00")) != -1:
        raise LoadError(name, f"binary file, not text (NUL byte at offset {nul})")
    try:
        text = data.decode("utf-8-sig")  # -sig drops a leading BOM
    except UnicodeDecodeError as exc:
        reason = f"not valid UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start} ({exc.reason})"
        raise LoadError(name, reason) from exc
    if not text.strip():
        raise LoadError(name, "empty file (only whitespace)" if data else "empty file")
    return _newlines(text)


def _newlines(text: str) -> str:
    # Only line ends are normalised: every other character stays as written, citations must be verbatim.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _parse_txt(text: str, name: str) -> list[Article]:
    published = byline = ""
    first, _, rest = text.strip().partition("\n")
    header = _TXT_HEADER.fullmatch(first.strip())
    if header:
        published = _guess_date(header["date"]) or _guess_date((header["rest"] or "").split("•")[0])
    if header and published:  # a line that merely starts with "date" but has no date is body text
        byline, text = (header["byline"] or "").strip(), rest
    body, caption = _split_captions(text.strip())
    if not body:
        raise LoadError(name, "no article text after the header")
    title = _title_from(body, Path(name).stem)
    return [Article(article_id_for(body), body, title, published=published, byline=byline, caption=caption)]


def _split_captions(body: str) -> tuple[str, str]:
    """Split leading one-line "... Credit: ..." paragraphs off the body; the rest stays one slice."""
    captions: list[str] = []
    while True:
        head, _, rest = body.partition("\n\n")
        if not rest.strip() or not _CAPTION.fullmatch(head.strip()):
            return body, "\n".join(captions)
        captions.append(head.strip())
        body = rest.strip()


def _parse_markdown(text: str, name: str) -> list[Article]:
    try:
        post = frontmatter.loads(text)
    except yaml.YAMLError as exc:
        reason = " ".join(str(exc).split())
        raise LoadError(name, f"invalid YAML front matter: {reason}") from exc
    # YAML reads `title: 1984` as a number; front matter is hand-written, so numbers are taken as text.
    meta = {k: str(v) if type(v) in (int, float) else v for k, v in dict(post.metadata).items()}
    body = post.content.strip()
    title = _string(meta, "title", name, "front matter")
    heading = _MD_HEADING.match(body)
    # A leading "# Heading" is the title; cut it from the body unless it differs from an explicit title.
    if heading and (not title or heading["title"].strip() == title):
        title, body = heading["title"].strip(), body[heading.end() :]
    if not body.strip():
        raise LoadError(name, "no article text after the front matter")
    return [_from_record(meta, body, name, "front matter", title=title)]


def _parse_json(text: str, name: str) -> list[Article]:
    data = _json(text, name)
    records = data if isinstance(data, list) else [data]
    if not records:
        raise LoadError(name, "no records (the JSON list is empty)")
    return _unique([_json_record(record, name, f"record {i}") for i, record in enumerate(records, 1)], name)


def _parse_jsonl(text: str, name: str) -> list[Article]:
    pairs: list[tuple[str, Article]] = []
    for lineno, line in enumerate(text.split("\n"), 1):  # not splitlines(): U+2028 may sit inside a string
        if not line.strip():
            continue
        pairs.append(_json_record(_json(line, name, lineno), name, f"line {lineno}"))
    return _unique(pairs, name)


def _json(text: str, name: str, line: int | None = None) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        at = f"on line {line}" if line else f"at line {exc.lineno}"
        raise LoadError(name, f"invalid JSON {at}, column {exc.colno}: {exc.msg}") from exc
    except RecursionError as exc:  # "[[[[..." some thousands deep
        raise LoadError(name, "invalid JSON: nested too deeply") from exc


def _json_record(record: object, name: str, where: str) -> tuple[str, Article]:
    if not isinstance(record, dict):
        raise LoadError(name, f"{where}: expected a JSON object, got {_json_type(record)}")
    text = record.get("text")
    if text is not None and not isinstance(text, str):
        raise LoadError(name, f"{where}: 'text' must be a string, not {_json_type(text)}")
    if not text or not text.strip():
        raise LoadError(name, f"{where}: missing or empty 'text'")
    return where, _from_record(record, text, name, where, title=_string(record, "title", name, where))


def _unique(pairs: list[tuple[str, Article]], name: str) -> list[Article]:
    """Drop exact repeats; refuse two different articles under one id (the store would keep only one)."""
    try:
        return drop_repeats([article for _, article in pairs])
    except RepeatedIdError as exc:
        where, first = pairs[exc.second][0], pairs[exc.first][0]
        raise LoadError(name, f"{where}: id {exc.article_id!r} is already used by {first}") from None


def _parse_html(text: str, name: str) -> list[Article]:
    import trafilatura  # here: a process that reads no HTML (a CLI question) should not pay for importing it

    doc = trafilatura.bare_extraction(text, with_metadata=True, include_comments=False, include_images=False)
    body = _newlines(getattr(doc, "text", None) or "").strip()
    title = (getattr(doc, "title", None) or "").strip()
    first, _, rest = body.partition("\n")
    if title and first.strip() == title and rest.strip():
        body = rest.strip()  # trafilatura repeats the <h1> headline as the first line
    if not body:
        raise LoadError(name, "no article text could be extracted from the HTML")
    url, source, byline = ((getattr(doc, key, None) or "").strip() for key in ("url", "sitename", "author"))
    published = _guess_date(getattr(doc, "date", None))
    title = title or _title_from(body, Path(name).stem)
    return [Article(article_id_for(body, url), body, title, url, source, published, byline)]


def _from_record(meta: Mapping[str, Any], body: str, name: str, where: str, *, title: str) -> Article:
    text = _newlines(body).strip()
    fields = {field: _string(meta, field, name, where) for field in ("url", "source", "byline", "caption")}
    try:  # a date given as a field must be one: the same rule as POST /articles
        published = parse_published(_value(meta, "published"))
        for field, value in (("text", text), ("title", title), *fields.items()):
            check_no_nul(field, value)  # JSON can smuggle one in as \u0000 past the byte check in _decode
    except ValueError as exc:
        raise LoadError(name, f"{where}: {exc}") from None
    title = title or _title_from(text, Path(name).stem)
    article_id = _record_id(meta, text, fields["url"], name, where)
    return Article(id=article_id, text=text, title=title, published=published, **fields)


def _value(meta: Mapping[str, Any], field: str) -> Any:
    return next((meta[key] for key in _ALIASES.get(field, (field,)) if meta.get(key) not in (None, "")), None)


def _string(meta: Mapping[str, Any], field: str, name: str, where: str) -> str:
    value = _value(meta, field)
    if field == "byline" and isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = ", ".join(v.strip() for v in value)  # several authors
    if value is not None and not isinstance(value, str):
        raise LoadError(name, f"{where}: {field!r} must be a string, not {_json_type(value)}")
    return _newlines(value or "").strip()


def _record_id(meta: Mapping[str, Any], text: str, url: str, name: str, where: str) -> str:
    raw = _value(meta, "id")
    if raw is None:
        return article_id_for(text, url)
    # A JSON `"id": 42` means "42".
    value = str(raw) if isinstance(raw, int) and not isinstance(raw, bool) else raw
    if not is_article_id(value):
        raise LoadError(name, f"{where}: invalid id {raw!r}: {ARTICLE_ID_RULE}")
    return value


def _json_type(value: object) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__)


def _guess_date(value: object) -> str:
    """Return `value` as an ISO date, or "" when it is not one (for dates guessed from a header line or HTML)."""
    try:
        return parse_published(value)
    except ValueError:
        return ""


def _title_from(body: str, fallback: str) -> str:
    """Return the body's first sentence, cut to about 100 characters at a word boundary, as a title."""
    line = body.strip().split("\n", 1)[0].strip()
    for end in _SENTENCE_END.finditer(line):
        words = line[: end.start()].split() or [""]
        if is_abbreviation(words[-1]):
            continue  # "Mr. Putin" does not end a sentence
        line = line[: end.end()]
        break
    if len(line) > _TITLE_MAX:
        line = line[:_TITLE_MAX].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return line.removesuffix(".") or fallback


_PARSERS: dict[str, Callable[[str, str], list[Article]]] = {".txt": _parse_txt, ".json": _parse_json}
_PARSERS |= {".jsonl": _parse_jsonl, ".md": _parse_markdown, ".markdown": _parse_markdown}
_PARSERS |= {".html": _parse_html, ".htm": _parse_html}
