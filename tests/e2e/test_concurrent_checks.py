"""Two `lpmsync check` commands at once on one PostgreSQL store: they take turns under the
check lock, every alert keeps its link to its Slack message, and every resolution is posted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lpmsync.domain.alerts import AlertStatus, MessageKind
from lpmsync.store import open_store
from lpmsync.store.outbox_rows import OutboxStatus
from tests.e2e.cli_helpers import run_cli
from tests.e2e.test_run_helpers import SECRETS, Sandbox, config_text, sandbox

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

# The second round turns two rules off: their alerts resolve.
RESOLVING = "rules: {unaligned: {enabled: false}, stale: {enabled: false}}\n"


def write(tmp_path: Path, box: Sandbox, pg_url: str, extra: str = "") -> Path:
    path = tmp_path / f"lpmsync{len(extra)}.yaml"
    # These checks follow single alerts from the first one on: no baseline summary.
    text = config_text(box, tmp_path / "data", store_url=pg_url, baseline_threshold="null")
    text += extra
    path.write_text(text, encoding="utf-8")
    return path


def two_checks_at_once(config: Path) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LPMSYNC_")}
    command = [sys.executable, "-c", "from lpmsync.cli import main; main()", "check"]
    processes = [
        subprocess.Popen(
            [*command, "-c", str(config)],
            env={**env, **SECRETS, "COLUMNS": "200"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]  # fmt: skip
    outputs = [p.communicate(timeout=120)[0] for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    return outputs


def test_two_checks_at_once_lose_no_link_and_post_every_resolution(
    tmp_path: Path, pg_url: str
) -> None:
    with sandbox() as box:
        firing = write(tmp_path, box, pg_url)
        synced = run_cli("sync", "-c", str(firing), env=SECRETS)
        assert synced.returncode == 0, synced.stdout + synced.stderr
        two_checks_at_once(firing)
        two_checks_at_once(write(tmp_path, box, pg_url, RESOLVING))
        messages = {(m.channel, m.ts): m for m in box.workspace.messages()}
        top_level = box.workspace.top_level()
    store = open_store(pg_url)
    try:
        alerts = store.alerts.load_all()
        entries = store.outbox.entries()
        checks = sorted(store.runs.recent(50, job="check"), key=lambda r: r.started_at)
    finally:
        store.close()
    resolved = [a for a in alerts if a.status is AlertStatus.RESOLVED]
    assert resolved and len(resolved) < len(alerts)
    assert all(a.message_ts is not None for a in alerts)  # no alert lost its message
    for alert in resolved:  # its announcement says so, and its thread has the reply
        announcement = messages[(str(alert.channel), str(alert.message_ts))]
        assert announcement.edits >= 1 and "resolved" in announcement.text
        replies = [m for m in messages.values() if m.thread_ts == alert.message_ts]
        assert any(r.text.startswith("Resolved:") for r in replies)
    posts = [e for e in entries if e.message.kind is MessageKind.POST and not e.message.target_ts]
    assert {e.status for e in entries} == {OutboxStatus.SENT}
    assert sorted(m.ts for m in top_level) == sorted(str(e.sent_ts) for e in posts)  # once each
    assert len(checks) == 4
    # One after the other: the second check of each round found the first's work done.
    second_round = sorted(int(str(run.stats["resolved"])) for run in checks[2:])
    assert second_round[0] == 0 and second_round[1] == len(resolved)
