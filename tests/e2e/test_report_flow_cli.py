"""`lpmsync report --flow` over a seeded SQLite store with state history."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lpmsync.cli import app
from lpmsync.domain.model import ItemRef, Level, StateChange, WorkItem
from lpmsync.domain.sync import SyncPage
from lpmsync.store import open_store

REAL_NOW = datetime.now(UTC)  # the CLI reads the real clock: dates are relative to it

CONFIG = """
portfolio:
  name: Flow Portfolio
  states: [{{name: Funnel}}, {{name: Analyzing}}, {{name: Implementing}}, {{name: Done}}]
flow:
  window_weeks: 4
  wait_states: []
store:
  url: {url}
"""


def _item(key: str, state: str, level: Level, *, days_ago: float, **fields: object) -> WorkItem:
    return WorkItem(
        source="jira",
        key=key,
        id=key,
        level=level,
        title=f"Title {key}",
        url=f"https://jira.example/browse/{key}",
        status=state,
        state=state,
        created=REAL_NOW - timedelta(days=200),
        updated=REAL_NOW - timedelta(days=days_ago),
        entered_state_at=REAL_NOW - timedelta(days=days_ago),
        **fields,  # type: ignore[arg-type]
    )


def _moves(key: str, *moves: tuple[float, str | None, str]) -> list[StateChange]:
    return [
        StateChange("jira", key, REAL_NOW - timedelta(days=days), before, after)
        for days, before, after in moves
    ]


@pytest.fixture
def config(tmp_path: Path, sqlite_url: str) -> Path:
    epic = ItemRef("jira", "PORT-1")
    items = (
        _item("PORT-1", "Implementing", Level.EPIC, days_ago=50),
        _item("F-1", "Done", Level.FEATURE, days_ago=3, parent=epic),
        _item("F-2", "Implementing", Level.FEATURE, days_ago=20, parent=epic),
        _item("F-3", "Done", Level.FEATURE, days_ago=10, parent=epic),
    )
    history = [
        *_moves("PORT-1", (60, "Funnel", "Analyzing"), (50, "Analyzing", "Implementing")),
        *_moves("F-1", (30, "Funnel", "Implementing"), (3, "Implementing", "Done")),
        *_moves("F-2", (20, "Funnel", "Implementing")),
        *_moves("F-3", (20, "Funnel", "Analyzing"), (10, "Analyzing", "Done")),
    ]
    store = open_store(sqlite_url)
    try:
        store.items.apply_page("jira", SyncPage(items=items, history=tuple(history)), REAL_NOW)
    finally:
        store.close()
    path = tmp_path / "lpmsync.yaml"
    path.write_text(CONFIG.format(url=sqlite_url), encoding="utf-8")
    return path


runner = CliRunner()


def test_report_json_carries_the_flow_section(config: Path) -> None:
    result = runner.invoke(app, ["report", "-c", str(config), "-f", "json"])
    assert result.exit_code == 0, result.output
    flow = json.loads(result.stdout)["flow"]
    assert flow["window_weeks"] == 4 and len(flow["buckets"]) == 4
    assert flow["velocity"] == {"epic": [0, 0, 0, 0], "feature": [0, 0, 1, 1]}
    assert flow["load"]["feature"] == [1, 3, 2, 1]
    assert flow["flow_time_days"]["feature"] == {"n": 2, "p50": 10.0, "p85": 27.0, "p95": 27.0}
    assert flow["flow_time_days"]["epic"] == {"n": 0, "p50": None, "p85": None, "p95": None}
    assert flow["efficiency"] == {"epic": None, "feature": 1.0}
    assert flow["distribution"] == {"unaligned": 1.0}
    (forecast,) = flow["forecasts"]
    assert (forecast["key"], forecast["remaining"], forecast["trials"]) == ("PORT-1", 1, 2000)
    assert forecast["p50"] <= forecast["p85"]
    assert flow["left_out"] == {
        "velocity": {"epic": 0, "feature": 0},
        "load": {"epic": 0, "feature": 0},
        "flow_time": {"epic": 0, "feature": 0},
    }


def test_report_flow_json_is_only_the_flow_section(config: Path) -> None:
    result = runner.invoke(app, ["report", "-c", str(config), "--flow", "-f", "json"])
    assert result.exit_code == 0, result.output
    assert set(json.loads(result.stdout)) == {"flow"}


def test_report_flow_table(config: Path) -> None:
    result = runner.invoke(app, ["report", "-c", str(config), "--flow"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    for expected in (
        "Flow over the last 4 weeks",
        "flow time in days",
        "│ feature │        2 │ 10.0 │ 27.0 │ 27.0 │     100.0% │",
        "jira:PORT-1",
        "whole portfolio",
        "Every item had the state history each figure needs.",
    ):
        assert expected in out, out
