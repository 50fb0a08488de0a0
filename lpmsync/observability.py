"""Prometheus metrics for the service, in a registry of their own (tests stay isolated).

The job bodies report what they did through `Metrics`; `/metrics` (see
`lpmsync.web`) exposes the registry.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from lpmsync.readiness import Readiness

__all__ = ["Metrics", "Readiness"]


SYNC_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)


class Metrics:
    """Every metric lpmsync exports. One instance per process (or per test)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        self._sync_metrics(self.registry)
        self._alert_metrics(self.registry)
        self._job_metrics(self.registry)

    def _sync_metrics(self, r: CollectorRegistry) -> None:
        self.sync_duration = Histogram(
            "lpmsync_sync_duration_seconds",
            "Duration of one source's sync.",
            ["source"],
            buckets=SYNC_BUCKETS,
            registry=r,
        )
        self.sync_items = Counter(
            "lpmsync_sync_items",
            "Items written by syncs, by source and change (added, changed, removed, skipped).",
            ["source", "change"],
            registry=r,
        )
        self.tracker_requests = Counter(
            "lpmsync_tracker_requests",
            "Tracker HTTP requests, by source and the status of the sync that made them.",
            ["source", "status"],
            registry=r,
        )
        self.unmapped_items = Gauge(
            "lpmsync_unmapped_items",
            "Items whose tracker status no mapping knows, as of the last sync.",
            ["source"],
            registry=r,
        )

    def _alert_metrics(self, r: CollectorRegistry) -> None:
        self.findings = Gauge(
            "lpmsync_findings", "Findings of the last check, by rule.", ["rule"], registry=r
        )
        self.open_alerts = Gauge(
            "lpmsync_open_alerts", "Alerts firing, by rule.", ["rule"], registry=r
        )
        self.outbox_depth = Gauge(
            "lpmsync_outbox_depth", "Slack messages waiting in the outbox.", registry=r
        )
        self.messages_sent = Counter(
            "lpmsync_slack_messages_sent", "Slack messages delivered.", registry=r
        )
        self.send_failures = Counter(
            "lpmsync_slack_send_failures",
            "Slack deliveries that failed, by kind (retry: will be retried; permanent: given up).",
            ["kind"],
            registry=r,
        )

    def _job_metrics(self, r: CollectorRegistry) -> None:
        self.job_runs = Counter(
            "lpmsync_job_runs",
            "Scheduled job runs, by job and status (ok, failed, skipped: held by another replica).",
            ["job", "status"],
            registry=r,
        )
        self.last_success = Gauge(
            "lpmsync_last_success_timestamp_seconds",
            "Unix time of the last successful run, by job and source ('' for jobs over all).",
            ["job", "source"],
            registry=r,
        )

    def observe_sync(
        self,
        source: str,
        *,
        status: str,
        seconds: float,
        changes: Mapping[str, int],
        requests: int,
        unmapped: int,
    ) -> None:
        """Record one source's sync; `changes` maps added/changed/removed/skipped to counts."""
        self.sync_duration.labels(source).observe(seconds)
        for change, count in changes.items():
            self.sync_items.labels(source, change).inc(count)
        self.tracker_requests.labels(source, status).inc(requests)
        if status == "ok":
            self.unmapped_items.labels(source).set(unmapped)

    def mark_success(self, job: str, at: datetime, source: str = "") -> None:
        self.last_success.labels(job, source).set(at.timestamp())

    def count_job(self, job: str, status: str) -> None:
        self.job_runs.labels(job, status).inc()

    def set_findings(self, counts: Mapping[str, int]) -> None:
        _replace(self.findings, counts)

    def set_open_alerts(self, counts: Mapping[str, int]) -> None:
        _replace(self.open_alerts, counts)

    def observe_send(self, sent: int, retried: int, failed: int) -> None:
        self.messages_sent.inc(sent)
        self.send_failures.labels("retry").inc(retried)
        self.send_failures.labels("permanent").inc(failed)


def _replace(gauge: Gauge, counts: Mapping[str, int]) -> None:
    """Set the gauge to exactly these labels: a rule that no longer fires drops to absent."""
    gauge.clear()
    for label, count in counts.items():
        gauge.labels(label).set(count)
