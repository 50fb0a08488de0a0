"""`lpmsync digest`: build the weekly digest now; send it, or preview it on disk."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lpmsync.bootstrap import build_slack_sender, open_configured_store
from lpmsync.cli.common import ConfigOption, console, load, print_send
from lpmsync.cli.stopping import stop_on_signals
from lpmsync.domain.alerts import MessageKind
from lpmsync.services.clock import utc_now
from lpmsync.services.digest import (
    DigestOutcome,
    DigestPlan,
    build_digest_now,
    plan_digest,
    write_preview,
)
from lpmsync.services.digest_freshness import WAITING, stale_sources
from lpmsync.services.jobs_locks import DIGEST, SEND, job_lock
from lpmsync.services.notify import slack_config
from lpmsync.services.send import drain_outbox
from lpmsync.settings import Settings
from lpmsync.store import SqlStore

DEFAULT_PREVIEW_DIR = Path("digest-preview")


def digest(
    config: ConfigOption = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Write the blocks JSON, charts and an HTML preview; send nothing."
        ),
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help=f"Directory for the preview (with --dry-run: default {DEFAULT_PREVIEW_DIR}).",
            file_okay=False,
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Send now even if a source is stale, and rebuild a digest already enqueued "
            "this week (edited in place if posted, replaced if still queued).",
        ),
    ] = False,
) -> None:
    """Build this week's digest from the store; enqueue it and send it (once per ISO week).
    While a source is stale it waits (until notify.slack.digest.stale_deadline)."""
    settings = load(config, check_secrets=not dry_run)
    if dry_run:
        _dry_run(settings, out or DEFAULT_PREVIEW_DIR)
    else:
        _publish(settings, out, force=force)


def _dry_run(settings: Settings, out: Path) -> None:
    store = open_configured_store(settings)
    try:
        now = utc_now()
        stale = stale_sources(store, settings, now)
        _preview(plan_digest(store, settings, now, stale=stale), out)
    finally:
        store.close()


def _publish(settings: Settings, out: Path | None, *, force: bool) -> None:
    slack = slack_config(settings)
    sender = build_slack_sender(settings)
    store = open_configured_store(settings)
    try:
        with stop_on_signals() as stop:
            with job_lock(store, DIGEST, utc_now):
                outcome = _build(settings, store, force=force)
            if out is not None and outcome.plan is not None:
                _preview(outcome.plan, out)
            console.print(outcome.line(), highlight=False, soft_wrap=True)
            if outcome.status == WAITING:
                return
            with job_lock(store, SEND, utc_now):
                summary = drain_outbox(
                    store,
                    sender,
                    utc_now,
                    max_attempts=slack.max_attempts,
                    sleep=stop.wait,
                    stop=stop,
                )
    finally:
        store.close()
    print_send(summary)
    if summary.status not in ("ok", "interrupted"):
        raise typer.Exit(1)


def _build(settings: Settings, store: SqlStore, *, force: bool) -> DigestOutcome:
    """Build this week's digest (or wait for fresh data), recorded as a `digest` run."""
    now = utc_now()
    run_id = store.runs.start("digest", None, now)
    try:
        outcome = build_digest_now(store, settings, now, force=force)
    except Exception as exc:
        store.runs.finish(run_id, utc_now(), "failed", {}, f"{type(exc).__name__}: {exc}")
        raise
    store.runs.finish(run_id, utc_now(), outcome.status, outcome.stats())
    return outcome


def _preview(plan: DigestPlan, out: Path) -> None:
    written = write_preview(plan, out)
    parts = sum(1 for m in plan.messages if m.kind is MessageKind.POST)
    console.print(f"digest {plan.week}: {parts} message(s), {len(plan.charts)} chart(s)")
    for path in written:
        console.print(f"  wrote {path}", highlight=False)
