"""`lpmsync serve`: the board in the browser, with health and metrics, until Ctrl-C."""

from __future__ import annotations

from typing import Annotated

import typer

from lpmsync.bootstrap import open_configured_store
from lpmsync.cli.common import ConfigOption, console, load
from lpmsync.logs import configure_from_settings
from lpmsync.observability import Metrics
from lpmsync.services.clock import utc_now
from lpmsync.services.jobs_steps import refresh_store_gauges
from lpmsync.web.runtime import board_server, store_readiness


def serve(
    config: ConfigOption = None,
    host: Annotated[
        str | None,
        typer.Option(
            "--host",
            help="Address to bind (default: web.host, else health.host: 127.0.0.1).",
            show_default=False,
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            "--port",
            min=0,
            max=65535,
            help="Port (default: web.port, else health.port: 9464; 0: any free port).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the portfolio board (read-only), /healthz, /readyz and /metrics from the store.

    It reads what `lpmsync sync` or `lpmsync run` stored; pages refresh after each sync.
    """
    settings = load(config, check_secrets=False)
    configure_from_settings(settings.logging.format, settings.logging.level)
    store = open_configured_store(settings)
    try:
        metrics = Metrics()
        refresh_store_gauges(store, metrics)
        readiness = store_readiness(settings, store, utc_now)
        server = board_server(
            settings, store, metrics.registry, readiness, utc_now, host=host, port=port
        )
        console.print(f"board: {server.url}/  (Ctrl-C stops)", highlight=False)
        server.serve_forever()
    finally:
        store.close()
