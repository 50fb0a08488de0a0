"""The health and metrics endpoint: `/healthz`, `/readyz` and `/metrics` on a daemon thread.

The server knows nothing of the store: `/readyz` asks an injected `readiness` function, which
the runtime composes from the store and the schedule.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from lpmsync.errors import LpmsyncError
from lpmsync.observability import Readiness

log = logging.getLogger("lpmsync.health")


ReadinessCheck = Callable[[], Readiness]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    routes: ClassVar[dict[str, str]] = {
        "/healthz": "_healthz",
        "/readyz": "_readyz",
        "/metrics": "_metrics",
    }

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        name = self.routes.get(path)
        if name is None:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": "not found", "paths": [*self.routes]})
            return
        getattr(self, name)()

    def _healthz(self) -> None:
        self._send_json(HTTPStatus.OK, {"status": "alive"})

    def _readyz(self) -> None:
        try:
            readiness = self.server.readiness()
        except Exception as exc:  # a probe answers, whatever went wrong
            log.warning("readiness check failed: %s", type(exc).__name__)
            readiness = Readiness(False, [f"readiness check failed: {type(exc).__name__}"])
        status = HTTPStatus.OK if readiness.ready else HTTPStatus.SERVICE_UNAVAILABLE
        self._send_json(status, readiness.as_json())

    def _metrics(self) -> None:
        self._send(HTTPStatus.OK, CONTENT_TYPE_LATEST, generate_latest(self.server.registry))

    def _send_json(self, status: HTTPStatus, body: dict[str, Any]) -> None:
        self._send(status, "application/json", json.dumps(body).encode())

    def _send(self, status: HTTPStatus, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], registry: CollectorRegistry, readiness: ReadinessCheck
    ) -> None:
        self.registry = registry
        self.readiness = readiness
        super().__init__(address, _Handler)


class HealthServer:
    """Serves the endpoints on `host:port` (port 0: any free port, see `.port`)."""

    def __init__(
        self, host: str, port: int, registry: CollectorRegistry, readiness: ReadinessCheck
    ) -> None:
        try:
            self._server = _Server((host, port), registry, readiness)
        except OSError as exc:
            raise HealthServerError(
                f"cannot serve health checks on {host}:{port}: {exc.strerror} "
                "(set health.port, or health.enabled: false)"
            ) from None
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="lpmsync-health", daemon=True
        )

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> HealthServer:
        self._thread.start()
        log.info(
            "health and metrics on http://%s:%d (/healthz /readyz /metrics)", self.host, self.port
        )
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()


class HealthServerError(LpmsyncError):
    """The health endpoint could not be served (port in use, bad host)."""
