"""``casegraph serve``: uvicorn serving the API and the UI, in one or several processes."""

from __future__ import annotations

import logging
import os

import uvicorn
from fastapi import FastAPI

from api.app import create_app
from index.settings import Settings


def worker_app() -> FastAPI:
    """The app of one worker process; its settings come from the ``CASEGRAPH_*`` environment."""
    return create_app(Settings())


def quiet_logs() -> None:
    """A server log of one line per event: no progress bars (tqdm, the model loader's) and no
    library debug lines; build progress is in /health instead."""
    os.environ.setdefault("TQDM_DISABLE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    import bm25s  # noqa: F401  (it sets its logger to DEBUG when imported)

    logging.getLogger("bm25s").setLevel(logging.WARNING)


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Serve until interrupted. With ``workers > 1`` the index is built first when there is
    none, then each worker process loads it read-only and follows new versions."""
    quiet_logs()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
        return
    from api.services import Services

    logging.warning("casegraph: with %d workers the HTTP API scales, but the web UI at /ui keeps "
                    "each page's session in one process and can lose answers here; serve the "
                    "UI from single-worker replicas behind a proxy with session affinity "
                    "(README, Scaling out)", workers)
    services = Services(settings)
    if services.backend.active_version() is None:
        services.build(progress=False,
                       on_stage=lambda stage: logging.info("casegraph build: %s", stage))
    os.environ["CASEGRAPH_INDEX_DIR"] = str(settings.index_dir)
    os.environ["CASEGRAPH_CONTENT_DIR"] = str(settings.content_dir)
    uvicorn.run("api.server:worker_app", factory=True, host=host, port=port, workers=workers,
                log_level="info")
