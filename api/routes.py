"""HTTP routes. Handlers are sync so FastAPI runs the CPU-bound work in its thread pool."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

from api.answer import AnswerEngine
from api.followup import Turn
from api.jobs import JobRunning
from api.review_llm import design_review
from api.schemas import (
    MAX_TEXT,
    AskRequest,
    AskResponse,
    BuildStatus,
    Health,
    ReviewRequest,
    SearchResponse,
)
from api.services import Services
from index import lookups
from index.store import Index
from index.stores import MODES

router = APIRouter()
VERSION_HEADER = "X-Index-Version"
"""Names the index version a search or answer was computed on (one version per request)."""
log = logging.getLogger("casegraph")

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
    """Whether an index is loaded, what it holds (as loaded, not as claimed), model, build time."""
    svc = services(request)
    settings = svc.settings
    progress = svc.progress
    build = None if progress is None else BuildStatus(**asdict(progress))
    if not svc.ready:
        status = "building" if svc.state in ("empty", "building") else "unavailable"
        return Health(status=status, message=svc.message, build=build,
                      model=settings.model_name, llm=bool(settings.llm_base_url))
    index = svc.index
    manifest = index.manifest
    counts = {**manifest.counts, **index.loaded_counts}
    return Health(status="keyword-only" if index.keyword_only else "ok", message=svc.message,
                  build=build, model=manifest.model_name, counts=counts,
                  dimension=manifest.dimension, built_at=manifest.built_at,
                  build_seconds=manifest.build_seconds, version=index.version,
                  store="postgresql" if settings.store_url else "files",
                  llm=bool(settings.llm_base_url))


router.add_api_route("/health", health, methods=["HEAD"], include_in_schema=False)


@router.get("/search", response_model=SearchResponse, tags=["search"])
def search(request: Request, q: QueryText, k: K = 10, study: str | None = None,
           chapter: str | None = None, concept: str | None = None,
           mode: Annotated[str, Query(pattern="^(hybrid|dense|bm25)$")] = "hybrid") -> JSONResponse:
    """Hybrid (BM25 + dense) search over passages, filtered by study, chapter or concept."""
    if not q.strip():
        raise HTTPException(422, "q must not be blank: give some search text")
    assert mode in MODES
    svc = services(request)
    index = svc.index
    hits = index.search(q.strip(), k=k, study=study, chapter=chapter, concept=concept, mode=mode)
    # Built from typed fields already; skipping response-model re-validation doubles req/s.
    return JSONResponse({"query": q.strip(), "results": [h.to_result() for h in hits],
                         **_keyword_only(svc, index)},
                        headers={VERSION_HEADER: index.version})


def _keyword_only(svc: Services, index: Index) -> dict:
    """The ``keyword_only`` flag of a response computed on ``index``, and its notice."""
    if not index.keyword_only:
        return {"keyword_only": False, "notice": ""}
    return {"keyword_only": True, "notice": svc.keyword_notice()}


def _turns(body: AskRequest) -> list[Turn]:
    return [Turn(t.role, t.content) for t in body.history]


@router.post("/ask", response_model=AskResponse, tags=["answers"])
def ask(request: Request, response: Response, body: AskRequest) -> dict:
    """A grounded answer with numbered citations, or ``grounded: false`` when not covered."""
    svc = services(request)
    index = svc.index
    response.headers[VERSION_HEADER] = index.version
    answer = engine(request).answer(index, body.question, body.k, _turns(body)).to_dict()
    flag = _keyword_only(svc, index)
    if flag["keyword_only"]:
        answer["notice"] = " ".join(filter(None, [answer["notice"], flag["notice"]]))
    return {**answer, "keyword_only": flag["keyword_only"]}


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
                              "description": "Events: token*, [reset], citations, done; or error."}})
def ask_stream(request: Request, body: AskRequest) -> StreamingResponse:
    """The ``/ask`` answer as server-sent events: ``token``s, ``citations``, then ``done``."""
    index = services(request).index
    events = engine(request).stream(index, body.question, body.k, _turns(body))

    def generate() -> Iterator[str]:
        try:
            for event, payload in events:
                if event == "token":
                    yield _sse("token", {"text": payload})
                elif event == "reset":
                    yield _sse("reset", {"reason": payload})
                elif event == "citations":
                    yield _sse("citations", {"citations": [asdict(c) for c in payload]})
                elif event == "done":
                    yield _sse("done", {**payload.to_dict(),
                                        "keyword_only": index.keyword_only})
        except Exception:  # the 200 header is sent: end the stream with an error event
            log.exception("answer stream failed")
            yield _sse("error", {"error": "The answer failed on the server; try again."})

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


MAX_SOURCE_PATH_BYTES = 1024
MAX_NAME_BYTES = 255


@router.get("/sources/{path:path}", response_class=PlainTextResponse, tags=["sources"])
def source(request: Request, path: str) -> PlainTextResponse:
    """The raw markdown of one source file of the loaded index (paths as search returns them)."""
    parts = path.split("/")
    if (any(ch < " " or ch == "\x7f" for ch in path)
            or len(path.encode()) > MAX_SOURCE_PATH_BYTES
            or any(len(part.encode()) > MAX_NAME_BYTES for part in parts)):
        raise HTTPException(400, "path must be a content-relative file name without control "
                                 f"characters, at most {MAX_SOURCE_PATH_BYTES} bytes and "
                                 f"{MAX_NAME_BYTES} bytes per name")
    if ".." in parts or path.startswith("/"):
        raise HTTPException(400, "path must name a file inside the content folder (no '..')")
    svc = services(request)
    missing = HTTPException(404, f"No markdown source '{path}'. Paths come from search results.")
    if path not in svc.index.manifest.content_hashes:
        raise missing
    root = Path(svc.settings.content_dir).resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root):
        raise HTTPException(400, "path must name a file inside the content folder")
    try:
        text = target.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise missing from exc
    return PlainTextResponse(text, media_type="text/markdown; charset=utf-8")


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    m = request.app.state.metrics
    return Response(m.render(), media_type=m.content_type)


def _authorize(request: Request, x_api_key: str | None, authorization: str | None) -> None:
    """Admin routes need ``CASEGRAPH_API_KEY`` set, sent as ``X-API-Key`` or a Bearer token."""
    expected = services(request).settings.api_key
    if not expected:
        raise HTTPException(403, "Reindexing over HTTP is disabled: set CASEGRAPH_API_KEY.")
    given = x_api_key or (authorization or "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(401, "Missing or wrong API key (send it as X-API-Key).")


@router.post("/admin/reindex", status_code=202, tags=["service"])
def reindex(request: Request,
            x_api_key: Annotated[str | None, Header()] = None,
            authorization: Annotated[str | None, Header()] = None) -> JSONResponse:
    """Start rebuilding the index from the content folder; answers 202 with a job to poll at
    ``GET /admin/reindex/{job_id}``. The new index is swapped in when it is complete, and
    in-flight requests finish on the old one. Needs ``CASEGRAPH_API_KEY``."""
    _authorize(request, x_api_key, authorization)
    try:
        job = request.app.state.jobs.start()
    except JobRunning as exc:
        return JSONResponse({"error": str(exc), "job": exc.job.to_dict()}, status_code=409)
    url = f"/admin/reindex/{job.id}"
    return JSONResponse({**job.to_dict(), "status_url": url}, status_code=202,
                        headers={"Location": url})


@router.get("/admin/reindex/{job_id}", tags=["service"])
def reindex_status(request: Request, job_id: str,
                   x_api_key: Annotated[str | None, Header()] = None,
                   authorization: Annotated[str | None, Header()] = None) -> dict:
    """State of a reindex job: running (with its stage), done (with counts) or failed."""
    _authorize(request, x_api_key, authorization)
    job = request.app.state.jobs.get(job_id)
    if job is None:
        raise HTTPException(404, f"No reindex job '{job_id[:40]}' (the last 20 are kept).")
    return job.to_dict()
