"""Request limits: bodies over ``CASEGRAPH_MAX_BODY_BYTES`` get 413; UI uploads get 403."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


async def refuse(send: Send, status: int, error: str) -> None:
    """Answer with ``{"error": ...}`` and close the connection (the body may be unread)."""
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": json.dumps({"error": error}).encode()})


class BodyLimitMiddleware:
    """Rejects a request whose declared or streamed body exceeds ``limit`` bytes.

    The body is read here first (it is small by definition), so a chunked body over the
    limit is refused with 413 before any handler sees a byte of it; the handler then
    receives the buffered body, and later messages (disconnects) come through untouched.
    """

    def __init__(self, app: ASGIApp, limit: int, exempt_prefixes: tuple[str, ...] = ()):
        self.app = app
        self.limit = limit
        self.exempt = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._reject(send)
            return
        buffered: list[Message] = []
        seen = 0
        while True:
            message = await receive()
            buffered.append(message)
            if message["type"] != "http.request":
                break
            seen += len(message.get("body", b""))
            if seen > self.limit:
                await self._reject(send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return buffered.pop(0) if buffered else await receive()

        await self.app(scope, replay, send)

    async def _reject(self, send: Send) -> None:
        await refuse(send, 413, f"Request body too large: the limit is {self.limit} bytes.")


class NoUploadsMiddleware:
    """Refuses file uploads (multipart bodies) under ``prefix``: the UI needs none."""

    def __init__(self, app: ASGIApp, prefix: str):
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        content_type = dict(scope.get("headers") or []).get(b"content-type", b"")
        if (scope["type"] == "http" and scope["path"].startswith(self.prefix)
                and content_type.lower().startswith(b"multipart/")):
            await refuse(send, 403, "File uploads are disabled: the UI takes no files.")
            return
        await self.app(scope, receive, send)
