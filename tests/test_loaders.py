"""Loaders: every format to `Article`, every failure to a LoadError that names the file and the problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retrieval.errors import LoadError
from retrieval.loaders import article_id_for, iter_files, load_bytes, load_file
from retrieval.models import content_id

DATA = Path(__file__).parent / "data" / "loaders"
SEED = Path(__file__).resolve().parents[1] / "seeds" / "000_1d849841864068f5.txt"


def test_seed_header_gives_date_and_byline() -> None:
    [article] = load_file(SEED)
    assert (article.published, article.byline, article.source) == ("2023-05-06", "David Laycork", "")


def test_seed_caption_is_kept_out_of_text() -> None:
    [article] = load_file(SEED)
    assert article.caption.startswith("Vladimir Putin, who has pointed")
    assert article.caption.endswith("Credit: Shag7799 Shutterstock.com")
    assert "Credit:" not in article.text and "date 2023-05-06" not in article.text


def test_seed_text_starts_with_body_and_is_a_verbatim_slice_of_the_file() -> None:
    [article] = load_file(SEED)
    raw = SEED.read_text(encoding="utf-8")
    assert article.text.startswith("The US has denied")
    assert article.text.endswith("in the capital of international law”.")
    assert article.text in raw  # offsets shift by one constant: raw.index(article.text)


def test_seed_title_is_first_sentence_cut_at_a_word() -> None:
    [article] = load_file(SEED)
    assert article.title == (
        "The US has denied that it attempted to assassinate the Russian President, Vladimir Putin in a drone…"
    )


MAYOR = "The mayor said on Thursday that the ferry “will run again by spring”"
UNION = "Union leaders said talks would resume on Monday, calling the offer ‘a start’."
# (file, index of the article in it, field, expected value)
FIELDS: list[tuple[str, int, str, str]] = [
    (
        "article.txt",
        0,
        "text",
        f"{MAYOR}.\n\n“We owe the islanders that much,” she told reporters. Mr. Silva disagreed.",
    ),
    ("article.txt", 0, "title", MAYOR),
    ("article.txt", 0, "published", "2024-02-29"),
    ("article.txt", 0, "byline", "Ana Lima"),
    (
        "article.txt",
        0,
        "caption",
        "The harbour at dusk, where the ferries wait. Credit: Example Photo Agency",
    ),
    ("plain.txt", 0, "text", "A plain body with no header. It has two sentences.\n\nAnd a second paragraph."),
    ("plain.txt", 0, "title", "A plain body with no header"),
    ("plain.txt", 0, "published", ""),
    ("article.md", 0, "id", "ferry-talks.2024"),
    ("article.md", 0, "title", "Ferry talks resume"),
    ("article.md", 0, "url", "https://news.example.org/ferry-talks"),
    ("article.md", 0, "source", "Example Gazette"),
    ("article.md", 0, "published", "2024-03-01"),
    ("article.md", 0, "byline", "Ana Lima"),
    ("article.md", 0, "text", f"{UNION}\n\n*Markdown* stays as written."),
    ("heading.md", 0, "title", "Council votes on the budget"),
    ("heading.md", 0, "text", "The council voted 7–2 to approve the budget."),
    ("folder/sub/c.markdown", 0, "title", "Three"),
    ("article.json", 0, "id", content_id("https://news.example.org/budget")),
    ("article.json", 0, "title", "Budget passes"),
    ("article.json", 0, "source", "Example Gazette"),
    ("article.json", 0, "published", "2024-03-04"),
    ("article.json", 0, "byline", "Rui Costa"),
    ("article.json", 0, "text", "The budget passed, the clerk said.\n\nIt takes effect in April."),
    ("articles.json", 0, "id", "a-1"),
    ("articles.json", 0, "title", "First record: “quoted words” here"),
    ("articles.json", 1, "title", "Second"),
    ("articles.json", 1, "published", "2024-01-15"),
    ("articles.jsonl", 0, "id", "gazette_2024-01-02_rates"),
    ("articles.jsonl", 0, "source", "gazette"),
    ("articles.jsonl", 0, "published", "2024-01-02"),
    ("articles.jsonl", 0, "text", "Rates rose, the bank said.\n\n“It was needed,” its chief added."),
    ("articles.jsonl", 1, "id", content_id("A record with only text.")),
    ("article.html", 0, "title", "Harbour reopens after storm"),
    ("article.html", 0, "url", "https://news.example.org/harbour-reopens"),
    ("article.html", 0, "source", "Example Gazette"),
    ("article.html", 0, "published", "2024-03-05"),
    ("article.html", 0, "byline", "Ana Lima"),
]


FIELD_IDS = [f"{name}[{index}].{field}" for name, index, field, _ in FIELDS]


@pytest.mark.parametrize(("name", "index", "field", "value"), FIELDS, ids=FIELD_IDS)
def test_load_file_reads_each_format(name: str, index: int, field: str, value: str) -> None:
    assert getattr(load_file(DATA / name)[index], field) == value


@pytest.mark.parametrize(
    ("name", "count"), [("articles.json", 2), ("articles.jsonl", 2), ("article.html", 1), ("article.md", 1)]
)
def test_load_file_returns_every_record(name: str, count: int) -> None:
    assert len(load_file(DATA / name)) == count


def test_html_text_is_the_article_body_without_boilerplate() -> None:
    [article] = load_file(DATA / "article.html")
    assert article.text.startswith("The harbour reopened on Tuesday")
    assert "“Every berth is safe again,” said harbour master Tomás Reis" in article.text
    assert "rights reserved" not in article.text
    assert not article.text.startswith("Harbour reopens")  # the <h1> repeated as a first line is dropped


@pytest.mark.parametrize("path", iter_files([DATA]), ids=lambda p: p.relative_to(DATA).as_posix())
def test_load_bytes_agrees_with_load_file(path: Path) -> None:
    assert load_bytes(path.read_bytes(), path.name) == load_file(path)


def test_load_bytes_never_touches_the_filesystem() -> None:
    [article] = load_bytes(b"Uploaded body.", "no/such/folder/upload.txt")
    assert article.text == "Uploaded body."


def test_iter_files_walks_folders_sorted_skipping_hidden_and_unsupported() -> None:
    found = [p.relative_to(DATA).as_posix() for p in iter_files([DATA / "folder"])]
    assert found == ["folder/b.txt", "folder/sub/a.jsonl", "folder/sub/c.markdown"]


def test_iter_files_keeps_explicit_files_in_order_once() -> None:
    found = iter_files([DATA / "plain.txt", str(DATA / "folder" / "b.txt"), DATA / "plain.txt"])
    assert found == [DATA / "plain.txt", DATA / "folder" / "b.txt"]


@pytest.mark.parametrize(
    ("name", "reason"),
    [("missing.txt", "no such file or directory"), ("folder/notes.csv", "unsupported file type '.csv'")],
)
def test_iter_files_rejects_missing_paths_and_explicit_unsupported_files(name: str, reason: str) -> None:
    with pytest.raises(LoadError) as caught:
        iter_files([DATA / name])
    assert caught.value.path == str(DATA / name)
    assert reason in caught.value.reason


ERRORS: list[tuple[str, bytes, str]] = [
    ("empty.txt", b"", "empty file"),
    ("blank.md", b" \r\n\t\n", "empty file (only whitespace)"),
    ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary file, not text (NUL byte at offset 8)"),
    ("latin1.txt", "café crème".encode("latin-1"), "not valid UTF-8: byte 0xe9 at offset 3"),
    ("wide.json", '{"text": "hi"}'.encode("utf-16"), "UTF-16 text is not supported"),
    ("report.pdf", b"%PDF-1.4", "unsupported file type '.pdf'"),
    ("README", b"plain words", "unsupported file type (no suffix)"),
    ("header-only.txt", b" date 2023-05-06 By Someone\n\n", "no article text after the header"),
    ("bad-yaml.md", b"---\ntitle: [unclosed\n---\nbody\n", "invalid YAML front matter"),
    ("only-meta.md", b"---\ntitle: Nothing else\n---\n\n", "no article text after the front matter"),
    ("bad.json", b'{"text": "a",\n "title": }', "invalid JSON at line 2, column 11: Expecting value"),
    ("empty-list.json", b"[]", "no records"),
    ("deep.json", b"[" * 50_000 + b"]" * 50_000, "invalid JSON: nested too deeply"),
    ("not-object.json", b'[{"text": "ok"}, "x"]', "record 2: expected a JSON object, got a string"),
    ("blank-text.json", b'[{"text": "ok"}, {"text": "  "}]', "record 2: missing or empty 'text'"),
    ("number-text.json", b'{"text": 42}', "record 1: 'text' must be a string, not a number"),
    ("number-url.json", b'{"text": "x", "url": 5}', "record 1: 'url' must be a string, not a number"),
    ("bad-id.json", b'{"id": "has space", "text": "x"}', "record 1: invalid id 'has space'"),
    ("long-id.json", b'{"id": "' + b"x" * 65 + b'", "text": "x"}', "invalid id 'xxxx"),
    (
        "dup.json",
        b'[{"id": "a", "text": "x"}, {"id": "a", "text": "y"}]',
        "id 'a' is already used by record 1",
    ),
    ("bad.jsonl", b'{"text": "ok"}\n{"text": \n', "invalid JSON on line 2"),
    ("no-text.jsonl", b'{"text": "ok"}\n\n{"title": "no body"}\n', "line 3: missing or empty 'text'"),
    (
        "script.html",
        b"<html><body><script>var x = 1;</script></body></html>",
        "no article text could be extracted",
    ),
]


@pytest.mark.parametrize("via", ["bytes", "file"])
@pytest.mark.parametrize(("name", "data", "reason"), ERRORS, ids=[name for name, _, _ in ERRORS])
def test_errors_name_file_and_problem(tmp_path: Path, via: str, name: str, data: bytes, reason: str) -> None:
    (tmp_path / name).write_bytes(data)
    shown = name if via == "bytes" else str(tmp_path / name)
    with pytest.raises(LoadError) as caught:
        load_bytes(data, name) if via == "bytes" else load_file(tmp_path / name)
    assert (caught.value.path, str(caught.value)) == (shown, f"{shown}: {caught.value.reason}")
    assert reason in caught.value.reason


def test_oversized_input_reports_size_and_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * 1_001)
    message = r"big\.txt: file is too large: 1,001 bytes, over the limit of 1,000 bytes"
    with pytest.raises(LoadError, match=message):
        load_file(path, max_bytes=1_000)
    with pytest.raises(LoadError, match=message):
        load_bytes(b"x" * 1_001, "big.txt", max_bytes=1_000)


def test_oversized_input_names_the_setting_that_raises_the_limit() -> None:
    with pytest.raises(LoadError) as caught:
        load_bytes(b"x" * 1_001, "big.txt", max_bytes=1_000)
    assert "ingest.max_file_bytes" in caught.value.reason and "QUOTEBOT_INGEST__MAX_FILE_BYTES" in caught.value.reason


def test_iter_files_can_report_bad_paths_and_list_the_rest() -> None:
    failed: list[LoadError] = []
    found = iter_files([DATA / "missing.txt", DATA / "folder", DATA / "folder" / "notes.csv"], on_error=failed.append)
    assert [p.relative_to(DATA).as_posix() for p in found] == [
        "folder/b.txt",
        "folder/sub/a.jsonl",
        "folder/sub/c.markdown",
    ]
    assert [(Path(e.path).name, e.reason[:17]) for e in failed] == [
        ("missing.txt", "no such file or d"),
        ("notes.csv", "unsupported file "),
    ]


def test_one_bad_record_fails_the_whole_file() -> None:
    data = b'{"text": "fine"}\n{"text": "also fine"}\n{"text": ""}\n'
    with pytest.raises(LoadError, match="line 3"):
        load_bytes(data, "mixed.jsonl")


def test_exact_duplicate_records_load_once() -> None:
    assert len(load_bytes(b'{"text": "same"}\n{"text": "same"}\n', "dups.jsonl")) == 1


def test_text_keeps_every_character_but_normalises_line_ends_and_bom() -> None:
    raw = "\ufeff  “Curly” ‘quotes’ — e\u0301 😀\r\nsecond line\rthird\r\n\r\n"
    [article] = load_bytes(raw.encode("utf-8"), "quotes.txt")
    assert article.text == "“Curly” ‘quotes’ — e\u0301 😀\nsecond line\nthird"


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        ("2023-05-06", "2023-05-06"),
        ("2023-05-06T09:39:00Z", "2023-05-06"),
        ("06 May 2023", "2023-05-06"),
        ("May 6, 2023", "2023-05-06"),
        ("2023/05/06", "2023-05-06"),
        ("Sat, 06 May 2023 09:39:00 GMT", "2023-05-06"),
        ("", ""),
    ],
)
def test_published_is_normalised_to_iso_or_empty(value: str, iso: str) -> None:
    [article] = load_bytes(f'{{"published": "{value}", "text": "x"}}'.encode(), "dated.json")
    assert article.published == iso


@pytest.mark.parametrize("value", ['"2023-13-40"', '"last Wednesday"', '"yesterday"', "20230506", "true"])
def test_a_published_value_that_is_not_a_date_is_refused_by_name(value: str) -> None:
    # The same rule as POST /articles (retrieval.fields.parse_published): a date given must be one.
    with pytest.raises(LoadError, match=r"record 1: .* is not a date; use a date such as \"2023-05-06\""):
        load_bytes(f'{{"published": {value}, "text": "x"}}'.encode(), "dated.json")


@pytest.mark.parametrize(
    ("name", "raw", "field"),
    [
        ("nul.json", b'{"text": "before\\u0000after"}', "text"),
        ("nul.jsonl", b'{"text": "fine"}\n{"title": "a\\u0000b", "text": "fine too"}', "title"),
        ("nul.md", b'---\nsource: "\\0"\n---\nBody.', "source"),  # YAML reads "\0" as NUL
    ],
)
def test_a_nul_character_in_any_field_is_refused_naming_it(name: str, raw: bytes, field: str) -> None:
    with pytest.raises(LoadError, match=f"{field} contains a NUL character"):
        load_bytes(raw, name)


@pytest.mark.parametrize("article_id", [".", "..", ".hidden", "-rf", "_x", "a/b", "a" * 65])
def test_unsafe_ids_are_refused(article_id: str) -> None:
    with pytest.raises(LoadError, match=r"invalid id .*starting with a letter or digit"):
        load_bytes(json.dumps({"id": article_id, "text": "x"}).encode(), "ids.json")


def test_front_matter_dates_and_numbers_are_accepted() -> None:
    meta = b"id: 42\ntitle: 1984\ndate: 2024-01-02\nauthor: [A One, B Two]"
    [article] = load_bytes(b"---\n" + meta + b"\n---\nBody.\n", "n.md")
    assert (article.id, article.title, article.published, article.byline) == (
        "42",
        "1984",
        "2024-01-02",
        "A One, B Two",
    )


def test_article_id_hashes_url_when_given_else_text() -> None:
    assert article_id_for("text", "https://x.example/a") == content_id("https://x.example/a")
    assert article_id_for("text") == content_id("text")
    assert article_id_for("text", "https://x.example/a") == article_id_for("other", "https://x.example/a")


def test_same_body_gets_same_id_in_every_format() -> None:
    ids = {
        load_bytes(b"Same body here.", "a.txt")[0].id,
        load_bytes(b'{"text": "Same body here."}', "a.json")[0].id,
        load_bytes(b"---\ntitle: T\n---\nSame body here.\n", "a.md")[0].id,
    }
    assert ids == {article_id_for("Same body here.")}


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Mr. Silva spoke first. Then others.", "Mr. Silva spoke first"),
        ("Is it over? Nobody knows.", "Is it over?"),
        ("word " * 40, ("word " * 20).strip() + "…"),
        ("No full stop at all", "No full stop at all"),
        (".", "stem-name"),
    ],
)
def test_title_is_first_sentence_or_file_stem(text: str, title: str) -> None:
    [article] = load_bytes(text.encode(), "stem-name.txt")
    assert article.title == title


@pytest.mark.parametrize(
    ("raw", "text", "caption"),
    [
        ("Pic. Credit: A\n\nPic two. Credit: B\n\nBody.", "Body.", "Pic. Credit: A\nPic two. Credit: B"),
        ("Body.\n\nPic. Credit: A\n\nMore.", "Body.\n\nPic. Credit: A\n\nMore.", ""),  # only leading captions
        ("Pic. Credit: A", "Pic. Credit: A", ""),  # never the whole body
        ("date night plans\n\nBody.", "date night plans\n\nBody.", ""),  # "date" without a date is text
    ],
)
def test_txt_cuts_only_leading_caption_paragraphs(raw: str, text: str, caption: str) -> None:
    [article] = load_bytes(raw.encode(), "c.txt")
    assert (article.text, article.caption) == (text, caption)
