"""`lpmsync report` and `lpmsync check` over a seeded SQLite store."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lpmsync.cli import app
from lpmsync.domain.model import UNMAPPED, ItemRef, Level, WorkItem
from lpmsync.domain.sync import SyncPage
from lpmsync.store import open_store
from tests.e2e.cli_helpers import run_cli

# The CLI reads the real clock: dates are relative to it, with wide margins.
REAL_NOW = datetime.now(UTC)

CONFIG = """
portfolio:
  name: E2E Portfolio
  states:
    - name: Funnel
    - name: Analyzing
    - name: Implementing
      wip_limit: 1
      max_age_days: 30
    - name: Done
themes:
  - key: cx
    name: Customer Experience
    target_share: 0.5
    match: {{labels: [cx]}}
rules:
  stale: {{enabled: false}}
store:
  url: {url}
"""


def _item(
    key: str,
    state: str,
    level: Level = Level.EPIC,
    *,
    title: str | None = None,
    status: str | None = None,
    days: int = 2,
    **fields: Any,
) -> WorkItem:
    return WorkItem(
        source="jira",
        key=key,
        id=key,
        level=level,
        title=title or f"Title {key}",
        url=f"https://jira.example/browse/{key}",
        status=status or state,
        state=state,
        created=REAL_NOW - timedelta(days=400),
        updated=REAL_NOW - timedelta(days=1),
        entered_state_at=REAL_NOW - timedelta(days=days),
        **fields,
    )


@pytest.fixture
def config(tmp_path: Path, sqlite_url: str) -> Path:
    store = open_store(sqlite_url)
    try:
        items = (
            _item("PORT-1", "Implementing", labels=("cx",), days=100),
            _item("PORT-2", "Implementing", title="[bold]<!channel> & co[/bold]"),
            _item("PORT-3", UNMAPPED, status="Parked"),
            _item("F-1", "Implementing", Level.FEATURE, parent=ItemRef("jira", "PORT-1")),
        )
        store.items.apply_page("jira", SyncPage(items=items), REAL_NOW)
    finally:
        store.close()
    path = tmp_path / "lpmsync.yaml"
    path.write_text(CONFIG.format(url=sqlite_url), encoding="utf-8")
    return path


runner = CliRunner()


def test_report_json_is_the_documented_shape(config: Path) -> None:
    result = runner.invoke(app, ["report", "--config", str(config), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["portfolio"] == "E2E Portfolio"
    assert report["items"] == 4
    assert report["active_items"] == 3
    assert sorted(f["rule"] for f in report["findings"]) == [
        "aging",
        "unaligned",
        "wip-breach",
    ]
    assert report["unmapped"] == [{"source": "jira", "key": "PORT-3", "status": "Parked"}]
    assert report["allocation"][0]["theme"] == "cx"
    assert report["allocation"][0]["actual_share"] == 0.5
    implementing = [row for row in report["wip"] if row["state"] == "Implementing"]
    assert implementing[0] == {
        "state": "Implementing",
        "level": "epic",
        "value_stream": None,
        "count": 2,
        "limit": 1,
        "min": None,
    }


def test_report_rule_filter(config: Path) -> None:
    args = ["report", "-c", str(config), "-f", "json", "--rule", "aging", "--rule", "wip-breach"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    rules = [f["rule"] for f in json.loads(result.stdout)["findings"]]
    assert rules == ["aging", "wip-breach"]  # the JSON keeps its documented order


def test_report_rejects_an_unknown_rule_with_a_did_you_mean(config: Path) -> None:
    result = runner.invoke(
        app, ["report", "-c", str(config), "--rule", "wip-breech"], env={"COLUMNS": "300"}
    )
    assert result.exit_code == 2
    assert "did you mean 'wip-breach'?" in result.output


def test_report_table_shows_findings_and_aggregates_with_titles_escaped(config: Path) -> None:
    result = runner.invoke(app, ["report", "-c", str(config)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    for expected in (
        "E2E Portfolio — 4 items, 3 active, alignment 67%, 3 findings",
        "2 epics in Implementing against a limit of 1: 1 over.",
        "Epic PORT-2",
        "It carries no theme field value, label, component or tag of an active theme.",
        "allocation",
        "Customer Experience",
        "unmapped statuses",
        "Parked",
        "[bold]<!channel> & co[/bold]",  # printed literally, not as Rich markup
    ):
        assert expected in out


def test_check_prints_a_summary_and_every_finding_with_verbose(config: Path) -> None:
    result = runner.invoke(app, ["check", "-c", str(config), "--dry-run"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "3 findings: 1 critical, 2 warning · wip-breach 1, aging 1, unaligned 1" in result.stdout
    assert "against a limit of 1" not in result.stdout
    args = ["check", "-c", str(config), "--dry-run", "-v"]
    verbose = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert "2 epics in Implementing against a limit of 1: 1 over." in verbose.stdout


def test_report_filters_sort_and_csv(config: Path) -> None:
    args = ["report", "-c", str(config), "-f", "csv", "--severity", "warning"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {row["severity"] for row in rows} == {"warning"} and len(rows) == 2
    assert all(row["url"].startswith("http") and row["next_step"] for row in rows)
    state = runner.invoke(app, ["report", "-c", str(config), "-f", "json", "--state", "Analyzng"])
    assert state.exit_code == 2 and "did you mean 'Analyzing'?" in state.output
    none = runner.invoke(app, ["report", "-c", str(config), "-f", "csv", "--owner", "nobody"])
    assert none.stdout.splitlines()[1:] == []


def test_without_a_terminal_tables_are_plain_and_never_cut(config: Path) -> None:
    completed = run_cli("report", "--config", str(config))
    assert completed.returncode == 0, completed.stderr
    assert not set("┏┃━│─┗╇") & set(completed.stdout)
    assert "…" not in completed.stdout
    assert max(len(line) for line in completed.stdout.splitlines()) > 80


def test_a_never_synced_store_says_so(tmp_path: Path, config: Path) -> None:
    empty = runner.invoke(
        app,
        ["report", "-c", str(config)],
        env={"LPMSYNC_STORE__URL": f"sqlite:///{tmp_path / 'never.db'}", "COLUMNS": "200"},
    )
    assert empty.exit_code == 0, empty.output
    assert "the store holds no items yet: run `lpmsync sync` first" in empty.output


def test_the_real_entry_point_exits_2_on_an_unknown_rule(config: Path) -> None:
    completed = run_cli("report", "--config", str(config), "--rule", "nope")
    assert completed.returncode == 2
    assert "unknown rule id 'nope'" in completed.stderr
