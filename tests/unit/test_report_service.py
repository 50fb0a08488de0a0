"""services.report: store items + settings → a report, as of the clock's `now`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

import pytest

from lpmsync.domain.model import StateChange, WorkItem
from lpmsync.services.report import build_report, unknown_rule
from lpmsync.settings import Settings
from tests.unit.test_analysis_support import NOW, item


class FakeItems:
    """The store's item repository, in memory; counts history reads."""

    def __init__(self, items: list[WorkItem], history: list[StateChange]) -> None:
        self._items = items
        self._history = history
        self.history_reads = 0

    def load(self, sources: Iterable[str] | None = None) -> list[WorkItem]:
        return list(self._items)

    def history(self, sources: Iterable[str] | None = None) -> list[StateChange]:
        self.history_reads += 1
        return list(self._history)


SETTINGS = Settings.model_validate(
    {
        "portfolio": {
            "name": "Acme",
            "states": [
                {"name": "Funnel"},
                {"name": "Implementing", "wip_limit": 1, "max_age_days": 10},
                {"name": "Done"},
            ],
        },
        "themes": [{"key": "cx", "name": "CX", "match": {"labels": ["cx"]}}],
        "rules": {"stale": {"enabled": False}},
    }
)


def test_build_report_analyses_the_store_as_of_the_clock() -> None:
    items = [item("PORT-1", labels=("cx",)), item("PORT-2", labels=("cx",))]
    report = build_report(SETTINGS, FakeItems(items, []), lambda: NOW)
    assert report.generated_at == NOW
    assert report.policy.name == "Acme"
    assert [finding.rule for finding in report.analysis.findings] == ["wip-breach"]
    assert report.as_json()["generated_at"] == NOW.isoformat()


def test_history_is_read_once_and_dates_items_without_an_entry_date() -> None:
    dated = FakeItems([item("PORT-1", labels=("cx",))], [])
    build_report(SETTINGS, dated, lambda: NOW)
    assert dated.history_reads == 1  # the flow metrics need it
    changes = [StateChange("jira", "PORT-1", NOW - timedelta(days=30), "Funnel", "Implementing")]
    undated = FakeItems([item("PORT-1", labels=("cx",), days_in_state=None)], changes)
    report = build_report(SETTINGS, undated, lambda: NOW)
    assert undated.history_reads == 1
    (aging,) = report.analysis.findings
    assert aging.rule == "aging"
    assert aging.evidence["entered_from"] == "history"


def test_only_keeps_the_named_rules_and_the_aggregates() -> None:
    items = [item("PORT-1"), item("PORT-2", labels=("cx",))]
    report = build_report(SETTINGS, FakeItems(items, []), lambda: NOW)
    assert {f.rule for f in report.analysis.findings} == {"unaligned", "wip-breach"}
    narrowed = report.only(["unaligned"])
    assert [f.rule for f in narrowed.analysis.findings] == ["unaligned"]
    assert narrowed.analysis.wip == report.analysis.wip
    assert narrowed.analysis.alignment_rate == 0.5


@pytest.mark.parametrize(
    ("rule_id", "message"),
    [
        ("wip-breach", None),
        ("wip-breech", "unknown rule id 'wip-breech' (did you mean 'wip-breach'?)"),
        ("zzz", "unknown rule id 'zzz'; expected one of unaligned,"),
    ],
)
def test_unknown_rule_ids_get_a_did_you_mean(rule_id: str, message: str | None) -> None:
    problem = unknown_rule(rule_id)
    if message is None:
        assert problem is None
    else:
        assert problem is not None
        assert problem.startswith(message)
