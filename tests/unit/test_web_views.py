"""The board's pure view models: columns with their limits, the 30-day Done window, aging,
badges, filters and lanes, the per-cell cap, the item page and the findings page."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from lpmsync.domain.model import ItemRef, StateChange, WorkItem
from lpmsync.domain.policies import PortfolioPolicy
from lpmsync.web.pages import findings_page, item_page
from lpmsync.web.snapshot import UNALIGNED, Snapshot, build_snapshot
from lpmsync.web.views import CARDS_PER_CELL, BoardFilters, build_board
from tests.unit.test_analysis_support import NOW, feature, item, limit, policy, run, states

KANBAN = states(
    Analyzing={"limits": (limit(min=2),), "max_age_days": 30},
    Implementing={"limits": (limit(max=1),), "max_age_days": 60},
)


def snapshot_of(items: Sequence[WorkItem], the_policy: PortfolioPolicy | None = None) -> Snapshot:
    chosen = the_policy or policy(kanban=KANBAN, value_streams=("Payments", "Mobile"))
    return build_snapshot(items, [], run(items, chosen), chosen, now=NOW, version="v1")


def sample() -> list[WorkItem]:
    return [
        item("E-1", "Implementing", labels=("cx",), value_stream="Payments", owner="ada"),
        item("E-2", "Implementing", days_in_state=90, value_stream="Mobile"),
        item("E-3", "Analyzing", labels=("cx",), days_in_state=45),
        feature("F-1", "Implementing", parent="E-1", labels=("cx",), value_stream="Payments"),
        item("D-new", "Done", days_in_state=10, labels=("cx",)),
        item("D-old", "Done", days_in_state=45, labels=("cx",)),
        item("U-1", "Limbo", status="Limbo"),
        item("A-1", "Funnel", source="ado", components=("Core",)),
    ]


def test_columns_carry_counts_limits_and_their_status() -> None:
    board = build_board(snapshot_of(sample()), BoardFilters())
    columns = {column.state: column for column in board.columns}
    assert [column.state for column in board.columns] == [
        "Funnel", "Reviewing", "Analyzing", "Ready", "Implementing", "Done"
    ]  # fmt: skip
    assert columns["Implementing"].status == "breached"
    (epics,) = columns["Implementing"].limits
    assert (epics.level, epics.count, epics.limit, epics.status) == ("epic", 2, 1, "breached")
    assert columns["Analyzing"].status == "starved"
    assert columns["Ready"].status == "ok" and columns["Ready"].limits == ()
    assert columns["Done"].count == 1 and columns["Done"].note == "last 30 days"
    assert board.shown == 6 and board.unmapped == 1  # D-old and U-1 are not on the board


def test_cards_say_theme_age_and_findings() -> None:
    cards = {card.key: card for card in snapshot_of(sample()).cards}
    e1, e2, e3 = cards["E-1"], cards["E-2"], cards["E-3"]
    assert (e1.theme, e1.theme_name, e1.owner, e1.path) == (
        "cx", "Customer Experience", "ada", "/items/jira/E-1"
    )  # fmt: skip
    assert (e2.theme, e2.theme_name, e2.colour) == (UNALIGNED, UNALIGNED, "#b0b0b0")
    assert e2.days == 90 and e2.aging and not e1.aging
    assert e3.aging and e3.max_age_days == 30
    assert {badge.rule for badge in e2.badges} >= {"unaligned", "aging"}
    assert not cards["D-new"].aging and cards["D-new"].on_board and not cards["D-old"].on_board
    assert "U-1" not in cards


def test_filters_narrow_and_round_trip_through_the_query_string() -> None:
    snapshot = snapshot_of(sample())
    query = {"theme": "cx", "value_stream": "Payments", "level": "feature", "lanes": "theme"}
    filters = BoardFilters.from_query(query)
    board = build_board(snapshot, filters)
    assert [card.key for lane in board.lanes for cell in lane.cells for card in cell.cards] == [
        "F-1"
    ]
    assert filters.query() == "?theme=cx&value_stream=Payments&level=feature&lanes=theme"
    assert BoardFilters.from_query({"lanes": "bogus", "flagged": "1"}) == BoardFilters(flagged=True)
    flagged = build_board(snapshot, BoardFilters(flagged=True))
    assert all(card.badges for lane in flagged.lanes for c in lane.cells for card in c.cards)
    ado = build_board(snapshot, BoardFilters(source="ado"))
    assert ado.shown == 1 and ado.sources == ("ado", "jira")


def test_lanes_follow_the_configured_order() -> None:
    snapshot = snapshot_of(sample())
    by_stream = build_board(snapshot, BoardFilters(lanes="value_stream"))
    assert [lane.name for lane in by_stream.lanes] == ["Payments", "Mobile", "no value stream"]
    by_theme = build_board(snapshot, BoardFilters(lanes="theme"))
    assert [lane.name for lane in by_theme.lanes] == ["Customer Experience", "Platform", UNALIGNED]
    assert by_theme.lanes[0].colour == "#1f77b4"


def test_a_value_streams_own_limit_heads_its_narrowed_board() -> None:
    kanban = states(Implementing={"limits": (limit(max=5), limit(max=1, value_stream="Payments"))})
    the_policy = policy(kanban=kanban, value_streams=("Payments",))
    items = [item(f"E-{n}", value_stream="Payments") for n in range(2)]
    board = build_board(snapshot_of(items, the_policy), BoardFilters(value_stream="Payments"))
    (payments,) = next(c for c in board.columns if c.state == "Implementing").limits
    assert (payments.limit, payments.status) == (1, "breached")
    whole = build_board(snapshot_of(items, the_policy), BoardFilters())
    assert next(c for c in whole.columns if c.state == "Implementing").status == "ok"


def test_a_crowded_cell_shows_flagged_and_oldest_first_then_says_how_many_more() -> None:
    items = [item(f"F-{n}", "Ready", days_in_state=n, labels=("cx",)) for n in range(100)]
    items.append(item("NO-THEME", "Ready", days_in_state=0))  # flagged: unaligned
    board = build_board(snapshot_of(items), BoardFilters())
    funnel = board.lanes[0].cells[3]
    assert len(funnel.cards) == CARDS_PER_CELL and funnel.hidden == 101 - CARDS_PER_CELL
    assert [card.key for card in funnel.cards[:3]] == ["NO-THEME", "F-99", "F-98"]
    everything = build_board(snapshot_of(items), BoardFilters(all=True))
    assert len(everything.lanes[0].cells[3].cards) == 101


def test_the_item_page_has_reason_findings_timeline_and_family() -> None:
    items = sample()
    snapshot = snapshot_of(items)
    history = [
        StateChange("jira", "E-1", NOW - timedelta(days=30), "Analyzing", "Implementing"),
        StateChange("jira", "E-1", NOW - timedelta(days=50), None, "Analyzing"),
        StateChange("jira", "E-2", NOW - timedelta(days=5), None, "Implementing"),
    ]
    page = item_page(snapshot, ItemRef("jira", "E-1"), history)
    assert page is not None
    assert page.theme_names == ("Customer Experience",) and "label" in page.assignment.reason
    assert [(step.status, step.days) for step in page.timeline] == [
        ("Implementing", 30), ("Analyzing", 20)
    ]  # fmt: skip
    assert [child.label for child in page.children] == ["F-1"]
    child = item_page(snapshot, ItemRef("jira", "F-1"), [])
    assert child is not None and child.parent is not None
    assert (child.parent.label, child.parent.path) == ("E-1", "/items/jira/E-1")
    orphan = item_page(snapshot, ItemRef("jira", "E-2"), [])
    assert orphan is not None and {f.rule for f, _ in orphan.explanations} >= {"unaligned"}
    assert all(words.next_step for _, words in orphan.explanations)
    assert item_page(snapshot, ItemRef("jira", "nope"), []) is None


def test_findings_filter_by_the_slack_link_parameters_and_sort() -> None:
    snapshot = snapshot_of(sample())
    every = findings_page(snapshot, {})
    assert every.total == len(snapshot.analysis.findings) == len(every.rows)
    assert [row.finding.severity.value for row in every.rows] == sorted(
        (row.finding.severity.value for row in every.rows),
        key=["critical", "warning", "info"].index,
    )
    aging = findings_page(snapshot, {"rule": "aging", "source": "jira"})
    assert {row.finding.rule for row in aging.rows} == {"aging"} and aging.rows
    unaligned = findings_page(snapshot, {"theme": UNALIGNED})
    assert unaligned.rows and {row.theme for row in unaligned.rows} == {UNALIGNED}
    portfolio_wide = [row for row in every.rows if not row.about_item]
    assert portfolio_wide and all(row.source == "" for row in portfolio_wide)
    breach = next(row for row in every.rows if row.finding.rule == "wip-breach")
    assert (breach.item, breach.path) == ("Implementing epics", "/?level=epic")
    by_item = findings_page(snapshot, {"sort": "item", "severity": "warning"})
    assert by_item.query(sort="rule") == "?severity=warning&sort=rule"
    assert findings_page(snapshot, {"sort": "nonsense"}).sort == "severity"
