"""The steps the scheduled jobs run after sync, composed from the use cases:

- check: analyse the store (services.report), then the alert lifecycle enqueues what changed
  (services.notify);
- send: drain the outbox into Slack (services.send, which records its own run);
- digest: build the weekly digest and enqueue it (services.digest; once per ISO week), or wait
  while a source is stale (services.digest_freshness: the cycle retries it).

Each feeds the metrics. Without `notify.slack` the analysis still runs (findings are counted)
and the Slack steps record that there is nowhere to send.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter

from lpmsync.observability import Metrics
from lpmsync.services.clock import Clock
from lpmsync.services.digest import build_digest_now
from lpmsync.services.digest_freshness import WAITING
from lpmsync.services.jobs import Step, StepOutcome
from lpmsync.services.notify import notify_findings, people_lookup, routing_policy
from lpmsync.services.report import build_report
from lpmsync.services.send import Sender, drain_outbox
from lpmsync.settings import Settings
from lpmsync.store import SqlStore

log = logging.getLogger("lpmsync.jobs")

NO_SLACK = "no-slack-configured"  # recorded instead of Slack stats when notify.slack is absent


def check_step(store: SqlStore, settings: Settings, clock: Clock, metrics: Metrics) -> Step:
    """What `lpmsync check` does: the report's analysis, then the alert lifecycle."""
    routing = routing_policy(settings) if settings.notify.slack is not None else None
    people = people_lookup(settings)  # built once: its cache lasts as long as the service

    def check() -> StepOutcome:
        report = build_report(settings, store.items, clock)
        analysis, now = report.analysis, report.generated_at
        metrics.set_findings(Counter(finding.rule for finding in analysis.findings))
        stats = {
            "items": analysis.items_count,
            "findings": len(analysis.findings),
            "unmapped": len(analysis.unmapped),
        }
        if routing is None:
            return StepOutcome({**stats, "alerts": NO_SLACK})
        outcome = notify_findings(store, analysis.findings, routing, now, people=people)
        refresh_store_gauges(store, metrics)
        return StepOutcome(
            {
                **stats,
                "firing": outcome.firing,
                "resolved": outcome.resolved,
                "enqueued": outcome.enqueued,
            }
        )

    return Step("check", check)


def send_step(
    store: SqlStore,
    sender: Sender | None,
    clock: Clock,
    metrics: Metrics,
    *,
    max_attempts: int,
    stop: threading.Event,
) -> Step:
    """Drain the outbox; a short 429 is waited out, but a stop request ends the wait."""

    def send() -> StepOutcome:
        if sender is None:
            return StepOutcome({"skipped": NO_SLACK})
        summary = drain_outbox(
            store,
            sender,
            clock,
            max_attempts=max_attempts,
            sleep=lambda s: _wait(stop, s),
            stop=stop,  # SIGTERM: the message in flight finishes, the rest waits
        )
        metrics.observe_send(summary.sent, summary.retried, summary.failed)
        metrics.outbox_depth.set(summary.pending)
        return StepOutcome(summary.stats(), summary.status)

    return Step("send", send, records_itself=sender is not None)


def digest_step(store: SqlStore, settings: Settings, clock: Clock, metrics: Metrics) -> Step:
    def digest() -> StepOutcome:
        if settings.notify.slack is None:
            return StepOutcome({"skipped": NO_SLACK})
        outcome = build_digest_now(store, settings, clock())
        metrics.outbox_depth.set(store.outbox.depth())
        if outcome.status == WAITING:
            log.warning("%s", outcome.line())
        return StepOutcome(outcome.stats(), outcome.status)

    return Step("digest", digest)


def refresh_store_gauges(store: SqlStore, metrics: Metrics) -> None:
    """Open alerts and outbox depth as the store has them (at start, and after each check)."""
    metrics.set_open_alerts(store.alerts.open_counts_by_rule())
    metrics.outbox_depth.set(store.outbox.depth())


def _wait(stop: threading.Event, seconds: float) -> None:
    stop.wait(seconds)
