"""Shared fixtures for the statement-extraction tests."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED_EVAL = REPO.parent / "shared" / "eval"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """Return the repository root."""
    return REPO


@pytest.fixture(scope="session")
def shared_eval() -> Path:
    """Return the shared evaluation folder, skipping when it is absent."""
    if not (SHARED_EVAL / "score.py").exists():
        pytest.skip(f"shared evaluation data not found at {SHARED_EVAL}")
    return SHARED_EVAL


@pytest.fixture(scope="session")
def train_script() -> ModuleType:
    """Return scripts/train_attribution.py as a module (a script, not a package module)."""
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import train_attribution
    finally:
        sys.path.remove(str(REPO / "scripts"))
    return train_attribution
