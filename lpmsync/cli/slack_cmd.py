"""`lpmsync slack listen`: the interactive Slack app on its own (`lpmsync run` starts it too)."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Annotated

import typer
import uvicorn

from lpmsync.bootstrap import open_configured_store
from lpmsync.cli.common import ConfigOption, load
from lpmsync.logs import configure_from_settings
from lpmsync.settings.interactive import ConnectionMode
from lpmsync.slackapp.app import AckingSocketModeHandler
from lpmsync.slackapp.listen import build_slack_app, http_app, interactive_config, socket_handler

app = typer.Typer(help="The interactive Slack app: buttons, /lpm, App Home.", no_args_is_help=True)
log = logging.getLogger("lpmsync.slackapp")


@app.command("listen")
def listen(
    http: Annotated[
        bool,
        typer.Option(
            "--http",
            help="Serve Slack's signed HTTP requests (notify.slack.interactive.http) "
            "instead of connecting over Socket Mode.",
        ),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Answer buttons, /lpm and the App Home until stopped (Ctrl-C or SIGTERM)."""
    settings = load(config)
    configure_from_settings(settings.logging.format, settings.logging.level)
    interactive = interactive_config(settings)
    mode = ConnectionMode.HTTP if http else interactive.mode
    store = open_configured_store(settings)
    try:
        # The tracker → Slack `people` mapping is not wired yet: "your items" stays empty.
        slack_app = build_slack_app(settings, store, people=settings.people.lookup(), mode=mode)
        if mode is ConnectionMode.HTTP:
            where = interactive.http
            log.info("Slack app on http://%s:%s%s", where.host, where.port, where.path)
            uvicorn.run(
                http_app(slack_app, where.path),
                host=where.host,
                port=where.port,
                log_level="warning",
            )
        else:
            _until_stopped(socket_handler(slack_app, settings))
    finally:
        store.close()
    log.info("Slack app stopped")


def _until_stopped(handler: AckingSocketModeHandler) -> None:
    """Connect, then wait for SIGTERM or SIGINT and close the connection (exit 0)."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    handler.connect()  # type: ignore[no-untyped-call]
    log.info("Slack app connected over Socket Mode")
    stop.wait()
    handler.close()
