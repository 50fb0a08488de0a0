"""Putting the board together from the settings and an open store, for `serve`, `run` and
`demo`: where it listens, its token, its probes, its pages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from urllib.parse import urlsplit

from prometheus_client import CollectorRegistry
from starlette.applications import Starlette

from lpmsync.logs import register_secrets
from lpmsync.readiness import Readiness
from lpmsync.services import jobs_status
from lpmsync.settings import Settings, read_secret
from lpmsync.store import SqlStore
from lpmsync.web.app import Pages, create_app
from lpmsync.web.auth import AccessToken
from lpmsync.web.health import Probes
from lpmsync.web.portfolio import PortfolioReader
from lpmsync.web.server import WebServer

Clock = Callable[[], datetime]


def web_address(settings: Settings) -> tuple[str, int]:
    """`web.host`/`web.port`, else `health.host`/`health.port` (127.0.0.1:9464)."""
    web, health = settings.web, settings.health
    return (
        web.host if web.host is not None else health.host,
        web.port if web.port is not None else health.port,
    )


def access_token(settings: Settings) -> AccessToken | None:
    """The configured token (None: no login); a missing variable is a config error (exit 2)."""
    name = settings.web.auth_token_env
    if name is None:
        return None
    secret = read_secret(name, key="web.auth_token_env").get_secret_value()
    register_secrets([secret])
    return AccessToken(secret, protect_metrics=settings.web.protect_metrics)


def store_readiness(settings: Settings, store: SqlStore, clock: Clock) -> Callable[[], Readiness]:
    """Ready while every source synced within its stale period (see `jobs_status.readiness`)."""
    started = clock()
    sources = [source.name for source in settings.sources]
    stale = jobs_status.stale_after(settings.schedule.sync, settings.portfolio.timezone, started)
    return lambda: jobs_status.readiness(store, sources, clock(), stale, started)


def board_app(
    settings: Settings,
    store: SqlStore,
    registry: CollectorRegistry,
    readiness: Callable[[], Readiness],
    clock: Clock,
    *,
    allowed_hosts: Sequence[str] | None = None,
) -> Starlette:
    reader = PortfolioReader(store, settings, clock)
    return create_app(
        Probes(registry, readiness),
        Pages(reader, settings.portfolio.name),
        access_token(settings),
        allowed_hosts,
    )


def host_names(settings: Settings, host: str) -> list[str] | None:
    """On 127.0.0.1 only loopback names (and `web.base_url`'s host, for a local proxy) reach the
    board; on any other address any name does (the operator put it on the network)."""
    if host not in ("127.0.0.1", "localhost"):
        return None
    names = ["127.0.0.1", "localhost"]
    base = urlsplit(settings.web.base_url or "").hostname
    return [*names, base] if base else names


def board_server(
    settings: Settings,
    store: SqlStore,
    registry: CollectorRegistry,
    readiness: Callable[[], Readiness],
    clock: Clock,
    *,
    host: str | None = None,
    port: int | None = None,
) -> WebServer:
    """The board's server, bound (not yet serving): `host`/`port` override the settings."""
    default_host, default_port = web_address(settings)
    bind = host if host is not None else default_host
    app = board_app(
        settings, store, registry, readiness, clock, allowed_hosts=host_names(settings, bind)
    )
    return WebServer(app, bind, port if port is not None else default_port)
