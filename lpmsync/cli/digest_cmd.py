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
from lpmsync.services.digest import DigestPlan, plan_digest, publish_digest, write_preview
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
) -> None:
    """Build this week's digest from the store; enqueue it and send it (once per ISO week)."""
    settings = load(config, check_secrets=not dry_run)
    if dry_run:
        _dry_run(settings, out or DEFAULT_PREVIEW_DIR)
    else:
        _publish(settings, out)


def _dry_run(settings: Settings, out: Path) -> None:
    store = open_configured_store(settings)
    try:
        _preview(plan_digest(store, settings, utc_now()), out)
    finally:
        store.close()


def _publish(settings: Settings, out: Path | None) -> None:
    slack = slack_config(settings)
    sender = build_slack_sender(settings)
    store = open_configured_store(settings)
    try:
        with stop_on_signals() as stop:
            with job_lock(store, DIGEST, utc_now):
                _enqueue(settings, store, out)
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


def _enqueue(settings: Settings, store: SqlStore, out: Path | None) -> None:
    now = utc_now()
    plan = plan_digest(store, settings, now)
    if out is not None:
        _preview(plan, out)
    added = publish_digest(store, plan, now)
    if added:
        console.print(f"digest {plan.week}: {added} messages enqueued")
    else:
        console.print(f"digest {plan.week} was already enqueued this week; not again")


def _preview(plan: DigestPlan, out: Path) -> None:
    written = write_preview(plan, out)
    parts = sum(1 for m in plan.messages if m.kind is MessageKind.POST)
    console.print(f"digest {plan.week}: {parts} message(s), {len(plan.charts)} chart(s)")
    for path in written:
        console.print(f"  wrote {path}", highlight=False)
