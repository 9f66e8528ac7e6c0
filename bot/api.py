"""The HTTP routes: request validation at the edge, then plain calls into chat and retrieval."""

from __future__ import annotations

import json
from collections.abc import Iterator

from flask import Response, current_app, jsonify, request, stream_with_context
from flask.typing import ResponseReturnValue

from bot import schemas
from bot.answer import Answer, Context
from bot.chat import AskParams
from bot.errors import Conflict, InvalidRequest
from bot.render import Renderer
from bot.routing import Param, Routes, refuse_oversized_streamed_body
from bot.schemas import ArticlesBody, AskRequest, MergeRequest, SpeakerPatch, SplitRequest, VerifyRequest
from bot.services import Services
from bot.validation import check_ask, check_verify, filters_for
from retrieval.errors import LoadError, NotFoundError, StoreUnavailableError
from retrieval.fields import RepeatedIdError, drop_repeats
from retrieval.filters import Filters
from retrieval.identity.corrections import Correction, split_id
from retrieval.ingest import IngestReport
from retrieval.loaders import article_id_for, load_bytes
from retrieval.models import Article

routes = Routes("api", __name__)
routes.blueprint.before_request(refuse_oversized_streamed_body)
BODY_ERRORS = (400, 413, 415, 422)  # what a route with a body may answer besides its own errors
STREAM_EVENTS = (
    "Sent instead of the JSON answer when the request says `Accept: text/event-stream`. Events, in order: "
    "`start` (data: {intent, speaker}), then `token` events (data: {text}: a piece of the answer text, in order), "
    "then `done` (data: the full Answer JSON, citations included). The answer is complete before the stream starts, "
    "so a failure is an ordinary problem+json response, never a half stream: no `error` event is sent."
)


def services() -> Services:
    """Return the process's services (built once by create_app)."""
    svc: Services = current_app.extensions["quotebot"]
    return svc


@routes.post(
    "/ask",
    schemas.AnswerOut,
    "Answer a question; every citation is a verbatim span of a stored article",
    body=AskRequest,
    errors=BODY_ERRORS,
    limited=True,
    cors=True,
    stream=STREAM_EVENTS,
)
def ask(body: AskRequest) -> ResponseReturnValue:
    """Answer a question with citations."""
    svc = services()
    limits = svc.settings.ask
    top_k = check_ask(body, limits)
    filters = filters_for(svc, body.filters)
    context = Context(**body.context.model_dump(exclude_unset=True)) if body.context else None  # type: ignore[typeddict-item]
    answer = svc.chat.ask(AskParams(body.question, top_k, filters, context))
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


@routes.post(
    "/verify",
    schemas.VerdictOut,
    "Check a claimed quote against the sources",
    body=VerifyRequest,
    errors=BODY_ERRORS,
    limited=True,
    cors=True,
)
def verify(body: VerifyRequest) -> ResponseReturnValue:
    """Check a claimed quote against the sources."""
    svc = services()
    check_verify(body, svc.settings.verify)
    return jsonify(svc.verifier.verify_claim(body.quote, body.speaker).to_dict())


@routes.get(
    "/speakers",
    schemas.SpeakersOut,
    "List speakers with statement counts (at most 100)",
    errors=(422,),
    query=(Param("q", "a name or part of one; empty lists everyone", {"type": "string", "maxLength": 200}),),
    cors=True,
)
def list_speakers() -> ResponseReturnValue:
    """List speakers with statement counts, optionally those matching ?q=."""
    svc = services()
    q = (request.args.get("q") or "").strip()
    if len(q) > 200:
        raise InvalidRequest("q is too long; use at most 200 characters")
    found = (svc.speakers.candidates(q) or svc.speakers.suggest(q, 10)) if q else svc.speakers.all()
    # counts with the statements of surname-only twins, as GET /speakers/<id> lists them
    index = svc.speakers
    return jsonify({"speakers": [{**sp.to_dict(), "statement_count": index.statement_count(sp)} for sp in found[:100]]})


