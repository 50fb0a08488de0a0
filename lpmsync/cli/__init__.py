"""The `lpmsync` command line. Commands parse arguments and call services; no logic lives here."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from lpmsync import __version__
from lpmsync.cli import (
    audit_cmd,
    config_cmd,
    db_cmd,
    demo_cmd,
    digest_cmd,
    report_cmd,
    run_cmd,
    sandbox_cmd,
    send_cmd,
    silence_cmd,
    slack_cmd,
    status_cmd,
    sync_cmd,
)
from lpmsync.cli.common import run_guarded
from lpmsync.logs import LogFormat, configure_from_cli

app = typer.Typer(
    name="lpmsync",
    help="Keep a Lean portfolio aligned with strategy: sync trackers, check, tell Slack.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(config_cmd.app, name="config")
app.add_typer(db_cmd.app, name="db")
app.add_typer(sandbox_cmd.app, name="sandbox")
app.add_typer(silence_cmd.app, name="silence")
app.add_typer(slack_cmd.app, name="slack")
app.command("sync")(sync_cmd.sync)
app.command("demo")(demo_cmd.demo)
app.command("digest")(digest_cmd.digest)
app.command("run")(run_cmd.run)
app.command("status")(status_cmd.status)
app.command("report")(report_cmd.report)
app.command("check")(report_cmd.check)
app.command("send")(send_cmd.send)
app.command("audit")(audit_cmd.audit)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lpmsync {__version__}")
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
