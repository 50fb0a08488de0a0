"""The app factory: routes, templates, the token gate, security headers, the bounded pool.

Every handler that touches the store runs on one bounded pool of `WORKER_THREADS` threads; the
event loop serves connections without a thread each.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from importlib.resources import files
from typing import TypeVar

import anyio
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from lpmsync.web import routes
from lpmsync.web.auth import AccessToken, TokenGate
from lpmsync.web.headers import SecurityHeaders
from lpmsync.web.health import MetricsApp, Probes, healthz, ready
from lpmsync.web.portfolio import PortfolioReader

WORKER_THREADS = 8
PROBE_PATHS = ("/healthz", "/readyz", "/metrics")
PATHS = ("/", "/findings", "/items/{source}/{key}", "/digest", *PROBE_PATHS)
T = TypeVar("T")


@dataclass(frozen=True)
class Pages:
    """What the pages read; without it the app serves only health and metrics."""

    reader: PortfolioReader
    title: str


def templates() -> Environment:
    env = Environment(
        loader=PackageLoader("lpmsync.web", "templates"),
        autoescape=True,  # every tracker string is text, whatever it contains
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["ticks"] = ticks
    return env


def ticks(text: str) -> Markup:
    """`a` in a reason or message as code, everything else escaped."""
    parts = str(text).split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: leave it as text
        return escape(text)
    return Markup("").join(
        Markup("<code>{}</code>").format(part) if index % 2 else escape(part)
        for index, part in enumerate(parts)
    )


def create_app(
    probes: Probes,
    pages: Pages | None = None,
    token: AccessToken | None = None,
    allowed_hosts: Sequence[str] | None = None,
) -> Starlette:
    """`allowed_hosts`: the Host headers accepted (None: any); a board on loopback accepts only
    its own names, so a web page cannot reach it through DNS rebinding."""
    limiter = anyio.CapacityLimiter(WORKER_THREADS)

    async def pooled(work: Callable[[], T]) -> T:
        return await anyio.to_thread.run_sync(work, limiter=limiter)

    async def readyz(_request: Request) -> Response:
        return await pooled(partial(ready, probes.readiness))

    env = templates()
    route_list: list[BaseRoute] = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", MetricsApp(probes.registry)),
        Mount(
            "/static", StaticFiles(directory=str(files("lpmsync.web") / "static")), name="static"
        ),
    ]
    if pages is not None:
        route_list += routes.page_routes(
            routes.PageContext(pages.reader, env, pages.title, token), pooled
        )

    not_found = _error_handler(env, pages, token)
    return Starlette(
        routes=route_list,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts, www_redirect=False),
            Middleware(TokenGate, token=token),
        ],
        exception_handlers={404: not_found, 405: not_found},
    )


def _error_handler(
    env: Environment, pages: Pages | None, token: AccessToken | None
) -> Callable[[Request, Exception], Awaitable[Response]]:
    """404 and 405: a page for a browser, JSON for probes, scrapers and curl."""

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        if "text/html" not in request.headers.get("accept", ""):
            paths = [path for path in PATHS if pages is not None or path in PROBE_PATHS]
            return JSONResponse({"error": _detail(exc), "paths": paths}, status_code=status)
        page = env.get_template("error.html").render(
            title=pages.title if pages else "lpmsync",
            status=status,
            detail=f"There is no page here ({_detail(exc)}).",
            nav="",
            signed_in=token is not None,
        )
        return HTMLResponse(page, status_code=status)

    return not_found


def _detail(exc: Exception) -> str:
    if isinstance(exc, HTTPException) and exc.status_code == 404:
        return "not found"
    return "method not allowed"