@routes.get(
    "/speakers/{speaker_id}",
    schemas.SpeakerDetailOut,
    "One speaker with their statements, each cited verbatim",
    errors=(404,),
    cors=True,
)
def get_speaker(speaker_id: str) -> ResponseReturnValue:
    """Return one speaker with their statements, each cited verbatim."""
    svc = services()
    speaker = svc.store.get_speaker(speaker_id)
    if speaker is None:
        raise NotFoundError("speaker", speaker_id)
    # with the statements of articles that named this person by surname alone ("President Obama")
    twins = [sp.id for sp in svc.speakers.twins(speaker_id)]
    passages = svc.store.get_statements(Filters.speakers([speaker_id, *twins]))
    renderer = Renderer(svc.store)
    statements = []
    for n, p in enumerate(passages, start=1):
        assert p.statement is not None
        statements.append({**p.statement.to_dict(), "citation": renderer.citation(n, p).to_dict()})
    return jsonify({**speaker.to_dict(), "statement_count": len(statements), "statements": statements})


def _corrected(c: Correction) -> ResponseReturnValue:
    """Apply a correction to the index and answer with it and the entities it changed."""
    svc = services()
    changed = svc.store.correct(c)
    svc.speakers.invalidate()
    return jsonify({"correction": c.to_dict(), "speakers": [sp.to_dict() for sp in changed]})


def _known(speaker_id: str) -> None:
    if services().store.get_speaker(speaker_id) is None:
        raise NotFoundError("speaker", speaker_id)


@routes.post(
    "/speakers/{speaker_id}/merge",
    schemas.CorrectedOut,
    "Fold another entity (`source`) into this one: one person (kept across re-ingests and restarts)",
    body=MergeRequest,
    errors=(*BODY_ERRORS, 404, 409),
    auth="key",
    cors=True,
)
def merge_speakers(speaker_id: str, body: MergeRequest) -> ResponseReturnValue:
    """Fold `source` into this entity: one person, one entity, from now on and in every later ingest."""
    if body.source == speaker_id:
        raise Conflict("source is this entity itself; name another speaker id to merge into it")
    _known(body.source)
    _known(speaker_id)
    return _corrected(Correction.new("merge", body.source, target=speaker_id))


@routes.post(
    "/speakers/{speaker_id}/split",
    schemas.CorrectedOut,
    "Split an alias off an entity: statements with that mention become another person's",
    body=SplitRequest,
    errors=(*BODY_ERRORS, 404, 409),
    auth="key",
    cors=True,
)
def split_speaker(speaker_id: str, body: SplitRequest) -> ResponseReturnValue:
    """Move the statements whose mention is `alias` to another entity (named `name`, else the alias)."""
    _known(speaker_id)
    c = Correction.new("split", speaker_id, alias=body.alias, name=body.name or "")
    if split_id(c) == speaker_id:
        raise Conflict(f"the split would keep id {speaker_id!r}; send a 'name' that is another person's")
    return _corrected(c)


@routes.patch(
    "/speakers/{speaker_id}",
    schemas.CorrectedOut,
    "Rename an entity and/or add a role to it",
    body=SpeakerPatch,
    errors=(*BODY_ERRORS, 404),
    auth="key",
    cors=True,
)
def patch_speaker(speaker_id: str, body: SpeakerPatch) -> ResponseReturnValue:
    """Rename an entity and/or add a role to it."""
    if not body.name and not body.add_role:
        raise InvalidRequest("send a new 'name', an 'add_role', or both")
    _known(speaker_id)
    if body.name and body.add_role:
        services().store.correct(Correction.new("rename", speaker_id, name=body.name))
    if body.add_role:
        return _corrected(Correction.new("role", speaker_id, role=body.add_role))
    return _corrected(Correction.new("rename", speaker_id, name=body.name or ""))


@routes.get(
    "/articles/{article_id}",
    schemas.ArticleOut,
    "An article's stored text (what citations index into), metadata and statements",
    errors=(404,),
    cors=True,
)
def get_article(article_id: str) -> ResponseReturnValue:
    """Return an article's stored text (what citations index into) and metadata."""
    store = services().store
    article = store.get_article(article_id)
    if article is None:
        raise NotFoundError("article", article_id)
    statements = [p.statement.to_dict() for p in store.get_statements(Filters(article_id=article_id)) if p.statement]
    return jsonify({**article.to_dict(), "statements": statements})


