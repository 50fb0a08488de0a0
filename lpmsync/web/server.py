"""Serving the app: uvicorn with bounds on everything a client can hold.

- `limit_concurrency`: past this many open connections or running requests, new requests get 503.
- `timeout_keep_alive`: an idle keep-alive connection is closed after it.
- `read_timeout`: a connection must deliver a complete request head within it of connecting (or of
  its previous response), or it is closed: half-open and slow-header clients cannot pile up.
- Pages run on a bounded thread pool (`WORKER_THREADS`, see `lpmsync.web.app`); connections hold
  no thread at all (one event loop thread serves them).
- A client that goes away before its response is complete is one log line, not a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import threading
import time
from signal import SIGINT, SIGTERM
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from lpmsync.errors import LpmsyncError

log = logging.getLogger("lpmsync.web")

LIMIT_CONCURRENCY = 100
TIMEOUT_KEEP_ALIVE = 5.0
READ_TIMEOUT = 10.0


class WebServerError(LpmsyncError):
    """The board could not be served (port in use, bad host)."""


def _protocol(read_timeout: float) -> type[H11Protocol]:
    class BoundedH11Protocol(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            cycle = self.cycle
            if cycle is not None and not cycle.response_complete:
                scope = cycle.scope
                log.info(
                    "client %s went away before the response to %s %s was complete",
                    _client(self.client),
                    scope.get("method", "?"),
                    scope.get("path", "?"),
                )
            if self._deadline is not None:
                self._deadline.cancel()
            super().connection_lost(exc)

        def _arm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
            self._deadline = self.loop.call_later(read_timeout, self._read_timed_out)

        def _read_timed_out(self) -> None:
            in_request = self.cycle is not None and not self.cycle.response_complete
            if not in_request and not self.transport.is_closing():
                log.debug("closing %s: no request within %.0fs", _client(self.client), read_timeout)
                self.transport.close()

    return BoundedH11Protocol


def _client(client: tuple[str, int] | None) -> str:
    return f"{client[0]}:{client[1]}" if client else "(unknown)"


class WebServer:
    """The app on `host:port` (port 0: any free port, see `.port`); `start()` serves it on a
    thread beside the scheduler, `serve_forever()` in the foreground until SIGINT/SIGTERM."""

    def __init__(
        self,
        app: Any,
        host: str,
        port: int,
        *,
        limit_concurrency: int = LIMIT_CONCURRENCY,
        timeout_keep_alive: float = TIMEOUT_KEEP_ALIVE,
        read_timeout: float = READ_TIMEOUT,
    ) -> None:
        try:
            self._socket = socket.create_server(
                (host, port), family=_family(host), reuse_port=False
            )
        except OSError as exc:
            raise WebServerError(
                f"cannot serve the board on {host}:{port}: {exc.strerror} "
                "(set web.port or health.port, or health.enabled: false)"
            ) from None
        config = uvicorn.Config(
            app,
            http=_protocol(read_timeout),
            lifespan="off",
            log_config=None,
            access_log=False,
            server_header=False,
            limit_concurrency=limit_concurrency,
            timeout_keep_alive=int(max(1, timeout_keep_alive)),
            h11_max_incomplete_event_size=16 * 1024,
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None
        logging.getLogger("uvicorn.error").setLevel(logging.WARNING)

    @property
    def host(self) -> str:
        return str(self._socket.getsockname()[0])

    @property
    def port(self) -> int:
        return int(self._socket.getsockname()[1])

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> WebServer:
        self._thread = threading.Thread(target=self._run, name="lpmsync-web", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started and self._thread.is_alive():
            if time.monotonic() > deadline:
                raise WebServerError(f"the board did not start on {self.url} within 10s")
            time.sleep(0.01)
        log.info("board, health and metrics on %s (/ /healthz /readyz /metrics)", self.url)
        return self

    def serve_forever(self) -> None:
        """Serve until SIGINT (Ctrl-C) or SIGTERM, then finish the requests in flight and return
        (the caller exits 0: stopping is what was asked for)."""
        asked = threading.Event()

        def request_stop(_signum: int, _frame: FrameType | None) -> None:
            asked.set()

        previous = {sig: signal.signal(sig, request_stop) for sig in (SIGINT, SIGTERM)}
        try:
            self.start()
            while not asked.wait(0.5) and self._thread is not None and self._thread.is_alive():
                pass
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            log.info("board stopped")
            self.stop()

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout=15)
        self._socket.close()

    def _run(self) -> None:
        self._server.run(sockets=[self._socket])


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET
