"""Flow metrics pinned over hand-written histories (docs/report.md, `flow`).

The window is 3 weeks ending Monday 2 Mar 2026 12:00 UTC: buckets start 9, 16 and 23 Feb at noon;
load is counted at 16 Feb, 23 Feb and 2 Mar, noon.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from lpmsync.analysis import analyse
from lpmsync.analysis.flow_forecast import nearest_rank
from lpmsync.domain.flow import FlowTime
from lpmsync.domain.model import Level
from tests.unit.flow_fixtures import NOW, STATUSES, ago, day, flow_policy, measure, story

SECOND = 1 / 86_400


def test_buckets_are_iso_starts_oldest_first() -> None:
    flow = measure([])
    assert [start.isoformat() for start in flow.buckets] == [
        "2026-02-09T12:00:00+00:00",
        "2026-02-16T12:00:00+00:00",
        "2026-02-23T12:00:00+00:00",
    ]
    assert flow.velocity[Level.EPIC] == (0, 0, 0)
    assert flow.load[Level.FEATURE] == (0, 0, 0)
    assert flow.distribution == {}
    assert flow.forecasts == ()


@pytest.mark.parametrize(
    ("moves", "velocity"),
    [
        ([(21, "Done")], (1, 0, 0)),  # the window's first instant is inside
        ([(21 + SECOND, "Done")], (0, 0, 0)),  # a second earlier is not
        ([(14, "Done")], (0, 1, 0)),  # a bucket's start belongs to it
        ([(14 + SECOND, "Done")], (1, 0, 0)),
        ([(SECOND, "Done")], (0, 0, 1)),
        ([(0, "Done")], (0, 0, 0)),  # `now` is past the window's end
        ([(30, "Analyzing"), (18, "Done"), (16, "In Progress"), (3, "Done")], (0, 0, 1)),
        ([(30, "Analyzing"), (10, "Done"), (5, "In Progress")], (0, 1, 0)),  # last entry counts
        ([(30, "Analyzing"), (18, "Done"), (3, "Closed")], (1, 0, 0)),  # Done -> Closed: no entry
        ([(40, "Analyzing"), (30, "Done")], (0, 0, 0)),  # done before the window
    ],
)
def test_velocity_counts_the_last_entry_into_done_per_bucket(
    moves: list[tuple[float, str]], velocity: tuple[int, ...]
) -> None:
    flow = measure([story("F-1", moves)])
    assert flow.velocity[Level.FEATURE] == velocity
    assert flow.velocity[Level.EPIC] == (0, 0, 0)


@pytest.mark.parametrize(
    ("moves", "created", "first_from", "load"),
    [
        ([(50, "Analyzing")], 100, "Funnel", (1, 1, 1)),  # active throughout
        ([(8, "Analyzing")], 10, "Funnel", (0, 1, 1)),  # created inside the window
        ([], 14, "Analyzing", (1, 1, 1)),  # created exactly at the first bucket's end
        ([], 14 - SECOND, "Analyzing", (0, 1, 1)),  # ... one second after it
        ([(14, "Analyzing")], 100, "Funnel", (1, 1, 1)),  # a move at the end instant has happened
        ([(14 - SECOND, "Analyzing")], 100, "Funnel", (0, 1, 1)),
        ([(40, "Analyzing"), (30, "Done")], 100, "Funnel", (0, 0, 0)),  # done before the window
        (  # back a state and forward again: Ready (a wait state is active) then Implementing
            [
                (30, "Analyzing"),
                (20, "In Progress"),
                (16, "Ready"),
                (10, "In Progress"),
                (3, "Done"),
            ],
            100,
            "Funnel",
            (1, 1, 0),
        ),
        ([(30, "Implementing"), (9, "Funnel")], 100, "Funnel", (1, 0, 0)),  # back to the funnel
    ],
)
def test_load_counts_active_items_at_each_bucket_end(
    moves: list[tuple[float, str]], created: float, first_from: str, load: tuple[int, ...]
) -> None:
    flow = measure([story("F-1", moves, created=created, first_from=first_from)])
    assert flow.load[Level.FEATURE] == load
    assert sum(
        flow.states[Level.FEATURE][state][i]
        for state in flow.states[Level.FEATURE]
        for i in range(3)
    ) == sum(load)


def test_states_per_bucket_end_form_the_cumulative_flow() -> None:
    back_and_forth = [
        (30, "Analyzing"),
        (20, "In Progress"),
        (16, "Ready"),
        (10, "In Progress"),
        (3, "Done"),
    ]
    flow = measure([story("F-1", back_and_forth), story("F-2", [(50, "Analyzing")])])
    assert flow.states[Level.FEATURE] == {
        "Analyzing": (1, 1, 1),
        "Ready": (1, 0, 0),
        "Implementing": (0, 1, 0),
    }
    assert flow.load[Level.FEATURE] == (2, 2, 1)


def test_flow_time_and_efficiency_of_an_item_going_back_and_forth() -> None:
    moves = [
        (30, "Analyzing"),
        (20, "In Progress"),
        (16, "Ready"),
        (10, "In Progress"),
        (3, "Done"),
    ]
    flow = measure([story("F-1", moves)])
    # From the first active entry (30 days ago) to done (3 days ago); Ready is a wait state.
    assert flow.flow_time[Level.FEATURE] == FlowTime(1, 27.0, 27.0, 27.0)
    assert flow.efficiency[Level.FEATURE] == round((10 + 4 + 7) / 27, 3) == 0.778
    assert [(entry.key, entry.days) for entry in flow.finished] == [("F-1", 27.0)]


def test_start_state_moves_the_start_of_flow_time() -> None:
    moves = [
        (30, "Analyzing"),
        (20, "In Progress"),
        (16, "Ready"),
        (10, "In Progress"),
        (3, "Done"),
    ]
    flow = measure([story("F-1", moves)], flow_policy(start_state="Implementing"))
    assert flow.flow_time[Level.FEATURE] == FlowTime(1, 17.0, 17.0, 17.0)
    assert flow.efficiency[Level.FEATURE] == round((4 + 7) / 17, 3)


def test_no_wait_states_make_every_active_day_working() -> None:
    moves = [
        (30, "Analyzing"),
        (20, "In Progress"),
        (16, "Ready"),
        (10, "In Progress"),
        (3, "Done"),
    ]
    flow = measure([story("F-1", moves)], flow_policy(wait_states=()))
    assert flow.efficiency[Level.FEATURE] == 1.0


@pytest.mark.parametrize(
    "moves",
    [
        [(5, "Done")],  # straight from the funnel: never active
        [(40, "Analyzing"), (30, "Done")],  # done before the window
        [(30, "Analyzing")],  # not done
    ],
)
def test_items_outside_flow_time(moves: list[tuple[float, str]]) -> None:
    flow = measure([story("F-1", moves)])
    assert flow.flow_time[Level.FEATURE] == FlowTime(0, None, None, None)
    assert flow.efficiency[Level.FEATURE] is None
    assert flow.flow_time[Level.EPIC] == FlowTime()  # N = 0: nulls


def test_percentile_ties_through_the_data() -> None:
    stories = [
        story(f"F-{n}", [(2 + days, "Analyzing"), (2, "Done")])
        for n, days in enumerate([2, 2, 2, 5.004])
    ]
    flow = measure(stories)
    assert flow.flow_time[Level.FEATURE] == FlowTime(4, 2.0, 5.0, 5.0)


@pytest.mark.parametrize(
    ("values", "percent", "expected"),
    [
        ([1, 2, 3, 4], 50, 2),
        ([1, 2, 3, 4], 85, 4),
        ([1, 2, 3, 4], 95, 4),
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 85, 9),  # ceil(8.5) = 9th
        ([2, 2, 2, 5], 50, 2),
        ([2, 2, 2, 5], 85, 5),
        ([2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 9, 9, 9], 85, 2),  # 17/20 <= 2
        ([7], 95, 7),
    ],
)
def test_nearest_rank(values: list[float], percent: int, expected: float) -> None:
    assert nearest_rank(values, percent) == expected


def test_distribution_splits_items_with_several_themes() -> None:
    epics = [
        story("E-1", [(5, "Implementing")], level=Level.EPIC, labels=("cx",)),
        story("E-2", [(5, "Ready")], level=Level.EPIC, labels=("cx", "data")),
        story("E-3", [(5, "Analyzing")], level=Level.EPIC),
        story("E-4", [], level=Level.EPIC, labels=("data",)),  # in the funnel: not active
        story("E-5", [(5, "Done")], level=Level.EPIC, labels=("data",)),
        story("F-1", [(5, "Implementing")], labels=("data",)),  # a feature: not the level
    ]
    flow = measure(epics)
    assert flow.distribution == {"cx": 0.5, "data": 0.167, "unaligned": 0.333}


def test_items_without_history_are_left_out_and_counted() -> None:
    # Azure DevOps without backfill: the first recorded change has no `from` and comes after
    # creation, so nothing is known before it.
    late = story("F-1", [(20, "In Progress"), (5, "Done")], first_from=None)
    later = story("F-2", [(10, "In Progress"), (2, "Done")], first_from=None)
    item, changes = story("F-3", [(30, "Analyzing")])
    contradicted = (replace(item, status="In Progress", state="Implementing"), changes)
    item, changes = story("F-4", [(30, "Analyzing")])
    dated = (
        replace(item, status="In Progress", state="Implementing", entered_state_at=ago(8)),
        changes,
    )
    flow = measure([late, later, contradicted, dated])
    assert flow.velocity[Level.FEATURE] == (0, 0, 2)
    assert flow.load[Level.FEATURE] == (1 + 1, 1 + 1 + 1, 1)
    assert flow.flow_time[Level.FEATURE].n == 0
    assert {figure: counts[Level.FEATURE] for figure, counts in flow.left_out.items()} == {
        "velocity": 1,  # F-3: its history does not lead to its state
        "load": 2,  # F-2 is unknown at the first bucket end; F-3
        "flow_time": 3,  # F-1 and F-2 started before their history; F-3
    }


def test_unmapped_items_take_no_part() -> None:
    item, changes = story("F-1", [(30, "Analyzing"), (5, "Done")])
    flow = measure([(replace(item, status="Parked", state="unmapped"), changes)])
    assert flow.velocity[Level.FEATURE] == (0, 0, 0)
    assert flow.load[Level.FEATURE] == (0, 0, 0)
    assert flow.left_out["velocity"][Level.FEATURE] == 0


def _epic_with_features(key: str, stream: str | None, remaining: int, **fields: Any):  # type: ignore[no-untyped-def]
    epic = story(key, [(40, "In Progress")], level=Level.EPIC, value_stream=stream, **fields)
    children = [
        story(f"{key}-F{n}", [(30, "Analyzing")], parent=key, value_stream=stream)
        for n in range(remaining)
    ]
    done = story(f"{key}-FD", [(30, "Analyzing"), (25, "Done")], parent=key, value_stream=stream)
    return [epic, *children, done]


def _throughput(stream: str | None, per_week: int) -> list:  # type: ignore[type-arg]
    return [
        story(
            f"T-{stream}-{week}-{n}",
            [(30, "Analyzing"), (week * 7 + 1, "Done")],
            value_stream=stream,
        )
        for week in range(3)
        for n in range(per_week)
    ]


def test_forecasts_per_epic_in_progress() -> None:
    stories = [
        *_epic_with_features("E-1", "Payments", 3),
        *_epic_with_features("E-2", None, 3),
        *_epic_with_features("E-3", "Mobile", 2),
        *_throughput("Payments", 1),
        *_throughput("Search", 1),
        story("E-4", [(40, "Analyzing")], level=Level.EPIC),  # not in progress
        *_epic_with_features("E-5", "Payments", 0),  # every feature done
    ]
    flow = measure(stories, flow_policy(trials=500))
    by_key = {forecast.key: forecast for forecast in flow.forecasts}
    assert sorted(by_key) == ["E-1", "E-2", "E-3"]
    # Payments finishes one feature a week: three remaining take three weeks in every trial.
    assert (by_key["E-1"].remaining, by_key["E-1"].p50, by_key["E-1"].p85) == (
        3,
        day("2026-03-23"),
        day("2026-03-23"),
    )
    # No value stream: the whole portfolio's two a week, so three take two weeks.
    assert (by_key["E-2"].p50, by_key["E-2"].p85) == (day("2026-03-16"), day("2026-03-16"))
    assert (by_key["E-3"].p50, by_key["E-3"].p85) == (None, None)  # Mobile finished nothing
    assert by_key["E-1"].trials == 500


def test_forecast_dates_are_days_in_the_portfolio_time_zone() -> None:
    stories = [*_epic_with_features("E-1", "Payments", 1), *_throughput("Payments", 1)]
    late = NOW.replace(hour=23)
    flow = measure(stories, flow_policy(timezone="Pacific/Auckland"), now=late)
    assert flow.forecasts[0].p85 == (late + timedelta(weeks=1)).date() + timedelta(days=1)


def _in_source(story_: Any, source: str) -> Any:
    item, changes = story_
    return replace(item, source=source), [replace(change, source=source) for change in changes]


def test_items_with_the_same_key_in_two_sources_keep_their_own_history() -> None:
    done_in_jira = story("7", [(30, "Analyzing"), (5, "Done")])
    open_in_ado = _in_source(story("7", [(30, "Analyzing")]), "ado")
    other = story("8", [(20, "Analyzing"), (3, "Done")])
    policy = flow_policy()
    policy = replace(
        policy, flow=replace(policy.flow, statuses={"jira": STATUSES, "ado": STATUSES})
    )
    items = [done_in_jira[0], open_in_ado[0], other[0]]
    # Unsorted history: runs of one item interrupted by another source's.
    interleaved = [
        *done_in_jira[1][:1],
        *open_in_ado[1],
        *other[1],
        *done_in_jira[1][1:],
    ]
    flow = analyse(items, policy, NOW, interleaved).flow
    grouped = analyse(items, policy, NOW, [*done_in_jira[1], *open_in_ado[1], *other[1]]).flow
    assert flow == grouped
    assert flow is not None
    assert [(f.source, f.key) for f in flow.finished] == [("jira", "7"), ("jira", "8")]
    assert sum(flow.velocity[Level.FEATURE]) == 2
    assert flow.load[Level.FEATURE][-1] == 1  # ado 7 is still in Analyzing
