"""`lpmsync digest` and `lpmsync check` as an operator runs them: the real entry point in a
subprocess, a SQLite store, and the sandbox Slack on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_sdk.models.blocks import Block

from lpmsync.domain.model import UNMAPPED
from lpmsync.sandbox.slack import SANDBOX_TOKEN
from lpmsync.store import open_store
from lpmsync.store.runs import RunRecord
from tests.e2e.cli_helpers import run_cli
from tests.integration.notify_support import (
    Slack,
    fresh,
    put_items,
    serve_slack,
    work_item,
    write_config,
)

TOKEN = {"SLACK_BOT_TOKEN": SANDBOX_TOKEN}


@pytest.fixture(scope="module")
def running_slack() -> Iterator[Slack]:
    yield from serve_slack()


@pytest.fixture
def slack(running_slack: Slack) -> Slack:
    return fresh(running_slack)


@pytest.fixture
def config(tmp_path: Path, slack: Slack) -> Path:
    store_url = f"sqlite:///{tmp_path / 'lpmsync.db'}"
    store = open_store(store_url)
    put_items(
        store,
        [
            *(work_item(f"CX-{i}", labels=("cx",), age_days=120 + i) for i in range(6)),
            work_item("LOST-1", title="<!channel> nobody owns this"),
            work_item("ODD-1", state=UNMAPPED, status="Parked"),
        ],
    )
    store.close()
    return write_config(tmp_path, slack.base_url, store_url)


def outbox_depth(config: Path) -> int:
    store = open_store(f"sqlite:///{config.parent / 'lpmsync.db'}")
    try:
        return len(store.outbox.entries())
    finally:
        store.close()


@pytest.mark.slow
def test_digest_dry_run_writes_a_preview_and_sends_nothing(
    config: Path, slack: Slack, tmp_path: Path
) -> None:
    out = tmp_path / "preview"
    result = run_cli("digest", "--config", str(config), "--dry-run", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "1 message(s), 5 chart(s)" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "aging.png",
        "allocation.png",
        "digest.html",
        "digest.json",
        "flow_cfd.png",
        "flow_velocity_load.png",
        "wip.png",
    ]
    document = json.loads((out / "digest.json").read_text(encoding="utf-8"))
    [message] = document["messages"]
    for raw in message["blocks"]:
        Block.parse(raw).validate_json()  # type: ignore[union-attr]
    assert [u["filename"] for u in document["uploads"]] == [
        "allocation.png",
        "wip.png",
        "aging.png",
        "flow_cfd.png",
        "flow_velocity_load.png",
    ]
    page = (out / "digest.html").read_text(encoding="utf-8")
    assert page.count('src="data:image/png;base64,') == 5
    assert "&lt;!channel&gt; nobody owns this" in page and "<!channel>" not in page
    assert (out / "wip.png").read_bytes().startswith(b"\x89PNG")
    assert slack.server.log.total() == 0 and outbox_depth(config) == 0


@pytest.mark.slow
def test_digest_posts_once_with_charts_in_its_thread(config: Path, slack: Slack) -> None:
    result = run_cli("digest", "--config", str(config), env=TOKEN)
    assert result.returncode == 0, result.stderr
    assert "6 messages enqueued" in result.stdout and "send: 6 sent" in result.stdout
    [digest] = slack.workspace.top_level("C0PORTFOLIO")
    assert {f.thread_ts for f in slack.workspace.files()} == {digest.ts}
    assert len(slack.workspace.files()) == 5

    again = run_cli("digest", "--config", str(config), env=TOKEN)
    assert again.returncode == 0, again.stderr
    assert "already enqueued this week" in again.stdout
    assert len(slack.workspace.messages()) == 1 and len(slack.workspace.files()) == 5


@pytest.mark.slow
def test_digest_without_the_token_exits_2_naming_the_variable(config: Path) -> None:
    result = run_cli("digest", "--config", str(config))
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_check_dry_run_shows_what_would_be_sent_then_check_sends_it(
    config: Path, slack: Slack
) -> None:
    preview = run_cli("check", "--config", str(config), "--dry-run", env=TOKEN)
    assert preview.returncode == 0, preview.stderr
    assert "post → C0CXTEAM" in preview.stdout and "post → C0PORTFOLIO" in preview.stdout
    assert "messages would be sent (dry run: nothing written or sent)" in preview.stdout
    assert slack.server.log.total() == 0 and outbox_depth(config) == 0

    sent = run_cli("check", "--config", str(config), env=TOKEN)
    assert sent.returncode == 0, sent.stderr
    posted = slack.workspace.top_level()
    assert {m.channel for m in posted} == {"C0CXTEAM", "C0PORTFOLIO", "C0FLOW"}
    [breach] = slack.workspace.top_level("C0FLOW")  # six epics Implementing, limit 5
    assert "WIP limit exceeded" in breach.text and "<@" not in str(breach.blocks)
    assert all("<!channel>" not in str(m.blocks) for m in posted)
    assert "<@U0CXOWNER>" in str(slack.workspace.top_level("C0CXTEAM")[0].blocks)

    again = run_cli("check", "--config", str(config), env=TOKEN)
    assert again.returncode == 0, again.stderr
    assert "0 new messages in the outbox" in again.stdout
    assert len(slack.workspace.messages()) == len(posted)
    runs = _check_runs(config)
    assert [run.status for run in runs] == ["ok", "ok"]  # the dry run records nothing
    assert runs[0].stats["enqueued"] == 0 and runs[1].stats["enqueued"] > 0


def _check_runs(config: Path) -> list[RunRecord]:
    store = open_store(f"sqlite:///{config.parent / 'lpmsync.db'}")
    try:
        return store.runs.recent(job="check")
    finally:
        store.close()
