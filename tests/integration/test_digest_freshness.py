"""The digest waits for fresh data: while a source's last successful sync is older than
`max_source_age` it waits (the cycle retries it) until `stale_deadline`, then goes out with a
banner naming the stale sources; `--force` rebuilds this week's digest over the earlier one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from lpmsync.domain.alerts import MessageKind
from lpmsync.services.digest import build_digest_now, plan_digest
from lpmsync.services.digest_freshness import recent_sync_interval
from lpmsync.services.send import drain_outbox
from lpmsync.settings import Settings, load_settings
from lpmsync.store import SqlStore
from tests.integration.notify_support import (
    T0,
    FakeClock,
    Slack,
    fresh,
    put_items,
    serve_slack,
    work_item,
    write_config,
)

SOURCES = """
schedule: {sync: '*/15 * * * *'}
sources:
  - {kind: azure_devops, name: ado, organization_url: 'https://dev.azure.com/contoso',
     project: Contoso, pat_env: ADO_PAT, states: {Active: Implementing}}
  - {kind: azure_devops, name: boards, organization_url: 'https://dev.azure.com/contoso',
     project: Boards, pat_env: ADO_PAT, states: {Active: Implementing}}
"""


@pytest.fixture(scope="module")
def running_slack() -> Iterator[Slack]:
    yield from serve_slack()


@pytest.fixture
def slack(running_slack: Slack) -> Slack:
    return fresh(running_slack)


@pytest.fixture
def settings(tmp_path: Path, slack: Slack) -> Settings:
    path = write_config(tmp_path, slack.base_url)
    path.write_text(path.read_text(encoding="utf-8") + SOURCES, encoding="utf-8")
    environ = {"SLACK_BOT_TOKEN": "xoxb-sandbox", "ADO_PAT": "pat-1234"}
    return load_settings(path, environ, check_secrets=False)


def synced(store: SqlStore, source: str, at: datetime, status: str = "ok") -> None:
    run_id = store.runs.start("sync", source, at - timedelta(seconds=5))
    store.runs.finish(run_id, at, status, {})


def attempt(store: SqlStore, settings: Settings, at: datetime, *, force: bool = False) -> str:
    """One digest attempt, recorded as the digest job records it; returns its status."""
    run_id = store.runs.start("digest", None, at)
    outcome = build_digest_now(store, settings, at, force=force)
    store.runs.finish(run_id, at, outcome.status, outcome.stats())
    return outcome.status


def test_the_default_age_is_twice_the_sync_interval() -> None:
    assert recent_sync_interval("*/15 * * * *", "Europe/Berlin", T0) == timedelta(minutes=15)
    # Working hours: at 09:00 on a Monday the last gap is one hour, not the weekend.
    assert recent_sync_interval("0 8-18 * * mon-fri", "UTC", T0) == timedelta(hours=1)


def test_a_stale_source_holds_the_digest_then_it_goes_with_a_banner(
    store: SqlStore, slack: Slack, settings: Settings
) -> None:
    put_items(store, [work_item("CX-1", labels=("cx",))])
    synced(store, "ado", T0 - timedelta(minutes=10))
    synced(store, "boards", T0 - timedelta(hours=5))  # failing since
    synced(store, "boards", T0 - timedelta(minutes=10), status="failed")

    assert attempt(store, settings, T0) == "waiting"
    synced(store, "ado", T0 + timedelta(hours=3))
    assert attempt(store, settings, T0 + timedelta(hours=3)) == "waiting"
    assert store.outbox.depth() == 0
    waiting = store.runs.latest("digest")
    assert waiting is not None and waiting.stats["stale"] == ["boards"]
    assert waiting.stats["waiting_since"] == T0.isoformat()  # the deadline counts from here

    synced(store, "ado", T0 + timedelta(hours=6))
    assert attempt(store, settings, T0 + timedelta(hours=6)) == "ok"  # the deadline passed
    clock = FakeClock(T0 + timedelta(hours=6))
    assert drain_outbox(store, slack.sender(), clock).sent == 1 + charts(store, settings)
    [digest] = slack.workspace.top_level("C0PORTFOLIO")
    banner = str(digest.blocks[1])
    assert digest.text.startswith("⚠️ data may be out of date")
    assert "Data may be out of date." in banner and "*boards*" in banner and "ado" not in banner
    assert "last synced successfully 2026-11-16 04:00 UTC (11 h ago)" in banner


def charts(store: SqlStore, settings: Settings) -> int:
    """How many charts the digest of the stored items has (uploads into its thread)."""
    return len(plan_digest(store, settings, T0).charts)


def test_fresh_sources_send_at_once_without_a_banner(
    store: SqlStore, slack: Slack, settings: Settings
) -> None:
    put_items(store, [work_item("CX-1", labels=("cx",))])
    for source in ("ado", "boards"):
        synced(store, source, T0 - timedelta(minutes=20))
    assert attempt(store, settings, T0) == "ok"
    assert drain_outbox(store, slack.sender(), FakeClock(T0)).sent == 1 + charts(store, settings)
    [digest] = slack.workspace.top_level("C0PORTFOLIO")
    assert "out of date" not in str(digest.blocks) and "out of date" not in digest.text


def test_force_edits_a_posted_digest_in_place(
    store: SqlStore, slack: Slack, settings: Settings
) -> None:
    put_items(store, [work_item("CX-1", labels=("cx",))])
    assert attempt(store, settings, T0, force=True) == "ok"  # stale, but forced: a banner
    assert drain_outbox(store, slack.sender(), FakeClock(T0)).sent == 1 + charts(store, settings)
    [posted] = slack.workspace.top_level("C0PORTFOLIO")
    assert "never synced successfully" in str(posted.blocks)

    for source in ("ado", "boards"):
        synced(store, source, T0 + timedelta(hours=1))
    later = T0 + timedelta(hours=1, minutes=5)
    assert attempt(store, settings, later) == "ok"  # already enqueued this week: nothing new
    assert store.outbox.depth() == 0
    assert attempt(store, settings, later, force=True) == "ok"
    kinds = [e.message.kind for e in store.outbox.entries() if e.status == "pending"]
    assert kinds == [MessageKind.UPDATE] + [MessageKind.UPLOAD] * charts(store, settings)
    assert drain_outbox(store, slack.sender(), FakeClock(later)).sent == len(kinds)

    [edited] = slack.workspace.top_level("C0PORTFOLIO")  # the same message, edited
    assert edited.ts == posted.ts and "out of date" not in str(edited.blocks)
    uploads = [f for f in slack.workspace.files() if f.thread_ts == posted.ts]
    assert len(uploads) == 2 * charts(store, settings)  # the first charts stay (no delete scope)


def test_force_replaces_a_digest_still_queued(store: SqlStore, settings: Settings) -> None:
    put_items(store, [work_item("CX-1", labels=("cx",))])
    assert attempt(store, settings, T0, force=True) == "ok"
    first = {e.message.dedup_key for e in store.outbox.entries()}
    assert attempt(store, settings, T0 + timedelta(minutes=1), force=True) == "ok"
    entries = store.outbox.entries()
    replaced = [e for e in entries if e.message.dedup_key in first]
    assert {e.status for e in replaced} == {"withdrawn"}
    assert {e.error_code for e in replaced} == {"replaced"}
    pending = [e for e in entries if e.status == "pending"]
    uploads = [MessageKind.UPLOAD] * charts(store, settings)
    assert [e.message.kind for e in pending] == [MessageKind.POST, *uploads]
    assert store.outbox.depth() == 1 + len(uploads)
