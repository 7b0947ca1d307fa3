"""Request ids and structured access logs: one JSON line per request, written off the event loop.

The request path only puts a tuple on a queue; a writer thread formats the lines and writes them in
batches, so logging costs the hot path about a microsecond (see benchmarks/results/dereference.md).
``X-Request-Id`` is echoed when the client sends a sane one, otherwise generated.
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import re
import sys
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import IO, Any

from fastapi import FastAPI

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

REQUEST_ID = b"x-request-id"
_SANE_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")
_Record = tuple[float, bytes, str, str, int, float]


class RequestIds:
    """Short unique ids: a random per-process prefix and a counter (cheaper than a UUID per request)."""

    def __init__(self) -> None:
        self._prefix = os.urandom(4).hex().encode() + b"-"
        self._counter = itertools.count(1)

    def take(self, incoming: bytes | None) -> bytes:
        if incoming and _SANE_ID.match(incoming):
            return incoming
        return self._prefix + str(next(self._counter)).encode()


class AccessLog:
    """Queue-backed JSON-lines access log. ``record`` never blocks and never raises."""

    def __init__(self, stream: IO[str] | None = None, enabled: bool = True) -> None:
        self.enabled = enabled
        self.ids = RequestIds()
        self._stream = stream or sys.stderr
        self._queue: queue.SimpleQueue[_Record | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.enabled and self._thread is None:
            self._thread = threading.Thread(target=self._write_loop, name="access-log", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=5)
            self._thread = None

    def record(self, request_id: bytes, method: str, path: str, status: int, started: float) -> None:
        if self.enabled:
            self._queue.put((time.time(), request_id, method, path, status, time.perf_counter() - started))

    def _write_loop(self) -> None:
        while True:
            item = self._queue.get()
            # Wake at most every 50 ms and write a batch: a wake-up per request costs the event loop a
            # thread switch (and the GIL) on every request.
            time.sleep(0.05)
            lines = []
            stop = False
            while True:
                if item is None:
                    stop = True
                else:
                    lines.append(format_line(item))
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if lines:
                try:
                    self._stream.write("".join(lines))
                    self._stream.flush()
                except (OSError, ValueError):
                    pass
            if stop:
                return


_stamp_cache: tuple[int, str] = (-1, "")


def format_line(record: _Record) -> str:
    """One JSON line. Hand-built: json.dumps of a dict and strftime per line cost the GIL ~15 µs."""
    global _stamp_cache  # a one-entry memo of the formatted second, used only by the writer thread
    ts, request_id, method, path, status, seconds = record
    second = int(ts)
    if _stamp_cache[0] != second:
        _stamp_cache = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
    # request ids are checked against _SANE_ID and methods are HTTP tokens: neither needs escaping.
    return (f'{{"ts":"{_stamp_cache[1]}.{int(ts * 1000) % 1000:03d}Z","level":"info","event":"access",'
            f'"request_id":"{request_id.decode("latin-1")}","method":"{method}",'
            f'"path":{json.dumps(path, ensure_ascii=False)},"status":{status},'
            f'"duration_ms":{seconds * 1000:.3f}}}\n')


def header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value  # type: ignore[no-any-return]
    return None


class AccessLogMiddleware:
    """Pure ASGI middleware for everything the fast path did not answer: id, timing, one log line."""

    def __init__(self, app: ASGIApp, log: AccessLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = scope.get("state", {}).get("request_id") or self.log.ids.take(header(scope, REQUEST_ID))
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (REQUEST_ID, request_id),
                                      *missing_headers(scope, message.get("headers", ()))]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self.log.record(request_id, scope["method"], scope["path"], status, started)


# Pages rendered by FastAPI itself (/docs, /redoc) load their scripts and styles from a CDN.
DOCS_CSP = (b"default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            b"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
            b"font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com "
            b"https://cdn.redoc.ly; worker-src blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")


def missing_headers(scope: Scope, headers: Any) -> list[tuple[bytes, bytes]]:
    """What every answer must carry and a route did not set: CORS on reads, security headers on HTML."""
    names = {bytes(k).lower(): bytes(v) for k, v in headers}
    extra: list[tuple[bytes, bytes]] = []
    if scope["method"] in ("GET", "HEAD") and b"access-control-allow-origin" not in names:
        extra.append((b"access-control-allow-origin", b"*"))
    if names.get(b"content-type", b"").startswith(b"text/html") and b"content-security-policy" not in names:
        extra += [(b"content-security-policy", DOCS_CSP), (b"x-content-type-options", b"nosniff"),
                  (b"referrer-policy", b"strict-origin-when-cross-origin"), (b"x-frame-options", b"DENY")]
    return extra


def access_log(app: FastAPI) -> AccessLog:
    """The app's access log, created on first use (the fast path and the middleware share it)."""
    if getattr(app.state, "access_log", None) is None:
        settings = app.state.settings
        app.state.access_log = AccessLog(enabled=getattr(settings, "access_log", True))
    return app.state.access_log  # type: ignore[no-any-return]


def install(app: FastAPI) -> None:
    log = access_log(app)

    async def start(_: FastAPI) -> None:
        log.start()

    async def stop(_: FastAPI) -> None:
        log.stop()

    app.state.starters.append(start)
    app.state.stoppers.append(stop)
    app.add_middleware(AccessLogMiddleware, log=log)
