"""The FastAPI app factory: routes, error mapping, middleware, start-up, and the UI at /ui."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
import warnings
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.answer import AnswerEngine
from api.docs import FAVICON, install_docs
from api.jobs import ReindexJobs
from api.limits import BodyLimitMiddleware, NoUploadsMiddleware
from api.metrics import Metrics, MetricsMiddleware
from api.routes import router
from api.services import IndexNotReady, Services
from index.lookups import NotFound
from index.manifest import IndexLoadError
from index.settings import Settings
from index.store import FilterError
from ingest.errors import IngestError
from ingest.pipeline import IngestReport

log = logging.getLogger("casegraph")


def _error(status: int, message: str, **extra: object) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
            problems.append({"field": where, "message": message})
        summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        return _error(422, f"Invalid request: {summary}", detail=problems)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(IndexNotReady)
    async def not_ready(_: Request, exc: IndexNotReady) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=503, headers={"Retry-After": "10"})

    @app.exception_handler(NotFound)
    async def not_found(_: Request, exc: NotFound) -> JSONResponse:
        return _error(404, str(exc), suggestions=exc.suggestions)

    @app.exception_handler(FilterError)
    async def bad_filter(_: Request, exc: FilterError) -> JSONResponse:
        return _error(422, str(exc), field=exc.field, suggestions=exc.suggestions)

    @app.exception_handler(IngestError)
    async def ingest_failed(_: Request, exc: IngestError) -> JSONResponse:
        return _error(500, f"Building the index failed: {exc}")


def _warm_answers(app: FastAPI, svc: Services) -> None:
    """Embed the loaded index's sentences for offline answers, in a background thread."""
    if not svc.settings.warm_sentences or not svc.ready:
        return
    index, engine = svc.index, app.state.engine

    def run() -> None:
        started = time.perf_counter()
        embedded = engine.warm(index, svc.stopping)
        log.info("casegraph answer sentences ready: %d held, %d of them embedded now, in %.1fs",
                 engine.similarity(index).cached, embedded, time.perf_counter() - started)

    threading.Thread(target=run, name="casegraph-warm", daemon=True).start()


def _start_index(app: FastAPI, svc: Services, metrics: Metrics, background: bool) -> None:
    """Load the index, or build it first; in the background so routes can answer 503 meanwhile."""

    def run() -> None:
        try:
            svc.open_or_build(progress=False,
                              on_stage=lambda stage: log.info("casegraph build: %s", stage))
            metrics.set_index_counts(svc.index.manifest.counts)
            log.info("casegraph index ready: %s", svc.index.manifest.counts)
            _warm_answers(app, svc)
        except Exception as exc:
            if not svc.keyword_only:
                _failed(svc, exc)
                return
            # the keyword answers stay; the services' message says why the vectors are missing
            log.error("casegraph semantic index unavailable, serving keyword search: %s", exc)

    if background:
        threading.Thread(target=run, name="casegraph-index", daemon=True).start()
    else:
        run()


def _failed(svc: Services, exc: Exception) -> None:
    """Report a start-up that left nothing to serve (never leave the server "building")."""
    if isinstance(exc, IndexLoadError | IngestError):
        svc.state, svc.message = "failed", str(exc)
        log.error("casegraph index unavailable: %s", exc)
        return
    svc.state = "failed"
    svc.message = f"The index could not be loaded ({type(exc).__name__}); see the server log."
    log.error("casegraph index unavailable", exc_info=exc)


def _private_upload_dir() -> Path:
    """A temporary folder of this app's own for Gradio's file cache, removed at shutdown.

    The UI takes no uploads (``NoUploadsMiddleware``); whatever Gradio caches goes here
    rather than into the folder every Gradio app on the machine shares."""
    folder = Path(tempfile.mkdtemp(prefix="casegraph-ui-"))
    os.environ["GRADIO_TEMP_DIR"] = str(folder)
    return folder


def create_app(settings: Settings | None = None, with_ui: bool = True,
               background_start: bool = True) -> FastAPI:
    """A complete casegraph app; ``background_start=False`` loads the index before serving."""
    settings = settings or Settings()
    svc = Services(settings)
    metrics = Metrics()

    upload_dir = _private_upload_dir() if with_ui else None

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        _start_index(app, svc, metrics, background_start)
        svc.watch()
        yield
        svc.close()
        if upload_dir is not None:
            shutil.rmtree(upload_dir, ignore_errors=True)

    app = FastAPI(
        title="casegraph",
        description="Knowledge-graph search and grounded Q&A over system-design case studies.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    install_docs(app)
    app.state.services = svc
    app.state.engine = AnswerEngine(settings)
    app.state.metrics = metrics

    def reindexed(report: IngestReport) -> None:
        metrics.set_index_counts(report.manifest.counts)
        _warm_answers(app, svc)

    app.state.jobs = ReindexJobs(svc, reindexed)
    _install_error_handlers(app)
    app.include_router(router)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins,
                           allow_methods=["GET", "POST"], allow_headers=["*"])
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_body_bytes, exempt_prefixes=("/ui",))
    app.add_middleware(NoUploadsMiddleware, prefix="/ui")
    app.add_middleware(MetricsMiddleware, metrics=metrics)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/ui/" if with_ui else "/docs")

    if with_ui:
        import gradio as gr

        from ui.app import build_ui

        with warnings.catch_warnings():  # the favicon is served at /ui too, despite the warning
            warnings.filterwarnings("ignore", message="The 'favicon_path' parameter")
            gr.mount_gradio_app(app, build_ui(svc, app.state.engine), path="/ui",
                                max_file_size=1, favicon_path=str(FAVICON))
    return app
