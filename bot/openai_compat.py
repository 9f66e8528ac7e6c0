"""OpenAI-compatible routes: POST /v1/chat/completions (plain and streamed) and GET /v1/models.

The last user message is the question. The conversation is stateless: earlier user messages are asked again, in
order, to rebuild the context /ask would have carried ("what else did he say?" works). Citations, verdicts and the
context travel in the extension field `quotebot` of the completion (and of the last streamed chunk).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

from flask import Response, jsonify, stream_with_context
from flask.typing import ResponseReturnValue

from bot.answer import Answer, Context
from bot.api import BODY_ERRORS, services
from bot.chat import AskParams
from bot.compat_schemas import MODEL_ID, ChatCompletionOut, ChatCompletionRequest, ModelsOut, QuotebotOptions
from bot.errors import InvalidRequest
from bot.routing import Routes
from bot.validation import check_length, check_top_k, filters_for

routes = Routes("openai", __name__, url_prefix="/v1")
REPLAYED_TURNS = 4  # earlier user turns asked again to rebuild the context; older ones rarely matter
STREAM_CHUNKS = (
    "Sent when the body says `stream: true`: OpenAI `chat.completion.chunk` objects as `data:` lines. The first "
    "chunk's delta has the role, then content deltas follow in order; the last chunk has `finish_reason: stop` and "
    "the `quotebot` extension (citations, verdicts, context); then `data: [DONE]`. The answer is complete before "
    "the stream starts, so a failure is an ordinary problem+json response."
)


def extension(answer: Answer) -> dict[str, Any]:
    """Return the `quotebot` field: the /ask answer without its text (the message content has it)."""
    data = answer.to_dict()
    data.pop("answer")
    return {"phrasing": None, **data}


@routes.post(
    "/chat/completions",
    ChatCompletionOut,
    "OpenAI-compatible chat: the last user message is the question; citations in the `quotebot` field",
    body=ChatCompletionRequest,
    errors=BODY_ERRORS,
    limited=True,
    stream=STREAM_CHUNKS,
)
def chat_completions(body: ChatCompletionRequest) -> ResponseReturnValue:
    """Answer the last user message with citations, as an OpenAI chat completion."""
    svc = services()
    limits = svc.settings.ask
    turns = [(i, m.text().strip()) for i, m in enumerate(body.messages) if m.role == "user"]
    if body.messages[-1].role != "user" or not turns[-1][1]:
        raise InvalidRequest(
            "the last message must be a non-empty user message: it is the question",
            extra={"errors": [{"field": f"messages.{len(body.messages) - 1}", "message": "a user message"}]},
        )
    questions = [q for _, q in turns if q]
    check_length("question", questions[-1], limits.max_question_chars)
    opts = body.quotebot or QuotebotOptions()
    top_k = check_top_k(opts.top_k, limits, field="quotebot.top_k")
    filters = filters_for(svc, opts.filters)
    context: Context | None = None
    for earlier in questions[-1 - REPLAYED_TURNS : -1]:
        context = svc.chat.ask(AskParams(earlier[: limits.max_question_chars], top_k, filters, context)).context
    answer = svc.chat.ask(AskParams(questions[-1], top_k, filters, context))
    completion_id, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
    if body.stream:
        chunks = _chunks(answer, completion_id, created)
        return Response(
            stream_with_context(chunks),
            mimetype="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    prompt_words = sum(len(m.text().split()) for m in body.messages)
    answer_words = len(answer.text.split())
    return jsonify(
        {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": MODEL_ID,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": answer.text},
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_words,
                "completion_tokens": answer_words,
                "total_tokens": prompt_words + answer_words,
            },
            "quotebot": extension(answer),
        }
    )


def _chunks(answer: Answer, completion_id: str, created: int) -> Iterator[str]:
    """Yield the answer as OpenAI chunk events: role, content pieces, the last chunk with the extension, [DONE]."""

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        data = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": MODEL_ID,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
            **extra,
        }
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    words = answer.text.split(" ")
    for i in range(0, len(words), 4):
        yield chunk({"content": " ".join(words[i : i + 4]) + (" " if i + 4 < len(words) else "")})
    yield chunk({}, "stop", quotebot=extension(answer))
    yield "data: [DONE]\n\n"


@routes.get("/models", ModelsOut, "OpenAI-compatible model list: the one model, quotebot", unavailable=False)
def models() -> ResponseReturnValue:
    """List the one model: quotebot's cited answers."""
    return jsonify(
        {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "quotebot"}]}
    )
