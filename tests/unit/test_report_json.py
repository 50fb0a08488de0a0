"""The report JSON: the documented, stable shape (docs/report.md)."""

from __future__ import annotations

import json

from lpmsync.analysis import REPORT_VERSION, analyse, finding_json, report_json
from lpmsync.domain.model import UNMAPPED
from tests.unit.test_analysis_support import NOW, feature, item, limit, policy, states

TOP_LEVEL = {
    "version",
    "generated_at",
    "portfolio",
    "items",
    "active_items",
    "alignment_rate",
    "findings",
    "allocation",
    "wip",
    "oldest",
    "unmapped",
    "flow",
}


def sample() -> dict[str, object]:
    the_policy = policy(kanban=states(Implementing={"limits": (limit(max=1),)}))
    items = [
        item("PORT-1", labels=("cx",)),
        item("PORT-2"),
        feature("F-1", parent="PORT-1"),
        item("PORT-9", UNMAPPED, status="Parked"),
    ]
    return report_json(analyse(items, the_policy, NOW), the_policy, NOW)


def test_top_level_keys_and_types() -> None:
    report = sample()
    assert set(report) == TOP_LEVEL
    assert report["version"] == REPORT_VERSION == 1
    assert report["generated_at"] == "2026-11-16T09:00:00+00:00"
    assert report["portfolio"] == "Test Portfolio"
    assert report["items"] == 4
    assert report["active_items"] == 3
    assert report["alignment_rate"] == round(2 / 3, 4)
    assert report["unmapped"] == [{"source": "jira", "key": "PORT-9", "status": "Parked"}]


def test_it_is_plain_json_and_round_trips() -> None:
    report = sample()
    assert json.loads(json.dumps(report)) == report


def test_findings_entries() -> None:
    findings = sample()["findings"]
    assert isinstance(findings, list)
    for entry in findings:
        assert set(entry) == {
            "rule",
            "severity",
            "fingerprint",
            "subject",
            "scope",
            "message",
            "evidence",
        }
        assert set(entry["scope"]) == {"state", "level", "value_stream", "theme"}
        assert entry["subject"] is None or set(entry["subject"]) == {
            "source",
            "key",
            "title",
            "url",
        }
    breach = next(entry for entry in findings if entry["rule"] == "wip-breach")
    assert breach["subject"] is None
    assert breach["scope"] == {
        "state": "Implementing",
        "level": "epic",
        "value_stream": None,
        "theme": None,
    }
    assert breach["severity"] == "warning"
    unaligned = next(entry for entry in findings if entry["rule"] == "unaligned")
    assert unaligned["subject"] == {
        "source": "jira",
        "key": "PORT-2",
        "title": "Title of PORT-2",
        "url": "https://tracker.example/jira/PORT-2",
    }


def test_allocation_wip_and_oldest_entries() -> None:
    report = sample()
    allocation = report["allocation"]
    assert allocation == [
        {
            "theme": "cx",
            "name": "Customer Experience",
            "target_share": None,
            "actual_share": 0.5,
            "weight": 1.0,
            "retired": False,
            "active": True,
        },
        {
            "theme": "platform",
            "name": "Platform",
            "target_share": None,
            "actual_share": 0.0,
            "weight": 0.0,
            "retired": False,
            "active": True,
        },
    ]
    wip = report["wip"]
    assert isinstance(wip, list)
    assert wip[8] == {
        "state": "Implementing",
        "level": "epic",
        "value_stream": None,
        "count": 2,
        "limit": 1,
        "min": None,
    }
    oldest = report["oldest"]
    assert isinstance(oldest, dict)
    assert list(oldest) == ["Reviewing", "Analyzing", "Ready", "Implementing"]
    first = oldest["Implementing"][0]
    assert set(first) == {
        "source",
        "key",
        "title",
        "url",
        "level",
        "since",
        "since_source",
        "days",
        "theme",
        "value_stream",
    }


def test_finding_json_is_the_same_entry_the_report_uses() -> None:
    the_policy = policy()
    analysis = analyse([item("PORT-2")], the_policy, NOW)
    (entry,) = report_json(analysis, the_policy, NOW)["findings"]
    assert entry == finding_json(analysis.findings[0])
