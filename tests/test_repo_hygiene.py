"""The checked-in text files hold no merge-conflict markers (a README shipped with one once)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(r"^(<{7} |={7}$|>{7} )", re.M)
TEXT = (".py", ".md", ".toml", ".txt", ".js", ".html", ".yaml", ".yml", ".sh", ".cfg", ".json")


def tracked() -> list[Path]:
    try:
        out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [ROOT / line for line in out.splitlines() if line.endswith(TEXT)]


def test_no_merge_conflict_markers() -> None:
    files = tracked()
    assert files
    bad = [str(p.relative_to(ROOT)) for p in files if p.exists() and MARKER.search(p.read_text(errors="replace"))]
    assert not bad, f"merge-conflict markers in {bad}"
