"""The UI takes no files: uploads through the mounted Gradio app are refused."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from api.app import create_app
from tests.conftest import live_server, wait_ready


def test_gradio_uploads_are_refused(fixture_settings, fixture_index):
    app = create_app(fixture_settings, with_ui=True)
    with live_server(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        wait_ready(client)
        for route in ("/ui/gradio_api/upload", "/ui/upload"):
            response = client.post(route, files={"files": ("big.bin", b"\0" * 2_000_000)})
            assert response.status_code == 403, (route, response.status_code)
            assert "uploads are disabled" in response.json()["error"]
        assert client.get("/ui/").status_code == 200
        upload_dir = Path(os.environ["GRADIO_TEMP_DIR"])
        assert upload_dir.name.startswith("casegraph-ui-")
        assert not [p for p in upload_dir.rglob("*") if p.is_file() and p.stat().st_size > 1000]
    assert not upload_dir.exists()
