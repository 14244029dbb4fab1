"""``casegraph serve``: one uvicorn process serving the API and the UI."""

from __future__ import annotations

import logging

import uvicorn

from api.app import create_app
from index.settings import Settings


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
