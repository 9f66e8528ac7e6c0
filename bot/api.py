"""The HTTP routes: request validation at the edge, then plain calls into chat and retrieval."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, jsonify, request, stream_with_context
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, TypeAdapter

from bot.chat import AskParams
from bot.errors import Conflict, InvalidRequest, UnsupportedMediaType
from bot.render import Renderer
from bot.schemas import ArticleIn, AskRequest, MergeRequest, SpeakerPatch, SplitRequest, VerifyRequest
from bot.security import require_key, require_key_for_reads
from bot.services import Services
from retrieval.errors import LoadError, NotFoundError, StoreUnavailableError
from retrieval.identity.corrections import Correction
from retrieval.ingest import IngestReport
from retrieval.loaders import article_id_for, load_bytes
from retrieval.models import Answer, Article
from retrieval.search import Filters

bp = Blueprint("api", __name__)
_ARTICLES = TypeAdapter(list[ArticleIn])
M = TypeVar("M", bound=BaseModel)


def services() -> Services:
    """Return the process's services (built once by create_app)."""
    svc: Services = current_app.extensions["quotebot"]
    return svc


def parse_json(model: type[M]) -> M:
    """Parse and validate the JSON body as `model`, or raise an error that says what to fix."""
    if not request.is_json:
        raise UnsupportedMediaType(
            f"send the body as JSON with 'Content-Type: application/json' (got {request.mimetype or 'none'!r})"
        )
    body: Any = request.get_json(silent=True)
    if body is None:
        raise InvalidRequest(
            "the body is not valid JSON", extra={"errors": [{"field": "body", "message": "invalid JSON"}]}
        )
    if not isinstance(body, dict):
        raise InvalidRequest("the body must be a JSON object")
    return model.model_validate(body)


