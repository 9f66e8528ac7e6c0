"""Commands that read the index: ask a question, verify a claimed quote (here or on a running server)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot.cli.common import UsageError, cli_settings, open_services, raw_json, require_articles, server_client, validated


def ask(args: argparse.Namespace) -> int:
    """`quotebot ask`: print the cited answer to a question."""
    from bot.schemas import AskRequest
    from bot.validation import check_ask

    settings = cli_settings()
    data = {"question": args.question} | ({} if args.top_k is None else {"top_k": args.top_k})
    body, top_k = validated(AskRequest, data, lambda b: check_ask(b, settings.ask))
    client = server_client(args, settings)
    if client is not None:
        with client:
            answer = raw_json(client, client.ask_call(body.question, None, None, args.top_k))
    else:
        from bot.chat import AskParams

        svc = open_services(settings, lazy_model=True)
        require_articles(svc)
        answer = svc.chat.ask(AskParams(body.question, top_k)).to_dict()
    if args.json:
        print(json.dumps(answer, indent=2, ensure_ascii=False))
        return 0
    print(answer["answer"])
    if answer["citations"]:
        print()
    for c in answer["citations"]:
        meta = ", ".join(x for x in (c["title"], c["source"], c["published"]) if x)
        print(f"[{c['n']}] {meta} (article {c['article_id']}, chars {c['start']}-{c['end']})")
    return 0


def verify(args: argparse.Namespace) -> int:
    """`quotebot verify`: print the verdict on a claimed quote, or one JSON verdict per line of --jsonl."""
    from bot.schemas import VerifyRequest
    from bot.validation import check_verify

    if (args.quote is None) == (args.jsonl is None):
        raise UsageError("give either a QUOTE or --jsonl CLAIMS.jsonl")
    if args.jsonl and args.speaker:
        raise UsageError("--speaker goes with a QUOTE; with --jsonl each line carries its own speaker")
    settings = cli_settings()

    def check(body: VerifyRequest) -> None:
        check_verify(body, settings.verify)

    client = server_client(args, settings)
    svc = None

    def verdict_of(body: VerifyRequest) -> dict[str, Any]:
        nonlocal svc
        if client is not None:
            return raw_json(client, client.verify_call(body.quote, body.speaker))
        if svc is None:
            svc = open_services(settings, lazy_model=True)
            require_articles(svc)
        found: dict[str, Any] = svc.verifier.verify_claim(body.quote, body.speaker).to_dict()
        return found

    if args.jsonl:
        try:
            lines = args.jsonl.read_text(encoding="utf-8").split("\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read {args.jsonl}: {getattr(exc, 'strerror', None) or exc}") from None
        if client is None:
            svc = open_services(settings, lazy_model=True)
            require_articles(svc)
        bad = 0
        for lineno, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                claim = json.loads(line)
                if not isinstance(claim, dict):
                    raise UsageError('expected a {"quote", "speaker"?} object')
                body, _ = validated(VerifyRequest, claim, check)
            except (ValueError, RecursionError, UsageError) as exc:
                print(json.dumps({"line": lineno, "error": str(exc) if isinstance(exc, UsageError) else "not JSON"}))
                bad += 1
                continue
            print(json.dumps(verdict_of(body), ensure_ascii=False))
        return 1 if bad else 0
    data = {"quote": args.quote} | ({} if args.speaker is None else {"speaker": args.speaker})
    body, _ = validated(VerifyRequest, data, check)
    verdict = verdict_of(body)
    if args.json:
        print(json.dumps(verdict, indent=2, ensure_ascii=False))
        return 0
    label, claimed = verdict["label"], verdict.get("claimed_speaker")
    print(
        f"{label.upper().replace('_', ' ')}: {verdict['claim']!r}"
        + (f" (claimed speaker: {claimed})" if claimed else "")
    )
    if verdict.get("actual_speaker") and label == "misattributed":
        print(f"  the sources attribute it to {verdict['actual_speaker']}")
    for note in verdict.get("notes", []):
        print(f"  note: {note}")
    for d in verdict.get("diff", []):
        if d["op"] != "equal":
            print(f"  {d['op']}: source {d['source']!r} -> claim {d['claim']!r}")
    for c in verdict.get("evidence", []):
        print(
            f"  [{c['n']}] {c['speaker'] or '?'}: {c['text']!r} ({c['title']}, {c['published']}; article "
            f"{c['article_id']} chars {c['start']}-{c['end']})"
        )
    return 0
