"""The weekly digest use case: analyse the store, build and render the digest and its charts,
then either enqueue it (with a snapshot for next week's deltas) or write a preview to disk."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from lpmsync.analysis import analyse
from lpmsync.analysis.digest import WEEK, AlertCounts, Snapshot, build_digest, digest_metrics
from lpmsync.domain.alerts import MessageKind, OutgoingMessage
from lpmsync.domain.audit import audit_summary
from lpmsync.domain.digest import Digest, StaleSource
from lpmsync.domain.findings import JsonValue
from lpmsync.errors import LpmsyncError
from lpmsync.notify.render_digest import render_digest
from lpmsync.notify.render_html import preview_html
from lpmsync.services.digest_freshness import WAITING, Freshness, freshness
from lpmsync.services.digest_rebuild import rebuild_digest
from lpmsync.settings import Settings
from lpmsync.settings.policy import to_policy
from lpmsync.store import SqlStore

# A snapshot at least this old counts as "last week" (a digest may run a little early or late).
_PREVIOUS_MIN_AGE = timedelta(days=6)
_CHART_TITLES = {
    "allocation.png": "Allocation against target",
    "wip.png": "WIP against limits",
    "aging.png": "Longest in their state",
    "flow_cfd.png": "Cumulative flow of the portfolio Kanban",
    "flow_time.png": "Flow time of finished items",
    "flow_velocity_load.png": "Velocity and load per week",
}


@dataclass(frozen=True, slots=True)
class DigestPlan:
    """A rendered digest: its POST parts first, then one UPLOAD per chart into its thread."""

    digest: Digest
    messages: tuple[OutgoingMessage, ...]
    charts: Mapping[str, bytes]
    week: str


@dataclass(frozen=True, slots=True)
class DigestOutcome:
    """What one digest attempt did: `waiting` for fresh data (nothing enqueued), or `ok`."""

    week: str
    status: str
    enqueued: int
    freshness: Freshness
    plan: DigestPlan | None = None
    rebuilt: bool = False

    def stats(self) -> dict[str, JsonValue]:
        stats: dict[str, JsonValue] = {**self.freshness.stats(self.week)}  # type: ignore[dict-item]
        if self.plan is not None:
            stats.update(messages=len(self.plan.messages), enqueued=self.enqueued)
            stats.update(rebuilt=self.rebuilt)
        return stats

    def line(self) -> str:
        if self.status == WAITING:
            return self.freshness.line(self.week)
        stale = [source.name for source in self.freshness.stale]
        warning = f" with a stale-data warning ({', '.join(stale)})" if stale else ""
        if self.rebuilt:
            return f"digest {self.week} rebuilt{warning}: {self.enqueued} messages enqueued"
        if self.enqueued:
            return f"digest {self.week}{warning}: {self.enqueued} messages enqueued"
        return f"digest {self.week} was already enqueued this week; not again (--force rebuilds)"


def build_digest_now(
    store: SqlStore, settings: Settings, now: datetime, *, force: bool = False
) -> DigestOutcome:
    """This week's digest: wait while a source is stale (until the deadline), else enqueue it
    (with the stale sources named in a banner). `force` sends now and rebuilds a digest already
    enqueued this week: edited in place if posted, replaced if still queued."""
    # This week's waiting attempts share one deadline: keyed by the calendar week of `now`.
    waiting_week = _iso_week(now, settings.portfolio.timezone)
    fresh = freshness(store, settings, now, waiting_week)
    if fresh.wait and not force:
        return DigestOutcome(waiting_week, WAITING, 0, fresh)
    plan = plan_digest(store, settings, now, stale=fresh.stale)
    if force:
        enqueued = rebuild_digest(store, plan.week, plan.messages, now)
        store.snapshots.save(now, digest_metrics(plan.digest))
        return DigestOutcome(plan.week, "ok", enqueued, fresh, plan, rebuilt=True)
    return DigestOutcome(plan.week, "ok", publish_digest(store, plan, now), fresh, plan)


def plan_digest(
    store: SqlStore,
    settings: Settings,
    now: datetime,
    *,
    stale: tuple[StaleSource, ...] = (),
) -> DigestPlan:
    """Read the store and build the digest for the week ending `now`; writes nothing.
    `stale` sources are named in a banner at the top."""
    policy = to_policy(settings)
    analysis = analyse(store.items.load(), policy, now, store.items.history())
    counts = AlertCounts(
        opened=store.alerts.opened_between(now - WEEK, now),
        resolved=store.alerts.resolved_between(now - WEEK, now),
        open=sum(store.alerts.open_counts_by_rule().values()),
    )
    slack = settings.notify.slack
    top_n = slack.digest.top_n if slack else 5
    with_charts = slack.digest.charts if slack else True
    history = _weekly_snapshots(store, now)
    digest = build_digest(
        analysis,
        policy,
        now=now,
        alerts=counts,
        previous=history[-1] if history else None,
        top_n=top_n,
        history=history,
    )
    actions = audit_summary(store.audit.since(now - WEEK, now))
    digest = replace(digest, actions_summary=actions, stale_sources=stale)
    channel = (slack.digest.channel or slack.default_channel) if slack else "(not configured)"
    week = digest.iso_week
    charts = _charts(digest) if with_charts else {}
    return DigestPlan(digest, _messages(digest, charts, channel, week), charts, week)


def _charts(digest: Digest) -> dict[str, bytes]:
    # matplotlib takes ~0.3 s to import: only the digest pays for it, not every command.
    from lpmsync.notify.charts import digest_charts  # noqa: PLC0415
    from lpmsync.notify.charts_flow import flow_charts  # noqa: PLC0415

    return {**digest_charts(digest), **flow_charts(digest.flow)}


def _weekly_snapshots(store: SqlStore, now: datetime, weeks: int = 4) -> list[Snapshot]:
    """Up to `weeks` snapshots, one per earlier week, oldest first (the last is "last week")."""
    found: list[Snapshot] = []
    before = now
    for _ in range(weeks):
        snapshot = store.snapshots.latest_before(before - _PREVIOUS_MIN_AGE)
        if snapshot is None:
            break
        found.append(snapshot)
        before = snapshot[0]
    return found[::-1]


def _iso_week(now: datetime, timezone: str) -> str:
    year, week, _ = now.astimezone(ZoneInfo(timezone)).isocalendar()
    return f"{year}-W{week:02d}"


def _messages(
    digest: Digest, charts: Mapping[str, bytes], channel: str, week: str
) -> tuple[OutgoingMessage, ...]:
    # Keyed by the week: a second run in the same week (a retry, another replica) is a no-op.
    parts = render_digest(digest, charts=bool(charts))
    posts = [
        OutgoingMessage(
            kind=MessageKind.POST,
            channel=channel,
            text=part.text,
            dedup_key=f"digest:{week}:part-{index}-of-{len(parts)}",
            blocks=part.blocks,
        )
        for index, part in enumerate(parts, start=1)
    ]
    uploads = [
        OutgoingMessage(
            kind=MessageKind.UPLOAD,
            channel=channel,
            text=_CHART_TITLES.get(name, name),
            dedup_key=f"digest:{week}:chart:{name}",
            parent_key=posts[0].dedup_key,
            file_content=content,
            filename=name,
            title=_CHART_TITLES.get(name, name),
        )
        for name, content in charts.items()
    ]
    return (*posts, *uploads)


def publish_digest(store: SqlStore, plan: DigestPlan, now: datetime) -> int:
    """Enqueue the digest and save this week's snapshot; returns how many messages were new.

    A digest already enqueued this week is left alone (0), even if its number of parts would
    differ now: half of a second digest would only confuse its readers.
    """
    if store.outbox.with_key_prefix(f"digest:{plan.week}:"):  # as built, or rebuilt
        return 0
    added = store.outbox.enqueue(plan.messages, now)
    store.snapshots.save(now, digest_metrics(plan.digest))
    return added


def write_preview(plan: DigestPlan, out_dir: Path) -> list[Path]:
    """Write the blocks JSON, the chart PNGs and a self-contained HTML preview to `out_dir`;
    a folder that cannot be written is one `LpmsyncError` line naming it."""
    try:
        return _write_preview(plan, out_dir)
    except OSError as exc:
        raise LpmsyncError(
            f"cannot write the digest preview to {out_dir}: {exc.strerror or exc}; "
            "choose a writable folder with --out"
        ) from None


def _write_preview(plan: DigestPlan, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    posts = [m for m in plan.messages if m.kind is MessageKind.POST]
    document = {
        "week": plan.week,
        "messages": [
            {"channel": m.channel, "text": m.text, "blocks": [dict(b) for b in m.blocks]}
            for m in posts
        ],
        "uploads": [
            {"filename": m.filename, "title": m.title, "thread_of": m.parent_key}
            for m in plan.messages
            if m.kind is MessageKind.UPLOAD
        ],
    }
    written = [out_dir / "digest.json"]
    written[0].write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
    for name, content in plan.charts.items():
        (out_dir / name).write_bytes(content)
        written.append(out_dir / name)
    page = preview_html(
        f"Weekly portfolio digest: {plan.digest.portfolio} ({plan.week})",
        [(m.text, m.blocks) for m in posts],
        plan.charts,
    )
    written.append(out_dir / "digest.html")
    written[-1].write_text(page, encoding="utf-8")
    return written
