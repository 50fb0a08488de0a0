"""WIP per state and level (and value stream): `wip-breach`, `wip-starved` and the WIP rows."""

from __future__ import annotations

from typing import Any

import pytest

from lpmsync.domain.findings import RuleId, Scope
from lpmsync.domain.model import UNMAPPED, Level, WorkItem
from lpmsync.domain.report import WipRow
from tests.unit.test_analysis_support import (
    feature,
    fired,
    item,
    limit,
    on,
    policy,
    run,
    states,
)

WIP = [RuleId.WIP_BREACH, RuleId.WIP_STARVED]


def epics(count: int, state: str = "Implementing", **fields: Any) -> list[WorkItem]:
    return [item(f"PORT-{n}", state, **fields) for n in range(count)]


@pytest.mark.parametrize(
    ("count", "breach"),
    [(0, False), (2, False), (3, False), (4, True), (9, True)],
    ids=["empty", "under", "exactly-at-the-limit", "limit+1", "far-over"],
)
def test_wip_breach_fires_only_above_the_limit(count: int, breach: bool) -> None:
    kanban = states(Implementing={"limits": (limit(max=3),)})
    analysis = run(epics(count), policy(only=WIP, kanban=kanban))
    assert [f.rule for f in analysis.findings] == (["wip-breach"] if breach else [])


def test_breach_finding_carries_scope_limit_and_items() -> None:
    kanban = states(Implementing={"limits": (limit(max=1),)})
    analysis = run(epics(2), policy(only=WIP, kanban=kanban))
    (finding,) = analysis.findings
    assert finding.subject is None
    assert finding.scope == Scope("Implementing", Level.EPIC, None, None)
    assert finding.message == "Implementing holds 2 epics, over its limit of 1"
    assert finding.evidence == {
        "state": "Implementing",
        "level": "epic",
        "value_stream": None,
        "count": 2,
        "limit": 1,
        "over_by": 1,
        "items": ["jira:PORT-0", "jira:PORT-1"],
    }


def test_an_item_entering_done_frees_its_wip_slot() -> None:
    kanban = states(Implementing={"limits": (limit(max=2),)})
    before = epics(3)
    after = [*before[:2], item("PORT-2", "Done")]
    assert len(fired(run(before, policy(only=WIP, kanban=kanban)), RuleId.WIP_BREACH)) == 1
    assert run(after, policy(only=WIP, kanban=kanban)).findings == ()


def test_limits_are_per_level() -> None:
    kanban = states(Implementing={"limits": (limit(max=1), limit(Level.FEATURE, max=2))})
    items = [*epics(1), *(feature(f"F-{n}") for n in range(3))]
    (finding,) = run(items, policy(only=WIP, kanban=kanban)).findings
    assert finding.scope.level is Level.FEATURE
    assert finding.evidence["count"] == 3


def test_value_stream_limits_count_only_their_stream_and_have_their_own_fingerprint() -> None:
    kanban = states(
        Implementing={
            "limits": (
                limit(Level.FEATURE, max=10),
                limit(Level.FEATURE, max=1, value_stream="Payments"),
                limit(Level.FEATURE, max=1, value_stream="Mobile"),
            )
        }
    )
    items = [
        feature("F-1", value_stream="Payments"),
        feature("F-2", value_stream="Payments"),
        feature("F-3", value_stream="Mobile"),
        feature("F-4"),
    ]
    analysis = run(items, policy(only=WIP, kanban=kanban))
    (finding,) = analysis.findings
    assert finding.scope == Scope("Implementing", Level.FEATURE, "Payments", None)
    assert finding.message == "Implementing (Payments) holds 2 features, over its limit of 1"
    rows = {(r.value_stream, r.level): r for r in analysis.wip if r.state == "Implementing"}
    assert rows[(None, Level.FEATURE)] == WipRow("Implementing", Level.FEATURE, None, 4, 10)
    assert rows[("Payments", Level.FEATURE)].count == 2
    assert rows[("Mobile", Level.FEATURE)].count == 1
    # Breaching the whole state too gives a different finding (another scope, fingerprint).
    crowded = [*items, *(feature(f"G-{n}") for n in range(8))]
    both = run(crowded, policy(only=WIP, kanban=kanban)).findings
    assert len({f.fingerprint for f in both}) == 2


@pytest.mark.parametrize(("count", "starved"), [(0, True), (1, True), (2, False), (5, False)])
def test_wip_starved_fires_below_the_minimum(count: int, starved: bool) -> None:
    kanban = states(Analyzing={"limits": (limit(min=2),)})
    analysis = run(epics(count, "Analyzing"), policy(only=WIP, kanban=kanban))
    assert [f.rule for f in analysis.findings] == (["wip-starved"] if starved else [])
    if starved:
        assert analysis.findings[0].evidence["min"] == 2
        assert analysis.findings[0].evidence["under_by"] == 2 - count


def test_unmapped_items_count_in_no_wip() -> None:
    kanban = states(Implementing={"limits": (limit(max=1),)})
    items = [*epics(1), item("PORT-9", UNMAPPED, status="Implementing-ish")]
    analysis = run(items, policy(only=WIP, kanban=kanban))
    assert analysis.findings == ()
    assert sum(row.count for row in analysis.wip) == 1


def test_wip_rows_cover_every_state_and_level_in_kanban_order() -> None:
    analysis = run(epics(2), policy(only=[]))
    assert [(r.state, r.level) for r in analysis.wip][:4] == [
        ("Funnel", Level.EPIC),
        ("Funnel", Level.FEATURE),
        ("Reviewing", Level.EPIC),
        ("Reviewing", Level.FEATURE),
    ]
    assert len(analysis.wip) == 12
    assert analysis.wip[8] == WipRow("Implementing", Level.EPIC, None, 2, None, None)


def test_disabled_or_narrowed_wip_rules() -> None:
    kanban = states(Implementing={"limits": (limit(max=1),)}, Ready={"limits": (limit(max=1),)})
    items = [*epics(2), *epics(2, "Ready", source="ado")]
    assert run(items, policy(only=[], kanban=kanban)).findings == ()
    narrowed = policy(
        only=WIP, kanban=kanban, rules={RuleId.WIP_BREACH: on(active_states=("Ready",))}
    )
    assert [f.scope.state for f in run(items, narrowed).findings] == ["Ready"]
    epics_only = policy(
        only=WIP, kanban=kanban, rules={RuleId.WIP_BREACH: on(levels=(Level.FEATURE,))}
    )
    assert run(items, epics_only).findings == ()
