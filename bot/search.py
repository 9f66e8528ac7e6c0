"""POST /search: raw retrieval of statements or chunks, each as a verbatim citation (for retrievers and tools)."""

from __future__ import annotations

from flask import jsonify
from flask.typing import ResponseReturnValue

from bot.api import BODY_ERRORS, services
from bot.compat_schemas import SearchHitOut, SearchOut, SearchRequest
from bot.render import Renderer
from bot.routing import Routes
from bot.services import Services
from bot.validation import check_length, check_top_k, filters_for
from retrieval.models import Passage
from retrieval.search import Filters

routes = Routes("search", __name__)


def search_hits(svc: Services, query: str, kind: str, top_k: int, filters: Filters) -> list[SearchHitOut]:
    """Search statements or chunks; cite each the way /ask does (a statement with its whole sentence)."""
    renderer = Renderer(svc.store)
    passages: list[Passage]
    if kind == "chunks":
        passages = svc.searcher.passages(query, top_k, filters)
    else:
        passages = svc.searcher.statements(query, top_k, filters)
    hits = []
    for n, p in enumerate(passages, start=1):
        cit = renderer.citation(n, p) if p.statement else p.cite(n)
        st = p.statement
        hits.append(
            SearchHitOut(
                **cit.to_dict(),
                kind=st.kind if st else "chunk",
                speaker_id=st.speaker_id if st else None,
            )
        )
    return hits


@routes.post(
    "/search",
    SearchOut,
    "Statements or article chunks nearest in meaning to a query, each a verbatim citation",
    body=SearchRequest,
    errors=BODY_ERRORS,
    limited=True,
)
def search(body: SearchRequest) -> ResponseReturnValue:
    """Return the statements or chunks nearest in meaning to a query, as verbatim citations."""
    svc = services()
    limits = svc.settings.ask
    check_length("query", body.query, limits.max_question_chars)
    top_k = check_top_k(body.top_k, limits)
    hits = search_hits(svc, body.query, body.kind, top_k, filters_for(svc, body.filters))
    return jsonify(SearchOut(results=hits).model_dump(mode="json"))
