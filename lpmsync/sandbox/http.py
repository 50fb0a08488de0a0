"""A small loopback HTTP server shared by every sandbox personality.

A personality is a `Router`: handlers registered by method and path pattern. `SandboxServer` binds
it to 127.0.0.1 (port 0 by default), runs it in a daemon thread, and applies the `Knobs`: latency
per request, injected faults (429 with Retry-After, 500/503, timeouts) and a request log with
counts per endpoint, so tests and benchmarks can count exactly what a client sent.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from lpmsync.sandbox.knobs import Knobs


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    params: Mapping[str, str]  # named groups from the route pattern

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Response:
    status: int = 200
    body: Any = None  # dict/list -> JSON; str/bytes sent as is
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        try:
            # orjson: the fake tracker's render time would otherwise be most of a page's time
            # on the test machine's shared cores, a cost no real tracker puts on its clients.
            return orjson.dumps(self.body)
        except (TypeError, orjson.JSONEncodeError):  # an int beyond 64 bits, a non-str key
            return json.dumps(self.body).encode()


Handler = Callable[[Request], Response]


class Router:
    """Routes `(method, path)` to handlers; patterns are regexes with named groups."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._routes: list[tuple[str, re.Pattern[str], str, Handler]] = []

    def route(
        self, method: str, pattern: str, endpoint: str | None = None
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            compiled = re.compile(f"^{pattern}$")
            self._routes.append((method.upper(), compiled, endpoint or pattern, handler))
            return handler

        return register

    def resolve(self, method: str, path: str) -> tuple[str, Handler, dict[str, str]] | None:
        for route_method, pattern, endpoint, handler in self._routes:
            match = pattern.match(path)
            if match and route_method == method:
                return f"{method} {endpoint}", handler, match.groupdict()
        return None


@dataclass(frozen=True)
class LoggedRequest:
    endpoint: str
    method: str
    path: str
    query: Mapping[str, list[str]]
    status: int
    body: bytes


class RequestLog:
    """Every request the server answered, with counts per endpoint (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LoggedRequest] = []

    def add(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._entries.append(entry)

    @property
    def entries(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._entries)

    def counts(self) -> Counter[str]:
        return Counter(entry.endpoint for entry in self.entries)

    def total(self) -> int:
        return len(self.entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class SandboxServer:
    """Serves one `Router` on loopback in a daemon thread. Use as a context manager."""

    def __init__(
        self,
        router: Router,
        *,
        port: int = 0,
        knobs: Knobs | None = None,
        fault_filter: Callable[[str], bool] | None = None,
    ) -> None:
        self.router = router
        self.knobs = knobs or Knobs()
        self.log = RequestLog()
        self._fault_filter = fault_filter or (lambda endpoint: True)
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            # a short poll keeps stop() quick: shutdown() waits for the loop's next poll
            target=lambda: self._server.serve_forever(poll_interval=0.05),
            daemon=True,
            name=f"sandbox-{router.name}",
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> SandboxServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # headers and body go out in separate writes; with Nagle on, the client's delayed
            # ACK stalls every keep-alive response by ~40 ms
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                return  # the RequestLog records requests; stderr stays quiet

            def _dispatch(self) -> None:
                server._serve(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _dispatch  # noqa: N815

        return _Handler

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        split = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        resolved = self.router.resolve(handler.command, split.path)
        response: Response | None
        if resolved is None:
            endpoint, response = (
                f"{handler.command} (unrouted)",
                Response(404, {"error": "not found"}),
            )
        else:
            endpoint, route_handler, params = resolved
            request = Request(
                handler.command,
                split.path,
                parse_qs(split.query),
                {k.lower(): v for k, v in handler.headers.items()},
                body,
                params,
            )
            response = self._respond(endpoint, route_handler, request)
        if response is None:
            return
        self.log.add(
            LoggedRequest(
                endpoint, handler.command, split.path, parse_qs(split.query), response.status, body
            )
        )
        payload = response.encoded()
        handler.send_response(response.status)
        handler.send_header("Content-Type", response.content_type)
        handler.send_header("Content-Length", str(len(payload)))
        for name, value in response.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(payload)

    def _respond(self, endpoint: str, route_handler: Handler, request: Request) -> Response | None:
        over = self.knobs.arrive()
        try:
            if self.knobs.latency_ms:
                time.sleep(self.knobs.latency_ms / 1000)
            fault = 429 if over else self._fault(endpoint)
            return self._answer(fault, route_handler, request)
        finally:
            self.knobs.leave()

    def _fault(self, endpoint: str) -> int | str | None:
        return self.knobs.draw_fault() if self._fault_filter(endpoint) else None

    def _answer(
        self, fault: int | str | None, route_handler: Handler, request: Request
    ) -> Response | None:
        if fault == "timeout":
            time.sleep(self.knobs.timeout_seconds)
            return None
        if fault == 429:
            return Response(
                429,
                {"errorMessages": ["Rate limit exceeded."], "ok": False, "error": "ratelimited"},
                {"Retry-After": str(self.knobs.retry_after_seconds)},
            )
        if isinstance(fault, int):
            return Response(
                fault,
                {"errorMessages": ["Injected fault."], "ok": False, "error": "internal_error"},
            )
        try:
            return route_handler(request)
        except Exception as exc:  # a bug in a personality must show up, not hang a client
            return Response(500, {"errorMessages": [f"sandbox error: {type(exc).__name__}: {exc}"]})
