"""The rules for article fields that the API and the loaders share, each defined once: ids, dates, NUL characters."""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from collections.abc import Sequence

from retrieval.models import Article

# Safe in a URL path segment and a file name: no "/", and no "." or ".." (the first character is a letter or digit).
ARTICLE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
ARTICLE_ID_RULE = "use 1-64 characters of A-Z a-z 0-9 _ . - starting with a letter or digit"
DATE_EXAMPLES = '"2023-05-06", "2023-05-06T09:39:00Z", "May 6, 2023", "6 May 2023" or "Sat, 06 May 2023 09:39:00 GMT"'

_ID = re.compile(ARTICLE_ID_PATTERN)
_DATE_FORMATS = ("%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%b %d %Y", "%Y/%m/%d")


def is_article_id(value: object) -> bool:
    """Return whether `value` is an acceptable article id."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def parse_published(value: object) -> str:
    """Return `value` as an ISO date (YYYY-MM-DD), "" when it is empty; raise ValueError when it is not a date."""
    if isinstance(value, dt.date):  # YAML front matter gives dates and datetimes
        return value.isoformat()[:10]
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    if isinstance(value, str):
        text = value.strip()
        iso = re.match(r"\d{4}-\d{2}-\d{2}(?!\d)", text)  # also takes timestamps: 2023-05-06T09:39:00Z
        for candidate, fmt in [(iso[0], "%Y-%m-%d")] if iso else [(text, fmt) for fmt in _DATE_FORMATS]:
            try:
                return dt.datetime.strptime(candidate, fmt).date().isoformat()
            except ValueError:
                continue
        if not iso:
            try:
                return email.utils.parsedate_to_datetime(text).date().isoformat()
            except (ValueError, TypeError):
                pass
    shown = repr(value)[:60]
    raise ValueError(f"{shown} is not a date; use a date such as {DATE_EXAMPLES}")


def check_no_nul(field: str, value: str) -> None:
    """Raise ValueError when `value` holds a NUL character, which Chroma, logs and terminals mangle."""
    at = value.find("\x00")
    if at != -1:
        raise ValueError(f"{field} contains a NUL character (U+0000) at offset {at}; remove it")


class RepeatedIdError(ValueError):
    """Two different articles of one batch have the same id; the store would keep only one of them."""

    def __init__(self, first: int, second: int, article_id: str) -> None:
        super().__init__(f"articles {first} and {second} have the same id {article_id!r}")
        self.first, self.second, self.article_id = first, second, article_id


def drop_repeats(articles: Sequence[Article]) -> list[Article]:
    """Return `articles` without exact repeats; raise RepeatedIdError for two different articles under one id."""
    first: dict[str, int] = {}
    kept: list[Article] = []
    for i, article in enumerate(articles):
        if article.id not in first:
            first[article.id] = i
            kept.append(article)
        elif articles[first[article.id]] != article:
            raise RepeatedIdError(first[article.id], i, article.id)
    return kept
