"""What every command shares: the --config option, settings loading, error to exit code."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console, Group, RenderableType
from rich.table import Table

from lpmsync.errors import ConfigError, LpmsyncError
from lpmsync.logs import register_secret_env_vars, register_secrets
from lpmsync.services.send import SendSummary
from lpmsync.settings import JiraSource, Settings, load_settings

EXIT_CONFIG = 2
EXIT_FAILURE = 1

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="YAML config file (default: $LPMSYNC_CONFIG, else config/lpmsync.yaml).",
        show_default=False,
    ),
]

console = Console()
err_console = Console(stderr=True)
PLAIN_WIDTH = 4000  # wide enough for any row: without a terminal nothing is cut


def show(renderable: RenderableType) -> None:
    """Print tables as Rich draws them on a terminal; elsewhere (CronJob and container logs,
    pipes) without box drawing and at their natural width, so no cell is cut to `chang…`."""
    if console.is_terminal:
        console.print(renderable)
        return
    for table in _tables(renderable):
        table.box = None
        table.show_edge = False
        table.pad_edge = False
    width = console.width
    console.width = PLAIN_WIDTH  # print() would cap its `width=` at the console's own
    try:
        console.print(renderable, highlight=False)
    finally:
        console.width = width


def _tables(renderable: RenderableType) -> list[Table]:
    if isinstance(renderable, Table):
        return [renderable]
    if isinstance(renderable, Group):
        return [t for part in renderable.renderables for t in _tables(part)]
    return []


def load(config: Path | None, *, check_secrets: bool = True) -> Settings:
    """Load the settings, and register every configured secret with the log redactor."""
    settings = load_settings(config, check_secrets=check_secrets)
    register_configured_secrets(settings)
    return settings


def register_configured_secrets(settings: Settings) -> None:
    """Every configured secret, and a Jira Cloud source's Basic credential as it goes on the
    wire, are redacted from the logs, whatever the variables holding them are called."""
    register_secret_env_vars([*settings.sources, settings.notify.slack])
    for source in settings.sources:
        if isinstance(source, JiraSource) and source.email_env:
            email = os.environ.get(source.email_env, "")
            pair = f"{email}:{os.environ.get(source.token_env, '')}"
            register_secrets([base64.b64encode(pair.encode()).decode()])


def print_send(summary: SendSummary) -> None:
    """The outcome of a drain as one line, whatever the width: CronJob logs are read by grep."""
    console.print(f"send: {summary.line()}", highlight=False, soft_wrap=True)


def run_guarded(app: typer.Typer) -> int:  # noqa: PLR0911 (one exit code per error kind)
    """Run the Typer app; lpmsync's own errors become one line on stderr and an exit code."""
    try:
        # Outside standalone mode click returns the code of a `typer.Exit` instead of exiting.
        code = app(standalone_mode=False)
    except ConfigError as exc:
        err_console.print(f"[bold red]config error:[/] {exc}", highlight=False, soft_wrap=True)
        return EXIT_CONFIG
    except LpmsyncError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        return EXIT_FAILURE
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.Abort:
        err_console.print("aborted")
        return 130
    except KeyboardInterrupt:
        return 130
    except typer.BadParameter as exc:  # usage errors: show them the way click would
        exc.show()
        return int(exc.exit_code)
    except typer.TyperException as exc:
        show = getattr(exc, "show", None)
        if show is None:
            raise
        show()
        return int(getattr(exc, "exit_code", EXIT_FAILURE))
    return code if isinstance(code, int) else 0
