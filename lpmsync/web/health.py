"""`/healthz`, `/readyz` and `/metrics`: the probes and Prometheus, on the board's app.

The app knows nothing of the store here: `/readyz` asks an injected `readiness` function, which
the runtime composes from the store and the schedule.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, make_asgi_app
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from lpmsync.readiness import Readiness
from lpmsync.web.auth import Receive, Scope, Send

log = logging.getLogger("lpmsync.health")

ReadinessCheck = Callable[[], Readiness]
NO_STORE = {"Cache-Control": "no-store"}


@dataclass(frozen=True)
class Probes:
    registry: CollectorRegistry
    readiness: ReadinessCheck


async def healthz(_request: Request) -> Response:
    return JSONResponse({"status": "alive"}, headers=NO_STORE)


def ready(check: ReadinessCheck) -> Response:
    """Runs on the worker pool (the check reads the store)."""
    try:
        readiness = check()
    except Exception as exc:  # a probe answers, whatever went wrong
        log.warning("readiness check failed: %s", type(exc).__name__)
        readiness = Readiness(False, [f"readiness check failed: {type(exc).__name__}"])
    status = 200 if readiness.ready else 503
    return JSONResponse(readiness.as_json(), status_code=status, headers=NO_STORE)


class MetricsApp:
    """prometheus-client's ASGI app (a class, so Starlette routes to it as an ASGI app)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._app = make_asgi_app(registry)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)