def _check_length(field: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise InvalidRequest(
            f"{field} is {len(value)} characters long; shorten it to at most {limit}",
            extra={"errors": [{"field": field, "message": f"at most {limit} characters"}]},
        )


@bp.post("/ask")
@require_key_for_reads
def ask() -> ResponseReturnValue:
    """Answer a question with citations."""
    svc = services()
    limits = svc.settings["ask"]
    body = parse_json(AskRequest)
    _check_length("question", body.question, limits["max_question_chars"])
    top_k = body.top_k or limits["top_k"]
    if top_k > limits["max_top_k"]:
        raise InvalidRequest(
            f"top_k is {top_k}; use a value from 1 to {limits['max_top_k']}",
            extra={"errors": [{"field": "top_k", "message": f"at most {limits['max_top_k']}"}]},
        )
    f = body.filters
    speaker_id = None
    also: tuple[str, ...] = ()
    if f and f.speaker:
        lookup = svc.speakers.lookup(f.speaker)
        if len(lookup.found) > 1:
            names = "; ".join(f"{sp.id} ({', '.join(sp.roles[:2]) or sp.kind})" for sp in lookup.found[:10])
            raise InvalidRequest(f"filters.speaker: {f.speaker!r} fits several speakers, name one by id: {names}")
        if lookup.one is None:
            raise InvalidRequest(f"filters.speaker: no known speaker matches {f.speaker!r}; see GET /speakers?q=")
        speaker_id = lookup.one.id
        also = tuple(sp.id for sp in lookup.spokespeople)
    filters = Filters(
        article_id=f.article_id if f else None,
        since=f.since.isoformat() if f and f.since else None,
        until=f.until.isoformat() if f and f.until else None,
        speaker_id=speaker_id,
        also_speakers=also,
    )
    answer = svc.chat.ask(AskParams(body.question, top_k, filters, body.context))
    if request.accept_mimetypes.best_match(["application/json", "text/event-stream"]) == "text/event-stream":
        return Response(
            stream_with_context(_stream(answer)),
            mimetype="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    return jsonify(answer.to_dict())


def _event(name: str, data: object) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _stream(answer: Answer) -> Iterator[str]:
    """Yield the answer as typed SSE events: start, token..., done (the full JSON answer)."""
    yield _event("start", {"intent": answer.intent, "speaker": answer.speaker})
    words = answer.text.split(" ")
    for i in range(0, len(words), 4):
        piece = " ".join(words[i : i + 4]) + (" " if i + 4 < len(words) else "")
        yield _event("token", {"text": piece})
    yield _event("done", answer.to_dict())


@bp.post("/verify")
@require_key_for_reads
def verify() -> ResponseReturnValue:
    """Check a claimed quote against the sources."""
    svc = services()
    body = parse_json(VerifyRequest)
    _check_length("quote", body.quote, svc.settings["verify"]["max_quote_chars"])
    return jsonify(svc.verifier.verify_claim(body.quote, body.speaker).to_dict())


@bp.get("/speakers")
def list_speakers() -> ResponseReturnValue:
    """List speakers with statement counts, optionally those matching ?q=."""
    svc = services()
    q = (request.args.get("q") or "").strip()
    if len(q) > 200:
        raise InvalidRequest("q is too long; use at most 200 characters")
    found = (svc.speakers.candidates(q) or svc.speakers.suggest(q, 10)) if q else svc.speakers.all()
    return jsonify({"speakers": [sp.to_dict() for sp in found[:100]]})


@bp.get("/speakers/<speaker_id>")
def get_speaker(speaker_id: str) -> ResponseReturnValue:
    """Return one speaker with their statements, each cited verbatim."""
    svc = services()
    speaker = svc.store.get_speaker(speaker_id)
    if speaker is None:
        raise NotFoundError("speaker", speaker_id)
    passages = svc.store.get_statements({"speaker_id": speaker_id})
    renderer = Renderer(svc.store)
    statements = []
    for n, p in enumerate(passages, start=1):
        assert p.statement is not None
        statements.append({**p.statement.to_dict(), "citation": renderer.citation(n, p).to_dict()})
    return jsonify({**speaker.to_dict(), "statements": statements})


def _corrected(c: Correction) -> ResponseReturnValue:
    """Apply a correction to the index and answer with it and the entities it changed."""
    svc = services()
    changed = svc.store.correct(c)
    svc.speakers.invalidate()
    return jsonify({"correction": c.to_dict(), "speakers": [sp.to_dict() for sp in changed]})


def _known(speaker_id: str) -> None:
    if services().store.get_speaker(speaker_id) is None:
        raise NotFoundError("speaker", speaker_id)


@bp.post("/speakers/<speaker_id>/merge")
@require_key
def merge_speakers(speaker_id: str) -> ResponseReturnValue:
    """Fold `source` into this entity: one person, one entity, from now on and in every later ingest."""
    body = parse_json(MergeRequest)
    if body.source == speaker_id:
        raise Conflict("source is this entity itself; name another speaker id to merge into it")
    _known(body.source)
    _known(speaker_id)
    return _corrected(Correction.new("merge", body.source, target=speaker_id))


@bp.post("/speakers/<speaker_id>/split")
@require_key
def split_speaker(speaker_id: str) -> ResponseReturnValue:
    """Move the statements whose mention is `alias` to another entity (named `name`, else the alias)."""
    body = parse_json(SplitRequest)
    _known(speaker_id)
    return _corrected(Correction.new("split", speaker_id, alias=body.alias, name=body.name or ""))


@bp.patch("/speakers/<speaker_id>")
@require_key
def patch_speaker(speaker_id: str) -> ResponseReturnValue:
    """Rename an entity and/or add a role to it."""
    body = parse_json(SpeakerPatch)
    if not body.name and not body.add_role:
        raise InvalidRequest("send a new 'name', an 'add_role', or both")
    _known(speaker_id)
    if body.name and body.add_role:
        services().store.correct(Correction.new("rename", speaker_id, name=body.name))
    if body.add_role:
        return _corrected(Correction.new("role", speaker_id, role=body.add_role))
    return _corrected(Correction.new("rename", speaker_id, name=body.name or ""))


@bp.get("/articles/<article_id>")
def get_article(article_id: str) -> ResponseReturnValue:
    """Return an article's stored text (what citations index into) and metadata."""
    store = services().store
    article = store.get_article(article_id)
    if article is None:
        raise NotFoundError("article", article_id)
    statements = [p.statement.to_dict() for p in store.get_statements({"article_id": article_id}) if p.statement]
    return jsonify({**article.to_dict(), "statements": statements})


@bp.post("/articles")
@require_key
def post_articles() -> ResponseReturnValue:
    """Ingest articles from a JSON body (one, a list, or {"articles": [...]}) or uploaded files."""
    svc = services()
    if request.mimetype == "multipart/form-data":
        return jsonify(_ingest_uploads(svc).to_dict())
    if not request.is_json:
        raise UnsupportedMediaType("send articles as application/json or files as multipart/form-data")
    body: Any = request.get_json(silent=True)
    if body is None:
        raise InvalidRequest("the body is not valid JSON")
    if isinstance(body, dict) and set(body) == {"articles"}:
        body = body["articles"]
        if not isinstance(body, list):
            raise InvalidRequest('"articles" must be a list of article objects: {"articles": [{"text": ...}]}')
    records = body if isinstance(body, list) else [body]
    if not records or not all(isinstance(r, dict) for r in records):
        raise InvalidRequest('send an article object, a non-empty list of them, or {"articles": [...]}')
    # Validate every record before writing any, so a bad one leaves nothing half-done.
    parsed = _ARTICLES.validate_python(records)
    articles = [
        Article(
            id=a.id or article_id_for(a.text, a.url),
            text=a.text.strip(),
            title=a.title,
            url=a.url,
            source=a.source,
            published=a.published,
            byline=a.byline,
        )
        for a in parsed
    ]
    return jsonify(svc.ingestor.ingest_articles(articles).to_dict())


def _ingest_uploads(svc: Services) -> IngestReport:
    """Load each uploaded file from memory (never a client-named path); a bad file is reported, the rest land."""
    files = request.files.getlist("file") or list(request.files.values())
    if not files:
        raise InvalidRequest("attach one or more files in multipart fields named 'file'")
    report = IngestReport()
    limit = svc.settings["ingest"]["max_file_bytes"]
    for upload in files:
        name = (upload.filename or "upload").replace("\\", "/").rsplit("/", 1)[-1]
        try:
            articles = load_bytes(upload.read(limit + 1), name, max_bytes=limit)
        except LoadError as exc:
            report.failed.append((name, exc.reason))
            continue
        svc.ingestor.ingest_articles(articles, report)
    return report


@bp.delete("/articles/<article_id>")
@require_key
def delete_article(article_id: str) -> ResponseReturnValue:
    """Remove an article with its chunks and statements."""
    svc = services()
    if not svc.store.delete_article(article_id):
        raise NotFoundError("article", article_id)
    svc.speakers.invalidate()
    return jsonify({"deleted": True, "id": article_id})


@bp.get("/ready")
def ready() -> ResponseReturnValue:
    """Say whether the store answers and the model is loaded (503 otherwise)."""
    svc = services()
    if not svc.store.ping():
        raise StoreUnavailableError("the store did not answer a heartbeat")
    return jsonify({"status": "ready", "store": True, "model": svc.embedder.dimension > 0})


@bp.get("/health")
def health() -> ResponseReturnValue:
    """Return liveness with the index counts."""
    return jsonify({"status": "ok", "counts": services().store.counts().to_dict()})
