"""The weekly digest use case: analyse the store, build and render the digest and its charts,
then either enqueue it (with a snapshot for next week's deltas) or write a preview to disk."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from lpmsync.analysis import analyse
from lpmsync.analysis.digest import WEEK, AlertCounts, build_digest, digest_metrics
from lpmsync.domain.alerts import MessageKind, OutgoingMessage
from lpmsync.domain.digest import Digest
from lpmsync.notify.render_digest import render_digest
from lpmsync.notify.render_html import preview_html
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


def plan_digest(store: SqlStore, settings: Settings, now: datetime) -> DigestPlan:
    """Read the store and build the digest for the week ending `now`; writes nothing."""
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
    digest = build_digest(
        analysis,
        policy,
        now=now,
        alerts=counts,
        previous=store.snapshots.latest_before(now - _PREVIOUS_MIN_AGE),
        top_n=top_n,
    )
    channel = (slack.digest.channel or slack.default_channel) if slack else "(not configured)"
    week = _iso_week(now, settings.portfolio.timezone)
    charts = _charts(digest) if with_charts else {}
    return DigestPlan(digest, _messages(digest, charts, channel, week), charts, week)


def _charts(digest: Digest) -> dict[str, bytes]:
    # matplotlib takes ~0.3 s to import: only the digest pays for it, not every command.
    from lpmsync.notify.charts import digest_charts  # noqa: PLC0415
    from lpmsync.notify.charts_flow import flow_charts  # noqa: PLC0415

    return {**digest_charts(digest), **flow_charts(digest.flow)}


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
    if store.outbox.find(plan.messages[0].dedup_key) is not None:
        return 0
    added = store.outbox.enqueue(plan.messages, now)
    store.snapshots.save(now, digest_metrics(plan.digest))
    return added


def write_preview(plan: DigestPlan, out_dir: Path) -> list[Path]:
    """Write the blocks JSON, the chart PNGs and a self-contained HTML preview to `out_dir`."""
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
