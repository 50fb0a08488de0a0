"""`lpmsync run` as an operator runs it: a subprocess on a fast schedule, against the sandbox
trackers (Jira Cloud, Azure DevOps) and Slack, stopped with SIGTERM or SIGINT; a second service
on one SQLite file is refused."""

from __future__ import annotations

import json
import signal
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from lpmsync.domain.alerts import MessageKind
from lpmsync.store import open_store
from lpmsync.store.outbox_rows import OutboxStatus
from tests.e2e.cli_helpers import run_cli
from tests.e2e.test_run_helpers import SECRETS, cycle_done, running, sandbox, write_config

pytestmark = pytest.mark.slow


def fetch(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            body = response.read().decode()
            status = response.status
    except urllib.error.HTTPError as error:
        body, status = error.read().decode(), error.code
    try:
        return status, json.loads(body)
    except json.JSONDecodeError:
        return status, body


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_cycles_on_schedule_then_stops_cleanly(tmp_path: Path, sig: int) -> None:
    config = write_config(tmp_path, None)
    with running(config, "--sync-every", "1s") as service:  # the first cycle runs at start
        health = service.health_url()
        assert "now (initial sync)" in service.wait_for_message("next runs:")["message"]
        first = service.wait_for(cycle_done)
        second = service.wait_for(cycle_done)
        alive, ready = fetch(f"{health}/healthz"), fetch(f"{health}/readyz")
        board = fetch(f"{health}/")  # the board is served beside the scheduler
        code = service.stop(sig)
    assert code == 0, service.output()
    assert first["message"] == second["message"] == "cycle: ok"
    assert alive == (200, {"status": "alive"})
    assert ready[0] == 200 and ready[1]["status"] == "ready"
    assert board[0] == 200 and '<section class="head' in board[1]
    assert "lpmsync stopped" in service.output() and "Traceback" not in service.output()
    store = open_store(f"sqlite:///{tmp_path / 'data' / 'lpmsync.db'}")
    try:
        checks = [run for run in store.runs.recent(50) if run.job == "check"]
        assert len(checks) >= 2 and all(run.status == "ok" for run in checks)
        assert all(run.finished_at is not None for run in store.runs.recent(50))
    finally:
        store.close()


def test_a_second_service_on_the_same_sqlite_file_is_refused(tmp_path: Path) -> None:
    config = write_config(tmp_path, None)
    with running(config, "--no-initial-sync") as first:
        first.wait_for_message("lpmsync running")
        plan = first.wait_for_message("next runs:")["message"]
        second = run_cli("run", "-c", str(config), env=SECRETS, timeout=60)
        assert first.stop() == 0
    assert second.returncode == 1
    # A silent service says what it waits for; without an initial sync, nothing runs now.
    assert "sync → check → send 20" in plan and "weekly digest 20" in plan and "now" not in plan
    assert "another lpmsync service is already running" in second.stderr
    assert "use PostgreSQL" in second.stderr and "Traceback" not in second.stderr


def test_syncs_the_sandbox_and_posts_each_alert_once(tmp_path: Path) -> None:
    with sandbox() as box:
        config = write_config(tmp_path, box)
        with running(config, "--sync-now", "--sync-every", "1s") as service:
            health = service.health_url()
            results = [service.wait_for(cycle_done)["message"] for _ in range(3)]
            ready = fetch(f"{health}/readyz")
            metrics_status, metrics = fetch(f"{health}/metrics")
            code = service.stop()
        messages = box.workspace.top_level()
    assert code == 0, service.output()
    assert results == ["cycle: ok"] * 3, service.output()
    assert ready[0] == metrics_status == 200
    assert [(s["source"], s["fresh"]) for s in ready[1]["sources"]] == [
        ("jira", True),
        ("ado", True),
    ]
    for source in ("jira", "ado"):
        assert f'lpmsync_sync_items_total{{change="added",source="{source}"}}' in metrics
    assert 'lpmsync_job_runs_total{job="cycle",status="ok"} 3.0' in metrics
    store = open_store(f"sqlite:///{tmp_path / 'data' / 'lpmsync.db'}")
    try:
        entries = store.outbox.entries()
        posts = [e for e in entries if e.message.kind is MessageKind.POST]
        assert posts and all(e.status is OutboxStatus.SENT for e in entries)
        assert len(messages) == len({e.sent_ts for e in posts}) == len(posts)  # each once
        assert store.alerts.open_counts_by_rule()
        assert {item.source for item in store.items.load()} == {"jira", "ado"}
        assert all(run.status != "running" for run in store.runs.recent(100))
    finally:
        store.close()
