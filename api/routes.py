"""HTTP routes. Handlers are sync so FastAPI runs the CPU-bound work in its thread pool."""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

from api.answer import AnswerEngine
from api.followup import Turn
from api.review_llm import design_review
from api.schemas import MAX_TEXT, AskRequest, AskResponse, Health, ReviewRequest, SearchResponse
from api.services import Services
from index import lookups
from index.store import MODES

router = APIRouter()
VERSION_HEADER = "X-Index-Version"
"""Names the index version a search or answer was computed on (one version per request)."""

QueryText = Annotated[str, Query(min_length=1, max_length=MAX_TEXT,
                                 description="Search text (1-1000 characters).",
                                 examples=["how do consumers share partitions"])]
K = Annotated[int, Query(ge=1, le=50, description="Number of results (1-50).")]


def services(request: Request) -> Services:
    return request.app.state.services


def engine(request: Request) -> AnswerEngine:
    return request.app.state.engine


@router.get("/health", response_model=Health, tags=["service"])
def health(request: Request) -> Health:
    """Whether an index is loaded, its counts, model and build time."""
    svc = services(request)
    settings = svc.settings
    if not svc.ready:
        status = "building" if svc.state in ("empty", "building") else "unavailable"
        return Health(status=status, message=svc.message, model=settings.model_name,
                      llm=bool(settings.llm_base_url))
    index = svc.index
    manifest = index.manifest
    return Health(status="ok", message=svc.message, model=manifest.model_name,
                  counts=manifest.counts, built_at=manifest.built_at, version=index.version,
                  store="postgresql" if settings.store_url else "files",
                  llm=bool(settings.llm_base_url))


@router.get("/search", response_model=SearchResponse, tags=["search"])
def search(request: Request, q: QueryText, k: K = 10, study: str | None = None,
           chapter: str | None = None, concept: str | None = None,
           mode: Annotated[str, Query(pattern="^(hybrid|dense|bm25)$")] = "hybrid") -> JSONResponse:
    """Hybrid (BM25 + dense) search over passages, filtered by study, chapter or concept."""
    if not q.strip():
        raise HTTPException(422, "q must not be blank: give some search text")
    assert mode in MODES
    index = services(request).index
    hits = index.search(q.strip(), k=k, study=study, chapter=chapter, concept=concept, mode=mode)
    # Built from typed fields already; skipping response-model re-validation doubles req/s.
    return JSONResponse({"query": q.strip(), "results": [h.to_result() for h in hits]},
                        headers={VERSION_HEADER: index.version})


def _turns(body: AskRequest) -> list[Turn]:
    return [Turn(t.role, t.content) for t in body.history]


@router.post("/ask", response_model=AskResponse, tags=["answers"])
def ask(request: Request, response: Response, body: AskRequest) -> dict:
    """A grounded answer with numbered citations, or ``grounded: false`` when not covered."""
    index = services(request).index
    response.headers[VERSION_HEADER] = index.version
    return engine(request).answer(index, body.question, body.k, _turns(body)).to_dict()


@router.post("/review", tags=["answers"])
def review(request: Request, body: ReviewRequest) -> dict:
    """Design review: the nearest studies to your requirements, their decisions with whether
    your numbers cross each "when to reconsider" trigger, and estimates, all cited."""
    svc = services(request)
    return design_review(svc.index, svc.settings, body.requirements, body.studies).to_dict()


def _sse(event: str, data: object) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.post("/ask/stream", tags=["answers"], response_class=StreamingResponse,
             responses={200: {"content": {"text/event-stream": {}},
                              "description": "Events: token*, [reset], citations, done."}})