@routes.post(
    "/articles",
    schemas.IngestOut,
    "Ingest articles: JSON (one, a list, or {articles: [...]}) or uploaded files; idempotent",
    body=ArticlesBody,
    errors=BODY_ERRORS,
    auth="key",
    cors=True,
    uploads=True,
    accepted=schemas.JobOut,
)
def post_articles(body: ArticlesBody | None) -> ResponseReturnValue:
    """Ingest articles from a JSON body (one, a list, or {"articles": [...]}) or uploaded files (body None)."""
    svc = services()
    if body is None:
        uploaded, report = _load_uploads(svc)
        return _ingest_or_queue(svc, uploaded, report)
    # Every record was validated before any is written, so a bad one leaves nothing half-done.
    parsed = body.root
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
    try:  # the loaders' rule: an exact repeat is harmless, two different articles under one id are not
        articles = drop_repeats(articles)
    except RepeatedIdError as exc:
        how = "" if parsed[exc.second].id else " (computed from the url, or the text when there is no url)"
        raise InvalidRequest(
            f"records {exc.first} and {exc.second} are different articles with the same id {exc.article_id!r}{how};"
            " give each its own id",
            extra={"errors": [{"field": f"{exc.second}.id", "message": f"repeats the id of record {exc.first}"}]},
        ) from None
    return _ingest_or_queue(svc, articles, IngestReport())


def _ingest_or_queue(svc: Services, articles: list[Article], report: IngestReport) -> ResponseReturnValue:
    """Ingest inline (200 with the report), or, past jobs.inline_max_articles with a queue, answer 202 with a job."""
    if svc.jobs is not None and svc.jobs.wants_job(len(articles)):
        job_id = svc.jobs.submit(articles, report.failed)
        return jsonify(svc.jobs.status(job_id)), 202, {"Location": f"/jobs/{job_id}"}
    # One ingest over every file's articles, so many small files share encode calls instead of one call per file.
    return jsonify(svc.ingestor.ingest_articles(articles, report).to_dict())


@routes.get(
    "/jobs/{job_id}",
    schemas.JobOut,
    "An ingest job: state, progress, exact counts and each failed file or article by name",
    errors=(404,),
    auth="key",
)
def get_job(job_id: str) -> ResponseReturnValue:
    """Report an ingest job: state, progress, counts and the errors of each file or article by name."""
    svc = services()
    found = svc.jobs.status(job_id) if svc.jobs is not None else None
    if found is None:
        raise NotFoundError("job", job_id)
    return jsonify(found)


def _load_uploads(svc: Services) -> tuple[list[Article], IngestReport]:
    """Load each uploaded file from memory (never a client-named path); a bad file is reported, the rest land."""
    files = request.files.getlist("file") or list(request.files.values())
    if not files:
        raise InvalidRequest("attach one or more files in multipart fields named 'file'")
    report = IngestReport()
    limit = svc.settings.ingest.max_file_bytes
    articles: list[Article] = []
    for upload in files:
        name = (upload.filename or "upload").replace("\\", "/").rsplit("/", 1)[-1]
        try:
            articles += load_bytes(upload.read(limit + 1), name, max_bytes=limit)
        except LoadError as exc:
            report.failed.append((name, exc.reason))
    return articles, report


@routes.delete(
    "/articles/{article_id}",
    schemas.DeleteOut,
    "Remove an article with its chunks and statements",
    errors=(404,),
    auth="key",
    cors=True,
)
def delete_article(article_id: str) -> ResponseReturnValue:
    """Remove an article with its chunks and statements."""
    svc = services()
    if not svc.ingestor.delete(article_id):
        raise NotFoundError("article", article_id)
    return jsonify({"deleted": True, "id": article_id})


@routes.get("/ready", schemas.ReadyOut, "Readiness: the store answers and the model is loaded", auth="none", cors=True)
def ready() -> ResponseReturnValue:
    """Say whether the store answers and the model is loaded (503 otherwise), and whether a repair is due."""
    svc = services()
    if not svc.store.ping():
        raise StoreUnavailableError("the store did not answer a heartbeat")
    # Unfinished writes are never cited, but they hide their articles until `quotebot repair` or a re-ingest.
    unfinished = svc.store.incomplete_count()
    body: dict[str, object] = {"status": "ready", "store": True, "model": svc.embedder.dimension > 0}
    body["unfinished_articles"] = unfinished
    if unfinished:
        body["repair"] = "run `quotebot repair` to finish interrupted writes and deletes"
    return jsonify(body)


@routes.get("/health", schemas.HealthOut, "Liveness with the index counts", auth="none", cors=True)
def health() -> ResponseReturnValue:
    """Return liveness with the index counts."""
    return jsonify({"status": "ok", "counts": services().store.counts().to_dict()})
