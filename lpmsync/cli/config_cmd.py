"""`lpmsync config ...`: check a configuration before deploying it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lpmsync.cli.common import console, load
from lpmsync.settings import Settings, config_path

app = typer.Typer(help="Check configuration.", no_args_is_help=True)


@app.command("validate")
def validate(
    path: Annotated[Path | None, typer.Argument(help="Config file (default as --config).")] = None,
) -> None:
    """Validate a config file (and that its secret env vars are set); print a summary."""
    settings = load(path)
    console.print(f"[green]ok[/] {config_path(path)}")
    for line in summary(settings):
        console.print(line, highlight=False)


def summary(settings: Settings) -> list[str]:
    portfolio = settings.portfolio
    sources = ", ".join(f"{s.name} ({_kind(s.kind, s)})" for s in settings.sources) or "none"
    themes = ", ".join(t.key for t in settings.themes) or "none"
    slack = settings.notify.slack
    return [
        f"portfolio: {portfolio.name} ({portfolio.timezone})",
        f"states:    {' → '.join(portfolio.state_names)}",
        f"sources:   {sources}",
        f"themes:    {themes}",
        f"slack:     {slack.default_channel if slack else 'not configured'}",
        f"schedule:  sync {settings.schedule.sync!r}, digest {settings.schedule.digest!r}",
        f"store:     {_redact_url(settings.store.effective_url)}",
    ]


def _kind(kind: str, source: object) -> str:
    deployment = getattr(source, "deployment", None)
    return f"{kind} {deployment}" if deployment else kind


def _redact_url(url: str) -> str:
    """Hide a password embedded in a database URL."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in credentials else url
    return url
