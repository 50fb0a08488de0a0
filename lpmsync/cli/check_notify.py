"""The Slack half of `lpmsync check`: findings → alert lifecycle → outbox → sent (or, with
`--dry-run`, shown as they would be sent, with nothing written)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import typer

from lpmsync.bootstrap import build_slack_sender, open_configured_store
from lpmsync.cli.common import console, print_send
from lpmsync.cli.slack_view import render_message
from lpmsync.cli.stopping import stop_on_signals
from lpmsync.domain.alerts import MessageKind, OutgoingMessage
from lpmsync.domain.findings import Finding
from lpmsync.domain.routing import RoutingPolicy
from lpmsync.notify.slack_people import SlackPeople
from lpmsync.services.clock import utc_now
from lpmsync.services.jobs_locks import CHECK, SEND, job_lock
from lpmsync.services.notify import (
    NotifyOutcome,
    notify_findings,
    people_lookup,
    routing_policy,
)
from lpmsync.services.send import drain_outbox
from lpmsync.settings import Settings
from lpmsync.store import SqlStore


def notify_check(
    settings: Settings, findings: Sequence[Finding], now: datetime, *, dry_run: bool
) -> None:
    """Alert Slack about `findings` as of `now`; exits 1 if sending did not complete."""
    slack = settings.notify.slack
    if slack is None:
        console.print("notify.slack is not configured: no alerts sent", highlight=False)
        return
    policy = routing_policy(settings)
    sender = None if dry_run else build_slack_sender(settings)
    store = open_configured_store(settings)
    try:
        if sender is None:
            _show(notify_findings(store, findings, policy, now, dry_run=True))
            return
        with stop_on_signals() as stop:
            # The check lock: two checks interleaving could lose an alert's message link.
            with job_lock(store, CHECK, utc_now):
                _notify(store, findings, policy, now, people_lookup(settings))
            with job_lock(store, SEND, utc_now):
                sent = drain_outbox(
                    store,
                    sender,
                    utc_now,
                    max_attempts=slack.max_attempts,
                    sleep=stop.wait,
                    stop=stop,
                )
    finally:
        store.close()
    print_send(sent)
    if sent.status not in ("ok", "interrupted"):
        raise typer.Exit(1)


def _notify(
    store: SqlStore,
    findings: Sequence[Finding],
    policy: RoutingPolicy,
    now: datetime,
    people: SlackPeople | None,
) -> None:
    # Recorded like the scheduler's check step, so `lpmsync status` shows CronJob runs too.
    run_id = store.runs.start("check", None, now)
    outcome = notify_findings(store, findings, policy, now, people=people)
    stats = {
        "findings": len(findings),
        "firing": outcome.firing,
        "resolved": outcome.resolved,
        "enqueued": outcome.enqueued,
    }
    store.runs.finish(run_id, utc_now(), "ok", stats)
    _summary(outcome)


def _summary(outcome: NotifyOutcome) -> None:
    console.print(
        f"alerts: {outcome.firing} firing, {outcome.resolved} resolved; "
        f"{outcome.enqueued} new messages in the outbox",
        highlight=False,
    )


def _show(outcome: NotifyOutcome) -> None:
    for message in outcome.messages:
        console.print(render_message(_as_dict(message), title=_title(message)))
    console.print(
        f"alerts: {outcome.firing} firing, {outcome.resolved} resolved; "
        f"{len(outcome.messages)} messages would be sent (dry run: nothing written or sent)",
        highlight=False,
    )


def _as_dict(message: OutgoingMessage) -> dict[str, object]:
    return {"text": message.text, "blocks": [dict(block) for block in message.blocks]}


def _title(message: OutgoingMessage) -> str:
    action = {
        MessageKind.POST: "reply in thread" if message.target_ts else "post",
        MessageKind.UPDATE: "edit",
        MessageKind.UPLOAD: "upload",
    }[message.kind]
    held = f", held until {message.not_before:%Y-%m-%d %H:%M} UTC" if message.not_before else ""
    return f"{action} → {message.channel}{held}"
