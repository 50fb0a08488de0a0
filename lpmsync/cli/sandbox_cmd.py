"""`lpmsync sandbox serve`: fake Jira Cloud, Jira Data Center, Azure DevOps and Slack on loopback,
over a seeded sample portfolio, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import signal
import threading
import time
from types import FrameType
from typing import Annotated

import typer

from lpmsync.sandbox.serve import RunningSandbox, start_sandbox

app = typer.Typer(help="Fake trackers and Slack for demos and tests (no credentials needed).")

READY_LINE = "sandbox ready"
"""Printed last, once every personality listens (scripts and tests wait for it)."""


@app.command()
def serve(
    seed: Annotated[int, typer.Option(help="Seed of the sample portfolio.")] = 42,
    size: Annotated[
        int | None, typer.Option(help="Items per tracker (default 320, at least 100).")
    ] = None,
    latency_ms: Annotated[
        float, typer.Option("--latency-ms", help="Added to every response.", min=0)
    ] = 0.0,
    port: Annotated[
        int,
        typer.Option(
            help="First port: Jira Cloud P, Jira DC P+1, Azure DevOps P+2, Slack P+3 "
            "(0: free ports). The bundled demo.yaml expects 18080.",
            min=0,
            max=65532,
        ),
    ] = 0,
) -> None:
    """Start every sandbox personality on 127.0.0.1 and print URLs, credentials and config."""
    started = time.perf_counter()
    try:
        sandbox = start_sandbox(seed=seed, size=size, latency_ms=latency_ms, port=port)
    except ValueError as exc:  # a size below the minimum
        raise typer.BadParameter(str(exc), param_hint="--size") from None
    except OSError as exc:  # a port in use
        typer.echo(f"cannot start the sandbox: {exc}", err=True)
        raise typer.Exit(1) from None
    with sandbox:
        _describe(sandbox, time.perf_counter() - started)
        _wait_for_stop()
    typer.echo("sandbox stopped")


def _describe(sandbox: RunningSandbox, startup_seconds: float) -> None:
    portfolio = sandbox.portfolio
    typer.echo(
        f"lpmsync sandbox: seed {portfolio.seed}, {portfolio.size} items per tracker, "
        f"now {portfolio.now:%Y-%m-%d %H:%M} UTC (started in {startup_seconds:.2f} s)"
    )
    typer.echo("")
    for personality in sandbox.personalities.values():
        typer.echo(f"  {personality.title:<18} {personality.base_url:<34} {personality.detail}")
    typer.echo("")
    typer.echo("Credentials (fixed sandbox values, not secrets):")
    for name, value in sandbox.credentials().items():
        typer.echo(f"  export {name}={value}")
    typer.echo("")
    typer.echo("Config snippet (the bundled demo.yaml uses --port 18080):")
    for line in sandbox.config_snippet().splitlines():
        typer.echo(f"  {line}")
    typer.echo("")
    typer.echo(f"{READY_LINE}; press Ctrl-C to stop")


def _wait_for_stop() -> None:
    """Block until Ctrl-C or SIGTERM (a container stop)."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        while not stop.wait(0.5):  # short waits keep Ctrl-C responsive
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
