"""services.report over a real store, SQLite and PostgreSQL: items and history round-trip into
the analysis (tz-aware dates, parents across sources, the history fallback for entry dates)."""

from __future__ import annotations

from datetime import timedelta

from lpmsync.domain.model import ItemRef, Level, StateChange
from lpmsync.domain.sync import SyncPage
from lpmsync.services.report import build_report
from lpmsync.settings import Settings
from lpmsync.store import SqlStore
from tests.unit.test_analysis_support import NOW, feature, item

SETTINGS = Settings.model_validate(
    {
        "portfolio": {
            "name": "Acme",
            "states": [
                {"name": "Funnel"},
                {"name": "Implementing", "wip_limit": {"feature": 1}, "max_age_days": 10},
                {"name": "Done"},
            ],
        },
        "themes": [{"key": "cx", "name": "CX", "match": {"labels": ["cx"]}}],
    }
)


def test_report_reads_items_and_history_from_the_store(store: SqlStore) -> None:
    epic = item("500", source="ado", labels=("cx",))
    undated = feature(
        "F-1", source="jira", parent=ItemRef("ado", "500"), days_in_state=None, status="Doing"
    )
    other = feature("F-2", source="jira", parent=ItemRef("ado", "500"))
    store.items.apply_page("ado", SyncPage(items=(epic,)), NOW)
    history = (
        StateChange("jira", "F-1", NOW - timedelta(days=30), "Open", "Doing"),
        StateChange("jira", "F-1", NOW - timedelta(days=12), "Blocked", "Doing"),
    )
    store.items.apply_page("jira", SyncPage(items=(undated, other), history=history), NOW)

    report = build_report(SETTINGS, store.items, lambda: NOW)

    analysis = report.analysis
    assert analysis.items_count == 3
    assert analysis.assignments[ItemRef("jira", "F-1")].reason == "inherited from ado:500"
    by_rule = {finding.rule: finding for finding in analysis.findings}
    assert set(by_rule) == {"aging", "wip-breach"}
    assert by_rule["aging"].evidence["entered_from"] == "history"
    assert by_rule["aging"].evidence["days_in_state"] == 12
    assert by_rule["wip-breach"].scope.level is Level.FEATURE
    assert by_rule["wip-breach"].evidence["items"] == ["jira:F-1", "jira:F-2"]
