"""Every `quotebot ...` command line the README shows runs, so the README cannot drift from the CLI.

Each command line in a README code block (or inline code span) is run in a subprocess against a temporary
embedded index that already holds seeds/, from a scratch folder holding the files the README names. `[optional]`
parts run both left out and put in; `[a | b]` runs each alternative. Long-running `quotebot serve` lines are started,
must answer GET /health, and are stopped. What the README leaves to the reader is filled in from PLACEHOLDERS.
Environment variables a block exports (a Chroma server URL, keys) are not applied: every form runs on the
temporary embedded index, which is what the command line promises to work against.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEEDS
from tests.servers import BIN, free_port, redis_server, running, subprocess_env

README = ROOT / "README.md"
COMMAND_SECONDS = 600
OUTPUTS = {"--out"}  # options whose value is a file the command writes
# What a reader would substitute. Hosts stay on loopback, ports are free ones, {url} is a live `quotebot serve`.
PLACEHOLDERS = {"PATH": "seeds/", "http://host:5000": "{url}", "0.0.0.0": "127.0.0.1"}
# Files the README's examples name, as the scratch folder holds them (absolute paths are looked up without the
# leading slash). A new example naming a new file fails until it gets an entry here.
FIXTURES: dict[str, str] = {
    "more-articles/budget.md": "---\ntitle: Budget row\npublished: 2024-02-01\n---\n"
    '"We will not raise taxes," the finance minister said on Thursday.\n',
    "feed.jsonl": json.dumps(
        {"id": "feed-1", "title": "Port strike", "text": '"The strike ends today," a union spokeswoman said.'}
    )
    + "\n",
    "claims.jsonl": json.dumps({"quote": "deserves to be sentenced", "speaker": "Zelensky"})
    + "\n"
    + json.dumps({"quote": "the drone attack was a ludicrous claim"})
    + "\n",
    "articles.jsonl": json.dumps({"doc_id": "a1", "text": '"We are ready," the coach said.'}) + "\n",
    "data/articles/harbour.txt": 'The harbour will reopen in May, the mayor said. "It is safe," she added.\n',
}


def _code(text: str) -> Iterator[str]:
    """Yield the lines of fenced code blocks (backslash continuations joined) and inline code spans."""
    for i, part in enumerate(re.split(r"^```[^\n]*\n", text, flags=re.M)):
        if i % 2:  # inside a fence: split() alternates prose and code
            yield from re.sub(r"\\\n\s*", " ", part).splitlines()
        else:
            yield from re.findall(r"`([^`\n]+)`", part)


def _variants(line: str) -> list[str]:
    """Expand `[x]` (left out, put in) and `[a | b]` (each alternative) into runnable command lines."""
    groups = [[alt.strip() for alt in m.split(" | ")] for m in re.findall(r"\[([^\[\]]*)\]", line)]
    template = re.sub(r"\[[^\[\]]*\]", "{}", line.replace("{", "{{").replace("}", "}}"))
    forms = [[""] * len(groups)] + [
        [g[min(k, len(g) - 1)] for g in groups] for k in range(max(map(len, groups), default=0))
    ]
    return list(dict.fromkeys(" ".join(template.format(*form).split()) for form in forms))


def _drop_comment(line: str) -> str:
    """Cut a trailing `# comment` that is not inside quotes."""
    for m in re.finditer(r"\s#", line):
        try:
            shlex.split(line[: m.start()])
        except ValueError:  # an open quote: this # is inside a string
            continue
        return line[: m.start()]
    return line


def readme_commands() -> list[str]:
    """Return every distinct `quotebot <command>` line of the README, in order, comments dropped."""
    found = []
    for line in _code(README.read_text(encoding="utf-8")):
        line = " ".join(_drop_comment(line).split())
        if re.match(r"quotebot -?-?[a-z]", line):  # the bare word `quotebot` in prose is the project's name
            found.append(line)
    return list(dict.fromkeys(found))


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch folder with the README's files and an index holding seeds/ (copied for the live server)."""
    root = tmp_path_factory.mktemp("readme")
    shutil.copytree(SEEDS, root / "seeds")
    shutil.copytree(ROOT / "tests" / "golden", root / "tests" / "golden")
    for name, content in FIXTURES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content, encoding="utf-8")
    done = subprocess.run(
        [str(BIN / "quotebot"), "ingest", "seeds/"],
        cwd=root,
        env=subprocess_env(root / "index"),
        capture_output=True,
        text=True,
        timeout=COMMAND_SECONDS,
    )
    assert done.returncode == 0, done.stderr
    shutil.copytree(root / "index", root / "server-index")
    return root


@pytest.fixture(scope="module")
def queue_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis for the README's `quotebot worker` lines."""
    with redis_server(tmp_path_factory.mktemp("queue")) as url:
        yield url


@pytest.fixture(scope="module")
def live_url(workspace: Path) -> Iterator[str]:
    """A `quotebot serve` on its own copy of the seeded index, for examples that name a server URL."""
    port = free_port()
    argv = [str(BIN / "quotebot"), "serve", "--port", str(port)]
    with running(argv, subprocess_env(workspace / "server-index"), port, workspace / "live", cwd=workspace):
        yield f"http://127.0.0.1:{port}"


def _argv(variant: str, workspace: Path, port: int, request: pytest.FixtureRequest) -> list[str]:
    """Fill in the placeholders of one command line and check the files it names exist."""
    words = shlex.split(variant)
    if "--port" in words:
        words[words.index("--port") + 1] = str(port)
    argv = []
    for previous, word in zip(["", *words], words, strict=False):
        word = PLACEHOLDERS.get(word, word)
        if "{url}" in word:
            word = word.replace("{url}", request.getfixturevalue("live_url"))
        if word.startswith("/"):
            word = word.lstrip("/")
        looks_like_path = ("/" in word and "://" not in word) or re.search(r"\.(jsonl?|ya?ml|txt|md|html?)$", word)
        missing = not word.startswith("-") and previous not in OUTPUTS and not (workspace / word).exists()
        if looks_like_path and missing:
            pytest.fail(f"the README example {variant!r} names {word!r}: add it to FIXTURES in {__file__}")
        argv.append(word)
    return [str(BIN / "quotebot"), *argv[1:]]


def test_the_readme_shows_the_commands() -> None:
    commands = readme_commands()
    for name in ("ingest", "ask", "verify", "extract", "eval", "serve"):
        assert any(c.startswith(f"quotebot {name}") for c in commands), name


def readme_variants() -> list[str]:
    """Return every distinct runnable form of the README's command lines, in README order."""
    return list(dict.fromkeys(v for line in readme_commands() for v in _variants(line)))


@pytest.mark.parametrize("variant", readme_variants())
def test_readme_command_runs(variant: str, workspace: Path, request: pytest.FixtureRequest) -> None:
    port = free_port()
    argv = _argv(variant, workspace, port, request)
    env = subprocess_env(workspace / "index", QUOTEBOT_SERVER__PORT=str(port))
    if argv[1:2] == ["worker"]:  # against a real (empty) queue: it starts, finds nothing to do and exits 0
        env["QUOTEBOT_JOBS__REDIS_URL"] = request.getfixturevalue("queue_url")
        argv.append("--burst")
    if argv[1:2] == ["serve"]:
        with running(argv, env, port, workspace / "serve", cwd=workspace):
            return  # it answered GET /health; leaving the block stops it
    done = subprocess.run(argv, cwd=workspace, env=env, capture_output=True, text=True, timeout=COMMAND_SECONDS)
    assert done.returncode == 0, f"{variant!r} -> exit {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    assert "Traceback" not in done.stderr
