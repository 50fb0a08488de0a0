"""The weekly digest end to end: store → digest → outbox → sender → the sandbox Slack, with its
charts uploaded (files_upload_v2) into the digest's thread; once per week; deltas next week."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from lpmsync.domain.alerts import MessageKind
from lpmsync.domain.model import UNMAPPED
from lpmsync.sandbox.slack_blocks import MAX_BLOCKS_TEXT, blocks_text_length
from lpmsync.services.digest import plan_digest, publish_digest
from lpmsync.services.send import drain_outbox
from lpmsync.settings import Settings
from lpmsync.store import SqlStore
from tests.integration.notify_support import (
    T0,
    FakeClock,
    Slack,
    fresh,
    put_items,
    serve_slack,
    settings_for,
    work_item,
)


@pytest.fixture(scope="module")
def running_slack() -> Iterator[Slack]:
    yield from serve_slack()


@pytest.fixture
def slack(running_slack: Slack) -> Slack:
    return fresh(running_slack)


@pytest.fixture
def settings(tmp_path: Path, slack: Slack) -> Settings:
    return settings_for(tmp_path, slack.base_url)


def small_portfolio(store: SqlStore) -> None:
    put_items(
        store,
        [
            *(work_item(f"CX-{i}", labels=("cx",), age_days=90 + i) for i in range(4)),
            work_item("DATA-1", labels=("data",), state="Analyzing"),
            work_item("LOST-1", title="<!channel> unaligned & proud"),
            work_item("ODD-1", state=UNMAPPED, status="Blocked <by legal>"),
        ],
    )


def test_digest_posts_once_a_week_with_charts_in_its_thread(
    store: SqlStore, slack: Slack, settings: Settings
) -> None:
    small_portfolio(store)
    clock = FakeClock()
    plan = plan_digest(store, settings, clock())
    kinds = [m.kind for m in plan.messages]
    # 3 alignment charts, then the cumulative flow and velocity/load (nothing finished: no
    # flow-time scatter)
    assert kinds == [MessageKind.POST] + [MessageKind.UPLOAD] * 5
    assert publish_digest(store, plan, clock()) == 6
    assert drain_outbox(store, slack.sender(), clock).sent == 6

    [digest] = slack.workspace.top_level("C0PORTFOLIO")
    assert digest.text.startswith("Weekly portfolio digest: Sandbox &lt;Portfolio&gt;")
    text = str(digest.blocks)
    assert "&lt;!channel&gt; unaligned &amp; proud" in text and "<!channel>" not in text
    assert "status “Blocked &lt;by legal&gt;”" in text
    files = slack.workspace.files()
    assert sorted(f.filename for f in files) == [
        "aging.png",
        "allocation.png",
        "flow_cfd.png",
        "flow_velocity_load.png",
        "wip.png",
    ]
    assert {(f.channel, f.thread_ts) for f in files} == {("C0PORTFOLIO", digest.ts)}
    assert all(f.content.startswith(b"\x89PNG") for f in files)
    assert slack.calls("files.getUploadURLExternal") == 5
    assert slack.calls("files.completeUploadExternal") == 5

    clock.now = T0 + timedelta(hours=3)  # a retry or another replica, same week
    again = plan_digest(store, settings, clock())
    assert publish_digest(store, again, clock()) == 0
    assert drain_outbox(store, slack.sender(), clock).sent == 0
    assert len(slack.workspace.top_level()) == 1


def test_next_weeks_digest_shows_changes_since_the_last_snapshot(
    store: SqlStore, slack: Slack, settings: Settings
) -> None:
    small_portfolio(store)
    clock = FakeClock()
    publish_digest(store, plan_digest(store, settings, clock()), clock())
    snapshot = store.snapshots.latest_before(T0 + timedelta(seconds=1))
    assert snapshot is not None and snapshot[0] == T0

    put_items(store, [work_item(f"LOST-{i}") for i in range(2, 5)])
    clock.now = T0 + timedelta(days=7)
    plan = plan_digest(store, settings, clock())
    assert plan.week == "2026-W47" and plan.digest.previous_at == T0  # the week it covers
    deltas = {h.key: h.delta for h in plan.digest.headlines}
    assert deltas["unaligned"] == 3 and deltas["active_items"] == 3
    assert publish_digest(store, plan, clock()) == 6
    assert drain_outbox(store, slack.sender(), clock).sent == 12  # two digests of 6 messages
    latest = slack.workspace.top_level("C0PORTFOLIO")[-1]
    assert "changes since 2026-11-16" in str(latest.blocks)
    assert "*Unaligned items*\\n4  ▲3" in str(latest.blocks)


def test_a_500_item_digest_is_split_within_slacks_limits_and_delivered(
    store: SqlStore, slack: Slack, tmp_path: Path
) -> None:
    long_title = "Very long epic title " * 20
    put_items(
        store,
        [
            *(work_item(f"LOST-{i}", title=long_title, age_days=i) for i in range(100)),
            *(
                work_item(f"ODD-{i}", state=UNMAPPED, status=f"Custom status {i} " * 8)
                for i in range(400)
            ),
        ],
    )
    settings = settings_for(tmp_path, slack.base_url, top_n=50)
    clock = FakeClock()
    plan = plan_digest(store, settings, clock())
    posts = [m for m in plan.messages if m.kind is MessageKind.POST]
    assert len(posts) >= 2
    assert all(len(m.blocks) <= 50 for m in posts)
    assert publish_digest(store, plan, clock()) == len(plan.messages)
    # Parts over Slack's ~13,000 characters of block text are refused (msg_blocks_too_long)
    # and split again by the sender: every part is delivered, none over the limit.
    summary = drain_outbox(store, slack.sender(), clock)
    assert (summary.failed, summary.pending) == (0, 0)
    assert summary.sent == len(plan.messages) + summary.split
    parts = slack.workspace.top_level("C0PORTFOLIO")
    assert len(parts) == len(posts) + summary.split
    assert all(blocks_text_length(list(p.blocks)) <= MAX_BLOCKS_TEXT for p in parts)
    headers = [str(p.blocks[0]["text"]["text"]) for p in parts]
    numbered = [h for h in headers if not h.endswith("(continued)")]
    assert all(h.endswith(f"(part {i}/{len(posts)})") for i, h in enumerate(numbered, start=1))
    assert {f.thread_ts for f in slack.workspace.files()} == {parts[0].ts}
    shown = "".join(str(p.blocks) for p in parts)
    assert "*Serving no active theme* (100, showing 50)" in shown
    assert all(f"jira ODD-{i}:" in shown for i in range(400))
