"""`lpmsync status`: runs, source freshness and errors, the outbox and open alerts, as tables and
as JSON; it exits 1 while a source is stale."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from lpmsync.domain.alerts import AlertState, AlertStatus, MessageKind, OutgoingMessage
from lpmsync.domain.findings import Finding, JsonValue, Severity
from lpmsync.domain.model import UNMAPPED, SkippedItem
from lpmsync.domain.sync import SyncPage
from lpmsync.services.clock import utc_now
from lpmsync.store import SqlStore, open_store
from tests.e2e.cli_helpers import run_cli
from tests.integration.notify_support import work_item

CONFIG = """
portfolio: {{name: Status test}}
store: {{data_dir: '{data}'}}
sources:
  - {{kind: azure_devops, name: ado, organization_url: 'https://dev.azure.com/contoso',
      project: Contoso, pat_env: ADO_PAT, states: {{Active: Implementing}}}}
  - {{kind: azure_devops, name: ado-two, organization_url: 'https://dev.azure.com/contoso',
      project: Other, pat_env: ADO_PAT, states: {{Active: Implementing}}}}
"""


def write_config(tmp_path: Path) -> Path:
    path = tmp_path / "lpmsync.yaml"
    path.write_text(CONFIG.format(data=tmp_path / "data"), encoding="utf-8")
    return path


def record(
    store: SqlStore,
    job: str,
    source: str | None,
    ago: timedelta,
    status: str,
    *,
    stats: Mapping[str, JsonValue] | None = None,
    error: str | None = None,
) -> None:
    at = utc_now() - ago
    run_id = store.runs.start(job, source, at)
    store.runs.finish(run_id, at + timedelta(seconds=3), status, stats or {}, error)


def populate(store: SqlStore) -> None:
    stats: dict[str, JsonValue] = {"skipped_count": 0, "unmapped_count": 0}  # a later delta
    hygiene = SyncPage(
        items=tuple(replace(work_item(f"A-{i}", state=UNMAPPED), source="ado") for i in range(4)),
        skipped=tuple(SkippedItem("ado", f"B-{i}", "no title") for i in range(3)),
    )
    store.items.apply_page("ado", hygiene, utc_now())
    record(store, "sync", "ado", timedelta(minutes=5), "ok", stats=stats)
    record(store, "sync", "ado-two", timedelta(hours=5), "ok", stats=stats)
    record(store, "sync", "ado-two", timedelta(minutes=5), "failed",
           error="source 'ado-two': 401 Unauthorized (check ADO_PAT)")  # fmt: skip
    record(store, "check", None, timedelta(minutes=4), "ok", stats={"findings": 9})
    now = utc_now()
    store.outbox.enqueue(
        [OutgoingMessage(MessageKind.POST, "C0GONE", "WIP breach in Implementing", "k1")], now
    )
    entry = store.outbox.claim(now)[0]
    store.outbox.mark_failed(entry.id, "channel_not_found", "Slack: channel_not_found", now)
    store.outbox.enqueue([OutgoingMessage(MessageKind.POST, "C0OK", "waiting", "k2")], now)
    finding = Finding("wip-breach", Severity.CRITICAL, "fp-1", "Implementing holds 7 of 5")
    store.alerts.save([AlertState("fp-1", "wip-breach", AlertStatus.FIRING, finding, now, now)])


def test_status_shows_runs_freshness_outbox_and_alerts(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    store = open_store(f"sqlite:///{tmp_path / 'data' / 'lpmsync.db'}")
    populate(store)
    store.close()
    table = run_cli("status", "-c", str(config))
    as_json = run_cli("status", "-c", str(config), "--format", "json")
    assert table.returncode == as_json.returncode == 1  # ado-two is stale
    assert "stale: ado-two (no successful sync within 45m)" in table.stderr
    out = table.stdout
    assert "sources (stale after 45m)" in out and "401 Unauthorized" in out
    assert "slack outbox: 1 waiting" in out and "channel_not_found" in out
    assert "open alerts: 1" in out and "wip-breach" in out
    report = json.loads(as_json.stdout)
    sources = {source["source"]: source for source in report["sources"]}
    assert sources["ado"]["fresh"] is True and sources["ado"]["unmapped_count"] == 4
    assert sources["ado"]["skipped_count"] == 3  # what the store holds, not the last delta
    assert sources["ado-two"]["fresh"] is False and sources["ado-two"]["last_status"] == "failed"
    assert sources["ado-two"]["error"] == "source 'ado-two': 401 Unauthorized (check ADO_PAT)"
    assert report["outbox"]["depth"] == 1
    assert report["outbox"]["recent_failures"][0]["error_code"] == "channel_not_found"
    assert report["open_alerts"] == {"wip-breach": 1}
    assert {(run["job"], run["source"]) for run in report["runs"]} == {
        ("sync", "ado"),
        ("sync", "ado-two"),
        ("check", None),
    }


def test_status_exits_0_when_every_source_is_fresh_and_needs_no_secrets(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    store = open_store(f"sqlite:///{tmp_path / 'data' / 'lpmsync.db'}")
    record(store, "sync", "ado", timedelta(minutes=1), "ok")
    record(store, "sync", "ado-two", timedelta(minutes=1), "ok")
    store.close()
    result = run_cli("status", "-c", str(config))  # no ADO_PAT in the environment
    assert result.returncode == 0, result.stderr
    assert (
        "nothing has run yet" not in result.stdout
        and "no message has failed for good" in result.stdout
    )


def test_status_of_a_fresh_store(tmp_path: Path) -> None:
    result = run_cli("status", "-c", str(write_config(tmp_path)), "--format", "json")
    report = json.loads(result.stdout)
    assert result.returncode == 1  # nothing synced yet
    assert report["runs"] == [] and report["outbox"]["depth"] == 0
    assert [source["last_status"] for source in report["sources"]] == [None, None]
