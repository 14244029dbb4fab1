"""The CLI's client of a running casegraph server (``CASEGRAPH_SERVER_URL``): search, ask,
concept and stats over HTTP, so a command loads neither the index nor the model."""

from __future__ import annotations

from urllib.parse import quote


class ServerUnreachable(ConnectionError):
    """No casegraph server answers at the configured URL."""


class ServerRefused(ValueError):
    """The server refused the request (HTTP 4xx); the message says what to fix."""


class ServerFailed(RuntimeError):
    """The server answered with an error of its own (HTTP 5xx, or not JSON)."""


class Remote:
    """Calls the routes of one casegraph server and returns their JSON."""

    def __init__(self, base_url: str, timeout: float = 120.0):
        import httpx

        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(base_url=self.base_url, timeout=timeout)

    def _json(self, method: str, path: str, **kwargs: object) -> dict:
        import httpx

        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ServerUnreachable(
                f"cannot reach the casegraph server at {self.base_url} ({exc}); start it with "
                "`casegraph serve`, or unset CASEGRAPH_SERVER_URL to use the local index"
            ) from exc
        try:
            data = response.json()
        except ValueError as exc:
            raise ServerFailed(f"{self.base_url}{path} answered {response.status_code} "
                               "without JSON; is it a casegraph server?") from exc
        if 400 <= response.status_code < 500:
            raise ServerRefused(data.get("error", response.reason_phrase))
        if response.status_code >= 500:
            raise ServerFailed(f"the server at {self.base_url} answered "
                               f"{response.status_code}: {data.get('error', '')}")
        return data

    def search(self, query: str, k: int, study: str | None, chapter: str | None,
               concept: str | None, mode: str) -> dict:
        """``GET /search``."""
        params = {"q": query, "k": k, "mode": mode, "study": study, "chapter": chapter,
                  "concept": concept}
        return self._json("GET", "/search", params={n: v for n, v in params.items() if v})

    def ask(self, question: str, k: int) -> dict:
        """``POST /ask``."""
        return self._json("POST", "/ask", json={"question": question, "k": k})

    def concept(self, name: str) -> dict:
        """``GET /concepts/{name}``."""
        return self._json("GET", f"/concepts/{quote(name, safe='')}")

    def health(self) -> dict:
        """``GET /health``."""
        return self._json("GET", "/health")
