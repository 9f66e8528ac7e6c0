"""Role and organisation questions on the dev articles (benchmarks/golden_who.json), asked through /ask.

Each case: a question naming a speaker by role or organisation ("what did the Homeland Security Secretary say?"),
the entity name that must answer it, and the dev doc ids where that entity speaks. Written by hand from the dev
articles; no article text is stored. A case is right when the answer names that entity and cites at least one of
its statements (for an organisation, its own or its labelled spokespeople's).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.services import Services


def _same(a: str | None, b: str) -> bool:
    return (a or "").replace("’", "'").lower() == b.replace("’", "'").lower()


def ask_golden(services: Services, path: Path) -> dict[str, Any]:
    """Ask every golden question; return how many named the right entity and cited its words."""
    from bot import create_app

    cases = json.loads(path.read_text(encoding="utf-8"))
    wrong: list[dict[str, Any]] = []
    right = 0
    with create_app(services=services).test_client() as client:
        for case in cases:
            body = client.post("/ask", json={"question": case["question"], "top_k": 10}).get_json()
            cited = [c for c in body.get("citations", []) if c.get("speaker")]
            ok = _same(body.get("speaker"), case["expected"]) and bool(cited)
            if case["kind"] == "role":
                ok = ok and any(_same(c["speaker"], case["expected"]) for c in cited)
            else:
                ok = ok and any(c["article_id"] in case["doc_ids"] for c in cited)
            right += ok
            if not ok:
                wrong.append({"question": case["question"], "expected": case["expected"], "got": body.get("speaker")})
    return {"n": len(cases), "right": right, "share": round(right / max(1, len(cases)), 3), "wrong": wrong}
