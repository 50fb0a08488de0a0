"""The `lpmsync` command line. Commands parse arguments and call services; no logic lives here."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

import lpmsync
from lpmsync.cli.common import run_guarded
from lpmsync.cli.lazy import lazy_typer
from lpmsync.logs import LogFormat, configure_from_cli

# name -> "module:attribute"; each module is imported only when its command runs (start-up time).
COMMANDS = {
    # The order of `lpmsync --help`: try it, the scheduled work, looking at results, operating.
    "demo": "lpmsync.cli.demo_cmd:demo",
    "run": "lpmsync.cli.run_cmd:run",
    "sync": "lpmsync.cli.sync_cmd:sync",
    "check": "lpmsync.cli.report_cmd:check",
    "send": "lpmsync.cli.send_cmd:send",
    "digest": "lpmsync.cli.digest_cmd:digest",
    "status": "lpmsync.cli.status_cmd:status",
    "report": "lpmsync.cli.report_cmd:report",
    "serve": "lpmsync.cli.serve_cmd:serve",
    "audit": "lpmsync.cli.audit_cmd:audit",
    "silence": "lpmsync.cli.silence_cmd:app",
    "slack": "lpmsync.cli.slack_cmd:app",
    "config": "lpmsync.cli.config_cmd:app",
    "db": "lpmsync.cli.db_cmd:app",
    "sandbox": "lpmsync.cli.sandbox_cmd:app",
}

app = lazy_typer(
    COMMANDS,
    name="lpmsync",
    help="Keep a Lean portfolio aligned with strategy: sync trackers, check, tell Slack.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lpmsync {lpmsync.__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
    log_format: Annotated[
        LogFormat | None,
        typer.Option(
            "--log-format",
            help="Logs on stderr: text, json, or auto (text on a terminal, JSON otherwise or "
            "in a container). Default: logging.format from the config (auto).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """lpmsync: Lean portfolio alignment for Jira, Azure DevOps and Slack."""
    configure_from_cli(log_format)


def main() -> None:
    sys.exit(run_guarded(app))
