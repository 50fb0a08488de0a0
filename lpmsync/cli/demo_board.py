"""The end of `lpmsync demo` on a terminal: the board over the demo's store until Ctrl-C.

Imported only then (see `demo_cmd`): the web stack costs start-up time the demo otherwise
does not need.
"""

from __future__ import annotations

from lpmsync.bootstrap import open_configured_store
from lpmsync.cli.common import console
from lpmsync.observability import Metrics
from lpmsync.services.clock import Clock
from lpmsync.settings import Settings
from lpmsync.store import SqlStore
from lpmsync.web import WebServer, WebServerError
from lpmsync.web.runtime import board_server, store_readiness


def serve_demo_board(settings: Settings, clock: Clock) -> None:
    store = open_configured_store(settings)
    try:
        server = _bind(settings, store, clock)
        console.print(
            f"\n[bold]The portfolio board:[/] {server.url}/   (Ctrl-C stops)", highlight=False
        )
        server.serve_forever()
    finally:
        store.close()


def _bind(settings: Settings, store: SqlStore, clock: Clock) -> WebServer:
    """The configured port (9464), or any free one when it is taken."""
    metrics = Metrics()
    readiness = store_readiness(settings, store, clock)
    try:
        return board_server(settings, store, metrics.registry, readiness, clock, host="127.0.0.1")
    except WebServerError:
        return board_server(
            settings, store, metrics.registry, readiness, clock, host="127.0.0.1", port=0
        )
