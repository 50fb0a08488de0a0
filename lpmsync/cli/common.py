"""What every command shares: the --config option, settings loading, error to exit code."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO
from urllib.parse import unquote, urlsplit

import typer
from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.table import Table

from lpmsync.errors import ConfigError, LpmsyncError
from lpmsync.logs import register_secret_env_vars
from lpmsync.redact import redact, register_basic_auth, register_secrets

if TYPE_CHECKING:  # imported where used: `lpmsync --version` needs neither (start-up time)
    from lpmsync.services.send import SendSummary
    from lpmsync.settings import Settings

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
    """Load the settings, and register every configured secret with the redactor (logs, CLI
    output, stored errors and Slack messages all pass it)."""
    from lpmsync.settings import load_settings  # noqa: PLC0415 (start-up time)

    settings = load_settings(config, check_secrets=check_secrets)
    register_configured_secrets(settings)
    return settings


def register_configured_secrets(settings: Settings) -> None:
    """Every configured secret, and a Jira Cloud source's Basic credential as it goes on the
    wire, are redacted from the logs, whatever the variables holding them are called."""
    from lpmsync.settings import AzureDevOpsSource, JiraSource  # noqa: PLC0415 (start-up time)

    register_secret_env_vars([*settings.sources, settings.notify.slack])
    register_secrets(url_passwords(settings))
    for source in settings.sources:
        if isinstance(source, JiraSource) and source.email_env:
            email = os.environ.get(source.email_env, "")
            register_basic_auth(email, os.environ.get(source.token_env, ""))
        elif isinstance(source, AzureDevOpsSource):  # a PAT goes on the wire as Basic ":PAT"
            register_basic_auth("", os.environ.get(source.pat_env, ""))


def url_passwords(settings: Settings) -> list[str]:
    """Passwords written into configured URLs (store, trackers): redacted like any secret."""
    urls = [settings.store.effective_url]
    for source in settings.sources:
        for name in ("base_url", "organization_url"):
            urls.append(str(getattr(source, name, "") or ""))
    found = []
    for url in urls:
        with contextlib.suppress(ValueError):
            password = urlsplit(url).password
            if password:
                found.extend([password, unquote(password)])
    return found


class RedactingStream:
    """stdout or stderr with every write redacted: what a command prints passes the same
    redaction as the logs, whatever printed it (Rich, click, a library)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(redact(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


@contextlib.contextmanager
def redacted_output() -> Iterator[None]:
    """Redact everything written to stdout and stderr while the block runs."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = RedactingStream(saved[0]), RedactingStream(saved[1])
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def print_send(summary: SendSummary) -> None:
    """The outcome of a drain as one line, whatever the width: CronJob logs are read by grep."""
    console.print(f"send: {summary.line()}", highlight=False, soft_wrap=True)


def run_guarded(app: typer.Typer) -> int:
    """Run the Typer app with its output redacted; lpmsync's own errors become one line on
    stderr and an exit code."""
    with redacted_output():
        return _run_app(app)


def _run_app(app: typer.Typer) -> int:  # noqa: PLR0911 (one exit code per error kind)
    try:
        # Outside standalone mode click returns the code of a `typer.Exit` instead of exiting.
        code = app(standalone_mode=False)
    except ConfigError as exc:
        err_console.print(
            f"[bold red]config error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
        )
        return EXIT_CONFIG
    except LpmsyncError as exc:
        err_console.print(
            f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
        )
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