def ask_stream(request: Request, body: AskRequest) -> StreamingResponse:
    """The ``/ask`` answer as server-sent events: ``token``s, ``citations``, then ``done``."""
    index = services(request).index
    events = engine(request).stream(index, body.question, body.k, _turns(body))

    def generate() -> Iterator[str]:
        for event, payload in events:
            if event == "token":
                yield _sse("token", {"text": payload})
            elif event == "reset":
                yield _sse("reset", {"reason": payload})
            elif event == "citations":
                yield _sse("citations", {"citations": [asdict(c) for c in payload]})
            elif event == "done":
                yield _sse("done", payload.to_dict())

    return StreamingResponse(generate(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/concepts", tags=["graph"])
def concepts(request: Request, q: Annotated[str | None, Query(max_length=MAX_TEXT)] = None,
             category: str | None = None) -> dict:
    """Concepts matching a name or alias fragment and/or a category, most used first."""
    rows = lookups.list_concepts(services(request).index, q, category)
    return {"count": len(rows), "concepts": rows}


@router.get("/concepts/{concept_id}", tags=["graph"])
def concept(request: Request, concept_id: str) -> dict:
    """Definition, aliases, studies with evidence, related concepts, alternatives."""
    return lookups.concept_detail(services(request).index, concept_id)


@router.get("/studies", tags=["graph"])
def studies(request: Request) -> dict:
    """Every study with its category, scale and declared concepts."""
    rows = lookups.study_summaries(services(request).index)
    return {"count": len(rows), "studies": rows}


@router.get("/studies/{study_id}", tags=["graph"])
def study(request: Request, study_id: str) -> dict:
    """Chapters, concepts, decisions and the most similar studies of one study."""
    return lookups.study_detail(services(request).index, study_id)


@router.get("/studies/{a}/compare/{b}", tags=["graph"])
def compare(request: Request, a: str, b: str) -> dict:
    """Shared concepts of two studies and the decisions where they differ."""
    return lookups.compare_studies(services(request).index, a, b)


@router.get("/graph", tags=["graph"])
def graph(request: Request, concept: Annotated[str, Query(min_length=1, max_length=200)],
          depth: Annotated[int, Query(ge=0, le=3)] = 1,
          limit: Annotated[int, Query(ge=1, le=500, description="At most this many nodes, "
                                      "the most strongly tied kept.")] = 30,
          max_edges: Annotated[int, Query(ge=0, le=5000, description="At most this many "
                                          "edges, the concept's own and the strongest.")] = 60,
          ) -> dict:
    """Node-link JSON of the graph around a concept (documents left out)."""
    index = services(request).index
    found = lookups.resolve_concept(index, concept)
    return index.graph.neighbourhood(found.id, depth, limit, max_edges)


@router.get("/sources/{path:path}", response_class=PlainTextResponse, tags=["sources"])
def source(request: Request, path: str) -> PlainTextResponse:
    """The raw markdown of one source file of the content folder."""
    root = Path(services(request).settings.content_dir).resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root) or ".." in Path(path).parts:
        raise HTTPException(400, "path must name a file inside the content folder (no '..')")
    if target.suffix != ".md" or not target.is_file():
        raise HTTPException(404, f"No markdown source '{path}'. Paths come from search results.")
    return PlainTextResponse(target.read_text(encoding="utf-8"),
                             media_type="text/markdown; charset=utf-8")


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    m = request.app.state.metrics
    return Response(m.render(), media_type=m.content_type)


@router.post("/admin/reindex", tags=["service"])
def reindex(request: Request,
            x_api_key: Annotated[str | None, Header()] = None,
            authorization: Annotated[str | None, Header()] = None) -> dict:
    """Rebuild the index from the content folder and swap it in; in-flight requests finish
    on the old one. Needs ``CASEGRAPH_API_KEY`` set, sent as ``X-API-Key`` or a Bearer token."""
    svc = services(request)
    expected = svc.settings.api_key
    if not expected:
        raise HTTPException(403, "Reindexing over HTTP is disabled: set CASEGRAPH_API_KEY.")
    given = x_api_key or (authorization or "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(401, "Missing or wrong API key (send it as X-API-Key).")
    try:
        report = svc.build(progress=False)
    except RuntimeError as exc:
        raise HTTPException(409, str(exc)) from exc
    request.app.state.metrics.set_index_counts(report.manifest.counts)
    return {"status": "ok", "built_at": report.manifest.built_at,
            "counts": report.manifest.counts, "embedded": report.embedded,
            "reused": report.reused}
