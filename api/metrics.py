"""Prometheus metrics: requests and latency per route, and the size of the loaded index."""

from __future__ import annotations

import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Metrics:
    """One registry per app, so several apps (tests) never collide."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("casegraph_requests_total", "HTTP requests",
                                ["route", "method", "status"], registry=self.registry)
        self.latency = Histogram("casegraph_request_seconds", "HTTP request latency",
                                 ["route", "method"], registry=self.registry,
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
        self.index_size = Gauge("casegraph_index_items", "Items in the loaded index",
                                ["kind"], registry=self.registry)

    def set_index_counts(self, counts: dict[str, int]) -> None:
        for kind, value in counts.items():
            self.index_size.labels(kind=kind).set(value)

    def render(self) -> bytes:
        return generate_latest(self.registry)


METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"
OTHER_METHOD = "other"


class MetricsMiddleware:
    """Times every HTTP request under its route template (``/concepts/{concept_id}``).

    Labels stay bounded whatever clients send: a path no route matches is ``unmatched``
    (``<mount>/*`` inside a mounted app such as the UI), a method outside the standard
    ones is ``other``.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}
        root = scope.get("root_path", "")

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = _route_label(scope, root)
            method = scope["method"] if scope["method"] in METHODS else OTHER_METHOD
            self.metrics.requests.labels(route, method, str(status["code"])).inc()
            self.metrics.latency.labels(route, method).observe(time.perf_counter() - started)


def _route_label(scope: Scope, root: str) -> str:
    """The matched route's template, prefixed by the mount it sits in."""
    mount = scope.get("root_path", "")[len(root):]
    template = getattr(scope.get("route"), "path", None)
    if template is not None:
        return mount + template
    return f"{mount}/*" if mount else UNMATCHED
